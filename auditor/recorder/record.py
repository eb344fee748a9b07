"""`record` and `open` as library calls: the command line only parses options and prints.

`record` runs the browser in a thread of its own so that Ctrl-C, which Python delivers to the main
thread, can always end the recording; whatever happened, `finish` writes what was recorded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

from auditor.errors import AuditorError, InputError, first_line
from auditor.hosts import host_of
from auditor.recorder.compose import Draft, compose
from auditor.recorder.model import Event, Recording, ShopHosts
from auditor.recorder.session import BrowserSettings, RecordingSession, open_browser, wait_closed
from auditor.recorder.writer import scenario_yaml
from auditor.results import write_atomic
from auditor.scenario.load import load_scenario

STOP_GRACE_S = 10.0  # after Ctrl-C, how long the browser gets to close before the file is written anyway


@dataclass(frozen=True, kw_only=True)
class RecordOptions:
    """What `checkout-auditor record` was asked to do."""

    url: str
    out: Path
    hosts: dict[str, str] = field(default_factory=dict)
    shop_hosts: tuple[str, ...] = ()
    name: str | None = None
    headless: bool = False
    remote_debugging_port: int | None = None
    browser_path: str | None = None

    def shop(self) -> ShopHosts:
        """The shop's hosts: the URL's host and its subdomains, plus --shop-host names."""
        return ShopHosts(root=host_of(self.url), extra=tuple(h.lower() for h in self.shop_hosts))

    def browser(self) -> BrowserSettings:
        """How to start Chromium."""
        return BrowserSettings(
            hosts=self.hosts,
            headless=self.headless,
            remote_debugging_port=self.remote_debugging_port,
            browser_path=self.browser_path,
        )


@dataclass(frozen=True, kw_only=True)
class Recorded:
    """The outcome of a recording: the draft written, where, and whether it loads."""

    draft: Draft
    path: Path
    problem: InputError | None  # the written file does not load (a recorder bug); None when it does


def check_url(url: str, what: str = "record") -> str:
    """An http(s) URL with a host, or an AuditorError that says so."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AuditorError(
            f"{url!r} is not an http(s) URL",
            tip=f"give the page to {what} in full, like https://shop.example/",
        )
    return url


class Recorder:
    """One recording: start it, stop it (from any thread), and write what it saw."""

    def __init__(self, options: RecordOptions, on_event: Callable[[Event], None] | None = None) -> None:
        self.options = options
        self.stop = threading.Event()
        self.ready = threading.Event()
        # Set when the browser thread is done. Not Thread.join/is_alive: a join interrupted by Ctrl-C
        # marks the thread as ended while it still runs (CPython 3.11), and the file would be written
        # before the windows were read, then the process left with Playwright still working.
        self.ended = threading.Event()
        self.session = RecordingSession(check_url(options.url), options.shop(), on_event)
        self.devtools: str | None = None
        self.error: BaseException | None = None

    @property
    def recording(self) -> Recording:
        """What has been recorded so far."""
        return self.session.recording

    def _run(self) -> None:
        try:
            with open_browser(self.options.browser()) as (context, devtools):
                page = self.session.attach(context)
                self.devtools = devtools
                try:
                    page.goto(self.options.url, wait_until="commit")
                except PlaywrightError as exc:
                    raise AuditorError(
                        f"{self.options.url} did not open: {first_line(exc)}",
                        tip="is the shop up? For a host without public DNS, map it: --host NAME=IP",
                    ) from None
                self.ready.set()
                self.session.recording.ended_by = wait_closed(context, self.stop, self.session.settle)
        except BaseException as exc:  # kept for the caller: the thread itself has no one to tell
            self.error = exc
        finally:
            self.session.recording.ended_ms = self.session.now()
            self.ready.set()
            self.ended.set()

    def start(self) -> None:
        """Open the browser on the URL, in a thread; `ready` is set once it is there or has failed."""
        threading.Thread(target=self._run, name="recorder", daemon=True).start()

    def started(self) -> None:
        """Raise what kept the browser from opening the URL, if anything did."""
        if self.error is not None and not self.stop.is_set():
            raise self.error

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the recording to end; True when it has."""
        return self.ended.wait(timeout)

    def interrupt(self) -> None:
        """End the recording (Ctrl-C)."""
        self.stop.set()

    def finish(self) -> Recorded:
        """Write the scenario (atomically) with what was recorded, and check that it loads."""
        recording = self.session.recording
        if self.stop.is_set():
            recording.ended_by = "interrupted"
        # after Ctrl-C at a terminal the browser and Playwright's driver get it too and may go first:
        # the error that follows is not news
        if self.error is not None and not self.stop.is_set():
            recording.notes.append(f"the recording stopped on an error: {first_line(self.error, 200)}")
        draft = compose(recording, hosts=self.options.hosts, name=self.options.name)
        path = self.options.out
        try:
            write_atomic(path, scenario_yaml(draft, path))
        except OSError as exc:
            raise AuditorError(
                f"{path}: cannot write the scenario ({exc.strerror or exc})", tip="choose another --out"
            ) from None
        return Recorded(draft=draft, path=path, problem=validate(path, draft))


def validate(path: Path, draft: Draft) -> InputError | None:
    """Load the written file as `validate` would, with stand-ins for the secrets not set yet."""
    env = dict(os.environ)
    for secret in draft.secrets:
        env.setdefault(secret.env, "0")
    try:
        load_scenario(path, env=env)
    except InputError as exc:
        return exc
    return None


class _AnyVariable(Mapping[str, str]):
    """The environment, where a variable that is not set reads as empty (its default then applies)."""

    def __getitem__(self, name: str) -> str:
        return os.environ.get(name, "")

    def get(self, name: str, default: object = None) -> str:
        return os.environ.get(name, "")

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


@dataclass(frozen=True, kw_only=True)
class OpenTarget:
    """What `open` shows: a URL and the host mapping to resolve it with."""

    url: str
    hosts: dict[str, str]
    source: str  # "url" or the scenario file


def open_target(target: str, hosts: dict[str, str]) -> OpenTarget:
    """A URL as given, or a scenario's base_url and hosts (secrets need not be set to look at pages)."""
    if target.startswith(("http://", "https://")):
        return OpenTarget(url=check_url(target, "open"), hosts=dict(hosts), source="url")
    path = Path(target)
    if not path.is_file():
        raise AuditorError(
            f"{target!r} is neither an http(s) URL nor a scenario file", tip="give a URL or a scenario's path"
        )
    scenario = load_scenario(path, env=_AnyVariable())
    if not scenario.base_url:
        raise AuditorError(
            f"{path} has no base_url", tip="open the page by its URL: checkout-auditor open URL"
        )
    return OpenTarget(url=scenario.base_url, hosts={**scenario.hosts, **hosts}, source=str(path))


def open_browser_on(
    target: OpenTarget,
    settings: BrowserSettings,
    stop: threading.Event,
    on_ready: Callable[[str | None], None],
) -> None:
    """Show the page in Chromium with the target's host mapping until the window closes or `stop`."""
    with open_browser(settings) as (context, devtools):
        page = context.pages[0] if context.pages else context.new_page()
        try:
            page.goto(target.url, wait_until="commit")
        except PlaywrightError as exc:
            raise AuditorError(
                f"{target.url} did not open: {first_line(exc)}",
                tip="is the shop up? A host without public DNS needs a mapping: hosts: or --host",
            ) from None
        on_ready(devtools)
        wait_closed(context, stop)
