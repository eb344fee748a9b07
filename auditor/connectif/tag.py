"""The `div.cn_purchase` tag, read exactly as Connectif's v1.3.0 script reads it, and checked strictly.

Connectif's script (connectif-reference.md §2.4) takes, for each property, the first element with that
class anywhere inside the container, reads numbers with `parseInt(text, 10)` / `parseFloat(text)`, leaves
out a number that is NaN or infinite, keeps a basket item only if `name`, `url`, `product_id` are non-empty
and `unit_price` >= 0, and keeps the purchase only if `purchase_id` is non-empty and both totals are >= 0.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from auditor.connectif.amounts import format_amount, parse_amount
from auditor.connectif.jsnum import parse_float, parse_int, to_json_number
from auditor.observation import TagSnapshot

Kind = Literal["text", "int", "float", "list"]

# Purchase-level properties in the order the script builds its model (§2.4), with their JSON keys.
PURCHASE_PROPERTIES: tuple[tuple[str, str, Kind], ...] = (
    ("cart_id", "cartId", "text"),
    ("total_quantity", "totalQuantity", "int"),
    ("total_price", "totalPrice", "float"),
    ("purchase_id", "purchaseId", "text"),
    ("payment_method", "paymentMethod", "text"),
    ("purchase_date", "purchaseDate", "text"),
)
# Every documented purchase-level class, read by the script or not (source_* are newer fields), in the
# order a person reads them: the one list the scenario model, the reports and the reader share.
PURCHASE_FIELDS: tuple[str, ...] = (
    "purchase_id",
    "total_price",
    "total_quantity",
    "payment_method",
    "cart_id",
    "purchase_date",
    "source_name",
    "source_type",
)

# Basket item properties in the script's order (`_getProductModel` with `extended`).
ITEM_PROPERTIES: tuple[tuple[str, str, Kind], ...] = (
    ("name", "name", "text"),
    ("url", "productDetailUrl", "text"),
    ("product_id", "productId", "text"),
    ("unit_price", "unitPrice", "float"),
    ("availability", "availability", "text"),
    ("image_url", "imageUrl", "text"),
    ("description", "description", "text"),
    ("thumbnail_url", "thumbnailUrl", "text"),
    ("priority", "priority", "int"),
    ("rating_value", "rating", "float"),
    ("review_count", "reviewCount", "int"),
    ("category", "categories", "list"),
    ("tag", "tags", "list"),
    ("related_external_product_id", "relatedExternalProductIds", "list"),
    ("unit_price_original", "unitPriceOriginal", "float"),
    ("unit_price_without_vat", "unitPriceWithoutVAT", "float"),
    ("discounted_amount", "discountedAmount", "float"),
    ("discounted_percentage", "discountedPercentage", "float"),
    ("rating_count", "ratingCount", "int"),
    ("brand", "brand", "text"),
    ("custom_field_1", "customField1", "text"),
    ("custom_field_2", "customField2", "text"),
    ("custom_field_3", "customField3", "text"),
    ("quantity", "quantity", "int"),
    ("price", "price", "float"),
)
MULTI_ITEM_FIELDS = frozenset(name for name, _, kind in ITEM_PROPERTIES if kind == "list")
ITEM_REQUIRED = ("name", "url", "product_id", "unit_price", "quantity", "price")


@dataclass(frozen=True, kw_only=True)
class DroppedItem:
    """A basket item Connectif's script leaves out of the purchase."""

    index: int  # 1-based, in document order
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReadTag:
    """One tag: its fields as written, and the purchase Connectif's script would send from it."""

    fields: dict[str, str]  # purchase-level classes, first text each, raw
    products: list[dict[str, str | list[str]]]  # each basket item's classes, raw (lists for multi-valued)
    purchase: dict[str, Any] | None  # the event's `purchase` object as JSON would carry it; None: dropped
    dropped: str | None = None  # why the script drops the whole purchase
    dropped_items: list[DroppedItem] = field(default_factory=list)

    @property
    def purchase_id(self) -> str:
        """The purchase id as the script reads it ("" when missing)."""
        return self.fields.get("purchase_id", "")

    def as_report(self) -> dict[str, Any]:
        """The tag's fields as read, with "products", for results.json."""
        return {**self.fields, "products": [dict(p) for p in self.products]}


