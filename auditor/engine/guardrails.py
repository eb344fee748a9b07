"""Guardrails against auditing real payments by accident.

An audit drives a real checkout. Pointed at production by mistake (a wrong base URL, a shop whose
staging still talks to the live payment gateway), it could charge a real card. Requests to known
production payment endpoints are blocked before they leave the browser, and a live Stripe key on a
page stops the scenario, unless the run says `--allow-live-payments`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Route
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


# The same endpoints as one pattern, so Playwright matches requests itself instead of asking Python about
# every request of the page (a callable matcher puts a round trip on each request's critical path).
LIVE_URL_PATTERN = re.compile(
    r"^https?://(?:" + "|".join(re.escape(h) for h in LIVE_PAYMENT_HOSTS) + r")(?::\d+)?(?:/|$)"
    r"|/cs_live_[A-Za-z0-9]"
)


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

    Requests are matched by LIVE_URL_PATTERN inside Playwright (no Python round trip per request); the
    key is looked for once per new document, and only before gestures: typing and navigating cannot
    pay, and each look costs round trips to the browser.
    """

    def __init__(self, recorder: Recorder, *, allowed: bool):
        self.recorder = recorder
        self.allowed = allowed
        self.blocked: list[str] = []
        self._documents_seen = -1

    def attach(self, context: BrowserContext) -> None:
        """Block production payment endpoints in this context (unless live payments are allowed)."""
        if not self.allowed:
            context.route(LIVE_URL_PATTERN, self._block)

    def _block(self, route: Route) -> None:
        reason = live_payment_reason(route.request.url) or "a production payment endpoint"
        self.blocked.append(f"{route.request.url} ({reason})")
        route.abort("blockedbyclient")

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
