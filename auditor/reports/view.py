"""What the reports show, computed from a RunResult: plain values, no markup.

The template only lays these out; every decision (wording, zones, differences) is here, so it is
tested without parsing HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from auditor.connectif import jsnum
from auditor.connectif.tag import PURCHASE_FIELDS
from auditor.errors import ErrorKind
from auditor.hosts import host_matches
from auditor.observation import Navigation
from auditor.results import (
    ConnectifRequest,
    PaymentResult,
    RunResult,
    ScenarioResult,
    ScenarioStatus,
    Status,
)

MECHANISM_WORDS = {
    "http-redirect": "an HTTP redirect",
    "form-post": "a form submitted with POST",
    "form-get": "a form submitted with GET",
    "script": "a script navigation",
    "meta-refresh": "a meta refresh",
    "opener": "the popup closing and the shop window moving on",
    "click": "a click",
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def fmt_ms(ms: int | float | None) -> str:
    """A duration for people: 850 ms, 4.2 s, 2 min 05 s."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{int(ms)} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} min {seconds:02d} s"


def fmt_time(iso: str | None) -> str:
    """An ISO time as `2024-05-01 10:42:07 UTC+02:00`; anything unparsable is shown as given."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.tzinfo is not None:
        offset = moment.strftime("%z")
        text += " UTC" if offset in ("+0000", "") else f" UTC{offset[:3]}:{offset[3:]}"
    return text


def run_duration_ms(run: RunResult) -> int | None:
    """Wall time of the run, when both times parse."""
    try:
        delta = datetime.fromisoformat(run.finished) - datetime.fromisoformat(run.started)
    except (ValueError, TypeError):
        return None
    return max(0, int(delta.total_seconds() * 1000))


def is_problem(scenario: ScenarioResult) -> bool:
    """What the "only problems" filter keeps: failed, errored and flaky scenarios."""
    return scenario.status is not ScenarioStatus.PASS or scenario.flaky


def summary_counts(run: RunResult) -> dict[str, int]:
    """The big numbers: pass/fail/error from the run, plus flaky and with-warnings."""
    counts = run.counts()
    counts["flaky"] = sum(1 for s in run.scenarios if s.flaky)
    counts["warn"] = sum(1 for s in run.scenarios if any(c.status is Status.WARN for c in s.checks))
    counts["total"] = len(run.scenarios)
    return counts


@dataclass(frozen=True)
class Interruption:
    """An interrupted run (Ctrl-C) in numbers: what never ran, what was cut short, what finished.

    The verdicts of the scenarios that finished are findings about the shop; the others are not.
    """

    total: int
    not_run: int  # never started
    cut_short: int  # stopped by Ctrl-C while it ran
    passed: int
    failed: int
    errored: int  # errors of the scenarios that finished (not the two kinds above)

    @property
    def finished(self) -> int:
        return self.total - self.not_run - self.cut_short

    @property
    def unfinished(self) -> int:
        return self.not_run + self.cut_short

    @property
    def bad(self) -> int:
        return self.failed + self.errored


_CUT_BY_CTRL_C = {ErrorKind.NOT_RUN: "not_run", ErrorKind.INTERRUPTED: "cut_short"}


def interruption(run: RunResult) -> Interruption | None:
    """The numbers of an interrupted run; None when the run was not interrupted."""
    if not run.interrupted:
        return None
    tally = {"not_run": 0, "cut_short": 0, "pass": 0, "fail": 0, "error": 0}
    for s in run.scenarios:
        cut = _CUT_BY_CTRL_C.get(s.error_kind) if s.error_kind is not None else None
        tally[cut or s.status.value] = tally.get(cut or s.status.value, 0) + 1
    return Interruption(
        total=len(run.scenarios),
        not_run=tally["not_run"],
        cut_short=tally["cut_short"],
        passed=tally["pass"],
        failed=tally["fail"],
        errored=tally["error"],
    )


def anchor_ids(scenarios: Sequence[ScenarioResult]) -> list[str]:
    """One unique, markup-safe anchor per scenario (`s-<id>`), whatever the ids contain."""
    anchors: list[str] = []
    seen: set[str] = set()
    for number, scenario in enumerate(scenarios, start=1):
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", scenario.id).strip("-")[:80] or str(number)
        anchor = f"s-{slug}"
        if anchor in seen:
            anchor = f"{anchor}-{number}"
        seen.add(anchor)
        anchors.append(anchor)
    return anchors


def return_not_judged(scenario: ScenarioResult) -> bool:
    """The scenario stopped in error before its return could be seen: the report must not say "never"."""
    payment = scenario.payment
    if payment is None or payment.return_ != "none" or scenario.status is not ScenarioStatus.ERROR:
        return False
    verdicts = [c.status for c in scenario.checks if c.id == "payment.return"]
    return not verdicts or verdicts[0] is Status.SKIP


def return_short(payment: PaymentResult | None, *, not_judged: bool = False) -> str:
    """The summary table's return column: automatic via X, manual, none."""
    if payment is None:
        return "no payment step"
    if not payment.left_shop:
        return "not judged (stopped before the platform)" if not_judged else "never reached the platform"
    if payment.return_ == "automatic":
        return f"automatic via {payment.mechanism}" if payment.mechanism else "automatic"
    if payment.return_ == "manual":
        return "manual (click)"
    return "not judged (stopped on the platform)" if not_judged else "none"


