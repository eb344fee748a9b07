"""Recording what the browser does, as plain data, while a scenario runs.

Playwright tells us about requests, responses, pages and frames; Chromium's DevTools protocol adds
what Playwright does not expose: *why* each navigation was requested (form POST, script, meta
refresh, link …) and which cookies a request carried or had blocked (SameSite). Everything is turned
into the plain records of observation.py as it happens; no Playwright object leaves this module.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import BrowserContext, CDPSession, Frame, Page, Request, Response, Route
from playwright.sync_api import Error as PlaywrightError

from auditor.connectif.patterns import classify
from auditor.connectif.tracking import decode_body
from auditor.hosts import host_matches, host_of, unreachable
from auditor.observation import (
    ConnectifRequestRecord,
    ConsoleError,
    FailedDocument,
    FrameSeen,
    JourneyPage,
    Navigation,
    NavigationCause,
    TagSnapshot,
)

# Chromium's ClientNavigationReason → our cause names (the recorder reads the same events).
NAVIGATION_REASONS = {
    "formSubmissionGet": NavigationCause.FORM_GET,
    "formSubmissionPost": NavigationCause.FORM_POST,
    "httpHeaderRefresh": NavigationCause.META_REFRESH,
    "metaTagRefresh": NavigationCause.META_REFRESH,
    "scriptInitiated": NavigationCause.SCRIPT,
    "reload": NavigationCause.RELOAD,
    "anchorClick": NavigationCause.LINK,
}

# How Connectif's script reads a tag's texts: every class name found on a descendant element, with its
# texts in document order (innerText falling back to textContent, trimmed); the first one is what the
# script's getElementsByClassName(name)[0] sees.
_COLLECT = """
  const read = (el) => ((el.innerText || el.textContent || '') + '').trim();
  const collect = (container) => {
    const fields = {};
    for (const el of container.querySelectorAll('[class]')) {
      for (const cls of el.classList) {
        if (cls === 'product_basket_item') continue;
        (fields[cls] = fields[cls] || []).push(read(el));
      }
    }
    return fields;
  };
  const basket = (tag, limit) => ({
    fields: collect(tag),
    items: Array.from(tag.getElementsByClassName('product_basket_item')).map((i) => collect(i)),
    html: tag.outerHTML.slice(0, limit),
  });
"""
# Reads every div.cn_purchase the way Connectif's script does. Runs on the live document, or on a
# DOMParser copy of the HTML as served (an inert document: its scripts never run).
_EXTRACT_FN = (
    "(root) => {"
    + _COLLECT
    + "  return Array.from(root.getElementsByClassName('cn_purchase')).map((tag) => basket(tag, 20000));\n}"
)
# The other tags of a page that say what the cart is and who the customer is (a few of each: the
# script reads the first).
_JOURNEY_FN = (
    "(root) => {"
    + _COLLECT
    + """  const all = (name) => Array.from(root.getElementsByClassName(name)).slice(0, 5);
  return {
    carts: all('cn_cart').map((tag) => basket(tag, 5000)),
    client: all('cn_client_info').map(collect),
    login: all('cn_login').map(collect),
    register: all('cn_register').map(collect),
    purchases: root.getElementsByClassName('cn_purchase').length,
  };
}"""
)
EXTRACT_TAGS_JS = f"""
(_root, html) => ({_EXTRACT_FN})(
  html === null ? document : new DOMParser().parseFromString(html, 'text/html'))
