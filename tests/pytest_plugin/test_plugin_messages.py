"""The plugin's pure parts: failure messages, item names, how options become launch arguments."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.engine.browser import BrowserChoice
from auditor.engine.setup import prepare
from auditor.errors import AuditorError
from auditor.pytest_plugin import EVIDENCE_LIMIT, AuditSettings, _item_name, describe, failure_message
from auditor.results import CheckResult, ScenarioResult, ScenarioStatus, Screenshot, Status


def result(status: str, checks: list[CheckResult], error: str | None = None) -> ScenarioResult:
    return ScenarioResult(
        name="Card payment",
        file="scenarios/card.yaml",
        status=ScenarioStatus(status),
        error=error,
        duration_ms=1200,
        checks=checks,
        id="card",
        screenshots=[Screenshot(name="failure", file="artefacts/card/failure.jpg", at_failure=True)],
        artefacts={"trace": "artefacts/card/trace.zip"},
    )


def check(id: str, status: str, evidence: dict[str, object] | None = None) -> CheckResult:
    return CheckResult(
        id=id, status=Status(status), message=f"{id} says no", evidence=evidence or {}, remedy="fix it"
    )


def test_a_failure_lists_each_failed_check_with_compact_evidence_and_artefacts() -> None:
    message = failure_message(
        result(
            "fail",
            [
                check("payment.return", "fail", {"return": "manual", "return_ms": 412}),
                check("page.errors", "warn", {"errors": ["x"]}),
                check("cn_purchase.valid", "fail", {"total_price": "12,50"}),
                check("connectif.script", "pass"),
            ],
        ),
    )
    lines = message.splitlines()
    assert lines[0] == "2 checks failed: payment.return, cn_purchase.valid"
    assert lines[1] == "payment.return: payment.return says no"
    assert lines[2] == '  evidence: {"return":"manual","return_ms":412}'
    assert lines[3] == "  what to do: fix it"
    assert lines[4] == "cn_purchase.valid: cn_purchase.valid says no"
    assert "page.errors" not in message and "connectif.script" not in message


def test_an_error_gives_its_reason_first_and_points_at_the_artefacts() -> None:
    out = Path("/runs/audit")
    message = failure_message(result("error", [], error="step 3 (click) failed: no #pay"), out)
    assert message.splitlines()[0] == "the scenario could not be finished: step 3 (click) failed: no #pay"
    assert f"screenshot: {out / 'artefacts/card/failure.jpg'}" in message
    assert f"trace: {out / 'artefacts/card/trace.zip'} (open it with `playwright show-trace`)" in message


def test_long_evidence_is_cut_and_says_where_the_rest_is() -> None:
    evidence = {"html": "x" * (EVIDENCE_LIMIT * 2)}
    line = failure_message(result("fail", [check("cn_purchase.present", "fail", evidence)])).splitlines()[2]
    full = json.dumps(evidence, separators=(",", ":"))
    assert line.startswith("  evidence: " + full[:EVIDENCE_LIMIT] + "…")
    assert line.endswith(f"({len(full) - EVIDENCE_LIMIT} more characters in results.json)")


def test_the_report_section_shows_warnings_and_how_the_customer_came_back() -> None:
    passed = result("pass", [check("payment.return", "warn", {"return": "manual"})])
    text = describe(passed)
    assert "WARNING payment.return: payment.return says no" in text
    assert '  evidence: {"return":"manual"}' in text


def test_item_names_are_one_line_without_node_separators() -> None:
    assert _item_name("Redsys::sandbox\n  returns") == "Redsys: sandbox returns"
    assert _item_name("sendEvents([]) resends [late]") == "sendEvents(()) resends (late)"
    assert _item_name("   ") == "scenario"


def test_plugin_options_become_the_engines_run_options(tmp_path: Path) -> None:
    settings = AuditSettings(
        headed=True,
        browser_channel="chrome",
        tracing="retain-on-failure",
        video="off",
        screenshot="only-on-failure",
        retries=2,
        allow_live_payments=True,
    )
    options = prepare(settings.request(tmp_path, "run1"))
    assert options.browser == BrowserChoice(executable=None, source="--browser-channel")
    assert (options.headed, options.channel, options.retries, options.allow_live_payments) == (
        True,
        "chrome",
        2,
        True,
    )
    recording = (options.trace, options.video, options.screenshot)
    assert recording == ("retain-on-failure", "off", "only-on-failure")
    assert options.out_dir == tmp_path and options.run_id == "run1"
    remote = prepare(AuditSettings(connect="ws://127.0.0.1:1/", cdp=None).request(tmp_path, "r"))
    assert remote.connect == "ws://127.0.0.1:1/" and remote.browser is None
    assert prepare(AuditSettings(cdp="http://127.0.0.1:9222").request(tmp_path, "r")).browser is None


def test_two_ways_to_choose_the_browser_are_refused(tmp_path: Path) -> None:
    for settings, named in (
        (AuditSettings(connect="ws://x/", cdp="http://y/"), "--audit-connect and --audit-cdp"),
        (AuditSettings(browser_channel="chrome", cdp="http://y/"), "--browser-channel and --audit-cdp"),
        (AuditSettings(browser_channel="chrome", browser_path="/usr/bin/chromium"), "--browser-channel"),
    ):
        try:
            prepare(settings.request(tmp_path, "r"))
        except AuditorError as exc:
            assert named in exc.render() and "give one of them" in exc.render()
        else:
            raise AssertionError(f"{settings} was accepted")


def test_the_report_section_does_not_say_never_for_a_return_it_could_not_see() -> None:
    from auditor.results import PaymentResult

    stopped = result("error", [check("payment.return", "skip")], error="interrupted").model_copy(
        update={
            "payment": PaymentResult.model_validate(
                {"provider": "Redsys sandbox", "left_shop": True, "return": "none"}
            )
        }
    )
    text = describe(stopped)
    assert "never came back" not in text
    assert "not judged" in text, text
