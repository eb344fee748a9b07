"""Console output with rich: errors, progress, summaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.errors import AuditorError, InputError

if TYPE_CHECKING:
    from auditor.engine.doctor import Finding
    from auditor.reports import OutputPaths
    from auditor.results import RunResult, ScenarioResult
    from auditor.scenario.load import LoadedScenario

err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


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


STATUS_STYLE = {"pass": "green", "fail": "bold red", "error": "bold magenta", "warn": "yellow", "skip": "dim"}


class RunProgress:
    """One line per finished scenario while a run goes on (safe to call from worker threads)."""

    def __init__(self) -> None:
        self.total = 0
        self.finished = 0

    def start(self, scenarios: Sequence[LoadedScenario]) -> None:
        self.total = len(scenarios)
        out_console.print(Text(f"running {self.total} scenario(s)…"))

    def result(self, result: ScenarioResult) -> None:
        self.finished += 1
        status = result.status.value
        if result.flaky:
            status = "warn"  # passed only on a retry: shown, never as a plain pass
        line = Text(f"[{self.finished}/{self.total}] ") + Text(
            f"{status.upper():5}", style=STATUS_STYLE[status]
        )
        line += Text(f" {result.name}  ") + Text(f"{result.duration_ms / 1000:.1f}s", style="dim")
        out_console.print(line, soft_wrap=True)


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


def print_summary(run: RunResult, paths: OutputPaths) -> None:
    """The table at the end of a run, and where the outputs are."""
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
    out_console.print(table)
    counts = run.counts()
    flaky = sum(1 for s in run.scenarios if s.flaky)
    if flaky:
        out_console.print(Text(f"{flaky} flaky: failed first, passed on a retry", style="yellow"))
    out_console.print(
        Text(f"{counts['pass']} passed", style="green")
        + Text(", ")
        + Text(f"{counts['fail']} failed", style="red" if counts["fail"] else "")
        + Text(", ")
        + Text(f"{counts['error']} errored", style="magenta" if counts["error"] else "")
    )
    for heading, path in (
        ("results: ", paths.results),
        ("junit:   ", paths.junit),
        ("report:  ", paths.html),
    ):
        out_console.print(Text(heading + str(path)), soft_wrap=True)
