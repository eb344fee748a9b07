"""`run --grid` against a real Selenium Grid 4 standalone (Java, the server jar, Debian's chromium-driver).

The grid runs the offline configuration of examples/grid/standalone.toml on a free loopback port; its
Chromium reaches the lab through the host rules the auditor sends as arguments.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Playwright

from auditor.audit import audit
from auditor.engine.browser import find_browser, launch_args
from auditor.engine.events import ScenarioFinished
from auditor.engine.grid import GridSettings, grid_settings, open_session
from auditor.engine.run import RunOptions
from auditor.lab import Lab
from auditor.lab.grid import LocalGrid
from auditor.results import RunResult
from auditor.scenario.load import LoadedScenario, load_all
from tests.engine.labscenario import stripe_scenario
from tests.grid.conftest import start_grid
from tests.pytest_plugin.pluginrun import run_pytest

pytestmark = [pytest.mark.browser, pytest.mark.heavy(120)]

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "scenarios"
# Bundled scenarios with other return mechanisms: a popup, 3-D Secure iframes with a form POST back.
# (A tag fault is judged from the page the same way wherever the browser runs: script-404 is the
# failing verdict here, and each grid scenario costs a session start.)
FROM_BUNDLE = ("paypal-popup-opener", "bank-3ds-nested-iframes-form-post")


def lab_scenarios(folder: Path, lab: Lab) -> list[LoadedScenario]:
    """Lab scenarios with different verdicts: passes, a refused platform, a script 404, bundled ones."""
    # Scenario timeouts well above what a loaded 2-core machine needs: the verdicts compared are the
    # shop's, not whether a starved machine kept to a deadline on one side and not on the other.
    slack = {"step": "30s", "navigation": "45s", "scenario": "180s"}
    paths = [
        stripe_scenario(folder, lab, "clean", **slack),
        stripe_scenario(
            folder, lab, "refused", fault="pay-refused", step="10s", navigation="8s", scenario="180s"
        ),
        stripe_scenario(folder, lab, "script-404", fault="script-404", **slack),
        *(BUNDLED / f"{name}.yaml" for name in FROM_BUNDLE),
    ]
    return load_all(paths, env={**os.environ, "SHOP_URL": lab.url("shop.test").rstrip("/")})


def verdicts(run: RunResult) -> dict[str, tuple[str, dict[str, str]]]:
    return {s.name: (s.status.value, {c.id: c.status.value for c in s.checks}) for s in run.scenarios}


def differences(remote: RunResult, local: RunResult) -> list[str]:
    """The scenarios whose verdicts differ, with what each side saw."""
    lines = []
    theirs = {s.name: s for s in local.scenarios}
    for ours in remote.scenarios:
        other = theirs[ours.name]
        if verdicts(RunResult(started="", finished="", scenarios=[ours])) != verdicts(
            RunResult(started="", finished="", scenarios=[other])
        ):
            for side, s in (("grid", ours), ("local", other)):
                failed = [(c.id, c.message) for c in s.checks if c.status.value != "pass"]
                lines.append(f"{side}: {s.name}: {s.status.value} {s.error} {failed}")
    return lines


def sessions_created(grid: LocalGrid) -> int:
    assert grid.log is not None
    return grid.log.read_text(encoding="utf-8", errors="replace").count("Session created by the Node")


def sessions_open(grid: LocalGrid) -> int:
    nodes = grid.status().get("nodes")
    assert isinstance(nodes, list)
    return sum(1 for node in nodes for slot in node["slots"] if slot.get("session"))


def warm_up(grid: LocalGrid, p: Playwright) -> None:
    """One unmeasured browser on each side: the first start of a binary reads it from disk."""
    p.chromium.launch(executable_path=find_browser().executable, args=launch_args()).close()
    open_session(p.chromium, GridSettings(url=grid.url), {}).close()


def test_lab_scenarios_through_the_grid_match_local_browsers(
    tmp_path: Path, lab: Lab, grid: LocalGrid, shared_playwright: Playwright
) -> None:
    scenarios = lab_scenarios(tmp_path / "scenarios", lab)
    warm_up(grid, shared_playwright)
    local = RunOptions(browser=find_browser(), out_dir=tmp_path / "local", workers=2)
    remote = RunOptions(browser=None, out_dir=tmp_path / "grid", workers=2, grid=GridSettings(url=grid.url))
    before = sessions_created(grid)
    in_use: list[int] = []

    def count_open(event: object) -> None:
        if isinstance(event, ScenarioFinished):
            in_use.append(sessions_open(grid))

    remote_run = audit(scenarios, remote, listener=count_open).run
    created = sessions_created(grid) - before
    assert sessions_open(grid) == 0  # every session given back when the run returns
    local_run = audit(scenarios, local).run

    assert verdicts(remote_run) == verdicts(local_run), differences(remote_run, local_run)
    assert {s.status.value for s in remote_run.scenarios} >= {"pass", "fail"}  # both verdicts occur
    # A worker keeps its session while the host mapping stays the same and gives it back before taking
    # another (the bundled scenarios map fewer names than the lab's, and a name DNS could resolve keeps
    # them out of the shared browser): never more sessions at a time than workers, never one per step.
    # (How long the teardown takes, which once cost 30 s per worker, is measured by bench/bench_grid.py.)
    assert 2 <= created <= len(scenarios), created
    assert max(in_use) <= 2


def test_a_grid_with_no_free_slot_refuses_with_its_message_and_exit_2(tmp_path: Path, lab: Lab) -> None:
    small = start_grid(tmp_path / "small.log", slots=1, session_request_timeout=8)
    settings = GridSettings(url=small.url)
    holder: list[str] = []
    try:
        hold_the_only_slot(small, holder)
        paths = [stripe_scenario(tmp_path, lab, f"waits-{i}") for i in range(3)]
        out = tmp_path / "out"
        proc = run_cli([*map(str, paths), "--out", str(out), "--workers", "2", "--grid", small.url])
        assert proc.returncode == 2, proc.stdout + proc.stderr
        output = proc.stdout + proc.stderr
        assert f"no scenario got a browser from the Selenium Grid at {small.url}" in output
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        errors = [s["error"] for s in results["scenarios"]]
        assert len(errors) == 3
        for error in errors:
            assert error.startswith(f"the Selenium Grid at {small.url} refused a session (HTTP 500)")
            assert "New session request timed out" in error  # the grid's own message
            assert "fewer --workers" in error
        assert "Traceback" not in output
    finally:
        for session_id in holder:
            delete(settings, session_id)
        small.stop()


def hold_the_only_slot(grid: LocalGrid, holder: list[str]) -> None:
    """Take the grid's only slot; under load a start can outlast the short queue timeout, so try again."""
    body = json.dumps(
        {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"args": ["--headless", "--no-sandbox"]}}}}
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not holder:
        request = urllib.request.Request(
            f"{grid.url}/session",
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                holder.append(json.loads(response.read())["value"]["sessionId"])
        except urllib.error.HTTPError:
            continue  # timed out in the queue while Chromium started: the next request gets the slot
    assert holder, "could not take the grid's only slot"


def delete(settings: GridSettings, session_id: str) -> None:
    request = urllib.request.Request(settings.endpoint(f"/session/{session_id}"), method="DELETE")
    with urllib.request.urlopen(request, timeout=30):
        pass


def run_cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "auditor", "run", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, env=env or dict(os.environ)
    )