"""
# The function every top-level document calls at its load event with what its tags said then.
JOURNEY_BINDING = "__auditorJourney"

# Runs in every document before its own scripts. It notes when a cn_purchase tag first appears, and
# reads the tags at the page's load event: the moment Connectif's script reads them, which the
# auditor itself, answering later, cannot see any more (a tag injected just after load). A top-level
# document also hands its cart and contact tags to the auditor then, through JOURNEY_BINDING: one
# message per page, and no round trip the auditor has to make.
TAG_WATCH_INIT = f"""
(() => {{
  const extract = {_EXTRACT_FN};
  const journey = {_JOURNEY_FN};
  const doc = Math.random().toString(36).slice(2) + Date.now().toString(36);
  const url = location.href;  // as the document committed, before any replaceState
  const mark = () => {{
    if (window.__auditorTagSeenAt === undefined && document.getElementsByClassName('cn_purchase').length) {{
      window.__auditorTagSeenAt = Date.now();
    }}
  }};
  new MutationObserver(mark).observe(document, {{childList: true, subtree: true}});
  document.addEventListener('DOMContentLoaded', mark);
  window.addEventListener('load', () => {{
    try {{ window.__auditorTagsAtLoad = {{at: Date.now(), tags: extract(document)}}; }} catch (e) {{}}
    if (window !== window.top) return;
    try {{
      const record = Object.assign({{doc: doc, url: url, at: Date.now()}}, journey(document));
      window.__auditorJourneyAtLoad = record;
      const report = window.{JOURNEY_BINDING};
      if (typeof report === 'function') report(record).catch(() => {{}});
    }} catch (e) {{}}
  }});
}})();
"""
# Everything the auditor reads about a page's tags, in one evaluation (each costs a few round trips
# to Playwright's driver): the tags in `html` as served (when given), at the load event, now, and
# when a tag first appeared; and the page's journey record (its cart and contact tags at load).
PAGE_TAGS_JS = f"""
(_root, html) => {{
  const extract = {_EXTRACT_FN};
  return {{
    served: html === null ? null : extract(new DOMParser().parseFromString(html, 'text/html')),
    atLoad: window.__auditorTagsAtLoad === undefined ? null : window.__auditorTagsAtLoad,
    now: extract(document),
    seenAt: window.__auditorTagSeenAt === undefined ? null : window.__auditorTagSeenAt,
    journey: window.__auditorJourneyAtLoad === undefined ? null : window.__auditorJourneyAtLoad,
  }};
}}
"""


@dataclass(frozen=True)
class _PageRead:
    """What one top-level document's cart and contact tags said at its load event."""

    doc: str  # the document's own random id: the same record may arrive twice
    role: str  # "main" or "popup"
    arrived_ms: int  # when the auditor got it (after the page's commit was recorded)
    page: JourneyPage  # url, read_ms and the tags (at_ms is the commit's, filled in by Recorder.journey)


@dataclass
class _DocRequest:
    """A document request chain in one frame, as the DevTools protocol reports it."""

    request_id: str
    started_ms: int
    cause: NavigationCause
    method: str
    urls: list[str]
    cookies_sent: list[str] = field(default_factory=list)
    cookies_blocked: dict[str, list[str]] = field(default_factory=dict)
    status: int | None = None
    failure: str | None = None  # Chromium's error text when the request failed (refused, reset…)
    response: Response | None = None  # Playwright's response, when Network events were off


def network_error(text: str) -> str | None:
    """The `net::ERR_…` code in an error message (Playwright's goto says "net::ERR_… at URL")."""
    found = re.search(r"net::ERR_[A-Z0-9_]+", text)
    return found.group(0) if found else None


# Before the payment DevTools' Network events are off, and early ones may come out of order: at most
# this many requests' extra info is kept until the request itself is reported.
_EARLY_EXTRA_MAX = 500


