"""junit.xml, parsed back as a CI viewer would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from auditor.errors import ErrorKind
from auditor.reports.junit import clean, write_junit
from auditor.results import RunResult

from .sample import HOSTILE, check, demo_like_run, hostile_run, mixed_run, scenario


def parse(run: RunResult, tmp_path: Path) -> ET.Element:
    path = write_junit(run, tmp_path / "junit.xml")
    assert path.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.parse(path).getroot()


def test_one_suite_with_the_counts(tmp_path: Path) -> None:
    root = parse(mixed_run(), tmp_path)
    suites = root.findall("testsuite")
    assert root.tag == "testsuites" and len(suites) == 1
    suite = suites[0]
    assert {k: suite.get(k) for k in ("name", "tests", "failures", "errors", "skipped", "time")} == {
        "name": "checkout-auditor",
        "tests": "6",
        "failures": "2",
        "errors": "1",
        "skipped": "0",
        "time": "90.000",
    }
    assert suite.get("timestamp") == "2026-11-27T10:00:00+00:00"
    assert root.get("tests") == "6"


def test_one_case_per_scenario_and_one_failure_per_failed_check(tmp_path: Path) -> None:
    run = mixed_run()
    cases = parse(run, tmp_path).findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == [s.name for s in run.scenarios]
    assert cases[3].get("classname") == "card-comma"
    assert cases[3].get("time") == "6.000"
    failures = cases[3].findall("failure")
    assert [f.get("type") for f in failures] == ["cn_purchase.valid", "connectif.purchase_sent"]
    assert failures[0].get("message") == "cn_purchase.valid: total_price uses a comma"
    body = failures[0].text or ""
    assert "What to do: fix cn_purchase.valid" in body
    assert '"read_as": 180' in body
    assert cases[0].find("failure") is None and cases[0].find("error") is None


def test_errors_are_errors(tmp_path: Path) -> None:
    cases = parse(mixed_run(), tmp_path).findall("testsuite/testcase")
    error = cases[5].find("error")
    assert error is not None
    assert error.get("message") == "step 3 (click #checkout): timed out after 10 s"
    assert cases[5].find("failure") is None


def test_flaky_and_warnings_are_visible(tmp_path: Path) -> None:
    cases = parse(mixed_run(), tmp_path).findall("testsuite/testcase")
    flaky = {p.get("name"): p.get("value") for p in cases[1].findall("properties/property")}
    assert flaky["flaky"] == "true" and flaky["attempts"] == "2"
    assert "FLAKY: failed, then passed on a retry (2 attempts)" in (cases[1].findtext("system-out") or "")
    assert "WARNING page.errors: 2 script errors" in (cases[2].findtext("system-out") or "")
    assert cases[0].find("properties/property[@name='flaky']") is None


def test_all_checks_skipped_is_a_skip(tmp_path: Path) -> None:
    run = RunResult(
        started="a",
        finished="b",
        scenarios=[scenario("s", "pass", checks=[check("x", "skip"), check("y", "skip")])],
    )
    root = parse(run, tmp_path)
    assert root.find("testsuite/testcase/skipped") is not None
    assert root.find("testsuite").get("skipped") == "1"  # type: ignore[union-attr]
    assert root.find("testsuite").get("time") == "6.000"  # type: ignore[union-attr]


def test_hostile_strings_and_control_characters_survive_as_text(tmp_path: Path) -> None:
    run = hostile_run()
    control = "bell\x07 nul\x00 esc\x1b vt\x0b ok\ttab\nline"
    first = run.scenarios[0]
    bad_check = first.checks[0].model_copy(update={"message": control + HOSTILE[3]})
    run = run.model_copy(
        update={"scenarios": [first.model_copy(update={"checks": [bad_check], "name": "n\x01" + HOSTILE[0]})]}
    )
    case = parse(run, tmp_path).find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == "n\ufffd" + HOSTILE[0]
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "check " + HOSTILE[0]
    assert failure.get("message") == f"check {HOSTILE[0]}: " + clean(control + HOSTILE[3])
    assert HOSTILE[1] in (failure.text or "")
    assert (case.findtext("system-out") or "").startswith("error: error <script>")


def test_clean_keeps_tabs_newlines_and_unicode() -> None:
    assert clean("a\tb\nc\r€\x00\x1f\ud800") == "a\tb\nc\r€\ufffd\ufffd\ufffd"


def test_an_error_on_the_platform_is_not_judged_in_junit_either(tmp_path: Path) -> None:
    run = demo_like_run()
    cases = parse(run, tmp_path).findall("testsuite/testcase")
    case = cases[[s.id for s in run.scenarios].index("platform-error")]
    prop = case.find("properties/property[@name='return']")
    assert prop is not None and prop.get("value") == "not judged (stopped on the platform)"
    text = ET.tostring(case, encoding="unicode")
    assert "never came back" not in text and "not judged" in text


def test_an_error_carries_the_advice_for_its_kind(tmp_path: Path) -> None:
    run = mixed_run()
    crashed = run.scenarios[5].model_copy(update={"error_kind": ErrorKind.STEP_FAILED})
    run = run.model_copy(update={"scenarios": [*run.scenarios[:5], crashed]})
    error = parse(run, tmp_path).findall("testsuite/testcase")[5].find("error")
    assert error is not None
    assert error.get("message") == "step 3 (click #checkout): timed out after 10 s"
    assert (error.text or "").splitlines() == [
        "step 3 (click #checkout): timed out after 10 s",
        f"What to do: {ErrorKind.STEP_FAILED.advice}",
    ]
