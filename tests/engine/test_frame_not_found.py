"""A step's `frame:` that matches no iframe is named as such, never blamed on the element selector inside it.

Each case runs the real command line against the lab: a misspelt frame, a misspelt inner frame of a
nested pair, and a frame of an element that is in the page itself. The error names the frame selector,
the step's line and the iframes the page does have. An iframe's address is shown without its query,
which may carry keys; a `frame:` selector takes `{{name}}` as any selector does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.lab import Lab
from tests.engine.test_scenario_mistakes import BANK, ELEMENTS, STRIPE, audit, check, line_of, statuses, write

pytestmark = [pytest.mark.browser, pytest.mark.heavy(20)]


@pytest.mark.parametrize(
    ("text", "old", "new", "place", "said", "tips"),
    [
        (
            ELEMENTS,
            '{frame: "#card-element", selector: "#cardnumber"',
            '{frame: "#card-elemnt", selector: "#cardnumber"',
            "steps[6].pay.steps[0] (fill",
            '`frame: "#card-elemnt"` matches no iframe on the page within 2s, so no visible element matches '
            "'#cardnumber' in it",
            [
                'an element that matches is inside the iframe #card-element: use `frame: "#card-element"`',
                'the iframes in the page: #card-element (name "__privateStripeFrame", http://js.stripe.test:',
            ],
        ),
        (
            BANK,
            '{frame: ["#threeds", "#challenge-frame"], selector: "#otp"',
            '{frame: ["#threeds", "#challenge"], selector: "#otp"',
            "steps[6].pay.steps[2] (fill",
            '\'#challenge\' (of `frame: ["#threeds", "#challenge"]`) matches no iframe inside the iframe '
            "#threeds within 2s",
            [
                'use `frame: ["#threeds", "#challenge-frame"]`',
                "the iframes in the iframe #threeds: #challenge-frame (http://challenge.issuer.test:",
            ],
        ),
        (
            STRIPE,
            'fill: {selector: "#email"',
            'fill: {frame: "#checkout-frame", selector: "#email"',
            "steps[5] (fill",
            '`frame: "#checkout-frame"` matches no iframe on the page within 2s',
            ["it is in the page itself, not in that frame: remove `frame:`", "the page has no iframe"],
        ),
    ],
)
def test_a_frame_that_matches_no_iframe_is_named_with_the_iframes_there_are(
    tmp_path: Path, lab: Lab, text: str, old: str, new: str, place: str, said: str, tips: list[str]
) -> None:
    path = write(tmp_path, "frame", text, (old, new), ("  step: 10s", "  step: 2s"))
    _, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "error" and got["error_kind"] == "step-failed", got["error"]
    where = f"{place}, {path}:{line_of(path, new)})"
    assert got["error"].startswith(where), got["error"]
    assert said in got["error"], got["error"]
    for tip in tips:
        assert tip in got["error"], got["error"]
    assert "?key=" not in got["error"]  # an iframe's query (a publishable key) is never shown
    assert "fail" not in statuses(got).values()  # nothing blames the shop


def test_an_optional_step_skipped_for_a_missing_frame_says_so(tmp_path: Path, lab: Lab) -> None:
    path = write(
        tmp_path,
        "optional",
        STRIPE,
        (
            '  - fill: {selector: "#email", value: "{{email}}"}',
            '  - fill: {selector: "#email", value: "{{email}}"}\n'
            '  - click: {frame: "#newsletter", selector: "#no-thanks", optional: true, timeout: 500ms}',
        ),
    )
    _, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    skipped = next(s for s in got["steps"] if s["target"] == "#no-thanks")
    assert skipped["status"] == "skipped"
    assert '`frame: "#newsletter"` matches no iframe on the page' in skipped["message"], skipped["message"]
    assert got["status"] == "pass"  # optional: the scenario goes on as it allows


def test_an_element_in_an_iframe_without_a_name_is_placed_by_its_address_without_the_query(
    tmp_path: Path, lab: Lab
) -> None:
    inner = lab.add_page('<input id="cardnumber">')
    page = lab.add_page(f'<iframe src="{inner}?key=pk_test_SECRET123#token=tok_SECRET456"></iframe>')
    path = tmp_path / "nameless.yaml"
    path.write_text(
        f"name: nameless\nbase_url: ${{SHOP_URL}}\nhosts: {{shop.test: 127.0.0.1}}\ntimeouts: {{step: 2s}}\n"
        f'steps:\n  - goto: "{page}"\n  - fill: {{selector: "#cardnumber", value: "4242"}}\n',
        encoding="utf-8",
    )
    _, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "error" and got["error_kind"] == "step-failed", got["error"]
    assert (
        f"an element that matches is in an iframe at {inner}: add `frame:` with its selector" in got["error"]
    )
    assert "SECRET" not in got["error"] and "key=" not in got["error"], got["error"]


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("  js.stripe.test: 127.0.0.1\n", "", "host-unreachable"),  # the iframe's host cannot be reached
        ("hosts: [js.stripe.test]", "hosts: [js.stripe.tset]", "scenario-invalid"),  # pay.hosts misses it
    ],
)
def test_a_payment_iframe_that_stops_the_pay_step_is_named_without_its_query(
    tmp_path: Path, lab: Lab, old: str, new: str, kind: str
) -> None:
    path = write(tmp_path, "iframe", ELEMENTS, (old, new), ("  step: 10s", "  step: 2s\n  navigation: 3s"))
    _, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "error" and got["error_kind"] == kind, got["error"]
    assert "js.stripe.test" in got["error"] and "/v3/elements" in got["error"], got["error"]
    assert "pk_test_" not in got["error"] and "key=" not in got["error"], got["error"]  # the lab's key


def test_a_frame_selector_takes_vars_and_captures(tmp_path: Path, lab: Lab) -> None:
    path = write(
        tmp_path,
        "named-frame",
        ELEMENTS,
        ("vars:\n", 'vars:\n  card_frame: "#card-element"\n'),
        (
            '  - fill: {selector: "#email", value: "{{email}}"}\n',
            '  - fill: {selector: "#email", value: "{{email}}"}\n'
            '  - capture: {name: frame_id, selector: "iframe", attribute: id}\n',
        ),
        (
            '{frame: "#card-element", selector: "#cardnumber"',
            '{frame: "{{card_frame}}", selector: "#cardnumber"',
        ),
        ('{frame: "#card-element", selector: "#exp-date"', '{frame: "#{{frame_id}}", selector: "#exp-date"'),
    )
    _, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "pass", got["error"]
    left = check(got, "payment.left_shop")
    assert "Reached the payment platform at http://js.stripe.test:" in left["message"], left["message"]
    assert "pk_test_" not in left["message"] and "key=" not in left["message"]  # the iframe's query
