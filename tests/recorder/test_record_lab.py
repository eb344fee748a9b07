"""`record` through every lab platform, driven over the DevTools protocol as a customer would; then the
file is validated, walked (each selector unique) and replayed with `run` (the same return and mechanism),
and no file written, nor the console, holds what was typed into a secret field.
"""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Playwright

from auditor.cli.main import cli
from auditor.lab import Lab
from auditor.lab.platforms import REGISTRY
from auditor.scenario.load import load_scenario
from auditor.scenario.model import FillStep, GotoStep, PressStep, Scenario, SelectStep

from .recording import CARDS, EMAIL, FLOWS, PAYPAL_PASSWORD, START, recording, secret_env
from .walker import walk

pytestmark = [pytest.mark.browser, pytest.mark.heavy(105)]

# what the lab's platforms do (auditor/lab/README.md): the recording must say so, and so must the replay
EXPECTED: dict[str, tuple[str, str | None]] = {
    name: ("automatic", REGISTRY[name].mechanism) for name in FLOWS
} | {"redsys": ("manual", "click"), "deadend": ("none", None)}
SIGINT_ENDS = {"mollie"}  # this recording ends with Ctrl-C instead of closing the window


def recorded_return(text: str) -> tuple[str, str | None]:
    found = re.search(r"^# recorded return: (\w+), mechanism: ([\w-]+)$", text, re.MULTILINE)
    assert found, text[:2000]
    return found.group(1), None if found.group(2) == "none" else found.group(2)


def typed_secrets(platform: str) -> list[str]:
    """What the flow typed that must never be written anywhere."""
    return [CARDS[platform]] if platform in CARDS else [PAYPAL_PASSWORD] if platform == "paypal" else []


def assert_shape(platform: str, scenario: Scenario, lab: Lab) -> None:
    """What each platform's recording must contain, beyond what every one has."""
    steps = scenario.steps
    assert isinstance(steps[0], GotoStep) and steps[0].args.url == START[platform]
    [pay] = scenario.pay_steps()
    fills = [s for s in steps if isinstance(s, FillStep) and s.args.selector == "#email"]
    assert fills and fills[-1].args.value == EMAIL  # typed key by key, written once with its final value
    assert len(fills) == (2 if platform == "paypal" else 1)  # PayPal's checkout reloads: a second form
    inner = {s.args.selector: s for s in pay.steps if hasattr(s.args, "selector")}
    if platform == "paypal":
        assert pay.popup and pay.submit is not None and pay.submit.selector == "#pay"
        assert any(isinstance(s, SelectStep) and s.args.value == "paypal" for s in steps)
        assert inner["#password"].args.value == "{{paypal_password}}"  # type: ignore[union-attr]
    elif platform == "elements":
        assert pay.submit is None and pay.hosts == ("js.stripe.test",)
        assert inner["#cardnumber"].args.frame == ("#card-element",)
        assert inner["#cardnumber"].args.value == "{{card_number}}"  # type: ignore[union-attr]
        assert "#pay" in inner  # the shop's own button finishes the in-page payment
    else:
        assert pay.submit is not None and pay.submit.selector == "#pay"
    if platform == "bank":
        assert set(pay.hosts) == {"secure.bank.test", "acs.bank.test", "challenge.issuer.test"}
        assert inner["#otp"].args.frame == ("#threeds", "#challenge-frame")
        assert inner["#submit-otp"].args.frame == ("#threeds", "#challenge-frame")
    if platform == "redsys":
        assert pay.return_.click is not None and pay.return_.click.selector == "#continue"
        assert "#continue" not in inner and inner["#otp"].args.frame == ("#challenge",)
    else:
        assert pay.return_.click is None
    if platform == "stripe":
        assert isinstance(inner["#billingName"], PressStep) and "#submit" not in inner
    if platform == "adyen":
        assert any(isinstance(s, GotoStep) and s.args.url == "/cart" for s in steps[1:])
    if platform == "mollie":
        assert inner["#status-paid"].action == "check"
    if platform == "deadend":
        assert scenario.expect.confirmation_url is None
    else:
        assert scenario.expect.confirmation_url == "/order/confirmation/*"
        assert scenario.expect.cn_purchase == {"purchase_id": "{{order_id}}", "products": 1}


