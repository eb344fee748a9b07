"""The cn_purchase tag a Connectif module renders for an order, with the lab's tag faults."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from auditor.lab.store import Line, Order, Session, tag_amount

PAYMENT_METHODS = {
    "stripe": "Stripe Checkout",
    "redsys": "Tarjeta (Redsys)",
    "adyen": "Adyen",
    "paypal": "PayPal",
    "mollie": "Mollie",
    "bank": "Tarjeta (TPV Banco)",
    "elements": "Card (Stripe)",
    "deadend": "Deadend Pay",
}


@dataclass(frozen=True)
class PurchaseTag:
    """What goes into div.cn_purchase: (class, text) pairs, and one list per basket item."""

    fields: list[tuple[str, str]]
    items: list[list[tuple[str, str]]]


def _amount(order: Order, value: Decimal) -> str:
    faults = order.switches.faults
    # 1,249.00 under tag-thousands: parseFloat reads 1
    thousands = "tag-thousands" in faults and value >= 1000
    text = f"{value:,.2f}" if thousands else tag_amount(value)
    if "tag-comma" in faults:
        text = text.replace(".", ",")  # 89,90: parseFloat reads 89
    if "tag-currency" in faults:
        text = "€" + text  # parseFloat reads NaN: the purchase is dropped
    return text


def purchase_id(order: Order) -> str:
    """The purchase_id the tag carries (the internal number under tag-wrong-id)."""
    return str(order.number) if order.switches.has("tag-wrong-id") else order.ref


def _items(order: Order | None, lines: list[Line], product_url: str) -> list[list[tuple[str, str]]]:
    """One product_basket_item per line: the same spans in cn_purchase and cn_cart."""

    def amount(value: Decimal) -> str:
        return tag_amount(value) if order is None else _amount(order, value)

    items = []
    for line in lines:
        item = [
            ("quantity", str(line.quantity)),
            ("price", amount(line.price)),
            ("url", product_url + line.product.slug),
            ("product_id", line.product.slug),
            ("name", line.product.name),
            ("unit_price", amount(line.product.price)),
        ]
        item += [("category", c) for c in line.product.categories]
        item += [("tag", t) for t in line.product.tags]
        items.append(item)
    return items


def cart_tag(session: Session, product_url: str) -> PurchaseTag:
    """The cn_cart tag of the session's cart, as a Connectif module renders it on every page.

    An empty cart is still reported (a tag without items), so that Connectif does not take it for
    abandoned.
    """
    lines = session.lines()
    fields = [
        ("cart_id", session.cart_id),
        ("total_quantity", str(sum(line.quantity for line in lines))),
        ("total_price", tag_amount(sum((line.price for line in lines), Decimal(0)))),
    ]
    return PurchaseTag(fields=fields, items=_items(None, lines, product_url))


def purchase_tag(order: Order, product_url: str, current_cart_id: str = "") -> PurchaseTag:
    """The tag's content; `product_url` is the shop's product URL prefix.

    `current_cart_id` is the session's cart now (a new, empty one): what a shop that prints the
    current cart's id instead of the order's puts in cart_id (fault cart-id-other).
    """
    faults = order.switches.faults
    if "tag-date" in faults:
        date = order.created.strftime("%d/%m/%Y %H:%M")
    else:
        date = order.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    cart_id = current_cart_id if "cart-id-other" in faults else order.cart_id
    fields = [
        ("purchase_id", purchase_id(order)),
        ("cart_id", cart_id),
        ("purchase_date", date),
        ("total_quantity", str(order.quantity)),
        ("total_price", _amount(order, order.total)),
        ("payment_method", PAYMENT_METHODS.get(order.switches.platform, "")),
    ]
    if "tag-missing-field" in faults:
        fields = [pair for pair in fields if pair[0] != "total_quantity"]
    if "cart-id-absent" in faults:
        fields = [pair for pair in fields if pair[0] != "cart_id"]
    return PurchaseTag(fields=fields, items=_items(order, order.lines, product_url))


def purchase_event(order: Order, product_url: str) -> dict[str, Any]:
    """The purchase as a shop would pass it to connectif.managed.sendEvents (JSON numbers)."""
    return {
        "purchaseId": order.ref,
        "cartId": order.cart_id,
        "purchaseDate": order.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "totalQuantity": order.quantity,
        "totalPrice": float(order.total),
        "paymentMethod": PAYMENT_METHODS.get(order.switches.platform, ""),
        "products": [
            {
                "productId": line.product.slug,
                "name": line.product.name,
                "productDetailUrl": product_url + line.product.slug,
                "unitPrice": float(line.product.price),
                "quantity": line.quantity,
                "price": float(line.price),
                "categories": list(line.product.categories),
                "tags": list(line.product.tags),
            }
            for line in order.lines
        ],
    }