def first(texts: dict[str, list[str]], name: str) -> str | None:
    """`getElementsByClassName(name)[0]` text: the first one in document order, None when absent."""
    values = texts.get(name)
    return values[0] if values else None


def _value(raw: str | None, kind: Kind) -> Any:
    """One property as the script computes it; None stands for `undefined` (left out of the JSON)."""
    if raw is None:
        return None
    if kind == "int":
        return to_json_number(parse_int(raw))
    if kind == "float":
        return to_json_number(parse_float(raw))
    return raw


def _model(texts: dict[str, list[str]], properties: tuple[tuple[str, str, Kind], ...]) -> dict[str, Any]:
    """The script's model object, keys in its order, `undefined` ones left out as JSON.stringify does."""
    model: dict[str, Any] = {}
    for name, key, kind in properties:
        if kind == "list":
            model[key] = [t for t in texts.get(name, []) if t != ""]
            continue
        value = _value(first(texts, name), kind)
        if value is not None:
            model[key] = value
    return model


def _item_drop_reason(model: dict[str, Any]) -> str | None:
    """Why `_getListOfProductsModel` filters the item out, or None when it keeps it."""
    for key, name in (("name", "name"), ("productDetailUrl", "url"), ("productId", "product_id")):
        if not model.get(key):
            return f"its {name} is missing or empty"
    unit_price = model.get("unitPrice")
    if unit_price is None:
        return "its unit_price is missing or not a number"
    if unit_price < 0:
        return "its unit_price is negative"
    return None


def drop_reason(model: dict[str, Any], id_key: str, id_name: str) -> str | None:
    """Why the script drops a purchase or a cart (its id && totalQuantity >= 0 && totalPrice >= 0), or None.

    `id_key` is the model's id property (purchaseId, cartId), `id_name` the tag's field for messages.
    """
    if not model.get(id_key):
        return f"{id_name} is missing or empty"
    for key, name in (("totalQuantity", "total_quantity"), ("totalPrice", "total_price")):
        value = model.get(key)
        if value is None:
            return f"{name} is missing or not a number Connectif can read"
        if value < 0:
            return f"{name} is negative"
    return None


def script_model(
    texts: dict[str, list[str]], properties: tuple[tuple[str, str, Kind], ...]
) -> dict[str, Any]:
    """The object the script builds from a tag's texts for these properties (cn_cart reads its own)."""
    return _model(texts, properties)


def kept_items(items: list[dict[str, list[str]]]) -> list[dict[str, Any]]:
    """The basket items the script keeps, as it sends them."""
    models = [_model(item, ITEM_PROPERTIES) for item in items]
    return [m for m in models if _item_drop_reason(m) is None]


def purchase_level_fields(snapshot: TagSnapshot) -> dict[str, str]:
    """Purchase-level classes with their first text: the documented ones, and others not inside an item."""
    fields: dict[str, str] = {}
    for name, texts in snapshot.fields.items():
        if name == "product_basket_item" or not texts:
            continue
        in_items = sum(len(item.get(name, [])) for item in snapshot.items)
        if name in PURCHASE_FIELDS or len(texts) > in_items:
            fields[name] = texts[0]
    return fields


def item_fields(item: dict[str, list[str]]) -> dict[str, str | list[str]]:
    """A basket item's classes as written: first text each, every text for multi-valued ones."""
    return {
        name: list(texts) if name in MULTI_ITEM_FIELDS else texts[0] for name, texts in item.items() if texts
    }


