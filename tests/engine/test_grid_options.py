"""--grid without a grid: capabilities checked and merged, secrets kept out of messages, a closed port.

The tests that need a real Selenium Grid are in tests/grid/.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.engine.grid import (
    GridSettings,
    chromium_args,
    grid_settings,
    no_session_at_all,
    parse_capabilities,
    session_capabilities,
)
from auditor.errors import AuditorError
from tests.engine.labscenario import stripe_scenario
from tests.pytest_plugin.pluginrun import run_pytest

HOSTS = {"shop.test": "127.0.0.1", "*.stripe.test": "127.0.0.1"}


def closed_port() -> int:
    """A loopback port nobody listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env or {k: v for k, v in os.environ.items() if not k.startswith("SELENIUM_REMOTE")},
    )


def test_the_auditors_switches_come_first_and_the_users_are_added() -> None:
    settings = grid_settings(
        "http://grid:4444",
        json.dumps(
            {
                "browserName": "chrome",
                "platformName": "linux",
                "goog:chromeOptions": {"args": ["--lang=es-ES", "--no-sandbox"], "prefs": {"a": 1}},
            }
        ),
    )
    caps = session_capabilities(settings, chromium_args(HOSTS))
    args = caps["goog:chromeOptions"]["args"]
    assert args[:2] == ["--headless", "--no-sandbox"]
    assert "--host-resolver-rules=MAP shop.test 127.0.0.1, MAP *.stripe.test 127.0.0.1" in args
    assert "--disable-background-networking" in args
    assert args[-1] == "--lang=es-ES" and args.count("--no-sandbox") == 1
    assert caps["goog:chromeOptions"]["prefs"] == {"a": 1}  # the user's other options stay
    assert caps["platformName"] == "linux" and caps["browserName"] == "chrome"


def test_the_users_host_rules_join_the_scenarios_and_headless_is_not_doubled() -> None:
    caps = {"goog:chromeOptions": {"args": ["--host-resolver-rules=MAP cdn.test 10.0.0.5", "--headless=new"]}}
    merged = session_capabilities(GridSettings(url="http://g", capabilities=caps), chromium_args(HOSTS))
    args = merged["goog:chromeOptions"]["args"]
    rules = [a for a in args if a.startswith("--host-resolver-rules=")]
    assert rules == [
        "--host-resolver-rules=MAP shop.test 127.0.0.1, MAP *.stripe.test 127.0.0.1, MAP cdn.test 10.0.0.5"
    ]
    assert [a for a in args if a.startswith("--headless")] == ["--headless=new"]


def test_headed_leaves_headless_out_and_edge_uses_its_own_options_key() -> None:
    assert "--headless" not in chromium_args({}, headed=True)
    caps = session_capabilities(
        GridSettings(url="http://g", capabilities={"browserName": "MicrosoftEdge"}), chromium_args({})
    )
    assert "ms:edgeOptions" in caps and "goog:chromeOptions" not in caps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"browserName": "chrome",', "is not valid JSON: Expecting"),
        ("[1, 2]", "must be a JSON object of capabilities, not list"),
        ('{"browserName": "firefox"}', "browserName 'firefox' is not a Chromium browser"),
        (
            '{"goog:chromeOptions": {"args": "--lang=es"}}',
            "goog:chromeOptions.args must be a list of strings",
        ),
        ('{"goog:chromeOptions": []}', "goog:chromeOptions must be an object"),
    ],
)
def test_bad_capabilities_are_refused_with_the_reason(text: str, expected: str) -> None:
    with pytest.raises(AuditorError) as caught:
        parse_capabilities(text)
    assert expected in caught.value.headline
    assert caught.value.tip


def test_credentials_become_a_header_and_never_reach_a_message() -> None:
    settings = GridSettings(
        url="https://alice:s3cr3t-key@grid.example:443/wd/hub",
        capabilities={"vendor:options": {"accessKey": "AK-123456", "build": "7"}},
        headers={"X-Token": "tok-987654"},
    )
    assert settings.display_url == "https://grid.example:443/wd/hub"
    assert settings.endpoint("/session") == "https://grid.example:443/wd/hub/session"
    assert settings.request_headers()["Authorization"].startswith("Basic ")
    text = settings.redact(
        "refused: user alice:s3cr3t-key caps {accessKey: AK-123456} X-Token tok-987654 build 7"
    )
    assert "s3cr3t-key" not in text and "AK-123456" not in text and "tok-987654" not in text
    assert "build 7" in text


