"""junit.xml: one test case per scenario, one failure per failed check, for CI viewers."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from auditor.errors import ErrorKind
from auditor.reports import view
from auditor.results import RunResult, ScenarioResult, ScenarioStatus, Status, write_atomic

SUITE_NAME = "checkout-auditor"
# XML 1.0 forbids most control characters (even escaped) and lone surrogates; a shop's text can hold them.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: Any) -> str:
    """Text that any XML 1.0 parser accepts."""
    return _ILLEGAL.sub("\ufffd", str(text))


def _seconds(ms: int | None) -> str:
    return f"{(ms or 0) / 1000:.3f}"


def _classname(scenario: ScenarioResult) -> str:
    stem = Path(scenario.file).stem if scenario.file else ""
    return clean(stem or (scenario.tags[0] if scenario.tags else "scenarios"))


def _evidence_text(evidence: dict[str, Any]) -> str:
    return json.dumps(evidence, indent=2, ensure_ascii=False, default=str) if evidence else ""


def case_names(scenarios: list[ScenarioResult]) -> list[str]:
    """Each scenario's test case name, unique within its class: a repeated one gets ` (2)`, ` (3)`…

    CI viewers key test cases by class and name, so two cases that share both (a matrix whose
    `include` repeats a combination, two files with the same stem and name) would show as one.
    """
    names: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for scenario in scenarios:
        key = (_classname(scenario), clean(scenario.name))
        seen[key] = seen.get(key, 0) + 1
        names.append(key[1] if seen[key] == 1 else f"{key[1]} ({seen[key]})")
    return names


def _never_ran(scenario: ScenarioResult, run: RunResult) -> bool:
    """A scenario Ctrl-C kept from starting: a skipped case, not an error found in the shop."""
    return run.interrupted and scenario.error_kind is ErrorKind.NOT_RUN


def _testcase(scenario: ScenarioResult, name: str, never_ran: bool = False) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=_classname(scenario),
        name=name,
        time=_seconds(scenario.duration_ms),
        file=clean(scenario.file),
    )
    properties = {
        "flaky": "true" if scenario.flaky else None,
        "attempts": str(scenario.attempts) if scenario.attempts > 1 else None,
        "return": view.return_short(scenario.payment, not_judged=view.return_not_judged(scenario))
        if scenario.payment
        else None,
        "tags": ", ".join(scenario.tags) or None,
        # a matrix combination's values, one property each (`matrix.device` = `iPhone 13`)
        **{f"matrix.{key}": label for key, label in scenario.matrix.items()},
    }
    if any(properties.values()):
        props = ET.SubElement(case, "properties")
        for key, value in properties.items():
            if value is not None:
                ET.SubElement(props, "property", name=key, value=clean(value))
    if never_ran:
        ET.SubElement(case, "skipped", message=clean(scenario.error or "not run: the run was interrupted"))
    elif scenario.status is ScenarioStatus.ERROR:
        error = ET.SubElement(
            case, "error", message=clean(scenario.error or "the scenario could not be finished"), type="error"
        )
        advice = f"\nWhat to do: {scenario.error_kind.advice}" if scenario.error_kind else ""
        error.text = clean((scenario.error or "") + advice)
    for check in scenario.checks:
        if check.status is Status.FAIL:
            failure = ET.SubElement(
                case, "failure", message=clean(f"{check.id}: {check.message}"), type=clean(check.id)
            )
            body = [check.message]
            if check.remedy:
                body.append(f"What to do: {check.remedy}")
            if check.evidence:
                body.append("Evidence:\n" + _evidence_text(check.evidence))
            failure.text = clean("\n".join(body))
    if _all_skipped(scenario):
        ET.SubElement(case, "skipped", message="every check was skipped")
    out = _system_out(scenario)
    if out:
        ET.SubElement(case, "system-out").text = clean(out)
    return case


def _all_skipped(scenario: ScenarioResult) -> bool:
    return (
        scenario.status is ScenarioStatus.PASS
        and bool(scenario.checks)
        and all(c.status is Status.SKIP for c in scenario.checks)
    )


def _system_out(scenario: ScenarioResult) -> str:
    lines: list[str] = []
    if scenario.error and scenario.status is not ScenarioStatus.ERROR:
        lines.append(f"error: {scenario.error}")
    if scenario.flaky:
        lines.append(f"FLAKY: failed, then passed on a retry ({scenario.attempts} attempts)")
    for check in scenario.checks:
        if check.status is Status.WARN:
            lines.append(f"WARNING {check.id}: {check.message}")
    if scenario.payment is not None:
        not_judged = view.return_not_judged(scenario)
        lines.append(f"payment: {view.return_sentence(scenario.payment, not_judged=not_judged)}")
    connectif = view.connectif_api_sentence(scenario)
    if connectif is not None:
        lines.append(f"connectif api: {connectif}")
    return "\n".join(lines)


def build_junit(run: RunResult) -> ET.Element:
    """The <testsuites> element with the run's one <testsuite>."""
    names = case_names(run.scenarios)
    cases = [_testcase(s, name, _never_ran(s, run)) for s, name in zip(run.scenarios, names, strict=True)]
    never = sum(1 for s in run.scenarios if _never_ran(s, run))
    counts = {
        "tests": str(len(run.scenarios)),
        "failures": str(sum(1 for s in run.scenarios if s.status is ScenarioStatus.FAIL)),
        "errors": str(sum(1 for s in run.scenarios if s.status is ScenarioStatus.ERROR) - never),
        "skipped": str(sum(1 for s in run.scenarios if _all_skipped(s)) + never),
    }
    run_ms = view.run_duration_ms(run)
    total = _seconds(run_ms if run_ms is not None else sum(s.duration_ms for s in run.scenarios))
    root = ET.Element("testsuites", {"name": SUITE_NAME, "time": total, **counts})
    suite = ET.SubElement(
        root, "testsuite", {"name": SUITE_NAME, "timestamp": clean(run.started), "time": total, **counts}
    )
    suite.extend(cases)
    return root


def render_junit(run: RunResult) -> str:
    """junit.xml text."""
    root = build_junit(run)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(run: RunResult, path: Path) -> Path:
    """Write junit.xml atomically and return its path."""
    write_atomic(path, render_junit(run))
    return path
