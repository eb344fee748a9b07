"""cn_purchase.present, cn_purchase.valid, cn_purchase.consistent."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from auditor.checks.facts import (
    API_SYNC,
    Expectations,
    TagsSeen,
    confirmation_url,
    result,
    session_cookie_diagnosis,
    session_cookie_remedy,
    stopped,
    tags_seen,
)
from auditor.connectif.amounts import amounts_equal, format_amount, parse_amount
from auditor.connectif.jsnum import parse_float, parse_int, to_json_number
from auditor.connectif.tag import ITEM_PROPERTIES, PURCHASE_PROPERTIES, first, read_tag, validate_tag
from auditor.observation import Observation, TagSnapshot
from auditor.results import CheckResult, Status

RENDER_TAG = (
    "Render the cn_purchase tag server-side in the HTML of the first page the customer sees after "
    "paying (the order confirmation), with purchase_id, total_quantity, total_price and one "
    "product_basket_item per product."
)
NO_TAG_EXPECTED = "Not judged: the scenario expects no cn_purchase tag."


def present(obs: Observation, exp: Expectations) -> CheckResult:
    """cn_purchase.present: the tag is on the confirmation page at load (or, with `absent`, is not)."""
    check = "cn_purchase.present"
    seen = tags_seen(obs)
    url = confirmation_url(obs)
    evidence: dict[str, Any] = {"url": url, **seen.evidence(), "tag_first_seen_ms": obs.tag_first_seen_ms}
    if not seen.recorded and obs.error:
        return stopped(check, obs, "the page after the payment was recorded")
    if exp.tag_absent:
        if seen.count:
            return result(
                check,
                Status.FAIL,
                f"Found {seen.count} cn_purchase tag(s) on {url}, where none was expected.",
                {**evidence, "html": seen.tags[0].html[:2000]},
                "Render the cn_purchase tag only on the confirmation of a completed payment: here it would "
                "record a purchase that did not happen.",
            )
        return result(check, Status.PASS, "No cn_purchase tag, as expected.", evidence)
    if seen.when == "at-load":
        how = "in the HTML as served" if seen.in_served_html else "added by a script before the page loaded"
        return result(check, Status.PASS, f"The cn_purchase tag is on {url} at load ({how}).", evidence)
    if seen.when == "after-load":
        return result(
            check,
            Status.WARN,
            f"The cn_purchase tag appeared on {url} only after the page had loaded{_timing(obs, seen)}.",
            evidence,
            "Connectif's script reads the tags once, when it starts; a tag added later is sent only if the "
            f"page then calls connectif.managed.sendEvents([]). {RENDER_TAG}",
        )
    if seen.when == "served-only":
        return result(
            check,
            Status.WARN,
            f"The cn_purchase tag is in the HTML of {url} as served, but a script removed it before load.",
            evidence,
            f"Keep the tag in the page until Connectif's script has read it. {RENDER_TAG}",
        )
    if url is None:
        return result(
            check,
            Status.FAIL,
            "No cn_purchase tag: the customer never came back to a shop page after the payment.",
            evidence,
            f"The purchase can only be recorded if the customer comes back; see payment.return. {API_SYNC}",
        )
    remedy = f"{RENDER_TAG} {API_SYNC}"
    message = f"No cn_purchase tag on {url}."
    diagnosis = session_cookie_diagnosis(obs)
    if diagnosis is not None:
        evidence["session_cookie"] = diagnosis
        message = (
            f"No cn_purchase tag on {url}; the return request did not carry the shop's cookie "
            f"`{diagnosis['session_cookie']}` (SameSite {diagnosis['session_cookie_same_site']})."
        )
        remedy = f"{session_cookie_remedy(diagnosis)} {remedy}"
    return result(check, Status.FAIL, message, evidence, remedy)


def _timing(obs: Observation, seen: TagsSeen) -> str:
    """ " (at 5200 ms, load at 3400 ms)" when both times are known."""
    if obs.tag_first_seen_ms is None or seen.loaded_ms is None:
        return ""
    return f" (at {obs.tag_first_seen_ms} ms; the page loaded at {seen.loaded_ms} ms)"


def _no_tag(check: str, obs: Observation, exp: Expectations, seen: TagsSeen) -> CheckResult | None:
    """The skip for checks that need a tag, when there is none to look at."""
    if exp.tag_absent:
        return result(check, Status.SKIP, NO_TAG_EXPECTED, {})
    if not seen.tags:
        if not seen.recorded and obs.error:
            return stopped(check, obs, "the page after the payment was recorded")
        return result(
            check, Status.SKIP, "Not judged: there is no cn_purchase tag (see cn_purchase.present).", {}
        )
    return None


def valid(obs: Observation, exp: Expectations) -> CheckResult:
    """cn_purchase.valid: every required field is there and written so Connectif's script reads it right."""
    check = "cn_purchase.valid"
    seen = tags_seen(obs)
    skipped = _no_tag(check, obs, exp, seen)
    if skipped:
        return skipped
    problems: list[dict[str, Any]] = []
    for number, snapshot in enumerate(seen.tags, start=1):
        prefix = f"tag[{number}]." if len(seen.tags) > 1 else ""
        for problem in validate_tag(snapshot):
            found = problem.as_dict()
            found["field"] = prefix + found["field"]
            problems.append(found)
    read = read_tag(seen.tags[0])
    evidence: dict[str, Any] = {
        "fields": read.fields,
        "products": len(read.products),
        "connectif_reads": read.purchase,
        "purchase_dropped": read.dropped,
        "products_dropped": [{"index": d.index, "reason": d.reason} for d in read.dropped_items],
    }
    if not problems:
        purchase = read.purchase or {}
        return result(
            check,
            Status.PASS,
            f"Connectif reads purchase {purchase.get('purchaseId')}: {purchase.get('totalQuantity')} "
            f"unit(s), total {purchase.get('totalPrice')}, {len(purchase.get('products', []))} product(s).",
            evidence,
        )
    evidence["problems"] = problems
    fields = ", ".join(dict.fromkeys(p["field"] for p in problems))
    consequence = f" Connectif's script drops the whole purchase: {read.dropped}." if read.dropped else ""
    fixes = "; ".join(dict.fromkeys(f"{p['field']}: {p['fix']}" for p in problems))
    return result(
        check,
        Status.FAIL,
        f"{len(problems)} problem(s) in the cn_purchase tag: {fields}.{consequence}",
        evidence,
        f"{fixes}. Numbers in the tag must use `.` as decimal separator, with no currency symbol and no "
        "thousands separator (180.75, not 180,75, €180.75 or 1.180,75); quantities are whole numbers.",
    )


