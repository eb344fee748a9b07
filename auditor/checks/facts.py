"""What the checks need to know, derived from an Observation and the expectations: pure helpers."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.connectif.tag import first
from auditor.observation import (
    ConnectifRequestRecord,
    CookieRecord,
    Observation,
    PaymentObservation,
    TagSnapshot,
)
from auditor.results import CheckResult, Status

API_SYNC = (
    "For 100% reliability, also sync purchases from the shop's server through Connectif's API "
    "(POST https://api.connectif.cloud/purchases/): it does not depend on the customer's browser."
)


# Under connectif.mode: intercept the auditor answers the tracking requests itself: what Connectif's script
# sent never reached Connectif, so no check text may say that Connectif was sent (or received) anything.
def sent_by(intercepted: bool) -> str:
    """The subject and verb of a sentence about a purchase sent: to Connectif, or under intercept by
    Connectif's script to the auditor."""
    return "Connectif's script sent" if intercepted else "Connectif was sent"


def intercepted_note(intercepted: bool, requests: int = 1) -> str:
    """Under intercept, a sentence to append that says where the request(s) really went; else empty."""
    if not intercepted:
        return ""
    what, them = ("that request", "it") if requests == 1 else ("those requests", "them")
    return (
        f" The auditor answered {what} itself (connectif.mode: intercept): Connectif did not receive {them}."
    )


@dataclass(frozen=True, kw_only=True)
class Expectations:
    """The scenario's `expect`, after run-time substitution."""

    confirmation_url: str | None = None  # Playwright URL glob, or "re:<regex>" searched anywhere
    return_policy: str = "automatic"  # "automatic" | "manual-allowed"
    # "present" | "absent" | field -> expected value; "products" is the number of basket items.
    cn_purchase: str | Mapping[str, str | int | float] = "present"
    script: str = "required"  # required | optional | absent
    purchase_sent: str = "required"  # required | optional | absent
    has_payment: bool = True  # the scenario has a pay step
    purchase_id: str | None = None  # expect.purchase_id: names the purchase when no tag carries it
    api: bool = False  # connectif.api is set: Connectif's API is asked whether it stored the purchase
    intercept: bool = False  # connectif.mode: intercept
    # What connectif.purchase_recorded judges (required | optional | absent); None: not judged.
    purchase_recorded: str | None = None
    # Expected purchase field → where its value came from, when a `capture` gave it: "{{order_id}},
    # captured by steps[9] from '.order-number', read 'ORD-1001'". Tells a stale capture from a wrong tag.
    sources: Mapping[str, str] = field(default_factory=dict)
    # Expected purchase field → where the scenario writes it ("shop.yaml:52"), for a failing value to
    # point at its line: a typo in the expectation is mended there, not in the shop.
    places: Mapping[str, str] = field(default_factory=dict)
    duplicates: str = "warn"  # warn | fail: more than one purchase event with this id after the payment
    # `cn_purchase.items`: one {item field → expected value} per expected basket item, in the tag's
    # order; None when not given (an empty tuple expects no items).
    items: tuple[Mapping[str, str | int | float], ...] | None = None
    contact: str = "optional"  # required | optional: what an anonymous contact costs contact.identified
    contact_email: str | None = None  # the e-mail the contact must be identified by

    @property
    def expected_values(self) -> Mapping[str, str | int | float]:
        """The expected purchase fields (empty unless cn_purchase is a mapping)."""
        return {} if isinstance(self.cn_purchase, str) else self.cn_purchase

    @property
    def tag_absent(self) -> bool:
        """The scenario asserts there is no tag."""
        return self.cn_purchase == "absent"


def result(
    check_id: str, status: Status, message: str, evidence: dict[str, Any], remedy: str | None = None
) -> CheckResult:
    """A CheckResult; the remedy is dropped on pass so a passing check never tells anyone to act."""
    return CheckResult(
        id=check_id,
        status=status,
        message=message,
        evidence=evidence,
        remedy=None if status is Status.PASS else remedy,
    )


def stopped(check_id: str, obs: Observation, what: str) -> CheckResult:
    """A skip because the run ended in error before `what` could be observed."""
    return result(
        check_id,
        Status.SKIP,
        f"Not judged: the run stopped before {what} ({obs.error}).",
        {"error": obs.error, "error_step": obs.error_step},
    )


# --- payment timings --------------------------------------------------------------------------------


def time_on_platform_ms(payment: PaymentObservation) -> int | None:
    """From the first response of a payment host until the browser is back on a shop host."""
    if payment.first_platform_response_ms is None or payment.back_on_shop_ms is None:
        return None
    return max(0, payment.back_on_shop_ms - payment.first_platform_response_ms)


