"""connectif.purchase_recorded: whether Connectif stored the purchase, as its REST API says."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from auditor.checks.facts import (
    API_SYNC,
    Expectations,
    on_confirmation_page,
    result,
    stopped,
    tags_seen,
    this_purchase_id,
)
from auditor.connectif.amounts import amounts_equal, parse_amount
from auditor.connectif.tag import read_tag
from auditor.connectif.tracking import NUMBER_TOLERANCE, SentPurchase, sent_purchases, with_id
from auditor.hosts import host_of
from auditor.observation import ConnectifApiRecord, ConnectifRequestRecord, Observation
from auditor.results import CheckResult, Status

CHECK = "connectif.purchase_recorded"
AUTHORISED_DOMAINS = "Store settings → Channels → Web → Advanced configuration → Authorized domains"
_STORE_IN_URL = re.compile(r"/(?:client-script|scrippet-notification)/([^/?#]+)")


def store_id_of(url: str) -> str | None:
    """The store id in a client-script or scrippet-notification URL, or None."""
    match = _STORE_IN_URL.search(url)
    return match.group(1) if match else None


def _seconds(ms: int | None) -> str:
    return f"{(ms or 0) / 1000:.1f} s"


def _lookups_words(record: ConnectifApiRecord) -> str:
    statuses = sorted({str(x.status) for x in record.lookups if x.status is not None})
    answers = ", ".join(statuses) or "no answer"
    n = len(record.lookups)
    return f"{n} lookup{'s' if n != 1 else ''}, answered {answers}"


def purchase_recorded(obs: Observation, exp: Expectations) -> CheckResult:
    """connectif.purchase_recorded: Connectif's API has this purchase with the tag's values (or, with
    `absent`, still does not have it at the end of connectif.api.wait)."""
    if not exp.api:
        return result(
            CHECK,
            Status.SKIP,
            "Not judged: connectif.api is not set, so Connectif's API was not asked whether it stored the "
            "purchase.",
            {},
        )
    if exp.purchase_recorded is None:
        return result(
            CHECK,
            Status.SKIP,
            "Not judged under connectif.mode: intercept: the tracking requests were answered locally, so "
            "Connectif never got the purchase (give expect.connectif.purchase_recorded to ask anyway).",
            {},
        )
    purchase_id = this_purchase_id(obs, exp)
    record = obs.connectif_api
    if obs.error and record is None:
        return stopped(CHECK, obs, "Connectif's API could be asked")
    if purchase_id is None:
        return result(
            CHECK,
            Status.SKIP,
            "Not judged: no purchase id is known (no tag carried one, and neither expect.cn_purchase."
            "purchase_id nor expect.purchase_id names one).",
            {},
        )
    if record is None:
        return result(CHECK, Status.SKIP, "Not judged: Connectif's API was not asked.", {})
    evidence: dict[str, Any] = {
        "purchase_id": record.purchase_id,
        "api_url": record.url,
        "wait_ms": record.wait_ms,
        "lookups": [{"status": x.status, **x.model_dump(exclude_none=True)} for x in record.lookups],
        "stored": record.purchase,
    }
    if record.interrupted:
        return result(
            CHECK,
            Status.SKIP,
            "Not judged: the run was stopped (Ctrl-C) while Connectif's API was asked.",
            evidence,
        )
    if record.error:
        return result(CHECK, Status.SKIP, f"Not judged: {record.error}.", evidence)
    if exp.purchase_recorded == "absent":
        found = _absent(record, evidence)
    else:
        optional = exp.purchase_recorded == "optional"
        if record.purchase is None:
            message, more, remedy = _missing(obs, exp, record)
            status = Status.WARN if optional else Status.FAIL
            return result(CHECK, status, message, {**evidence, **more}, remedy)
        found = _compare(obs, exp, record, evidence, optional)
    if record.purchase is None or not _intercepted_only(obs, record.purchase_id):
        return found
    # Stored, though the browser's own request never reached Connectif: say by which path it came.
    return found.model_copy(
        update={
            "message": f"{found.message} The browser's tracking request carrying it was answered by the "
            "auditor (connectif.mode: intercept), so what Connectif stored came by another path (a server "
            "sync), not from the browser.",
            "evidence": {**found.evidence, "intercepted": True},
        }
    )


def _intercepted_only(obs: Observation, purchase_id: str) -> bool:
    """The browser sent this purchase, and the auditor answered every request that carried it."""
    mine = with_id(sent_purchases(obs.connectif_requests), purchase_id)
    return bool(mine) and all(p.intercepted for p in mine)


def _absent(record: ConnectifApiRecord, evidence: dict[str, Any]) -> CheckResult:
    if record.purchase is not None:
        return result(
            CHECK,
            Status.FAIL,
            f"Connectif stored purchase {record.purchase_id} (found at {_seconds(record.found_ms)}), where "
            "no purchase should be recorded.",
            evidence,
            "Record a purchase only for a completed payment: render the cn_purchase tag and run the "
            "server's purchase sync only once the payment platform has confirmed the payment.",
        )
    times = " and ".join(_seconds(x.at_ms) for x in record.lookups[:1] + record.lookups[1:][-1:])
    return result(
        CHECK,
        Status.PASS,
        f"Connectif has not stored purchase {record.purchase_id}, as expected (asked at {times}).",
        evidence,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        amount = parse_amount(value)
        return float(amount) if amount is not None else None
    return None


def _basis(obs: Observation, exp: Expectations) -> tuple[str, dict[str, float]]:
    """What the stored purchase is compared with: the tag as Connectif's script reads it, else the
    expected values."""
    tags = tags_seen(obs).tags
    purchase = read_tag(tags[0]).purchase if tags else None
    if purchase is not None:
        values: dict[str, float] = {}
        for key in ("totalPrice", "totalQuantity"):
            number = _number(purchase.get(key))
            if number is not None:
                values[key] = number
        values["products"] = float(len(purchase.get("products") or []))
        return "the tag", values
    wanted: dict[str, float] = {}
    expected = exp.expected_values
    for name, key in (
        ("total_price", "totalPrice"),
        ("total_quantity", "totalQuantity"),
        ("products", "products"),
    ):
        if name in expected:
            number = _number(expected[name])
            if number is not None:
                wanted[key] = number
    return "the expected values", wanted


def _stored_values(purchase: dict[str, object]) -> dict[str, float | None]:
    products = purchase.get("products")
    return {
        "totalPrice": _number(purchase.get("totalPrice")),
        "totalQuantity": _number(purchase.get("totalQuantity")),
        "products": float(len(products)) if isinstance(products, list) else None,
    }


def _show(value: float | None) -> str:
    if value is None:
        return "nothing"
    return f"{value:g}" if value != int(value) else str(int(value))


def _agrees(key: str, want: float, got: float | None) -> bool:
    if got is None:
        return False
    if key == "totalPrice":
        return amounts_equal(Decimal(str(want)), got)
    return abs(want - got) < NUMBER_TOLERANCE


def _compare(
    obs: Observation, exp: Expectations, record: ConnectifApiRecord, evidence: dict[str, Any], optional: bool
) -> CheckResult:
    assert record.purchase is not None
    source, wanted = _basis(obs, exp)
    stored = _stored_values(record.purchase)
    differences = [
        (key, want, stored[key]) for key, want in wanted.items() if not _agrees(key, want, stored[key])
    ]
    evidence["compared_with"] = source
    found = f"found at {_seconds(record.found_ms)}, lookup {len(record.lookups)}"
    if differences:
        evidence["differences"] = [{"key": k, "expected": w, "stored": g} for k, w, g in differences]
        words = ", ".join(f"{k} {_show(g)} (in {source}: {_show(w)})" for k, w, g in differences)
        return result(
            CHECK,
            Status.WARN if optional else Status.FAIL,
            f"Connectif stored purchase {record.purchase_id} ({found}), but with values that differ from "
            f"{source}: {words}.",
            evidence,
            "Connectif keeps the purchase it stored under this id: when the shop sends it by more than one "
            "path (the tag and a server sync through the API), every path must carry the same values "
            "(shipping, taxes and discounts counted the same way), or send each purchase by one path only.",
        )
    if not wanted:
        return result(
            CHECK, Status.PASS, f"Connectif stored purchase {record.purchase_id} ({found}).", evidence
        )
    agreed = ", ".join(f"{key} {_show(stored[key])}" for key in wanted)
    return result(
        CHECK,
        Status.PASS,
        f"Connectif stored purchase {record.purchase_id} ({found}); {agreed} agree with {source}.",
        evidence,
    )


def _store_ids(requests: list[ConnectifRequestRecord]) -> list[str]:
    ids = [store_id_of(r.url) for r in requests]
    return sorted({i for i in ids if i})


def _missing(
    obs: Observation, exp: Expectations, record: ConnectifApiRecord
) -> tuple[str, dict[str, Any], str]:
    """Message, evidence and remedy when Connectif's API never had the purchase."""
    pid = record.purchase_id
    waited = f"after {record.wait_ms / 1000:g} s ({_lookups_words(record)})"
    mine = with_id(sent_purchases(obs.connectif_requests), pid)
    accepted = [p for p in mine if p.accepted]
    if not accepted:
        if mine:
            last = mine[-1]
            how = last.failure or (f"HTTP {last.status}" if last.status else "no answer")
            sent = f"The browser tried to send purchase {pid} to Connectif, but the request failed ({how})"
        else:
            sent = f"The browser sent no purchase event for {pid} (see connectif.purchase_sent)"
        message = (
            f"{sent}, and Connectif's API still did not have it {waited}: no server sync stored it either."
        )
        remedy = (
            "If the shop syncs purchases from its server (POST /purchases/ of Connectif's API), that sync "
            "failed or has not run for this order: check its logs and the API's answers (E0101: the contact "
            "does not exist yet; E0102: a product is not in the catalogue). Without a server sync the "
            f"purchase depends on the tag (see cn_purchase.* and connectif.purchase_sent). {API_SYNC}"
        )
        return message, {"sent_by_browser": bool(mine)}, remedy
    if all(p.intercepted for p in accepted):
        return _intercepted_not_stored(obs, record, accepted[0], waited)
    return _sent_not_stored(obs, record, next(p for p in accepted if not p.intercepted), waited)


