"""The pytest plugin for real: pytest in a subprocess, on a folder of scenarios, against a loopback shop."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.miniserver import mini_shop
from tests.pytest_plugin.pluginrun import junit_cases, run_pytest, write_suite

pytestmark = pytest.mark.heavy(40)

NODES = [
    "scenarios/allowed.yaml::Manual return is allowed",
    "scenarios/automatic.yaml::Bank sends the customer back",
    "scenarios/broken.yml::Checkout button is missing",
    "scenarios/failing.yaml::Manual return and comma decimals",
]
EXPECTED = {
    "Bank sends the customer back": "passed",
    "Manual return is allowed": "passed",
    "Manual return and comma decimals": "failure",
    "Checkout button is missing": "error",
}


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    with mini_shop() as url:
        yield url


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    write_suite(tmp_path)
    return tmp_path


def collected(output: str) -> list[str]:
    return [line for line in output.splitlines() if "::" in line and not line.startswith(("ERROR", "FAILED"))]


def test_collects_one_item_per_scenario_and_nothing_else(suite: Path, shop: str) -> None:
    run = run_pytest(suite, "scenarios", "--collect-only", "-q", "--audit-base-url", shop)
    assert run.returncode == 0, run.output
    assert collected(run.output) == NODES  # settings/shop.yaml has no steps: it is not a scenario


def test_tags_are_markers(suite: Path, shop: str) -> None:
    run = run_pytest(suite, "scenarios", "--collect-only", "-q", "-m", "smoke", "--audit-base-url", shop)
    assert run.returncode == 0, run.output
    assert collected(run.output) == ["scenarios/automatic.yaml::Bank sends the customer back"]


def test_a_bare_pytest_collects_no_yaml_but_a_named_folder_does(suite: Path, shop: str) -> None:
    scenarios = suite / "scenarios"
    bare = run_pytest(scenarios, "--collect-only", "-q", "--audit-base-url", shop)
    assert bare.returncode == 5 and collected(bare.output) == [], bare.output  # 5: no tests collected
    named = run_pytest(scenarios, ".", "--collect-only", "-q", "--audit-base-url", shop)
    assert named.returncode == 0 and len(collected(named.output)) == 4, named.output


def test_a_malformed_scenario_is_a_collection_error_with_file_line_and_key(suite: Path, shop: str) -> None:
    (suite / "scenarios" / "typo.yaml").write_text(
        'name: Typo\nsteps:\n  - goto: /\n  - clik: "#pay"\n', encoding="utf-8"
    )
    run = run_pytest(suite, "scenarios", "--collect-only", "-q", "--audit-base-url", shop)
    assert run.returncode == 2, run.output  # pytest's "interrupted": errors during collection
    assert "ERROR collecting scenarios/typo.yaml" in run.output
    assert "scenarios/typo.yaml:4:5: steps[1].clik: unknown action 'clik'" in run.output
    assert "did you mean 'click'?" in run.output
    assert "Traceback" not in run.output and "pytest_plugin.py" not in run.output


def test_a_scenario_with_more_problems_than_are_shown_says_so(suite: Path, shop: str) -> None:
    # 60 unknown actions: the loader lists the first 50 and a note; the headline must not count the note.
    steps = "".join(f'  - clik: "#b{n}"\n' for n in range(60))
    (suite / "scenarios" / "many.yaml").write_text(f"name: Many\nsteps:\n{steps}", encoding="utf-8")
    run = run_pytest(suite, "scenarios/many.yaml", "--collect-only", "-q", "--audit-base-url", shop)
    assert run.returncode == 2, run.output
    assert "more than 50 problems in " in run.output, run.output
    assert "51 problems" not in run.output
    assert run.output.count("unknown action 'clik'") == 50


def test_without_a_base_url_the_error_names_the_plugin_option(suite: Path) -> None:
    run = run_pytest(suite, "scenarios/automatic.yaml", "--collect-only", "-q")
    assert run.returncode == 2, run.output
    assert "scenarios/automatic.yaml" in run.output and "base_url is missing" in run.output
    assert "--audit-base-url" in run.output


def test_a_yaml_file_named_directly_is_loaded_as_a_scenario(suite: Path, shop: str) -> None:
    run = run_pytest(suite, "scenarios/settings/shop.yaml", "--collect-only", "-q", "--audit-base-url", shop)
    assert run.returncode == 2, run.output
    assert "scenarios/settings/shop.yaml:2:1: region: unknown key 'region'" in run.output


def test_a_trace_of_a_scenario_with_secrets_needs_an_explicit_option(suite: Path, shop: str) -> None:
    path = suite / "scenarios" / "automatic.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("steps:", 'secrets: {card: "4000123412341234"}\nsteps:', 1),
        encoding="utf-8",
    )
    run = run_pytest(suite, str(path), "--tracing", "on", "--audit-base-url", shop)
    assert run.returncode == 1, run.output
    assert "ERROR at setup of scenario: Bank sends the customer back" in run.output
    assert "has secrets (card)" in run.output and "--audit-trace-secrets" in run.output
    assert "4000123412341234" not in run.output


def test_browser_options_reach_the_browser(suite: Path, shop: str) -> None:
    scenario = "scenarios/automatic.yaml"
    missing = run_pytest(suite, scenario, "--audit-base-url", shop, "--audit-browser-path", "/nonexistent")
    assert missing.returncode == 1
    assert "--audit-browser-path points at '/nonexistent'" in missing.output, missing.output
    channel = run_pytest(suite, scenario, "--audit-base-url", shop, "--browser-channel", "no-such-channel")
    assert channel.returncode == 1
    assert "could not be started (channel no-such-channel)" in channel.output, channel.output


@pytest.mark.parametrize("playwright_plugin", ["installed", "disabled"])
def test_pytest_playwrights_options_are_read_or_registered_here(
    suite: Path, shop: str, playwright_plugin: str
) -> None:
    """pytest-playwright defines --browser-channel & co.; with it disabled, this plugin defines them."""
    disable = ["-p", "no:playwright"] if playwright_plugin == "disabled" else []
    channel = f"from-{playwright_plugin}"
    scenario = "scenarios/automatic.yaml"
    run = run_pytest(suite, *disable, scenario, "--audit-base-url", shop, "--browser-channel", channel)
    assert "already added" not in run.output
    assert f"could not be started (channel {channel})" in run.output, run.output


@pytest.mark.browser
def test_outcomes_messages_junit_and_outputs(suite: Path, shop: str) -> None:
    run = run_pytest(
        suite,
        "scenarios",
        "-rA",
        "--audit-base-url",
        shop,
        "--junitxml",
        "junit.xml",
        "--output",
        "audit",
    )
    assert run.returncode == 1, run.output
    cases = junit_cases(suite / "junit.xml")
    assert {name: outcome for name, (outcome, _) in cases.items()} == EXPECTED, run.output

    failure = cases["Manual return and comma decimals"][1]
    assert "2 checks failed: payment.return, cn_purchase.valid" in failure
    assert re.search(r"^payment\.return: .+", failure, re.MULTILINE)
    assert re.search(r"^cn_purchase\.valid: .+", failure, re.MULTILINE)
    evidence = [
        json.loads(line.split("evidence: ", 1)[1]) for line in failure.splitlines() if "evidence: " in line
    ]
    assert evidence and evidence[0]["return"] == "manual"  # compact JSON, one line per check
    assert "FAILED scenarios/failing.yaml::Manual return and comma decimals - Failed: 2 checks failed" in (
        run.output
    )

    error = cases["Checkout button is missing"][1]
    assert (
        "the scenario could not be finished: steps[1] (click, scenarios/broken.yml:5) failed" in error
        and "#no-such-button" in error
    )

    # A check that warned: pytest's warnings summary and the item's report section both show it.
    assert "scenarios/allowed.yaml:1: AuditWarning: payment.return:" in run.output
    assert "Captured checkout-auditor call" in run.output and "WARNING payment.return:" in run.output

    results = json.loads((suite / "audit" / "results.json").read_text(encoding="utf-8"))
    assert sorted((s["file"], s["status"]) for s in results["scenarios"]) == [
        ("scenarios/allowed.yaml", "pass"),
        ("scenarios/automatic.yaml", "pass"),
        ("scenarios/broken.yml", "error"),
        ("scenarios/failing.yaml", "fail"),
    ]
    assert (suite / "audit" / "report.html").stat().st_size > 1000
    assert len(junit_cases(suite / "audit" / "junit.xml")) == 4
    assert (suite / "audit" / "artefacts" / "broken" / "failure.jpg").is_file()
    assert f"report: {suite / 'audit' / 'report.html'}" in run.output
    summary = (suite / "audit" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## Checkout audit: 2 of 4 scenarios did not pass")
    assert (
        "#### ✗ Manual return and comma decimals" in summary
        and "#### ! Checkout button is missing" in summary
    )


@pytest.mark.browser
def test_two_xdist_workers_give_one_junit_and_one_report_with_artefacts(suite: Path, shop: str) -> None:
    run = run_pytest(
        suite,
        "scenarios",
        "-n",
        "2",
        "--audit-base-url",
        shop,
        "--junitxml",
        "junit.xml",
        "--output",
        "audit",
        "--tracing",
        "retain-on-failure",
        "--screenshot",
        "only-on-failure",
    )
    assert run.returncode == 1, run.output
    assert "created: 2/2 workers" in run.output
    cases = junit_cases(suite / "junit.xml")
    assert {name: outcome for name, (outcome, _) in cases.items()} == EXPECTED, run.output
    assert "payment.return" in cases["Manual return and comma decimals"][1]

    # The controller writes one results.json from all the workers' results; their artefacts sit beside it.
    results = json.loads((suite / "audit" / "results.json").read_text(encoding="utf-8"))
    assert {s["id"]: s["status"] for s in results["scenarios"]} == {
        "allowed": "pass",
        "automatic": "pass",
        "broken": "error",
        "failing": "fail",
    }
    artefacts = suite / "audit" / "artefacts"
    assert (artefacts / "failing" / "trace.zip").is_file() and (artefacts / "broken" / "trace.zip").is_file()
    assert not (artefacts / "automatic" / "trace.zip").exists()  # retain-on-failure: a pass keeps none
    assert (artefacts / "failing" / "end-of-scenario.jpg").is_file()
    assert not (artefacts / "automatic" / "end-of-scenario.jpg").exists()
    failing = next(s for s in results["scenarios"] if s["id"] == "failing")
    assert failing["artefacts"]["trace"] == "artefacts/failing/trace.zip"
    assert "open it with `playwright show-trace`" in run.output


def test_as_an_installed_entry_point_it_loads_by_itself_and_can_be_disabled(suite: Path, shop: str) -> None:
    site = suite / "site"
    dist = site / "checkout_auditor_entry_point-0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: checkout-auditor-entry-point\nVersion: 0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\ncheckout_auditor = auditor.pytest_plugin\n")
    args = ("scenarios", "--collect-only", "-q")
    loaded = run_pytest(suite, *args, "--audit-base-url", shop, extra_path=site, load_plugin=False)
    assert loaded.returncode == 0 and collected(loaded.output) == NODES, loaded.output
    disabled = run_pytest(suite, *args, "-p", "no:checkout_auditor", extra_path=site, load_plugin=False)
    assert disabled.returncode == 5 and collected(disabled.output) == [], disabled.output


@pytest.mark.browser
def test_audit_retries_reports_a_late_pass_as_flaky(suite: Path, shop: str) -> None:
    scenario = suite / "scenarios" / "flaky.yaml"
    text = (suite / "scenarios" / "automatic.yaml").read_text(encoding="utf-8")
    key = uuid.uuid4().hex[:8]
    scenario.write_text(text.replace("mode=auto&delay=0", f"mode=flaky&delay=0&key={key}"), encoding="utf-8")
    retried = run_pytest(
        suite, str(scenario), "--audit-base-url", shop, "--audit-retries", "1", "-W", "default"
    )
    assert retried.returncode == 0, retried.output
    assert "flaky: failed at first, passed on attempt 2" in retried.output, retried.output
    once = suite / "scenarios" / "flaky-once.yaml"
    once.write_text(text.replace("mode=auto&delay=0", f"mode=flaky&delay=0&key={key}-b"), encoding="utf-8")
    failed = run_pytest(suite, str(once), "--audit-base-url", shop)
    assert failed.returncode == 1 and "payment.return" in failed.output, failed.output
    bad = run_pytest(suite, str(once), "--audit-base-url", shop, "--audit-retries", "-1")
    assert bad.returncode == 4 and "--audit-retries takes a whole number" in bad.output, bad.output


def test_video_without_ffmpeg_or_with_secrets_is_refused_with_a_tip(suite: Path, shop: str) -> None:
    scenario = "scenarios/automatic.yaml"
    empty = suite / "no-downloads"
    empty.mkdir()
    run = run_pytest(
        suite,
        scenario,
        "--audit-base-url",
        shop,
        "--video",
        "on",
        env_extra={"PLAYWRIGHT_BROWSERS_PATH": str(empty)},
    )
    assert run.returncode == 1, run.output
    assert "--video needs Playwright's ffmpeg" in run.output and "playwright install ffmpeg" in run.output
    path = suite / scenario
    path.write_text(
        path.read_text(encoding="utf-8").replace("steps:", 'secrets: {card: "4000123412341234"}\nsteps:', 1),
        encoding="utf-8",
    )
    fake = suite / "with-ffmpeg"
    (fake / "ffmpeg-1013").mkdir(parents=True)
    (fake / "ffmpeg-1013" / "ffmpeg-linux").write_text("", encoding="utf-8")
    secret = run_pytest(
        suite,
        scenario,
        "--audit-base-url",
        shop,
        "--video",
        "on",
        env_extra={"PLAYWRIGHT_BROWSERS_PATH": str(fake)},
    )
    assert secret.returncode == 1, secret.output
    assert "--video record every value typed" in secret.output and "--audit-trace-secrets" in secret.output
    assert "4000123412341234" not in secret.output
