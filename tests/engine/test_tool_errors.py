"""When the auditor cannot do its job: no browser to audit with is exit 2, a failed capture is a note."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.audit import audit
from auditor.engine.browser import find_browser
from auditor.engine.run import RunOptions
from auditor.errors import ErrorKind
from auditor.scenario.load import load_all
from tests.engine.miniserver import mini_shop
from tests.engine.test_runner import write

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with mini_shop() as url:
        yield url


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(
    tmp_path: Path, scenario: Path, *options: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "run", str(scenario), "--out", str(out), *options],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads((out / "results.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("option", ["--connect", "--cdp"])
def test_an_unreachable_remote_browser_is_exit_2_naming_it(tmp_path: Path, base: str, option: str) -> None:
    port = closed_port()
    address = f"ws://127.0.0.1:{port}/" if option == "--connect" else f"http://127.0.0.1:{port}"
    status, results = run_cli(tmp_path, write(tmp_path, base, "auto", "mode=auto"), option, address)
    assert status == 2
    scenario = results["scenarios"][0]
    assert scenario["status"] == "error" and scenario["error_kind"] == "remote-unreachable"
    assert f"127.0.0.1:{port}" in scenario["error"]


@pytest.mark.parametrize(
    ("option", "address"),
    [
        ("--connect", "ws://127.0.0.1:{port}/pw?token=Tok3nConnect"),
        ("--cdp", "http://ada:Pa55wordCdp@127.0.0.1:{port}/?token=Tok3nCdp"),
    ],
)
def test_a_remote_browsers_token_and_password_never_reach_an_output(
    tmp_path: Path, base: str, option: str, address: str
) -> None:
    port = closed_port()
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "run",
            str(write(tmp_path, base, "auto", "mode=auto")),
            "--out",
            str(out),
            option,
            address.format(port=port),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (
        f"127.0.0.1:{port}"
        in json.loads((out / "results.json").read_text(encoding="utf-8"))["scenarios"][0]["error"]
    )
    said = (
        proc.stdout
        + proc.stderr
        + "".join(f.read_text(errors="replace") for f in out.rglob("*") if f.is_file())
    )
    for secret in ("Tok3nConnect", "Pa55wordCdp", "Tok3nCdp"):
        assert secret not in said


def test_a_grid_that_takes_the_connection_and_never_answers_ends_the_run(tmp_path: Path, base: str) -> None:
    """A new session may wait minutes in a real grid's queue; a server that answers nothing may not."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the kernel's backlog; nothing ever reads them
        port = silent.getsockname()[1]
        status, results = run_cli(
            tmp_path, write(tmp_path, base, "auto", "mode=auto"), "--grid", f"http://127.0.0.1:{port}"
        )
    assert status == 2
    scenario = results["scenarios"][0]
    assert scenario["status"] == "error" and scenario["error_kind"] == "remote-unreachable", scenario["error"]
    assert f"127.0.0.1:{port} did not answer GET /status within 10s" in scenario["error"]


def test_headed_without_a_display_is_exit_2_with_the_fix(tmp_path: Path, base: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    status, results = run_cli(tmp_path, write(tmp_path, base, "auto", "mode=auto"), "--headed", env=env)
    assert status == 2
    scenario = results["scenarios"][0]
    assert scenario["error_kind"] == "browser-unavailable"
    assert "--headed needs a display" in scenario["error"]


def test_a_screenshot_that_cannot_be_saved_is_a_note_not_a_crash(tmp_path: Path, base: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "artefacts").write_text("a file where the artefacts folder should be", encoding="utf-8")
    scenarios = load_all([write(tmp_path, base, "auto", "mode=auto")])
    result = audit(scenarios, RunOptions(browser=find_browser(), out_dir=out, screenshot="on")).run.scenarios[
        0
    ]
    assert result.status.value == "pass", result.error
    assert result.screenshots == []
    assert any("screenshot 'end-of-scenario' could not be taken" in note for note in result.notes), (
        result.notes
    )
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))["scenarios"][0]
    assert saved["notes"] == result.notes


def test_a_step_failure_carries_its_kind(tmp_path: Path, base: str) -> None:
    path = write(tmp_path, base, "missing", "mode=auto")
    path.write_text(path.read_text(encoding="utf-8").replace('submit: "#pay"', 'submit: "#no-such"'), "utf-8")
    scenarios = load_all([path])
    result = audit(scenarios, RunOptions(browser=find_browser(), out_dir=tmp_path / "out")).run.scenarios[0]
    assert result.status.value == "error" and result.error_kind is ErrorKind.STEP_FAILED
