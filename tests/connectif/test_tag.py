"""The cn_purchase tag as Connectif's v1.3.0 script reads it, and the strict validator."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.connectif.tag import read_tag, validate_tag
from auditor.observation import TagSnapshot


def item(**overrides: Any) -> dict[str, list[str]]:
    """A valid basket item's texts; a None override removes the class, a list gives several texts."""
    texts: dict[str, Any] = {
        "quantity": "3",
        "price": "180.75",
        "url": "https://shop.test/p/kb",
        "product_id": "kb-1",
        "name": "Keyboard",
        "unit_price": "60.25",
    }
    texts.update(overrides)
    return {k: v if isinstance(v, list) else [v] for k, v in texts.items() if v is not None}


def tag(items: list[dict[str, list[str]]] | None = None, **overrides: Any) -> TagSnapshot:
    """A tag's snapshot: purchase fields plus, like the browser sees it, the items' classes too."""
    items = [item()] if items is None else items
    own: dict[str, Any] = {
        "purchase_id": "ORDER-1",
        "cart_id": "CART-7",
        "purchase_date": "2024-09-13T10:49:31Z",
        "total_quantity": "3",
        "total_price": "180.75",
        "payment_method": "Card",
    }
    own.update(overrides)
    fields = {k: v if isinstance(v, list) else [v] for k, v in own.items() if v is not None}
    for it in items:
        fields.setdefault("product_basket_item", []).append("")
        for name, texts in it.items():
            fields.setdefault(name, []).extend(texts)
    return TagSnapshot(fields=fields, items=items)


def test_valid_tag_is_sent_as_the_script_builds_it() -> None:
    read = read_tag(tag(items=[item(category=["/Computers", "", "/Offers"], tag="gaming")]))
    assert read.dropped is None
    assert read.purchase == {
        "cartId": "CART-7",
        "totalQuantity": 3,
        "totalPrice": 180.75,
        "products": [
            {
                "name": "Keyboard",
                "productDetailUrl": "https://shop.test/p/kb",
                "productId": "kb-1",
                "unitPrice": 60.25,
                "categories": ["/Computers", "/Offers"],  # empty texts are filtered out
                "tags": ["gaming"],
                "relatedExternalProductIds": [],
                "quantity": 3,
                "price": 180.75,
            }
        ],
        "purchaseId": "ORDER-1",
        "paymentMethod": "Card",
        "purchaseDate": "2024-09-13T10:49:31Z",
    }
    assert list(read.purchase) == [
        "cartId",
        "totalQuantity",
        "totalPrice",
        "products",
        "purchaseId",
        "paymentMethod",
        "purchaseDate",
    ]


def test_fields_as_read_are_raw_and_exclude_item_classes() -> None:
    read = read_tag(tag(total_price="180,75", items=[item(category=["/A", "/B"])]))
    assert read.fields["total_price"] == "180,75"
    assert "name" not in read.fields and "product_basket_item" not in read.fields
    assert read.products == [
        {
            "quantity": "3",
            "price": "180.75",
            "url": "https://shop.test/p/kb",
            "product_id": "kb-1",
            "name": "Keyboard",
            "unit_price": "60.25",
            "category": ["/A", "/B"],
        }
    ]
    report = read.as_report()
    assert report["purchase_id"] == "ORDER-1" and len(report["products"]) == 1


def test_undocumented_purchase_level_class_is_kept_in_fields() -> None:
    snapshot = tag(coupon="SUMMER")
    assert read_tag(snapshot).fields["coupon"] == "SUMMER"


def test_first_text_wins() -> None:
    read = read_tag(tag(total_price=["10.00", "99.00"]))
    assert read.purchase is not None and read.purchase["totalPrice"] == 10


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"purchase_id": ""}, "purchase_id is missing or empty"),
        ({"purchase_id": None}, "purchase_id is missing or empty"),
        ({"total_price": "€180.75"}, "total_price is missing or not a number Connectif can read"),
        ({"total_price": "Infinity"}, "total_price is missing or not a number Connectif can read"),
        ({"total_quantity": "tres"}, "total_quantity is missing or not a number Connectif can read"),
        ({"total_quantity": None}, "total_quantity is missing or not a number Connectif can read"),
        ({"total_price": "-1"}, "total_price is negative"),
    ],
)
def test_purchase_dropped(overrides: dict[str, Any], reason: str) -> None:
    read = read_tag(tag(**overrides))
    assert read.purchase is None
    assert read.dropped == reason


def test_misread_values_are_kept_as_connectif_reads_them() -> None:
    read = read_tag(tag(total_price="1.234,56", total_quantity="2.5"))
    assert read.purchase is not None
    assert read.purchase["totalPrice"] == 1.234
    assert read.purchase["totalQuantity"] == 2


def test_missing_optional_text_is_left_out_but_empty_text_is_kept() -> None:
    read = read_tag(tag(cart_id=None, payment_method=""))
    assert read.purchase is not None
    assert "cartId" not in read.purchase
    assert read.purchase["paymentMethod"] == ""


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"name": ""}, "its name is missing or empty"),
        ({"url": None}, "its url is missing or empty"),
        ({"product_id": ""}, "its product_id is missing or empty"),
        ({"unit_price": "€60.25"}, "its unit_price is missing or not a number"),
        ({"unit_price": None}, "its unit_price is missing or not a number"),
        ({"unit_price": "-5"}, "its unit_price is negative"),
    ],
)
def test_item_dropped(overrides: dict[str, Any], reason: str) -> None:
    read = read_tag(tag(items=[item(), item(**{"product_id": "kb-2", **overrides})]))
    assert read.purchase is not None
    assert [p["productId"] for p in read.purchase["products"]] == ["kb-1"]
    assert [(d.index, d.reason) for d in read.dropped_items] == [(2, reason)]
    assert len(read.products) == 2  # as read, both are reported


