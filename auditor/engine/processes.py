"""The Chromium processes below this one, found and ended through psutil (Linux, macOS and Windows).

Used after Ctrl-C, when a worker is stuck in a browser call: its browser is asked to stop (SIGTERM,
TerminateProcess on Windows), given a moment, then killed. psutil remembers each process's start time
and refuses to signal a PID that now belongs to another process, so a reused PID is never hit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

# How long browsers get to exit after SIGTERM before they are killed.
TERM_GRACE_S = 2.0
# Chromium's executables and helpers: chromium, chrome, chrome.exe, "Google Chrome Helper (Renderer)",
# chrome_crashpad_handler, chrome-headless-shell / headless_shell (Playwright's headless build).
_NAMES = ("chrom", "headless_shell")
# psutil.wait_procs is called in slices this long, so exited processes left as zombies (not reaped by
# a parent that has gone) are seen as gone instead of holding the wait until its deadline.
_SLICE_S = 0.1
_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess)


@dataclass(frozen=True, kw_only=True)
class Ended:
    """What ending a set of processes did."""

    terminated: int  # exited after SIGTERM
    killed: int  # needed SIGKILL
    left: tuple[psutil.Process, ...]  # still running (access denied, or unkillable)


def is_chromium(process: psutil.Process) -> bool:
    """Whether the process is one of Chromium's (browser, zygote, renderer, GPU, utility, crashpad)."""
    try:
        name = process.name().lower()
        if any(part in name for part in _NAMES):
            return True
        # A name can be cut short (Linux keeps 15 characters) or be a wrapper's: the executable decides.
        exe = process.exe().lower()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
        return False
    return any(part in exe.replace("\\", "/").rsplit("/", 1)[-1] for part in _NAMES)


def running(process: psutil.Process) -> bool:
    """Still running: neither gone nor an exited process waiting to be reaped."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except _GONE:
        return False
    except psutil.AccessDenied:
        return True


def chromium_below(pid: int | None = None) -> list[psutil.Process]:
    """The Chromium processes anywhere below pid (default: this process), e.g. under Playwright's driver."""
    try:
        below = psutil.Process(pid).children(recursive=True)
    except _GONE:
        return []
    except psutil.AccessDenied:
        return []
    return [p for p in below if is_chromium(p) and running(p)]


def wait_gone(processes: Iterable[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Wait until the processes have exited, up to timeout_s; the ones still running."""
    deadline = time.monotonic() + timeout_s
    alive = [p for p in processes if running(p)]
    while alive:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        _, still = psutil.wait_procs(alive, timeout=min(_SLICE_S, left))
        alive = [p for p in still if running(p)]
    return alive


def _signal(processes: Iterable[psutil.Process], *, kill: bool) -> list[psutil.Process]:
    """Send SIGTERM (or SIGKILL) to each; the ones that could be signalled."""
    sent = []
    for process in processes:
        try:
            process.kill() if kill else process.terminate()
        except _GONE:
            continue
        except psutil.AccessDenied:
            continue  # another user's process: not ours to end
        sent.append(process)
    return sent


def end_processes(processes: Iterable[psutil.Process], grace_s: float = TERM_GRACE_S) -> Ended:
    """SIGTERM each process, wait up to grace_s for them to exit, then SIGKILL the rest."""
    targets = [p for p in processes if running(p)]
    termed = _signal(targets, kill=False)
    stubborn = wait_gone(termed, grace_s)
    killed = _signal(stubborn, kill=True)
    wait_gone(killed, grace_s)
    left = tuple(p for p in targets if running(p))
    return Ended(terminated=len(termed) - len(stubborn), killed=len(killed), left=left)


def end_chromium_below(pid: int | None = None, grace_s: float = TERM_GRACE_S) -> Ended:
    """End the Chromium processes below pid (default: this process): SIGTERM, wait, then SIGKILL."""
    return end_processes(chromium_below(pid), grace_s)


def end_browser_processes() -> None:
    """End the Chromium processes started below this process: SIGTERM, a short wait, then SIGKILL."""
    end_chromium_below()
