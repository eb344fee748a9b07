"""The plugin's pure parts: failure messages, item names, how options become launch arguments."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.browser import BrowserChoice
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


def test_headed_channel_and_path_reach_the_launch_arguments() -> None:
    hosts = {"shop.test": "127.0.0.1"}
    plain = AuditSettings().launch_options("/usr/bin/chromium", hosts)
    assert plain["headless"] is True and plain["executable_path"] == "/usr/bin/chromium"
    assert "--host-resolver-rules=MAP shop.test 127.0.0.1" in plain["args"]
    headed = AuditSettings(headed=True, browser_channel="chrome").launch_options(None, hosts)
    assert headed["headless"] is False and headed["channel"] == "chrome" and "executable_path" not in headed
    channel = AuditSettings(browser_channel="msedge")
    assert channel.browser_choice() == BrowserChoice(executable=None, source="--browser-channel")
