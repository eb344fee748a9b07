"""The recording browser: a Chromium whose every document reports what the person does.

`open_browser` starts Chromium (visible unless headless) on a fresh profile with the host mapping and
an optional DevTools port; `RecordingSession` puts capture.js into every frame and turns its reports,
and the browser's own navigation events, into the plain records of model.py. Playwright objects stay
in this module.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Frame, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from auditor.engine.browser import find_browser, launch_args
from auditor.engine.observe import NAVIGATION_REASONS
from auditor.errors import AuditorError, first_line
from auditor.hosts import host_of
from auditor.observation import NavigationCause
from auditor.recorder.model import (
    Action,
    Event,
    FrameAppeared,
    Nav,
    PageClosed,
    PageInfo,
    PopupOpened,
    Recording,
    ShopHosts,
    ShownPurchase,
)

CAPTURE_JS = (Path(__file__).parent / "capture.js").read_text(encoding="utf-8")
BINDING = "__auditorRecord"
ACTIONS = ("click", "fill", "select", "check", "uncheck", "press")
_RECHECK_MS = 200  # the longest a closed window or Ctrl-C goes unnoticed
_SETTLE_MS = 2_000  # for each window, after Ctrl-C: the recording must still end within seconds
_DEVTOOLS_WAIT_S = 10.0


# Is the element the selector found (visible) the one the person used, in the same document?
_SAME_TARGET_JS = """
([el, seq]) => {
  const find = window.__auditorRecorderTarget;
  const t = find ? find(seq) : null;
  return !!t && (el === t || el.contains(t) || t.contains(el));
}
"""
_TARGET_STATE_JS = """
(seq) => {
  const find = window.__auditorRecorderTarget;
  const t = find ? find(seq) : null;
  if (!t || !t.isConnected) return {live: false};
  const style = getComputedStyle(t);
  const box = t.getBoundingClientRect();
  return {live: style.visibility === 'visible' && box.width > 0 && box.height > 0};
}
"""


@dataclass(frozen=True, kw_only=True)
class BrowserSettings:
    """How to start the recording (or `open`) browser."""

    hosts: dict[str, str] = field(default_factory=dict)
    headless: bool = False
    remote_debugging_port: int | None = None
    browser_path: str | None = None


def _devtools_endpoint(profile: Path, port: int | None) -> str | None:
    """http://127.0.0.1:PORT for --remote-debugging-port (Chromium writes the port it chose for 0)."""
    if port is None:
        return None
    if port:
        return f"http://127.0.0.1:{port}"
    active = profile / "DevToolsActivePort"
    deadline = time.monotonic() + _DEVTOOLS_WAIT_S
    pause = threading.Event()
    while time.monotonic() < deadline:
        try:
            first = active.read_text().split()[0]
            return f"http://127.0.0.1:{int(first)}"
        except (OSError, IndexError, ValueError):
            pause.wait(0.05)  # Chromium writes the file as its DevTools server starts
    raise AuditorError(
        "Chromium did not open its DevTools port", tip="give a port: --remote-debugging-port 9222"
    )


@contextmanager
def open_browser(settings: BrowserSettings) -> Iterator[tuple[BrowserContext, str | None]]:
    """A Chromium with a fresh profile, and its DevTools address when a port was asked for."""
    choice = find_browser(settings.browser_path)
    # a short folder: Chromium's profile sockets must fit in a Unix socket path (108 bytes)
    profile = Path(tempfile.mkdtemp(prefix="aud-rec-", dir="/tmp" if Path("/tmp").is_dir() else None))
    args = launch_args(settings.hosts)
    if settings.remote_debugging_port is not None:
        args.append(f"--remote-debugging-port={settings.remote_debugging_port}")
    try:
        with sync_playwright() as p:
            try:
                context = p.chromium.launch_persistent_context(
                    str(profile),
                    executable_path=choice.executable_for(settings.headless),
                    headless=settings.headless,
                    args=args,
                    no_viewport=not settings.headless,
                    handle_sigint=False,  # Ctrl-C ends the recording; the recorder closes the browser itself
                    handle_sigterm=False,
                    handle_sighup=False,
                )
            except PlaywrightError as exc:
                message = first_line(exc)
                display = "display" in str(exc).lower() or "x server" in str(exc).lower()
                raise AuditorError(
                    f"Chromium did not start: {message[:300]}",
                    details=[f"browser: {choice.describe()}"],
                    tip="there is no display here: add --headless (and drive it over --remote-debugging-port)"
                    if display
                    else "run `checkout-auditor doctor` to see what is wrong with the browser",
                ) from None
            try:
                yield context, _devtools_endpoint(profile, settings.remote_debugging_port)
            finally:
                try:
                    context.close()
                except PlaywrightError:
                    pass  # the browser is already gone (its last window was closed)
    finally:
        # the profile holds what was typed (autofill, form history): it goes with the recording
        shutil.rmtree(profile, ignore_errors=True)


