"""reports/index.html: the runs in a folder, so a person sees the history at a glance.

A chart of passed / failed / errored per run over time (an inline SVG the template draws from the
values here), each scenario's last verdicts as a row of marks linked to each run's report, and the
runs newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from pydantic import TypeAdapter

from auditor import __version__
from auditor.compare import scenario_key
from auditor.errors import AuditorError, ErrorKind
from auditor.reports import view
from auditor.reports.html import REPORT_NAME, csp, environment
from auditor.results import RunResult, ScenarioStatus, read_results, write_atomic

INDEX_NAME = "index.html"
RESULTS_NAME = "results.json"
GENERATOR = '<meta name="generator" content="checkout-auditor'  # how our own index.html is recognised
CHART_RUNS = 40  # bars in the chart: on a phone, more would be thinner than a finger can tell apart
HISTORY_RUNS = 20  # marks per scenario


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """One scenario in one run, as the history shows it."""

    file: str
    name: str
    status: str  # pass | fail | error
    flaky: bool
    anchor: str  # the scenario's section in that run's report


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
    # Interrupted (Ctrl-C): how many scenarios never ran or were cut short; None when not interrupted.
    # They are in neither `counts` nor `failing`: they say nothing about the shop. (No default: a
    # cache written before this field existed does not validate, and is rebuilt.)
    unfinished: int | None
    problem: str | None = None  # why the results could not be read
    verdicts: tuple[Verdict, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Bar:
    """One run in the chart: a stack of passed (bottom), failed and errored, in SVG user units."""

    entry: RunEntry
    x: float
    width: float
    segments: list[tuple[str, float, float]]  # (status, y, height): the template draws one rect each
    label: str


@dataclass(frozen=True, kw_only=True)
class Chart:
    """The runs over time, oldest on the left; the SVG stretches to the page's width."""

    bars: list[Bar]
    width: int
    height: int
    top: int  # the largest number of scenarios in a charted run: the height of the tallest bar
    first: str
    last: str
    omitted: int  # older runs left out of the chart


@dataclass(frozen=True, kw_only=True)
class Mark:
    """One mark of a scenario's history: its verdict in one run, or absent from it."""

    status: str | None  # None: the scenario was not in that run
    flaky: bool
    href: str | None
    title: str


@dataclass(frozen=True, kw_only=True)
class HistoryRow:
    """A scenario and its verdicts in the last runs, oldest first."""

    name: str
    file: str
    latest: str | None
    marks: list[Mark]


def _moment(iso: str, fallback: float) -> datetime:
    try:
        moment = datetime.fromisoformat(iso)
    except (ValueError, TypeError):
        return datetime.fromtimestamp(fallback, UTC)
    # Naive times cannot be compared with aware ones; the runner writes UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _entry(folder: Path, run: RunResult | None = None) -> RunEntry:
    """A run folder's entry, from its results.json (or from `run`, its results already in memory)."""
    results = folder / RESULTS_NAME
    mtime = results.stat().st_mtime
    href = f"{quote(folder.name)}/{REPORT_NAME}" if (folder / REPORT_NAME).is_file() else None
    try:
        run = run if run is not None else read_results(results)
    except AuditorError as exc:
        return RunEntry(
            folder=folder.name,
            href=href,
            sort_key=_moment("", mtime),
            started="",
            duration_ms=None,
            counts={},
            failing=[],
            unfinished=None,
            problem=exc.headline,
        )
    counts = view.summary_counts(run)
    cut = view.interruption(run)
    unfinished = {ErrorKind.NOT_RUN, ErrorKind.INTERRUPTED} if cut is not None else set()
    if cut is not None:  # what finished: the scenarios Ctrl-C stopped are counted apart
        counts = {**counts, "pass": cut.passed, "fail": cut.failed, "error": cut.errored}
    return RunEntry(
        folder=folder.name,
        href=href,
        sort_key=_moment(run.started, mtime),
        started=run.started,
        duration_ms=view.run_duration_ms(run),
        counts=counts,
        failing=[
            s.name
            for s in run.scenarios
            if s.status is not ScenarioStatus.PASS and s.error_kind not in unfinished
        ],
        unfinished=cut.unfinished if cut is not None else None,
        verdicts=tuple(
            Verdict(file=s.file, name=s.name, status=s.status.value, flaky=s.flaky, anchor=a)
            for s, a in zip(run.scenarios, view.anchor_ids(run.scenarios), strict=True)
        ),
    )


_CACHE_NAME = ".index-entries.json"  # each run folder's entry, so a refresh reads only new results
_CACHE = TypeAdapter(dict[str, tuple[int, int, RunEntry]])  # folder → (mtime_ns, size, entry)


def _load_cache(reports_root: Path) -> dict[str, tuple[int, int, RunEntry]]:
    try:
        return _CACHE.validate_json((reports_root / _CACHE_NAME).read_bytes())
    except (OSError, ValueError):  # absent, unreadable or from another version: rebuilt below
        return {}