class Recorder:
    """Collects the facts of one scenario from one browser context."""

    def __init__(self, *, started: float, connectif_hosts: tuple[str, ...], intercept: bool):
        self.started = started  # time.monotonic() at scenario start
        self.wall_started = time.time()
        self.connectif_hosts = connectif_hosts
        self.intercept = intercept
        self.lock = threading.Lock()
        self.navigations: list[Navigation] = []
        self.frames: list[FrameSeen] = []
        self.connectif: list[ConnectifRequestRecord] = []
        self._connectif_index: dict[int, int] = {}
        self.console_errors: list[ConsoleError] = []
        self.page_reads: dict[str, _PageRead] = {}  # document id → its cart and contact tags at load
        self.responses_by_host: dict[str, int] = {}  # host → first response time
        # Hosts whose name resolved: they answered, or failed for another reason than their name.
        self.resolved_hosts: set[str] = set()
        self.documents: dict[str, _DocRequest] = {}  # DevTools request id → chain
        # requestWillBeSentExtraInfo that came before its requestWillBeSent (Chromium sends them from
        # two processes, in either order): request id → the events, applied when the request arrives.
        self.early_extra: dict[str, list[dict[str, Any]]] = {}
        self.failed_documents: list[FailedDocument] = []
        self._nav_sources: list[tuple[int, _DocRequest]] = []  # navigation index → what it was made of
        self.main_responses: dict[int, Response] = {}  # id(page) → last main-frame document response
        self.pending_reason: dict[str, NavigationCause] = {}  # frame id → reason of requested navigation
        self.pages: dict[int, str] = {}  # id(page) → "main" | "popup"
        self.closed_pages: set[int] = set()
        self.user_action = False  # set by the runner around real clicks/keypresses
        self.cdp_sessions: list[CDPSession] = []
        # DevTools' Network events (cookies on a document request, with the reasons for blocked ones)
        # are needed only from the payment on; enabled all along, they cost about 5% of a checkout's
        # time. Before, Playwright's own responses describe the documents.
        self.network = False

    def now(self) -> int:
        """Milliseconds since the scenario started."""
        return int((time.monotonic() - self.started) * 1000)

    def wall_to_ms(self, epoch_ms: float) -> int:
        """A Date.now() value from a page → milliseconds since the scenario started."""
        return int(epoch_ms - self.wall_started * 1000)

    # ---------------------------------------------------------------- wiring

    def attach_context(self, context: BrowserContext) -> None:
        """Listen to every request and page of a context."""
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("requestfailed", self._on_request_failed)
        context.expose_binding(JOURNEY_BINDING, self._on_page_read)
        context.add_init_script(TAG_WATCH_INIT)
        if self.intercept:
            self._route_tracking(context)

    def intercept_tracking(self, context: BrowserContext) -> None:
        """From now on, answer Connectif's tracking requests locally (`mode: intercept`) and record them."""
        if not self.intercept:
            self.intercept = True
            self._route_tracking(context)

    def _route_tracking(self, context: BrowserContext) -> None:
        # The matcher reads connectif_hosts on each request, so hosts added later count too.
        context.route(
            lambda url: classify(url, self.connectif_hosts, "POST") == "tracking", self._answer_tracking
        )

    def watch_popups(self, context: BrowserContext) -> None:
        """Record every window opened after the customer's own (call once the main page is attached)."""
        context.on("page", lambda page: self.attach_page(page, "popup"))

    def attach_page(self, page: Page, role: str) -> None:
        """Listen to one page: navigations with their causes, frames, errors."""
        if id(page) in self.pages:
            return
        self.pages[id(page)] = role
        page.on("pageerror", lambda exc: self._on_page_error(page, str(exc)))
        page.on("frameattached", lambda frame: self._on_frame(frame))
        page.on("framenavigated", lambda frame: self._on_frame(frame))
        page.on("close", lambda _: self.closed_pages.add(id(page)))
        try:
            session = page.context.new_cdp_session(page)
        except Exception:  # not Chromium, or the page already closed: causes stay "other"
            return
        self.cdp_sessions.append(session)
        main_frame_id: dict[str, str] = {}

        def requested(event: dict[str, Any]) -> None:
            self.pending_reason[event["frameId"]] = NAVIGATION_REASONS.get(
                event.get("reason", ""), NavigationCause.OTHER
            )

        def response(event: dict[str, Any]) -> None:
            chain = self.documents.get(event.get("requestId", ""))
            if chain is not None:
                chain.status = event.get("response", {}).get("status")

        def failed(event: dict[str, Any]) -> None:
            chain = self.documents.get(event.get("requestId", ""))
            if chain is not None:
                chain.failure = event.get("errorText") or "failed"

        def navigated(event: dict[str, Any]) -> None:
            frame = event.get("frame", {})
            if frame.get("parentId"):
                return
            main_frame_id["id"] = frame.get("id", "")
            url = frame.get("url", "")
            failed_url = frame.get("unreachableUrl")  # Chromium shows its error page for this address
            chain = self.documents.get(frame.get("loaderId", ""))
            if chain is None:  # Network events were off: the cause from Page events, the rest from Playwright
                chain = self._document_from_response(page, failed_url or url, frame.get("id", ""))
            if failed_url:
                url = failed_url
            elif frame.get("urlFragment"):
                url += frame["urlFragment"]
            error = (chain.failure or self._failure_of(url) or "net::ERR_FAILED") if failed_url else None
            with self.lock:
                self._nav_sources.append((len(self.navigations), chain))
                self.navigations.append(
                    Navigation(
                        at_ms=self.now(),
                        url=url,
                        host=host_of(url),
                        page=role,
                        cause=chain.cause,
                        method=chain.method,
                        status=chain.status,
                        redirect_chain=chain.urls[:-1],
                        cookies_sent=chain.cookies_sent,
                        cookies_blocked=chain.cookies_blocked,
                        user_initiated=self.user_action,
                        error=error,
                    )
                )

        session.on("Page.frameRequestedNavigation", requested)
        session.on("Network.requestWillBeSent", self.document_requested)
        session.on("Network.requestWillBeSentExtraInfo", self.request_extra_info)
        session.on("Network.responseReceived", response)
        session.on("Network.loadingFailed", failed)
        session.on("Page.frameNavigated", navigated)
        try:
            session.send("Page.enable")
            if self.network:
                session.send("Network.enable")
        except Exception:  # the page went away while we attached: nothing more to learn from it
            return

    def document_requested(self, event: dict[str, Any]) -> None:
        """DevTools' Network.requestWillBeSent: a page or frame request starts (or is redirected)."""
        request_id = event["requestId"]
        early = self.early_extra.pop(request_id, [])
        if event.get("type") != "Document":
            return
        url = event["request"]["url"]
        if event.get("redirectResponse") and request_id in self.documents:
            chain = self.documents[request_id]
            chain.urls.append(url)
            chain.method = event["request"].get("method", "GET")
            self._note_response(event["redirectResponse"].get("url", ""))
            for extra in early:
                _add_cookies(chain, extra)
            return
        frame_id = event.get("frameId", "")
        cause = self.pending_reason.pop(frame_id, None)
        if cause is None:
            cause = NavigationCause.LINK if self.user_action else NavigationCause.TYPED
        self.documents[request_id] = _DocRequest(
            request_id=request_id,
            started_ms=self.now(),
            cause=cause,
            method=event["request"].get("method", "GET"),
            urls=[url],
        )
        for extra in early:
            _add_cookies(self.documents[request_id], extra)

    def request_extra_info(self, event: dict[str, Any]) -> None:
        """Network.requestWillBeSentExtraInfo: the cookies a request carried, or had blocked and why; it may
        come before its requestWillBeSent (the two are sent from different processes)."""
        request_id = event.get("requestId", "")
        chain = self.documents.get(request_id)
        if chain is None:  # its requestWillBeSent has not come yet: keep it until it does
            if len(self.early_extra) >= _EARLY_EXTRA_MAX:
                self.early_extra.pop(next(iter(self.early_extra)))
            self.early_extra.setdefault(request_id, []).append(event)
            return
        _add_cookies(chain, event)

    def watch_network(self) -> None:
        """Turn DevTools' Network events on for every page, now and later (call before the payment)."""
        if self.network:
            return
        self.network = True
        for session in self.cdp_sessions:
            try:
                session.send("Network.enable")
            except Exception:  # that page is gone
                continue

    def _document_from_response(self, page: Page, url: str, frame_id: str) -> _DocRequest:
        """A document's cause, method, redirects and status when Network events were off."""
        cause = self.pending_reason.pop(frame_id, None)
        if cause is None:
            cause = NavigationCause.LINK if self.user_action else NavigationCause.TYPED
        chain = _DocRequest(request_id="", started_ms=self.now(), cause=cause, method="GET", urls=[url])
        response = self.main_responses.get(id(page))
        if response is None or response.url != url:
            return chain
        request = response.request
        chain.method, chain.status, chain.response = request.method, response.status, response
        earlier = request.redirected_from
        while earlier is not None:
            chain.urls.insert(0, earlier.url)
            earlier = earlier.redirected_from
        return chain

    # ---------------------------------------------------------------- handlers

    def _on_frame(self, frame: Frame) -> None:
        if frame.parent_frame is None or not frame.url or frame.url == "about:blank":
            return
        depth, parent = 0, frame
        while parent.parent_frame is not None:
            depth += 1
            parent = parent.parent_frame
        with self.lock:
            if any(f.url == frame.url and f.depth == depth for f in self.frames):
                return
            self.frames.append(
                FrameSeen(at_ms=self.now(), url=frame.url, host=host_of(frame.url), depth=depth)
            )

    def _note_response(self, url: str) -> None:
        host = host_of(url)
        self.resolved_hosts.add(host)
        if host and host not in self.responses_by_host:
            self.responses_by_host[host] = self.now()

    def _on_request(self, request: Request) -> None:
        kind = classify(request.url, self.connectif_hosts, request.method)
        if kind is None:
            return
        events: list[dict[str, object]] = []
        body_error = None
        entity_info = cart = None
        if kind == "tracking" and request.method.upper() == "POST":
            decoded = decode_body(request.post_data_buffer, request.headers.get("content-type"))
            events, body_error = decoded.events, decoded.error
            entity_info, cart = decoded.entity_info, decoded.cart
        try:
            page_url = request.frame.url
        except Exception:  # service-worker requests have no frame
            page_url = ""
        record = ConnectifRequestRecord(
            at_ms=self.now(),
            url=request.url,
            method=request.method,
            kind=kind,
            page_url=page_url,
            events=events,
            body_error=body_error,
            intercepted=self.intercept and kind == "tracking",
            entity_info=entity_info,
            cart=cart,
        )
        with self.lock:
            self._connectif_index[id(request)] = len(self.connectif)
            self.connectif.append(record)

    def _update_connectif(self, request: Request, **changes: Any) -> None:
        with self.lock:
            index = self._connectif_index.get(id(request))
            if index is not None:
                self.connectif[index] = self.connectif[index].model_copy(update=changes)

    def _on_response(self, response: Response) -> None:
        self._note_response(response.url)
        request = response.request
        self._update_connectif(request, status=response.status)
        if request.resource_type != "document":
            return
        frame = _frame_of(request)
        if frame is not None and frame.parent_frame is None:
            self.main_responses[id(frame.page)] = response

    def _on_request_failed(self, request: Request) -> None:
        error = request.failure or "failed"
        self._update_connectif(request, failure=error)
        if not re.search(r"ERR_(NAME_NOT_RESOLVED|NAME_RESOLUTION_FAILED|ABORTED)\b", error):
            self.resolved_hosts.add(host_of(request.url))
        if request.resource_type != "document":
            return
        frame = _frame_of(request)
        # No frame yet: a popup's first request, sent before Playwright created its page.
        role = self.pages.get(id(frame.page), "popup") if frame is not None else "popup"
        record = FailedDocument(
            at_ms=self.now(),
            url=request.url,
            host=host_of(request.url),
            error=error,
            page=role,
            top_level=frame is None or frame.parent_frame is None,
        )
        with self.lock:
            self.failed_documents.append(record)

    def _failure_of(self, url: str) -> str | None:
        """Chromium's error for the last failed page request to `url`, if Playwright has reported it."""
        with self.lock:
            for failed in reversed(self.failed_documents):
                if failed.url == url and unreachable(failed.error):
                    return failed.error
        return None

    def _answer_tracking(self, route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={
                "Access-Control-Allow-Origin": route.request.headers.get("origin", "*"),
                "Access-Control-Allow-Credentials": "true",
            },
            body=json.dumps({"trackerId": "auditor-intercepted"}),
        )

    def _on_page_read(self, source: dict[str, Any], record: Any) -> None:
        """A top-level document's cart and contact tags at its load event (JOURNEY_BINDING)."""
        page = source.get("page")
        self.note_page_read(self.pages.get(id(page), "main"), record)

    def note_page_read(self, role: str, record: Any) -> None:
        """Keep a document's journey record (from the binding or from PAGE_TAGS_JS); bad ones are ignored."""
        if not isinstance(record, dict) or not isinstance(record.get("doc"), str):
            return
        try:
            page = JourneyPage(
                at_ms=0,
                url=str(record.get("url", "")),
                read_ms=self.wall_to_ms(float(record.get("at", 0))),
                carts=record.get("carts") or [],
                client_info=record.get("client") or [],
                login_tags=record.get("login") or [],
                register_tags=record.get("register") or [],
                purchase_tags=record.get("purchases") or 0,
            )
        except (TypeError, ValueError):  # not what our init script sends (pydantic's errors are ValueErrors)
            return
        read = _PageRead(doc=record["doc"], role=role, arrived_ms=self.now(), page=page)
        with self.lock:
            self.page_reads.setdefault(read.doc, read)

    def _on_page_error(self, page: Page, message: str) -> None:
        with self.lock:
            self.console_errors.append(
                ConsoleError(at_ms=self.now(), page_url=_safe_url(page), message=message)
            )

    # ---------------------------------------------------------------- queries

    def served_html(self, page: Page) -> str | None:
        """The current document's HTML as the server sent it, once all of it has arrived; else None.

        Reading a response body is one round trip to the driver, and does not wait on the page.
        """
        response = self.main_responses.get(id(page))
        if response is None or response.url != _safe_url(page).split("#")[0]:
            return None  # no document response seen for what the page shows (about:blank, history API…)
        try:
            # the whole HTML has been parsed; Playwright knows this without asking the browser
            page.wait_for_load_state("domcontentloaded", timeout=1_000)
            return response.text()
        except PlaywrightError:
            return None  # still streaming, or the body was evicted: the caller reads the live page

    def unreachable_since(
        self, at_ms: int, hosts: tuple[str, ...] | None = None, role: str | None = None
    ) -> FailedDocument | None:
        """The first page request since `at_ms` that could not reach its host (to one of `hosts`, or any
        page's own document when `hosts` is None; of the `role` page only, when given): a name that does
        not resolve, a refused connection…"""
        with self.lock:
            failed = [f for f in self.failed_documents if f.at_ms >= at_ms and unreachable(f.error)]
            errors = [n for n in self.navigations if n.at_ms >= at_ms and unreachable(n.error)]
        if role is not None:
            failed = [f for f in failed if f.page == role]
            errors = [n for n in errors if n.page == role]
        for record in failed:
            if hosts is None and record.top_level:
                return record
            if hosts is not None and host_matches(record.host, hosts):
                return record
        for nav in errors:  # the error page committed before Playwright reported the failed request
            if hosts is None or host_matches(nav.host, hosts):
                return FailedDocument(
                    at_ms=nav.at_ms, url=nav.url, host=nav.host, error=nav.error or "", page=nav.page
                )
        return None

    def pending_documents_since(self, at_ms: int) -> bool:
        """Is a page or frame request sent since `at_ms` still without an answer (DevTools' Network on)?"""
        return any(
            c.status is None and c.failure is None and c.started_ms >= at_ms
            for c in list(self.documents.values())
        )

    def finish(self) -> None:
        """Complete the navigations before the context closes: cookies that arrived after the commit, and
        (before the payment, with Network events off) the cookies Playwright saw on the document request."""
        for index, chain in self._nav_sources:
            nav = self.navigations[index]
            update: dict[str, Any] = {}
            if chain.response is not None:
                try:
                    header = chain.response.request.header_value("cookie")
                except Exception:  # the request is gone with its page: its cookies are not known
                    header = None
                names = _cookie_names(header)
                if names and names != nav.cookies_sent:
                    update["cookies_sent"] = names
            elif chain.request_id:
                if chain.cookies_sent != nav.cookies_sent:
                    update["cookies_sent"] = list(chain.cookies_sent)
                if chain.cookies_blocked != nav.cookies_blocked:
                    update["cookies_blocked"] = dict(chain.cookies_blocked)
            if nav.error == "net::ERR_FAILED":
                known = chain.failure or self._failure_of(nav.url)
                if known:
                    update["error"] = known
            if update:
                self.navigations[index] = nav.model_copy(update=update)

    def journey(self, shop_hosts: tuple[str, ...]) -> list[JourneyPage]:
        """Every top-level shop page in order, each with the tags its document reported at load."""
        with self.lock:
            navigations = [n for n in self.navigations if host_matches(n.host, shop_hosts)]
            reads = sorted(self.page_reads.values(), key=lambda r: r.arrived_ms)
        pages = [JourneyPage(at_ms=n.at_ms, url=n.url, page=n.page) for n in navigations]
        taken: set[int] = set()
        for read in reads:
            url = read.page.url.split("#", 1)[0]
            # The latest commit of that URL in that window recorded before the record arrived.
            matches = [
                i
                for i, n in enumerate(navigations)
                if i not in taken
                and n.page == read.role
                and n.url.split("#", 1)[0] == url
                and n.at_ms <= read.arrived_ms
            ]
            if not matches:
                continue
            index = matches[-1]
            taken.add(index)
            nav = navigations[index]
            pages[index] = read.page.model_copy(update={"at_ms": nav.at_ms, "url": nav.url, "page": nav.page})
        return pages

    def navigations_of(self, role: str) -> list[Navigation]:
        """Committed top-level navigations of the main page or of popups, in order."""
        with self.lock:
            return [n for n in self.navigations if n.page == role]

    def unanswered_documents(self, hosts: tuple[str, ...]) -> list[str]:
        """Page requests to these hosts that got no response: refused, reset, or never answered."""
        return [
            c.urls[-1]
            for c in self.documents.values()
            if c.status is None and host_matches(host_of(c.urls[-1]), hosts)
        ]

    def first_response_from(self, hosts: tuple[str, ...]) -> int | None:
        """When the first response from one of these hosts arrived."""
        times = [t for h, t in self.responses_by_host.items() if host_matches(h, hosts)]
        return min(times) if times else None