def fmt_return_ms(ms: int | None) -> str:
    """How long the return took; 0 ms reads as "at once" (the platform answered with the shop's page)."""
    if ms is not None and ms <= 0:
        return "at once"
    return fmt_ms(ms)


def return_sentence(payment: PaymentResult | None, *, not_judged: bool = False) -> str:
    """How the customer came back, in words."""
    if payment is None:
        return "This scenario has no payment step."
    platform = payment.provider or "the payment platform"
    if not payment.left_shop:
        if not_judged:
            return (
                f"The scenario stopped with an error before the customer reached {platform}, "
                "so the return was not judged."
            )
        return f"The customer never reached {platform}."
    stay = (
        f" and spent {fmt_ms(payment.time_on_platform_ms)} there"
        if payment.time_on_platform_ms is not None
        else ""
    )
    if payment.return_ms is None:
        took = ""
    elif payment.return_ms <= 0:
        took = ", as soon as the last payment step ended"
    else:
        took = f", {fmt_ms(payment.return_ms)} after the last payment step"
    if payment.return_ == "automatic":
        how = MECHANISM_WORDS.get(payment.mechanism or "", payment.mechanism or "an unrecorded mechanism")
        return f"The customer reached {platform}{stay}; it sent them back on its own, by {how}{took}."
    if payment.return_ == "manual":
        return (
            f"The customer reached {platform}{stay}; it did not send them back on its own: "
            f"they came back only by clicking the way back{took}."
        )
    if not_judged:
        return (
            f"The customer reached {platform}{stay}; the scenario stopped there with an error, "
            "so whether the platform sends customers back was not judged."
        )
    return f"The customer reached {platform}{stay} and never came back to the shop."


def connectif_api_sentence(scenario: ScenarioResult) -> str | None:
    """What Connectif's API said about the purchase, in one line; None when it was not asked."""
    api = scenario.connectif_api
    if api is None:
        return None
    asked = len(api.lookups)
    lookups = f"{asked} lookup{'s' if asked != 1 else ''}"
    if api.error:
        return (
            f"Connectif's API was not able to say whether it stored purchase {api.purchase_id}: {api.error}"
        )
    if api.purchase is not None:
        return f"Connectif stored purchase {api.purchase_id} (found at {fmt_ms(api.found_ms)}, {lookups})."
    last = api.lookups[-1].at_ms if api.lookups else None
    return f"Connectif had not stored purchase {api.purchase_id} ({lookups}, the last at {fmt_ms(last)})."


# ---------------------------------------------------------------- timeline lane

ZONE_NAMES = {
    "shop": "Shop",
    "platform": "Payment platform",
    "other": "Other site",
    "start": "Before the first page",
}
ZONE_SHORT = {"shop": "Shop", "platform": "Pay", "other": "Other", "start": ""}


