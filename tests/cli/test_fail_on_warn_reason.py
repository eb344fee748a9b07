"""`run --fail-on-warn`: a run whose scenarios passed with warnings says, at its end, why it exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.lab import Lab
from auditor.reports.summary import render_summary
from auditor.results import CheckResult, RunResult, ScenarioResult, ScenarioStatus, Status
from tests.cli.test_run_selection import BUNDLED, auditor


def scenario(
    name: str, *checks: tuple[str, Status], status: ScenarioStatus = ScenarioStatus.PASS
) -> ScenarioResult:
    return ScenarioResult(
        name=name,
        file=f"{name}.yaml",
        status=status,
        duration_ms=1,
        checks=[CheckResult(id=i, status=s, message=f"{i} said so") for i, s in checks],
    )


WARNED = scenario("warned", ("payment.return", Status.WARN), ("connectif.tag_present", Status.PASS))


def test_summary_says_the_run_fails_because_of_warnings() -> None:
    run = RunResult(started="2026-01-01T00:00:00+00:00", finished="", scenarios=[WARNED], fail_on_warn=True)
    text = render_summary(run)
    assert "all 1 scenario passed" not in text
    assert "1 of 1 scenario passed with warnings, which fail the run under --fail-on-warn" in text
    assert "### Fails under --fail-on-warn" in text and "payment.return said so" in text
    # without the option, warnings cost nothing and nothing is said
    assert "all 1 scenario passed" in render_summary(run.model_copy(update={"fail_on_warn": False}))


def test_summary_with_failures_names_the_warnings_as_well() -> None:
    failed = scenario("broken", ("connectif.tag_present", Status.FAIL), status=ScenarioStatus.FAIL)
    run = RunResult(started="", finished="", scenarios=[failed, WARNED], fail_on_warn=True)
    text = render_summary(run)
    assert "1 of 2 scenarios did not pass" in text
    assert "Also, 1 scenario passed with warnings, which fail the run under --fail-on-warn" in text


@pytest.mark.browser
def test_console_and_summary_say_why_a_passing_run_exits_1(tmp_path: Path, lab: Lab) -> None:
    out = tmp_path / "out"
    proc = auditor(
        "run",
        str(BUNDLED),
        "-k",
        "redsys-manual-return-allowed",
        "--var",
        f"SHOP_URL={lab.url('shop.test').rstrip('/')}",
        "--fail-on-warn",
        "--out",
        str(out),
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    counts = next(i for i, line in enumerate(lines) if "1 passed, 0 failed, 0 errored" in line)
    reason = " ".join(lines[counts + 1 :])
    assert "The run fails (exit 1) because 1 scenario passed with warnings under --fail-on-warn" in reason
    assert "payment.return" in reason
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "all 1 scenario passed" not in summary
    assert "passed with warnings, which fail the run under --fail-on-warn" in summary
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["fail_on_warn"] is True
