"""A real Ctrl-C in a terminal: SIGINT to the run's whole process group, its drivers and browsers included.

The scenarios that never started are not run and a running one is interrupted: none is recorded as a
browser that could not start or a step that failed because the same Ctrl-C ended its browser.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from auditor.engine.processes import running, wait_gone
from auditor.lab import Lab
from tests.engine.labscenario import stripe_scenario
from tests.engine.test_interrupt import browsers_using, wait_for

pytestmark = pytest.mark.browser

COUNT = 8
PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] ")


def read_line(stream: object, deadline: float) -> str:
    """The next line the run prints, waiting up to the deadline."""
    left = deadline - time.monotonic()
    ready, _, _ = select.select([stream], [], [], max(0.0, left))
    assert ready, "the run printed nothing more before the deadline"
    return stream.readline()  # type: ignore[attr-defined,no-any-return]


def everything_below(pid: int) -> list[psutil.Process]:
    """Every process below pid, the workers' drivers and browsers in their own sessions included."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_ctrl_c_to_the_process_group_records_not_run_and_interrupted(tmp_path: Path, lab: Lab) -> None:
    folder = tmp_path / "scenarios"
    for i in range(COUNT):
        stripe_scenario(folder, lab, f"group{i}", key=f"g{i}")
    # A short folder of its own: Chromium's profile sockets must fit in a Unix socket path (108 bytes).
    profile_root = Path(tempfile.mkdtemp(prefix="aud-", dir="/tmp"))
    env = {**os.environ, "TMPDIR": str(profile_root), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    env.pop("AUDITOR_WORKER_THREADS", None)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "run", str(folder), "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a terminal's foreground job has
    )
    assert proc.stdout is not None
    printed: list[str] = []
    below: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 90
        while True:  # the first scenario has finished: the other worker is in the middle of one
            line = read_line(proc.stdout, deadline)
            assert line, "the run ended before any scenario finished: " + "".join(printed)
            printed.append(line)
            if PROGRESS.match(line):
                break
        below = everything_below(proc.pid)
        assert any("chrom" in p.name().lower() or "headless" in p.name().lower() for p in below), below
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    stdout = "".join(printed) + stdout
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr, stderr[-3000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["interrupted"] is True
    scenarios = results["scenarios"]
    assert len(scenarios) == COUNT
    kinds = {s["id"]: (s["status"], s["error_kind"], (s["error"] or "")[:160]) for s in scenarios}
    # What finished before Ctrl-C keeps its verdict; everything else was cut short by Ctrl-C alone.
    cut_short = {i: k for i, k in kinds.items() if k[0] == "error"}
    assert all(k[1] in ("not-run", "interrupted") for k in cut_short.values()), kinds
    assert not any(k[1] == "browser-unavailable" for k in kinds.values()), kinds
    never_started = [s for s in scenarios if s["started"] is None]
    assert never_started, kinds
    assert all(s["error_kind"] == "not-run" for s in never_started), kinds
    # The two workers start together, so the second scenario can finish just after the first, before the
    # signal: at most that first round finished, at most the two scenarios then running were cut short,
    # and nothing started after Ctrl-C.
    finished = sum(k[0] in ("pass", "fail") for k in kinds.values())
    assert 1 <= finished <= 2, kinds
    assert sum(k[1] == "interrupted" for k in kinds.values()) <= 2, kinds
    assert sum(k[1] == "not-run" for k in kinds.values()) >= COUNT - finished - 2, kinds
    for name in ("report.html", "junit.xml", "summary.md"):
        assert (out / name).exists(), name
    assert wait_gone(below, 15) == [], [p.name() for p in below if running(p)]
    assert wait_for(lambda: not browsers_using(str(profile_root)), 10), browsers_using(str(profile_root))
    shutil.rmtree(profile_root, ignore_errors=True)
