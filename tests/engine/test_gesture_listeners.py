"""A click on a plain element (a `<div>`, a `<span>`) after which the page never moves on: whose it is
depends on whether the page's script listens to it, as Chromium's DevTools tell.

Pages served from the lab's shop host, run by the real command line in a real Chromium: a `<div>` pay
button with a click listener of its own (the shop's), one with a pointer cursor and no listener at all
(the scenario's), one whose clicks only a React-style root or the document listens to (either), and a
scenario that ends on a click whose form the browser refused (not the confirmation page). A real button
(or role=button) that no script listens to at all is a broken button or the wrong one (either); one its
own script listens to is the shop's. DevTools that never answer (a page whose script keeps it busy) are
given up on within a deadline.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Playwright

from auditor.engine.aborts import ScenarioInvalid
from auditor.engine.browser import find_browser, launch_args
from auditor.engine.gestures import Gesture, _heard, ended_on_gesture
from auditor.engine.observe import Recorder
from auditor.lab import Lab
from auditor.scenario.model import ElementArgs
from tests.engine.test_scenario_mistakes import check, line_of, statuses
from tests.engine.test_submit_never_navigates import CHECKOUT, PAY, audited, scenario

pytestmark = [pytest.mark.browser, pytest.mark.heavy(30)]


def clicked(lab: Lab, tmp_path: Path, name: str, html: str) -> tuple[Path, dict[str, Any]]:
    """A run of: open the page, click #pay, wait for the order page that never comes."""
    page = lab.add_page(html)
    steps = f'  - goto: "{page}"\n  - click: "#pay"\n  - wait_for: {{url: "**/order/**"}}\n'
    path = scenario(tmp_path, lab, name, steps)
    return path, audited(lab, tmp_path, path)[1]


# The shop's pay button: a plain <div> (no pointer cursor), handled by its script, which never leaves.
OWN = (
    '<div class="checkout"><div id="pay">Pay</div></div>'
    "<script>document.getElementById('pay').addEventListener('click', () => { window.tried = true; });"
    "</script>"
)


def test_a_div_whose_own_listener_never_navigates_is_the_shops(tmp_path: Path, lab: Lab) -> None:
    path, got = clicked(lab, tmp_path, "own-listener", OWN)
    assert got["status"] == "error" and got["error_kind"] == "step-failed", got["error"]
    error = str(got["error"])
    assert f"after steps[1] (click, {path}:{line_of(path, 'click:')}), which started no navigation" in error
    assert (
        "'#pay', a <div> ('Pay') is handled by the page's script, which never navigated "
        "(a click listener on it)" in error
    )
    assert "did you mean" not in error and "wrong element" not in error


def test_a_span_in_a_div_with_the_listener_names_the_ancestor(tmp_path: Path, lab: Lab) -> None:
    html = (
        '<main><div class="pay-row" id="pay-row"><span id="pay">Pay now</span></div></main>'
        "<script>document.getElementById('pay-row').addEventListener('pointerdown', () => {});</script>"
    )
    _, got = clicked(lab, tmp_path, "ancestor-listener", html)
    assert got["error_kind"] == "step-failed", got["error"]
    assert (
        "'#pay', a <span> ('Pay now') is handled by the page's script, which never navigated "
        "(a pointerdown listener on its ancestor div#pay-row)" in str(got["error"])
    )


def test_a_pointer_div_no_script_listens_to_is_the_scenarios_mistake(tmp_path: Path, lab: Lab) -> None:
    # A pointer cursor alone once made this "a control the page's script handles": no script does.
    html = '<div id="pay" style="cursor: pointer">Pay</div><button id="place">Place order</button>'
    _, got = clicked(lab, tmp_path, "no-listener", html)
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    error = str(got["error"])
    assert "'#pay', a <div> ('Pay'), which is not a link, a button or a form's submit" in error
    assert "the page's submit buttons: '#place' (Place order): did you mean `click: \"#place\"`?" in error
    assert "handled by the page's script" not in error


# React 17 and later listen for every element's clicks on the root they render into; jQuery's
# `$(document).on('click', '#pay', …)` and Solid on the document.
ROOT = (
    '<div id="root"><div class="checkout"><div id="pay">Pay</div></div></div>'
    "<script>document.getElementById('root').addEventListener('click', (e) => {"
    " if (e.target.closest('#pay')) window.tried = true; });</script>"
)
DOCUMENT = (
    '<div class="checkout"><div id="pay">Pay</div></div><button id="place" type="submit">Place order</button>'
    "<script>document.addEventListener('click', (e) => { if (e.target.closest('#pay')) window.tried = 1; });"
    "</script>"
)


