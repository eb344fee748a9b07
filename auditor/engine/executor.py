"""Running many scenarios: one executor per worker (its Playwright, its browsers, retries), a pool of workers.

`run` and `demo` hand the pool every scenario at once; the pytest plugin hands it one scenario per test.
Either way a scenario's result comes back through its future, and events tell listeners as it happens.
"""

from __future__ import annotations

import _thread
import concurrent.futures
import contextlib
import json
import queue
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from playwright.sync_api import Browser, Playwright
from playwright.sync_api import Error as PlaywrightError

from auditor.checks.judge import error_result
from auditor.engine.browser import LaunchPlan, launch_args
from auditor.engine.browser import merged_hosts as merge_mappings
from auditor.engine.events import Listener, RunInterrupted, ScenarioFinished, ScenarioStarted, ignore
from auditor.engine.run import INTERRUPTED, Attempt, RunOptions, ScenarioRun
from auditor.engine.verdict import ask_connectif, judge_attempt, lookup_plan
from auditor.engine.warm import WarmStart, WorkerThread, close_browsers, end_workers
from auditor.errors import ErrorKind, GridError, first_line
from auditor.hosts import host_matches
from auditor.masking import mask_text, shown_url, url_secrets
from auditor.results import ScenarioResult, ScenarioStatus
from auditor.scenario.load import LoadedScenario

if TYPE_CHECKING:
    from auditor.engine.grid import GridBrowsers

NOT_RUN = "not run: the run was interrupted (Ctrl-C) before this scenario started"
# After Ctrl-C, how long running scenarios get to reach a step boundary before their browsers are ended.
INTERRUPT_GRACE_S = 3.0


# Threads that ask Connectif's API for finished attempts, per worker: lookups mostly wait (a second
# between two), so a few per worker keep up while the workers' browsers go on with the next scenarios.
FINISHERS_PER_WORKER = 4


