"""One run setup for every caller: what was asked (a RunRequest) becomes how to run (RunOptions).

`run`, `demo` and the pytest plugin differ only in how they spell their options (OptionNames) and how
they show results; conflicts, the browser choice, video support and the secrets rule are decided here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.engine.browser import ENV_BROWSER_PATH, BrowserChoice, find_browser, video_recorder_problem
from auditor.engine.options import RunOptions
from auditor.errors import AuditorError

if TYPE_CHECKING:  # annotations only: preparing a run imports neither the grid client nor the loader
    from auditor.engine.grid import GridSettings
    from auditor.scenario.load import LoadedScenario


@dataclass(frozen=True, kw_only=True)
class OptionNames:
    """How a caller spells the options, so that every message names the option the person typed."""

    browser_path: str = "--browser-path"
    channel: str = "--browser-channel"
    connect: str = "--connect"
    cdp: str = "--cdp"
    grid: str = "--grid"
    trace: str = "--trace"
    video: str = "--video"
    trace_secrets: str = "--trace-secrets"


CLI_NAMES = OptionNames()
PYTEST_NAMES = OptionNames(
    browser_path="--audit-browser-path",
    connect="--audit-connect",
    cdp="--audit-cdp",
    grid="--audit-grid",
    trace="--tracing",
    trace_secrets="--audit-trace-secrets",
)


@dataclass(frozen=True, kw_only=True)
class RunRequest:
    """What a caller asked for, before anything is checked or looked up."""

    out_dir: Path
    workers: int = 1
    headed: bool = False
    browser_path: str | None = None
    channel: str | None = None
    connect: str | None = None
    cdp: str | None = None
    grid: GridSettings | None = None  # a Selenium Grid 4 (checked by engine.grid.grid_settings)
    retries: int = 0
    trace: str = "off"
    video: str = "off"
    screenshot: str = "off"
    trace_secrets: bool = False
    allow_live_payments: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    names: OptionNames = CLI_NAMES

    @property
    def remote(self) -> bool:
        """Someone else starts the browser."""
        return bool(self.connect or self.cdp or self.grid)


def _conflicts(request: RunRequest) -> None:
    n = request.names
    chosen = [
        name
        for name, value in (
            (n.channel, request.channel),
            (n.connect, request.connect),
            (n.cdp, request.cdp),
            (n.grid, request.grid),
        )
        if value
    ]
    if len(chosen) > 1:
        tip = "give one of them"
        if request.grid is not None:
            tip += " (unset $SELENIUM_REMOTE_URL if it chose the grid)"
        raise AuditorError(f"{' and '.join(chosen)} both choose the browser", tip=tip)
    if request.channel and request.browser_path:
        raise AuditorError(
            f"{n.channel} and {n.browser_path} both choose the browser", tip="give one of them"
        )


def _browser(request: RunRequest) -> BrowserChoice | None:
    """The Chromium to start: None when someone else starts it (a browser server uses its own)."""
    if request.cdp or request.grid:
        return None  # the Chromium at the other end of --cdp, or the grid node's, is someone else's
    if request.channel:
        return BrowserChoice(executable=None, source=request.names.channel)
    path = request.browser_path
    if request.connect and not (path or os.environ.get(ENV_BROWSER_PATH)):
        return None  # the browser server launches its own Chromium unless told which
    try:
        return find_browser(path)
    except AuditorError as exc:
        if path and exc.headline.startswith("--browser-path"):  # name the option as the caller spells it
            raise AuditorError(
                exc.headline.replace("--browser-path", request.names.browser_path, 1), tip=exc.tip
            ) from None
        raise


def prepare(request: RunRequest) -> RunOptions:
    """Check the request and choose the browser; raises AuditorError (exit 2) naming the options."""
    _conflicts(request)
    if request.video != "off" and not request.remote:
        problem = video_recorder_problem()
        if problem is not None:
            raise problem
    return RunOptions(
        browser=_browser(request),
        out_dir=request.out_dir,
        workers=request.workers,
        headed=request.headed,
        retries=request.retries,
        trace=request.trace,
        video=request.video,
        screenshot=request.screenshot,
        channel=request.channel,
        connect=request.connect,
        cdp=request.cdp,
        grid=request.grid,
        allow_live_payments=request.allow_live_payments,
        run_id=request.run_id,
    )


def recording_refusal(request: RunRequest, scenarios: Sequence[LoadedScenario]) -> AuditorError | None:
    """Traces and videos record what is typed: scenarios with secrets need the trace-secrets option."""
    n = request.names
    recording = " and ".join(
        name for name, mode in ((n.trace, request.trace), (n.video, request.video)) if mode != "off"
    )
    if not recording or request.trace_secrets:
        return None
    with_secrets = [s for s in scenarios if s.scenario.secrets]
    if not with_secrets:
        return None
    listed = [f"{s.file} ({', '.join(sorted(s.scenario.secrets))})" for s in with_secrets]
    which = (
        f"{with_secrets[0].file} has secrets ({', '.join(sorted(with_secrets[0].scenario.secrets))})"
        if len(listed) == 1
        else "these scenarios have secrets: " + ", ".join(listed)
    )
    return AuditorError(
        f"{recording} record every value typed on screen, and {which}",
        tip=f"run without {recording}, or add {n.trace_secrets} to record them anyway "
        "(the files will then hold the secret values)",
    )


__all__ = ["CLI_NAMES", "PYTEST_NAMES", "OptionNames", "RunRequest", "prepare", "recording_refusal"]