@pytest.mark.parametrize(
    ("html", "on"), [(ROOT, "div#root"), (DOCUMENT, "document")], ids=["react-root", "document"]
)
def test_a_div_only_a_page_wide_listener_hears_names_both_sides(
    tmp_path: Path, lab: Lab, html: str, on: str
) -> None:
    _, got = clicked(lab, tmp_path, "page-wide", html)
    # Neither side is blamed: not the scenario's mistake, and no check fails the shop.
    assert got["status"] == "error" and got["error_kind"] == "step-failed", got["error"]
    assert "fail" not in statuses(got).values()
    error = str(got["error"])
    assert (
        "'#pay', a <div> ('Pay'), which is not a link, a button or a form's submit, and the page's script "
        f"listens to clicks only page-wide (a click listener on {on}, " in error
    )
    assert (
        "either that script handles this element and never navigated (the shop's to mend), or `click` "
        "names the wrong element" in error
    )
    if on == "document":  # the page's submit button, as the one the scenario may have meant
        assert 'did you mean `click: "#place"`?' in error


def test_a_pay_submit_on_a_div_its_script_handles_fails_the_shop(tmp_path: Path, lab: Lab) -> None:
    path = scenario(tmp_path, lab, "pay-own", PAY.format(page=lab.add_page(OWN)))
    status, got = audited(lab, tmp_path, path)
    assert got["status"] == "fail", got["error"]
    left = check(got, "payment.left_shop")
    assert left["status"] == "fail"
    assert (
        "the submit started no navigation: '#pay', a <div> ('Pay') is handled by the page's script, "
        "which never navigated (a click listener on it)" in left["message"]
    )
    assert status == 1


def test_a_pay_submit_on_a_div_only_a_react_root_hears_blames_neither(tmp_path: Path, lab: Lab) -> None:
    path = scenario(tmp_path, lab, "pay-root", PAY.format(page=lab.add_page(ROOT)))
    _, got = audited(lab, tmp_path, path)
    assert got["status"] == "error" and got["error_kind"] == "step-failed", got["error"]
    error = str(got["error"])
    where = f"steps[1].pay.submit (click, {path}:{line_of(path, 'submit:')})"
    assert error.startswith(where), error
    assert (
        "the submit started no navigation: it clicked '#pay', a <div> ('Pay'), which is not a link, a "
        "button or a form's submit, and the page's script listens to clicks only page-wide (a click "
        "listener on div#root, " in error
    )
    assert "or `submit` names the wrong element" in error
    assert "fail" not in statuses(got).values()  # payment.left_shop is not judged: no remedy for the shop


def test_a_last_click_whose_form_the_browser_refused_did_not_reach_the_confirmation(
    lab: Lab, shared_playwright: Playwright
) -> None:
    html = (
        '<form action="/order/placed" method="post"><input id="email" name="email" required>'
        '<button id="pay">Pay</button></form>'
    )
    url = lab.add_page(html)
    browser = shared_playwright.chromium.launch(
        executable_path=find_browser().executable_for(headless=True), args=launch_args(lab.hosts)
    )
    try:
        page = browser.new_page()
        recorder = Recorder(started=time.monotonic(), connectif_hosts=(), intercept=False)
        recorder.attach_context(page.context)
        recorder.attach_page(page, "main")
        page.goto(url)
        args = ElementArgs(selector="#pay")

        def gesture() -> Gesture:
            before = len(recorder.navigations_of("main"))
            page.click("#pay")
            return Gesture(
                place="steps[1]",
                action="click",
                selector="#pay",
                args=args,
                page=id(page),
                navigations=before,
            )

        refused = ended_on_gesture(page, gesture(), recorder, lambda place: "last.yaml:5")
        assert isinstance(refused, ScenarioInvalid), refused
        assert str(refused).startswith(
            f"the scenario ended on its last step: the page stayed on {url} after steps[1] "
            "(click, last.yaml:5), because the browser refused to submit the form (its own form "
            "validation): #email is required and empty"
        ), refused
        assert 'add `- fill: {selector: "#email", value: …}` before steps[1]' in str(refused)
        # Filled in, the form is sent: the page it leads to is the scenario's end, whatever it is.
        page.fill("#email", "buyer@example.com")
        with page.expect_navigation():
            sent = gesture()
        assert ended_on_gesture(page, sent, recorder, lambda place: "last.yaml:5") is None
    finally:
        browser.close()


def test_a_scenario_ending_on_a_click_the_browser_refused_is_the_scenarios_mistake(
    tmp_path: Path, lab: Lab
) -> None:
    # No pay step and no step after the click: nothing else would notice that the checkout never moved
    # on, and the checkout page would be judged as the confirmation (the shop blamed for its tag).
    path = scenario(tmp_path, lab, "ends-on-refused-click", CHECKOUT + '  - click: "#pay"\n')
    status, got = audited(lab, tmp_path, path)
    assert status == 2, got
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    error = str(got["error"])
    assert error.startswith("the scenario ended on its last step: the page stayed on "), error
    line = line_of(path, 'click: "#pay"')
    assert f"after steps[4] (click, {path}:{line})" in error, error
    assert "#email is required and empty" in error and 'add `- fill: {selector: "#email"' in error
    assert {c["id"]: c["status"] for c in got["checks"]}["cn_purchase.present"] == "skip"