def return_ms(payment: PaymentObservation) -> int | None:
    """From the end of the last payment step until the first shop page after the payment committed."""
    if payment.last_step_ended_ms is None or payment.back_on_shop_ms is None:
        return None
    # The last step's own click may start the return; the commit can then precede the step's end.
    return max(0, payment.back_on_shop_ms - payment.last_step_ended_ms)


# --- the confirmation page --------------------------------------------------------------------------


def confirmation_url(obs: Observation) -> str | None:
    """The first shop page after the payment (after its redirects); without pay, the last page."""
    if obs.payment is not None and obs.payment.first_shop_url:
        return obs.payment.first_shop_url
    return obs.confirmation_url


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def confirmation_window(obs: Observation) -> tuple[int, int] | None:
    """[commit, next top-level navigation of the main page) of the confirmation page, in ms."""
    url = confirmation_url(obs)
    if url is None:
        return None
    commits = [
        n.at_ms
        for n in obs.navigations
        if n.page == "main" and _without_fragment(n.url) == _without_fragment(url)
    ]
    start = commits[0] if commits else obs.payment.back_on_shop_ms if obs.payment else None
    if start is None:
        return None
    later = [
        n.at_ms
        for n in obs.navigations
        if n.page == "main" and n.at_ms > start and _without_fragment(n.url) != _without_fragment(url)
    ]
    return start, min(later) if later else 2**62


def on_confirmation_page(obs: Observation, page_url: str, at_ms: int) -> bool:
    """Whether something sent or logged by page_url at at_ms belongs to the confirmation page."""
    url = confirmation_url(obs)
    if url is None:
        return False
    if page_url and _without_fragment(page_url) == _without_fragment(url):
        return True
    # The page may rewrite its own URL (Connectif's script removes __cn_tracker with replaceState).
    window = confirmation_window(obs)
    return window is not None and window[0] <= at_ms < window[1]


def requests_on_confirmation(obs: Observation, kind: str) -> list[ConnectifRequestRecord]:
    """Connectif requests of one kind sent by the confirmation page."""
    return [
        r for r in obs.connectif_requests if r.kind == kind and on_confirmation_page(obs, r.page_url, r.at_ms)
    ]


def after_payment_ms(obs: Observation) -> int:
    """From when requests count as "after the payment": the customer back on the shop (0 without pay)."""
    payment = obs.payment
    if payment is None:
        return 0
    if payment.back_on_shop_ms is not None:
        return payment.back_on_shop_ms
    # never back: anything sent from the end of the payment steps on (a popup that stayed open)
    return payment.last_step_ended_ms or 0


def request_evidence(request: ConnectifRequestRecord) -> dict[str, Any]:
    """A Connectif request, for the evidence."""
    evidence: dict[str, Any] = {
        "url": request.url,
        "method": request.method,
        "at_ms": request.at_ms,
        "status": request.status,
        "page_url": request.page_url,
    }
    if request.failure:
        evidence["failure"] = request.failure
    if request.intercepted:
        evidence["intercepted"] = True
    if request.kind == "tracking":
        evidence["event_types"] = [e.get("type") for e in request.events]
        if request.body_error:
            evidence["body_error"] = request.body_error
    return evidence


# --- the tags ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TagsSeen:
    """The cn_purchase tags on the confirmation page, and when they were there."""

    recorded: bool  # any snapshot of the page was taken
    tags: list[TagSnapshot]  # the ones to judge: at load if any, else the final ones, else as served
    in_served_html: int | None
    at_load: int | None
    final: int | None
    loaded_ms: int | None
    final_ms: int | None

    @property
    def when(self) -> str:
        """ "at-load", "after-load", "served-only" (in the HTML, gone from the page) or "never"."""
        if self.at_load:
            return "at-load"
        if self.final:
            return "after-load"
        if self.in_served_html:
            return "served-only"
        return "never"

    @property
    def count(self) -> int:
        """The most tags seen on the page at one moment."""
        return max(self.in_served_html or 0, self.at_load or 0, self.final or 0)

    def evidence(self) -> dict[str, Any]:
        """When tags were seen, for the evidence."""
        return {
            "tags_in_served_html": self.in_served_html,
            "tags_at_load": self.at_load,
            "tags_final": self.final,
            "page_loaded_ms": self.loaded_ms,
            "final_snapshot_ms": self.final_ms,
        }


def tags_seen(obs: Observation) -> TagsSeen:
    """The tags of the confirmation page."""
    served = obs.tags_in_served_html
    at_load = obs.tags_at_load.tags if obs.tags_at_load else None
    final = obs.tags_final.tags if obs.tags_final else None
    return TagsSeen(
        recorded=served is not None or at_load is not None or final is not None,
        tags=list(at_load or final or served or []),
        in_served_html=None if served is None else len(served),
        at_load=None if at_load is None else len(at_load),
        final=None if final is None else len(final),
        loaded_ms=obs.confirmation_loaded_ms
        if obs.confirmation_loaded_ms is not None
        else (obs.tags_at_load.at_ms if obs.tags_at_load else None),
        final_ms=obs.tags_final.at_ms if obs.tags_final else None,
    )


