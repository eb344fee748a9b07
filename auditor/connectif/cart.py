"""The `div.cn_cart` and `div.cn_client_info` tags, read as Connectif's v1.3.0 script reads them.

`cn_cart` is the shop's current cart, on every page whenever it changes (connectif-reference.md §3): its
`cart_id`, `total_quantity`, `total_price` and `product_basket_item`s, read with the same rules as
`cn_purchase` (first descendant per class, `parseInt` / `parseFloat`, basket items without `name`,
`url`, `product_id` or a `unit_price` >= 0 left out). The script keeps the cart only when `cart_id` is
non-empty and both totals are numbers >= 0. `cn_client_info` says who the customer is: `primary_key` is
the e-mail, sent as `entityInfo.primaryKey`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditor.connectif.tag import PURCHASE_PROPERTIES, drop_reason, item_fields, kept_items, script_model
from auditor.observation import TagSnapshot

# The cart's own properties, as the script builds its model: the purchase's first three.
CART_PROPERTIES = PURCHASE_PROPERTIES[:3]
CART_FIELDS = tuple(name for name, _, _ in CART_PROPERTIES)
# cn_client_info's classes that the script renames; the others (`_name`, `_surname`, custom fields)
# keep their class name as key.
CLIENT_KEYS = {"primary_key": "primaryKey", "tracker_id": "trackerId"}

# Something that can be an e-mail address: one @ with text around it and no spaces.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True, kw_only=True)
class ReadCart:
    """One cn_cart tag: its fields as written, and the cart Connectif's script would send from it."""

    fields: dict[str, str]  # cart_id, total_quantity, total_price: first text each, raw
    products: list[dict[str, str | list[str]]]  # each basket item's classes, raw
    cart: dict[str, Any] | None  # {cartId, totalQuantity, totalPrice, products}; None: the script drops it
    dropped: str | None = None  # why the script drops the cart

    @property
    def cart_id(self) -> str:
        """The cart id as the script reads it ("" when missing)."""
        return self.fields.get("cart_id", "")

    @property
    def product_ids(self) -> list[str]:
        """The ids of the basket items the script keeps, in the tag's order."""
        if self.cart is None:
            return []
        return [str(p.get("productId", "")) for p in self.cart.get("products", [])]

    def as_report(self) -> dict[str, Any]:
        """The tag's fields as read, with "products" (and why the script drops it), for results.json."""
        report: dict[str, Any] = {**self.fields, "products": [dict(p) for p in self.products]}
        if self.dropped:
            report["dropped"] = self.dropped
        return report


def read_cart(snapshot: TagSnapshot) -> ReadCart:
    """Read one cn_cart tag as Connectif's v1.3.0 script does."""
    cart = script_model(snapshot.fields, CART_PROPERTIES)
    cart["products"] = kept_items(snapshot.items)
    dropped = drop_reason(cart, "cartId", "cart_id")
    fields = {name: texts[0] for name in CART_FIELDS if (texts := snapshot.fields.get(name))}
    return ReadCart(
        fields=fields,
        products=[item_fields(item) for item in snapshot.items],
        cart=None if dropped else cart,
        dropped=dropped,
    )


def read_client_info(fields: dict[str, list[str]]) -> dict[str, str]:
    """A cn_client_info tag's classes with their first text, as the script reads them (empty ones out)."""
    return {name: texts[0] for name, texts in fields.items() if texts and texts[0]}


def client_entity(info: dict[str, str]) -> dict[str, str]:
    """The `entityInfo` the script builds from a cn_client_info tag: primary_key → primaryKey, …"""
    return {CLIENT_KEYS.get(name, name): value for name, value in info.items()}


def is_email(value: object) -> bool:
    """Whether a primary key is an e-mail address (what identifies a contact in Connectif)."""
    return isinstance(value, str) and _EMAIL.fullmatch(value.strip()) is not None


def same_email(a: str, b: str) -> bool:
    """Two e-mail addresses compared as people write them: trimmed, in any case."""
    return a.strip().casefold() == b.strip().casefold()
