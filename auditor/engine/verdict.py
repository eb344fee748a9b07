"""After the browser: Connectif's own record of the purchase, then the checks' verdict on an attempt.

Nothing here drives a browser: an attempt is plain data once its context has closed, so the lookups
(which mostly wait) and the judging run wherever the executor hands them, off the workers' browsers.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING

from auditor.checks.facts import this_purchase_id
from auditor.checks.judge import build_result, judge, resolve_expectations
from auditor.engine.run import Attempt
from auditor.observation import ConnectifApiRecord
from auditor.results import ScenarioResult, ScenarioStatus

if TYPE_CHECKING:
    from auditor.connectif.api import Policy


def lookup_plan(attempt: Attempt) -> tuple[str, Policy] | None:
    """(purchase id, policy) when Connectif's API is to be asked about this attempt's purchase, else None.

    Not asked: without connectif.api or a policy (intercept), without a purchase id, or when the
    browser's run ended in error (the check then says why it was not judged).
    """
    scenario = attempt.loaded.scenario
    policy = scenario.purchase_recorded_policy()
    if scenario.connectif.api is None or policy is None or attempt.observation.error:
        return None
    purchase_id = this_purchase_id(attempt.observation, resolve_expectations(scenario, attempt.known))
    return None if purchase_id is None else (purchase_id, policy)


def ask_connectif(attempt: Attempt, stop: threading.Event | None = None) -> Attempt:
    """The attempt with Connectif's record of its purchase added (connectif.api), when there is one to ask.

    Blocks for up to connectif.api.wait; needs no browser, so it runs after the attempt's context closed.
    """
    plan = lookup_plan(attempt)
    api = attempt.loaded.scenario.connectif.api
    if plan is None or api is None:
        return attempt
    purchase_id, policy = plan
    # The API client (http.client, ssl) is imported only by the scenarios that ask Connectif.
    from auditor.connectif.api import ApiRefused, ConnectifApi, ConnectifApiError, lookups

    loaded = attempt.loaded

    def place(key: str) -> str:
        # The key where the scenario sets it, else connectif.api's own line (a default URL or wait).
        return f"connectif.api.{key} ({loaded.where(f'connectif.api.{key}', 'connectif.api')})"

    try:
        client = ConnectifApi(api.url, api.key, url_source=place("url"), key_source=place("key"))
    except ConnectifApiError as exc:  # a key that cannot be sent at all, a URL that is none
        record = ConnectifApiRecord(
            purchase_id=purchase_id,
            url=api.url,
            policy=policy,
            wait_ms=api.wait,
            error=exc.message,
            refused=isinstance(exc, ApiRefused),
        )
    else:
        with client:
            record = lookups(
                client,
                purchase_id,
                policy=policy,
                wait_ms=api.wait,
                started=attempt.started,
                stop=stop,
                url_source=place("url"),
                wait_source=place("wait"),
            )
    observation = attempt.observation.model_copy(update={"connectif_api": record})
    return dataclasses.replace(attempt, observation=observation)


def judge_attempt(attempt: Attempt) -> ScenarioResult:
    """The checks' verdict on an attempt, with the artefacts its verdict says to keep."""
    scenario = attempt.loaded.scenario
    expectations = resolve_expectations(scenario, attempt.known, where=attempt.loaded.where)
    checks, status = judge(attempt.observation, expectations)
    kept = attempt.artefacts.finished(passed=status is ScenarioStatus.PASS)
    return build_result(
        attempt.loaded,
        attempt.observation,
        checks,
        error_kind=attempt.error_kind,
        screenshots=kept.screenshots,
        artefacts=kept.files,
        notes=kept.notes,
        attempt=attempt.number,
        secret_values=attempt.secret_values,
    )


__all__ = ["ask_connectif", "judge_attempt", "lookup_plan"]
