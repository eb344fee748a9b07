"""The bundled scenarios: valid, pointed at the lab, and each with its expected outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from auditor.lab import Lab
from auditor.lab.switches import Switches
from auditor.scenario.load import load_scenario
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
    "contact.identified",
    "page.errors",
]
MECHANISMS = {"http-redirect", "form-post", "form-get", "script", "meta-refresh", "opener", "click"}


@pytest.fixture(scope="module")
def lab_hosts() -> set[str]:
    """Every host the lab answers (known without starting it)."""
    return set(Lab().hosts)


def load(path: Path) -> Scenario:
    """Load a bundled scenario as the demo does, with SHOP_URL set."""
    return load_scenario(path, env={"SHOP_URL": "http://shop.test:8123"})


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 12


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_is_valid_and_points_at_the_lab(path: Path, lab_hosts: set[str]) -> None:
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../auditor/schema/scenario.schema.json\n")
    assert "base_url: ${SHOP_URL:-http://shop.test:8000}\n" in text
    scenario = load(path)
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
    scenario = load_scenario(SCENARIOS[0], env={})
    assert scenario.base_url == "http://shop.test:8000"


def test_every_scenario_has_an_expected_outcome() -> None:
    assert OUTCOMES["version"] == 1
    assert set(OUTCOMES["scenarios"]) == {p.name for p in SCENARIOS}


@pytest.mark.parametrize("name", sorted(OUTCOMES["scenarios"]))
def test_expected_outcome_is_coherent(name: str) -> None:
    outcome: dict[str, Any] = OUTCOMES["scenarios"][name]
    checks = outcome["checks"]
    assert list(checks) == CHECKS
    assert set(checks.values()) <= {"pass", "fail", "warn", "skip"}
    # a scenario passes when no check fails (the spec's rule)
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
    scenario = load(ROOT / "scenarios" / name)
    expected_return = scenario.expect.return_
    if payment["return"] == "manual":
        assert checks["payment.return"] == ("warn" if expected_return == "manual-allowed" else "fail")
    # no tag expected, or none to judge: valid and consistent are not judged
    if scenario.expect.cn_purchase == "absent" or checks["cn_purchase.present"] == "fail":
        assert checks["cn_purchase.valid"] == checks["cn_purchase.consistent"] == "skip"