def run_entries(reports_root: Path, current: tuple[Path, RunResult] | None = None) -> list[RunEntry]:
    """Every subfolder holding a results.json, newest first.

    Entries come from a cache beside the index when a folder's results.json has not changed since,
    and `current` (a run folder and its results, just written) from memory: a refresh after a run
    reads no results.json but the ones it has not seen.
    """
    cache = _load_cache(reports_root)
    fresh: dict[str, tuple[int, int, RunEntry]] = {}
    now_folder, now_run = current if current is not None else (None, None)
    for folder in reports_root.iterdir():
        results = folder / RESULTS_NAME
        if not folder.is_dir() or not results.is_file():
            continue
        stat = results.stat()
        known = cache.get(folder.name)
        if now_folder is not None and folder.resolve() == now_folder.resolve():
            entry = _entry(folder, now_run)
        elif known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
            entry = known[2]
        else:
            entry = _entry(folder)
        fresh[folder.name] = (stat.st_mtime_ns, stat.st_size, entry)
    if fresh != cache:
        try:
            write_atomic(reports_root / _CACHE_NAME, _CACHE.dump_json(fresh))
        except OSError:
            pass  # a cache is only a shortcut: the index is right without it
    return sorted((e for _, _, e in fresh.values()), key=lambda e: (e.sort_key, e.folder), reverse=True)


def _counts_words(entry: RunEntry) -> str:
    if entry.problem:
        return f"{entry.folder}: unreadable ({entry.problem})"
    c = entry.counts
    cut = f"; interrupted, {entry.unfinished} not finished" if entry.unfinished is not None else ""
    return (
        f"{entry.folder}, {view.fmt_time(entry.started)}: "
        f"{c.get('pass', 0)} passed, {c.get('fail', 0)} failed, {c.get('error', 0)} errored{cut}"
    )


def chart(runs: list[RunEntry]) -> Chart | None:
    """The chart's bars for the newest CHART_RUNS runs (runs are newest first); None without runs."""
    if not runs:
        return None
    shown = list(reversed(runs[:CHART_RUNS]))  # oldest on the left, as time reads
    height, step, gap = 100, 10, 2
    top = max((sum(e.counts.get(k, 0) for k in ("pass", "fail", "error")) for e in shown), default=0)
    bars = []
    for i, entry in enumerate(shown):
        segments: list[tuple[str, float, float]] = []
        if entry.problem:
            segments.append(("unreadable", 0.0, float(height)))
        else:
            y = float(height)
            for status in ("pass", "fail", "error"):
                n = entry.counts.get(status, 0)
                if n and top:
                    h = height * n / top
                    y -= h
                    segments.append((status, round(max(y, 0.0), 3), round(h, 3)))
            if not segments:
                segments.append(("empty", height - 1.0, 1.0))  # a run with no scenarios: a stub, not a gap
        bars.append(
            Bar(
                entry=entry,
                x=i * step + gap / 2,
                width=step - gap,
                segments=segments,
                label=_counts_words(entry),
            )
        )
    return Chart(
        bars=bars,
        width=len(shown) * step,
        height=height,
        top=top,
        first=shown[0].started,
        last=shown[-1].started,
        omitted=max(0, len(runs) - CHART_RUNS),
    )


def history(runs: list[RunEntry]) -> tuple[list[RunEntry], list[HistoryRow]]:
    """Every scenario of the newest HISTORY_RUNS runs with its verdict in each, oldest first.

    Rows: scenarios whose latest verdict is not a pass first, then by name.
    """
    shown = [e for e in reversed(runs[:HISTORY_RUNS]) if not e.problem]
    keys: dict[tuple[str, str], None] = {}
    per_run: list[dict[tuple[str, str], Verdict]] = []
    for entry in shown:
        found = {scenario_key(v.file, v.name): v for v in entry.verdicts}
        per_run.append(found)
        for key in found:
            keys.setdefault(key, None)
    rows = []
    for key in keys:
        marks = []
        latest: str | None = None
        for entry, found in zip(shown, per_run, strict=True):
            verdict = found.get(key)
            if verdict is None:
                marks.append(
                    Mark(status=None, flaky=False, href=None, title=f"{entry.folder}: not in this run")
                )
                continue
            latest = verdict.status
            word = "flaky" if verdict.flaky else verdict.status
            href = f"{entry.href}#{verdict.anchor}" if entry.href else None
            marks.append(
                Mark(status=verdict.status, flaky=verdict.flaky, href=href, title=f"{entry.folder}: {word}")
            )
        rows.append(HistoryRow(name=key[1], file=key[0], latest=latest, marks=marks))
    rows.sort(key=lambda r: (r.latest == "pass", r.name.lower(), r.file))
    return shown, rows


def render_index(reports_root: Path, current: tuple[Path, RunResult] | None = None) -> str:
    """index.html's text."""
    runs = run_entries(reports_root, current) if reports_root.is_dir() else []
    history_runs, history_rows = history(runs)
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            runs=runs,
            chart=chart(runs),
            history_runs=history_runs,
            history_rows=history_rows,
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


def refresh_index_if_ours(reports_root: Path, current: tuple[Path, RunResult] | None = None) -> Path | None:
    """Refresh the index unless reports_root holds an index.html this tool did not write."""
    return refresh_index(reports_root, current) if is_ours(reports_root / INDEX_NAME) else None


def refresh_index(reports_root: Path, current: tuple[Path, RunResult] | None = None) -> Path:
    """Rewrite reports_root/index.html from the run folders in it (`current`: one of them, in memory)."""
    path = reports_root / INDEX_NAME
    write_atomic(path, render_index(reports_root, current))
    return path
