"""examples/grid/: the configuration is offline, the compose file and CI job parse, and every
checkout-auditor command in them is accepted by the real command line. (No grid needed.)"""

from __future__ import annotations

import glob
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.pytest_plugin.test_ci_examples import auditor_invocations, github_scripts, parse_with_the_real_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "grid"


def jar_version() -> str:
    found = re.search(r"^JAR_VERSION=(\S+)", (ROOT / "scripts" / "get-grid.sh").read_text(), re.MULTILINE)
    assert found is not None
    return found.group(1)


def test_the_standalone_configuration_is_offline_with_one_explicit_chromium_driver() -> None:
    config = tomllib.loads((EXAMPLES / "standalone.toml").read_text(encoding="utf-8"))
    node = config["node"]
    assert node["detect-drivers"] is False and node["selenium-manager"] is False
    [driver] = node["driver-configuration"]
    stereotype = json.loads(driver["stereotype"])
    assert driver["webdriver-executable"] == "/usr/bin/chromedriver"
    assert stereotype["browserName"] == "chrome"
    assert stereotype["goog:chromeOptions"]["binary"] == "/usr/bin/chromium"
    assert config["server"]["host"] == "127.0.0.1"


def test_the_compose_file_runs_a_hub_and_chrome_nodes_of_the_tested_version() -> None:
    compose = yaml.safe_load((EXAMPLES / "docker-compose.yml").read_text(encoding="utf-8"))
    hub, chrome = compose["services"]["selenium-hub"], compose["services"]["chrome"]
    version = jar_version()
    assert hub["image"] == f"selenium/hub:{version}" and chrome["image"] == f"selenium/node-chrome:{version}"
    assert "4444:4444" in hub["ports"]
    env = chrome["environment"]
    assert env["SE_EVENT_BUS_HOST"] == "selenium-hub"
    assert env["SE_NODE_GRID_URL"] == "http://localhost:4444"  # se:cdp reachable from outside compose
    assert int(env["SE_NODE_MAX_SESSIONS"]) * chrome["deploy"]["replicas"] == 4
    assert chrome["shm_size"] == "2gb"


def test_the_ci_job_runs_shards_against_the_grid_and_merges_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    assert workflow["jobs"]["audit"]["strategy"]["matrix"]["shard"] == [1, 2, 3]
    # the merge job's shell expands shards/audit-shard-* into the downloaded artifacts' folders
    monkeypatch.chdir(tmp_path)
    for shard in (1, 2, 3):
        (tmp_path / "shards" / f"audit-shard-{shard}").mkdir(parents=True)
    invocations = [
        [expanded for word in args for expanded in (sorted(glob.glob(word)) if "*" in word else [word])]
        for args in auditor_invocations(github_scripts(workflow))
    ]
    commands = {args[0]: parse_with_the_real_cli(args).params for args in invocations}
    assert commands.keys() == {"doctor", "run", "merge"}
    assert len(commands["merge"]["dirs"]) == 3
    run = commands["run"]
    assert run["grid"] == "dummy" and run["shard"] == "dummy/3" and run["workers"] == 2
    assert run["base_url"] == "https://staging.example.test"
    steps = workflow["jobs"]["audit"]["steps"]
    audit = next(s for s in steps if "checkout-auditor run" in s.get("run", ""))
    assert audit["env"]["GRID_URL"] == "${{ secrets.GRID_URL }}"
    assert workflow["jobs"]["report"]["needs"] == "audit" and workflow["jobs"]["report"]["if"] == "always()"
