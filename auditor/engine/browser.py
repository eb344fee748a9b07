"""Finding and launching Chromium.

Order: an explicit path (`--browser-path` / AUDITOR_BROWSER_PATH), Playwright's own Chromium,
then the operating system's Chromium or Chrome.

A headless launch uses Chromium's headless shell when the found Chromium has one beside it
(Playwright's `chromium-headless-shell` download, Debian's `chromium-headless-shell` package), as
Playwright itself does for a headless launch: the same engine without the browser's window machinery,
about a third less wall time and CPU per lab checkout here. An explicit path is used as given.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.errors import AuditorError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserType

    from auditor.engine.options import RunOptions

ENV_BROWSER_PATH = "AUDITOR_BROWSER_PATH"
SYSTEM_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Without these, Chromium phones home at start-up (updates, sync, field trials); on a closed
# network those connections fail by the dozen and slow every launch.
#
# No --disable-features or --enable-features here: Chromium keeps only the last occurrence of a switch,
# so one of ours would replace Playwright's whole list (third-party storage partitioning, HTTPS upgrades,
# paint holding and the phone-home features it turns off) instead of adding to it.
QUIET_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
)


@dataclass(frozen=True, kw_only=True)
class BrowserChoice:
    """Which Chromium to start, and why that one."""

    executable: str | None  # None: Playwright's bundled Chromium, found by Playwright itself
    source: str  # "option", "environment", "playwright" or "system"
    headless_shell: str | None = None  # the same Chromium's headless-only build, for headless launches

    def executable_for(self, headless: bool) -> str | None:
        """The binary a launch starts: the headless shell for a headless one, when there is one."""
        if headless and self.headless_shell:
            return self.headless_shell
        return self.executable

    def describe(self) -> str:
        where = self.executable or "Playwright's bundled Chromium"
        shell = f"; headless runs use {self.headless_shell}" if self.headless_shell else ""
        return f"{where} (from {self.source}){shell}"


_MAC_APP = ("Google Chrome for Testing.app", "Contents", "MacOS", "Google Chrome for Testing")
_SHELL = "chrome-headless-shell"
# Where Playwright puts each download inside `<name>-<revision>/` (dashes as underscores), per platform:
# its registry's layout.
_LAYOUTS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    "chromium": {
        ("linux", "x86_64"): ("chrome-linux64", "chrome"),
        ("linux", "aarch64"): ("chrome-linux-arm64", "chrome"),
        ("darwin", "x86_64"): ("chrome-mac-x64", *_MAC_APP),
        ("darwin", "arm64"): ("chrome-mac-arm64", *_MAC_APP),
        ("win32", "amd64"): ("chrome-win64", "chrome.exe"),
    },
    "chromium-headless-shell": {
        ("linux", "x86_64"): (f"{_SHELL}-linux64", _SHELL),
        ("linux", "aarch64"): (f"{_SHELL}-linux-arm64", _SHELL),
        ("darwin", "x86_64"): (f"{_SHELL}-mac-x64", _SHELL),
        ("darwin", "arm64"): (f"{_SHELL}-mac-arm64", _SHELL),
        ("win32", "amd64"): (f"{_SHELL}-win64", f"{_SHELL}.exe"),
    },
}
# A system Chromium's headless shell, looked for in the same folder (Debian: chromium-headless-shell).
_SYSTEM_SHELLS = {"chromium": "chromium-headless-shell", "chromium-browser": "chromium-headless-shell"}


def _revision(name: str) -> str | None:
    """The revision of a download the installed Playwright expects, from its browsers.json (no driver)."""
    try:
        import playwright

        listing = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
        browsers = json.loads(listing.read_text(encoding="utf-8"))["browsers"]
    except (ImportError, OSError, ValueError, KeyError, TypeError):
        return None
    for browser in browsers:
        if isinstance(browser, dict) and browser.get("name") == name:
            return str(browser.get("revision") or "") or None
    return None


def _playwright_download(name: str) -> str | None:
    """The path of one of Playwright's downloads ("chromium", "chromium-headless-shell"), when it is there.

    Read from Playwright's own registry layout: starting its driver just to ask would cost a quarter of
    a second, and a second driver on a thread where pytest-playwright already runs one is refused.
    """
    revision = _revision(name)
    layout = _LAYOUTS[name].get((sys.platform, platform.machine().lower()))
    if revision is None or layout is None:
        return None
    folder = f"{name.replace('-', '_')}-{revision}"
    path = playwright_browsers_path().joinpath(folder, *layout)
    return str(path) if path.is_file() else None


def _executable(path: str | Path) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_browser(explicit: str | None = None, env: Mapping[str, str] | None = None) -> BrowserChoice:
    """Pick a Chromium, or raise an AuditorError that says how to get one."""
    env = os.environ if env is None else env
    for value, source in ((explicit, "option"), (env.get(ENV_BROWSER_PATH), "environment")):
        if not value:
            continue
        path = Path(value).expanduser()
        if _executable(path):
            return BrowserChoice(executable=str(path), source=source)
        label = "--browser-path" if source == "option" else ENV_BROWSER_PATH
        raise AuditorError(
            f"{label} points at {value!r}, which is not an executable file",
            tip="give the full path of a Chromium or Chrome binary, e.g. /usr/bin/chromium",
        )
    bundled = _playwright_download("chromium")
    bundled_shell = _playwright_download("chromium-headless-shell")
    if bundled or bundled_shell:  # `playwright install --only-shell` brings the shell alone
        return BrowserChoice(
            executable=bundled or bundled_shell, source="playwright", headless_shell=bundled_shell
        )
    for name in SYSTEM_BROWSERS:
        found = shutil.which(name, path=env.get("PATH", os.defpath))
        if found:
            shell = _SYSTEM_SHELLS.get(name)
            beside = os.path.join(os.path.dirname(found), shell) if shell else None
            return BrowserChoice(
                executable=found,
                source="system",
                headless_shell=beside if beside and _executable(beside) else None,
            )
    raise AuditorError(
        "no Chromium found",
        details=[
            "looked for: --browser-path, $AUDITOR_BROWSER_PATH, Playwright's Chromium, "
            + ", ".join(SYSTEM_BROWSERS),
        ],
        tip="run `make setup`, or `playwright install chromium`, or `apt-get install -y chromium`, "
        "or set AUDITOR_BROWSER_PATH",
    )


def host_resolver_rules(hosts: Mapping[str, str]) -> str:
    """Chromium's --host-resolver-rules value for a host → IP mapping (`*.` patterns allowed)."""
    return ", ".join(f"MAP {host} {ip}" for host, ip in hosts.items())