@dataclass(frozen=True, kw_only=True)
class LaneSegment:
    """A stretch of time spent on one page: shop, platform or other host."""

    zone: str  # "shop", "platform", "other", "start"
    host: str
    url: str
    cause: str  # how Chromium says the page was loaded
    page: str
    start_ms: int
    end_ms: int
    grow: float  # flex-grow: proportional to the time spent
    # How the list names the way in: the payment's mechanism for the page it came back to, so that
    # the timeline and the summary agree (a platform's redirect after a POST is "http-redirect" there,
    # though Chromium records the navigation as a form-post).
    how: str = ""
    is_return: bool = False


@dataclass(frozen=True, kw_only=True)
class LanePhase:
    """Consecutive pages in one zone: one block of the bar, one entry of its legend."""

    number: int  # 1, 2, …; 0 for the stretch before the first page
    zone: str
    start_ms: int
    end_ms: int
    grow: float
    segments: list[LaneSegment]
    popup: bool  # some of these pages were in a popup
    returned_by: str | None  # the payment's mechanism, on the shop phase the customer came back to

    @property
    def name(self) -> str:
        return ZONE_NAMES[self.zone]

    @property
    def short(self) -> str:
        return ZONE_SHORT[self.zone]

    @property
    def duration_ms(self) -> int:
        return max(0, self.end_ms - self.start_ms)


@dataclass(frozen=True, kw_only=True)
class Lane:
    """The shop → platform → shop lane of one scenario."""

    segments: list[LaneSegment]
    phases: list[LanePhase]
    total_ms: int


def _extra_list(extra: Mapping[str, Any] | None, key: str) -> list[str]:
    value = (extra or {}).get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def shop_hosts(scenario: ScenarioResult) -> list[str]:
    """The shop's hosts: given by the engine when it does, else the first page's and the confirmation's."""
    hosts = list(scenario.shop_hosts)
    if hosts:
        return hosts
    if scenario.timeline:
        hosts.append(scenario.timeline[0].host)
    if scenario.confirmation_url:
        confirmation_host = urlsplit(scenario.confirmation_url).hostname
        if confirmation_host:
            hosts.append(confirmation_host)
    return hosts


def _phases(segments: list[LaneSegment], mechanism: str | None) -> list[LanePhase]:
    groups: list[list[LaneSegment]] = []
    for segment in segments:
        if groups and groups[-1][0].zone == segment.zone and segment.zone != "start":
            groups[-1].append(segment)
        else:
            groups.append([segment])
    phases: list[LanePhase] = []
    number = 0
    for group in groups:
        zone = group[0].zone
        if zone != "start":
            number += 1
        phases.append(
            LanePhase(
                number=0 if zone == "start" else number,
                zone=zone,
                start_ms=group[0].start_ms,
                end_ms=group[-1].end_ms,
                grow=sum(s.grow for s in group),
                segments=group,
                popup=any(s.page != "main" for s in group),
                returned_by=mechanism if any(s.is_return for s in group) else None,
            )
        )
    return phases


