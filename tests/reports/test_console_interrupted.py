"""The console's last lines for a run interrupted by Ctrl-C: never-run scenarios are not "errored"."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from auditor.reports import console
from auditor.reports.junit import write_junit
from auditor.reports.outputs import OutputPaths
from auditor.reports.summary import render_summary

from .test_html_interrupted import interrupted_run
from .test_summary import render_like_github


def counts_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], interrupted: bool) -> str:
    paths = OutputPaths(
        results=tmp_path / "r.json", html=tmp_path / "r.html", junit=tmp_path / "j.xml", index=None
    )
    console.print_summary(interrupted_run(interrupted=interrupted), paths)
    return next(line for line in capsys.readouterr().out.splitlines() if " passed, " in line)


def test_an_interrupted_run_counts_finished_scenarios_and_the_rest_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # mixed_run: 3 passed, 2 failed, 1 errored; plus 1 cut short and 5 never started.
    line = counts_line(tmp_path, capsys, interrupted=True)
    assert line == "interrupted after 6 of 12: 3 passed, 2 failed, 1 errored; 6 not finished"


def test_a_run_that_was_not_interrupted_counts_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert counts_line(tmp_path, capsys, interrupted=False) == "3 passed, 2 failed, 7 errored"


def test_summary_md_of_an_interrupted_run_counts_finished_scenarios_and_the_rest_apart() -> None:
    text = render_summary(interrupted_run())
    doc = render_like_github(text)
    assert doc.find("h2").words() == (
        "Checkout audit: interrupted after 6 of 12 scenarios: 3 of the 6 that finished did not pass"
    )
    table = doc.find_all("table")[0]
    assert [c.words() for c in table.find_all("th")][-2] == "not finished"
    assert [c.words() for c in table.find_all("td")] == ["3", "2", "1", "6", "1"]
    plain = render_like_github(render_summary(interrupted_run(interrupted=False)))
    assert plain.find("h2").words() == "Checkout audit: 9 of 12 scenarios did not pass"


def test_junit_of_an_interrupted_run_skips_the_scenarios_that_never_ran(tmp_path: Path) -> None:
    root = ET.parse(write_junit(interrupted_run(), tmp_path / "junit.xml")).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    # mixed_run's one error and the one cut short stay errors; the 5 never started are skipped.
    assert (suite.get("errors"), suite.get("skipped"), suite.get("tests")) == ("2", "5", "12")
    never = [c for c in suite.findall("testcase") if c.get("name", "").startswith("Scenario never")]
    assert len(never) == 5 and all(c.find("skipped") is not None and c.find("error") is None for c in never)
    plain = ET.parse(write_junit(interrupted_run(interrupted=False), tmp_path / "j2.xml")).getroot()
    assert plain.find("testsuite").get("errors") == "7"  # type: ignore[union-attr]
