"""Guardrails against auditing real payments by accident.

An audit drives a real checkout. Pointed at production by mistake (a wrong base URL, a shop whose
staging still talks to the live payment gateway), it could charge a real card. Requests to known
production payment endpoints are blocked before they leave the browser, and a live Stripe key on a
page stops the scenario, unless the run says `--allow-live-payments`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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