# --- consistency --------------------------------------------------------------------------------------

_PURCHASE_KINDS = {name: kind for name, _, kind in PURCHASE_PROPERTIES}  # total_price: float, …


def _expected_amount(value: str | int | float) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    return parse_amount(value)


def _compare(name: str, expected: str | int | float, snapshot: TagSnapshot) -> dict[str, Any]:
    """One expected value against the tag, as Connectif's script reads the tag."""
    row: dict[str, Any] = {"field": name, "expected": expected}
    if name == "products":
        count = len(snapshot.items)
        row.update(tag=count, ok=str(expected).strip() == str(count))
        return row
    kind = _PURCHASE_KINDS.get(name, "text")
    return _compare_value(row, expected, snapshot.fields.get(name) or [], kind, "not in the tag")


def _compare_value(
    row: dict[str, Any], expected: str | int | float, texts: list[str], kind: str, missing: str
) -> dict[str, Any]:
    """An expected value (amounts read leniently) against a tag's texts (read as Connectif's script does)."""
    raw = texts[0] if texts else None
    row["tag"] = list(texts) if kind == "list" else raw
    if raw is None:
        row.update(ok=False, why=missing)
        return row
    if kind in ("int", "float"):
        reads = parse_float(raw) if kind == "float" else parse_int(raw)
        want = _expected_amount(expected)
        row["connectif_reads"] = to_json_number(reads)
        if want is None:
            row.update(ok=False, why="the expected value is not a number")
        elif not math.isfinite(reads):
            row.update(ok=False, why="Connectif's script cannot read the tag's value")
        else:
            row.update(ok=amounts_equal(want, reads), expected_amount=format_amount(want))
        return row
    if kind == "list":  # category, tag…: one of the item's values
        row["ok"] = _collapse(str(expected)) in [_collapse(t) for t in texts]
        return row
    row["ok"] = _collapse(str(expected)) == _collapse(raw)
    return row


_ITEM_KINDS = {name: kind for name, _, kind in ITEM_PROPERTIES}


@dataclass(frozen=True, kw_only=True)
class ItemComparison:
    """`expect.cn_purchase.items` against the tag's basket items, position by position."""

    rows: list[dict[str, Any]]  # one per position: state, product_id, and the fields compared
    failures: list[str]  # one sentence per missing, extra or different item field


def compare_items(
    expected: tuple[Mapping[str, str | int | float], ...],
    items: list[dict[str, list[str]]],
    sources: Mapping[str, str] | None = None,
) -> ItemComparison:
    """Each expected item against the tag's item at the same position, every field named. `sources`
    says where an expected value's captured parts came from, by `items[i].field`."""
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    for index in range(max(len(expected), len(items))):
        position = index + 1
        want = expected[index] if index < len(expected) else None
        have = items[index] if index < len(items) else None
        product_id = str(want["product_id"]) if want and "product_id" in want else None
        if product_id is None and have is not None:
            product_id = first(have, "product_id")
        named = f"item {position}" + (f" (product_id {product_id})" if product_id else "")
        row: dict[str, Any] = {"position": position, "product_id": product_id}
        if have is None:
            row["state"] = "missing"
            failures.append(
                f"{named} is missing from the tag ({len(items)} item(s) there, {len(expected)} expected)"
            )
        elif want is None:
            row["state"] = "extra"
            failures.append(f"the tag has an extra {named} ({len(expected)} item(s) expected)")
        else:
            fields = [
                _compare_value(
                    {"field": name, "expected": value},
                    value,
                    have.get(name) or [],
                    _ITEM_KINDS[name],
                    "not in the item",
                )
                for name, value in want.items()
            ]
            wrong = [f for f in fields if not f["ok"]]
            row.update(state="differs" if wrong else "same", fields=fields)
            for field in wrong:
                got = field.get("connectif_reads", field.get("tag"))
                shown = "missing" if field["tag"] is None else f"{got!r} in the tag"
                source = (sources or {}).get(f"items[{index}].{field['field']}")
                if source:
                    field["expected_from"] = source
                came = f" ({source})" if source else ""
                failures.append(f"{named}: {field['field']} is {shown}, expected {field['expected']!r}{came}")
        rows.append(row)
    return ItemComparison(rows=rows, failures=failures)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def _sum(snapshot: TagSnapshot, name: str, parse: Any) -> float | None:
    """Sum of the items' values as Connectif reads them; None when an item has none it can read."""
    total = 0.0
    for item in snapshot.items:
        raw = first(item, name)
        value = parse(raw) if raw is not None else math.nan
        if not math.isfinite(value):
            return None
        total += value
    return total