def timeline_lane(scenario: ScenarioResult) -> Lane | None:
    """Segments between top-level navigations, sized by time, coloured by whose host it was."""
    navigations = sorted(scenario.timeline, key=lambda n: n.at_ms)
    if not navigations:
        return None
    shop = shop_hosts(scenario)
    payment = scenario.payment
    platform = _extra_list(payment.model_extra if payment else None, "hosts")
    came_back = payment is not None and payment.return_ in ("automatic", "manual")
    mechanism = payment.mechanism if payment is not None and came_back else None
    total = max(scenario.duration_ms, navigations[-1].at_ms, 1)
    segments: list[LaneSegment] = []
    if navigations[0].at_ms > 0:
        segments.append(
            LaneSegment(
                zone="start",
                host="",
                url="",
                cause="",
                page="main",
                start_ms=0,
                end_ms=navigations[0].at_ms,
                grow=navigations[0].at_ms / total,
            )
        )
    seen_platform = False
    return_marked = False
    for index, nav in enumerate(navigations):
        end = navigations[index + 1].at_ms if index + 1 < len(navigations) else total
        if host_matches(nav.host, shop):
            zone = "shop"
        elif platform and not host_matches(nav.host, platform):
            zone = "other"
        else:
            # Without the platform's hosts, any host that is not the shop's is the platform's side.
            zone = "platform"
        # The first shop page after the platform is where the customer came back.
        is_return = zone == "shop" and seen_platform and came_back and not return_marked
        return_marked = return_marked or is_return
        seen_platform = seen_platform or zone == "platform"
        segments.append(
            LaneSegment(
                zone=zone,
                host=nav.host,
                url=nav.url,
                cause=nav.cause.value,
                page=nav.page,
                start_ms=nav.at_ms,
                end_ms=end,
                grow=max(end - nav.at_ms, 0) / total,
                how=(mechanism or nav.cause.value) if is_return else nav.cause.value,
                is_return=is_return,
            )
        )
    return Lane(segments=segments, phases=_phases(segments, mechanism), total_ms=total)


# ---------------------------------------------------------------- Connectif requests, page by page


@dataclass(frozen=True, kw_only=True)
class RequestView:
    """One request to Connectif, with what the engine added to it."""

    request: ConnectifRequest
    at_ms: int | None
    failure: str | None
    intercepted: bool
    event_types: list[str]

    @property
    def purchases(self) -> int:
        return self.event_types.count("purchase")


@dataclass(frozen=True, kw_only=True)
class PageRequests:
    """The Connectif requests one page of the journey sent."""

    url: str
    host: str
    zone: str  # as in the lane; "" when the page is not in the timeline
    position: int | None  # 1-based place among the scenario's pages
    pages: int  # how many pages the scenario visited
    at_ms: int | None  # when the page was loaded
    confirmation: bool
    stage: str  # "before the payment", "on the payment platform", "after the payment" or ""
    popup: bool
    requests: list[RequestView]

    @property
    def purchases(self) -> int:
        return sum(r.purchases for r in self.requests)

    @property
    def title(self) -> str:
        if self.confirmation:
            return "Confirmation page"
        return ZONE_NAMES.get(self.zone, "Unknown page") + (" (popup)" if self.popup else "")

    @property
    def place(self) -> str:
        if self.position is None:
            return "not among the pages the timeline recorded"  # older results carry no page_url
        where = f"page {self.position} of {self.pages}"
        return f"{where}, {self.stage}" if self.stage else where


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _page_of(request: RequestView, page_url: str, navigations: Sequence[Navigation]) -> int | None:
    """The timeline entry of the page that sent a request: same URL and loaded before it, else by time."""
    at = request.at_ms
    same = [i for i, n in enumerate(navigations) if page_url and _without_fragment(n.url) == page_url]
    if at is not None:
        before = [i for i in same if navigations[i].at_ms <= at]
        if before:
            return before[-1]
    if same:
        return same[0]
    if at is None:
        return None
    # The page may have rewritten its own URL (Connectif's script drops __cn_tracker with replaceState).
    loaded = [i for i, n in enumerate(navigations) if n.at_ms <= at and n.page == "main"]
    return loaded[-1] if loaded else None


