"""Tool errors: the auditor could not do its job (exit status 2).

Findings about the shop (a failed check) are never raised; they are results.
"""

from __future__ import annotations

from dataclasses import dataclass


class AuditorError(Exception):
    """The auditor could not audit: bad input, no browser, a bad option."""

    exit_status = 2

    def __init__(self, headline: str, *, tip: str | None = None, details: list[str] | None = None):
        super().__init__(headline)
        self.headline = headline
        self.tip = tip
        self.details = details or []

    def render(self) -> str:
        """The message a person reads: headline, details, tip."""
        lines = [self.headline, *(f"  {d}" for d in self.details)]
        if self.tip:
            lines.append(f"  tip: {self.tip}")
        return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong in an input file, located precisely."""

    file: str
    line: int | None
    column: int | None
    key: str
    message: str
    tip: str | None = None

    def where(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        return place

    def render(self) -> str:
        text = (
            f"{self.where()}: {self.key}: {self.message}" if self.key else (f"{self.where()}: {self.message}")
        )
        if self.tip:
            text += f"\n    tip: {self.tip}"
        return text


class InputError(AuditorError):
    """One or more problems in input files (scenarios, CSV exports)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        files = sorted({p.file for p in problems})
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in {', '.join(files)}")

    def render(self) -> str:
        return "\n".join([self.headline, *(p.render() for p in self.problems)])
