"""reports/index.html: the runs in a folder, newest first, so a person sees the history at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from auditor import __version__
from auditor.errors import AuditorError
from auditor.reports import view
from auditor.reports.html import REPORT_NAME, csp, environment
from auditor.results import RunResult, ScenarioStatus, read_results, write_atomic

INDEX_NAME = "index.html"
RESULTS_NAME = "results.json"
GENERATOR = '<meta name="generator" content="checkout-auditor'  # how our own index.html is recognised


@dataclass(frozen=True, kw_only=True)
class RunEntry:
    """One run folder as the index lists it."""

    folder: str
    href: str | None  # relative link to its report.html, when there is one
    sort_key: datetime
    started: str
    duration_ms: int | None
    counts: dict[str, int]
    failing: list[str]  # names of the scenarios that did not pass
    problem: str | None = None  # why the results could not be read


def _moment(iso: str, fallback: float) -> datetime:
    try:
        moment = datetime.fromisoformat(iso)
    except (ValueError, TypeError):
        return datetime.fromtimestamp(fallback, UTC)
    # Naive times cannot be compared with aware ones; the runner writes UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _entry(folder: Path) -> RunEntry:
    results = folder / RESULTS_NAME
    mtime = results.stat().st_mtime
    href = f"{quote(folder.name)}/{REPORT_NAME}" if (folder / REPORT_NAME).is_file() else None
    try:
        run: RunResult = read_results(results)
    except AuditorError as exc:
        return RunEntry(
            folder=folder.name,
            href=href,
            sort_key=_moment("", mtime),
            started="",
            duration_ms=None,
            counts={},
            failing=[],
            problem=exc.headline,
        )
    return RunEntry(
        folder=folder.name,
        href=href,
        sort_key=_moment(run.started, mtime),
        started=run.started,
        duration_ms=view.run_duration_ms(run),
        counts=view.summary_counts(run),
        failing=[s.name for s in run.scenarios if s.status is not ScenarioStatus.PASS],
    )


def run_entries(reports_root: Path) -> list[RunEntry]:
    """Every subfolder holding a results.json, newest first."""
    entries = [
        _entry(folder)
        for folder in reports_root.iterdir()
        if folder.is_dir() and (folder / RESULTS_NAME).is_file()
    ]
    return sorted(entries, key=lambda e: (e.sort_key, e.folder), reverse=True)


def render_index(reports_root: Path) -> str:
    """index.html's text."""
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            runs=run_entries(reports_root) if reports_root.is_dir() else [],
            csp=csp(None),
            version=__version__,
        )
    )


def is_ours(path: Path) -> bool:
    """True when path is absent or an index this tool wrote (never overwrite someone else's index.html)."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            head = handle.read(2048)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return GENERATOR in head


def refresh_index_if_ours(reports_root: Path) -> Path | None:
    """Refresh the index unless reports_root holds an index.html this tool did not write."""
    return refresh_index(reports_root) if is_ours(reports_root / INDEX_NAME) else None


def refresh_index(reports_root: Path) -> Path:
    """Rewrite reports_root/index.html from the run folders in it."""
    path = reports_root / INDEX_NAME
    write_atomic(path, render_index(reports_root))
    return path
