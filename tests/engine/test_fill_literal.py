"""A `{{name}}` filled into a URL pattern is literal text: `wait_for: {url}` and `confirmation_url`, as a
`re:` regex or a glob. An order id `A+B.1` matches itself, not `AAB-1`; a value `x*` matches `x*`, not
`xyz`. Through the real command line, the lab and Chromium for `wait_for`, and the matcher both use.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.checks.urlglob import filled_pattern, literal_glob, port_url_matches, url_matches
from auditor.lab import Lab
from tests.engine.test_scenario_mistakes import audit


def scenario(tmp_path: Path, lab: Lab, name: str, steps: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nbase_url: ${{SHOP_URL}}\nhosts: {json.dumps(lab.hosts)}\n"
        "timeouts: {step: 5s, tracking: 1s}\n"
        "vars:\n  order_id: A+B.1\n  code: x*\n"
        f"steps:\n{steps}"
        "expect:\n  cn_purchase: absent\n  connectif: {script: optional, purchase_sent: optional}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.browser
@pytest.mark.heavy(20)
def test_a_value_filled_into_wait_for_url_is_literal_text(tmp_path: Path, lab: Lab) -> None:
    page = lab.add_page("<!doctype html><title>order</title><p>Your order</p>")
    wrong = '{timeout: 1s, optional: true, url: "%s"}'
    path = scenario(
        tmp_path,
        lab,
        "literal",
        # Read as syntax, `A+B.1` matches "AAB-1" and `x*` matches "xyz": the wrong orders.
        f'  - goto: "{page}?order=AAB-1&code=xyz"\n'
        f"  - wait_for: {wrong % 're:order={{order_id}}&'}\n"
        f"  - wait_for: {wrong % '**?order=*&code={{code}}'}\n"
        # ...and `A+B.1` as a regex does not match the order "A+B.1" itself (a `+` after the `A`).
        f'  - goto: "{page}?order=A+B.1&code=x*"\n'
        '  - wait_for: {url: "re:order={{order_id}}&code="}\n'
        '  - wait_for: {url: "**?order=A+B.1&code={{code}}"}\n',
    )
    _, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["error"] is None, got["error"]
    assert [s["status"] for s in got["steps"]] == ["ok", "skipped", "skipped", "ok", "ok", "ok"], got["steps"]
    waits = [s["target"] for s in got["steps"] if s["action"] == "wait_for"]
    assert waits[0] == r"re:order=A\+B\.1&" and waits[1] == r"**?order=*&code=x\*", waits


@pytest.mark.parametrize("matches", [url_matches, port_url_matches], ids=["playwright", "port"])
def test_a_filled_in_value_is_literal_in_a_regex_and_in_a_glob(matches: object) -> None:
    def match(pattern: str, value: str, url: str) -> bool:
        assert callable(matches)
        return bool(matches(filled_pattern(pattern, lambda ref: value), url, "http://shop.test/"))

    assert match("re:/order/{{id}}$", "A+B.1", "http://shop.test/order/A+B.1")
    assert not match("re:/order/{{id}}$", "A+B.1", "http://shop.test/order/AAB-1")
    assert match("re:/order/{{id}}", "(1", "http://shop.test/order/(1")  # no "missing )" error
    assert match("**/order/{{id}}", "a*b", "http://shop.test/order/a*b")
    assert not match("**/order/{{id}}", "a*b", "http://shop.test/order/aXb")
    assert match("/order/{{id}}/*", "{1,2}", "http://shop.test/order/{1,2}/ok")
    assert not match("/order/{{id}}/*", "{1,2}", "http://shop.test/order/1/ok")
    assert not match("/order/{{id}}/*", "1}", "http://shop.test/order/1/ok")  # no "unmatched '}'"
    assert match("/order/{a,{{id}}}", "x,y", "http://shop.test/order/x,y")
    assert not match("/order/{a,{{id}}}", "x,y", "http://shop.test/order/y")
    # `?` and `[` are no syntax in a URL glob: such a value is left as it is, and matches itself.
    assert match("/order?id={{id}}", "a[1]?", "http://shop.test/order?id=a[1]?")
    # The pattern's own syntax, as written, stays syntax.
    assert match("re:/order/{{id}}/\\d+$", "A.1", "http://shop.test/order/A.1/42")
    assert match("**/{{id}}/*", "A.1", "http://shop.test/x/A.1/42")


def test_filled_pattern_fills_each_name_once_and_literal_glob_escapes_only_syntax() -> None:
    known = {"{{a}}": "{{b}}", "{{b}}": "never"}
    assert filled_pattern("re:{{a}}", known.__getitem__) == r"re:\{\{b\}\}"
    assert filled_pattern("**/{{a}}", known.__getitem__) == r"**/\{\{b\}\}"
    assert literal_glob(r"a*b{c,d}\e?f[g]") == r"a\*b\{c\,d\}\\e?f[g]"
    assert filled_pattern("**/order/{{ id }}", lambda ref: "12") == "**/order/12"


@pytest.mark.parametrize(
    ("written", "value", "filled", "other"),
    [
        ("re:/order/{{order_id}}$", "A+B.1", r"re:/order/A\+B\.1$", "AAB-1"),
        ("**/order/{{order_id}}", "A*1", r"**/order/A\*1", "AB-1"),
    ],
)
def test_a_value_filled_into_confirmation_url_is_literal_text(
    tmp_path: Path, written: str, value: str, filled: str, other: str
) -> None:
    from auditor.checks.judge import resolve_expectations
    from auditor.scenario.load import load_scenario

    path = tmp_path / "c.yaml"
    path.write_text(
        "name: c\nbase_url: http://shop.test\nsteps:\n  - goto: /\n"
        "  - capture: {name: order_id, selector: '#id'}\n"
        f"expect:\n  confirmation_url: '{written}'\n",
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    expected = resolve_expectations(scenario, {"order_id": value}).confirmation_url
    assert expected == filled
    assert url_matches(expected, f"http://shop.test/order/{value}", "http://shop.test/")
    assert not url_matches(expected, f"http://shop.test/order/{other}", "http://shop.test/")
    # A name that never got a value leaves the pattern as written, for the check to say so.
    assert resolve_expectations(scenario, {}).confirmation_url == written
