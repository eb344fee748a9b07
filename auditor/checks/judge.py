"""Judging: a ScenarioResult from a scenario's Observation, with the checks run and secrets masked.

Pure: no browser. The engine records an Observation and hands it here with the values it knew.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from auditor.checks import cn_purchase_result, payment_result, run_checks, scenario_status
from auditor.checks.facts import Expectations
from auditor.checks.journey import journey_result
from auditor.checks.urlglob import filled_pattern
from auditor.errors import ErrorKind
from auditor.masking import mask_result
from auditor.observation import Observation
from auditor.results import (
    CheckResult,
    ConnectifApiLookupResult,
    ConnectifApiResult,
    ConnectifRequest,
    JourneyStop,
    PaymentResult,
    ScenarioResult,
    ScenarioStatus,
    Screenshot,
)
from auditor.scenario.load import LoadedScenario
from auditor.scenario.model import CaptureArgs, PayStep, Scenario
from auditor.scenario.refs import REF, fill


def capture_places(scenario: Scenario) -> dict[str, tuple[str, str]]:
    """Each captured name → (the place of the last step that captures it, its selector)."""
    found: dict[str, tuple[str, str]] = {}
    for i, step in enumerate(scenario.steps):
        inner = [(f"steps[{i}]", step)]
        if isinstance(step, PayStep):
            inner = [(f"steps[{i}].pay.steps[{j}]", s) for j, s in enumerate(step.args.steps)]
        for place, candidate in inner:
            if isinstance(candidate.args, CaptureArgs):
                found[candidate.args.name] = (place, candidate.args.selector)
    return found


def _source(template: str, known: Mapping[str, str], captures: Mapping[str, tuple[str, str]]) -> str | None:
    """Where an expected value's captured parts came from, in words; None when no capture is in it."""
    parts = []
    for name in dict.fromkeys(n.strip() for n in REF.findall(template)):
        if name in captures and name in known:
            place, selector = captures[name]
            parts.append(
                f"{{{{{name}}}}} was captured by {place} from {selector!r}, which read {known[name]!r}"
            )
    return "; ".join(parts) or None


def resolve_expectations(
    scenario: Scenario, known: Mapping[str, str], where: Callable[[str], str] | None = None
) -> Expectations:
    """The scenario's `expect` with `{{name}}` filled from the values known at the end of the run.

    An expected value whose name never got a value (the scenario stopped before its capture) is left
    out: there is nothing to compare it with. `where` gives a place's `file:line`
    (LoadedScenario.where), for the messages to point at the expectation's line.
    """
    exp = scenario.expect
    cn: str | dict[str, str] = exp.cn_purchase if isinstance(exp.cn_purchase, str) else {}
    sources: dict[str, str] = {}
    places: dict[str, str] = {}
    if isinstance(exp.cn_purchase, dict):
        captures = capture_places(scenario)
        resolved: dict[str, str] = {}
        for key, value in exp.cn_purchase.items():
            if isinstance(value, tuple):
                continue  # `items`: judged item by item, not as one value
            filled = fill(value, known) if isinstance(value, str) else str(value)
            if filled is not None:
                resolved[key] = filled
                if where is not None:
                    places[key] = where(f"expect.cn_purchase.{key}")
                source = _source(value, known, captures) if isinstance(value, str) else None
                if source is not None:
                    sources[key] = source
        for i, item in enumerate(exp.expected_items() or ()):
            for key, value in item.items():
                source = _source(value, known, captures) if isinstance(value, str) else None
                if source is not None:
                    sources[f"items[{i}].{key}"] = source  # as compare_items names an item's field
        cn = resolved
    confirmation = exp.confirmation_url
    if confirmation is not None and fill(confirmation, known) is not None:
        # A filled-in value is literal text in the pattern (an order id `A+B.1`), as in wait_for.url.
        confirmation = filled_pattern(confirmation, lambda ref: fill(ref, known) or "")
    items = exp.expected_items()
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
        purchase_id=fill(exp.purchase_id, known) if exp.purchase_id is not None else None,
        api=scenario.connectif.api is not None,
        intercept=scenario.connectif.mode == "intercept",
        purchase_recorded=scenario.purchase_recorded_policy(),
        sources=sources,
        places=places,
        duplicates=exp.connectif.duplicates,
        items=None if items is None else tuple(_filled(item, known) for item in items),
        contact=exp.connectif.contact,
        contact_email=contact_email,
    )


INTERRUPTED_LOOKUPS = "interrupted: the run was stopped (Ctrl-C) while Connectif's API was asked"


def run_error(obs: Observation, kind: ErrorKind | None) -> tuple[str | None, ErrorKind | None]:
    """Why the scenario ends in error: the browser's run first, then Connectif's API (a refused key, an
    unreachable API, Ctrl-C during the lookups); (None, None) when it does not."""
    if obs.error:
        return obs.error, kind
    api = obs.connectif_api
    if api is None:
        return None, None
    if api.interrupted:
        return INTERRUPTED_LOOKUPS, ErrorKind.INTERRUPTED
    if api.error:
        refused = ErrorKind.CONNECTIF_API_REFUSED
        return api.error, refused if api.refused else ErrorKind.CONNECTIF_API_UNREACHABLE
    return None, None


def _filled(
    values: Mapping[str, str | int | float], known: Mapping[str, str]
) -> dict[str, str | int | float]:
    """Expected values with `{{name}}` filled; one whose name never got a value is left out."""
    resolved: dict[str, str | int | float] = {}
    for key, value in values.items():
        filled = fill(value, known) if isinstance(value, str) else value
        if filled is not None:
            resolved[key] = filled
    return resolved


def judge(obs: Observation, expectations: Expectations) -> tuple[list[CheckResult], ScenarioStatus]:
    """Every check, and the scenario's verdict that follows from them."""
    checks = run_checks(obs, expectations)
    return checks, scenario_status(checks, run_error(obs, None)[0])


def connectif_api_result(obs: Observation) -> ConnectifApiResult | None:
    """results.json's `connectif_api`, None when the API was not asked."""
    api = obs.connectif_api
    if api is None:
        return None
    return ConnectifApiResult(
        purchase_id=api.purchase_id,
        lookups=[
            # status stays (null: no answer); the other fields only when they say something
            ConnectifApiLookupResult.model_validate({"status": x.status, **x.model_dump(exclude_none=True)})
            for x in api.lookups
        ],
        purchase=api.purchase,
        url=api.url,
        wait_ms=api.wait_ms,
        found_ms=api.found_ms,
        error=api.error,
    )


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
    error, error_kind = run_error(obs, error_kind)
    status = scenario_status(checks, error)
    payment = payment_result(obs)
    # The scenario lasts until its verdict is known: Connectif's API is asked after the browser's part.
    lookups = obs.connectif_api.lookups if obs.connectif_api else []
    result = ScenarioResult(
        name=loaded.scenario.name,
        file=str(loaded.file),
        status=ScenarioStatus(status),
        error=error,
        error_kind=error_kind,
        duration_ms=max([obs.duration_ms, *(x.at_ms for x in lookups)]),
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
        connectif_api=connectif_api_result(obs),
        journey=[JourneyStop.model_validate(stop) for stop in journey_result(obs)],
        id=loaded.id,
        matrix=dict(loaded.matrix),
        combination=loaded.combination,
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
        combination=loaded.combination,
        tags=list(loaded.scenario.tags),
        description=loaded.scenario.description,
    )