@pytest.mark.parametrize("platform", list(FLOWS))
def test_record_then_replay(
    platform: str, tmp_path: Path, lab: Lab, shared_playwright: Playwright, walker_browser: Browser
) -> None:
    out = tmp_path / "scenarios" / f"recorded-{platform}.yaml"
    returned, mechanism = EXPECTED[platform]
    with recording(shared_playwright, lab, START[platform], out) as (session, _browser, page):
        FLOWS[platform](page, lab)
        if returned != "none":
            page.wait_for_url("**/order/confirmation/**")
            page.wait_for_load_state("load")
        if platform in SIGINT_ENDS:
            session.proc.send_signal(signal.SIGINT)
        else:
            page.close()  # the last window: the recording ends
        status, printed = session.finish()
    assert status == 0, printed
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert recorded_return(text) == (returned, mechanism)
    if platform in SIGINT_ENDS:
        assert "ended with Ctrl-C" in text
    env = {**os.environ, **secret_env(platform)}

    # the console: the file, the variables to set, the command that replays it
    assert f"wrote {out}" in printed
    scenario = load_scenario(out, env=env)
    for name in re.findall(r"\$\{(\w+)\}", text):
        assert f"  {name}  " in printed or f"  {name} " in printed, (name, printed)
    assert f"checkout-auditor run {out}" in printed

    # valid, as `validate` says (the commands run in this process: a Python start-up less each)
    validated = CliRunner().invoke(cli, ["validate", str(out)], env=secret_env(platform))
    assert validated.exit_code == 0, validated.output
    try:
        assert_shape(platform, scenario, lab)
    except AssertionError as exc:  # the file and the console say what the recorder saw
        raise AssertionError(f"{exc}\n--- {out.name}:\n{text}\n--- console:\n{printed}") from None

    # every selector matches exactly one element, step by step
    context = walker_browser.new_context()
    try:
        values = {**scenario.vars, **scenario.secrets}
        checked = walk(context, scenario, values, returns=returned != "none")
    finally:
        context.close()
    assert len(checked) >= 6

    # replayed, it comes back the way it was recorded
    run_dir = tmp_path / "run"
    ran = CliRunner().invoke(cli, ["run", str(out), "--out", str(run_dir)], env=secret_env(platform))
    assert ran.exit_code in (0, 1), ran.output
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    [result] = results["scenarios"]
    assert result["error"] is None, result["error"]
    assert (result["payment"]["return"], result["payment"]["mechanism"]) == (returned, mechanism)
    checks = {c["id"]: c["status"] for c in result["checks"]}
    if returned != "none":
        assert checks["confirmation.reached"] == "pass"
        assert checks["cn_purchase.consistent"] == "pass"  # the captured order id is the tag's

    # nothing typed into a secret field is in any file written, nor in what the recorder printed
    written = [out, *(p for p in run_dir.rglob("*") if p.is_file())]
    assert any(p.name == "report.html" for p in written)
    for secret in typed_secrets(platform):
        assert secret not in printed
        for path in written:
            assert secret.encode() not in path.read_bytes(), path


BUSY_PAGE = """<!doctype html><title>Busy</title><p>a page whose script is about to hold the browser's tab
<script>
  function busy() { const end = Date.now() + 6000; while (Date.now() < end) {} }
</script>
"""


def test_ctrl_c_waits_for_the_windows_to_be_read_before_writing(
    tmp_path: Path, lab: Lab, shared_playwright: Playwright
) -> None:
    """Ctrl-C interrupts the command's wait for its browser thread; the file is written only once that
    thread has read the windows, here a tab that does not answer for 6 s: the file says so."""
    out = tmp_path / "scenarios" / "busy.yaml"
    start = urlsplit(lab.add_page(BUSY_PAGE)).path
    with recording(shared_playwright, lab, start, out) as (session, _browser, page):
        page.evaluate("setTimeout(busy, 0)")  # returns at once; the tab is held from its next task
        session.proc.send_signal(signal.SIGINT)
        status, printed = session.finish()
    assert status == 0, printed
    text = out.read_text(encoding="utf-8")
    assert "ended with Ctrl-C" in text
    assert "# note: the main window did not answer within 2 s at the end" in text, text