def test_user_capabilities_are_merged_with_the_host_mapping(
    tmp_path: Path, lab: Lab, grid: LocalGrid, shared_playwright: Playwright
) -> None:
    # capabilities with their own goog:chromeOptions.args used to replace every argument (host rules,
    # headless); through the auditor both survive and the scenario reaches the lab by its host names
    caps = json.dumps({"browserName": "chrome", "goog:chromeOptions": {"args": ["--lang=es-ES"]}})
    settings = grid_settings(grid.url, caps)
    session = open_session(shared_playwright.chromium, settings, lab.hosts)
    try:
        page = session.browser.new_page()
        page.goto("chrome://version")
        command_line = page.locator("#command_line").inner_text()
    finally:
        session.close()
    assert "--lang=es-ES" in command_line
    assert "--headless" in command_line
    assert "--host-resolver-rules=MAP shop.test 127.0.0.1" in command_line
    assert "--disable-background-networking" in command_line

    path = stripe_scenario(tmp_path, lab, "with-caps")
    proc = run_cli(
        [str(path), "--out", str(tmp_path / "out"), "--grid", grid.url, "--grid-capabilities", caps]
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def ffmpeg_browsers_path(tmp_path: Path) -> Path:
    """Playwright's ffmpeg slot filled with a real ffmpeg from PyPI (see tests/engine/test_video.py)."""
    import imageio_ffmpeg  # type: ignore[import-untyped]

    from tests.engine.test_video import _ffmpeg_revision

    folder = tmp_path / "ms-playwright" / f"ffmpeg-{_ffmpeg_revision()}"
    folder.mkdir(parents=True)
    (folder / "ffmpeg-linux").symlink_to(imageio_ffmpeg.get_ffmpeg_exe())
    return folder.parent


def test_traces_videos_and_screenshots_are_recorded_through_the_grid(
    tmp_path: Path, lab: Lab, grid: LocalGrid, ffmpeg_browsers_path: Path
) -> None:
    # recording every frame through the grid is slow on a loaded machine: room to finish, not a speed test
    path = stripe_scenario(tmp_path, lab, "recorded", step="30s", navigation="45s", scenario="240s")
    out = tmp_path / "out"
    env = {**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(ffmpeg_browsers_path)}
    args = [str(path), "--out", str(out), "--trace", "on", "--video", "on", "--screenshot", "on"]
    proc = run_cli([*args, "--trace-secrets", "--grid", grid.url], env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    scenario = json.loads((out / "results.json").read_text(encoding="utf-8"))["scenarios"][0]
    trace = out / scenario["artefacts"]["trace"]
    with zipfile.ZipFile(trace) as archive:
        assert any(name.endswith(".trace") for name in archive.namelist())
    video = (out / scenario["artefacts"]["video"]).read_bytes()
    assert video[:4] == b"\x1a\x45\xdf\xa3" and len(video) > 10_000  # a WebM (EBML) with frames in it
    shots = {s["name"]: out / s["file"] for s in scenario["screenshots"]}
    assert {"card-typed", "end-of-scenario"} <= shots.keys()
    for shot in shots.values():
        assert shot.read_bytes()[:3] == b"\xff\xd8\xff" and shot.stat().st_size > 2_000  # JPEG pictures


def test_doctor_takes_one_session_and_names_the_nodes_browser(grid: LocalGrid) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "doctor", "--grid", grid.url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = find_browser().executable
    assert version is not None
    chromium = subprocess.run([version, "--version"], capture_output=True, text=True, check=True).stdout
    number = chromium.split()[1]
    assert f"grid session: chrome {number} on linux, node {grid.url}" in proc.stdout
    assert "ok   switches" in proc.stdout and "ok   launch" in proc.stdout
    assert sessions_open(grid) == 0


def test_the_pytest_plugin_runs_scenarios_through_audit_grid(
    tmp_path: Path, lab: Lab, grid: LocalGrid
) -> None:
    folder = tmp_path / "suite"
    stripe_scenario(folder, lab, "plugin-clean")
    stripe_scenario(folder, lab, "plugin-404", fault="script-404")
    created_before = sessions_created(grid)
    output = run_pytest(tmp_path, str(folder), "-q", "--audit-grid", grid.url, timeout=300).output
    assert "1 failed, 1 passed" in output, output
    assert "connectif.script" in output
    assert sessions_created(grid) - created_before == 1  # one pytest process, one session
    assert sessions_open(grid) == 0