def this_purchase_id(obs: Observation, exp: Expectations) -> str | None:
    """The tag's purchase_id; else expect.cn_purchase's; else expect.purchase_id; else None (any will do)."""
    tags = tags_seen(obs).tags
    if tags:
        tag_id = (first(tags[0].fields, "purchase_id") or "").strip()
        if tag_id:
            return tag_id
    expected = exp.expected_values.get("purchase_id")
    if expected is not None and str(expected).strip():
        return str(expected).strip()
    if exp.purchase_id is not None and exp.purchase_id.strip():
        return exp.purchase_id.strip()
    return None


# --- the session cookie on a cross-site return -------------------------------------------------------

_SESSION_HINTS = (
    "sess",
    "sid",
    "session",
    "frontend",
    "cart",
    "basket",
    "auth",
    "login",
    "token",
    "prestashop",
    "woocommerce",
    "wordpress",
    "laravel",
    "ci_",
    "asp.net",
)
# Analytics and consent cookies: withheld as well, but never why a shop cannot find its order.
_NOT_SESSION = ("_ga", "_gid", "_gcl", "_fbp", "_hj", "_uet", "cookieconsent", "optanon", "cn_", "__cf")


def _site(host: str) -> str:
    """An approximation of the registrable domain: the last two labels (the whole host for an IP)."""
    host = host.lower().removeprefix("*.").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        return ".".join(host.split(".")[-2:])


def _same_site(cookie: CookieRecord | None) -> str:
    if cookie is None or not cookie.same_site:
        return "not set (Lax)"  # Chromium treats a cookie without SameSite as Lax
    return cookie.same_site.capitalize()


def _withheld(cookie: CookieRecord, method: str) -> bool:
    """Whether a browser leaves the cookie off a cross-site top-level navigation with this method."""
    same_site = _same_site(cookie)
    if same_site == "Strict":
        return True
    return same_site != "None" and method != "GET"


def _cookie_row(name: str, cookie: CookieRecord | None, reasons: list[str] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "same_site": _same_site(cookie)}
    if cookie is not None:
        row.update(domain=cookie.domain, secure=cookie.secure)
    if reasons:
        row["blocked_because"] = reasons
    return row


def session_cookie_diagnosis(obs: Observation) -> dict[str, Any] | None:
    """The shop cookies a cross-site return went without, naming the likely session cookie; None if none."""
    payment = obs.payment
    if payment is None or payment.returned == "none":
        return None
    shop_sites = {_site(h) for h in obs.shop_hosts}
    if shop_sites & {_site(h) for h in payment.hosts}:
        return None  # same site: SameSite does not apply
    method = (payment.return_request_method or "GET").upper()
    sent = set(payment.return_cookies_sent)
    cookies = {c.name: c for c in obs.shop_cookies}
    if payment.return_cookies_blocked:
        # Chromium said which cookies it blocked and why: that beats inferring it from the attributes.
        withheld = {
            n: r for n, r in payment.return_cookies_blocked.items() if any("SameSite" in x for x in r)
        }
    else:
        withheld = {c.name: [] for c in obs.shop_cookies if c.name not in sent and _withheld(c, method)}
    candidates = [n for n in withheld if not n.lower().startswith(_NOT_SESSION)]
    if not candidates:
        return None
    sessionish = [n for n in candidates if any(h in n.lower() for h in _SESSION_HINTS)]
    name = (sessionish or candidates)[0]
    return {
        "return_method": method,
        "return_cookies_sent": sorted(sent),
        "cookies_not_sent": [_cookie_row(n, cookies.get(n), r) for n, r in withheld.items()],
        "session_cookie": name,
        "session_cookie_same_site": _same_site(cookies.get(name)),
    }


def session_cookie_remedy(diagnosis: Mapping[str, Any]) -> str:
    """What to change when the return request went without the shop's session cookie."""
    name = diagnosis["session_cookie"]
    same_site = diagnosis["session_cookie_same_site"]
    method = diagnosis["return_method"]
    if same_site == "Strict":
        why = "SameSite=Strict cookies are never sent on a navigation that comes from another site"
    else:
        why = (
            "SameSite=Lax cookies (and cookies without SameSite, which Chromium treats as Lax) are not sent "
            f"on a cross-site {method}"
        )
    return (
        f"The payment platform brought the customer back with a cross-site {method}, and the browser did "
        f"not send the shop's cookie `{name}` (SameSite {same_site}) with it: {why}. Without its session "
        "the shop could not show the order and rendered no tag. Set `SameSite=None; Secure` on "
        f"`{name}` (HTTPS only), or have the platform return with a GET to a landing page that finds the "
        "order from the URL, not from the session, and then shows the confirmation with the tag."
    )