def connectif_pages(scenario: ScenarioResult, lane: Lane | None = None) -> list[PageRequests]:
    """Connectif's requests by the page that sent them: the confirmation page first, then in order."""
    if not scenario.connectif_requests:
        return []
    lane = lane if lane is not None else timeline_lane(scenario)
    navigations = sorted(scenario.timeline, key=lambda n: n.at_ms)
    zones = [s for s in lane.segments if s.zone != "start"] if lane is not None else []
    first_platform = next((s.start_ms for s in zones if s.zone == "platform"), None)
    confirmation = _without_fragment(scenario.confirmation_url or "")
    groups: dict[tuple[int, str], list[RequestView]] = {}
    for request in scenario.connectif_requests:
        extra = request.model_extra or {}
        failure = extra.get("failure")
        item = RequestView(
            request=request,
            at_ms=_int_or_none(extra.get("at_ms")),
            failure=str(failure) if failure else None,
            intercepted=bool(extra.get("intercepted")),
            event_types=[str(e.get("type", "?")) if isinstance(e, dict) else "?" for e in request.events],
        )
        page_url = _without_fragment(str(extra.get("page_url") or ""))
        index = _page_of(item, page_url, navigations)
        key = (index, "") if index is not None else (len(navigations), page_url)
        groups.setdefault(key, []).append(item)
    pages: list[PageRequests] = []
    for (index, page_url), items in sorted(groups.items()):
        nav = navigations[index] if index < len(navigations) else None
        zone = zones[index].zone if nav is not None and index < len(zones) else ""
        url = nav.url if nav is not None else page_url
        if nav is None or zone == "" or first_platform is None:
            stage = ""
        elif zone != "shop":
            stage = "on the payment platform" if zone == "platform" else "away from the shop"
        else:
            stage = "before the payment" if nav.at_ms < first_platform else "after the payment"
        pages.append(
            PageRequests(
                url=url,
                host=nav.host if nav is not None else (urlsplit(page_url).hostname or ""),
                zone=zone,
                position=index + 1 if nav is not None else None,
                pages=len(navigations),
                at_ms=nav.at_ms if nav is not None else None,
                confirmation=bool(confirmation) and _without_fragment(url) == confirmation,
                stage=stage,
                popup=nav is not None and nav.page != "main",
                requests=items,
            )
        )
    # The page a person looks for first: the confirmation (and its reloads), then the journey in order.
    return sorted(pages, key=lambda p: not p.confirmation)


# ---------------------------------------------------------------- the journey strip

JOURNEY_LABELS = {
    "home": "Home",
    "product": "Product",
    "cart": "Cart",
    "checkout": "Checkout",
    "confirmation": "Confirmation",
    "page": "Page",
}
# What a shop page's path says it is, tried in order (the confirmation is known from the result).
_PAGE_KINDS = (
    ("checkout", re.compile(r"checkout|payment|pago|kasse|commande", re.IGNORECASE)),
    ("cart", re.compile(r"cart|basket|carrito|panier|warenkorb", re.IGNORECASE)),
    ("product", re.compile(r"product|produc|item|/p/|/dp/|artikel", re.IGNORECASE)),
)


@dataclass(frozen=True, kw_only=True)
class JourneyMark:
    """One shop page on the journey strip: what it is, the tags it carried, the events it sent."""

    number: int
    kind: str  # a key of JOURNEY_LABELS
    url: str
    path: str  # the URL without scheme and host, for the mark's last line
    at_ms: int | None
    tags: list[str]  # Connectif tag classes it carried at load
    events: list[str]  # event types its tracking requests carried
    cart_id: str | None  # its cn_cart's cart_id ("" when the tag has none)
    cart_items: int  # basket items in that cn_cart
    contact: str | None  # its cn_client_info's primary_key
    after_payment: bool
    loaded: bool  # False: the page never reached its load event, its tags were not read

    @property
    def label(self) -> str:
        return JOURNEY_LABELS[self.kind]

    @property
    def purchases(self) -> int:
        return self.events.count("purchase")

    @property
    def description(self) -> str:
        """The mark in one sentence, for screen readers and the tooltip."""
        tags = ", ".join(self.tags) if self.tags else "no Connectif tag"
        events = ", ".join(self.events) if self.events else "no event sent"
        return f"{self.number}. {self.label}: {tags}; {events}."


def _page_kind(url: str, confirmation: str) -> str:
    if confirmation and _without_fragment(url) == confirmation:
        return "confirmation"
    path = urlsplit(url).path
    if path in ("", "/"):
        return "home"
    for kind, pattern in _PAGE_KINDS:
        if pattern.search(path):
            return kind
    return "page"


