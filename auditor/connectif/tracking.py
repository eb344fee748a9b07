"""Connectif's tracking requests: decoding their body and finding the purchase they carry."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.connectif.jsnum import JS_WHITESPACE, is_usable, parse_number
from auditor.observation import ConnectifRequestRecord

# Amounts agree within half a cent; quantities are whole numbers, so the same tolerance works for both.
NUMBER_TOLERANCE = 0.005

# Keys of the purchase compared between the tag (as Connectif reads it) and what was sent.
TEXT_KEYS = ("purchaseId", "cartId", "paymentMethod", "purchaseDate")
NUMBER_KEYS = ("totalPrice", "totalQuantity")


@dataclass(frozen=True, kw_only=True)
class DecodedBody:
    """The `events`, `entityInfo` and `cart` of a tracking request, and why the body could not be read."""

    events: list[dict[str, Any]]
    error: str | None = None
    entity_info: dict[str, Any] | None = None  # who the contact is: primaryKey (the e-mail), trackerId…
    cart: dict[str, Any] | None = None  # the cart, when it changed since the browser's last request


def decode_body(body: str | bytes | None, content_type: str | None = None) -> DecodedBody:
    """Decode a tracking body: JSON sent as text/plain by Connectif's script (JSON types tolerated)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    label = f" ({kind})" if kind and kind != "text/plain" and "json" not in kind else ""
    if body is None or len(body) == 0:
        return DecodedBody(events=[], error=f"the request had no body{label}")
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return DecodedBody(events=[], error=f"the body is not UTF-8 text{label}")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return DecodedBody(events=[], error=f"the body is not JSON{label}: {exc.msg} at character {exc.pos}")
    if not isinstance(data, dict):
        return DecodedBody(events=[], error=f"the body is JSON but not an object: {type(data).__name__}")
    entity = data.get("entityInfo")
    cart = data.get("cart")
    parts: dict[str, Any] = {
        "entity_info": entity if isinstance(entity, dict) else None,
        "cart": cart if isinstance(cart, dict) else None,
    }
    events = data.get("events", [])
    if not isinstance(events, list):
        return DecodedBody(events=[], error="`events` is not a list", **parts)
    kept = [e for e in events if isinstance(e, dict)]
    error = None if len(kept) == len(events) else "some entries of `events` are not objects"
    return DecodedBody(events=kept, error=error, **parts)


def purchase_of(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `purchase` object of a purchase event, None for any other event."""
    purchase = event.get("purchase")
    if event.get("type") == "purchase" and isinstance(purchase, dict):
        return purchase
    return None


def purchase_id_of(purchase: Mapping[str, Any]) -> str:
    """The purchase id as a string ("" when absent), trimmed as the tag's text is."""
    value = purchase.get("purchaseId")
    return "" if value is None else str(value).strip()


@dataclass(frozen=True, kw_only=True)
class SentPurchase:
    """A purchase event found in a tracking request."""

    request_index: int  # position in Observation.connectif_requests
    url: str
    at_ms: int
    status: int | None
    failure: str | None
    intercepted: bool
    purchase: dict[str, Any]

    @property
    def purchase_id(self) -> str:
        """The event's purchaseId."""
        return purchase_id_of(self.purchase)

    @property
    def accepted(self) -> bool:
        """Whether the request got an answer that is not an error (or was answered locally)."""
        if self.intercepted:
            return True
        return self.failure is None and (self.status is None or self.status < 400)


def sent_purchases(requests: Sequence[ConnectifRequestRecord]) -> list[SentPurchase]:
    """Every purchase event carried by a tracking request, in the order they were sent."""
    found = []
    for index, request in enumerate(requests):
        if request.kind != "tracking":
            continue
        for event in request.events:
            purchase = purchase_of(event)
            if purchase is not None:
                found.append(
                    SentPurchase(
                        request_index=index,
                        url=request.url,
                        at_ms=request.at_ms,
                        status=request.status,
                        failure=request.failure,
                        intercepted=request.intercepted,
                        purchase=purchase,
                    )
                )
    return found


def with_id(purchases: Sequence[SentPurchase], purchase_id: str | None) -> list[SentPurchase]:
    """The purchases carrying this id; all of them when the id is None (any purchase event)."""
    if purchase_id is None:
        return list(purchases)
    wanted = purchase_id.strip()
    return [p for p in purchases if p.purchase_id == wanted]


@dataclass(frozen=True, kw_only=True)
class Difference:
    """One value the tracking request carried that differs from the tag as Connectif reads it."""

    key: str
    tag: Any
    sent: Any


def _number(value: Any) -> float | None:
    """A JSON value as a finite number, None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and value.strip(JS_WHITESPACE):
        # A number sent as text, read as JavaScript's Number() reads it (Python's float() would also
        # take other scripts' digits, "1_000" and "nan"); a blank is no number here, not 0.
        number = parse_number(value)
        return number if is_usable(number) else None
    return None


def _product_ids(purchase: Mapping[str, Any]) -> list[str]:
    """The products' ids, sorted, to compare baskets regardless of order."""
    products = purchase.get("products")
    if not isinstance(products, list):
        return []
    return sorted(str(p.get("productId", "")) for p in products if isinstance(p, dict))


def compare_purchase(sent: Mapping[str, Any], tag: Mapping[str, Any]) -> list[Difference]:
    """Where the sent purchase differs from the tag's: ids, totals (within 0.005), products."""
    differences = []
    for key in TEXT_KEYS:
        if key in tag and str(sent.get(key, "")).strip() != str(tag[key]).strip():
            differences.append(Difference(key=key, tag=tag[key], sent=sent.get(key)))
    for key in NUMBER_KEYS:
        if key not in tag:
            continue
        want, got = _number(tag[key]), _number(sent.get(key))
        if want is None or got is None or abs(want - got) >= NUMBER_TOLERANCE:
            differences.append(Difference(key=key, tag=tag[key], sent=sent.get(key)))
    tag_products = tag.get("products", [])
    sent_products = sent.get("products", [])
    tag_count = len(tag_products) if isinstance(tag_products, list) else 0
    sent_count = len(sent_products) if isinstance(sent_products, list) else 0
    if tag_count != sent_count:
        differences.append(Difference(key="products", tag=tag_count, sent=sent_count))
    elif _product_ids(tag) != _product_ids(sent):
        differences.append(
            Difference(key="products.productId", tag=_product_ids(tag), sent=_product_ids(sent))
        )
    return differences
