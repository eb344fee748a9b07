"""Workers as processes: each runs the engine's own pool of one (its Playwright, its browser) off this
interpreter, so the auditor's Python work per scenario (event handlers, DevTools events, page reads) is
not serialised by one GIL.

The parent keeps the WorkerPool interface (submit → future, interrupt, alive), feeds jobs through one
queue that every worker takes from when it is free, and hears back events and results on another. A
worker ignores SIGINT and starts a session of its own (a terminal's Ctrl-C reaches the whole foreground
process group, and would kill the worker's Playwright driver, which then closes its browsers, before the
parent had told the worker to stop): the parent decides, and tells the workers through a shared event;
they end their scenarios at the next step, as threads do. Nothing is left behind by that: a worker whose
parent dies ends its browsers and itself (watch_parent), and a worker's driver and browsers end when
their pipes to it close.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import sys
import threading
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any

from auditor.checks.judge import error_result
from auditor.engine.events import Listener, RunInterrupted, ScenarioFinished, ignore
from auditor.engine.executor import NOT_RUN, stopped_result
from auditor.engine.options import RunOptions
from auditor.engine.warm import use_processes
from auditor.errors import ErrorKind
from auditor.results import ScenarioResult
from auditor.scenario.load import LoadedScenario

_POLL_S = 0.2  # how often the parent looks at its workers while it waits for their messages
ORPHAN_GRACE_S = 3.0  # a worker whose parent died gets this long to end its scenario, then ends itself


@dataclass(frozen=True)
class _Took:
    worker: int
    job: int


@dataclass(frozen=True)
class _Done:
    job: int
    result: ScenarioResult


@dataclass(frozen=True)
class _Failed:
    worker: int
    reason: str


def _context() -> BaseContext:
    """fork where it is safe and fast (Linux, no other thread yet), else a fresh interpreter per worker."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _leave_terminal_group() -> None:
    """Start a session of its own, so that a terminal's signals to its foreground process group (Ctrl-C,
    Ctrl-Z) reach the parent alone and not this worker's Playwright driver, whose own SIGINT handling
    would close the worker's browsers before the parent has told the worker to stop (Playwright already
    starts each Chromium in a session of its own). The parent's orderly shutdown ends them instead."""
    if hasattr(os, "setsid"):
        try:
            os.setsid()
        except OSError:  # already a process group leader: nothing to leave
            pass


def _reply(messages: Any, job: int) -> Any:
    """A future's callback that sends its result back to the parent, with the job's number."""

    def send(future: concurrent.futures.Future[ScenarioResult]) -> None:
        messages.put(_Done(job=job, result=future.result()))

    return send


