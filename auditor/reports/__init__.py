"""The writers: results.json, report.html, junit.xml, summary.md, the console and the reports folder's index.

The names below are imported on first use: the console (which every command uses) must not pay for the
HTML report's templates and models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.reports.outputs import JUNIT_NAME, OutputPaths, write_outputs

__all__ = ["JUNIT_NAME", "OutputPaths", "write_outputs"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from auditor.reports import outputs

        return getattr(outputs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
