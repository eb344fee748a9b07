"""The tracking watch lasts timeouts.tracking, not the step timeout: a purchase sent after `step` counts.

Both pages come from the lab (lab.add_page) and send their purchase by a timer after their load, as a
tag manager does, so the purchase comes later than the step timeout and within timeouts.tracking.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.audit import audit
from auditor.engine.browser import find_browser
from auditor.engine.run import RunOptions
from auditor.lab import Lab
from auditor.lab.connectif import STORE_ID
from auditor.results import ScenarioResult
from auditor.scenario.load import load_all

pytestmark = [pytest.mark.browser, pytest.mark.heavy(10)]

TAG = (
    '<div class="cn_purchase" style="display:none"><span class="purchase_id">ORD-LATE-1</span>'
    '<span class="purchase_date">2024-09-13T10:49:31Z</span><span class="total_quantity">1</span>'
    '<span class="total_price">89.90</span><span class="payment_method">Card</span>'
    '<div class="product_basket_item"><span class="quantity">1</span><span class="price">89.90</span>'
    '<span class="url">https://shop.example/p/kb</span><span class="product_id">kb</span>'
    '<span class="name">Keyboard</span><span class="unit_price">89.90</span></div></div>'
)

# The tag is written FIRST_MS after the first view's load, AGAIN_MS after a reload's, then the page asks
# Connectif's script to read the tags again (sendEvents([])), as store plug-ins do; #state says when sent.
PAGE = """<!doctype html><html><head><title>late purchase</title></head><body><main>
<p id="state">waiting</p></main>
<script>
  var again = sessionStorage.getItem("viewed") === "1";
  sessionStorage.setItem("viewed", "1");
  function send() {
    document.querySelector("main").insertAdjacentHTML("beforeend", TAG_HTML);
    window.connectif.managed.sendEvents([]).then(function () {
      document.getElementById("state").textContent = "sent";
    });
  }
  function whenReady() {
    if (window.connectif && window.connectif.managed && window.connectif.managed.isInitialized()) {
      send();
    } else {
      document.addEventListener("connectif.managed.initialized", send, {once: true});
    }
  }
  window.addEventListener("load", function () { setTimeout(whenReady, again ? AGAIN_MS : FIRST_MS); });
</script>
<script src="SCRIPT_URL"></script>
</body></html>
"""


def late_page(lab: Lab, first_ms: int, again_ms: int) -> str:
    html = (
        PAGE.replace("TAG_HTML", json.dumps(TAG))
        .replace("FIRST_MS", str(first_ms))
        .replace("AGAIN_MS", str(again_ms))
        .replace("SCRIPT_URL", lab.connectif.script_url(STORE_ID))
    )
    return lab.add_page(html)


def run(tmp_path: Path, lab: Lab, name: str, body: str) -> ScenarioResult:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nbase_url: {lab.url('shop.test').rstrip('/')}\nhosts: {json.dumps(lab.hosts)}\n{body}",
        encoding="utf-8",
    )
    run_result = audit(load_all([path]), RunOptions(browser=find_browser(), out_dir=tmp_path / "out"))
    return run_result.run.scenarios[0]


def purchases_at(result: ScenarioResult) -> list[int]:
    """When each purchase event was sent, in ms since the start (connectif.purchase_sent's evidence)."""
    sent = next(c for c in result.checks if c.id == "connectif.purchase_sent")
    return [int(p["at_ms"]) for p in sent.evidence["purchase_events"]]


def test_a_purchase_sent_after_the_step_timeout_but_within_tracking_is_seen(tmp_path: Path, lab: Lab) -> None:
    # The purchase comes 2 s after the load: after `step` (1 s), before `tracking` (3 s) has passed.
    url = late_page(lab, first_ms=2000, again_ms=2000)
    result = run(
        tmp_path,
        lab,
        "late-purchase",
        "timeouts: {step: 1s, navigation: 10s, tracking: 3s, scenario: 30s}\n"
        f"steps:\n  - goto: {url}\n"
        "expect:\n  cn_purchase: {purchase_id: ORD-LATE-1}\n",
    )
    assert result.error is None, result.error
    checks = {c.id: c for c in result.checks}
    sent = checks["connectif.purchase_sent"]
    assert sent.status.value == "pass", sent.message
    [at_ms] = purchases_at(result)
    loaded = next(s.ended_ms for s in result.steps if s.action == "goto")
    assert at_ms - loaded >= 1000  # later than the step timeout: the old watch had ended by then
    # It never waits longer than it needs to: the watch ends with the purchase's answer, not at 3 s.
    assert result.duration_ms - at_ms < 1500, (result.duration_ms, at_ms)


def test_a_duplicate_sent_after_the_step_timeout_of_a_reload_is_counted(tmp_path: Path, lab: Lab) -> None:
    # The first view sends at once; the reloaded one 2.5 s after its load: after `step` (1 s) and after
    # what the old watches (the reload's, then the page's own) covered together, within `tracking` (4 s).
    url = late_page(lab, first_ms=0, again_ms=2500)
    result = run(
        tmp_path,
        lab,
        "late-duplicate",
        "timeouts: {step: 1s, navigation: 10s, tracking: 4s, scenario: 30s}\n"
        f"steps:\n  - goto: {url}\n  - wait_for: {{text: sent}}\n  - reload: true\n"
        "expect:\n  cn_purchase: {purchase_id: ORD-LATE-1}\n  connectif: {duplicates: fail}\n",
    )
    assert result.error is None, result.error
    times = purchases_at(result)
    assert len(times) == 2, f"the reloaded page's purchase was not seen: {times}"
    again = times[1]
    reloaded = next(s.started_ms for s in result.steps if s.action == "reload")
    assert again - reloaded >= 2000  # well after the step timeout (1 s) after the reload
    sent = next(c for c in result.checks if c.id == "connectif.purchase_sent")
    assert sent.status.value == "fail", sent.message
    assert (
        "2 times (in 2 request(s)" in sent.message and "(expect.connectif.duplicates: fail)" in sent.message
    )
    reload = next(s for s in result.steps if s.action == "reload")
    assert "1 purchase event(s) carrying" in (reload.message or ""), reload.message