def wait_closed(
    context: BrowserContext,
    stop: threading.Event,
    settle: Callable[[BrowserContext], None] | None = None,
) -> str:
    """Block until every window is closed or the browser goes away ("closed"), or `stop` is set
    ("interrupted", after `settle` has read what the windows still hold)."""
    gone = threading.Event()
    context.on("close", lambda _: gone.set())
    while True:
        if stop.is_set():
            if settle is not None:
                settle(context)
            return "interrupted"
        try:
            if gone.is_set() or not context.pages:
                return "closed"
            context.wait_for_event("page", timeout=_RECHECK_MS)
        except PlaywrightTimeout:
            continue
        except PlaywrightError:
            return "closed"


@dataclass
class _Document:
    """A document request of a window's top frame, from the DevTools protocol."""

    cause: NavigationCause
    method: str
    urls: list[str]


class RecordingSession:
    """Listens to one browser context and keeps what it saw as a Recording."""

    def __init__(
        self,
        start_url: str,
        shop: ShopHosts,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.started = time.monotonic()
        self.recording = Recording(
            start_url=start_url, shop=shop, started_at=datetime.now(UTC).isoformat(timespec="seconds")
        )
        self.on_event = on_event
        self._pages: dict[Page, str] = {}  # Playwright keeps one wrapper per page: a stable key
        self._frame_selectors: dict[Frame, str | None] = {}  # the key keeps the Frame alive: no id reuse
        self._popups = 0
        self._busy = 0
        self._received = 0
        self._script = (
            f"({CAPTURE_JS})({json.dumps({'binding': BINDING, 'install': True, 'shop': shop.as_config()})});"
        )
        # always truthy, so that waiting for it is one round trip: {page: null} off the shop
        self._read_shop_page = (
            f"() => ({{page: ({CAPTURE_JS})({json.dumps({'install': False, 'shop': shop.as_config()})})"
            ".shopPage()})"
        )

    def now(self) -> int:
        """Milliseconds since the recording started."""
        return int((time.monotonic() - self.started) * 1000)

    def add(self, event: Event, position: int | None = None) -> None:
        """Keep an event at its place in arrival order (and tell the caller, who may show it).

        A report that needs the browser (naming an iframe, confirming a selector) lets Playwright
        deliver later events meanwhile; `position`, taken when it arrived, keeps it before them.
        """
        if position is None:
            self.recording.events.append(event)
        else:
            self.recording.events.insert(position, event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # showing progress must never end a recording
                pass

    # ---------------------------------------------------------------- wiring

    def attach(self, context: BrowserContext) -> Page:
        """Put the capture script in every frame of every window; returns the customer's window."""
        context.expose_binding(BINDING, self._on_binding)
        context.add_init_script(script=self._script)
        context.on("page", self._on_new_page)
        page = context.pages[0] if context.pages else context.new_page()
        self._watch(page, "main")
        return page

    def _on_new_page(self, page: Page) -> None:
        if page in self._pages:
            return
        self._popups += 1
        name = f"popup-{self._popups}"
        opener = None
        try:
            found = page.opener()
            opener = self._pages.get(found) if found is not None else None
        except PlaywrightError:
            pass
        self.add(PopupOpened(at_ms=self.now(), page=name, opener=opener))
        self._watch(page, name)

    def _watch(self, page: Page, name: str) -> None:
        self._pages[page] = name
        page.on("close", lambda _: self.add(PageClosed(at_ms=self.now(), page=name)))
        page.on("framenavigated", lambda frame: self._on_frame(name, frame))
        try:
            self._watch_navigations(page, name)
        except PlaywrightError as exc:
            self.recording.notes.append(
                f"the navigations of one window could not be followed: {first_line(exc)}"
            )

    def _on_frame(self, page: str, frame: Frame) -> None:
        if frame.parent_frame is None:
            return
        at, position = self.now(), len(self.recording.events)
        # named now, while its parent document is surely there (an action in it may come just before
        # a navigation that takes the parent away)
        self._frame_selector(frame)
        host = host_of(frame.url)
        if host and not self.recording.shop.is_shop(host):
            self.add(FrameAppeared(at_ms=at, page=page, host=host, url=frame.url), position)

    def _watch_navigations(self, page: Page, name: str) -> None:
        """Top-level navigations with their cause and redirects, as Chromium reports them."""
        session = page.context.new_cdp_session(page)
        main_id = session.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
        pending: dict[str, NavigationCause] = {}
        documents: dict[str, _Document] = {}
        seen = {"url": ""}

        def requested(event: dict[str, Any]) -> None:
            if event.get("frameId") == main_id:
                pending["cause"] = NAVIGATION_REASONS.get(event.get("reason", ""), NavigationCause.OTHER)

        def within_document(event: dict[str, Any]) -> None:
            if event.get("frameId") == main_id:
                pending.pop("cause", None)  # a same-document navigation used up the request

        def will_be_sent(event: dict[str, Any]) -> None:
            if event.get("type") != "Document" or event.get("frameId") != main_id:
                return
            request_id = event["requestId"]
            url = event["request"]["url"]
            method = event["request"].get("method", "GET")
            if event.get("redirectResponse") and request_id in documents:
                documents[request_id].urls.append(url)
                documents[request_id].method = method
                return
            # no renderer request: the person typed it, went back or forward (or a tool navigated)
            cause = pending.pop("cause", NavigationCause.TYPED)
            documents[request_id] = _Document(cause=cause, method=method, urls=[url])

        def navigated(event: dict[str, Any]) -> None:
            frame = event.get("frame", {})
            if frame.get("parentId"):
                return
            url = frame.get("url", "") + frame.get("urlFragment", "")
            document = documents.pop(frame.get("loaderId", ""), None)
            self._navigation(name, url, document)
            seen["url"] = url

        session.on("Page.frameRequestedNavigation", requested)
        session.on("Page.navigatedWithinDocument", within_document)
        session.on("Network.requestWillBeSent", will_be_sent)
        session.on("Page.frameNavigated", navigated)
        session.send("Page.enable")
        session.send("Network.enable")
        # a popup may have navigated before we could listen: count where it already is
        current = page.url
        if host_of(current) and not seen["url"]:
            self._navigation(name, current, None)

    def _navigation(self, page: str, url: str, document: _Document | None) -> None:
        host = host_of(url)
        if not host:
            return  # about:blank, error pages: not a place the customer is
        chain = tuple(document.urls[:-1]) if document else ()
        self.add(
            Nav(
                at_ms=self.now(),
                page=page,
                url=url,
                host=host,
                cause=document.cause if document else NavigationCause.OTHER,
                method=document.method if document else "GET",
                redirect_chain=chain,
            )
        )

    # ---------------------------------------------------------------- reports from the pages

    @property
    def busy(self) -> bool:
        """Is a report from a page still being turned into an event (waiting on the browser)?"""
        return self._busy > 0

    @property
    def received(self) -> int:
        """How many reports the pages have sent so far (each page counts its own sends too)."""
        return self._received

    def _on_binding(self, source: dict[str, Any], payload: Any) -> None:
        self._received += 1
        self._busy += 1
        try:
            self._report(source, payload)
        except Exception as exc:  # one event we cannot read never ends the recording
            self.recording.notes.append(f"an action could not be recorded: {first_line(exc)}")
        finally:
            self._busy -= 1

    def _report(self, source: dict[str, Any], payload: Any) -> None:
        if not isinstance(payload, dict):
            return
        page = source.get("page")
        frame = source.get("frame")
        name = self._pages.get(page) if isinstance(page, Page) else None
        if name is None or frame is None:
            return
        kind = payload.get("type")
        if kind == "page":
            self._page_info(name, payload)
        elif kind in ACTIONS:
            self._action(name, frame, payload)

    def _page_info(self, page: str, payload: dict[str, Any]) -> None:
        purchase = None
        raw = payload.get("purchase")
        if isinstance(raw, dict):
            shown = raw.get("shown") or {}
            candidates = [c for c in shown.get("candidates", []) if c.get("kind") not in ("role", "text")]
            purchase = ShownPurchase(
                purchase_id=str(raw.get("id") or ""),
                products=int(raw.get("products") or 0),
                selector=candidates[0]["selector"] if candidates else None,
                text=str(shown.get("text") or ""),
            )
        self.add(
            PageInfo(
                at_ms=self.now(),
                page=page,
                url=str(payload.get("url", "")),
                title=str(payload.get("title", "")),
                purchase=purchase,
            )
        )

    def settle(self, context: BrowserContext) -> None:
        """On Ctrl-C: let each window's reports arrive, and read the shop page it shows when its own
        report is not among them.

        A shop page reports its title and order number from its load event; Ctrl-C just after a
        confirmation page appeared could end the recording before that report, and the scenario would
        lose its capture of the order id. One bounded round trip to each window brings back what the
        page sent before it, and the page as it is now, which is kept when nothing came since the
        window last navigated.
        """
        for page in list(context.pages):
            name = self._pages.get(page)
            try:
                shown = page.wait_for_function(self._read_shop_page, timeout=_SETTLE_MS).json_value()
            except PlaywrightTimeout:  # a window that is there but does not answer (a dialog open)
                if name is not None:
                    self.recording.notes.append(
                        f"the {name} window did not answer within {_SETTLE_MS / 1000:g} s at the end"
                    )
                continue
            except PlaywrightError:  # a window closing, or a browser that got the Ctrl-C too: not news
                continue
            info = shown.get("page") if isinstance(shown, dict) else None
            if name is not None and isinstance(info, dict) and not self._reported_since_navigation(name):
                self._page_info(name, info)

    def _reported_since_navigation(self, page: str) -> bool:
        for event in reversed(self.recording.events):
            if event.page == page and isinstance(event, Nav | PageInfo):
                return isinstance(event, PageInfo)
        return False

    def _action(self, page: str, frame: Frame, payload: dict[str, Any]) -> None:
        at = self.now()
        position = len(self.recording.events)
        frames, frame_hosts, frames_named = self._frame_chain(frame)
        selector, verified = self._choose(frame, payload)
        verified = verified and frames_named
        kind = str(payload["type"])
        secret = payload.get("secret")
        value = payload.get("value") if kind in ("fill", "select") and secret is None else None
        self.add(
            Action(
                at_ms=at,
                page=page,
                kind=kind,
                selector=selector,
                frame=frames,
                frame_hosts=frame_hosts,
                host=host_of(str(payload.get("url", ""))),
                url=str(payload.get("url", "")),
                document=str(payload.get("doc", "")),
                element=int(payload.get("element") or 0),
                value=None if value is None else str(value),
                secret=None if secret is None else str(secret),
                key=payload.get("key"),
                verified=verified,
            ),
            position,
        )

    def _frame_chain(self, frame: Frame) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
        """Selectors for the iframes from the top document down to `frame`, their hosts, and whether
        each selector was verified (an iframe that could not be named gets a bare `iframe`)."""
        chain: list[Frame] = []
        current = frame
        while current.parent_frame is not None:
            chain.append(current)
            current = current.parent_frame
        chain.reverse()
        named = [self._frame_selector(item) for item in chain]
        selectors = tuple(selector or "iframe" for selector in named)
        return selectors, tuple(host_of(item.url) for item in chain), all(named)

    def _frame_selector(self, frame: Frame) -> str | None:
        """A selector matching exactly this iframe in its parent document (asked once per frame)."""
        if frame in self._frame_selectors:
            return self._frame_selectors[frame]
        try:
            handle = frame.frame_element()
            try:
                named = handle.evaluate(
                    f"(el) => ({CAPTURE_JS})({{install: false}}).describe(el, {{frame: true}})"
                )
            finally:
                handle.dispose()
        except PlaywrightError:
            return None  # its parent is changing page: asked again with the next action in it
        found = str(named[0]["selector"]) if named else None
        self._frame_selectors[frame] = found
        return found

    def _choose(self, frame: Frame, payload: dict[str, Any]) -> tuple[str, bool]:
        """The first candidate that names the element; role and text ones are confirmed by Playwright."""
        seq = payload.get("seq")
        for candidate in payload.get("candidates") or []:
            selector = str(candidate.get("selector", ""))
            if not selector:
                continue
            if candidate.get("kind") in ("role", "text") and self._confirm(frame, selector, seq) is False:
                continue  # Playwright's engine finds another element (or none): try the next one
            return selector, True
        return str(payload.get("fallback") or "body"), False

    def _confirm(self, frame: Frame, selector: str, seq: Any) -> bool | None:
        """Does Playwright find exactly the person's element? None when the page has moved on."""
        try:
            state = frame.wait_for_function(
                f"(seq) => ({{ value: ({_TARGET_STATE_JS})(seq) }})", arg=seq, timeout=1_000
            ).json_value()["value"]
            if not state.get("live"):
                return None  # the element is gone or hidden: what the page saw at the event stands
            matches = frame.locator(selector).filter(visible=True)
            if matches.count() != 1:
                return False
            handle = matches.element_handle(timeout=1_000)
            try:
                return bool(frame.evaluate(_SAME_TARGET_JS, [handle, seq]))
            finally:
                handle.dispose()
        except PlaywrightError:
            return None