def read_tag(snapshot: TagSnapshot) -> ReadTag:
    """Read one tag as Connectif's v1.3.0 script does."""
    products: list[dict[str, Any]] = []
    dropped_items: list[DroppedItem] = []
    for index, item in enumerate(snapshot.items, start=1):
        model = _model(item, ITEM_PROPERTIES)
        reason = _item_drop_reason(model)
        if reason is None:
            products.append(model)
        else:
            dropped_items.append(DroppedItem(index=index, reason=reason))
    purchase = _model(snapshot.fields, PURCHASE_PROPERTIES[:3])
    purchase["products"] = products
    purchase.update(_model(snapshot.fields, PURCHASE_PROPERTIES[3:]))
    dropped = drop_reason(purchase, "purchaseId", "purchase_id")
    return ReadTag(
        fields=purchase_level_fields(snapshot),
        products=[item_fields(item) for item in snapshot.items],
        purchase=None if dropped else purchase,
        dropped=dropped,
        dropped_items=dropped_items,
    )


# --- the strict validator behind cn_purchase.valid -------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong with the tag: which field, what it says, what Connectif reads, what to write."""

    field: str  # "total_price", or "product_basket_item[2].unit_price"
    raw: str | None  # None: the element is missing
    reads: Any  # what Connectif's script reads (None: nothing, the value is left out)
    problem: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form for the evidence."""
        return asdict(self)


ITEM_DECIMALS = (
    "unit_price",
    "price",
    "rating_value",
    "unit_price_original",
    "unit_price_without_vat",
    "discounted_amount",
    "discounted_percentage",
)
ITEM_INTEGERS = ("quantity", "priority", "review_count", "rating_count")

_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_PLAIN_NEGATIVE = re.compile(r"-[0-9]+(?:\.[0-9]+)?")
_CURRENCY = re.compile(r"[€$£¥₹₽₩₺₪₫₴₦฿¢]|(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])")
_ISO_DATE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_EXAMPLE = {"int": "3", "float": "180.75"}


def _shape_problem(raw: str) -> str:
    """What is wrong with how a number is written."""
    if _CURRENCY.search(raw):
        return "has a currency symbol or code"
    grouped = re.search(r"[0-9][\s\u00a0\u202f'][0-9]", raw)
    if grouped or ("," in raw and "." in raw) or raw.count(".") > 1 or raw.count(",") > 1:
        return "uses a thousands separator"
    if "," in raw:
        # One comma: thousands when exactly three digits follow (as a person reads it), else decimals.
        thousands = re.search(r"[1-9][0-9]{0,2},[0-9]{3}$", raw) and not re.search(r"[0-9]{4},", raw)
        return "uses a thousands separator" if thousands else "uses a comma as decimal separator"
    return "is not a plain number"


def _consequence(name: str, reads: Any, intended: Decimal | None, dropping: str) -> str:
    """What the misreading does to the data Connectif receives."""
    if reads is None:
        return f"Connectif's script cannot read it, so {dropping}"
    if intended is None:
        return f"Connectif's script reads {reads}"
    if Decimal(str(reads)) != intended:
        return f"Connectif's script reads {reads} instead of {format_amount(intended)}"
    return f"Connectif's script happens to read {reads} here, but other values written this way are misread"


def check_number(name: str, raw: str | None, kind: Kind, *, required: bool, dropping: str) -> Problem | None:
    """A number written so that Connectif's script reads it right, or the problem with it."""
    if raw is None or raw == "":
        if not required:
            return None
        what = "missing" if raw is None else "empty"
        return Problem(
            field=name,
            raw=raw,
            reads=None,
            problem=f"{name} is {what}; {dropping}",
            fix=f'output <span class="{name}">{_EXAMPLE[kind]}</span>',
        )
    reads = _value(raw, kind)
    if _PLAIN_DECIMAL.fullmatch(raw):
        if kind == "int" and reads is not None and Decimal(raw) != reads:
            return Problem(
                field=name,
                raw=raw,
                reads=reads,
                problem=f"{name} is not a whole number; Connectif's script reads {reads}",
                fix=f"write the number of units as a whole number, e.g. {_EXAMPLE['int']}",
            )
        return None
    if _PLAIN_NEGATIVE.fullmatch(raw):
        return Problem(
            field=name,
            raw=raw,
            reads=reads,
            problem=f"{name} is negative; {dropping}",
            fix=f"write a number >= 0 in {name}",
        )
    intended = parse_amount(raw)
    shape = _shape_problem(raw)
    if intended is None:
        fix = f"write digits with `.` as decimal separator and nothing else, e.g. {_EXAMPLE[kind]}"
    elif kind == "int" and intended != int(intended):
        fix = f"write the number of units as a whole number, e.g. {_EXAMPLE['int']}"
    else:
        plain = str(int(intended)) if kind == "int" else format_amount(intended)
        fix = f"write {plain}: `.` as decimal separator, no currency symbol, no thousands separator"
    problem = f"{name} {shape}; {_consequence(name, reads, intended, dropping)}"
    return Problem(field=name, raw=raw, reads=reads, problem=problem, fix=fix)


