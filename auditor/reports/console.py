"""Console output with rich: errors, progress, summaries."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.errors import AuditorError, InputError
from auditor.scenario.refs import combination_title, without_combination

if TYPE_CHECKING:
    from auditor.engine.doctor import Finding
    from auditor.engine.events import RunEvent
    from auditor.reports import OutputPaths
    from auditor.results import Baseline, RunResult, ScenarioResult
    from auditor.scenario.load import LoadedScenario

# Where no terminal gives a width (a CI log, `| tee`), rich would wrap at 80 columns and break paths and
# URLs in the middle; this is wider than any line the tool prints, so a line stays whole.
UNMEASURED_WIDTH = 10_000


def _console(stream: TextIO | None, *, stderr: bool = False) -> Console:
    """A console as wide as its terminal; writing elsewhere, as wide as $COLUMNS or UNMEASURED_WIDTH."""
    try:
        terminal = stream is not None and stream.isatty()
    except ValueError:  # a closed stream
        terminal = False
    # Not rich's is_terminal: FORCE_COLOR (set in many CI jobs for colours) would make it true in a log.
    # Rich itself reads $COLUMNS, and in a terminal measures it.
    wide = not terminal and not os.environ.get("COLUMNS", "").isdigit()
    # emoji=False: nothing printed here is emoji markup (what a page or a user wrote goes in as Text), and
    # rich then never loads its emoji table at start-up.
    return Console(stderr=stderr, width=UNMEASURED_WIDTH if wide else None, highlight=False, emoji=False)


err_console = _console(sys.stderr, stderr=True)
out_console = _console(sys.stdout)


def print_error(exc: AuditorError) -> None:
    """Show a tool error as a panel: headline, located problems, tips."""
    body = Text()
    if isinstance(exc, InputError):
        for problem in exc.problems:
            body.append(problem.where(), style="bold")
            body.append(": ")
            if problem.key:
                body.append(problem.key, style="cyan")
                body.append(": ")
            body.append(problem.message + "\n")
            if problem.tip:
                body.append("    tip: ", style="yellow")
                body.append(problem.tip + "\n")
    else:
        for detail in exc.details:
            body.append(detail + "\n")
        if exc.tip:
            body.append("tip: ", style="yellow")
            body.append(exc.tip + "\n")
    # No panel: a bordered box would wrap file paths mid-name in narrow CI logs.
    err_console.print(Text("error: ", style="bold red") + Text(exc.headline, style="bold"), soft_wrap=True)
    err_console.print(body, soft_wrap=True, end="")


def print_findings(findings: Sequence[Finding]) -> None:
    """The doctor's report: one line per finding, ok or the fix."""
    for finding in findings:
        mark = Text("ok  ", style="green") if finding.ok else Text("FAIL", style="bold red")
        line = mark + Text(f" {finding.label}: ", style="bold") + Text(finding.detail)
        out_console.print(line, soft_wrap=True)
        if finding.fix:
            out_console.print(Text("      fix: ", style="yellow") + Text(finding.fix), soft_wrap=True)


def print_validation(loaded: Sequence[LoadedScenario]) -> None:
    """`validate`'s report: each file (with its matrix's combinations), then its warnings."""
    by_file: dict[str, list[LoadedScenario]] = {}
    for item in loaded:
        by_file.setdefault(str(item.file), []).append(item)
    warned = 0
    for file, items in by_file.items():
        first = items[0]
        # Text, not markup: file names and scenario names may hold brackets.
        line = Text("ok", style="green") + Text(f"  {file}  ")
        if first.matrix:
            # A name that uses a matrix value differs from one combination to the next: then each
            # combination is listed by its whole name, not by what follows the first one's.
            bases = {without_combination(item.scenario.name, item.matrix) for item in items}
            base = bases.pop() if len(bases) == 1 else ""
            if base:
                line += Text(base, style="dim") + Text("  ")
            out_console.print(line + Text(f"({len(items)} combinations)"), soft_wrap=True)
            for item in items:
                title = combination_title(item.matrix) if base else item.scenario.name
                out_console.print(Text(f"      {title}  ") + Text(item.id, style="dim"), soft_wrap=True)
        else:
            out_console.print(line + Text(first.scenario.name, style="dim"), soft_wrap=True)
        shown: set[tuple[str, str, str]] = set()
        for item in items:
            for warning in item.warnings:
                if (warning.where(), warning.key, warning.message) in shown:
                    continue  # the same for every combination: once
                shown.add((warning.where(), warning.key, warning.message))
                warned += 1
                text = (
                    Text("warning: ", style="bold yellow") + Text(warning.where(), style="bold") + Text(": ")
                )
                if warning.key:
                    text += Text(warning.key, style="cyan") + Text(": ")
                text += Text(warning.message)
                if warning.tip:
                    text += Text("\n    tip: ", style="yellow") + Text(warning.tip)
                out_console.print(text, soft_wrap=True)
    summary = f"{len(loaded)} scenario(s) valid"
    if len(by_file) != len(loaded):
        summary += f" ({len(by_file)} file(s))"
    if warned:
        summary += f", {warned} warning(s)"
    out_console.print(Text(summary))


