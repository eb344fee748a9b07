"""Mistakes in scenario files that used to load without a proper error (found by a tester).

Each is now a load error that names the file, the line and the key, with a tip, through `validate` as a
user runs it: an unclosed `{{email`, `{{…}}` where nothing fills it in, a misspelt URL scheme, an unset
`${VAR}` beside a similar one that is set, several mistakes in one `expect.cn_purchase`, YAML tags, and
a quote left open.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError, Problem
from auditor.scenario.load import load_scenario, load_scenarios
from tests.scenario.test_loader import run_validate

HEAD = "name: A scenario\nbase_url: http://shop.test:8000\nhosts: {shop.test: 127.0.0.1}\n"


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, env: dict[str, str] | None = None) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_scenarios(path, env=env or {})
    return caught.value.problems


def refused(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    """What `validate` prints for a file that must not load: exit status 2, no traceback."""
    path = write(tmp_path, text)
    status, output = run_validate(path, env=env)
    assert status == 2, output
    assert "Traceback" not in output
    assert path.name in output
    return output


def one(found: list[Problem], key: str) -> Problem:
    matching = [p for p in found if p.key == key]
    assert len(matching) == 1, [p.render() for p in found]
    return matching[0]


# ---------------------------------------------------------------- 1. an unclosed {{reference


@pytest.mark.parametrize(
    ("written", "place", "line", "key"),
    [
        ("{{email", "fill", 7, "steps[1].fill.value"),
        ("{{ email }", "fill", 7, "steps[1].fill.value"),
        ("{{email}", "fill", 7, "steps[1].fill.value"),
        ("Hi {{email", "fill", 7, "steps[1].fill.value"),
        ("#{{email", "click", 7, "steps[1].click"),
        ("{{email", "expect", 10, "expect.cn_purchase.purchase_id"),
        ("**/{{email", "confirmation_url", 9, "expect.confirmation_url"),
    ],
)
def test_an_unclosed_reference_is_a_load_error_with_its_line_key_and_fix(
    tmp_path: Path, written: str, place: str, line: int, key: str
) -> None:
    steps = "steps:\n  - goto: /\n"
    step = {
        "fill": f"  - fill: {{selector: '#e', value: '{written}'}}\n",
        "click": f"  - click: '{written}'\n",
    }.get(place, "  - click: '#buy'\n")
    expect = {
        "expect": f"expect:\n  cn_purchase:\n    purchase_id: '{written}'\n",
        "confirmation_url": f"expect:\n  confirmation_url: '{written}'\n",
    }.get(place, "")
    text = HEAD.replace("hosts", "vars: {email: a@example.com}\nhosts") + steps + step + expect
    path = write(tmp_path, text)
    found = one(problems(path), key)
    assert found.line == line, found.render()
    assert "never closed" in found.message and "literal text" in found.message
    assert found.tip == "close it with }}: {{email}}"
    output = refused(tmp_path, text)
    assert f"s.yaml:{line}:" in output and key in output and "{{email}}" in output


def test_closed_references_still_load_with_or_without_spaces(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + "vars: {email: a@example.com}\nsteps:\n  - goto: /\n"
        + "  - fill: {selector: '#e', value: '{{email}} and {{ email }}'}\n",
    )
    (step,) = [s for s in load_scenario(path, env={}).steps if s.action == "fill"]
    assert step.args.value == "{{email}} and {{ email }}"


def test_an_unclosed_reference_in_a_secret_does_not_repeat_the_secret(tmp_path: Path) -> None:
    output = refused(tmp_path, HEAD + "secrets:\n  pin: 'K9x{{pin_code'\nsteps:\n  - goto: /\n")
    assert "secrets.pin" in output and "never closed" in output
    assert "K9x" not in output and "pin_code" not in output


# ---------------------------------------------------------------- 2. {{…}} where nothing fills it in


@pytest.mark.parametrize(
    ("line_text", "line", "key"),
    [
        ("name: 'Checkout for {{nme}}'\n", 1, "name"),
        ("description: 'pays as {{nme}}'\n", 4, "description"),
        ("tags: [smoke, '{{nme}}']\n", 4, "tags[1]"),
    ],
)
def test_an_unknown_reference_in_name_description_or_tags_is_refused(
    tmp_path: Path, line_text: str, line: int, key: str
) -> None:
    head = HEAD if line_text.startswith(("description", "tags")) else HEAD.replace("name: A scenario\n", "")
    text = (line_text + head if key == "name" else head + line_text) + "steps:\n  - goto: /\n"
    found = one(problems(write(tmp_path, text)), key)
    assert found.line == line
    assert "{{nme}} is not defined" in found.message and "shown as written" in found.message
    assert found.tip
    assert key in refused(tmp_path, text)


def test_a_run_time_value_in_the_description_is_refused_as_never_filled_in(tmp_path: Path) -> None:
    text = (
        HEAD + "description: 'as {{email}} on {{run_id}}'\nvars: {email: a@example.com}\nsteps: [{goto: /}]\n"
    )
    found = problems(write(tmp_path, text))
    assert [p.key for p in found] == ["description", "description"]
    assert all("is never filled in: description is shown as written" in p.message for p in found)
    assert "has a value only when the scenario runs" in (found[0].tip or "")


def test_a_matrix_value_in_the_name_is_filled_in_and_a_typo_of_one_is_named(tmp_path: Path) -> None:
    matrix = "matrix:\n  card: [visa, mastercard]\nsteps:\n  - goto: /\n"
    good = write(tmp_path, HEAD.replace("A scenario", "'Pay by {{card}}'") + matrix, "good.yaml")
    assert [item.scenario.name for item in load_scenarios(good, env={})] == [
        "Pay by visa [card=visa]",
        "Pay by mastercard [card=mastercard]",
    ]
    found = one(problems(write(tmp_path, HEAD.replace("A scenario", "'Pay by {{crad}}'") + matrix)), "name")
    assert found.line == 1 and "(in " not in found.message  # every combination: said once, unqualified
    assert found.tip == "did you mean 'card'?"


# ---------------------------------------------------------------- 3. a misspelt URL scheme


@pytest.mark.parametrize(
    ("body", "line", "key", "meant"),
    [
        ("steps:\n  - goto: htp://shop.test/cart\n", 5, "steps[0].goto.url", "http://shop.test/cart"),
        ("steps:\n  - goto: ttps://shop.test/\n", 5, "steps[0].goto.url", "https://shop.test/"),
        ("steps:\n  - goto: 'http:/shop.test/'\n", 5, "steps[0].goto.url", "http://shop.test/"),
        ("steps:\n  - goto: {url: 'http//shop.test/'}\n", 5, "steps[0].goto.url", "http://shop.test/"),
        (
            "steps:\n  - goto: /\n  - wait_for: {url: 'htps://shop.test/ok*'}\n",
            6,
            "steps[1].wait_for.url",
            "https://shop.test/ok*",
        ),
        (
            "steps: [{goto: /}]\nexpect:\n  confirmation_url: 'htps://shop.test/thanks/**'\n",
            6,
            "expect.confirmation_url",
            "https://shop.test/thanks/**",
        ),
        (
            "connectif:\n  api: {key: 'a:b', url: 'ttps://api.connectif.cloud'}\nsteps: [{goto: /}]\n",
            5,
            "connectif.api.url",
            "https://api.connectif.cloud",
        ),
    ],
)
def test_a_misspelt_scheme_is_a_load_error_with_the_url_it_meant(
    tmp_path: Path, body: str, line: int, key: str, meant: str
) -> None:
    text = HEAD + body
    found = one(problems(write(tmp_path, text)), key)
    assert found.line == line, found.render()
    assert found.tip == f"did you mean {meant!r}?"
    output = refused(tmp_path, text)
    assert f"s.yaml:{line}:" in output and meant in output


def test_a_misspelt_base_url_scheme_says_what_it_meant(tmp_path: Path) -> None:
    text = "name: x\nbase_url: htps://shop.test:8000/\nsteps: [{goto: /}]\n"
    found = one(problems(write(tmp_path, text)), "base_url")
    assert found.line == 2 and found.tip == "did you mean 'https://shop.test:8000/'?"


def test_goto_refuses_other_schemes_and_keeps_paths_and_http_urls(tmp_path: Path) -> None:
    found = one(problems(write(tmp_path, HEAD + "steps:\n  - goto: ftp://shop.test/\n")), "steps[0].goto.url")
    assert "not an http(s) URL" in found.message and "a path under base_url" in (found.tip or "")
    fine = ["/cart", "cart", "./cart?x=1", "https://shop.test/", "HTTP://shop.test/", "about:blank"]
    steps = "".join(f"  - goto: '{url}'\n" for url in fine)
    loaded = load_scenario(write(tmp_path, HEAD + "steps:\n" + steps, "ok.yaml"), env={})
    assert [s.args.url for s in loaded.steps] == fine


# ---------------------------------------------------------------- 4. an unset ${VAR} beside a set one


def test_an_unset_variable_names_the_set_one_it_resembles_never_its_value(tmp_path: Path) -> None:
    text = "name: x\nbase_url: ${SHOP_ULR}\nsteps:\n  - goto: /\n"
    text += "  - fill: {selector: '#c', value: '${card_numbr}'}\n"
    env = {"SHOP_URL": "http://staging.shop.test/?token=Zq81", "CARD_NUMBER": "4548812049400004"}
    found = problems(write(tmp_path, text), env)
    base = one(found, "base_url")
    assert base.line == 2 and "SHOP_ULR is not set" in base.message
    assert (base.tip or "").startswith("did you mean ${SHOP_URL}? That one is set.")
    assert "--base-url" in (base.tip or "")  # the usual advice follows
    card = one(found, "steps[1].fill.value")
    assert (card.tip or "").startswith("did you mean ${CARD_NUMBER}?")  # found in any case
    output = refused(tmp_path, text, env=env)
    assert "${SHOP_URL}" in output and "Zq81" not in output and "4548812049400004" not in output


def test_an_unset_variable_with_no_similar_one_keeps_the_plain_tip(tmp_path: Path) -> None:
    text = "name: x\nbase_url: ${SHOP_URL}\nsteps: [{goto: /}]\n"
    found = one(problems(write(tmp_path, text), {"PAYMENT_TOKEN": "x"}), "base_url")
    assert found.tip == "export SHOP_URL=… before running, or pass --base-url"


# ---------------------------------------------------------------- 5. every mistake of cn_purchase


def test_every_mistake_of_an_expected_cn_purchase_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        HEAD
        + "steps: [{goto: /}]\nexpect:\n  cn_purchase:\n"
        + "    purchaseid: X1\n"  # 7
        + "    total_price: abc\n"  # 8
        + "    total_quantity: 1.5\n"  # 9
        + "    products: -1\n"  # 10
        + "    items:\n      - {nme: Keyboard, quantity: two}\n"  # 12
    )
    found = problems(write(tmp_path, text))
    where = {p.key: p.line for p in found}
    assert where == {
        "expect.cn_purchase.purchaseid": 7,
        "expect.cn_purchase.total_price": 8,
        "expect.cn_purchase.total_quantity": 9,
        "expect.cn_purchase.products": 10,
        "expect.cn_purchase.items[0].nme": 12,
        "expect.cn_purchase.items[0].quantity": 12,
    }, [p.render() for p in found]
    assert one(found, "expect.cn_purchase.purchaseid").tip == "did you mean 'purchase_id'?"
    assert one(found, "expect.cn_purchase.items[0].nme").tip == "did you mean 'name'?"
    assert "6 problems" in refused(tmp_path, text)


# ---------------------------------------------------------------- 6. YAML tags


@pytest.mark.parametrize(
    ("step", "tag", "tip"),
    [
        ("goto: !ref start_url", "!ref", '"{{start_url}}"'),
        ("goto: !env SHOP_URL", "!env", "${SHOP_URL}"),
        ("click: !!strr '#buy'", "!!strr", "did you mean !!str?"),
        ("click: !str '#buy'", "!str", "did you mean !!str?"),
        ("click: !selector '#buy'", "!selector", "quote the whole value"),
        ("click: !!python/name:os.system ''", "!!python/name:os.system", "quote the whole value"),
    ],
)
def test_a_yaml_tag_is_refused_with_its_key_and_the_supported_form(
    tmp_path: Path, step: str, tag: str, tip: str
) -> None:
    text = HEAD + f"steps:\n  - goto: /\n  - {step}\n"
    (found,) = problems(write(tmp_path, text))
    assert (found.line, found.key) == (6, "steps[1]." + step.split(":")[0])
    assert found.message == f"the tag {tag} is not used in scenarios"
    assert tip in (found.tip or "")
    assert "tip:" in refused(tmp_path, text)


def test_a_tagged_secret_is_never_repeated(tmp_path: Path) -> None:
    output = refused(tmp_path, HEAD + "secrets:\n  card: !env S3cretCard\nsteps: [{goto: /}]\n")
    assert "secrets.card" in output and "${NAME}" in output and "S3cretCard" not in output


def test_yaml_s_own_scalar_tags_still_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD + "steps:\n  - goto: /\n  - fill: {selector: '#z', value: !!str 01001}\n"
        "  - fill: {selector: '#op', value: =}\n",  # YAML 1.1 tags a bare = as !!value: text here
    )
    steps = load_scenario(path, env={}).steps
    assert [steps[1].args.value, steps[2].args.value] == ["01001", "="]


# ---------------------------------------------------------------- 7. a quote left open


def test_a_quote_never_closed_is_reported_where_it_opened(tmp_path: Path) -> None:
    text = HEAD + "steps:\n  - goto: /\n  - click: \"#pay\n  - click: '#next'\n  - goto: /done\n"
    (found,) = problems(write(tmp_path, text))
    assert (found.line, found.column, found.key) == (6, 12, "steps[1].click")
    assert "never closed" in found.message and "close the quote" in (found.tip or "")
    assert "s.yaml:6:12: steps[1].click" in refused(tmp_path, text)


def test_a_quote_left_open_in_a_flow_mapping_names_its_key(tmp_path: Path) -> None:
    text = HEAD + 'steps:\n  - goto: /\n  - fill: {selector: "#a, value: x}\n  - goto: /done\n'
    (found,) = problems(write(tmp_path, text))
    assert (found.line, found.key) == (6, "steps[1].fill.selector")


def test_a_quote_closed_by_the_next_value_s_quote_is_named_not_the_line_after(tmp_path: Path) -> None:
    text = HEAD + 'steps:\n  - goto: /\n  - click: "#pay\n  - click: "button.next"\n  - goto: /done\n'
    (found,) = problems(write(tmp_path, text))
    assert (found.line, found.key) == (6, "steps[1].click")
    assert "not closed on this line" in found.message and "line 7" in found.message


@pytest.mark.parametrize(
    ("body", "line", "key", "swallowed"),
    [
        # the next step's opening quote closes it, and `#next"` after it reads as a comment
        (
            'steps:\n  - goto: /\n  - click: "#pay\n  - click: "#next"\n  - goto: /done\n',
            6,
            "steps[1].click",
            7,
        ),
        (
            'steps:\n  - goto: /\n  - click: "#pay\n  - fill: {selector: "#a", value: x}\n',
            6,
            "steps[1].click",
            7,
        ),
        (
            "steps:\n  - pay:\n      submit: '#pay\n      hosts: [pay.test]\n"
            "      steps:\n        - click: '#auth'\n",
            6,
            "steps[0].pay.submit",
            7,
        ),
    ],
)
def test_a_quote_that_swallows_the_steps_after_it_is_refused(
    tmp_path: Path, body: str, line: int, key: str, swallowed: int
) -> None:
    (found,) = problems(write(tmp_path, HEAD + body))
    assert (found.line, found.key) == (line, key), found.render()
    assert f"line {swallowed}" in found.message and "read as part of this text" in found.message
    assert "close the quote on line" in (found.tip or "") and "`key: |`" in (found.tip or "")


def test_text_over_several_lines_still_loads(tmp_path: Path) -> None:
    # Quoted text indented under its key goes on, even where a line reads like a key (`Note: …`).
    text = (
        HEAD.replace(
            "name: A scenario\n", 'name: A scenario\ndescription: "Pays by card.\n  Note: sandbox"\n'
        )
        + "steps:\n  - goto: /\n  - fill:\n      selector: '#note'\n      value: |\n        - click: here\n"
        + '  - click: "#a,\n      #b"\n'
    )
    scenario = load_scenario(write(tmp_path, text), env={})
    assert scenario.description == "Pays by card. Note: sandbox"
    assert scenario.steps[2].args.selector == "#a, #b"
    assert scenario.steps[1].args.value == "- click: here\n"
