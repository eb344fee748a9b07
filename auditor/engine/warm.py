"""Workers whose Playwright starts before the run needs it.

`run` spends its first second importing the engine and loading the scenarios; Playwright's driver takes
about half a second to start and Chromium a third of a second to launch, both mostly outside this
interpreter. A warm worker does both meanwhile: it starts the driver at once and launches a browser as
soon as it is told which one (the host mapping is known once the scenarios are loaded).

Playwright's sync API belongs to the thread that started it, so the warm thread is the worker itself:
the pool hands it the work it would have given a thread of its own (engine/executor.py). This module
imports nothing heavy; Playwright is imported inside the thread.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from auditor.cache import cache_driver_code
from auditor.engine.browser import LaunchPlan
from auditor.errors import first_line

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright


class Work(Protocol):
    """What a pool gives a worker thread: a loop to run in its Playwright, or the news that it has none."""

    def run(self, playwright: Playwright, prelaunched: dict[LaunchPlan, Browser]) -> None: ...
    def failed(self, reason: str) -> None: ...


@dataclass(frozen=True)
class _Discard:
    """Nothing to do after all: stop Playwright (closing what was launched ahead) and end."""


class WorkerThread(threading.Thread):
    """One thread with its own Playwright, started at once; it runs the Work it is given later.

    Before the work comes it launches the browsers it is asked to (`prelaunch`); the work receives
    them and owns them from then on. A Playwright that cannot start is reported to the work
    (`failure`), never raised.
    """

    def __init__(self, number: int):
        super().__init__(daemon=True, name=f"checkout-auditor-worker-{number}")
        self.failure: str | None = None  # why this worker cannot run (its Playwright did not start)
        self._orders: queue.SimpleQueue[LaunchPlan | Work | _Discard] = queue.SimpleQueue()
        self._given = False

    def prelaunch(self, plan: LaunchPlan) -> None:
        """Launch this browser as soon as Playwright is up (a failure is left to the first scenario)."""
        self._orders.put(plan)

    def give(self, work: Work) -> None:
        """The loop to run; a worker takes one, once."""
        if self._given:
            raise RuntimeError("this worker already has its work")
        self._given = True
        self._orders.put(work)

    def discard(self) -> None:
        """Not needed: end without running anything."""
        if not self._given:
            self._given = True
            self._orders.put(_Discard())

    def run(self) -> None:
        work: Work | None = None  # set once taken, and then run at once
        try:
            cache_driver_code()
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                prelaunched: dict[LaunchPlan, Browser] = {}
                try:
                    work = self._take(playwright, prelaunched)
                    if work is not None:
                        work.run(playwright, prelaunched)
                finally:
                    close_browsers(prelaunched.values())  # what the work did not take (or no work came)
        except Exception as exc:  # Playwright's driver failed to start, or died
            self.failure = f"{type(exc).__name__}: {first_line(exc)}"
            if work is None:  # it never ran: it still learns why, once it comes
                work = self._take(None, {})
                if work is not None:
                    work.failed(self.failure)

    def _take(self, playwright: Playwright | None, prelaunched: dict[LaunchPlan, Browser]) -> Work | None:
        """Launch what is asked until the work (or a discard) comes."""
        while True:
            order = self._orders.get()
            if isinstance(order, _Discard):
                return None
            if isinstance(order, LaunchPlan):
                if playwright is not None and order not in prelaunched:
                    _launch_into(playwright, order, prelaunched)
                continue
            return order


def _launch_into(playwright: Playwright, plan: LaunchPlan, into: dict[LaunchPlan, Browser]) -> None:
    from playwright.sync_api import Error as PlaywrightError

    try:
        into[plan] = plan.launch(playwright.chromium)
    except PlaywrightError:
        return  # the first scenario launches it again and reports why it cannot


def close_browsers(browsers: Iterable[Browser]) -> None:
    """Close browsers, ignoring those already gone (a crash, a disconnected remote)."""
    from playwright.sync_api import Error as PlaywrightError

    for browser in list(browsers):
        try:
            browser.close()
        except PlaywrightError:
            pass


def end_workers(workers: Iterable[WorkerThread], timeout: float = 15.0) -> None:
    """Discard workers that have no work (those that have keep it) and wait, up to `timeout` for all,
    until each has ended: stopped its Playwright and closed what it launched ahead. Waiting matters:
    a thread still inside Playwright while the interpreter shuts down can crash it (SIGSEGV)."""
    workers = list(workers)
    deadline = time.monotonic() + timeout
    for thread in workers:
        thread.discard()
    for thread in workers:
        thread.join(max(0.0, deadline - time.monotonic()))


def use_processes(workers: int) -> bool:
    """Processes pay off from two workers on; one worker runs in this process (nothing to spread)."""
    return workers > 1 and os.environ.get("AUDITOR_WORKER_THREADS") != "1"


class WarmStart:
    """Worker threads started before the run is set up, for a run whose workers are threads."""

    def __init__(self, workers: int):
        self.threads = [WorkerThread(n) for n in range(1, workers + 1)]
        self._discarded: list[WorkerThread] = []
        for thread in self.threads:
            thread.start()

    @classmethod
    def begin(cls, workers: int) -> WarmStart | None:
        """Warm workers for a run with this many, or None when the run's workers will be processes
        (those are forked from a process with no other thread, which a warm thread would prevent)."""
        if use_processes(workers):
            return None
        # Imported here, not in the threads: the driver is spawned the moment a thread starts, instead
        # of after an import that this thread's own imports would slow down (they share one GIL).
        import playwright.sync_api  # noqa: F401

        return cls(workers)

    def prelaunch(self, plan: LaunchPlan | None) -> None:
        """Each warm worker launches this browser ahead (nothing for a remote browser)."""
        if plan is None:
            return
        for thread in self.threads:
            thread.prelaunch(plan)

    def take(self, count: int) -> list[WorkerThread]:
        """Up to `count` warm workers for a pool; the others are discarded."""
        taken, rest = self.threads[:count], self.threads[count:]
        for thread in rest:
            thread.discard()
        self._discarded.extend(rest)
        self.threads = []
        return taken

    def discard(self) -> None:
        """The run did not happen (bad options, Ctrl-C): the workers not taken end."""
        self.take(0)

    def close(self, timeout: float = 15.0) -> None:
        """Discard the workers not taken, and wait until every discarded one has ended (which can take
        a second for one still starting; end_workers says why waiting matters)."""
        self.take(0)
        end_workers(self._discarded, timeout)


__all__ = ["WarmStart", "Work", "WorkerThread", "close_browsers", "end_workers", "use_processes"]
