"""report.html of a run interrupted by Ctrl-C: a run-level notice, and the scenarios that never ran or were
cut short are not counted as findings about the shop."""

from __future__ import annotations

from pathlib import Path

from auditor.engine.executor import NOT_RUN
from auditor.engine.run import INTERRUPTED
from auditor.errors import ErrorKind
from auditor.reports.html import write_html
from auditor.results import RunResult

from .htmltree import Node, parse
from .sample import mixed_run, scenario, write_screenshots


def interrupted_run(not_run: int = 5, interrupted: bool = True) -> RunResult:
    """The mixed run (3 passed, 2 failed, 1 errored), plus one cut short and `not_run` never started."""
    run = mixed_run()
    cut = scenario("cut", "error", checks=[], error=INTERRUPTED, error_kind=ErrorKind.INTERRUPTED)
    never = [
        scenario(
            f"never{i}",
            "error",
            checks=[],
            error=NOT_RUN,
            error_kind=ErrorKind.NOT_RUN,
            started=None,
            duration_ms=0,
            payment=None,
            timeline=[],
            steps=[],
        )
        for i in range(not_run)
    ]
    return run.model_copy(update={"scenarios": [*run.scenarios, cut, *never], "interrupted": interrupted})


def report(run: RunResult, tmp_path: Path) -> Node:
    write_screenshots(tmp_path)
    return parse(write_html(run, tmp_path).read_text(encoding="utf-8"))


def test_an_interrupted_run_says_so_first_and_how_many_never_ran(tmp_path: Path) -> None:
    doc = report(interrupted_run(), tmp_path)
    header = doc.find("header")
    notice = header.find(id="interrupted")
    assert notice.attrs["role"] == "status"
    # first thing under the title, before the run's times and numbers
    assert [n.tag for n in header.children if isinstance(n, Node)][:2] == ["h1", "div"]
    words = notice.words()
    assert "Interrupted (Ctrl-C)" in words
    assert "stopped after 6 of 12 scenarios" in words
    assert notice.find(data_count="not-run").text() == "5"
    assert "5 never ran" in words and "1 was stopped while running" in words
    assert "Run the audit again" in words
    assert "interrupted" in header.find(cls="meta").words()


def test_an_interrupted_run_does_not_count_unfinished_scenarios_as_errors(tmp_path: Path) -> None:
    doc = report(interrupted_run(), tmp_path)
    tiles = {t.attrs["data-count"]: int(t.find(cls="num").text()) for t in doc.find_all(cls="tile")}
    assert tiles == {"pass": 3, "fail": 2, "error": 1, "flaky": 1, "unfinished": 6}
    overall = doc.find(cls="overall").words()
    assert overall == "Interrupted after 6 of 12 scenarios: 3 of the 6 that finished did not pass."
    assert "9 of 12" not in doc.find("header").words()
    assert doc.find("title").words().endswith("interrupted after 6 of 12: 3 passed, 2 failed, 1 errored")
    # each scenario keeps its own verdict and says why it has none
    rows = doc.find_all("tr", cls="scenario-row")
    assert len(rows) == 12
    assert "not run" in rows[-1].find(cls="failing").words()


def test_an_interrupted_run_where_every_finished_scenario_passed(tmp_path: Path) -> None:
    run = interrupted_run(not_run=2)
    passed = [s for s in run.scenarios if s.status.value == "pass" or s.error_kind is not None]
    run = run.model_copy(update={"scenarios": [*passed[:1], *passed[-3:]]})
    doc = report(run, tmp_path)
    assert (
        doc.find(cls="overall").words()
        == "Interrupted after 1 of 4 scenarios: every finished scenario passed."
    )
    words = doc.find(id="interrupted").words()
    assert "2 never ran and 1 was stopped while running" in words


def test_a_run_interrupted_before_any_scenario_started(tmp_path: Path) -> None:
    run = interrupted_run(not_run=3)
    run = run.model_copy(update={"scenarios": run.scenarios[-3:]})
    doc = report(run, tmp_path)
    assert "3 never ran: they say nothing about the shop" in doc.find(id="interrupted").words()
    assert doc.find(cls="overall").words() == "Interrupted after 0 of 3 scenarios: none finished."


def test_the_same_scenarios_without_ctrl_c_are_counted_as_before(tmp_path: Path) -> None:
    """not-run also means a worker that stopped: without Ctrl-C it is an error like any other, and the
    report has no notice; with Ctrl-C the same scenarios are the interruption's."""
    plain = report(interrupted_run(not_run=1, interrupted=False), tmp_path)
    assert not plain.find_all(id="interrupted") and not plain.find_all(cls="tile-unfinished")
    assert plain.find(cls="overall").words() == "5 of 8 scenarios did not pass."
    stopped = report(interrupted_run(not_run=1), tmp_path)
    assert stopped.find(cls="overall").words().startswith("Interrupted after 6 of 8 scenarios")
