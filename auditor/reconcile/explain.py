"""Reading the likely causes of lost purchases from the numbers, and what to do about each."""

from __future__ import annotations

from auditor.reconcile.breakdown import rest_rate
from auditor.reconcile.model import (
    Breakdown,
    ColumnRole,
    Explanation,
    ExplanationKind,
    Group,
    Reconciliation,
)

MIN_LOST_FOR_PATTERN = 5  # fewer lost orders than this cannot show a pattern
MIN_GROUP_LOST = 3
Z_SIGNIFICANT = 3.0  # a group this far above the rest is very unlikely to be chance
RATE_FACTOR = 2.0  # and it must lose at least twice as often as the rest to matter

API_POST = "POST https://api.connectif.cloud/purchases/"
API_GET = "GET https://api.connectif.cloud/purchases/purchase-id/{id}"

_KIND_ORDER = {
    ExplanationKind.ALL_RECORDED: 0,
    ExplanationKind.ID_FORMAT: 2,
    ExplanationKind.NOT_A_SALE: 2,
    ExplanationKind.DUPLICATE_PURCHASES: 2,
    ExplanationKind.DUPLICATE_ORDERS: 2,
    ExplanationKind.UNKNOWN_PURCHASES: 2,
    ExplanationKind.API_SYNC: 3,
}


def plural(n: int, one: str, many: str) -> str:
    """'1 order' / '2,000 orders'."""
    return f"{n:,} {one if n == 1 else many}"


def pct(rate: float) -> str:
    """A rate as a percentage with the precision small rates need."""
    if rate == 0:
        return "0%"
    if rate < 0.001:
        return f"{rate * 100:.3f}%"
    if rate < 0.1:
        return f"{rate * 100:.1f}%"
    return f"{rate * 100:.0f}%"


def concentrated(breakdown: Breakdown, *, orders: int, lost: int) -> list[Group]:
    """Groups that lose far more often than the rest, beyond what chance would give."""
    return [
        g
        for g in breakdown.groups
        if not g.small
        and g.lost >= MIN_GROUP_LOST
        and g.z >= Z_SIGNIFICANT
        and g.rate >= RATE_FACTOR * rest_rate(g, orders=orders, lost=lost)
    ]


def explain(result: Reconciliation) -> tuple[Explanation, ...]:
    """Every explanation the numbers support, main causes first, the API recommendation last."""
    found: list[Explanation] = []
    if result.lost == 0:
        found.append(_all_recorded(result))
    else:
        found += _causes(result)
    found += _id_explanations(result)
    found += _context(result)
    if result.lost:
        found.append(_api_sync(result))
    found.sort(key=lambda e: (_KIND_ORDER.get(e.kind, 1), -e.orders))
    return tuple(found)


def _causes(result: Reconciliation) -> list[Explanation]:
    if result.lost < MIN_LOST_FOR_PATTERN:
        return [_few_losses(result)]
    found: list[Explanation] = []
    payment = next((b for b in result.breakdowns if b.role is ColumnRole.PAYMENT), None)
    if payment is None:
        found.append(_no_payment_column(result))
    else:
        found += _payment(result, payment)
    for breakdown in result.breakdowns:
        groups = concentrated(breakdown, orders=result.sales, lost=result.lost)
        if not groups:
            continue
        if breakdown.role is ColumnRole.DAY:
            found.append(_days(result, breakdown, groups))
        elif breakdown.role is not ColumnRole.PAYMENT:
            found.append(_other(breakdown, groups))
    return found


def _describe(groups: list[Group], result: Reconciliation) -> str:
    parts = []
    for g in groups[:5]:
        rest = rest_rate(g, orders=result.sales, lost=result.lost)
        parts.append(
            f"{g.value}: {g.lost:,} of {g.orders:,} orders lost ({pct(g.rate)}, the rest {pct(rest)})"
        )
    more = f"; and {len(groups) - 5} more" if len(groups) > 5 else ""
    return "; ".join(parts) + more + "."