def _intercepted_not_stored(
    obs: Observation, record: ConnectifApiRecord, sent: SentPurchase, waited: str
) -> tuple[str, dict[str, Any], str]:
    """Under connectif.mode: intercept the auditor answered the tracking request itself: Connectif never
    got the browser's purchase, so only a server sync could have stored it (not the shop's set-up)."""
    pid = record.purchase_id
    request = obs.connectif_requests[sent.request_index]
    message = (
        f"The browser's tracking request carrying purchase {pid} (at {_seconds(sent.at_ms)}) was answered by "
        "the auditor under connectif.mode: intercept, so it never reached Connectif and only a server sync "
        f"could have recorded the purchase; Connectif's API still did not have it {waited}: no server sync "
        "stored it."
    )
    remedy = (
        "Mend the scenario, not Connectif's settings: under connectif.mode: intercept the browser's purchase "
        "never reaches Connectif. If the shop records purchases only through the tag, drop connectif.mode: "
        "intercept (let the tracking request through) or drop the explicit expect.connectif."
        "purchase_recorded (under intercept it is not judged by default). If the shop also syncs purchases "
        "from its server (POST /purchases/ of Connectif's API), keep both: that sync failed or has not run "
        "for this order; check its logs and the API's answers (E0101: the contact does not exist yet; "
        "E0102: a product is not in the catalogue)."
    )
    evidence: dict[str, Any] = {"sent_by_browser": True, "intercepted": True, "tracking_url": request.url}
    return message, evidence, remedy


