"""cn_cart and cn_client_info read as Connectif's v1.3.0 script reads them."""

from __future__ import annotations

import pytest

from auditor.connectif.cart import client_entity, is_email, read_cart, read_client_info, same_email
from auditor.observation import TagSnapshot

ITEM = {
    "quantity": ["2"],
    "price": ["49.00"],
    "url": ["https://shop.test/p/mouse"],
    "product_id": ["mouse"],
    "name": ["Wireless mouse"],
    "unit_price": ["24.50"],
}


def snapshot(items: list[dict[str, list[str]]] | None = None, **fields: str) -> TagSnapshot:
    texts = {name: [value] for name, value in fields.items()}
    for item in items or []:
        for name, values in item.items():
            texts.setdefault(name, []).extend(values)
    return TagSnapshot(fields=texts, items=items or [])


def test_a_cart_is_read_into_the_object_the_script_sends() -> None:
    read = read_cart(snapshot([ITEM], cart_id=" cart-1 ", total_quantity="2", total_price="49.00"))
    assert read.dropped is None
    assert read.cart == {
        "cartId": " cart-1 ",  # the snapshot is already trimmed by the page's reading: kept as given
        "totalQuantity": 2,
        "totalPrice": 49,
        "products": [
            {
                "name": "Wireless mouse",
                "productDetailUrl": "https://shop.test/p/mouse",
                "productId": "mouse",
                "unitPrice": 24.5,
                "categories": [],
                "tags": [],
                "relatedExternalProductIds": [],
                "quantity": 2,
                "price": 49,
            }
        ],
    }
    assert read.product_ids == ["mouse"]
    assert read.as_report()["products"][0]["product_id"] == "mouse"


def test_an_empty_cart_is_still_a_cart() -> None:
    read = read_cart(snapshot(cart_id="cart-2", total_quantity="0", total_price="0"))
    assert read.cart == {"cartId": "cart-2", "totalQuantity": 0, "totalPrice": 0, "products": []}
    assert read.product_ids == []


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"cart_id": "", "total_quantity": "1", "total_price": "1"}, "cart_id is missing or empty"),
        ({"total_quantity": "1", "total_price": "1"}, "cart_id is missing or empty"),
        (
            {"cart_id": "c", "total_quantity": "1", "total_price": "€1.00"},
            "total_price is missing or not a number",
        ),
        ({"cart_id": "c", "total_price": "1"}, "total_quantity is missing or not a number"),
        ({"cart_id": "c", "total_quantity": "-1", "total_price": "1"}, "total_quantity is negative"),
    ],
)
def test_the_script_drops_a_cart_without_id_or_readable_totals(fields: dict[str, str], reason: str) -> None:
    read = read_cart(snapshot(**fields))
    assert read.cart is None and read.dropped is not None and read.dropped.startswith(reason)
    assert read.as_report()["dropped"] == read.dropped
    assert read.product_ids == []


def test_numbers_and_items_follow_the_same_rules_as_cn_purchase() -> None:
    no_url = {k: v for k, v in ITEM.items() if k != "url"}
    read = read_cart(snapshot([ITEM, no_url], cart_id="c", total_quantity="3.7", total_price="73,50"))
    assert read.cart is not None
    assert read.cart["totalQuantity"] == 3 and read.cart["totalPrice"] == 73  # parseInt, parseFloat
    assert read.product_ids == ["mouse"]  # the item without url is left out
    assert len(read.products) == 2  # but both are reported as written


def test_client_info_and_its_entity() -> None:
    info = read_client_info({"primary_key": ["ada@example.com", "x"], "_name": ["Ada"], "_surname": [""]})
    assert info == {"primary_key": "ada@example.com", "_name": "Ada"}
    assert client_entity({**info, "tracker_id": "t1"}) == {
        "primaryKey": "ada@example.com",
        "_name": "Ada",
        "trackerId": "t1",
    }


@pytest.mark.parametrize(
    ("value", "email"),
    [
        ("ada@example.com", True),
        (" ada+audit@shop.test ", True),
        ("ada", False),
        ("ada@", False),
        ("a b@example.com", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_what_counts_as_an_e_mail(value: object, email: bool) -> None:
    assert is_email(value) is email


def test_e_mails_compare_trimmed_in_any_case() -> None:
    assert same_email(" Ada@Example.com", "ada@example.COM ")
    assert not same_email("ada@example.com", "grace@example.com")