class ScenarioExecutor:
    """Runs scenarios one at a time in one thread's Playwright, with its browsers and retries.

    A browser per host mapping (one for all when `shared_hosts` is set), a remote one with `connect` /
    `cdp`, and a failure retried up to `retries` times (a late pass is flaky, not a pass).
    """

    def __init__(
        self,
        playwright: Playwright,
        options: RunOptions,
        stop: threading.Event,
        shared_hosts: dict[str, str] | None = None,
        listener: Listener = ignore,
        prelaunched: dict[LaunchPlan, Browser] | None = None,
    ):
        self.playwright = playwright
        self.options = options
        self.stop = stop
        self.shared_hosts = shared_hosts  # one mapping for every scenario, when they agree
        self.listener = listener
        self.browsers: dict[tuple[tuple[str, str], ...], Browser] = {}
        # Launched while the run was being set up (engine/warm.py): taken by the first launch they match.
        self.prelaunched = prelaunched if prelaunched is not None else {}
        self.alone: set[str] = set()  # scenarios that need a browser of their own mapping
        # A Selenium Grid: one session per worker, created and deleted here (see engine/grid.py).
        self.grid: GridBrowsers | None = None
        if options.grid:
            from auditor.engine.grid import GridBrowsers

            self.grid = GridBrowsers(options.grid, headed=options.headed, stop=stop)

    def remote(self) -> bool:
        """Is the browser started by someone else (a browser server, a Chromium with remote debugging,
        a grid node)?"""
        return bool(self.options.cdp or self.options.connect or self.options.grid)

    def browser_for(self, hosts: Mapping[str, str]) -> tuple[Browser, tuple[str, ...]]:
        """The browser a scenario with this host mapping runs in, and the names it maps that the
        scenario does not (which the scenario's context must fail as unresolvable).

        The worker's shared browser when that is the same as a browser of the scenario's own (see
        `blocked_names`), else one of its own mapping: a scenario's verdict never depends on the others.
        """
        if self.shared_hosts is not None and not self.options.cdp:
            blocked = blocked_names(hosts, self.shared_hosts)
            if blocked is not None:
                return self.browser(self.shared_hosts), blocked
        return self.browser(hosts), ()

    def browser(self, hosts: Mapping[str, str]) -> Browser:
        """The browser for a host mapping: started, or connected to, on first use."""
        # A Chromium with remote debugging was started by someone else: one per worker, whatever the
        # mapping (its host rules are its own).
        key = () if self.options.cdp else tuple(sorted(hosts.items()))
        browser = self.browsers.get(key)
        if browser is not None and browser.is_connected():
            return browser
        chromium = self.playwright.chromium
        if self.grid is not None:
            browser = self.grid.browser(chromium, hosts)  # gives back the worker's other session first
        elif self.options.cdp:
            browser = chromium.connect_over_cdp(self.options.cdp, timeout=30_000)
        elif self.options.connect:
            # A Playwright browser server launches the browser with the options the client sends.
            headless = not self.options.headed
            launch: dict[str, Any] = {"args": launch_args(hosts, headless=headless), "headless": headless}
            executable = self.options.browser.executable_for(headless) if self.options.browser else None
            if executable:
                launch["executablePath"] = executable
            browser = chromium.connect(
                self.options.connect,
                timeout=30_000,
                headers={"x-playwright-launch-options": json.dumps(launch)},
            )
        else:
            plan = LaunchPlan.for_options(self.options, hosts)
            assert plan is not None  # not remote: checked above
            ready = self.prelaunched.pop(plan, None)
            browser = ready if ready is not None and ready.is_connected() else plan.launch(chromium)
        self.browsers[key] = browser
        return browser

    def describe(self) -> str:
        """Which browser, in words, for messages."""
        o = self.options
        if o.grid:
            return f"the Selenium Grid at {o.grid.display_url}"
        if o.cdp:
            return f"the Chromium at {shown_url(o.cdp)}"
        if o.connect:
            return f"the browser server at {shown_url(o.connect)}"
        if o.channel:
            return f"channel {o.channel}"
        return o.browser.describe() if o.browser else "Playwright's Chromium"

    def unavailable(self, loaded: LoadedScenario, exc: PlaywrightError) -> ScenarioResult:
        """The result of a scenario that found no browser to run in."""
        kind = ErrorKind.REMOTE_UNREACHABLE if self.remote() else ErrorKind.BROWSER_UNAVAILABLE
        verb = "reached" if self.remote() else "started"
        # Playwright's message may quote the address whole, token and password included.
        remote = self.options.cdp or self.options.connect or ""
        said = mask_text(first_line(exc), [remote, *url_secrets(remote)]) if remote else first_line(exc)
        message = f"the browser could not be {verb} ({self.describe()}): {said}"
        if self.options.headed and not self.remote() and "display" in str(exc).lower():
            message += "; --headed needs a display (run without --headed, or under xvfb-run)"
        return error_result(loaded, message, kind)

    def run(
        self, loaded: LoadedScenario, later: Callable[[Attempt], None] | None = None
    ) -> ScenarioResult | None:
        """Run a scenario, retrying a failure up to `retries` times; a late pass is flaky, not a pass.

        With `later` and no retries, an attempt that still has Connectif's API to ask is handed to `later`
        (which then owns its result) and None is returned, so the browser can go on with the next
        scenario. With retries the verdict decides whether to run again: the lookups happen here.
        """
        try:
            return self._attempts(loaded, later)
        except Exception as exc:  # a crash in one scenario must not lose the others
            message = f"the auditor crashed: {type(exc).__name__}: {first_line(exc)}"
            return error_result(loaded, message, ErrorKind.AUDITOR_CRASHED)

    def _attempts(
        self, loaded: LoadedScenario, later: Callable[[Attempt], None] | None = None
    ) -> ScenarioResult | None:
        result: ScenarioResult | None = None
        failed_first = False
        attempts = self.options.retries + 1
        for attempt in range(1, attempts + 1):
            self.listener(
                ScenarioStarted(
                    scenario_id=loaded.id, name=loaded.scenario.name, attempt=attempt, attempts=attempts
                )
            )
            try:
                recorded = self._attempt(loaded, attempt)
            except GridError as exc:  # no session from the grid: its URL and its own message
                return error_result(loaded, exc.one_line(), ErrorKind.REMOTE_UNREACHABLE)
            except PlaywrightError as exc:
                if self.stop.is_set():  # the browser (or its driver) ended with the run: Ctrl-C
                    return stopped_result(loaded, started=attempt > 1)
                return self.unavailable(loaded, exc)  # retrying cannot bring a browser back
            done = recorded
            if later is not None and self.options.retries == 0 and lookup_plan(done) is not None:
                later(done)
                return None
            result = judge_attempt(ask_connectif(done, self.stop))
            if result.status is ScenarioStatus.PASS or self.stop.is_set():
                break
            failed_first = True
        assert result is not None
        if failed_first and result.status is ScenarioStatus.PASS:
            result = result.model_copy(update={"flaky": True})
        return result

    def _attempt(self, loaded: LoadedScenario, attempt: int) -> Attempt:
        """One attempt, in the shared browser when that gives the same result as one of its own."""
        hosts = loaded.scenario.hosts
        browser, blocked = (self.browser(hosts), ()) if loaded.id in self.alone else self.browser_for(hosts)
        run = ScenarioRun(
            loaded, browser, self.playwright, self.options, self.stop, attempt, blocked_hosts=blocked
        )
        recorded = run.run()
        if not leaked(recorded, blocked) or self.stop.is_set():
            return recorded
        # A redirect took it to a name that only the shared browser maps (routes never see redirects):
        # it runs again in a browser of its own mapping, as it would alone.
        self.alone.add(loaded.id)
        shutil.rmtree(recorded.artefacts.out_dir / recorded.artefacts.folder, ignore_errors=True)
        return ScenarioRun(
            loaded, self.browser(hosts), self.playwright, self.options, self.stop, attempt
        ).run()

    def close(self) -> None:
        """Close (or disconnect from) every browser, and those launched ahead that no scenario took."""
        close_browsers([*self.browsers.values(), *self.prelaunched.values()])
        self.prelaunched.clear()
        if self.grid is not None:
            self.grid.close()  # after the browsers: each session deleted once, before Playwright stops


