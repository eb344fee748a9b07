"""What the reports show, computed from a RunResult: plain values, no markup.

The template only lays these out; every decision (wording, zones, differences) is here, so it is
tested without parsing HTML.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from auditor.connectif.tag import PURCHASE_FIELDS
from auditor.hosts import host_matches
from auditor.results import PaymentResult, RunResult, ScenarioResult, ScenarioStatus, Status

MECHANISM_WORDS = {
    "http-redirect": "an HTTP redirect",
    "form-post": "a form submitted with POST",
    "form-get": "a form submitted with GET",
    "script": "a script navigation",
    "meta-refresh": "a meta refresh",
    "opener": "the popup closing and the shop window moving on",
    "click": "a click",
}

_FLOAT = re.compile(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INT = re.compile(r"^\s*[+-]?\d+")
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


def return_short(payment: PaymentResult | None) -> str:
    """The summary table's return column: automatic via X, manual, none."""
    if payment is None:
        return "no payment step"
    if not payment.left_shop:
        return "never reached the platform"
    if payment.return_ == "automatic":
        return f"automatic via {payment.mechanism}" if payment.mechanism else "automatic"
    if payment.return_ == "manual":
        return "manual (click)"
    return "none"


def return_sentence(payment: PaymentResult | None) -> str:
    """How the customer came back, in words."""
    if payment is None:
        return "This scenario has no payment step."
    platform = payment.provider or "the payment platform"
    if not payment.left_shop:
        return f"The customer never reached {platform}."
    stay = (
        f" and spent {fmt_ms(payment.time_on_platform_ms)} there"
        if payment.time_on_platform_ms is not None
        else ""
    )
    took = (
        f", {fmt_ms(payment.return_ms)} after the last payment step" if payment.return_ms is not None else ""
    )
    if payment.return_ == "automatic":
        how = MECHANISM_WORDS.get(payment.mechanism or "", payment.mechanism or "an unrecorded mechanism")
        return f"The customer reached {platform}{stay}; it sent them back on its own, by {how}{took}."
    if payment.return_ == "manual":
        return (
            f"The customer reached {platform}{stay}; it did not send them back on its own: "
            f"they came back only by clicking the way back{took}."
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


@dataclass(frozen=True, kw_only=True)
class LaneSegment:
    """A stretch of time spent on one page: shop, platform or other host."""

    zone: str  # "shop", "platform", "other", "start"
    host: str
    url: str
    cause: str
    page: str
    start_ms: int
    end_ms: int
    grow: float  # flex-grow: proportional to the time spent


@dataclass(frozen=True, kw_only=True)
class Lane:
    """The shop → platform → shop lane of one scenario."""

    segments: list[LaneSegment]
    total_ms: int


def _extra_list(extra: Mapping[str, Any] | None, key: str) -> list[str]:
    value = (extra or {}).get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def shop_hosts(scenario: ScenarioResult) -> list[str]:
    """The shop's hosts: given by the engine when it does, else the first page's and the confirmation's."""
    hosts = _extra_list(scenario.model_extra, "shop_hosts")
    if hosts:
        return hosts
    if scenario.timeline:
        hosts.append(scenario.timeline[0].host)
    if scenario.confirmation_url:
        confirmation_host = urlsplit(scenario.confirmation_url).hostname
        if confirmation_host:
            hosts.append(confirmation_host)
    return hosts


def timeline_lane(scenario: ScenarioResult) -> Lane | None:
    """Segments between top-level navigations, sized by time, coloured by whose host it was."""
    navigations = sorted(scenario.timeline, key=lambda n: n.at_ms)
    if not navigations:
        return None
    shop = shop_hosts(scenario)
    platform = _extra_list(scenario.payment.model_extra if scenario.payment else None, "hosts")
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
    for index, nav in enumerate(navigations):
        end = navigations[index + 1].at_ms if index + 1 < len(navigations) else total
        if host_matches(nav.host, shop):
            zone = "shop"
        elif platform and not host_matches(nav.host, platform):
            zone = "other"
        else:
            # Without the platform's hosts, any host that is not the shop's is the platform's side.
            zone = "platform"
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
            )
        )
    return Lane(segments=segments, total_ms=total)


