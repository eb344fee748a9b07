"""Console output with rich: errors, progress, summaries."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from auditor.errors import AuditorError, InputError

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
    err_console.print(Text("error: ", style="bold red") + Text(exc.headline, style="bold"))
    err_console.print(body, soft_wrap=True, end="")