def consistent(obs: Observation, exp: Expectations) -> CheckResult:
    """cn_purchase.consistent: one tag, totals that add up, expected values as expected."""
    check = "cn_purchase.consistent"
    seen = tags_seen(obs)
    skipped = _no_tag(check, obs, exp, seen)
    if skipped:
        return skipped
    snapshot = seen.tags[0]
    failures: list[str] = []
    warnings: list[str] = []
    remedies: list[str] = []
    evidence: dict[str, Any] = {"tags": seen.count}
    if seen.count > 1:
        failures.append(f"{seen.count} cn_purchase tags on the page")
        remedies.append("Render exactly one cn_purchase tag: Connectif's script sends one purchase per tag.")
    total_quantity = parse_int(first(snapshot.fields, "total_quantity") or "")
    total_price = parse_float(first(snapshot.fields, "total_price") or "")
    if snapshot.items:
        quantities = _sum(snapshot, "quantity", parse_int)
        prices = _sum(snapshot, "price", parse_float)
        evidence.update(
            total_quantity=to_json_number(total_quantity),
            sum_of_quantities=None if quantities is None else to_json_number(quantities),
            total_price=to_json_number(total_price),
            sum_of_prices=None if prices is None else to_json_number(prices),
        )
        if quantities is not None and math.isfinite(total_quantity) and quantities != total_quantity:
            failures.append(
                f"total_quantity is {to_json_number(total_quantity)} but the items' quantities add up to "
                f"{to_json_number(quantities)}"
            )
            remedies.append(
                "Make total_quantity the sum of the items' quantity (every unit, repeats included)."
            )
        if prices is not None and math.isfinite(total_price) and abs(prices - total_price) >= 0.005:
            warnings.append(
                f"total_price is {to_json_number(total_price)} but the items' prices add up to "
                f"{to_json_number(round(prices, 6))}"
            )
            remedies.append(
                "Check total_price against the items' price (quantity × unit_price): a difference is fine "
                "for shipping or discounts, a mistake otherwise."
            )
    rows = [_compare(name, value, snapshot) for name, value in exp.expected_values.items()]
    if rows:
        evidence["expected"] = rows
    wrong = [r for r in rows if not r["ok"]]
    for row in wrong:
        got = row.get("connectif_reads", row.get("tag"))
        source = exp.sources.get(row["field"])
        place = exp.places.get(row["field"])
        parts = [source] if source else []
        if source:
            row["expected_from"] = source
        if place:
            row["written_at"] = place
            parts.append(f"expect.cn_purchase.{row['field']}, {place}")
        came = f" ({'; '.join(parts)})" if parts else ""
        failures.append(f"{row['field']} is {got!r} in the tag, expected {row['expected']!r}{came}")
    if wrong:
        remedies.append(
            "Make the tag carry the order's own values (the order number, the amount charged, the "
            "products bought)."
        )
        written = [
            f"expect.cn_purchase.{r['field']} ({exp.places[r['field']]})"
            for r in wrong
            if r["field"] in exp.places
        ]
        if written:
            remedies.append(
                "If the tag's value is the order's own, the expectation is what is wrong: mend "
                + ", ".join(written)
                + "."
            )
    items = compare_items(exp.items, snapshot.items, exp.sources) if exp.items is not None else None
    if items is not None:
        evidence["items"] = items.rows
        failures.extend(items.failures)
        if items.failures:
            remedies.append(
                "Render one product_basket_item per order line, in the order's order, each with the "
                "line's own product_id, name, quantity and prices."
            )
    if failures:
        return result(check, Status.FAIL, "; ".join(failures + warnings) + ".", evidence, " ".join(remedies))
    if warnings:
        return result(check, Status.WARN, "; ".join(warnings) + ".", evidence, " ".join(remedies))
    checked = f", {len(rows)} expected value(s) match" if rows else ""
    if items is not None:
        checked += f", its {len(items.rows)} item(s) as expected"
    return result(check, Status.PASS, f"One tag; its totals add up{checked}.", evidence)
