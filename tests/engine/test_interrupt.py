"""Ctrl-C during a run with several workers: partial outputs kept, interrupted marked, no browser left."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

from auditor.engine.processes import chromium_below, is_chromium, running, wait_gone
from auditor.lab import Lab
from tests.engine.labscenario import stripe_scenario

pytestmark = pytest.mark.browser


def browsers_using(marker: str) -> list[psutil.Process]:
    """Running Chromium processes whose command line mentions `marker` (their profile lives under it).

    Found among all processes, not below the auditor's: a browser it left behind outlives it.
    """
    found = []
    for process in psutil.process_iter():
        try:
            mentions = marker in " ".join(process.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if mentions and is_chromium(process) and running(process):
            found.append(process)
    return found


def wait_for(condition: object, timeout: float) -> bool:
    """Wait until condition() is true, checking at each short pause, up to a deadline."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        pause.wait(0.05)
    return bool(condition())  # type: ignore[operator]


def start_hanging_run(tmp_path: Path, lab: Lab, count: int = 4) -> tuple[subprocess.Popen[str], Path, Path]:
    """`run --workers 2` on scenarios whose platform never answers, once two of them are in flight.

    Returns the process, its output folder and the folder its browsers' profiles live under.
    """
    folder = tmp_path / "scenarios"
    for i in range(count):
        stripe_scenario(
            folder,
            lab,
            f"hang{i}",
            fault="pay-hang",
            key=f"k{i}",
            step="20s",
            navigation="40s",
            scenario="90s",
        )
    # A short folder of its own: Chromium's profile sockets must fit in a Unix socket path (108 bytes).
    profile_root = Path(tempfile.mkdtemp(prefix="aud-", dir="/tmp"))
    env = {**os.environ, "TMPDIR": str(profile_root), "PYTHONUNBUFFERED": "1"}
    out = tmp_path / "out"
    orders_before = len(lab.orders())
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "run", str(folder), "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    assert ready, "the run printed nothing"
    assert "running 4 scenario" in proc.stdout.readline()
    # two scenarios are in flight once the shop has taken two orders and the platform hangs
    if not wait_for(lambda: len(lab.orders()) >= orders_before + 2, 60):
        proc.kill()
        raise AssertionError(proc.communicate(timeout=60)[1][-3000:])
    return proc, out, profile_root


# SIGTERM: what a CI job cancelled or out of time gets; it stops the run as Ctrl-C does.
@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_keeps_partial_results_and_leaves_no_browser(
    tmp_path: Path, lab: Lab, number: signal.Signals
) -> None:
    proc, out, profile_root = start_hanging_run(tmp_path, lab)
    try:
        assert browsers_using(str(profile_root)), "no browser was running"
        browsers = chromium_below(proc.pid)
        assert browsers, "no browser was found below the auditor's process"
        proc.send_signal(number)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["interrupted"] is True
    assert len(results["scenarios"]) == 4
    errors = [s["error"] or "" for s in results["scenarios"]]
    assert all(s["status"] == "error" for s in results["scenarios"])
    assert sum("interrupted" in e for e in errors) == 4, errors
    assert sum("not run" in e for e in errors) == 2, errors
    assert (out / "report.html").exists() and (out / "junit.xml").exists()
    assert wait_gone(browsers, 10) == []
    assert wait_for(lambda: not browsers_using(str(profile_root)), 10), browsers_using(str(profile_root))
    shutil.rmtree(profile_root, ignore_errors=True)


def test_workers_and_browsers_end_when_the_run_is_killed(tmp_path: Path, lab: Lab) -> None:
    """A run killed outright (SIGKILL: no cleanup of its own) leaves no worker process and no browser."""
    proc, _, profile_root = start_hanging_run(tmp_path, lab)
    try:
        below = psutil.Process(proc.pid).children(recursive=True)
        workers = [p for p in below if "python" in p.name().lower()]
        assert len(workers) == 2, [p.name() for p in below]  # --workers 2: two worker processes
        assert browsers_using(str(profile_root)), "no browser was running"
        proc.kill()
        proc.communicate(timeout=60)  # returns once no orphan holds the output pipes open
    finally:
        if proc.poll() is None:
            proc.kill()
    assert wait_gone(below, 30) == [], [p.name() for p in below if running(p)]
    assert wait_for(lambda: not browsers_using(str(profile_root)), 10), browsers_using(str(profile_root))
    shutil.rmtree(profile_root, ignore_errors=True)


def test_repeated_ctrl_c_still_writes_every_output_and_ends_every_browser(tmp_path: Path, lab: Lab) -> None:
    """An impatient user presses Ctrl-C again and again, while the run stops, while the outputs are
    written and while the browsers close: the outputs are still all written, without a traceback."""
    proc, out, profile_root = start_hanging_run(tmp_path, lab)
    signals = 0
    try:
        browsers = chromium_below(proc.pid)
        assert browsers, "no browser was found below the auditor's process"
        pause = threading.Event()
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            proc.send_signal(signal.SIGINT)
            signals += 1
            pause.wait(0.02)  # a signal every 20 ms: some land in each phase of the ending
        ended = proc.poll() is not None
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert ended, f"the run had not ended 30 s after the first of {signals} Ctrl-C"
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and "Aborted" not in stderr, stderr[-3000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["interrupted"] is True
    assert len(results["scenarios"]) == 4
    assert (out / "report.html").exists() and (out / "junit.xml").exists() and (out / "summary.md").exists()
    assert wait_gone(browsers, 10) == []
    assert wait_for(lambda: not browsers_using(str(profile_root)), 10), browsers_using(str(profile_root))
    shutil.rmtree(profile_root, ignore_errors=True)


def test_ctrl_c_before_the_run_starts_ends_cleanly(tmp_path: Path, lab: Lab) -> None:
    """Ctrl-C while the run is still being set up (here: reading an env file from a pipe, as with
    `--env-file <(vault read ...)`): status 130 and a plain message, and the Playwright driver started
    meanwhile is gone."""
    folder = tmp_path / "scenarios"
    stripe_scenario(folder, lab, "early")
    pipe = tmp_path / "secrets.env"
    os.mkfifo(pipe)
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "run", str(folder), "--env-file", str(pipe)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    writer = None
    try:

        def reading() -> bool:
            nonlocal writer
            try:  # opens only once the auditor holds the pipe open for reading
                writer = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                return False
            return True

        assert wait_for(reading, 30), "the auditor never opened the env file"
        below = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if writer is not None:
            os.close(writer)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted (Ctrl-C)" in stderr
    assert "Traceback" not in stderr and "Aborted" not in stderr, stderr[-3000:]
    assert not (tmp_path / "reports").exists()  # nothing ran, so no empty report claims otherwise
    assert wait_gone(below, 10) == [], [p.name() for p in below if running(p)]
