"""A platform that sends the customer back on its own, but after return.timeout, while return.click is set.

The lab's Adyen-like page returns by a timer (return_delay_ms): it comes back while the auditor waits for
the click. That is the return (automatic, later than return.timeout), never a click that went missing on
the shop's own page, and the shop's confirmation is never taken for a page before the payment.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.audit import audit
from auditor.engine.browser import find_browser
from auditor.engine.run import RunOptions
from auditor.lab import Lab
from auditor.results import ScenarioResult
from auditor.scenario.load import load_all
from tests.engine.labscenario import held_on_platform_ms

pytestmark = [pytest.mark.browser, pytest.mark.heavy(12)]

# return.timeout (300 ms) passes long before the platform's timer (1200 ms), which comes well within
# the wait for the click (the step timeout, 3 s): the lab's page has no "Volver" to click.
SCENARIO = """\
name: {name}
base_url: {base}
hosts: {hosts}
timeouts: {{step: 3s, navigation: 10s, tracking: 2s, scenario: 40s}}
steps:
  - goto: /?platform=adyen&return_delay_ms=1200
  - goto: /product/keyboard
  - click: "text=Add to cart"
  - click: "#checkout"
  - fill: {{selector: "#email", value: "buyer@example.com"}}
  - pay:
      submit: "#pay"
      hosts: [test.adyen.test]
      steps:
        - fill: {{selector: "#card-number", value: "4111111111111111"}}
        - fill: {{selector: "#expiry-date", value: "03/30"}}
        - fill: {{selector: "#security-code", value: "737"}}
        - click: "#pay-button"
      return:
        timeout: 300ms
        click: "text=Volver"
expect:
  confirmation_url: "**/order/confirmation/**"
  return: {policy}
"""


def line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def late_return(tmp_path: Path, lab: Lab, policy: str) -> tuple[Path, ScenarioResult]:
    path = tmp_path / f"late-{policy}.yaml"
    path.write_text(
        SCENARIO.format(
            name=f"late-{policy}",
            base=lab.url("shop.test").rstrip("/"),
            hosts=json.dumps(lab.hosts),
            policy=policy,
        ),
        encoding="utf-8",
    )
    run = audit(load_all([path]), RunOptions(browser=find_browser(), out_dir=tmp_path / "out"))
    return path, run.run.scenarios[0]


def test_a_late_automatic_return_while_waiting_to_click_fails_payment_return_naming_the_timeout(
    tmp_path: Path, lab: Lab
) -> None:
    path, result = late_return(tmp_path, lab, "automatic")
    assert result.error is None, result.error  # never an error about the click
    assert result.status.value == "fail"
    assert result.payment is not None
    assert result.payment.return_ == "automatic" and result.payment.mechanism == "form-get"
    # The wait for the click ended with the return, later than return.timeout, not at the step timeout.
    assert result.payment.return_ms is not None and 300 < result.payment.return_ms < 3000
    # The return was the platform's 1.2 s timer: its last page was held that long (between the commits of
    # that page and of the shop's, less 50 ms for the delivery of those events). return_ms starts at the end
    # of the last step, which can come after the timer started, so it can be shorter than the timer.
    timeline = [n.model_dump() for n in result.timeline]
    assert held_on_platform_ms(timeline, "test.adyen.test") >= 1200 - 50, timeline
    checks = {c.id: c for c in result.checks}
    back = checks["payment.return"]
    assert back.status.value == "fail", back.message
    assert "brought the customer back by itself (form-get)" in back.message
    assert "later than return.timeout (0.3 s)" in back.message and "`text=Volver`" in back.message
    where = f"{path}:{line_of(path, 'timeout: 300ms')}"
    above = f"{(result.payment.return_ms // 100) / 10:g}"  # the return's own wait, to a tenth below
    assert f"raise return.timeout above {above} s ({where})" in back.message, back.message
    assert back.evidence["late_return"]["timeout_at"] == where
    assert not [s for s in result.steps if s.status == "failed"], result.steps
    # The shop did its part: back on the confirmation, the tag and the purchase, the cart closed.
    for passed in (
        "confirmation.reached",
        "cn_purchase.present",
        "connectif.purchase_sent",
        "cn_cart.closed",
    ):
        assert checks[passed].status.value == "pass", (passed, checks[passed].message)
    cart = checks["cn_cart.closed"]
    assert cart.evidence["cart_before_payment_url"].endswith("/checkout"), cart.evidence


def test_under_manual_allowed_a_late_automatic_return_is_a_warning(tmp_path: Path, lab: Lab) -> None:
    _, result = late_return(tmp_path, lab, "manual-allowed")
    assert result.error is None, result.error
    back = next(c for c in result.checks if c.id == "payment.return")
    assert back.status.value == "warn", back.message
    assert result.status.value == "pass"  # a warning fails nothing