def _add_cookies(chain: _DocRequest, event: dict[str, Any]) -> None:
    """The cookies a requestWillBeSentExtraInfo says the request carried, or had blocked and why."""
    for item in event.get("associatedCookies", []):
        name = item.get("cookie", {}).get("name", "")
        reasons = item.get("blockedReasons") or []
        if reasons:
            chain.cookies_blocked[name] = list(reasons)
        elif name not in chain.cookies_sent:
            chain.cookies_sent.append(name)


def _cookie_names(header: str | None) -> list[str]:
    """The names in a Cookie request header, in order."""
    names: list[str] = []
    for part in (header or "").split(";"):
        name = part.split("=", 1)[0].strip()
        if name and name not in names:
            names.append(name)
    return names


def _frame_of(request: Request) -> Frame | None:
    """The request's frame; None for a popup's first request, which Playwright has no frame for yet."""
    try:
        return request.frame
    except Exception:  # "Frame for this navigation request is not available"
        return None


def _safe_url(page: Page) -> str:
    try:
        return page.url
    except Exception:  # closed page
        return ""


def page_eval(page: Page, script: str, arg: Any = None, timeout_ms: int = 5_000) -> Any:
    """Evaluate `script(null, arg)` in the page, with a deadline.

    page.evaluate has none: it waits out a navigation that never commits (so does the DevTools
    protocol's Runtime.evaluate). wait_for_function has one, and costs two round trips to the
    driver where Locator.evaluate costs three and a wait for a selector. The result is wrapped so
    that null or false do not make it wait.
    """
    handle = page.wait_for_function(
        f"(arg) => ({{ value: ({script})(null, arg) }})", arg=arg, timeout=timeout_ms
    )
    return handle.json_value()["value"]