def test_only_grid_errors_make_a_run_that_never_started() -> None:
    grid = "the Selenium Grid at http://g refused a session (HTTP 500): timed out"
    assert no_session_at_all([grid, grid])
    assert not no_session_at_all([grid, None])
    assert not no_session_at_all([grid, "the browser failed: …"])
    assert not no_session_at_all([])


def test_a_closed_port_is_exit_2_naming_the_url(tmp_path: Path) -> None:
    from auditor.lab import Lab

    url = f"http://127.0.0.1:{closed_port()}"
    with Lab() as lab:
        paths = [str(stripe_scenario(tmp_path, lab, f"closed-{i}")) for i in range(2)]
        proc = cli("run", *paths, "--out", str(tmp_path / "out"), "--workers", "2", "--grid", url)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert f"no scenario got a browser from the Selenium Grid at {url}" in output
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    for scenario in results["scenarios"]:
        assert scenario["status"] == "error"
        assert scenario["error"].startswith(f"the Selenium Grid at {url} cannot be reached: ")
        assert "Connection refused" in scenario["error"] and f"curl {url}/status" in scenario["error"]
    assert "Traceback" not in output


def test_selenium_remote_url_is_the_default_grid(tmp_path: Path) -> None:
    from auditor.lab import Lab

    url = f"http://127.0.0.1:{closed_port()}"
    env = {**os.environ, "SELENIUM_REMOTE_URL": url}
    with Lab() as lab:
        path = str(stripe_scenario(tmp_path, lab, "from-env"))
        proc = cli("run", path, "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"the Selenium Grid at {url} cannot be reached" in proc.stdout + proc.stderr


def test_bad_grid_options_stop_before_any_browser(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nbase_url: http://shop.test\nsteps:\n  - goto: /\n", encoding="utf-8")
    bad_json = cli("run", str(scenario), "--grid", "http://g:4444", "--grid-capabilities", '{"a": ')
    assert bad_json.returncode == 2
    assert "--grid-capabilities is not valid JSON" in bad_json.stdout + bad_json.stderr
    assert "Traceback" not in bad_json.stdout + bad_json.stderr
    alone = cli("run", str(scenario), "--grid-capabilities", "{}")
    assert alone.returncode == 2 and "--grid-capabilities needs --grid" in alone.stdout + alone.stderr
    both = cli("run", str(scenario), "--grid", "http://g:4444", "--cdp", "http://127.0.0.1:9222")
    assert both.returncode == 2 and "--cdp and --grid both choose the browser" in both.stderr
    not_http = cli("run", str(scenario), "--grid", "ws://g:4444")
    assert not_http.returncode == 2 and "is not an http(s) URL" in not_http.stdout + not_http.stderr
    assert not (tmp_path / "out").exists()


def test_doctor_names_a_grid_it_cannot_reach() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    proc = cli("doctor", "--grid", url)
    assert proc.returncode == 2
    assert f"FAIL grid: the Selenium Grid at {url} cannot be reached" in proc.stdout


def test_the_plugin_refuses_bad_grid_capabilities_as_a_usage_error(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nbase_url: http://shop.test\nsteps:\n  - goto: /\n", encoding="utf-8")
    outcome = run_pytest(
        tmp_path, str(scenario), "--audit-grid", "http://g:4444", "--audit-grid-capabilities", "{nope"
    )
    assert outcome.returncode == 4, outcome.output  # pytest's usage error
    assert "--audit-grid-capabilities is not valid JSON" in outcome.output


def test_the_plugin_reports_an_unreachable_grid_per_scenario(tmp_path: Path) -> None:
    from auditor.lab import Lab

    url = f"http://127.0.0.1:{closed_port()}"
    with Lab() as lab:
        path = stripe_scenario(tmp_path / "suite", lab, "plugin-closed")
        outcome = run_pytest(tmp_path, str(path), "--audit-grid", url)
    assert outcome.returncode == 1, outcome.output
    assert f"the Selenium Grid at {url} cannot be reached" in outcome.output