def stopped_result(loaded: LoadedScenario, *, started: bool) -> ScenarioResult:
    """A scenario cut short by Ctrl-C: interrupted once it ran, else not run, whatever broke meanwhile.

    A terminal's Ctrl-C reaches every process of its foreground group: a browser or driver that ends
    with it is the interruption's doing, not the shop's nor the machine's.
    """
    if started:
        return error_result(loaded, INTERRUPTED, ErrorKind.INTERRUPTED)
    return error_result(loaded, NOT_RUN, ErrorKind.NOT_RUN)


def merged_hosts(scenarios: Sequence[LoadedScenario]) -> dict[str, str] | None:
    """Every scenario's host mapping in one, or None when two scenarios map a host differently.

    Host rules are fixed when Chromium starts; one mapping for all lets a worker keep a single browser
    instead of one per distinct `hosts:` block. Each scenario's context then fails the names it does
    not map itself (`blocked_names`), so that it resolves nothing it would not resolve alone.
    """
    return merge_mappings(loaded.scenario.hosts for loaded in scenarios)


# Names that no DNS resolves (RFC 6761): unmapped, they fail alone exactly as a blocked request fails.
NEVER_RESOLVED = (".test", ".example", ".invalid")


def blocked_names(own: Mapping[str, str], shared: Mapping[str, str]) -> tuple[str, ...] | None:
    """The names `shared` maps beyond `own`, when a browser with `shared` and those names blocked
    resolves every name as a browser with `own` alone would; None when it cannot (a name DNS might
    resolve, or patterns that overlap): the scenario then gets a browser of its own mapping."""
    if any(shared.get(name) != ip for name, ip in own.items()):
        return None
    extra = tuple(name for name in shared if name not in own)
    for name in extra:
        if not name.lower().rstrip(".").endswith(NEVER_RESOLVED):
            return None  # unmapped, DNS might resolve it: blocking it would change the verdict
        if host_matches(name, own) or any(host_matches(mine, [name]) for mine in own):
            return None  # `*.bank.test` and `acs.bank.test`: Chromium's rule order would decide
    return extra


def leaked(attempt: Attempt, blocked: tuple[str, ...]) -> bool:
    """Did the attempt resolve a name its scenario does not map (one the shared browser maps)?"""
    return bool(blocked) and any(host_matches(host, blocked) for host in attempt.resolved_hosts)