def journey_strip(scenario: ScenarioResult) -> list[JourneyMark]:
    """results.json's `journey` as marks, one per shop page, in order (empty for older results)."""
    confirmation = _without_fragment(scenario.confirmation_url or "")
    back = next(
        (
            n.at_ms
            for n in sorted(scenario.timeline, key=lambda n: n.at_ms)
            if confirmation and _without_fragment(n.url) == confirmation
        ),
        None,
    )
    marks: list[JourneyMark] = []
    for number, stop in enumerate(scenario.journey, start=1):
        extra = stop.model_extra or {}
        tags = _extra_list(extra, "tags")
        if "tags" not in extra:  # a results.json that names only the contract's fields
            tags = [t for t, v in (("cn_cart", stop.cn_cart), ("cn_client_info", stop.cn_client_info)) if v]
        at_ms = _int_or_none(extra.get("at_ms"))
        cart = stop.cn_cart or {}
        products = cart.get("products")
        parts = urlsplit(stop.url)
        marks.append(
            JourneyMark(
                number=number,
                kind=_page_kind(stop.url, confirmation),
                url=stop.url,
                path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                at_ms=at_ms,
                tags=tags,
                events=list(stop.events),
                cart_id=str(cart.get("cart_id", "")) if stop.cn_cart is not None else None,
                cart_items=len(products) if isinstance(products, list) else 0,
                contact=(stop.cn_client_info or {}).get("primary_key"),
                after_payment=back is not None and at_ms is not None and at_ms >= back,
                loaded=extra.get("loaded") is not False,
            )
        )
    return marks


# ---------------------------------------------------------------- cn_purchase vs what was sent


@dataclass(frozen=True, kw_only=True)
class FieldRow:
    """One purchase field: read on the page, sent by the browser and, when asked, stored by Connectif."""

    name: str
    on_page: str | None
    sent: str | None
    state: str  # "same", "differs", "not sent", "not on page"; "stored only" when neither exists
    stored: str | None = None
    stored_state: str | None = None  # None: Connectif's record was not read; else "same", "differs",
    # "not stored" (sent or on the page, missing from the record) or "stored only"

    @property
    def differs(self) -> bool:
        return self.state not in ("same", "stored only") or self.stored_state in ("differs", "not stored")


@dataclass(frozen=True, kw_only=True)
class ApiLookup:
    """One question to Connectif's API about this purchase."""

    status: int | None
    at_ms: int | None


@dataclass(frozen=True, kw_only=True)
class ApiRecord:
    """What Connectif's API said about this purchase (results.json's `connectif_api`)."""

    purchase_id: str | None
    lookups: list[ApiLookup]
    purchase: dict[str, Any] | None
    error: str | None = None  # why the API gave no usable answer

    @property
    def sentence(self) -> str:
        """The lookups in words."""
        which = f"purchase {self.purchase_id}" if self.purchase_id else "this purchase"
        if self.error:
            return f"Connectif's API could not say whether it has {which}: {self.error}"
        if not self.lookups:
            return f"Connectif's API was not asked about {which}."
        last = self.lookups[-1]
        when = f" at {fmt_ms(last.at_ms)}" if last.at_ms is not None else ""
        asked = "once" if len(self.lookups) == 1 else f"{len(self.lookups)} times"
        if self.purchase is not None:
            return f"Connectif's API has {which}: asked {asked}, found{when}."
        answer = f"answer {last.status}" if last.status is not None else "no answer"
        return f"Connectif's API does not have {which}: asked {asked}, last {answer}{when}."


def connectif_api(scenario: ScenarioResult) -> ApiRecord | None:
    """results.json's `connectif_api` for the report; None when Connectif's API was not asked."""
    api = scenario.connectif_api
    if api is None:
        return None
    return ApiRecord(
        purchase_id=api.purchase_id or None,
        lookups=[ApiLookup(status=lookup.status, at_ms=lookup.at_ms) for lookup in api.lookups],
        purchase=api.purchase,
        error=api.error,
    )