def _worker_main(
    number: int,
    options: RunOptions,
    shared_hosts: dict[str, str] | None,
    jobs: Any,
    messages: Any,
    stopped: Any,
) -> None:
    """A worker process: take a job whenever its own pool can start one, send back what happens."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _leave_terminal_group()
    from auditor.engine.executor import WorkerPool

    stop = threading.Event()

    def watch_stop() -> None:
        stopped.wait()
        stop.set()

    def watch_parent() -> None:
        # A parent that dies without telling (SIGKILL, a crash) must not leave this worker and its browser
        # behind: stop at the next step, give the scenario a moment to close its browser, then end.
        parent = multiprocessing.parent_process()
        if parent is None:
            return
        multiprocessing.connection.wait([parent.sentinel])
        stop.set()
        concurrent.futures.wait(list(running), timeout=ORPHAN_GRACE_S)
        from auditor.engine.processes import end_browser_processes

        end_browser_processes()
        os._exit(1)

    threading.Thread(target=watch_stop, daemon=True).start()
    threading.Thread(target=watch_parent, daemon=True).start()

    def send(event: object) -> None:
        if not isinstance(event, ScenarioFinished):  # results travel as _Done, with their job number
            messages.put(event)

    running: set[concurrent.futures.Future[ScenarioResult]] = set()
    pool = WorkerPool(options, workers=1, stop=stop, listener=send, shared_hosts=shared_hosts)
    try:
        while True:
            pool.ready.acquire()
            if not pool.alive():
                reasons = "; ".join(w.failure or "" for w in pool.workers if w.failure)
                messages.put(_Failed(worker=number, reason=reasons or "its browser thread stopped"))
                return
            item = jobs.get()
            if item is None:
                return
            job, loaded = item
            messages.put(_Took(worker=number, job=job))
            future = pool.submit(loaded)
            running.add(future)
            future.add_done_callback(running.discard)
            future.add_done_callback(_reply(messages, job))
    finally:
        pool.close()
        messages.close()
        messages.join_thread()  # everything sent reaches the parent before this process ends


class ProcessPool:
    """N worker processes with the WorkerPool interface; results through futures, events to a listener."""

    def __init__(
        self,
        options: RunOptions,
        *,
        workers: int,
        stop: threading.Event | None = None,
        listener: Listener = ignore,
        shared_hosts: dict[str, str] | None = None,
    ):
        self.options = options
        self.stop = stop or threading.Event()
        self.listener = listener
        ctx = _context()
        self._jobs: Any = ctx.Queue()
        self._messages: Any = ctx.Queue()
        self._stopped = ctx.Event()
        self._futures: dict[int, tuple[LoadedScenario, concurrent.futures.Future[ScenarioResult]]] = {}
        self._in_flight: dict[int, int] = {}  # worker number → job number
        self._failures: dict[int, str] = {}
        self._lock = threading.Lock()
        self._next = 0
        self._closed = False
        self._told = False  # listeners have heard of the interruption
        self.processes = [
            ctx.Process(  # type: ignore[attr-defined]
                target=_worker_main,
                args=(n, options, shared_hosts, self._jobs, self._messages, self._stopped),
                name=f"checkout-auditor-worker-{n}",
                daemon=True,
            )
            for n in range(1, max(1, workers) + 1)
        ]
        for process in self.processes:
            process.start()
        self._reader = threading.Thread(target=self._read, name="checkout-auditor-results", daemon=True)
        self._reader.start()
        # Ctrl-C sets `stop` in a signal handler: the workers hear of it at once, not at the next look of
        # wait_all, so that none takes another job meanwhile (it would be recorded as interrupted).
        threading.Thread(target=self._pass_on_stop, name="checkout-auditor-stop", daemon=True).start()

    def _pass_on_stop(self) -> None:
        while not self.stop.wait(_POLL_S):  # returns at once when set; looks at `_closed` meanwhile
            if self._closed:
                return
        self._stopped.set()

    # ------------------------------------------------------------ the WorkerPool interface

    def submit(self, loaded: LoadedScenario) -> concurrent.futures.Future[ScenarioResult]:
        """Queue a scenario; its future gets the result (never an exception)."""
        future: concurrent.futures.Future[ScenarioResult] = concurrent.futures.Future()
        with self._lock:
            self._next += 1
            number = self._next
            self._futures[number] = (loaded, future)
        if self.stop.is_set():
            self._finish(number, None)
        elif not self.alive():
            self._finish(number, self._no_worker_result(loaded))
        else:
            self._jobs.put((number, loaded))
        return future

    def alive(self) -> bool:
        """Is any worker process still able to run scenarios?"""
        return any(p.is_alive() and n not in self._failures for n, p in enumerate(self.processes, 1))

    def interrupt(self) -> None:
        """Ctrl-C: running scenarios stop at their next step; queued ones are answered as not run."""
        if not self._told:
            self._told = True
            self.stop.set()
            self._stopped.set()
            self.listener(RunInterrupted())
        self._drain(lambda loaded: None)

    def abandon(self) -> None:
        """No worker is left: answer every queued scenario with the reason."""
        self._drain(lambda loaded: self._no_worker_result(loaded))

    def close(self, timeout: float = 30) -> None:
        """Let the workers finish their queued jobs, close their browsers, and wait for them to end."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for _ in self.processes:
            self._jobs.put(None)
        for process in self.processes:
            process.join(timeout)
        for process in self.processes:
            if process.is_alive():  # a worker that does not end is ended (its browser with it)
                process.kill()
                process.join(5)
        self._reader.join(timeout)
        self._answer_all(lambda loaded: self._no_worker_result(loaded))

    # ------------------------------------------------------------ messages from the workers

    def _read(self) -> None:
        while True:
            try:
                message = self._messages.get(timeout=_POLL_S)
            except queue.Empty:
                if self._look_after_workers():
                    return
                continue
            except (EOFError, OSError):
                return
            if isinstance(message, _Took):
                with self._lock:
                    self._in_flight[message.worker] = message.job
            elif isinstance(message, _Done):
                with self._lock:
                    self._in_flight = {w: j for w, j in self._in_flight.items() if j != message.job}
                self._finish(message.job, message.result)
            elif isinstance(message, _Failed):
                self._failures[message.worker] = message.reason
            else:
                self.listener(message)

    def _look_after_workers(self) -> bool:
        """Answer the scenario of a worker that died; True once every worker has ended."""
        for number, process in enumerate(self.processes, 1):
            if process.is_alive() or process.exitcode is None:
                continue
            with self._lock:
                job = self._in_flight.pop(number, None)
            if job is not None:
                reason = self._failures.get(number) or f"it ended with exit code {process.exitcode}"
                loaded = self._futures[job][0]
                if self.stop.is_set():  # the run is being interrupted: that is why it stopped
                    self._finish(job, stopped_result(loaded, started=True))
                    continue
                message = f"the auditor's worker process stopped while running this scenario: {reason}"
                self._finish(job, error_result(loaded, message, ErrorKind.AUDITOR_CRASHED))
        if not self.alive():
            self._drain(lambda loaded: self._no_worker_result(loaded))
        return all(not p.is_alive() for p in self.processes)

    # ------------------------------------------------------------ answering jobs

    def _finish(self, job: int, result: ScenarioResult | None) -> None:
        loaded, future = self._futures[job]
        if future.done():
            return
        if result is None:
            result = error_result(loaded, NOT_RUN, ErrorKind.NOT_RUN)
        future.set_result(result)
        self.listener(ScenarioFinished(result=result))

    def _no_worker_result(self, loaded: LoadedScenario) -> ScenarioResult:
        if self.stop.is_set():  # workers that ended because the run is interrupted: it never started
            return stopped_result(loaded, started=False)
        reasons = sorted(set(self._failures.values()))
        why = "; ".join(reasons) or "its worker processes stopped"
        return error_result(
            loaded,
            f"the browser could not be started: Playwright failed ({why})",
            ErrorKind.BROWSER_UNAVAILABLE,
        )

    def _drain(self, answer: Any) -> None:
        """Answer every job still in the queue with `answer(loaded)` (None: not run)."""
        while True:
            try:
                item = self._jobs.get_nowait()
            except (queue.Empty, OSError, ValueError):
                return
            if item is not None:
                self._finish(item[0], answer(item[1]))

    def _answer_all(self, answer: Any) -> None:
        """After the workers ended: every job not answered yet gets `answer(loaded)`."""
        for job, (loaded, future) in list(self._futures.items()):
            if not future.done():
                self._finish(job, answer(loaded))


__all__ = ["ProcessPool", "use_processes"]