_Job = tuple[LoadedScenario, "concurrent.futures.Future[ScenarioResult]"]


class _Serve:
    """A worker's loop in its thread's Playwright: one ScenarioExecutor taking jobs until told to stop."""

    def __init__(self, pool: WorkerPool, thread: WorkerThread):
        self.pool = pool
        self.thread = thread

    def run(self, playwright: Playwright, prelaunched: dict[LaunchPlan, Browser]) -> None:
        pool = self.pool
        job: _Job | None = None
        try:
            executor = ScenarioExecutor(
                playwright,
                pool.options,
                pool.stop,
                pool.shared_hosts,
                listener=pool.listener,
                prelaunched=prelaunched,
            )
            try:
                while True:
                    pool.ready.release()
                    job = pool.jobs.get()
                    if job is None:
                        break
                    if pool.stop.is_set():
                        pool.finish(job, None)
                        continue
                    result = executor.run(job[0], later=pool.finish_later(job))
                    if result is not None:  # None: a finisher asks Connectif's API, then answers
                        pool.finish(job, result)
                    job = None
            finally:
                executor.close()
        except Exception as exc:  # Playwright's driver died under the worker
            self.thread.failure = f"{type(exc).__name__}: {first_line(exc)}"
            if job is not None and pool.stop.is_set():  # the driver ended with the run (Ctrl-C)
                pool.finish(job, stopped_result(job[0], started=True))
            elif job is not None:  # the scenario it was running is answered, never left waiting
                message = f"the auditor's worker stopped while running this scenario: {self.thread.failure}"
                pool.finish(job, error_result(job[0], message, ErrorKind.AUDITOR_CRASHED))
            pool.worker_failed()

    def failed(self, reason: str) -> None:
        """The thread's Playwright never started (its failure is set): the pool hears of it."""
        self.pool.worker_failed()