@dataclass(frozen=True, kw_only=True)
class PurchaseComparison:
    """The tag beside the purchase event sent to Connectif and the purchase Connectif stored."""

    rows: list[FieldRow]
    tag_read: bool
    events_sent: int  # purchase events for this purchase (more than one: a duplicate)
    note: str | None = None
    stored: bool = False  # Connectif's record is shown (a third column)
    tag: dict[str, Any] | None = None
    event: dict[str, Any] | None = None  # the purchase event compared, as sent
    record: dict[str, Any] | None = None  # the purchase as Connectif's API returned it

    @property
    def differences(self) -> int:
        return sum(1 for row in self.rows if row.differs)


def snake(key: str) -> str:
    """purchaseId → purchase_id (Connectif's JS keys to the tag's class names)."""
    return _CAMEL.sub("_", key).lower()


def _scalar(value: Any) -> Any:
    # The tag's first matching element wins, as in Connectif's script.
    if isinstance(value, list) and value and not isinstance(value[0], (dict, list)):
        return value[0]
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def parse_float(value: Any) -> float | None:
    """A value as Connectif's script reads it with parseFloat (connectif.jsnum); None when unusable."""
    if isinstance(value, bool):
        return None
    number = float(value) if isinstance(value, (int, float)) else jsnum.parse_float(str(value))
    return number if jsnum.is_usable(number) else None


def parse_int(value: Any) -> int | None:
    """A value as Connectif's script reads it with parseInt(…, 10) (connectif.jsnum); None when unusable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number = value if isinstance(value, float) else jsnum.parse_int(str(value))
    # A JSON number sent is already what the script read; a float stands for its integer part.
    return int(number) if jsnum.is_usable(number) else None


def _as_date(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _same(name: str, on_page: Any, sent: Any) -> bool:
    if name == "total_price":
        left = parse_float(on_page)
        return left is not None and left == parse_float(sent)
    if name == "total_quantity":
        left_int = parse_int(on_page)
        return left_int is not None and left_int == parse_int(sent)
    if name == "purchase_date" and (left_date := _as_date(on_page)) is not None:
        # Connectif answers with milliseconds ("…:31.000Z") for a tag that had none.
        right_date = _as_date(sent)
        if right_date is not None and (left_date.tzinfo is None) == (right_date.tzinfo is None):
            return left_date == right_date
    return _text(on_page) == _text(sent) or str(on_page).strip() == str(sent).strip()


def purchase_events(scenario: ScenarioResult) -> list[dict[str, Any]]:
    """Every purchase sent to Connectif, keys in the tag's snake_case."""
    found: list[dict[str, Any]] = []
    for request in scenario.connectif_requests:
        for event in request.events:
            if not isinstance(event, dict) or event.get("type") != "purchase":
                continue
            body = event.get("purchase")
            body = body if isinstance(body, dict) else {k: v for k, v in event.items() if k != "type"}
            found.append({snake(str(k)): v for k, v in body.items()})
    return found


def _count_state(left: Any, right: Any, missing_left: str, missing_right: str) -> str:
    left_count = len(left) if isinstance(left, list) else None
    right_count = len(right) if isinstance(right, list) else None
    if left_count is None:
        return missing_left
    if right_count is None:
        return missing_right
    return "same" if left_count == right_count else "differs"


def _stored_state(name: str, record: dict[str, Any], sent: dict[str, Any] | None, tag: dict[str, Any]) -> str:
    """The record's field against what was sent (or, when nothing was sent, what the page said)."""
    reference = sent if sent is not None and name in sent else tag
    if name not in record:
        return "not stored" if name in reference else "stored only"
    if name not in reference:
        return "stored only"
    return "same" if _same(name, _scalar(reference[name]), record[name]) else "differs"


