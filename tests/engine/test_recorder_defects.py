"""Defects of the recorder, each caught in a real Chromium: a popup's first request has no frame yet,
the cookies of shop pages before the payment, and a network error kept instead of chrome-error://."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Playwright

from auditor.audit import audit
from auditor.engine.browser import find_browser, launch_args
from auditor.engine.observe import Recorder
from auditor.engine.run import RunOptions
from auditor.lab import Lab
from auditor.scenario.load import load_all
from tests.engine.labscenario import stripe_scenario

pytestmark = pytest.mark.browser


def test_a_popup_whose_first_request_has_no_frame_yet_prints_no_traceback(
    shared_playwright: Playwright, lab: Lab, capfd: pytest.CaptureFixture[str]
) -> None:
    browser = shared_playwright.chromium.launch(
        executable_path=find_browser().executable_for(headless=True), args=launch_args(lab.hosts)
    )
    try:
        context = browser.new_context()
        recorder = Recorder(started=time.monotonic(), connectif_hosts=(), intercept=False)
        recorder.attach_context(context)
        page = context.new_page()
        recorder.attach_page(page, "main")
        recorder.watch_popups(context)
        # A popup whose first request is redirected (its response comes before Playwright has its
        # frame), and one whose first request fails.
        page.goto(
            lab.add_page(
                '<a id="redirected" target="_blank" href="/cart/add?product=keyboard">cart</a>'
                '<a id="nowhere" target="_blank" href="http://nowhere.test/">nowhere</a>'
            )
        )
        for link in ("#redirected", "#nowhere"):
            with context.expect_page() as opened:
                page.click(link)
            opened.value.wait_for_load_state()
        context.close()
    finally:
        browser.close()
    err = capfd.readouterr().err
    assert "Frame for this navigation request is not available" not in err
    assert "Traceback" not in err
    failed = [f for f in recorder.failed_documents if f.host == "nowhere.test"]
    assert failed and failed[0].page == "popup" and failed[0].error == "net::ERR_NAME_NOT_RESOLVED"


def test_shop_pages_before_the_payment_record_the_cookies_they_carried(tmp_path: Path, lab: Lab) -> None:
    path = stripe_scenario(tmp_path, lab, "cookies")
    result = audit(
        load_all([path]), RunOptions(browser=find_browser(), out_dir=tmp_path / "out")
    ).run.scenarios[0]
    assert result.status.value == "pass", result.error
    pay_at = next(n.at_ms for n in result.timeline if n.host == "checkout.stripe.test")
    before = [n for n in result.timeline if n.host == "shop.test" and n.at_ms < pay_at]
    # The first page sets the session cookie; every later shop page carries it, as the browser sent it.
    assert len(before) >= 3
    assert before[0].cookies_sent == []
    for nav in before[1:]:
        assert "shop_session" in nav.cookies_sent, (nav.url, nav.cookies_sent)
    after = [n for n in result.timeline if n.host == "shop.test" and n.at_ms > pay_at]
    assert after and "shop_session" in after[0].cookies_sent