def _payment(result: Reconciliation, payment: Breakdown) -> list[Explanation]:
    groups = concentrated(payment, orders=result.sales, lost=result.lost)
    found: list[Explanation] = []
    if groups:
        names = ", ".join(g.value for g in groups)
        lost_there = sum(g.lost for g in groups)
        found.append(
            Explanation(
                kind=ExplanationKind.PAYMENT_PLATFORM,
                title=f"Losses concentrate on {names}: the buyer does not come back from that payment "
                "platform",
                evidence=_describe(groups, result)
                + " When the buyer pays on an external platform and is not sent back to the shop, the "
                "confirmation page (and Connectif's purchase tag on it) never loads.",
                actions=(
                    f"In the back office of {names}, switch on the automatic return to the shop after a "
                    "successful payment (often called auto-redirect, return URL or 'volver al comercio'), "
                    "so the buyer always lands on the confirmation page.",
                    f"Run a checkout-auditor scenario that pays with {names} to see whether the buyer comes "
                    "back to the confirmation page and the purchase reaches Connectif.",
                    "Or send these purchases from the server with Connectif's API (below): it does not "
                    "depend on the buyer coming back.",
                ),
                orders=lost_there,
            )
        )
        rest_lost = result.lost - lost_there
        if rest_lost >= MIN_LOST_FOR_PATTERN:
            others = [g for g in payment.groups if g not in groups and g.lost]
            found.append(_tag_or_script(others, rest_lost, besides=names))
        return found
    with_losses = [g for g in payment.groups if g.lost]
    return [_tag_or_script(with_losses, result.lost)]


def _tag_or_script(groups: list[Group], lost: int, *, besides: str | None = None) -> Explanation:
    if len(groups) > 1:
        rates = sorted(g.rate for g in groups)
        spread = (
            f"{len(groups)} payment methods lose between {pct(rates[0])} and {pct(rates[-1])} of "
            "their orders and none stands out, so these payment platforms are not the cause."
        )
    elif groups:
        spread = f"Only {groups[0].value} has losses ({pct(groups[0].rate)})."
    else:
        spread = "No payment method stands out."
    if besides:
        title = (
            f"Besides {besides}, the other payment methods lose orders too: check the purchase tag "
            "and the Connectif script on the confirmation page"
        )
        spread = f"{plural(lost, 'order is', 'orders are')} lost outside {besides}. " + spread
    else:
        title = (
            "Losses are spread over every payment method: check the purchase tag and the Connectif "
            "script on the confirmation page"
        )
    return Explanation(
        kind=ExplanationKind.TAG_OR_SCRIPT,
        title=title,
        evidence=spread,
        actions=(
            "Open the confirmation page of a real order and check that it holds the hidden "
            "cn_purchase tag, with purchase_id equal to the shop's order id, and that Connectif's "
            "script loads there (not held back by the cookie banner or a tag manager rule).",
            "Check that the tag is on the first page after payment every time: for guests as well as "
            "logged-in customers, in every language, theme and checkout template.",
            "Check that total_price and total_quantity are plain numbers and purchase_id is never "
            "empty: Connectif's script drops such a purchase without any error.",
            "A small, even loss (a few percent) is typical of visitors who block trackers or refuse "
            "cookies; only the API sync recovers those.",
        ),
        orders=lost,
    )


def _few_losses(result: Reconciliation) -> Explanation:
    return Explanation(
        kind=ExplanationKind.FEW_LOSSES,
        title=f"Only {result.lost} lost order{'s' if result.lost != 1 else ''}: too few to show a pattern",
        evidence=f"{result.lost} of {result.sales:,} orders are missing from Connectif "
        f"({pct(result.loss_rate)}).",
        actions=(
            "Look the orders up one by one (missing.csv): their payment method, device and time may "
            "point at the cause.",
            "Run the checkout-auditor scenarios on the payment methods they used to reproduce it.",
        ),
        orders=result.lost,
    )


def _no_payment_column(result: Reconciliation) -> Explanation:
    return Explanation(
        kind=ExplanationKind.NO_PAYMENT_COLUMN,
        title="The orders export has no payment method column: a payment platform problem cannot be "
        "told from a tag problem",
        evidence=f"{result.lost:,} orders are lost, but they cannot be broken down by payment method.",
        actions=(
            "Export the orders with their payment method (a column named like payment_method or "
            "'Método de pago') and run the reconciliation again.",
        ),
        orders=result.lost,
    )


