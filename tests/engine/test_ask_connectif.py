"""Asking Connectif for a finished attempt and judging it (engine.verdict), without a browser."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from auditor.engine.artefacts import ArtefactRecorder
from auditor.engine.run import Attempt
from auditor.engine.verdict import ask_connectif, judge_attempt, lookup_plan
from auditor.errors import ErrorKind
from auditor.lab import Lab
from auditor.scenario.load import LoadedScenario, load_scenarios
from auditor.scenario.model import Scenario
from tests.checks.test_checks import GOOD, make


def attempt(tmp_path: Path, api: dict[str, Any] | None, **obs: Any) -> Attempt:
    data: dict[str, Any] = {
        "name": "x",
        "base_url": "http://shop.test",
        "steps": [{"action": "goto", "args": {"url": "/"}}],
    }
    if api is not None:
        data["connectif"] = {"api": api}
    scenario = Scenario.model_validate(data)
    return Attempt(
        loaded=LoadedScenario(scenario=scenario, file=Path("x.yaml"), id="x"),
        number=1,
        observation=make(**obs) if obs else GOOD,
        error_kind=None,
        known={},
        secret_values=frozenset(scenario.masked_values()),
        artefacts=ArtefactRecorder(out_dir=tmp_path, folder="artefacts/x"),
        started=time.monotonic(),
    )


def test_nothing_is_asked_without_connectif_api_or_after_a_browser_error(tmp_path: Path) -> None:
    assert lookup_plan(attempt(tmp_path, None)) is None
    assert ask_connectif(attempt(tmp_path, None)).observation.connectif_api is None
    errored = attempt(tmp_path, {"key": "k:s"}, error="step 3 failed", error_step="3")
    assert lookup_plan(errored) is None
    assert lookup_plan(attempt(tmp_path, {"key": "k:s"})) == ("ORDER-42", "required")


def test_found_in_the_lab_api(tmp_path: Path) -> None:
    with Lab() as lab:
        lab.purchases_api.create(
            {
                "purchaseId": "ORDER-42",
                "totalPrice": 180.75,
                "totalQuantity": 3,
                "products": [{"productId": "kb-1"}],
            }
        )
        done = ask_connectif(attempt(tmp_path, {"key": lab.api_key, "url": lab.api_url, "wait": "5s"}))
    record = done.observation.connectif_api
    assert record is not None and record.purchase is not None and [x.status for x in record.lookups] == [200]
    result = judge_attempt(done)
    assert result.status.value == "pass" and result.connectif_api is not None
    assert result.connectif_api.purchase == record.purchase


def test_a_key_that_cannot_be_sent_is_refused_and_masked(tmp_path: Path) -> None:
    done = ask_connectif(attempt(tmp_path, {"key": "kid:has a space", "url": "http://127.0.0.1:9"}))
    record = done.observation.connectif_api
    assert record is not None and record.refused and record.lookups == []
    result = judge_attempt(done)
    assert result.status.value == "error" and result.error_kind is ErrorKind.CONNECTIF_API_REFUSED
    assert "has a space" not in result.model_dump_json()


def test_an_unreachable_api_is_its_own_error_kind(tmp_path: Path) -> None:
    with Lab() as lab:
        closed = f"http://127.0.0.1:{lab.closed_port}"
        done = ask_connectif(attempt(tmp_path, {"key": "kid:secret-x", "url": closed, "wait": "5s"}))
    result = judge_attempt(done)
    assert result.error_kind is ErrorKind.CONNECTIF_API_UNREACHABLE and "could not be reached" in (
        result.error or ""
    )
    statuses = {c.id: c.status.value for c in result.checks}
    assert statuses["connectif.purchase_recorded"] == "skip"
    assert statuses["connectif.purchase_sent"] == statuses["cn_purchase.valid"] == "pass"  # judged as ever


def loaded_attempt(tmp_path: Path, api_lines: str) -> Attempt:
    """An attempt of a scenario file written out, so that its lines are known."""
    path = tmp_path / "shop.yaml"
    path.write_text(
        "name: x\nbase_url: http://shop.test\nsteps:\n  - goto: /\nconnectif:\n  api:\n" + api_lines,
        encoding="utf-8",
    )
    [loaded] = load_scenarios(path)
    base = attempt(tmp_path, None)
    return dataclasses.replace(base, loaded=loaded, secret_values=frozenset(loaded.scenario.masked_values()))


def test_an_unreachable_api_names_the_line_of_its_url_and_the_fix(tmp_path: Path) -> None:
    with Lab() as lab:
        closed = f"http://127.0.0.1:{lab.closed_port}"
        done = ask_connectif(
            loaded_attempt(tmp_path, f"    key: kid:secret-x\n    url: {closed}\n    wait: 2s\n")
        )
    error = judge_attempt(done).error or ""
    assert f"Check connectif.api.url ({tmp_path / 'shop.yaml'}:8): Connectif's own is" in error, error
    assert "secret-x" not in error


def test_a_refused_key_names_the_line_of_the_key(tmp_path: Path) -> None:
    with Lab() as lab:
        done = ask_connectif(loaded_attempt(tmp_path, f"    url: {lab.api_url}\n    key: kid:wrong-one\n"))
    result = judge_attempt(done)
    assert result.error_kind is ErrorKind.CONNECTIF_API_REFUSED
    assert f"check connectif.api.key ({tmp_path / 'shop.yaml'}:8)." in (result.error or ""), result.error
    assert "wrong-one" not in result.model_dump_json()