class WorkerPool:
    """Workers that run scenarios from one queue, each with its own browser; results through futures."""

    def __init__(
        self,
        options: RunOptions,
        *,
        workers: int = 1,
        stop: threading.Event | None = None,
        listener: Listener = ignore,
        shared_hosts: dict[str, str] | None = None,
        warm: Sequence[WorkerThread] = (),
    ):
        """`warm`: worker threads already started (engine/warm.py), used before new ones are started."""
        self.options = options
        self.stop = stop or threading.Event()
        self.listener = listener
        self.shared_hosts = shared_hosts
        self.jobs: queue.Queue[_Job | None] = queue.Queue()
        # Released by a worker each time it is about to wait for a job: lets a feeder (a worker process
        # taking jobs from a shared queue) take one only when this pool can start it at once.
        self.ready = threading.Semaphore(0)
        count = max(1, workers)
        self.workers: list[WorkerThread] = list(warm[:count])
        try:
            for number in range(len(warm) + 1, count + 1):
                thread = WorkerThread(number)
                thread.start()  # "can't start new thread" where the system is short of them
                self.workers.append(thread)
        except BaseException:  # the workers it has end before the error goes on
            end_workers(self.workers)
            raise
        # Finished attempts whose verdict waits on Connectif's API: judged here, off the workers' browsers.
        self.finisher = concurrent.futures.ThreadPoolExecutor(
            max_workers=FINISHERS_PER_WORKER * len(self.workers),
            thread_name_prefix="checkout-auditor-finisher",
        )
        self._lock = threading.Lock()
        self._closed = False
        for thread in self.workers:
            thread.give(_Serve(self, thread))

    def submit(self, loaded: LoadedScenario) -> concurrent.futures.Future[ScenarioResult]:
        """Queue a scenario; its future gets the result (never an exception)."""
        future: concurrent.futures.Future[ScenarioResult] = concurrent.futures.Future()
        if not self.alive():
            self.finish((loaded, future), self._no_worker_result(loaded))
        else:
            self.jobs.put((loaded, future))
        return future

    def alive(self) -> bool:
        """Is any worker still able to run scenarios?"""
        return any(w.is_alive() and w.failure is None for w in self.workers)

    def finish(self, job: _Job, result: ScenarioResult | None) -> None:
        """Resolve a job's future (None: it never ran because the run was stopped) and tell listeners."""
        loaded, future = job
        if result is None:
            result = error_result(loaded, NOT_RUN, ErrorKind.NOT_RUN)
        if future.done():
            return
        future.set_result(result)
        self.listener(ScenarioFinished(result=result))

    def finish_later(self, job: _Job) -> Callable[[Attempt], None]:
        """What a worker calls to hand a finished attempt over to a finisher thread, which asks
        Connectif's API, judges the attempt and resolves the job."""

        def finish(attempt: Attempt) -> None:
            try:
                result = judge_attempt(ask_connectif(attempt, self.stop))
            except Exception as exc:  # a crash here must still answer the job
                message = f"the auditor crashed: {type(exc).__name__}: {first_line(exc)}"
                result = error_result(job[0], message, ErrorKind.AUDITOR_CRASHED)
            self.finish(job, result)

        def hand_over(attempt: Attempt) -> None:
            self.finisher.submit(finish, attempt)

        return hand_over

    def _no_worker_result(self, loaded: LoadedScenario) -> ScenarioResult:
        if self.stop.is_set():  # workers that ended because the run is interrupted: it never started
            return stopped_result(loaded, started=False)
        reasons = sorted({w.failure for w in self.workers if w.failure})
        why = "; ".join(reasons) or "its workers stopped"
        return error_result(
            loaded,
            f"the browser could not be started: Playwright failed ({why})",
            ErrorKind.BROWSER_UNAVAILABLE,
        )

    def worker_failed(self) -> None:
        """A worker died: when none is left, every queued scenario is answered with the reason."""
        if not self.alive():
            self.abandon()

    def abandon(self) -> None:
        """No worker is left: answer every queued scenario with the reason."""
        self.drain(lambda loaded: self._no_worker_result(loaded))

    def drain(self, answer: Any) -> None:
        """Answer every queued job with `answer(loaded)` (None: not run)."""
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                self.finish(job, answer(job[0]))

    def close(self, timeout: float = 30) -> None:
        """Let the workers finish their queued jobs, then close their browsers and stop them."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for _ in self.workers:
            self.jobs.put(None)
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        # After the workers: they hand attempts over until their last job. Lookups end by `wait` or `stop`.
        self.finisher.shutdown(wait=True)

    def interrupt(self) -> None:
        """Ctrl-C: running scenarios stop at their next step; queued ones are answered as not run."""
        if not self.stop.is_set():
            self.stop.set()
            self.listener(RunInterrupted())
        self.drain(lambda loaded: None)


class Pool(Protocol):
    """What run_scenarios needs of a pool of workers, threads (WorkerPool) or processes (ProcessPool)."""

    stop: threading.Event

    def submit(self, loaded: LoadedScenario) -> concurrent.futures.Future[ScenarioResult]: ...
    def alive(self) -> bool: ...
    def interrupt(self) -> None: ...
    def abandon(self) -> None: ...
    def close(self, timeout: float = 30) -> None: ...


def wait_all(
    pool: Pool, futures: Sequence[concurrent.futures.Future[ScenarioResult]]
) -> list[ScenarioResult]:
    """Wait for every future, responsive to Ctrl-C; after it, end browsers that do not stop in time."""
    grace_until: float | None = None
    pending = set(futures)
    while pending:
        try:
            _, pending = concurrent.futures.wait(pending, timeout=0.2)
            if pool.stop.is_set() and grace_until is None:
                pool.interrupt()
                grace_until = time.monotonic() + INTERRUPT_GRACE_S
            if grace_until is not None and time.monotonic() > grace_until:
                # A worker blocked in a long browser call cannot be woken from this thread; ending its
                # browser makes that call fail at once, and the scenario is recorded as interrupted.
                # (psutil is imported only then: about 12 ms that a run that is not stopped never pays.)
                from auditor.engine.processes import end_browser_processes

                end_browser_processes()
                grace_until = float("inf")
            if pending and not pool.alive():
                pool.abandon()
        except KeyboardInterrupt:
            pool.stop.set()
    return [f.result() for f in futures]


def run_scenarios(
    scenarios: Sequence[LoadedScenario],
    options: RunOptions,
    *,
    listener: Listener = ignore,
    stop: threading.Event | None = None,
    warm: WarmStart | None = None,
    then: Callable[[list[ScenarioResult]], None] | None = None,
) -> list[ScenarioResult]:
    """Run every scenario on `options.workers` workers; results come back in the scenarios' order.

    Ctrl-C sets `stop`: running scenarios end at their next step or wait, marked interrupted, the
    browsers are closed, and the scenarios that never started are reported as not run. `warm`: worker
    threads started while the run was being set up; those not needed are discarded. `then`: called
    with the results while the browsers close (the outputs are written meanwhile).
    """
    stop = stop or threading.Event()
    with ctrl_c_sets(stop):
        return _run(scenarios, options, listener=listener, stop=stop, warm=warm, then=then)


@contextlib.contextmanager
def ctrl_c_sets(stop: threading.Event) -> Iterator[None]:
    """While a run is under way, Ctrl-C (and SIGTERM) sets `stop` instead of raising KeyboardInterrupt.

    Raised, it lands wherever the main thread happens to be: in the middle of answering the queued
    scenarios, of ending the browsers or of writing the outputs, each of which would then be left
    half done (and a user who presses it again and again kept the run from ever ending). Only Python's
    own handler is replaced, and only in the main thread: a caller with its own handler keeps it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # SIGTERM too, where nothing else handles it: a CI job cancelled or out of time sends it, and its
    # default would end the process with no output at all.
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    fired = False

    def on_signal(*_: object) -> None:
        # A handler runs between two bytecodes of the main thread, maybe while that thread holds the
        # lock inside `stop` (in Event.set or Event.wait): setting it here could wait for ever, and a
        # Ctrl-C held down nested one handler into the next until a RecursionError. So the handler only
        # notes the first signal and leaves set() to a thread of its own, which takes the lock once the
        # interrupted code has let it go; later signals return at once. The low-level _thread module
        # starts it: threading.Thread.start takes threading's own locks, which the main thread may hold.
        nonlocal fired
        if fired:
            return
        fired = True
        _thread.start_new_thread(stop.set, ())

    previous = {
        number: signal.signal(number, on_signal)
        for number, default in defaults.items()
        if signal.getsignal(number) is default
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _run(
    scenarios: Sequence[LoadedScenario],
    options: RunOptions,
    *,
    listener: Listener,
    stop: threading.Event,
    warm: WarmStart | None,
    then: Callable[[list[ScenarioResult]], None] | None,
) -> list[ScenarioResult]:
    from auditor.engine.warm import use_processes

    workers = max(1, min(options.workers, len(scenarios)))
    shared = merged_hosts(scenarios)
    pool: Pool
    if use_processes(workers):
        from auditor.engine.procpool import ProcessPool  # multiprocessing: only for several workers

        if warm is not None:
            warm.discard()
        pool = ProcessPool(options, workers=workers, stop=stop, listener=listener, shared_hosts=shared)
    else:
        threads = warm.take(workers) if warm is not None else []
        pool = WorkerPool(
            options, workers=workers, stop=stop, listener=listener, shared_hosts=shared, warm=threads
        )
    try:
        futures = [pool.submit(s) for s in scenarios]
        results = wait_all(pool, futures)
    except BaseException:
        _close(pool, stop)
        raise
    if then is None:
        _close(pool, stop)
        return results
    # Every result is in: the workers close their browsers (a fifth of a second, mostly in the browser)
    # while `then` writes the outputs; both are done when this returns.
    closing = threading.Thread(target=_close, args=(pool, stop), name="checkout-auditor-closing")
    closing.start()
    try:
        then(results)
    finally:
        closing.join()
    return results


def _close(pool: Pool, stop: threading.Event) -> None:
    try:
        pool.close()
    except KeyboardInterrupt:
        stop.set()


__all__ = [
    "INTERRUPT_GRACE_S",
    "ScenarioExecutor",
    "WorkerPool",
    "blocked_names",
    "close_browsers",
    "merged_hosts",
    "run_scenarios",
]
