"""Decoding Connectif's tracking requests and comparing the purchase they carry with the tag."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.connectif.tracking import compare_purchase, decode_body, purchase_of, sent_purchases, with_id
from auditor.observation import ConnectifRequestRecord

PURCHASE = {
    "cartId": "CART-7",
    "totalQuantity": 3,
    "totalPrice": 180.75,
    "products": [{"productId": "kb-1", "quantity": 3}],
    "purchaseId": "ORDER-1",
    "paymentMethod": "Card",
}
BODY = {
    "entityInfo": {"trackerId": "t"},
    "events": [{"type": "purchase", "purchase": PURCHASE}, {"type": "page-visit"}],
}


def test_decode_text_plain_json() -> None:
    decoded = decode_body(json.dumps(BODY), "text/plain;charset=UTF-8")
    assert decoded.error is None
    assert decoded.events == BODY["events"]


def test_decode_bytes_with_json_content_type() -> None:
    decoded = decode_body(json.dumps(BODY).encode(), "application/json")
    assert decoded.error is None and len(decoded.events) == 2


def test_entity_info_and_cart_are_decoded() -> None:
    cart = {"cartId": "CART-7", "totalQuantity": 3, "totalPrice": 180.75, "products": []}
    decoded = decode_body(json.dumps({**BODY, "cart": cart}), "text/plain")
    assert decoded.entity_info == {"trackerId": "t"}
    assert decoded.cart == cart
    odd = decode_body(json.dumps({"entityInfo": "ada@example.com", "cart": [1], "events": {}}))
    assert odd.entity_info is None and odd.cart is None and odd.error == "`events` is not a list"
    assert decode_body(json.dumps({"events": []})).entity_info is None


def test_body_without_events_has_none() -> None:
    assert decode_body('{"cart": {}}').events == []
    assert decode_body('{"cart": {}}').error is None


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        (None, None, "no body"),
        ("", "text/plain", "no body"),
        (b"\xff\xfe", None, "not UTF-8"),
        ("events=1", "application/x-www-form-urlencoded", "not JSON (application/x-www-form-urlencoded)"),
        ("{not json", "text/plain", "not JSON: "),
        ("[1, 2]", None, "not an object"),
        ('{"events": {"type": "purchase"}}', None, "`events` is not a list"),
    ],
)
def test_undecodable_bodies(body: str | bytes | None, content_type: str | None, words: str) -> None:
    decoded = decode_body(body, content_type)
    assert decoded.events == []
    assert decoded.error is not None and words in decoded.error


def test_non_object_events_are_dropped_with_a_note() -> None:
    decoded = decode_body('{"events": [{"type": "page-visit"}, 3]}')
    assert decoded.events == [{"type": "page-visit"}]
    assert decoded.error == "some entries of `events` are not objects"


def test_purchase_of_only_purchase_events() -> None:
    assert purchase_of({"type": "purchase", "purchase": PURCHASE}) == PURCHASE
    assert purchase_of({"type": "page-visit"}) is None
    assert purchase_of({"type": "purchase", "purchase": "x"}) is None


def request(events: list[dict[str, Any]], **kw: Any) -> ConnectifRequestRecord:
    base: dict[str, Any] = {
        "at_ms": 10,
        "url": "https://eu5-api.connectif.cloud/x/scrippet-notification/1",
        "method": "POST",
        "kind": "tracking",
        "status": 200,
    }
    base.update(kw)
    return ConnectifRequestRecord(events=events, **base)


def test_sent_purchases_and_with_id() -> None:
    requests = [
        request([], kind="script", url="https://cdn.connectif.cloud/eu5/client-script/1", method="GET"),
        request([{"type": "page-visit"}, {"type": "purchase", "purchase": PURCHASE}]),
        request([{"type": "purchase", "purchase": {**PURCHASE, "purchaseId": " ORDER-2 "}}], at_ms=20),
    ]
    found = sent_purchases(requests)
    assert [(p.request_index, p.purchase_id, p.at_ms) for p in found] == [
        (1, "ORDER-1", 10),
        (2, "ORDER-2", 20),
    ]
    assert [p.purchase_id for p in with_id(found, "ORDER-2")] == ["ORDER-2"]
    assert with_id(found, "ORDER-3") == []
    assert len(with_id(found, None)) == 2


@pytest.mark.parametrize(
    ("kw", "accepted"),
    [
        ({}, True),
        ({"status": 500}, False),
        ({"status": None, "failure": "net::ERR_FAILED"}, False),
        ({"status": None}, True),
        ({"status": None, "intercepted": True}, True),
    ],
)
def test_accepted(kw: dict[str, Any], accepted: bool) -> None:
    (sent,) = sent_purchases([request([{"type": "purchase", "purchase": PURCHASE}], **kw)])
    assert sent.accepted is accepted


def test_identical_purchase_has_no_differences() -> None:
    assert compare_purchase(PURCHASE, PURCHASE) == []
    assert compare_purchase({**PURCHASE, "totalPrice": 180.754, "totalQuantity": "3"}, PURCHASE) == []


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"purchaseId": "ORDER-9"}, "purchaseId"),
        ({"cartId": None}, "cartId"),
        ({"paymentMethod": "PayPal"}, "paymentMethod"),
        ({"totalPrice": 180.0}, "totalPrice"),
        ({"totalPrice": "lots"}, "totalPrice"),
        ({"totalQuantity": "٣"}, "totalQuantity"),  # other scripts' digits: no number to JavaScript
        ({"totalPrice": "180_75"}, "totalPrice"),
        ({"totalPrice": ""}, "totalPrice"),
        ({"totalPrice": "inf"}, "totalPrice"),
        ({"totalQuantity": 4}, "totalQuantity"),
        ({"products": []}, "products"),
        ({"products": [{"productId": "kb-9"}]}, "products.productId"),
    ],
)
def test_differences(change: dict[str, Any], key: str) -> None:
    sent = {k: v for k, v in {**PURCHASE, **change}.items() if v is not None}
    differences = compare_purchase(sent, PURCHASE)
    assert [d.key for d in differences] == [key]


def test_keys_the_tag_lacks_are_not_compared() -> None:
    tag = {k: v for k, v in PURCHASE.items() if k not in ("cartId", "paymentMethod")}
    assert compare_purchase({**PURCHASE, "cartId": "other"}, tag) == []