def launch_args(hosts: Mapping[str, str] | None = None, *, headless: bool = False) -> list[str]:
    """Command-line switches for every Chromium the auditor starts.

    A headless one also gets --disable-gpu: nothing is shown, and the software GPU process it would
    otherwise run cost about a tenth of the browser's CPU per checkout here.
    """
    args = list(QUIET_ARGS)
    if headless:
        args.append("--disable-gpu")
    if hosts:
        args.append(f"--host-resolver-rules={host_resolver_rules(hosts)}")
    return args


def merged_hosts(mappings: Iterable[Mapping[str, str]]) -> dict[str, str] | None:
    """Several host mappings in one, or None when two of them map a name differently."""
    merged: dict[str, str] = {}
    for hosts in mappings:
        for host, ip in hosts.items():
            if merged.setdefault(host, ip) != ip:
                return None
    return merged


@dataclass(frozen=True)
class LaunchPlan:
    """A Chromium the auditor launches itself: which binary or channel, headless or not, its host rules.

    Equal plans launch the same browser, so a browser launched ahead of time (engine/warm.py) is used
    only by a scenario that would have launched exactly that one.
    """

    executable: str | None
    channel: str | None
    headless: bool
    hosts: tuple[tuple[str, str], ...]  # in the mapping's order: Chromium applies its rules in order

    @classmethod
    def for_options(cls, options: RunOptions, hosts: Mapping[str, str]) -> LaunchPlan | None:
        """The launch a run with these options makes for this mapping; None when the browser is remote."""
        if options.connect or options.cdp or options.grid:
            return None
        return cls(
            executable=options.browser.executable_for(not options.headed) if options.browser else None,
            channel=options.channel,
            headless=not options.headed,
            hosts=tuple(hosts.items()),
        )

    def launch(self, chromium: BrowserType) -> Browser:
        args = launch_args(dict(self.hosts), headless=self.headless)
        if self.channel:
            return chromium.launch(channel=self.channel, headless=self.headless, args=args)
        return chromium.launch(executable_path=self.executable, headless=self.headless, args=args)


def playwright_browsers_path() -> Path:
    """Where Playwright keeps its downloads (browsers, ffmpeg)."""
    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured and configured != "0":
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "ms-playwright"


def video_recorder_available() -> bool:
    """Playwright records videos with its own ffmpeg build, downloaded by `playwright install ffmpeg`."""
    return any(playwright_browsers_path().glob("ffmpeg-*/ffmpeg-*"))


def video_recorder_problem() -> AuditorError | None:
    """Why videos cannot be recorded here (no ffmpeg from Playwright), or None."""
    if video_recorder_available():
        return None
    return AuditorError(
        "--video needs Playwright's ffmpeg, which is not installed",
        details=[f"looked in {playwright_browsers_path()}"],
        tip="run `playwright install ffmpeg` (it needs to download), or run without --video",
    )