STATUS_STYLE = {"pass": "green", "fail": "bold red", "error": "bold magenta", "warn": "yellow", "skip": "dim"}


class RunProgress:
    """One line per finished scenario while a run goes on, and a line for each retry.

    It listens to the engine's events, which arrive from worker threads: counting is under a lock.
    """

    def __init__(self) -> None:
        self.total = 0
        self.finished = 0
        self._lock = threading.Lock()

    def start(self, scenarios: Sequence[LoadedScenario]) -> None:
        self.total = len(scenarios)
        out_console.print(Text(f"running {self.total} scenario(s)…"))

    def event(self, event: RunEvent) -> None:
        """Print what the engine reports: retries, finished scenarios, Ctrl-C."""
        from auditor.engine.events import RunInterrupted, ScenarioFinished, ScenarioStarted

        if isinstance(event, ScenarioStarted) and event.attempt > 1:
            line = Text("retry ", style="yellow") + Text(f"attempt {event.attempt} of {event.attempts}: ")
            out_console.print(line + Text(event.name), soft_wrap=True)
        elif isinstance(event, ScenarioFinished):
            self.result(event.result)
        elif isinstance(event, RunInterrupted):
            out_console.print(
                Text(
                    "stopping: running scenarios end at their next step; the rest are not run", style="yellow"
                )
            )

    def result(self, result: ScenarioResult) -> None:
        """The line of one finished scenario."""
        with self._lock:
            self.finished += 1
            number = self.finished
        status = result.status.value
        if result.flaky:
            status = "warn"  # passed only on a retry: shown, never as a plain pass
        line = Text(f"[{number}/{self.total}] ") + Text(f"{status.upper():5}", style=STATUS_STYLE[status])
        line += Text(f" {result.name}  ") + Text(f"{result.duration_ms / 1000:.1f}s", style="dim")
        if result.attempts > 1:
            line += Text(f"  (attempt {result.attempts})", style="dim")
        out_console.print(line, soft_wrap=True)
        connectif = _connectif_api_words(result)
        if connectif is not None:
            out_console.print(Text("      ") + connectif, soft_wrap=True)


def _connectif_api_words(result: ScenarioResult) -> Text | None:
    """One short line on what Connectif's API said; None when it was not asked."""
    api = result.connectif_api
    if api is None:
        return None
    asked = len(api.lookups)
    lookups = f"{asked} lookup{'s' if asked != 1 else ''}"
    label = Text("Connectif API: ", style="dim")
    if api.error:
        status = next((x.status for x in reversed(api.lookups) if x.status is not None), None)
        if status in (401, 403):
            return label + Text(f"the key was refused (HTTP {status})", style="magenta")
        why = f" (last answer HTTP {status})" if status is not None else ""
        return label + Text(f"no usable answer{why}", style="magenta")
    if api.purchase is not None:
        found = (api.found_ms or 0) / 1000
        return (
            label + Text(f"{api.purchase_id} stored", style="green") + Text(f" (at {found:.1f}s, {lookups})")
        )
    last = (api.lookups[-1].at_ms if api.lookups else 0) / 1000
    return (
        label
        + Text(f"{api.purchase_id} not stored", style="yellow")
        + Text(f" ({lookups}, last at {last:.1f}s)")
    )


def _return_words(result: ScenarioResult) -> str:
    from auditor.reports.view import return_not_judged

    payment = result.payment
    if payment is None:
        return "-"
    # An error on the way stops the scenario before its return is seen: "never" would blame the platform.
    not_judged = return_not_judged(result)
    if not payment.left_shop:
        return "not judged (stopped before the platform)" if not_judged else "never left the shop"
    if payment.return_ == "automatic":
        return f"automatic ({payment.mechanism})"
    if payment.return_ == "manual":
        return "only by a click"
    return "not judged (stopped on the platform)" if not_judged else "never came back"


CHANGE_LABELS = {
    "new-failure": ("NEW FAILURE", "bold red"),
    "still-failing": ("STILL FAILING", "red"),
    "fixed": ("FIXED", "bold green"),
    "new": ("NEW", "cyan"),
    "unchanged": ("UNCHANGED", "dim"),
}


def print_changes(baseline: Baseline) -> None:
    """What changed against the baseline, worst first; unchanged scenarios are only counted."""
    from auditor.compare import counts

    tally = counts(baseline)
    words = ", ".join(f"{n} {kind.value.replace('-', ' ')}" for kind, n in tally.items() if n)
    out_console.print(
        Text("changes since ", style="bold") + Text(baseline.file) + Text(f": {words or 'no scenarios'}"),
        soft_wrap=True,
    )
    for change in baseline.changes:
        if change.change.value == "unchanged":
            continue
        label, style = CHANGE_LABELS[change.change.value]
        was = change.was.value if change.was else "—"
        line = Text(f"  {label:13}", style=style) + Text(f" {change.name}  ")
        line += Text(f"{was} → {change.now.value}", style="dim")
        out_console.print(line, soft_wrap=True)
    if baseline.not_run:
        names = "; ".join(n.name for n in baseline.not_run[:10])
        more = f" and {len(baseline.not_run) - 10} more" if len(baseline.not_run) > 10 else ""
        out_console.print(
            Text(f"  not run this time ({len(baseline.not_run)}): {names}{more}", style="dim"), soft_wrap=True
        )


