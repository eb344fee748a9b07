"""The bundled scenarios: valid, pointed at the lab, and each with its expected outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from auditor.lab import Lab
from auditor.lab.switches import Switches
from auditor.scenario.load import LoadedScenario, load_scenarios
from auditor.scenario.model import GotoStep, PayStep, Scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
OUTCOMES = yaml.safe_load((Path(__file__).parent / "expected_outcomes.yaml").read_text())
CHECKS = [
    "payment.left_shop",
    "payment.return",
    "confirmation.reached",
    "cn_purchase.present",
    "cn_purchase.valid",
    "cn_purchase.consistent",
    "cn_cart.closed",
    "connectif.script",
    "connectif.purchase_sent",
    "connectif.purchase_recorded",
    "contact.identified",
    "page.errors",
]
MECHANISMS = {"http-redirect", "form-post", "form-get", "script", "meta-refresh", "opener", "click"}


@pytest.fixture(scope="module")
def lab_hosts() -> set[str]:
    """Every host the lab answers (known without starting it)."""
    return set(Lab().hosts)


def load_all_of(path: Path) -> list[LoadedScenario]:
    """Load a bundled scenario file as the demo does, with SHOP_URL set: one, or one per combination."""
    return load_scenarios(path, env={"SHOP_URL": "http://shop.test:8123"})


def row_key(loaded: LoadedScenario) -> str:
    """Its key in expected_outcomes.yaml: the file's name, and `[name=label, …]` for a combination."""
    if not loaded.matrix:
        return loaded.file.name
    return f"{loaded.file.name} [{', '.join(f'{k}={v}' for k, v in loaded.matrix.items())}]"


ROWS = {row_key(one): one for path in SCENARIOS for one in load_all_of(path)}


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 12


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_is_valid_and_points_at_the_lab(path: Path, lab_hosts: set[str]) -> None:
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../auditor/schema/scenario.schema.json\n")
    assert "base_url: ${SHOP_URL:-http://shop.test:8000}\n" in text
    for loaded in load_all_of(path):
        check_points_at_the_lab(loaded.scenario, lab_hosts)


def check_points_at_the_lab(scenario: Scenario, lab_hosts: set[str]) -> None:
    assert scenario.base_url == "http://shop.test:8123"
    assert scenario.tags
    # every host is a lab host; the shop, Connectif and the platform are all mapped
    assert set(scenario.hosts) <= lab_hosts
    assert set(scenario.hosts.values()) == {"127.0.0.1"}
    [pay] = scenario.pay_steps()
    assert {"shop.test", "cdn.connectif.cloud", "eu8-api.connectif.cloud", *pay.hosts} <= set(scenario.hosts)
    # the first step sets lab switches the shop knows
    first = scenario.steps[0]
    assert isinstance(first, GotoStep)
    query = parse_qs(urlsplit(first.args.url).query)
    Switches().updated(query)
    assert any(isinstance(step, PayStep) for step in scenario.steps)


def test_default_base_url_without_the_environment() -> None:
    scenario = load_scenarios(SCENARIOS[0], env={})[0].scenario
    assert scenario.base_url == "http://shop.test:8000"


def test_every_scenario_has_an_expected_outcome() -> None:
    assert OUTCOMES["version"] == 1
    assert set(OUTCOMES["scenarios"]) == set(ROWS)
    assert {key.split(" [")[0] for key in ROWS} == {p.name for p in SCENARIOS}


def test_the_bundled_matrix_runs_every_platform_on_every_device() -> None:
    combinations = [one for one in ROWS.values() if one.matrix]
    assert {(c.matrix["platform"], c.matrix["device"]) for c in combinations} == {
        (p, d) for p in ("stripe", "adyen") for d in ("Desktop Chrome", "iPhone 13")
    }
    for one in combinations:
        assert one.scenario.browser.device == one.matrix["device"]
        [pay] = one.scenario.pay_steps()
        assert pay.hosts == (
            ("checkout.stripe.test",) if one.matrix["platform"] == "stripe" else ("test.adyen.test",)
        )


@pytest.mark.parametrize("name", sorted(OUTCOMES["scenarios"]))
def test_expected_outcome_is_coherent(name: str) -> None:
    outcome: dict[str, Any] = OUTCOMES["scenarios"][name]
    checks = outcome["checks"]
    assert list(checks) == CHECKS
    assert set(checks.values()) <= {"pass", "fail", "warn", "skip"}
    # a scenario passes when no check fails (the spec's rule), unless the auditor could not finish it
    if "error_kind" in outcome:
        assert outcome["status"] == "error"
    else:
        assert outcome["status"] == ("fail" if "fail" in checks.values() else "pass")
    payment = outcome["payment"]
    assert payment["return"] in {"automatic", "manual", "none"}
    if payment["return"] == "none":
        assert payment["mechanism"] is None
        assert checks["payment.return"] == "fail"
    else:
        assert payment["mechanism"] in MECHANISMS
    if payment["return"] == "manual":
        assert payment["mechanism"] == "click"
        assert checks["payment.return"] in {"fail", "warn"}
    scenario = ROWS[name].scenario
    expected_return = scenario.expect.return_
    if payment["return"] == "manual":
        assert checks["payment.return"] == ("warn" if expected_return == "manual-allowed" else "fail")
    # no tag expected, or none to judge: valid and consistent are not judged
    if scenario.expect.cn_purchase == "absent" or checks["cn_purchase.present"] == "fail":
        assert checks["cn_purchase.valid"] == checks["cn_purchase.consistent"] == "skip"
