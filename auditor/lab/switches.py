"""The lab's switches: which payment platform, which faults, which cookie policy."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

PLATFORMS = ("stripe", "redsys", "adyen", "paypal", "mollie", "bank", "elements", "deadend")
DEFAULT_PLATFORM = "stripe"

# fault name -> what it does (shown in the lab's 400 page and mirrored in README.md)
FAULTS: dict[str, str] = {
    "tag-absent": "no cn_purchase tag on the confirmation page",
    "tag-missing-field": "the tag lacks its required total_quantity",
    "tag-comma": "decimals written with a comma (89,90)",
    "tag-currency": "amounts carry a leading currency symbol (€89.90)",
    "tag-thousands": "amounts of 1000 or more carry a thousands separator (1,249.00)",
    "tag-date": "purchase_date is not ISO 8601 (13/09/2024 10:49)",
    "tag-late": "the tag is injected by a timer after load; Connectif's script has already read",
    "tag-late-resend": "injected late, then the shop calls connectif.managed.sendEvents([])",
    "tag-twice": "the tag is rendered twice",
    "tag-once": "the tag is rendered on the first view of the confirmation only, not on reloads",
    "tag-wrong-id": "purchase_id is the internal order number, not the reference shown",
    "flaky-tag": "the tag is absent on the first order of a key (see key=), present afterwards",
    "sendevents": "no tag: the purchase is sent with connectif.managed.sendEvents",
    "tag-and-sendevents": "the tag and a sendEvents call: the purchase is sent twice",
    "script-absent": "no Connectif loader on the shop's pages",
    "script-404": "the loader points at an unknown store id: the client script answers 404",
    "script-500": "the client script answers 500",
    "script-hang": "the client script never answers (until the lab stops, at most 60 s)",
    "page-error": "an uncaught script error on the confirmation page",
    "cart-id-absent": "the confirmation's cn_purchase carries no cart_id",
    "cart-id-other": "the confirmation's cn_purchase carries another cart's id (the new, empty one)",
    "cart-still-full": "the cart is not emptied at the order: the confirmation's cn_cart still holds it",
    "client-info-absent": "a guest checkout without cn_client_info: the purchase is for an anonymous contact",
    "declined": "the payment platform declines the payment",
    "pay-refused": "the payment platform's address refuses connections (a closed port)",
    "pay-hang": "the payment platform never answers (until the lab stops, at most 60 s)",
    "pay-500": "the payment platform answers 500",
    "live-key": "the checkout page carries a Stripe live key (pk_live_...)",
    "live-host": "Redsys payments go to the production host sis.redsys.es",
    "unauthorised-domain": "the shop moves to www.shop.test, a domain the Connectif account does not "
    "authorise: purchases sent from it are accepted, never stored",
    "other-store-script": "the confirmation page loads another store's Connectif script: the purchase "
    "goes to that store's account",
    "api-sync": "no tag, no browser event: the shop's server sends the purchase to Connectif's API once "
    "the payment is confirmed",
    "api-sync-total": "the tag, and a server sync whose totalPrice adds shipping (4.95): Connectif keeps "
    "the first, the server's",
    "api-429": "Connectif's API answers the first lookup of this order's purchase with 429, Retry-After: 2",
}

# SameSite attribute of the shop's session cookie; "unset" sends no attribute (Chromium: Lax by
# default, but cookies younger than 2 minutes still ride on cross-site top-level POSTs).
SAMESITE = ("unset", "lax", "strict")

MAX_RETURN_DELAY_MS = 30_000
MAX_LATENCY_MS = 10_000
DEFAULT_API_DELAY_MS = 1000  # Connectif stores purchases asynchronously: 404 first, then 200
MAX_API_DELAY_MS = 30_000


class SwitchError(ValueError):
    """A switch value the lab does not know."""


@dataclass(frozen=True)
class Switches:
    """The switches in force for a session, copied onto each order it places."""

    platform: str = DEFAULT_PLATFORM
    faults: frozenset[str] = field(default_factory=frozenset)
    samesite: str = "unset"
    return_delay_ms: int = 0
    latency_ms: int = 0  # every shop page and form answer is held back this long (a slow staging server)
    key: str = "default"
    api_delay_ms: int = DEFAULT_API_DELAY_MS  # how long Connectif's API stand-in takes to store a purchase

    def has(self, fault: str) -> bool:
        """True when the fault is switched on."""
        return fault in self.faults

    def updated(self, query: dict[str, list[str]]) -> Switches:
        """These switches with the ones named in a query string applied; raises SwitchError."""
        new = self
        if "platform" in query:
            value = query["platform"][-1].strip().lower()
            if value not in PLATFORMS:
                raise SwitchError(f"platform={value!r}; known: {', '.join(PLATFORMS)}")
            new = replace(new, platform=value)
        if "fault" in query:
            names = {
                name.strip().lower() for value in query["fault"] for name in value.split(",") if name.strip()
            }
            names.discard("none")  # fault=none (or fault=) clears every fault
            unknown = sorted(names - FAULTS.keys())
            if unknown:
                raise SwitchError(f"fault={','.join(unknown)}; known: {', '.join(FAULTS)}")
            new = replace(new, faults=frozenset(names))
        if "samesite" in query:
            value = query["samesite"][-1].strip().lower()
            if value not in SAMESITE:
                raise SwitchError(f"samesite={value!r}; known: {', '.join(SAMESITE)}")
            new = replace(new, samesite=value)
        if "return_delay_ms" in query:
            raw = query["return_delay_ms"][-1].strip()
            if not raw.isdigit() or int(raw) > MAX_RETURN_DELAY_MS:
                raise SwitchError(f"return_delay_ms={raw!r}; expected 0..{MAX_RETURN_DELAY_MS}")
            new = replace(new, return_delay_ms=int(raw))
        if "latency_ms" in query:
            raw = query["latency_ms"][-1].strip()
            if not raw.isdigit() or int(raw) > MAX_LATENCY_MS:
                raise SwitchError(f"latency_ms={raw!r}; expected 0..{MAX_LATENCY_MS}")
            new = replace(new, latency_ms=int(raw))
        if "key" in query:
            new = replace(new, key=query["key"][-1][:200])
        if "api_delay_ms" in query:
            raw = query["api_delay_ms"][-1].strip()
            if not raw.isdigit() or int(raw) > MAX_API_DELAY_MS:
                raise SwitchError(f"api_delay_ms={raw!r}; expected 0..{MAX_API_DELAY_MS}")
            new = replace(new, api_delay_ms=int(raw))
        return new

    def as_dict(self) -> dict[str, object]:
        """Plain data for the ground-truth endpoints."""
        return {
            "platform": self.platform,
            "faults": sorted(self.faults),
            "samesite": self.samesite,
            "return_delay_ms": self.return_delay_ms,
            "latency_ms": self.latency_ms,
            "key": self.key,
            "api_delay_ms": self.api_delay_ms,
        }


SWITCH_PARAMS = ("platform", "fault", "samesite", "return_delay_ms", "latency_ms", "key", "api_delay_ms")
