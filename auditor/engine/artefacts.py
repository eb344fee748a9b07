"""Screenshots, traces and videos of one scenario attempt, with one owner that decides what to keep.

The recorder hears the context being created, pictures being asked for, the context closing and the
scenario's verdict; `retain-on-failure` and `only-on-failure` are decided in `finished`, nowhere else.
Capturing is best-effort: a capture that fails becomes a note on the result, never a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page
from playwright.sync_api import Error as PlaywrightError

from auditor.errors import first_line
from auditor.results import Screenshot

ARTEFACT_MODES = ("off", "on", "retain-on-failure")
SCREENSHOT_MODES = ("off", "on", "only-on-failure")
END_SCREENSHOT = "end-of-scenario"  # the name of the `--screenshot` option's picture
FAILURE_SCREENSHOT = "failure"
# A picture of where a scenario stopped is taken even when its deadline has passed, within this budget.
FAILURE_SHOT_MS = 5_000
SHOT_MS = 10_000


@dataclass(frozen=True, kw_only=True)
class Kept:
    """What an attempt keeps once its verdict is known."""

    screenshots: list[Screenshot]
    files: dict[str, str]  # "trace" / "video" → path relative to the output folder
    notes: list[str]


@dataclass(kw_only=True)
class ArtefactRecorder:
    """Captures one attempt's artefacts under `out_dir / folder` and decides which to keep."""

    out_dir: Path
    folder: str  # e.g. "artefacts/<scenario id>[-attemptN]", relative to out_dir
    trace: str = "off"  # off | on | retain-on-failure
    video: str = "off"
    screenshot_mode: str = "off"  # off | on | only-on-failure: the page the scenario ends on
    masks: list[Locator] = field(default_factory=list)  # inputs holding secrets, hidden in pictures
    shots: list[Screenshot] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def context_options(self) -> dict[str, Any]:
        """Options the browser context needs for what is recorded (the video folder)."""
        if self.video == "off":
            return {}
        return {"record_video_dir": str(self.out_dir / self.folder / "video")}

    def context_created(self, context: BrowserContext) -> None:
        """Start the trace, when one is recorded."""
        if self.trace == "off":
            return
        try:
            context.tracing.start(screenshots=True, snapshots=True, sources=False)
        except PlaywrightError as exc:
            self.notes.append(f"the trace could not be started: {first_line(exc)}")

    def screenshot(
        self,
        page: Page,
        name: str,
        *,
        step: str | None,
        timeout_ms: int = SHOT_MS,
        full_page: bool = False,
        at_failure: bool = False,
    ) -> str | None:
        """A JPEG of the page with secret inputs masked; None (and a note) when it cannot be taken."""
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "screenshot"
        relative = f"{self.folder}/{safe}.jpg"
        path = self.out_dir / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(path),
                type="jpeg",
                quality=60,
                full_page=full_page,
                scale="css",
                mask=list(self.masks),
                timeout=max(1, timeout_ms),
                animations="disabled",
            )
        except (PlaywrightError, OSError) as exc:
            self.notes.append(f"the screenshot {name!r} could not be taken: {first_line(exc)}")
            return None
        self.shots.append(Screenshot(name=name, file=relative, step=step, at_failure=at_failure))
        return relative

    def page_closing(self, page: Page, *, failed: bool, step: str | None, interrupted: bool) -> None:
        """The last picture of an attempt: where it stopped, or (with --screenshot) where it ended."""
        if page.is_closed():
            return
        if failed:
            if not interrupted:  # after Ctrl-C the run must end within seconds: no picture
                self.screenshot(
                    page, FAILURE_SCREENSHOT, step=step, timeout_ms=FAILURE_SHOT_MS, at_failure=True
                )
        elif self.screenshot_mode != "off":
            self.screenshot(page, END_SCREENSHOT, step=None)

    def close_context(self, context: BrowserContext, page: Page | None) -> None:
        """Stop the trace, close the context and keep the video under a stable name."""
        trace_path = self.out_dir / self.folder / "trace.zip"
        try:
            if self.trace != "off":
                context.tracing.stop(path=str(trace_path))
                self.files["trace"] = f"{self.folder}/trace.zip"
            video = page.video if page is not None and self.video != "off" else None
            context.close()
            if video is not None:
                recorded = Path(video.path())
                final = recorded.with_name("video.webm")
                recorded.replace(final)
                self.files["video"] = final.relative_to(self.out_dir).as_posix()
        except (PlaywrightError, OSError) as exc:
            # the browser is already gone: what was recorded stays; the rest is a note
            self.notes.append(f"the trace or video could not be saved: {first_line(exc)}")

    def finished(self, *, passed: bool) -> Kept:
        """Delete what the modes say not to keep for this verdict; return what stays."""
        files = dict(self.files)
        if passed:
            for kind, mode in (("trace", self.trace), ("video", self.video)):
                if kind in files and mode == "retain-on-failure":
                    (self.out_dir / files.pop(kind)).unlink(missing_ok=True)
        shots = list(self.shots)
        if passed and self.screenshot_mode == "only-on-failure":
            end = [s for s in shots if s.name == END_SCREENSHOT and s.step is None and not s.at_failure]
            for shot in end:
                (self.out_dir / shot.file).unlink(missing_ok=True)
            shots = [s for s in shots if s not in end]
        return Kept(screenshots=shots, files=files, notes=list(self.notes))


__all__ = [
    "ARTEFACT_MODES",
    "END_SCREENSHOT",
    "SCREENSHOT_MODES",
    "ArtefactRecorder",
    "Kept",
]