def test_item_with_unreadable_quantity_is_kept_without_it() -> None:
    read = read_tag(tag(items=[item(quantity="three", price="")]))
    assert read.purchase is not None
    product = read.purchase["products"][0]
    assert "quantity" not in product and "price" not in product


def test_valid_tag_has_no_problems() -> None:
    assert validate_tag(tag()) == []
    assert validate_tag(tag(purchase_date=None, cart_id=None, total_quantity="3.0")) == []
    assert validate_tag(tag(purchase_date="2024-09-13")) == []
    assert validate_tag(tag(purchase_date="2024-09-13T10:49:31.123+02:00")) == []


def problems(snapshot: TagSnapshot) -> dict[str, dict[str, Any]]:
    return {p.field: p.as_dict() for p in validate_tag(snapshot)}


@pytest.mark.parametrize(
    ("raw", "reads", "words", "fix"),
    [
        ("180,75", 180, "comma as decimal separator", "write 180.75"),
        ("1.234,56", 1.234, "thousands separator", "write 1234.56"),
        ("1,234.56", 1, "thousands separator", "write 1234.56"),
        ("1,234", 1, "thousands separator", "write 1234"),
        ("1 234.56", 1, "thousands separator", "write 1234.56"),
        ("€180.75", None, "currency symbol", "write 180.75"),
        ("180.75 EUR", 180.75, "currency symbol", "write 180.75"),
        ("12abc", 12, "not a plain number", "digits with `.`"),
        ("180.75eur", 180.75, "not a plain number", "digits with `.`"),
        ("-3", -3, "negative", ">= 0"),
    ],
)
def test_total_price_misread(raw: str, reads: Any, words: str, fix: str) -> None:
    found = problems(tag(total_price=raw))
    assert list(found) == ["total_price"]
    problem = found["total_price"]
    assert problem["raw"] == raw
    assert problem["reads"] == reads
    assert words in problem["problem"]
    assert fix in problem["fix"]


def test_negative_price_is_read_but_drops_the_purchase() -> None:
    problem = problems(tag(total_price="-3"))["total_price"]
    assert problem["reads"] == -3
    assert "whole purchase is dropped" in problem["problem"]


def test_unreadable_total_says_the_purchase_is_dropped() -> None:
    assert "whole purchase is dropped" in problems(tag(total_price="€180.75"))["total_price"]["problem"]


def test_currency_after_number_says_it_is_only_read_by_luck() -> None:
    assert "happens to read 180.75" in problems(tag(total_price="180.75 €"))["total_price"]["problem"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("purchase_id", None),
        ("purchase_id", ""),
        ("total_price", None),
        ("total_quantity", ""),
        ("total_quantity", None),
    ],
)
def test_required_purchase_field_missing_or_empty(name: str, value: str | None) -> None:
    found = problems(tag(**{name: value}))
    assert list(found) == [name]
    assert ("missing" if value is None else "empty") in found[name]["problem"]
    assert f'class="{name}"' in found[name]["fix"]


def test_non_integer_quantity() -> None:
    found = problems(tag(total_quantity="2.5"))
    assert found["total_quantity"]["reads"] == 2
    assert "not a whole number" in found["total_quantity"]["problem"]


def test_non_iso_date_with_a_space() -> None:
    found = problems(tag(purchase_date="2017-09-29 14:12:37.430Z"))
    assert "not an ISO 8601" in found["purchase_date"]["problem"]
    assert "2017-09-29T14:12:37.430Z" in found["purchase_date"]["fix"]


@pytest.mark.parametrize("date", ["29/09/2017", "2017-13-45T10:00:00Z", "yesterday"])
def test_non_iso_dates(date: str) -> None:
    assert "purchase_date" in problems(tag(purchase_date=date))


@pytest.mark.parametrize("name", ["name", "url", "product_id", "unit_price", "quantity", "price"])
def test_item_required_fields(name: str) -> None:
    found = problems(tag(items=[item(), item(**{name: None})]))
    assert list(found) == [f"product_basket_item[2].{name}"]


def test_item_unit_price_misread_drops_the_product() -> None:
    found = problems(tag(items=[item(unit_price="60,25")]))
    problem = found["product_basket_item[1].unit_price"]
    assert problem["reads"] == 60
    assert "reads 60 instead of 60.25" in problem["problem"]
    unreadable = problems(tag(items=[item(unit_price="€60.25")]))["product_basket_item[1].unit_price"]
    assert "product is dropped" in unreadable["problem"]


def test_item_optional_numbers_checked_when_given() -> None:
    found = problems(tag(items=[item(rating_value="4,5", review_count="12.5", discounted_percentage="")]))
    assert set(found) == {"product_basket_item[1].rating_value", "product_basket_item[1].review_count"}


def test_item_quantity_not_whole() -> None:
    found = problems(tag(items=[item(quantity="1.5")]))
    assert found["product_basket_item[1].quantity"]["reads"] == 1