def _sent_not_stored(
    obs: Observation, record: ConnectifApiRecord, sent: SentPurchase, waited: str
) -> tuple[str, dict[str, Any], str]:
    """The browser's purchase was accepted, and Connectif still does not have it: where it likely went."""
    pid = record.purchase_id
    request = obs.connectif_requests[sent.request_index]
    domain = host_of(request.page_url) or host_of(request.url)
    mask = [on_confirmation_page(obs, r.page_url, r.at_ms) for r in obs.connectif_requests]
    here = [r for r, on in zip(obs.connectif_requests, mask, strict=True) if on] or [request]
    elsewhere = [r for r, on in zip(obs.connectif_requests, mask, strict=True) if not on]
    confirmation_stores = _store_ids(here)
    other_stores = [s for s in _store_ids(elsewhere) if s not in confirmation_stores]
    tracking_store = store_id_of(request.url)
    evidence: dict[str, Any] = {
        "sent_by_browser": True,
        "sent_from": domain,
        "tracking_url": request.url,
        "store_ids": {"confirmation_page": confirmation_stores, "other_pages": _store_ids(elsewhere)},
    }
    reasons: list[str] = []
    store = tracking_store or (confirmation_stores[0] if confirmation_stores else None)
    if other_stores:
        reasons.append(
            f"another store's script: the confirmation page ran Connectif's script for store {store}, while "
            f"the shop's other pages use store {', '.join(other_stores)}, so the purchase went to that other "
            "store's account"
        )
    reasons.append(
        f"the domain {domain} is not among the web channel's authorised domains (Connectif accepts the "
        "request, then discards it)"
    )
    if not other_stores and store:
        reasons.append(
            f"another store's script: the page sent it to store {store} (in the script and tracking "
            "URLs); if the API key belongs to another store, the purchase went to that account"
        )
    reasons.append("a server sync of the same order that failed and left no purchase")
    message = (
        f"The browser sent purchase {pid} to Connectif (HTTP {sent.status or 'answered locally'} at "
        f"{_seconds(sent.at_ms)}), but Connectif's API still did not have it {waited}. Usually: "
        + "; or ".join(reasons)
        + "."
    )
    remedy = (
        f"Under {AUTHORISED_DOMAINS}, list {domain} (every domain the shop answers on, www. and others). "
        "Make every page, the order confirmation included, load the script of the store this API key "
        "belongs to (the store id is in cdn.connectif.cloud/<region>/client-script/<store id>). "
        f"{API_SYNC}"
    )
    return message, evidence, remedy