@dataclass(frozen=True)
class PageTags:
    """The cn_purchase tags of one page, as read by PAGE_TAGS_JS."""

    served: list[TagSnapshot] | None  # in the HTML as served; None when no HTML was given
    at_load: tuple[int, list[TagSnapshot]] | None  # (epoch ms, tags) at the load event; None before it
    now: list[TagSnapshot]
    seen_at: float | None  # epoch ms when a tag first appeared in the document
    journey: dict[str, Any] | None = None  # the page's journey record at load (see TAG_WATCH_INIT)


def page_tags(page: Page, html: str | None = None) -> PageTags:
    """Read a page's tags: served (from `html`), at its load event, now, and when one first appeared."""
    raw = page_eval(page, PAGE_TAGS_JS, html)

    def tags(items: list[Any]) -> list[TagSnapshot]:
        return [TagSnapshot.model_validate(item) for item in items]

    loaded = raw["atLoad"]
    return PageTags(
        served=None if raw["served"] is None else tags(raw["served"]),
        at_load=None if not loaded else (int(loaded["at"]), tags(loaded["tags"])),
        now=tags(raw["now"]),
        seen_at=None if raw["seenAt"] is None else float(raw["seenAt"]),
        journey=raw.get("journey"),
    )


def read_tags(page: Page, html: str | None = None, timeout_ms: int = 5_000) -> list[TagSnapshot]:
    """The cn_purchase tags of the live page, or of `html` parsed inertly inside it."""
    raw = page_eval(page, EXTRACT_TAGS_JS, html, timeout_ms)
    return [TagSnapshot.model_validate(item) for item in raw]
