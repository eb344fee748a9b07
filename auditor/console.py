"""Console output with rich: errors, progress, summaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from auditor.errors import AuditorError, InputError

if TYPE_CHECKING:
    from auditor.doctor import Finding

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
