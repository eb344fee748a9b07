"""The bundled scenarios tagged smoke, through the pytest plugin, against the lab, on two xdist workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from auditor.lab import Lab
from auditor.pytest_plugin import _item_name
from tests.pytest_plugin.pluginrun import REPO, junit_cases, run_pytest

BUNDLED = REPO / "scenarios"
OUTCOME = {"pass": "passed", "fail": "failure", "error": "error"}


def smoke_scenarios() -> list[Path]:
    files = sorted(p for p in BUNDLED.glob("*.y*ml"))
    return [p for p in files if "smoke" in (yaml.safe_load(p.read_text(encoding="utf-8")).get("tags") or [])]


@pytest.mark.browser
def test_the_bundled_smoke_scenarios_run_on_two_workers_and_write_junit(tmp_path: Path) -> None:
    # The smoke tag keeps this under ten seconds; `pytest scenarios/ -n 2` runs them all the same way.
    smoke = smoke_scenarios()
    if len(smoke) < 2:
        pytest.skip("fewer than two bundled scenarios are tagged smoke")
    with Lab() as lab:
        run = run_pytest(
            tmp_path,
            str(BUNDLED),
            "-m",
            "smoke",
            "-n",
            "2",
            "--junitxml",
            "junit.xml",
            "--output",
            "audit",
            env_extra={"SHOP_URL": lab.url("shop.test").rstrip("/")},
            timeout=300,
        )
    assert run.returncode in (0, 1), run.output  # 1: some bundled scenarios show a failure on purpose
    assert "created: 2/2 workers" in run.output
    cases = junit_cases(tmp_path / "junit.xml")
    assert len(cases) == len(smoke), run.output
    results = json.loads((tmp_path / "audit" / "results.json").read_text(encoding="utf-8"))
    assert sorted(Path(s["file"]).name for s in results["scenarios"]) == [p.name for p in smoke]
    assert {_item_name(s["name"]): OUTCOME[s["status"]] for s in results["scenarios"]} == {
        name: outcome for name, (outcome, _) in cases.items()
    }
