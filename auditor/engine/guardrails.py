"""Guardrails against auditing real payments by accident.

An audit drives a real checkout. Pointed at production by mistake (a wrong base URL, a shop whose
staging still talks to the live payment gateway), it could charge a real card. Requests to known
production payment endpoints are blocked before they leave the browser, and a live Stripe key on a
page stops the scenario, unless the run says `--allow-live-payments`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, Route
from playwright.sync_api import Error as PlaywrightError

from auditor.engine.aborts import LivePaymentStopped
from auditor.engine.observe import Recorder, page_eval

# host → what it is. Sandboxes live elsewhere (sis-t.redsys.es, www.sandbox.paypal.com, test.adyen.com…).
LIVE_PAYMENT_HOSTS = {
    "sis.redsys.es": "Redsys's production gateway (its test host is sis-t.redsys.es)",
    "www.paypal.com": "PayPal's live site (its sandbox is www.sandbox.paypal.com)",
    "paypal.com": "PayPal's live site (its sandbox is www.sandbox.paypal.com)",
    "live.adyen.com": "Adyen's live environment (its test one is test.adyen.com)",
    "checkoutshopper-live.adyen.com": "Adyen's live checkout (test: checkoutshopper-test.adyen.com)",
}
# A Stripe Checkout session created with live keys carries cs_live_ in its URL.
LIVE_URL_MARKERS = (re.compile(r"/cs_live_[A-Za-z0-9]"),)
LIVE_KEY = re.compile(r"pk_live_[A-Za-z0-9]{8,}")
# Finds a live publishable key in the page's HTML or in its inline scripts and data attributes.
FIND_LIVE_KEY_JS = r"""
(_root) => {
  const m = document.documentElement.outerHTML.match(/pk_live_[A-Za-z0-9]{8,}/);
  return m ? m[0] : null;
}
"""


# The same endpoints as one pattern: the authority on what is blocked (LivePaymentGuard).
LIVE_URL_PATTERN = re.compile(
    r"^https?://(?:" + "|".join(re.escape(h) for h in LIVE_PAYMENT_HOSTS) + r")(?::\d+)?(?:/|$)"
    r"|/cs_live_[A-Za-z0-9]"
)
# What Chromium itself pauses for the guard to look at (DevTools' Fetch patterns: `*` is any run of
# characters, `?` one). A superset of LIVE_URL_PATTERN, so that every other request goes its way
# without waiting on anyone; what is paused and not live is let through.
FETCH_PATTERNS = [
    *(
        {"urlPattern": f"{scheme}://{host}{rest}"}
        for host in LIVE_PAYMENT_HOSTS
        for scheme in ("http", "https")
        for rest in ("/*", ":*")
    ),
    {"urlPattern": "*/cs_live_?*"},
]


def live_payment_reason(url: str) -> str | None:
    """Why this URL is a production payment endpoint, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host in LIVE_PAYMENT_HOSTS:
        return f"{host} is {LIVE_PAYMENT_HOSTS[host]}"
    for marker in LIVE_URL_MARKERS:
        if marker.search(parts.path):
            return "the URL is a Stripe Checkout session created with live keys (cs_live_)"
    return None


def redact_key(key: str) -> str:
    """A live key shown in evidence without its secret-looking tail."""
    return key[:12] + "…"


class LivePaymentGuard:
    """Stops a scenario before a real payment: blocks production endpoints, looks for live keys.

    The endpoints are blocked by the browser itself, through a browser-wide DevTools session whose
    Fetch interception pauses only the requests that FETCH_PATTERNS match: every page, popup,
    cross-site iframe and worker of the browser is covered, and the other requests are not held at
    all. Playwright's route pauses every request of the context for its driver to match (measured:
    about 70 ms of a lab checkout's 1.1 s); it is used where the block must stay within one context
    (`browser_wide=False`: a browser others use at the same time) and where the browser refuses a
    browser-wide session.
    The key is looked for once per new document, and only before gestures: typing and navigating
    cannot pay, and each look costs round trips to the browser.
    """

    def __init__(self, recorder: Recorder, *, allowed: bool, browser_wide: bool = True):
        self.recorder = recorder
        self.allowed = allowed
        self.browser_wide = browser_wide
        self.blocked: list[str] = []
        self._documents_seen = -1
        self._session: CDPSession | None = None

    def attach(self, context: BrowserContext) -> None:
        """Block production payment endpoints while this context's scenario runs (unless allowed).

        Browser-wide, the block is the browser's, not the context's: one scenario at a time has the
        browser, and `detach` ends the block when its scenario ends.
        """
        if self.allowed:
            return
        browser = context.browser  # None for a persistent context: no browser to ask
        if self.browser_wide and browser is not None:
            self._session = self._browser_block(browser)
        if self._session is None:
            context.route(LIVE_URL_PATTERN, self._block)

    def _browser_block(self, browser: Browser) -> CDPSession | None:
        """The browser-wide block's DevTools session; None when the browser refuses one."""
        try:
            session = browser.new_browser_cdp_session()
            session.on("Fetch.requestPaused", lambda event: self._paused(session, event))
            session.send("Fetch.enable", {"patterns": FETCH_PATTERNS})
        except PlaywrightError:
            return None
        return session

    def detach(self) -> None:
        """End the browser's block (the scenario is over); what was blocked stays in `blocked`."""
        session, self._session = self._session, None
        if session is not None:
            try:
                session.detach()
            except PlaywrightError:
                pass  # the browser is gone, and its block with it

    def _paused(self, session: CDPSession, event: dict[str, Any]) -> None:
        url = str(event.get("request", {}).get("url", ""))
        request = {"requestId": event["requestId"]}
        try:
            if LIVE_URL_PATTERN.search(url):
                self._note(url)
                session.send("Fetch.failRequest", {**request, "errorReason": "BlockedByClient"})
            else:
                session.send("Fetch.continueRequest", request)
        except PlaywrightError:
            pass  # the request went away with its page, or the browser with it

    def _block(self, route: Route) -> None:
        self._note(route.request.url)
        route.abort("blockedbyclient")

    def _note(self, url: str) -> None:
        reason = live_payment_reason(url) or "a production payment endpoint"
        self.blocked.append(f"{url} ({reason})")

    def check_blocked(self) -> None:
        """Raise once the browser has tried to reach a production payment endpoint."""
        if self.blocked and not self.allowed:
            raise LivePaymentStopped(
                "stopped before a real payment: the browser was about to reach "
                f"{self.blocked[0]}; audit a sandbox, or pass --allow-live-payments"
            )

    def before_gesture(self, page: Page) -> None:
        """Before a step that could submit a payment: stop at a blocked endpoint or a live Stripe key."""
        if self.allowed:
            return
        self.check_blocked()
        documents = len(self.recorder.navigations)
        if documents == self._documents_seen:
            return  # no new page since the last look: a live key could only come with a new document
        self._documents_seen = documents
        html = self.recorder.served_html(page)
        if html is not None:
            found = LIVE_KEY.search(html)
            key = found.group(0) if found else None
        else:
            try:
                key = page_eval(page, FIND_LIVE_KEY_JS, timeout_ms=2_000)
            except PlaywrightError:
                return
        if key:
            raise LivePaymentStopped(
                f"stopped before a real payment: the page {page.url} carries a Stripe live key "
                f"({redact_key(str(key))}); audit with test keys, or pass --allow-live-payments"
            )
