"""The writers: results.json, report.html, junit.xml and the reports folder's index, from one RunResult."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditor.reports.html import write_html
from auditor.reports.index import RESULTS_NAME, refresh_index_if_ours
from auditor.reports.junit import write_junit
from auditor.results import RunResult, write_results

JUNIT_NAME = "junit.xml"


@dataclass(frozen=True, kw_only=True)
class OutputPaths:
    """Where a run's outputs were written."""

    results: Path
    html: Path
    junit: Path
    index: Path | None  # None: the parent folder holds an index.html this tool did not write


def write_outputs(run: RunResult, out_dir: Path) -> OutputPaths:
    """Write results.json, report.html and junit.xml into out_dir, then refresh out_dir.parent's index.

    An index.html in out_dir.parent that this tool did not write is left alone.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    # results.json first: it is the truth the others are drawn from, and what `report` re-renders.
    results = out_dir / RESULTS_NAME
    write_results(run, results)
    html = write_html(run, out_dir)
    junit = write_junit(run, out_dir / JUNIT_NAME)
    index = refresh_index_if_ours(out_dir.resolve().parent)
    return OutputPaths(results=results, html=html, junit=junit, index=index)


__all__ = ["JUNIT_NAME", "OutputPaths", "write_outputs"]
