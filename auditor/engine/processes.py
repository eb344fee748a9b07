"""The browser processes this process started, ended when they do not stop on their own (after Ctrl-C)."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def end_browser_processes() -> None:
    """Terminate the Chromium processes started below this process (Linux /proc; elsewhere a no-op)."""
    me = os.getpid()
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            names[int(entry.name)] = (entry / "comm").read_text().strip().lower()
        except (OSError, IndexError, ValueError):
            continue

    def descends(pid: int) -> bool:
        seen = 0
        while pid > 1 and seen < 64:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
            seen += 1
        return False

    for pid, name in names.items():
        if "chrom" in name and descends(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