def either_side(got: dict[str, Any]) -> str:
    """The error of a run that blames neither side: a step failed, and no check fails the shop."""
    assert got["status"] == "error" and got["error_kind"] == "step-failed", got["error"]
    assert "fail" not in statuses(got).values()
    return str(got["error"])


BROKEN_BUTTON = '<button id="pay" type="button">Pay</button><button id="place">Place order</button>'


@pytest.mark.parametrize(
    ("html", "what"),
    [
        (BROKEN_BUTTON, "'#pay', a <button type=\"button\"> ('Pay'), a button"),
        (
            '<div id="pay" role="button" tabindex="0">Pay</div><button id="place">Place order</button>',
            "'#pay', a <div> ('Pay'), a button (role=button)",
        ),
    ],
    ids=["button", "role-button"],
)
def test_a_button_no_script_listens_to_is_broken_or_the_wrong_one(
    tmp_path: Path, lab: Lab, html: str, what: str
) -> None:
    # Once judged "handled by the page's script": no script is there to handle it.
    _, got = clicked(lab, tmp_path, "dead-button", html)
    error = either_side(got)
    assert (
        f"{what} that no script of the page listens to (no click listener on it, on the elements around "
        "it, on the document or the window), so clicking it does nothing: either the button is broken "
        "(the shop's to mend), or `click` names the wrong element; the page's submit buttons: '#place' "
        '(Place order): did you mean `click: "#place"`?' in error
    ), error
    assert "handled by the page's script" not in error


def test_a_button_its_own_script_listens_to_is_the_shops(tmp_path: Path, lab: Lab) -> None:
    html = BROKEN_BUTTON + (
        "<script>document.getElementById('pay').addEventListener('click', () => { window.tried = 1; });"
        "</script>"
    )
    _, got = clicked(lab, tmp_path, "own-button", html)
    assert got["error_kind"] == "step-failed", got["error"]
    error = str(got["error"])
    assert (
        "'#pay', a <button type=\"button\"> ('Pay') is handled by the page's script, which never "
        "navigated (a click listener on it)" in error
    ), error
    assert "did you mean" not in error and "wrong element" not in error


def test_a_button_only_the_document_listens_to_names_both_sides(tmp_path: Path, lab: Lab) -> None:
    html = BROKEN_BUTTON + (
        "<script>document.addEventListener('click', (e) => { if (e.target.closest('#pay')) window.t = 1; });"
        "</script>"
    )
    _, got = clicked(lab, tmp_path, "page-wide-button", html)
    error = either_side(got)
    assert (
        "'#pay', a <button type=\"button\"> ('Pay'), a button whose events the page's script listens to "
        "only page-wide (a click listener on document, " in error
    ), error
    assert "either that script handles this button and never navigated (the shop's to mend)" in error
    assert 'did you mean `click: "#place"`?' in error


def test_a_pay_submit_on_a_button_no_script_listens_to_blames_neither(tmp_path: Path, lab: Lab) -> None:
    path = scenario(tmp_path, lab, "pay-dead-button", PAY.format(page=lab.add_page(BROKEN_BUTTON)))
    _, got = audited(lab, tmp_path, path)
    error = either_side(got)  # payment.left_shop is not failed: the shop may not be at fault
    assert (
        "the submit started no navigation: it clicked '#pay', a <button type=\"button\"> ('Pay'), a "
        "button that no script of the page listens to" in error
    ), error
    assert "or `submit` names the wrong element" in error


def test_devtools_that_never_answer_are_given_up_on(lab: Lab, shared_playwright: Playwright) -> None:
    # A page whose script keeps its main thread busy: DevTools answers nothing until it is done.
    browser = shared_playwright.chromium.launch(
        executable_path=find_browser().executable_for(headless=True), args=launch_args(lab.hosts)
    )
    try:
        page = browser.new_page()
        page.goto(lab.add_page('<div id="pay">Pay</div>'))
        session = page.context.new_cdp_session(page)
        busy = "() => { const end = Date.now() + 8000; while (Date.now() < end); }"
        page.evaluate(f"() => {{ window.kept = [document.getElementById('pay')]; setTimeout({busy}); }}")
        started = time.monotonic()
        assert _heard(session, "kept", ("click",)) is None  # cannot say: the cursor is judged instead
        assert time.monotonic() - started < 5, "waited for the busy page instead of giving up"
    finally:
        browser.close()