def check_text(name: str, raw: str | None, consequence: str) -> Problem | None:
    """A required text that must be present and non-empty."""
    if raw:
        return None
    what = "missing" if raw is None else "empty"
    return Problem(
        field=name,
        raw=raw,
        reads=raw,
        problem=f"{name} is {what}; {consequence}",
        fix=f'output <span class="{name}">…</span> with a value',
    )


def check_date(name: str, raw: str | None) -> Problem | None:
    """purchase_date, when given, in strict ISO 8601 (2024-09-13T10:49:31Z)."""
    if not raw:
        return None
    if _ISO_DATE.fullmatch(raw):
        try:
            datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return None
        except ValueError:
            pass
    fix = "write an ISO 8601 date and time, e.g. 2024-09-13T10:49:31Z"
    candidate = raw.replace(" ", "T", 1)
    if _ISO_DATE.fullmatch(candidate):
        fix = f"write {candidate}: `T` between date and time, as ISO 8601 requires"
    return Problem(
        field=name,
        raw=raw,
        reads=raw,
        problem=f"{name} is not an ISO 8601 date; Connectif may not read it as the purchase date",
        fix=fix,
    )


def validate_tag(snapshot: TagSnapshot) -> list[Problem]:
    """Everything in the tag that is missing, empty, or written in a way Connectif's script misreads."""
    texts = snapshot.fields
    drop_purchase = "the whole purchase is dropped"
    problems = [
        check_text("purchase_id", first(texts, "purchase_id"), drop_purchase),
        check_number(
            "total_quantity", first(texts, "total_quantity"), "int", required=True, dropping=drop_purchase
        ),
        check_number(
            "total_price", first(texts, "total_price"), "float", required=True, dropping=drop_purchase
        ),
        check_date("purchase_date", first(texts, "purchase_date")),
    ]
    for index, item in enumerate(snapshot.items, start=1):
        problems.extend(_validate_item(index, item))
    return [p for p in problems if p is not None]


def _validate_item(index: int, item: dict[str, list[str]]) -> list[Problem | None]:
    """Problems of one basket item, fields prefixed with its position."""
    prefix = f"product_basket_item[{index}]."
    drop_item = "this product is dropped from the purchase"
    found: list[Problem | None] = [
        check_text(name, first(item, name), drop_item) for name in ITEM_REQUIRED[:3]
    ]
    for name in ITEM_DECIMALS:
        dropping = drop_item if name == "unit_price" else f"{name} is left out"
        found.append(
            check_number(name, first(item, name), "float", required=name in ITEM_REQUIRED, dropping=dropping)
        )
    for name in ITEM_INTEGERS:
        found.append(
            check_number(
                name, first(item, name), "int", required=name in ITEM_REQUIRED, dropping=f"{name} is left out"
            )
        )
    return [None if p is None else replace(p, field=prefix + p.field) for p in found]
