"""How to run (RunOptions): a module of its own, so that the command line can prepare a run, and
start a browser for it, before it imports the engine that drives the browser."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.engine.browser import BrowserChoice

if TYPE_CHECKING:
    from auditor.engine.grid import GridSettings


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How to run: browser, workers, retries, artefacts, guardrails (prepared by engine.setup)."""

    browser: BrowserChoice | None  # None with a remote browser (connect / cdp / grid)
    out_dir: Path
    workers: int = 1
    headed: bool = False
    retries: int = 0
    trace: str = "off"  # off | on | retain-on-failure
    video: str = "off"
    screenshot: str = "off"  # off | on | only-on-failure: the page each scenario ends on
    channel: str | None = None  # a Chromium channel to launch (chrome, msedge…) instead of `browser`
    connect: str | None = None  # a Playwright browser server's ws:// endpoint
    cdp: str | None = None  # a Chromium started with --remote-debugging-port
    grid: GridSettings | None = None  # a Selenium Grid 4: one session per worker (engine/grid.py)
    allow_live_payments: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])


__all__ = ["RunOptions"]
