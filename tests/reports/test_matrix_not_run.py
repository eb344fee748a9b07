"""The matrix panel of a run stopped by Ctrl-C: a combination that never started or was cut short has
no verdict, and its cell says so (with the reason) instead of showing an error found in the shop."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from auditor.engine.executor import NOT_RUN
from auditor.errors import ErrorKind
from auditor.reports.html import render_html, write_html
from auditor.reports.matrix import matrix_groups
from auditor.results import RunResult

from .htmltree import parse as parse_html
from .sample import FINISHED, STARTED
from .test_layout import AXE, AXE_RUN
from .test_matrix_panel import combination

CUT = "interrupted: the run was stopped (Ctrl-C) during steps[6] (pay, scenarios/pay.yaml:22)"


def stopped_run() -> RunResult:
    """stripe × two devices, then adyen: one pass, one real error, one cut short, one never started."""
    done = combination(0, "pass", platform="stripe", device="Desktop Chrome")
    broken = combination(1, "error", platform="stripe", device="Pixel 7")
    broken = broken.model_copy(
        update={"error": "steps[2]: #pay not found", "error_kind": ErrorKind.STEP_FAILED}
    )
    cut = combination(2, "error", platform="adyen", device="Desktop Chrome").model_copy(
        update={"checks": [], "error": CUT, "error_kind": ErrorKind.INTERRUPTED}
    )
    never = combination(3, "error", platform="adyen", device="Pixel 7").model_copy(
        update={"checks": [], "error": NOT_RUN, "error_kind": ErrorKind.NOT_RUN, "duration_ms": 0}
    )
    return RunResult(
        started=STARTED, finished=FINISHED, scenarios=[done, broken, cut, never], interrupted=True
    )


def test_unfinished_combinations_have_no_verdict_in_the_grid_and_its_tally() -> None:
    [group] = matrix_groups(stopped_run())
    grid = {row.heading: [[c.status for c in cell] for cell in row.cells] for row in group.rows}
    assert grid == {"stripe": [["pass"], ["error"]], "adyen": [["interrupted"], ["not-run"]]}
    assert group.tally == [("pass", 1), ("error", 1)]  # the verdicts: only what finished
    assert group.unfinished == [("not-run", 1), ("interrupted", 1)]
    assert group.combinations == 4
    reasons = {c.status: c.reason for row in group.rows for cell in row.cells for c in cell}
    assert reasons["not-run"] == "the run was interrupted (Ctrl-C) before this scenario started"
    assert (
        reasons["interrupted"] == "the run was stopped (Ctrl-C) during steps[6] (pay, scenarios/pay.yaml:22)"
    )
    assert reasons["error"] is None and reasons["pass"] is None


def test_the_panel_shows_not_run_and_interrupted_apart_from_a_real_error(tmp_path: Path) -> None:
    panel = parse_html(render_html(stopped_run(), tmp_path)).find("section", id="matrices")
    cells = {c.attrs["data-status"]: c for c in panel.find_all("a", cls="mx-cell")}
    assert set(cells) == {"pass", "error", "interrupted", "not-run"}
    never, cut, error = cells["not-run"], cells["interrupted"], cells["error"]
    assert "ERROR" in error.words() and "b-error" in error.attrs["class"].split()
    for cell, label in ((never, "NOT RUN"), (cut, "INTERRUPTED")):
        assert label in cell.words() and "ERROR" not in cell.words()
        assert "b-error" not in cell.attrs["class"].split() and "b-skip" in cell.attrs["class"].split()
    assert never.attrs["title"].endswith(
        ": NOT RUN: the run was interrupted (Ctrl-C) before this scenario started"
    )
    assert "INTERRUPTED: the run was stopped (Ctrl-C) during steps[6]" in cut.attrs["title"]
    assert "before this scenario started" in never.find("span", cls="visually-hidden").words()
    counts = {c.attrs["data-count"]: c.text() for c in panel.find_all("span", cls="mx-count")}
    assert counts == {
        "pass": "1 passed",
        "error": "1 errored",
        "not-run": "1 not run",
        "interrupted": "1 interrupted",
    }
    assert "4 combinations" in panel.find("p", cls="mx-meta").words()


def test_an_empty_cell_says_the_combination_is_not_in_this_run(tmp_path: Path) -> None:
    run = stopped_run()
    run = run.model_copy(update={"scenarios": run.scenarios[:3]})  # adyen on Pixel 7 filtered out
    panel = parse_html(render_html(run, tmp_path)).find("section", id="matrices")
    [empty] = panel.find_all("span", cls="muted")
    assert empty.attrs["title"].startswith("no such combination in this run")
    assert "filtered out" in empty.attrs["title"] and "another shard" in empty.attrs["title"]


@pytest.mark.browser
def test_a_reader_sees_not_run_in_the_browser_and_axe_finds_nothing_serious(
    tmp_path: Path, report_browser: Browser
) -> None:
    path = write_html(stopped_run(), tmp_path)
    context = report_browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        expect(page.locator('#matrices a.mx-cell[data-status="not-run"]')).to_have_text(
            "○ NOT RUN: Card payment [platform=adyen, device=Pixel 7], the run was interrupted (Ctrl-C) "
            "before this scenario started"
        )
        never = page.locator('#matrices a.mx-cell[data-status="not-run"]')
        error = page.locator('#matrices a.mx-cell[data-status="error"]')
        colours = [cell.evaluate("(el) => getComputedStyle(el).backgroundColor") for cell in (never, error)]
        assert colours[0] != colours[1]  # not painted as an error
        if AXE.is_file():
            page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
            violations = page.evaluate(AXE_RUN)
            assert [v for v in violations if v["impact"] in ("serious", "critical")] == []
    finally:
        context.close()