def _other(breakdown: Breakdown, groups: list[Group]) -> Explanation:
    names = ", ".join(g.value for g in groups)
    return Explanation(
        kind=ExplanationKind.CONCENTRATED,
        title=f"Losses concentrate on {breakdown.column} = {names}",
        evidence="; ".join(
            f"{g.value}: {g.lost:,} of {g.orders:,} orders lost ({pct(g.rate)})" for g in groups[:5]
        )
        + ".",
        actions=(
            "Find what differs for these orders: a separate template, app, channel, domain or "
            "language whose confirmation page lacks the cn_purchase tag or the Connectif script.",
            f"Run a checkout-auditor scenario that buys the same way ({breakdown.column} = "
            f"{groups[0].value}) to reproduce it.",
        ),
        orders=sum(g.lost for g in groups),
    )


def _days(result: Reconciliation, breakdown: Breakdown, groups: list[Group]) -> Explanation:
    days = sorted(g.value for g in groups)
    all_days = sorted(g.value for g in breakdown.groups)
    actions = [
        "Look at what changed on those days: a release of the theme or the confirmation page, a tag "
        "manager change, a new payment platform, an outage.",
    ]
    if all_days and (all_days[0] in days or all_days[-1] in days):
        actions.append(
            "The days are at the edge of the period: check that both exports cover the same dates "
            "(Connectif's export may stop earlier or start later than the shop's)."
        )
    return Explanation(
        kind=ExplanationKind.DAYS,
        title=f"Losses concentrate on {len(days)} day{'s' if len(days) != 1 else ''}: "
        + ", ".join(days[:5])
        + ("…" if len(days) > 5 else ""),
        evidence=_describe(sorted(groups, key=lambda g: g.value), result),
        actions=tuple(actions),
        orders=sum(g.lost for g in groups),
    )


def _all_recorded(result: Reconciliation) -> Explanation:
    return Explanation(
        kind=ExplanationKind.ALL_RECORDED,
        title="Every order that should be in Connectif is there",
        evidence=f"All {result.sales:,} completed orders were found among Connectif's purchases.",
        actions=(
            "Keep it that way: run this reconciliation regularly, e.g. in CI with --max-loss, so a "
            "new loss fails the build.",
        ),
        orders=0,
    )


def _id_explanations(result: Reconciliation) -> list[Explanation]:
    found: list[Explanation] = []
    if result.matched_after_normalising:
        examples = ", ".join(
            f"shop {p.order_id!r} = Connectif {p.purchase_id!r}" for p in result.normalised_examples[:3]
        )
        found.append(
            Explanation(
                kind=ExplanationKind.ID_FORMAT,
                title=f"{plural(result.matched_after_normalising, 'order', 'orders')} matched only after "
                "normalising their ids",
                evidence=f"The ids are written differently on each side, e.g. {examples}. These are counted "
                "as matched, not lost.",
                actions=(
                    "Make the purchase_id in the cn_purchase tag exactly the order id the shop shows and "
                    "exports (same prefix, case, no '#', no spaces), so look-ups by purchase id "
                    f"({API_GET}) and reports agree without guesswork.",
                ),
                orders=result.matched_after_normalising,
            )
        )
    near = result.near_misses
    if near.leading_zeros and not result.normalisation.strip_leading_zeros:
        found.append(
            Explanation(
                kind=ExplanationKind.NEAR_MISS,
                title=f"{plural(near.leading_zeros, 'lost order', 'lost orders')} would match if leading "
                "zeros were ignored",
                evidence="Some unmatched ids differ only by leading zeros (e.g. 001001 and 1001).",
                actions=(
                    "If these are the same orders, rerun with --strip-leading-zeros, and make the tag's "
                    "purchase_id identical to the shop's id.",
                ),
                orders=near.leading_zeros,
            )
        )
    if near.prefix and near.prefix_matches:
        found.append(
            Explanation(
                kind=ExplanationKind.NEAR_MISS,
                title=f"{plural(near.prefix_matches, 'unmatched id', 'unmatched ids')} would match without "
                f"the prefix {near.prefix!r}",
                evidence=f"Ids like '{near.prefix}1001' on one side match '1001' on the other.",
                actions=(
                    f"If these are the same orders, rerun with --strip-prefix '{near.prefix}', and make the "
                    "tag's purchase_id identical to the shop's id.",
                ),
                orders=near.prefix_matches,
            )
        )
    return found