# ---------------------------------------------------------------- cn_purchase vs what was sent


@dataclass(frozen=True, kw_only=True)
class FieldRow:
    """One purchase field: read on the page beside what the browser sent."""

    name: str
    on_page: str | None
    sent: str | None
    state: str  # "same", "differs", "not sent", "not on page"

    @property
    def differs(self) -> bool:
        return self.state != "same"


@dataclass(frozen=True, kw_only=True)
class PurchaseComparison:
    """The tag beside the purchase event sent to Connectif."""

    rows: list[FieldRow]
    tag_read: bool
    events_sent: int  # purchase events for this purchase (more than one: a duplicate)
    note: str | None = None

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
    """A value as JavaScript's parseFloat reads it (None for NaN)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    match = _FLOAT.match(str(value))
    return float(match.group()) if match else None


def parse_int(value: Any) -> int | None:
    """A value as JavaScript's parseInt(…, 10) reads it (None for NaN)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    match = _INT.match(str(value))
    return int(match.group()) if match else None


def _same(name: str, on_page: Any, sent: Any) -> bool:
    if name == "total_price":
        left = parse_float(on_page)
        return left is not None and left == parse_float(sent)
    if name == "total_quantity":
        left_int = parse_int(on_page)
        return left_int is not None and left_int == parse_int(sent)
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


def purchase_comparison(scenario: ScenarioResult) -> PurchaseComparison | None:
    """Field by field, the tag as read beside the event this purchase sent; None when neither exists."""
    tag = {str(k): v for k, v in (scenario.cn_purchase or {}).items()}
    events = purchase_events(scenario)
    if not tag and not events:
        return None
    tag_id = _text(_scalar(tag.get("purchase_id")))
    mine = [e for e in events if tag_id is not None and _text(e.get("purchase_id")) == tag_id]
    note = None
    if not mine and events:
        mine = events
        if tag_id is not None:
            note = "no purchase event carried the tag's purchase_id; showing the first one sent"
    sent = mine[0] if mine else None
    names = [n for n in PURCHASE_FIELDS if n in tag or (sent is not None and n in sent)]
    names += [k for k in tag if k not in names and k != "products"]
    if sent is not None:
        names += [k for k in sent if k not in names and k != "products"]
    rows: list[FieldRow] = []
    for name in names:
        on_page = _scalar(tag.get(name))
        value = sent.get(name) if sent is not None else None
        if name not in tag:
            state = "not on page"
        elif sent is None or name not in sent:
            state = "not sent"
        else:
            state = "same" if _same(name, on_page, value) else "differs"
        rows.append(FieldRow(name=name, on_page=_text(on_page), sent=_text(value), state=state))
    page_products = tag.get("products")
    sent_products = sent.get("products") if sent is not None else None
    if page_products is not None or sent_products is not None:
        page_count = len(page_products) if isinstance(page_products, list) else None
        sent_count = len(sent_products) if isinstance(sent_products, list) else None
        if page_count is None:
            state = "not on page"
        elif sent_count is None:
            state = "not sent"
        else:
            state = "same" if page_count == sent_count else "differs"
        rows.append(
            FieldRow(name="products (count)", on_page=_text(page_count), sent=_text(sent_count), state=state)
        )
    return PurchaseComparison(rows=rows, tag_read=bool(tag), events_sent=len(mine), note=note)


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


_ARTEFACT_PATH = re.compile(r"^artefacts/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def artefact_links(artefacts: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, relative path) of the recordings to link; anything but a plain relative path is dropped."""
    labels = {"trace": "Playwright trace (open with `playwright show-trace`)", "video": "Video"}
    return [
        (labels.get(kind, kind), path)
        for kind, path in sorted(artefacts.items())
        if _ARTEFACT_PATH.match(path) and ".." not in path.split("/")
    ]
