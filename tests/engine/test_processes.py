"""Ending the browsers below a process with psutil: SIGTERM, a wait with a deadline, then SIGKILL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest

from auditor.engine.processes import chromium_below, end_processes, is_chromium, running, wait_gone

# A process that starts a real Chromium through Playwright, as a worker does, then on "end" calls the
# run's own end_browser_processes() and reports; it keeps running itself (its driver too).
BROWSER_OWNER = """
import sys
from playwright.sync_api import sync_playwright
from auditor.engine.browser import find_browser, launch_args
from auditor.engine.processes import chromium_below
from auditor.engine.processes import end_browser_processes
with sync_playwright() as p:
    executable = find_browser().executable_for(headless=True)
    browser = p.chromium.launch(executable_path=executable, args=launch_args())
    browser.new_page().goto("data:text/html,<p>hello</p>")
    print("ready", flush=True)
    assert sys.stdin.readline().strip() == "end"
    end_browser_processes()
    print("ended", len(chromium_below()), flush=True)
    sys.stdin.readline()
    try:
        browser.close()
    except Exception:
        pass
"""

# Ignores SIGTERM (or not), then says so; only SIGKILL ends the stubborn one.
SLEEPER = """
import signal, sys
if sys.argv[1] == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def owner() -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen(
        [sys.executable, "-c", BROWSER_OWNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield child
    if child.poll() is None:
        child.kill()
    child.communicate(timeout=30)


@pytest.mark.browser
def test_end_browser_processes_ends_every_chromium_below_and_nothing_else(
    owner: subprocess.Popen[str],
) -> None:
    assert owner.stdout is not None and owner.stdin is not None
    assert owner.stdout.readline().strip() == "ready", owner.stderr.read() if owner.stderr else ""
    browsers = chromium_below(owner.pid)
    assert browsers, "Chromium was not found below the process that launched it"
    assert all(is_chromium(p) for p in browsers)
    others = [p for p in psutil.Process(owner.pid).children(recursive=True) if p not in browsers]
    assert others, "Playwright's driver runs below the owner too"
    owner.stdin.write("end\n")
    owner.stdin.flush()
    assert owner.stdout.readline().split() == ["ended", "0"]
    assert wait_gone(browsers, 10) == []
    # The owner and Playwright's driver are not browsers: they are left alone.
    assert owner.poll() is None
    assert all(running(p) for p in others if not is_chromium(p))
    owner.stdin.write("done\n")
    owner.stdin.flush()
    owner.wait(timeout=30)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM cannot be ignored on Windows")
def test_sigterm_first_then_sigkill_for_what_ignores_it() -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SLEEPER, kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for kind in ("polite", "stubborn")
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        processes = [psutil.Process(c.pid) for c in children]
        ended = end_processes(processes, grace_s=1.0)
        # The polite one exited on SIGTERM within the grace; the stubborn one needed SIGKILL.
        assert (ended.terminated, ended.killed, ended.left) == (1, 1, ())
        assert not any(running(p) for p in processes)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.communicate()


def test_processes_already_gone_are_skipped() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    process = psutil.Process(child.pid)
    child.wait(timeout=30)
    assert not running(process)
    assert end_processes([process]).left == ()
    assert chromium_below(child.pid) == []