def print_warning(message: str) -> None:
    """A problem that costs the run nothing (a webhook that failed, a CI file that could not be written)."""
    err_console.print(Text("warning: ", style="bold yellow") + Text(message), soft_wrap=True)


def print_note(message: str) -> None:
    """A line of information after the run."""
    out_console.print(Text(message), soft_wrap=True)


# A matrix cell's status in words: a verdict, or (Ctrl-C stopped the run) why it has none, as the
# report's matrix table says it.
MATRIX_WORDS = {
    "pass": "passed",
    "fail": "failed",
    "error": "errored",
    "not-run": "not run",
    "interrupted": "interrupted",
}


def print_matrices(run: RunResult) -> None:
    """One line per matrix of the run: its name, its combinations' verdicts and those left unfinished,
    the ones that did not pass named (an unfinished one marked "not run" or "interrupted")."""
    from auditor.reports.matrix import UNFINISHED, matrix_groups

    for group in matrix_groups(run):
        line = Text("matrix ", style="bold") + Text(f"{group.name}: ")
        for i, (status, count) in enumerate(group.tally + group.unfinished):
            style = STATUS_STYLE.get(status, "yellow")  # unfinished: the colour of "not finished"
            line += Text(", " if i else "") + Text(f"{count} {MATRIX_WORDS[status]}", style=style)
        bad = [
            (f"{MATRIX_WORDS[cell.status]}: " if cell.status in UNFINISHED.values() else "")
            + cell.name.removeprefix(group.name).strip()
            for row in group.rows
            for cells in row.cells
            for cell in cells
            if cell.status != "pass"
        ]
        if bad:
            line += Text(" (" + "; ".join(bad) + ")")
        out_console.print(line, soft_wrap=True)


def print_summary(run: RunResult, paths: OutputPaths) -> None:
    """What changed (with a baseline), the table at the end of a run, and where the outputs are."""
    if run.baseline is not None:
        print_changes(run.baseline)
    table = Table(show_lines=False, header_style="bold", expand=False)
    table.add_column("status")
    table.add_column("scenario", overflow="fold")
    table.add_column("return")
    table.add_column("failed checks", overflow="fold")
    table.add_column("time", justify="right")
    for result in run.scenarios:
        status = result.status.value
        failed = [c.id for c in result.checks if c.status.value == "fail"]
        warned = [c.id for c in result.checks if c.status.value == "warn"]
        detail = ", ".join(failed) or ("(warn: " + ", ".join(warned) + ")" if warned else "")
        if result.error:
            detail = (detail + "; " if detail else "") + result.error
        label = (
            Text("FLAKY", style="yellow")
            if result.flaky
            else Text(status.upper(), style=STATUS_STYLE[status])
        )
        table.add_row(  # Text, not str: a str cell is read as rich markup, and names may hold brackets
            label,
            Text(result.name),
            Text(_return_words(result)),
            Text(detail),
            Text(f"{result.duration_ms / 1000:.1f}s"),
        )
    if run.scenarios:  # an empty shard prints its counts, not an empty table
        out_console.print(table)
    print_matrices(run)
    counts = run.counts()
    flaky = sum(1 for s in run.scenarios if s.flaky)
    if flaky:
        out_console.print(Text(f"{flaky} flaky: failed first, passed on a retry", style="yellow"))
    from auditor.reports.view import interruption

    cut = interruption(run)
    if cut is not None:  # the scenarios Ctrl-C kept from finishing are not errors found in the shop
        counts = {"pass": cut.passed, "fail": cut.failed, "error": cut.errored}
        unfinished = cut.not_run + cut.cut_short
        out_console.print(
            Text(f"interrupted after {cut.total - unfinished} of {cut.total}: ", style="bold yellow"), end=""
        )
    out_console.print(
        Text(f"{counts['pass']} passed", style="green")
        + Text(", ")
        + Text(f"{counts['fail']} failed", style="red" if counts["fail"] else "")
        + Text(", ")
        + Text(f"{counts['error']} errored", style="magenta" if counts["error"] else "")
        + (
            Text(f"; {cut.not_run + cut.cut_short} not finished", style="yellow")
            if cut is not None
            else Text()
        )
    )
    if run.fail_on_warn:
        from auditor.reports.summary import fail_on_warn_words

        words = fail_on_warn_words(run)
        if words is not None:  # a red CI job whose scenarios all passed must say why, under its counts
            out_console.print(Text(words[0].upper() + words[1:], style="bold yellow"), soft_wrap=True)
    for heading, path in (
        ("results: ", paths.results),
        ("junit:   ", paths.junit),
        ("summary: ", paths.summary),
        ("report:  ", paths.html),
    ):
        if path is not None:
            out_console.print(Text(heading + str(path)), soft_wrap=True)
    if paths.step_summary_problem:
        print_warning(paths.step_summary_problem)
