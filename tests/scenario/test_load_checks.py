"""What validate catches without a browser: references used too early, devices, and host warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.scenario.devices import device_names, object_keys
from auditor.scenario.load import load_all, load_scenarios
from tests.scenario.test_loader import VALID_HEAD, run_validate

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_references_in_the_order_they_are_filled_in_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        VALID_HEAD
        + "hosts: {shop.test: 127.0.0.1, pay.test: 127.0.0.1}\n"
        + "vars:\n  name: Ada\n  greeting: 'Hello {{name}} {{run_id}}'\n"
        + "secrets:\n  card: '{{name}}-4111'\n  again: '{{card}}'\n"
        + "steps:\n  - goto: /\n  - capture: {name: total, selector: '#t'}\n"
        + "  - fill: {selector: '#x', value: '{{total}} {{greeting}}'}\n"
        + "  - pay:\n      submit: '#pay'\n      hosts: [pay.test]\n      steps:\n"
        + "        - capture: {name: code, selector: '#code'}\n"
        + "        - fill: {selector: '#otp', value: '{{code}}'}\n"
        + "      return: {click: 'text={{code}}'}\n"
        + "  - wait_for: {text: '{{code}}'}\n"
        + "  - capture: {name: order_id, selector: '.order'}\n"
        + "expect:\n  cn_purchase: {purchase_id: '{{order_id}}', total_price: '{{total}}'}\n"
        + "  confirmation_url: '**/{{order_id}}'\n",
    )
    (loaded,) = load_scenarios(path, env={})
    assert loaded.warnings == ()


@pytest.mark.parametrize(
    ("text", "line", "fragments"),
    [
        (
            "steps:\n  - fill: {selector: '#x', value: '{{id}}'}\n  - capture: {name: id, selector: '#i'}\n",
            4,
            ["steps[0].fill.value", "{{id}} is used before the step that captures it (steps[1])"],
        ),
        (
            "steps:\n  - capture: {name: id, selector: '#i', pattern: '{{id}}'}\n",
            4,
            ["steps[0].capture", "{{id}} is used before"],
        ),
        (
            "vars:\n  a: '{{a}}'\nsteps: [{goto: /}]\n",
            4,
            ["vars.a", "{{a}} refers to itself"],
        ),
        (
            "secrets:\n  s: '{{v}}'\nsteps:\n  - capture: {name: v, selector: '#v'}\n",
            4,
            ["secrets.s", "captured by steps[0]", "before the first step"],
        ),
        (
            "vars:\n  a: '{{b}}'\nsecrets:\n  b: x\nsteps: [{goto: /}]\n",
            4,
            ["vars.a", "{{b}} is defined below a", "move b above a"],
        ),
    ],
)
def test_a_reference_used_too_early_is_a_load_error(
    tmp_path: Path, text: str, line: int, fragments: list[str]
) -> None:
    path = write(tmp_path, VALID_HEAD + text)
    status, output = run_validate(path)
    assert status == 2, output
    assert f"{path.name}:{line}" in output, output
    for fragment in fragments:
        assert fragment in output, output


def test_the_device_list_is_playwrights_own(shared_playwright: object) -> None:
    names = device_names()
    if names is None:
        pytest.skip("Playwright's device list cannot be read from this installation")
    assert names == frozenset(shared_playwright.devices)  # type: ignore[attr-defined]


def test_object_keys_reads_a_javascript_literal() -> None:
    text = 'x = {"iPhone 13": {a: [1, {b: "}"}], c: \'{\'}, plain: 1, \'single q\': (2), "esc\\"aped": {}};'
    assert object_keys(text, text.index("{")) == ["iPhone 13", "plain", "single q", 'esc"aped']


def test_a_known_device_loads_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    if device_names() is None:
        pytest.skip("Playwright's device list cannot be read from this installation")
    good = write(tmp_path, VALID_HEAD + "browser: {device: Pixel 7}\nsteps: [{goto: /}]\n", "good.yaml")
    assert load_scenarios(good, env={})[0].scenario.browser.device == "Pixel 7"
    bad = write(tmp_path, VALID_HEAD + "browser:\n  device: pixel 7\nsteps: [{goto: /}]\n", "bad.yaml")
    status, output = run_validate(bad)
    assert status == 2 and "bad.yaml:4" in output and "browser.device" in output
    assert "did you mean 'Pixel 7'" in output


def test_the_bundled_scenarios_load_without_warnings() -> None:
    loaded = load_all([ROOT / "scenarios"], env={"SHOP_URL": "http://shop.test:8000"})
    assert len(loaded) >= 20
    assert {str(s.file.name): [w.render() for w in s.warnings] for s in loaded if s.warnings} == {}


def test_host_warnings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: w\nbase_url: http://shop.test:8000\nallow_hosts: [cdn.example.test]\n"
        + "hosts:\n  shop.test: 127.0.0.1\n  cdn.example.test: 127.0.0.1\n"
        + "  eu8-api.connectif.cloud: 127.0.0.1\n"
        + "  extra.test: 127.0.0.1\n  '*.bank.test': 127.0.0.1\n  tracker.shop.test: 127.0.0.1\n"
        + "  other.test: 127.0.0.1\n"
        + "connectif:\n  hosts: ['tracker.shop.test/collect']\n"
        + "steps:\n  - goto: http://other.test/start\n"
        + "  - pay:\n      hosts: [acs.bank.test, pay.example.com]\n",
    )
    (loaded,) = load_scenarios(path, env={})
    assert [(w.key, w.line) for w in loaded.warnings] == [
        ("hosts.extra.test", 8),
        ("steps[1].pay.hosts[1]", 17),
    ]
    status, output = run_validate(path)
    assert status == 0  # warnings never change the exit status
    assert "warning:" in output and "hosts maps extra.test, which nothing in the scenario uses" in output
    assert "pay.example.com is not in hosts:" in output and "2 warning(s)" in output


def test_a_secret_whose_value_stands_in_a_host_is_a_warning_that_never_shows_the_value(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "name: s\nbase_url: http://shop.test/\nhosts: {shop.test: 127.0.0.1, sandbox.pay.test: 127.0.0.1}\n"
        "secrets:\n  pw: Sandbox\n  card: '4111111111111111'\n"
        "steps:\n  - goto: /\n  - pay:\n      submit: '#pay'\n      hosts: [sandbox.pay.test]\n"
        "      steps:\n        - fill: {selector: '#p', value: '{{pw}}'}\n",
    )
    (loaded,) = load_scenarios(path, env={})
    about = [w for w in loaded.warnings if w.key.startswith("secrets")]
    assert [w.key for w in about] == ["secrets.pw"]  # the card number stands in no name
    assert "pay.hosts[0]" in about[0].message or "hosts.sandbox.pay.test" in about[0].message
    assert all("Sandbox" not in w.render() for w in about)


def test_a_host_another_combination_of_the_matrix_uses_is_not_unused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: m\nbase_url: http://shop.test\n"
        + "hosts: {shop.test: 127.0.0.1, a.test: 127.0.0.1, b.test: 127.0.0.1, typo.test: 127.0.0.1}\n"
        + "matrix:\n  pay: [a.test, b.test]\n"
        + "steps:\n  - goto: /\n  - pay:\n      submit: '#pay'\n      hosts: ['{{pay}}']\n",
    )
    loaded = load_scenarios(path, env={})
    assert [s.matrix for s in loaded] == [{"pay": "a.test"}, {"pay": "b.test"}]
    for combination in loaded:  # each one warns about the host no combination uses, and only that one
        assert [w.key for w in combination.warnings] == ["hosts.typo.test"]
