"""Every output of a run from one RunResult: results.json, report.html, junit.xml, summary.md, the index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditor.reports.html import REPORT_NAME, write_html
from auditor.reports.index import RESULTS_NAME, refresh_index_if_ours
from auditor.reports.junit import write_junit
from auditor.reports.summary import STEP_SUMMARY_ENV, SUMMARY_NAME, append_step_summary, write_summary
from auditor.results import RunResult, check_writable, unwritable, write_results

JUNIT_NAME = "junit.xml"
OUTPUTS = "the run's outputs"


@dataclass(frozen=True, kw_only=True)
class OutputPaths:
    """Where a run's outputs were written."""

    results: Path
    html: Path
    junit: Path
    index: Path | None  # None: the parent folder holds an index.html this tool did not write
    summary: Path | None = None
    step_summary: Path | None = None  # $GITHUB_STEP_SUMMARY, when the summary was appended to it
    step_summary_problem: str | None = None  # why it could not be appended (the run's outputs stand)


def prepare_out_dir(out_dir: Path) -> None:
    """Make sure the outputs can be written to out_dir, before any scenario runs: a folder that cannot
    be created or written, or a folder where an output file goes, is an error naming it."""
    check_writable(out_dir, (RESULTS_NAME, REPORT_NAME, JUNIT_NAME, SUMMARY_NAME), OUTPUTS)


def write_outputs(run: RunResult, out_dir: Path) -> OutputPaths:
    """Write results.json, report.html, junit.xml and summary.md into out_dir, then refresh the index.

    The summary is also appended to $GITHUB_STEP_SUMMARY when that is set. An index.html in
    out_dir.parent that this tool did not write is left alone.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # results.json first: it is the truth the others are drawn from, and what `report` re-renders.
        results = out_dir / RESULTS_NAME
        write_results(run, results)
        html = write_html(run, out_dir)
        junit = write_junit(run, out_dir / JUNIT_NAME)
        summary = write_summary(run, out_dir)
    except OSError as exc:  # the folder changed since prepare_out_dir, or the disk is full
        raise unwritable(out_dir, exc, OUTPUTS) from None
    index = refresh_index_if_ours(out_dir.resolve().parent, current=(out_dir, run))
    step_summary, problem = None, None
    try:
        step_summary = append_step_summary(run)
    except OSError as exc:  # the CI's file, not ours: a note, never a lost run
        problem = f"could not append the summary to ${STEP_SUMMARY_ENV}: {exc.strerror or exc}"
    return OutputPaths(
        results=results,
        html=html,
        junit=junit,
        index=index,
        summary=summary,
        step_summary=step_summary,
        step_summary_problem=problem,
    )


__all__ = ["JUNIT_NAME", "OutputPaths", "prepare_out_dir", "write_outputs"]
