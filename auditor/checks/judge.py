"""Judging: a ScenarioResult from a scenario's Observation, with the checks run and secrets masked.

Pure: no browser. The engine records an Observation and hands it here with the values it knew.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from auditor.checks import cn_purchase_result, payment_result, run_checks, scenario_status
from auditor.checks.facts import Expectations
from auditor.checks.journey import journey_result
from auditor.errors import ErrorKind
from auditor.masking import mask_result
from auditor.observation import Observation
from auditor.results import (
    CheckResult,
    ConnectifRequest,
    JourneyStop,
    PaymentResult,
    ScenarioResult,
    ScenarioStatus,
    Screenshot,
)
from auditor.scenario.load import LoadedScenario
from auditor.scenario.model import Scenario
from auditor.scenario.refs import fill


def resolve_expectations(scenario: Scenario, known: Mapping[str, str]) -> Expectations:
    """The scenario's `expect` with `{{name}}` filled from the values known at the end of the run.

    An expected value whose name never got a value (the scenario stopped before its capture) is left
    out: there is nothing to compare it with.
    """
    exp = scenario.expect
    cn: str | dict[str, str] = exp.cn_purchase if isinstance(exp.cn_purchase, str) else {}
    if isinstance(exp.cn_purchase, dict):
        resolved: dict[str, str] = {}
        for key, value in exp.cn_purchase.items():
            if isinstance(value, tuple):
                continue  # `items`: judged item by item, not as one value
            filled = fill(value, known) if isinstance(value, str) else str(value)
            if filled is not None:
                resolved[key] = filled
        cn = resolved
    confirmation = exp.confirmation_url
    if confirmation is not None:
        confirmation = fill(confirmation, known) or confirmation
    contact_email = exp.connectif.contact_email
    if contact_email is not None:
        contact_email = fill(contact_email, known)  # None: its {{name}} never got a value
    return Expectations(
        confirmation_url=confirmation,
        return_policy=exp.return_,
        cn_purchase=cn,
        script=exp.connectif.script,
        purchase_sent=exp.connectif.purchase_sent,
        has_payment=bool(scenario.pay_steps()),
        contact=exp.connectif.contact,
        contact_email=contact_email,
    )


def judge(obs: Observation, expectations: Expectations) -> tuple[list[CheckResult], ScenarioStatus]:
    """Every check, and the scenario's verdict that follows from them."""
    checks = run_checks(obs, expectations)
    return checks, scenario_status(checks, obs.error)


def build_result(
    loaded: LoadedScenario,
    obs: Observation,
    checks: list[CheckResult],
    *,
    error_kind: ErrorKind | None,
    screenshots: list[Screenshot],
    artefacts: Mapping[str, str],
    notes: list[str],
    attempt: int,
    secret_values: Iterable[str],
) -> ScenarioResult:
    """A ScenarioResult from an observation and its checks, with secrets masked."""
    status = scenario_status(checks, obs.error)
    payment = payment_result(obs)
    result = ScenarioResult(
        name=loaded.scenario.name,
        file=str(loaded.file),
        status=ScenarioStatus(status),
        error=obs.error,
        error_kind=error_kind if obs.error else None,
        duration_ms=obs.duration_ms,
        checks=checks,
        payment=PaymentResult.model_validate(payment) if payment is not None else None,
        cn_purchase=cn_purchase_result(obs),
        connectif_requests=[
            ConnectifRequest(
                url=r.url,
                method=r.method,
                status=r.status,
                kind=r.kind,
                events=list(r.events),
                failure=r.failure,
                at_ms=r.at_ms,
                page_url=r.page_url,
                intercepted=r.intercepted,
                **{k: v for k, v in (("entity_info", r.entity_info), ("cart", r.cart)) if v is not None},
            )
            for r in obs.connectif_requests
        ],
        journey=[JourneyStop.model_validate(stop) for stop in journey_result(obs)],
        id=loaded.id,
        matrix=dict(loaded.matrix),
        description=loaded.scenario.description,
        tags=list(loaded.scenario.tags),
        started=obs.started_at,
        attempts=attempt,
        confirmation_url=obs.confirmation_url,
        steps=obs.steps,
        timeline=obs.navigations,
        console_errors=obs.console_errors,
        screenshots=screenshots,
        artefacts=dict(artefacts),
        notes=notes,
        undeclared_hosts=obs.undeclared_hosts,
        shop_hosts=obs.shop_hosts,
    )
    return mask_result(result, secret_values)


def error_result(loaded: LoadedScenario, message: str, kind: ErrorKind) -> ScenarioResult:
    """A scenario the auditor could not even start (no browser, Ctrl-C before it, a crashed worker)."""
    return ScenarioResult(
        name=loaded.scenario.name,
        file=str(loaded.file),
        status=ScenarioStatus.ERROR,
        error=message,
        error_kind=kind,
        duration_ms=0,
        id=loaded.id,
        matrix=dict(loaded.matrix),
        tags=list(loaded.scenario.tags),
        description=loaded.scenario.description,
    )
