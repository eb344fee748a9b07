"""--video for real: Chromium's frames through Playwright into an ffmpeg, a webm linked from the report.

Playwright records with its own ffmpeg build (`playwright install ffmpeg`), which cannot be downloaded
everywhere. The dev extras bring a real ffmpeg from PyPI (imageio-ffmpeg); the test lays it out where
Playwright looks for its own, in a PLAYWRIGHT_BROWSERS_PATH of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg  # type: ignore[import-untyped]
import playwright
import pytest

from tests.engine.miniserver import mini_shop
from tests.engine.test_runner import write

pytestmark = pytest.mark.browser


def _ffmpeg_revision() -> str:
    browsers = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    entries = json.loads(browsers.read_text(encoding="utf-8"))["browsers"]
    return str(next(b["revision"] for b in entries if b["name"] == "ffmpeg"))


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with mini_shop() as url:
        yield url


@pytest.fixture
def browsers_path(tmp_path: Path) -> Path:
    folder = tmp_path / "ms-playwright" / f"ffmpeg-{_ffmpeg_revision()}"
    folder.mkdir(parents=True)
    (folder / "ffmpeg-linux").symlink_to(imageio_ffmpeg.get_ffmpeg_exe())
    return folder.parent


def run_cli(scenario: Path, out: Path, browsers_path: Path, video: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(browsers_path)}
    # the scenarios declare a card secret but never type it: the video may be recorded
    command = [sys.executable, "-m", "auditor", "run", str(scenario), "--out", str(out), "--video", video]
    command.append("--trace-secrets")
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)


def test_a_video_is_recorded_playable_and_linked_from_the_report(
    tmp_path: Path, base: str, browsers_path: Path
) -> None:
    passing = write(tmp_path, base, "video", "mode=auto&delay=0")
    proc = run_cli(passing, tmp_path / "on", browsers_path, "on")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "on" / "results.json").read_text(encoding="utf-8"))["scenarios"][0]
    video = tmp_path / "on" / result["artefacts"]["video"]
    assert video.name == "video.webm" and video.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # Matroska/WebM
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(video), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    frames = [line for line in probe.stderr.replace("\r", "\n").splitlines() if line.startswith("frame=")]
    assert frames and int(frames[-1].split()[0].split("=")[1] or frames[-1].split()[1]) > 5, probe.stderr
    assert result["artefacts"]["video"] in (tmp_path / "on" / "report.html").read_text(encoding="utf-8")


def test_retain_on_failure_keeps_the_video_of_a_failing_scenario_only(
    tmp_path: Path, base: str, browsers_path: Path
) -> None:
    passing = write(tmp_path, base, "kept-pass", "mode=auto&delay=0")
    failing = write(tmp_path, base, "kept-fail", "mode=manual", return_timeout="300ms")
    out = tmp_path / "retain"
    proc = run_cli(tmp_path, out, browsers_path, "retain-on-failure")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))["scenarios"]
    by_file = {Path(r["file"]).stem: r for r in results}
    assert "video" not in by_file[passing.stem]["artefacts"]
    assert (out / by_file[failing.stem]["artefacts"]["video"]).stat().st_size > 1000
    assert not list((out / "artefacts" / by_file[passing.stem]["id"]).glob("**/*.webm"))