def _context(result: Reconciliation) -> list[Explanation]:
    found: list[Explanation] = []
    if result.not_a_sale:
        total = sum(s.orders for s in result.not_a_sale)
        listed = "; ".join(
            f"{s.status or '(blank)'}: {s.orders:,} ({s.missing:,} not in Connectif)"
            for s in result.not_a_sale[:8]
        )
        found.append(
            Explanation(
                kind=ExplanationKind.NOT_A_SALE,
                title=f"{plural(total, 'order has', 'orders have')} a status that never reaches a "
                "confirmation page (pending, cancelled, failed, refunded…): not counted as losses",
                evidence=f"By status: {listed}.",
                actions=(
                    "Nothing to fix for these: the payment never completed (or was reversed), so the "
                    "confirmation page and its tag were never shown.",
                    "If some are paid later (bank transfer, cash on delivery), send them to Connectif with "
                    "the API when they are paid: the web tag will never see them.",
                ),
                orders=total,
            )
        )
    dup = result.duplicate_purchases
    if dup.ids:
        found.append(
            Explanation(
                kind=ExplanationKind.DUPLICATE_PURCHASES,
                title=f"{plural(dup.ids, 'purchase id appears', 'purchase ids appear')} more than once in "
                "Connectif",
                evidence="; ".join(f"{d.id} × {d.count}" for d in dup.examples[:5]) + ".",
                actions=(
                    "The confirmation page probably sends the purchase again when it is reloaded or "
                    "revisited (Connectif's script does not de-duplicate): render the cn_purchase tag only "
                    "the first time the page is shown for an order.",
                    "If purchases are also sent by API or JavaScript event, send each one by one path only: "
                    "how Connectif treats a repeated purchase id is not documented.",
                ),
                orders=dup.ids,
            )
        )
    dup = result.duplicate_orders
    if dup.ids:
        found.append(
            Explanation(
                kind=ExplanationKind.DUPLICATE_ORDERS,
                title=f"{plural(dup.ids, 'order id appears', 'order ids appear')} more than once in the "
                "shop's export",
                evidence="; ".join(f"{d.id} × {d.count}" for d in dup.examples[:5])
                + ". Each order is counted once, by its first row.",
                actions=(
                    "If the export has one row per product, this is expected.",
                    "Otherwise ids are reused (several stores or test orders): reconcile one store at a "
                    "time.",
                ),
                orders=dup.ids,
            )
        )
    if result.unknown_purchases:
        examples = ", ".join(result.unknown_examples[:5])
        found.append(
            Explanation(
                kind=ExplanationKind.UNKNOWN_PURCHASES,
                title=plural(result.unknown_purchases, "Connectif purchase is", "Connectif purchases are")
                + " not in the shop's export",
                evidence=f"For example: {examples}.",
                actions=(
                    "Check both exports cover the same dates: a purchase just outside the order export's "
                    "period shows up here.",
                    "Test orders, or another store sending to the same Connectif account, also land here.",
                    "If most purchases are unknown, the tag's purchase_id may carry another id (cart id, "
                    "internal id) instead of the order reference: compare a few by hand.",
                ),
                orders=result.unknown_purchases,
            )
        )
    return found


def _api_sync(result: Reconciliation) -> Explanation:
    return Explanation(
        kind=ExplanationKind.API_SYNC,
        title="Sync purchases through Connectif's API to stop depending on the browser",
        evidence=f"{result.lost:,} orders never reached Connectif from the web. The web tag needs the "
        "buyer to reach the confirmation page with the script working; Connectif recommends the API "
        "as the path that does not lose purchases.",
        actions=(
            f"Send each paid order with {API_POST} (header Authorization: apiKey <keyId>:<keySecret>), "
            "purchaseId set to the shop's order id; the contact must exist first (error E0101 "
            "otherwise).",
            f"Check one order with {API_GET}: a 404 means Connectif does not have it.",
            "missing.csv lists the lost orders, ready to send. API purchases have no web context: "
            "they start workflows and segments but not on-site content; send each purchase by one "
            "path only, or look it up first.",
        ),
        orders=result.lost,
    )
