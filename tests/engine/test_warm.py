"""Workers whose Playwright starts before the run is set up (engine/warm.py), in a real Chromium.

A warm worker launches the browser it is told to while the command line is still importing and
loading; the run then uses that browser instead of launching another, and whatever is not used is
closed. Browser processes are counted from the operating system's process table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Browser, Playwright

from auditor.audit import audit
from auditor.cache import CACHE_ENV, NODE_CACHE_ENV
from auditor.engine.browser import LaunchPlan, find_browser
from auditor.engine.executor import ScenarioExecutor, WorkerPool
from auditor.engine.options import RunOptions
from auditor.engine.processes import chromium_below, is_chromium
from auditor.engine.warm import WarmStart, WorkerThread
from auditor.scenario.load import load_all
from tests.engine.miniserver import HOSTS, mini_shop
from tests.engine.test_interrupt import wait_for
from tests.engine.test_runner import write

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def options(tmp_path: Path) -> RunOptions:
    return RunOptions(browser=find_browser(), out_dir=tmp_path / "out")


def plan_for(tmp_path: Path, hosts: dict[str, str]) -> LaunchPlan:
    plan = LaunchPlan.for_options(options(tmp_path), hosts)
    assert plan is not None
    return plan


SEEN: dict[int, str] = {}


def browser_processes() -> set[int]:
    """The browser processes below this process: the ones Playwright launched (with its DevTools pipe),
    not by Chromium itself (renderers, zygotes, helpers, crash handlers, a child caught between fork
    and exec with its parent's command line: all have a Chromium parent)."""
    found = set()
    for process in chromium_below():
        try:
            line = process.cmdline()  # empty for one that is exiting
            parent = process.parent()
            if "--remote-debugging-pipe" in line and parent is not None and not is_chromium(parent):
                found.add(process.pid)
                SEEN.setdefault(process.pid, f"{line[:3]} parent {parent.name()}")
        except psutil.Error:
            continue
    return found


class BrowserCounter:
    """Every browser process seen below this process while it watches (sampled every 20 ms)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._done.wait(0.02):
            self.seen |= browser_processes()

    def __enter__(self) -> BrowserCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with mini_shop() as url:
        yield url


class Recording:
    """A Work that keeps what the thread hands it (the thing under test is the thread)."""

    def __init__(self) -> None:
        self.prelaunched: dict[LaunchPlan, Browser] | None = None
        self.connected: list[bool] = []
        self.reason: str | None = None
        self.done = threading.Event()

    def run(self, playwright: Playwright, prelaunched: dict[LaunchPlan, Browser]) -> None:
        self.prelaunched = dict(prelaunched)
        self.connected = [b.is_connected() for b in prelaunched.values()]
        self.done.set()

    def failed(self, reason: str) -> None:
        self.reason = reason
        self.done.set()


def test_a_run_uses_the_browser_its_warm_worker_launched(tmp_path: Path, base: str) -> None:
    scenario = write(tmp_path, base, "warm", "return=redirect")
    before = browser_processes()
    warm = WarmStart(1)
    warm.prelaunch(plan_for(tmp_path, HOSTS))
    with BrowserCounter() as counter:
        result = audit(load_all([scenario]), options(tmp_path), warm=warm).run
    assert result.scenarios[0].status.value == "pass", result.scenarios[0].error
    launched = counter.seen - before
    assert len(launched) == 1, f"a second browser beside the warm one: {[SEEN[p] for p in launched]}"
    assert not (browser_processes() - before), "a browser was left behind"


def executor_with_a_prelaunched_browser(
    tmp_path: Path, playwright: Playwright
) -> tuple[ScenarioExecutor, Browser]:
    """An executor given a browser launched ahead for the lab's mapping, and that browser."""
    plan = plan_for(tmp_path, HOSTS)
    ready = plan.launch(playwright.chromium)
    executor = ScenarioExecutor(playwright, options(tmp_path), threading.Event(), prelaunched={plan: ready})
    return executor, ready


def test_a_prelaunched_browser_is_taken_only_by_the_launch_it_matches(
    tmp_path: Path, shared_playwright: Playwright
) -> None:
    executor, ready = executor_with_a_prelaunched_browser(tmp_path, shared_playwright)
    try:
        other = executor.browser({"elsewhere.test": "127.0.0.1"})  # another mapping: a launch of its own
        assert other is not ready and ready.is_connected()
        assert executor.browser(HOSTS) is ready
        assert not executor.prelaunched
    finally:
        executor.close()
    assert not ready.is_connected() and not other.is_connected()


def test_an_unused_prelaunched_browser_is_closed_with_the_executor(
    tmp_path: Path, shared_playwright: Playwright
) -> None:
    executor, ready = executor_with_a_prelaunched_browser(tmp_path, shared_playwright)
    executor.close()
    assert not ready.is_connected()


def run_thread(plan: LaunchPlan | None = None, wait_s: float = 60) -> tuple[WorkerThread, Recording]:
    """A worker thread started, asked to launch `plan` ahead, given a Recording, and ended."""
    thread = WorkerThread(1)
    thread.start()
    if plan is not None:
        thread.prelaunch(plan)
    work = Recording()
    thread.give(work)
    assert work.done.wait(wait_s)
    thread.join(30)
    assert not thread.is_alive()
    return thread, work


def test_the_thread_hands_its_prelaunched_browser_to_the_work(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, HOSTS)
    thread, work = run_thread(plan)
    assert work.prelaunched is not None and list(work.prelaunched) == [plan]
    assert work.connected == [True]
    with pytest.raises(RuntimeError):
        thread.give(Recording())


def test_a_discarded_warm_start_closes_what_it_launched_and_ends(tmp_path: Path) -> None:
    before = browser_processes()
    warm = WarmStart(2)
    warm.prelaunch(plan_for(tmp_path, HOSTS))
    threads = list(warm.threads)
    # Wait until the browsers are up, so that the discard has something to close.
    assert wait_for(lambda: len(browser_processes() - before) >= 2, 60)
    assert len(browser_processes() - before) == 2
    warm.discard()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()
    assert not (browser_processes() - before)


def test_a_pool_that_cannot_start_its_threads_ends_the_warm_workers_it_was_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = browser_processes()
    warm = WarmStart(1)
    warm.prelaunch(plan_for(tmp_path, HOSTS))
    assert wait_for(lambda: len(browser_processes() - before) >= 1, 60)
    assert len(browser_processes() - before) == 1
    taken = warm.take(2)

    def refuse(thread: WorkerThread) -> None:  # what a system short of threads answers
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(WorkerThread, "start", refuse)
    with pytest.raises(RuntimeError, match="can't start new thread"):
        WorkerPool(options(tmp_path), workers=2, warm=taken)
    # the warm worker has stopped its Playwright and closed the browser it launched ahead
    assert [t.is_alive() for t in taken] == [False]
    assert not (browser_processes() - before)


def test_a_playwright_that_cannot_start_is_told_to_the_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PLAYWRIGHT_NODEJS_PATH", str(tmp_path / "no-such-node"))
    thread, work = run_thread(wait_s=30)
    assert work.reason is not None and work.reason == thread.failure
    assert work.prelaunched is None


def test_the_driver_keeps_its_compiled_code_in_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(NODE_CACHE_ENV, "placeholder")
    monkeypatch.delenv(NODE_CACHE_ENV)  # registered, so the value the thread sets is undone too
    run_thread()
    assert os.environ.get(NODE_CACHE_ENV) == str(tmp_path / "cache" / "node")
    assert any((tmp_path / "cache" / "node").rglob("*")), "Node wrote nothing into the cache"


def test_a_run_refused_after_its_warm_start_exits_at_once_leaving_no_browser(
    tmp_path: Path, base: str
) -> None:
    scenario = write(tmp_path, base, "refused", "return=redirect")
    marker = f"AUDITOR_WARM_TEST={os.getpid()}-{time.monotonic_ns()}"
    name, _, value = marker.partition("=")
    env = {**os.environ, name: value}
    # The scenario has a secret and --trace records what is typed: refused once the scenarios are loaded,
    # after the warm worker has started Playwright.
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "run",
            str(scenario),
            "--trace",
            "on",
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "--trace-secrets" in proc.stderr
    assert time.monotonic() - started < 30
    # The driver ends when its pipe closes with the command; give it a moment, never a fixed one.
    deadline = time.monotonic() + 15
    while (left := marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"left behind: {left}"


def marked(marker: str) -> list[psutil.Process]:
    """The processes whose environment carries the marker (the command and everything it started)."""
    name, _, value = marker.partition("=")
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(name) == value:
                found.append(process)
        except psutil.Error:
            continue
    return found


def test_after_a_bad_option_no_warm_worker_outlives_the_command(tmp_path: Path, base: str) -> None:
    """A worker still inside Playwright while the interpreter shuts down can crash it (seen as exit -11
    after the error was printed): the command waits for its discarded workers to end."""
    from click.testing import CliRunner

    from auditor.cli.main import cli

    scenario = write(tmp_path, base, "bad-option", "return=redirect")
    result = CliRunner().invoke(
        cli, ["run", str(scenario), "--baseline", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.output
    alive = [t.name for t in threading.enumerate() if t.name.startswith("checkout-auditor-worker")]
    assert not alive, f"still running after the command returned: {alive}"
