"""What the engine tells its callers while a run goes on: the console, the writers, the pytest plugin.

Events are plain data. The pool emits them from the thread that runs the scenario, so listeners must be
quick and thread-safe (the console's printing is).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditor.results import ScenarioResult


@dataclass(frozen=True, kw_only=True)
class ScenarioStarted:
    """An attempt of a scenario began (attempt > 1 is a retry of a failure)."""

    scenario_id: str
    name: str
    attempt: int
    attempts: int  # how many attempts the run allows (1 + --retries)


@dataclass(frozen=True, kw_only=True)
class ScenarioFinished:
    """A scenario's final result: passed, failed, errored, interrupted or not run."""

    result: ScenarioResult


@dataclass(frozen=True, kw_only=True)
class RunInterrupted:
    """Ctrl-C: running scenarios end at their next step; the others will be reported as not run."""


RunEvent = ScenarioStarted | ScenarioFinished | RunInterrupted
Listener = Callable[[RunEvent], None]


def ignore(event: RunEvent) -> None:
    """A listener that does nothing."""
