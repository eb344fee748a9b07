"""Remote browsers: a Playwright browser server (--connect) and a Chromium with remote debugging (--cdp)."""

from __future__ import annotations

import select
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

from auditor.audit import audit
from auditor.engine.browser import find_browser, launch_args
from auditor.engine.processes import end_processes
from auditor.engine.run import RunOptions
from auditor.lab import Lab
from auditor.scenario.load import load_all
from tests.engine.labscenario import stripe_scenario

pytestmark = pytest.mark.browser


def first_line_with(proc: subprocess.Popen[str], marker: str, timeout: float) -> str:
    """The first line of the process's output that contains `marker`, waiting up to `timeout`."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        if marker in line:
            return line
    raise AssertionError(f"no line with {marker!r} within {timeout}s")


def stop(proc: subprocess.Popen[str]) -> None:
    """End a process and everything it started (`python -m playwright run-server` starts a node child)."""
    try:
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    end_processes(tree, grace_s=10)
    proc.wait(timeout=10)


def test_run_through_a_playwright_browser_server(tmp_path: Path, lab: Lab) -> None:
    # --unsafe lets the client send its Chromium path and host mapping as launch options.
    server = subprocess.Popen(
        [sys.executable, "-m", "playwright", "run-server", "--port", "0", "--host", "127.0.0.1", "--unsafe"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        endpoint = first_line_with(server, "ws://", 30).split()[-1]
        scenarios = load_all([stripe_scenario(tmp_path, lab, "via-server")])
        result = audit(
            scenarios, RunOptions(browser=find_browser(), out_dir=tmp_path / "out", connect=endpoint)
        )
        scenario = result.run.scenarios[0]
        assert scenario.status.value == "pass", scenario.error or [(c.id, c.message) for c in scenario.checks]
    finally:
        stop(server)


def test_run_through_chromium_remote_debugging(tmp_path: Path, lab: Lab) -> None:
    profile = Path(tempfile.mkdtemp(prefix="aud-cdp-", dir="/tmp"))  # short: Chromium's sockets live there
    executable = find_browser().executable_for(headless=True)
    assert executable is not None
    chromium = subprocess.Popen(
        [
            executable,
            "--headless",
            "--no-sandbox",  # as root (CI), Chromium refuses to start sandboxed
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            *launch_args(lab.hosts),
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        pause = threading.Event()
        while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
            pause.wait(0.05)  # Chromium writes the file once its debugging endpoint listens
        port = port_file.read_text().split()[0]
        scenarios = load_all([stripe_scenario(tmp_path, lab, "via-cdp")])
        result = audit(
            scenarios, RunOptions(browser=None, out_dir=tmp_path / "out", cdp=f"http://127.0.0.1:{port}")
        )
        scenario = result.run.scenarios[0]
        assert scenario.status.value == "pass", scenario.error or [(c.id, c.message) for c in scenario.checks]
    finally:
        stop(chromium)  # type: ignore[arg-type]