def purchase_comparison(scenario: ScenarioResult) -> PurchaseComparison | None:
    """Field by field, the tag as read beside the event this purchase sent and Connectif's record of it.

    None when there is neither a tag, nor a purchase event, nor a stored purchase.
    """
    tag = {str(k): v for k, v in (scenario.cn_purchase or {}).items()}
    events = purchase_events(scenario)
    api = connectif_api(scenario)
    record = {snake(str(k)): v for k, v in api.purchase.items()} if api is not None and api.purchase else None
    if not tag and not events and record is None:
        return None
    tag_id = _text(_scalar(tag.get("purchase_id")))
    mine = [e for e in events if tag_id is not None and _text(e.get("purchase_id")) == tag_id]
    note = None
    if not mine and events:
        mine = events
        if tag_id is not None:
            note = "no purchase event carried the tag's purchase_id; showing the first one sent"
    sent = mine[0] if mine else None
    browser_side = bool(tag) or sent is not None
    sources = [tag, *([sent] if sent is not None else []), *([record] if record is not None else [])]
    names = [n for n in PURCHASE_FIELDS if any(n in source for source in sources)]
    for source in sources[:2]:
        names += [k for k in source if k not in names and k != "products"]
    rows: list[FieldRow] = []
    for name in names:
        on_page = _scalar(tag.get(name))
        value = sent.get(name) if sent is not None else None
        if not browser_side:
            state = "stored only"
        elif name not in tag:
            state = "not on page"
        elif sent is None or name not in sent:
            state = "not sent"
        else:
            state = "same" if _same(name, on_page, value) else "differs"
        rows.append(
            FieldRow(
                name=name,
                on_page=_text(on_page),
                sent=_text(value),
                state=state,
                stored=_text(record.get(name)) if record is not None else None,
                stored_state=_stored_state(name, record, sent, tag) if record is not None else None,
            )
        )
    page_products = tag.get("products")
    sent_products = sent.get("products") if sent is not None else None
    stored_products = record.get("products") if record is not None else None
    if page_products is not None or sent_products is not None or stored_products is not None:
        counted = [len(p) if isinstance(p, list) else None for p in (page_products, sent_products)]
        if not browser_side:
            state = "stored only"
        else:
            state = _count_state(page_products, sent_products, "not on page", "not sent")
        stored_state = None
        if record is not None:
            reference = sent_products if sent_products is not None else page_products
            stored_state = _count_state(stored_products, reference, "not stored", "stored only")
            if stored_state == "not stored" and reference is None:
                stored_state = "stored only"
        rows.append(
            FieldRow(
                name="products (count)",
                on_page=_text(counted[0]),
                sent=_text(counted[1]),
                state=state,
                stored=_text(len(stored_products) if isinstance(stored_products, list) else None),
                stored_state=stored_state,
            )
        )
    return PurchaseComparison(
        rows=rows,
        tag_read=bool(tag),
        events_sent=len(mine),
        note=note,
        stored=record is not None,
        tag=tag or None,
        event=sent,
        record=api.purchase if api is not None else None,
    )


# ---------------------------------------------------------------- evidence


@dataclass(frozen=True, kw_only=True)
class EvidenceItem:
    """One key of a check's evidence, as text."""

    key: str
    text: str
    block: bool = field(default=False)  # multi-line: shown preformatted


def evidence_items(evidence: Mapping[str, Any]) -> list[EvidenceItem]:
    """A readable key/value rendering: scalars inline, anything nested as indented JSON."""
    items: list[EvidenceItem] = []
    for key, value in evidence.items():
        if isinstance(value, bool) or value is None:
            text, block = json.dumps(value), False
        elif isinstance(value, (int, float)):
            text, block = str(value), False
        elif isinstance(value, str):
            text, block = value, "\n" in value or len(value) > 160
        else:
            text, block = json.dumps(value, indent=2, ensure_ascii=False, default=str), True
        items.append(EvidenceItem(key=str(key), text=text, block=block))
    return items


def pretty_json(value: Any) -> str:
    """A value as indented JSON text, non-ASCII kept (the template escapes it like any text)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


_ARTEFACT_PATH = re.compile(r"^artefacts/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def artefact_links(artefacts: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, relative path) of the recordings to link; anything but a plain relative path is dropped."""
    labels = {"trace": "Playwright trace (open with `playwright show-trace`)", "video": "Video"}
    return [
        (labels.get(kind, kind), path)
        for kind, path in sorted(artefacts.items())
        if _ARTEFACT_PATH.match(path) and ".." not in path.split("/")
    ]
