"""results.json is written atomically and read back with clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.errors import AuditorError
from auditor.results import RunResult, ScenarioResult, read_results, write_atomic, write_results


def sample() -> RunResult:
    return RunResult(
        started="2026-11-27T10:00:00+00:00",
        finished="2026-11-27T10:01:00+00:00",
        scenarios=[ScenarioResult(name="a", file="a.yaml", status="pass", duration_ms=5)],
    )


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    write_results(sample(), path)
    assert read_results(path) == sample()


def test_a_write_that_fails_midway_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "results.json"
    write_results(sample(), path)
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_atomic(path, "{" * 10_000)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left behind


# A whole run, but of another version (or of none): its fields cannot be trusted to mean the same.
RUN_OF_VERSION = (
    '{{"version": {version}, "started": "2026-12-02T10:00:00", "finished": "2026-12-02T10:01:00"}}'
)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "not a results.json"),
        ("[1, 2]", "not a results.json"),
        ('{"version": 1}', "started"),
        (RUN_OF_VERSION.format(version="999"), "(version 999; this checkout-auditor reads version 1)"),
        (RUN_OF_VERSION.format(version='"1"'), "(version '1'; this checkout-auditor reads version 1)"),
        (RUN_OF_VERSION.format(version=1).replace('"version": 1, ', ""), "(no version; this"),
    ],
)
def test_a_bad_results_file_is_a_clear_error(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AuditorError) as caught:
        read_results(path)
    assert str(path) in caught.value.render() and words in caught.value.render()
