"""The check registry: id → pure function(observation, expectations) → CheckResult, in the spec's order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from auditor.checks import connectif, journey, payment, purchase, record
from auditor.checks.facts import Expectations, return_ms, tags_seen, time_on_platform_ms
from auditor.checks.urlglob import pattern_error, url_matches
from auditor.connectif.tag import read_tag
from auditor.observation import Observation
from auditor.results import CheckResult, ScenarioStatus, Status

Check = Callable[[Observation, Expectations], CheckResult]

CHECKS: dict[str, Check] = {
    "payment.left_shop": payment.left_shop,
    "payment.return": payment.payment_return,
    "confirmation.reached": payment.confirmation_reached,
    "cn_purchase.present": purchase.present,
    "cn_purchase.valid": purchase.valid,
    "cn_purchase.consistent": purchase.consistent,
    "cn_cart.closed": journey.cart_closed,
    "connectif.script": connectif.script,
    "connectif.purchase_sent": connectif.purchase_sent,
    "connectif.purchase_recorded": record.purchase_recorded,
    "contact.identified": journey.contact_identified,
    "page.errors": connectif.page_errors,
}

__all__ = [
    "CHECKS",
    "Expectations",
    "cn_purchase_result",
    "pattern_error",
    "payment_result",
    "run_checks",
    "scenario_status",
    "url_matches",
]


def run_checks(obs: Observation, exp: Expectations) -> list[CheckResult]:
    """Every check, in the spec's order."""
    return [check(obs, exp) for check in CHECKS.values()]


def payment_result(obs: Observation) -> dict[str, Any] | None:
    """results.json's `payment`: provider, left_shop, return, mechanism, timings; None without pay."""
    p = obs.payment
    if p is None:
        return None
    return {
        "provider": p.provider,
        "left_shop": p.reached,
        "return": p.returned,
        "mechanism": p.mechanism,
        "time_on_platform_ms": time_on_platform_ms(p),
        "return_ms": return_ms(p),
    }


def cn_purchase_result(obs: Observation) -> dict[str, Any] | None:
    """results.json's `cn_purchase`: the tag's fields as read, with "products"; None when there is no tag."""
    tags = tags_seen(obs).tags
    return read_tag(tags[0]).as_report() if tags else None


def scenario_status(checks: Sequence[CheckResult], error: str | None = None) -> ScenarioStatus:
    """error when the auditor could not finish; fail when any check fails; pass otherwise."""
    if error:
        return ScenarioStatus.ERROR
    if any(c.status is Status.FAIL for c in checks):
        return ScenarioStatus.FAIL
    return ScenarioStatus.PASS
