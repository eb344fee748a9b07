"""The second wave's keys: connectif.api, expect.purchase_id and connectif.*, reload, cn_purchase.items."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.scenario.load import load_scenario
from tests.scenario.test_loader import VALID_HEAD, run_validate

STEPS = "steps:\n  - goto: /\n"


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_connectif_api_loads_with_its_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_HEAD + "connectif:\n  api:\n    key: ${KEY}\n" + STEPS)
    scenario = load_scenario(path, env={"KEY": "kid:ksecret"})
    assert scenario.connectif.api is not None
    assert scenario.connectif.api.key == "kid:ksecret"
    assert scenario.connectif.api.url == "https://api.connectif.cloud"
    assert scenario.connectif.api.wait == 60_000
    assert scenario.masked_values() == ["kid:ksecret"]
    explicit = write(
        tmp_path,
        VALID_HEAD + "connectif:\n  api: {key: a:b, url: 'http://127.0.0.1:9/x', wait: 2s}\n" + STEPS,
        "explicit.yaml",
    )
    api = load_scenario(explicit, env={}).connectif.api
    assert api is not None and api.url == "http://127.0.0.1:9/x" and api.wait == 2000
    assert load_scenario(write(tmp_path, VALID_HEAD + STEPS, "none.yaml"), env={}).masked_values() == []


@pytest.mark.parametrize(
    ("api", "line", "fragments"),
    [
        ("  api: {url: 'https://x.test'}\n", 4, ["connectif.api.key", "missing"]),
        ("  api:\n    key: a:b\n    url: api.connectif.cloud\n", 6, ["connectif.api.url", "http"]),
        ("  api:\n    key: a:b\n    wait: 60\n", 6, ["connectif.api.wait", "unit"]),
        ("  api:\n    key: a:b\n    wiat: 5s\n", 6, ["connectif.api.wiat", "did you mean 'wait'"]),
        ("  api: yes\n", 4, ["connectif.api", "mapping"]),
        ("  api:\n    key: ''\n", 5, ["connectif.api.key", "empty"]),
    ],
)
def test_connectif_api_bad_input(tmp_path: Path, api: str, line: int, fragments: list[str]) -> None:
    path = write(tmp_path, VALID_HEAD + "connectif:\n" + api + STEPS)
    status, output = run_validate(path)
    assert status == 2, output
    assert f"{path.name}:{line}" in output, output
    for fragment in fragments:
        assert fragment in output, output


def test_the_api_key_and_secrets_never_appear_in_a_load_error(tmp_path: Path) -> None:
    # Written as bare numbers, they are refused; the message must not repeat them.
    path = write(
        tmp_path,
        VALID_HEAD
        + "secrets:\n  card: 4548812049400004\nconnectif:\n  api: {key: 918273645546372819}\n"
        + STEPS,
    )
    status, output = run_validate(path)
    assert status == 2
    assert "secrets.card" in output and "connectif.api.key" in output and "quote it" in output
    assert "4548812049400004" not in output and "918273645546372819" not in output


@pytest.mark.parametrize(
    "body",
    [
        # the key written straight under api, as text: refused, never repeated
        "connectif:\n  api: ${CONNECTIF_API_KEY}\n" + STEPS,
        # a secret's value used where the file is wrong for another reason
        "secrets:\n  card: ${CARD}\nsteps:\n  - click: {selector: '#a', timeout: '${CARD}'}\n",
        # the key's value used in a bad URL
        "connectif:\n  api:\n    key: ${CONNECTIF_API_KEY}\n    url: ${CONNECTIF_API_KEY}\n" + STEPS,
    ],
    ids=["key-as-api", "secret-as-timeout", "key-as-url"],
)
def test_a_secret_value_is_masked_wherever_else_a_load_error_quotes_it(tmp_path: Path, body: str) -> None:
    path = write(tmp_path, VALID_HEAD + body)
    env = {"CONNECTIF_API_KEY": "5f1a9e:9b2c7d8e4f6a1b3c", "CARD": "4548812049400004"}
    status, output = run_validate(path, env=env)
    assert status == 2, output
    assert f"{path.name}:" in output and "•••" in output, output
    assert "5f1a9e" not in output and "9b2c7d8e4f6a1b3c" not in output and "4548812049400004" not in output


def test_expect_connectif_second_wave_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        VALID_HEAD
        + STEPS
        + "expect:\n  purchase_id: ORD-1\n  connectif:\n    purchase_recorded: absent\n"
        + "    duplicates: fail\n    contact: required\n    contact_email: a@example.com\n",
    )
    expect = load_scenario(path, env={}).expect
    assert expect.purchase_id == "ORD-1"
    assert expect.connectif.purchase_recorded == "absent"
    assert (expect.connectif.duplicates, expect.connectif.contact) == ("fail", "required")
    assert expect.connectif.contact_email == "a@example.com"
    defaults = load_scenario(write(tmp_path, VALID_HEAD + STEPS, "d.yaml"), env={}).expect.connectif
    assert defaults.purchase_recorded is None  # not given: the check can tell
    assert (defaults.duplicates, defaults.contact, defaults.contact_email) == ("warn", "optional", None)


@pytest.mark.parametrize(
    ("connectif", "expect", "policy"),
    [
        ("", "", None),  # no API: not judged
        ("", "    purchase_recorded: required\n", None),  # nor with an explicit value
        ("connectif:\n  api: {key: a:b}\n", "", "required"),
        ("connectif:\n  api: {key: a:b}\n", "    purchase_recorded: optional\n", "optional"),
        ("connectif:\n  mode: intercept\n  api: {key: a:b}\n", "", None),  # intercepted: not judged...
        ("connectif:\n  mode: intercept\n  api: {key: a:b}\n", "    purchase_recorded: absent\n", "absent"),
    ],
)
def test_purchase_recorded_policy(tmp_path: Path, connectif: str, expect: str, policy: str | None) -> None:
    text = VALID_HEAD + connectif + STEPS + ("expect:\n  connectif:\n" + expect if expect else "")
    assert load_scenario(write(tmp_path, text), env={}).purchase_recorded_policy() == policy


@pytest.mark.parametrize(
    ("expect", "line", "fragments"),
    [
        ("  connectif:\n    purchase_recorded:\n", 7, ["expect.connectif.purchase_recorded", "null"]),
        (
            "  connectif:\n    purchase_recorded: requierd\n",
            7,
            ["expect.connectif.purchase_recorded", "did you mean 'required'"],
        ),
        ("  connectif:\n    duplicates: error\n", 7, ["expect.connectif.duplicates", "'warn'"]),
        ("  connectif:\n    contact: absent\n", 7, ["expect.connectif.contact", "'required'"]),
        ("  connectif:\n    contact_email: 5\n", 7, ["expect.connectif.contact_email", "quote it"]),
        ("  purchase_id: 12345\n", 6, ["expect.purchase_id", "quote it"]),
        ("  purchase_id: ''\n", 6, ["expect.purchase_id", "empty"]),
        ("  purchaseid: X\n", 6, ["expect.purchaseid", "did you mean 'purchase_id'"]),
    ],
)
def test_expect_second_wave_bad_input(tmp_path: Path, expect: str, line: int, fragments: list[str]) -> None:
    path = write(tmp_path, VALID_HEAD + STEPS + "expect:\n" + expect)
    status, output = run_validate(path)
    assert status == 2, output
    assert f"{path.name}:{line}" in output, output
    for fragment in fragments:
        assert fragment in output, output


def test_reload_short_and_long_forms(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        VALID_HEAD
        + STEPS
        + "  - reload: true\n  - reload: {}\n  - reload: {wait_until: domcontentloaded, timeout: 5s}\n",
    )
    steps = load_scenario(path, env={}).steps
    assert [s.action for s in steps] == ["goto", "reload", "reload", "reload"]
    assert steps[1].args.wait_until == "load" and steps[2].args.wait_until == "load"
    assert steps[3].args.wait_until == "domcontentloaded" and steps[3].args.timeout == 5000


@pytest.mark.parametrize(
    ("step", "line", "fragments"),
    [
        ("  - reload: false\n", 5, ["steps[1].reload", "true or a mapping"]),
        ("  - reload:\n", 5, ["steps[1].reload", "nothing (null)"]),
        ("  - reload: /cart\n", 5, ["steps[1].reload", "`- reload: true`"]),
        ("  - reload: {wait_until: idle}\n", 5, ["steps[1].reload.wait_until", "'networkidle'"]),
        ("  - reload: {wiat_until: load}\n", 5, ["steps[1].reload.wiat_until", "did you mean 'wait_until'"]),
        ("  - reload: {selector: '#a'}\n", 5, ["steps[1].reload.selector", "unknown key"]),
        ("  - relaod: true\n", 5, ["steps[1].relaod", "did you mean 'reload'"]),
        (
            "  - pay:\n      hosts: [pay.test]\n      steps:\n        - reload: true\n",
            8,
            ["steps[1].pay.steps[0].reload", "not a step on the payment platform"],
        ),
    ],
)
def test_reload_bad_input(tmp_path: Path, step: str, line: int, fragments: list[str]) -> None:
    path = write(tmp_path, VALID_HEAD + STEPS + step)
    status, output = run_validate(path)
    assert status == 2, output
    assert f"{path.name}:{line}" in output, output
    for fragment in fragments:
        assert fragment in output, output


def test_expected_items_load_in_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        VALID_HEAD
        + STEPS
        + "expect:\n  cn_purchase:\n    purchase_id: X\n    products: 2\n    items:\n"
        + "      - {product_id: KB-1, name: Keyboard, quantity: 1, unit_price: '49,90', price: 49.90}\n"
        + "      - {product_id: MS-2, url: 'http://shop.test/p/ms', category: Mice}\n",
    )
    expect = load_scenario(path, env={}).expect
    items = expect.expected_items()
    assert items is not None and [i["product_id"] for i in items] == ["KB-1", "MS-2"]
    assert items[0] == {
        "product_id": "KB-1",
        "name": "Keyboard",
        "quantity": 1,
        "unit_price": "49,90",
        "price": "49.90",  # as written: YAML alone would say 49.9
    }
    assert expect.expected_fields() == {"purchase_id": "X", "products": 2}
    assert (
        load_scenario(write(tmp_path, VALID_HEAD + STEPS, "n.yaml"), env={}).expect.expected_items() is None
    )


@pytest.mark.parametrize(
    ("items", "line", "fragments"),
    [
        ("    items: 2\n", 7, ["expect.cn_purchase.items", "a list"]),
        ("    items:\n      - KB-1\n", 8, ["expect.cn_purchase.items[0]", "mapping"]),
        (
            "    items:\n      - {product_id: A}\n      - {prodcut_id: B}\n",
            9,
            ["expect.cn_purchase.items[1].prodcut_id", "did you mean 'product_id'"],
        ),
        ("    items:\n      - {colour: red}\n", 8, ["expect.cn_purchase.items[0].colour", "item fields:"]),
        ("    items:\n      - {quantity: [1, 2]}\n", 8, ["expect.cn_purchase.items[0].quantity"]),
        ("    total_price: [1, 2]\n", 7, ["expect.cn_purchase.total_price", "one value"]),
        ("    itmes: []\n", 7, ["expect.cn_purchase.itmes", "did you mean 'items'"]),
    ],
)
def test_expected_items_bad_input(tmp_path: Path, items: str, line: int, fragments: list[str]) -> None:
    path = write(tmp_path, VALID_HEAD + STEPS + "expect:\n  cn_purchase:\n" + items)
    status, output = run_validate(path)
    assert status == 2, output
    assert f"{path.name}:{line}" in output, output
    for fragment in fragments:
        assert fragment in output, output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("expect:\n  confirmation_url: 're:[unclosed'\n", 6, "expect.confirmation_url"),
        ("  - wait_for: {url: 're:(a'}\n", 5, "steps[1].wait_for.url"),
    ],
)
def test_a_regular_expression_that_does_not_compile_is_a_load_error(
    tmp_path: Path, text: str, line: int, key: str
) -> None:
    path = write(tmp_path, VALID_HEAD + STEPS + text)
    status, output = run_validate(path)
    assert status == 2, output
    assert f"{path.name}:{line}" in output and key in output and "regular expression" in output, output


def test_a_regular_expression_with_a_reference_compiles_with_a_stand_in(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        VALID_HEAD
        + STEPS
        + "  - capture: {name: id, selector: '#id'}\nexpect:\n  confirmation_url: 're:/order/{{id}}$'\n",
    )
    assert load_scenario(path, env={}).expect.confirmation_url == "re:/order/{{id}}$"
    with pytest.raises(InputError):
        load_scenario(
            write(tmp_path, VALID_HEAD + STEPS + "expect:\n  confirmation_url: 're:{{x}}('\n", "b.yaml")
        )


def test_expected_tag_values_are_taken_as_written_where_yaml_would_change_them(tmp_path: Path) -> None:
    # Zero-padded order numbers are common: `purchase_id: 0123` is YAML's octal 83 unquoted.
    path = write(
        tmp_path,
        VALID_HEAD
        + STEPS
        + "expect:\n  cn_purchase:\n    purchase_id: 0123\n    payment_method: true\n"
        + "    total_price: 12.50\n    total_quantity: 2\n    products: 1\n"
        + "    items:\n      - {product_id: 007, quantity: 2, price: 12.5}\n",
    )
    expect = load_scenario(path, env={}).expect
    assert expect.expected_fields() == {
        "purchase_id": "0123",
        "payment_method": "true",
        "total_price": "12.50",
        "total_quantity": 2,
        "products": 1,
    }
    assert expect.expected_items() == ({"product_id": "007", "quantity": 2, "price": 12.5},)


@pytest.mark.parametrize(
    ("value", "written"),
    [("NO", "NO"), ("01001", "01001"), ("12.50", "12.50"), ("yes", "yes"), ("1_000", "1_000")],
)
def test_quote_it_quotes_what_was_written(tmp_path: Path, value: str, written: str) -> None:
    path = write(tmp_path, VALID_HEAD + f"steps:\n  - fill: {{selector: '#a', value: {value}}}\n")
    status, output = run_validate(path)
    assert status == 2, output
    assert f"YAML reads {written} as" in output and f'quote it: "{written}"' in output, output


@pytest.mark.parametrize(
    ("body", "tip"),
    [
        (
            "steps:\n  - click: #checkout\n",
            'a # after a space starts a YAML comment, so nothing is left: quote it: "#checkout"',
        ),
        ("steps:\n  - fill: {selector: #email, value: x}\n  - goto: /\n", 'quote the value, as in "#email"'),
        ("steps: [{goto: /}]\nexpect:\n  confirmation_url: **/order/**\n", 'quote it, as in "**/order/**"'),
        ("hosts: {*.bank.test: 127.0.0.1}\nsteps: [{goto: /}]\n", 'quote it, as in "*.bank.test"'),
    ],
    ids=["hash-short-form", "hash-in-flow", "glob", "wildcard-host"],
)
def test_an_unquoted_selector_or_glob_gets_the_yaml_reason(tmp_path: Path, body: str, tip: str) -> None:
    path = write(tmp_path, VALID_HEAD + body)
    status, output = run_validate(path)
    assert status == 2, output
    assert tip in output, output


def test_a_long_form_indented_too_little_says_where_its_keys_belong(tmp_path: Path) -> None:
    body = (
        "steps:\n  - fill:\n    selector: '#a'\n    value: x\n"
        "  - pay:\n    submit: '#pay'\n    hosts: [pay.test]\n    return: {timeout: 5s}\n"
    )
    status, output = run_validate(write(tmp_path, VALID_HEAD + body))
    assert status == 2, output
    assert "steps[0].fill: fill is empty and selector, value sit beside it" in output, output
    assert "indent submit, hosts, return two more spaces, under pay:" in output, output
    assert "unknown action" not in output and "did you mean 'select'" not in output, output


def test_an_env_default_may_hold_a_run_time_reference(tmp_path: Path) -> None:
    body = (
        "steps:\n  - capture: {name: cart_total, selector: '#t'}\n"
        "expect:\n  cn_purchase: {total_price: '${TOTAL:-{{cart_total}}}', purchase_id: 'a${X}b${Y:-c}'}\n"
    )
    path = write(tmp_path, VALID_HEAD + body)
    unset = load_scenario(path, env={"X": "1"}).expect.expected_fields()
    assert unset == {"total_price": "{{cart_total}}", "purchase_id": "a1bc"}
    given = load_scenario(path, env={"X": "1", "TOTAL": "9,90"}).expect.expected_fields()
    assert given == {"total_price": "9,90", "purchase_id": "a1bc"}  # was '9,90}}'


def test_a_device_is_named_as_such_not_as_missing(tmp_path: Path) -> None:
    status, output = run_validate(Path("/dev/null"))
    assert status == 2
    assert "/dev/null: is not a scenario file (a device, a pipe or a socket)" in output, output
    assert "no such file" not in output


@pytest.mark.parametrize(
    ("host", "fragment"),
    [("scrpt:cdn.example.com", "did you mean 'script:'?"), ("script:/x", "needs a host")],
)
def test_a_connectif_host_pattern_that_could_never_match_is_a_load_error(
    tmp_path: Path, host: str, fragment: str
) -> None:
    path = write(tmp_path, VALID_HEAD + f"connectif:\n  hosts: ['{host}']\n" + STEPS)
    status, output = run_validate(path)
    assert status == 2, output
    assert f"{path.name}:4:11: connectif.hosts[0]:" in output and fragment in output, output
