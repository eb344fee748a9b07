"""The loader's whole messages, snapshot-tested: every bad scenario in bad/ against its .txt file.

Each `bad/<case>.yaml` is a scenario with mistakes (or, for `warn-*`, one that loads with warnings);
`bad/<case>.txt` is exactly what the loader says about it: the rendered error, or the warnings. Any
difference fails. After changing a message on purpose, regenerate the snapshots and read the diff:

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/scenario/test_messages.py
    git diff tests/scenario/bad/
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.scenario.devices import device_names
from auditor.scenario.load import load_scenarios

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "bad"
CASES = sorted(BAD.glob("*.yaml"))
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
ENV: dict[str, str] = {}  # no environment: every ${VAR} in these files is unset on purpose


def said(case: Path) -> str:
    """What the loader says about a file, with its path as written from the repository's root."""
    try:
        loaded = load_scenarios(case.relative_to(ROOT), env=ENV)
    except InputError as exc:
        return exc.render() + "\n"
    warnings = list(dict.fromkeys(w for item in loaded for w in item.warnings))
    lines = [f"loads: {len(loaded)} scenario(s), {len(warnings)} warning(s)"]
    lines += [f"warning: {w.render()}" for w in warnings]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_message_snapshot(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if case.stem == "unknown-device" and device_names() is None:
        pytest.skip("Playwright's device list cannot be read from this installation")
    monkeypatch.chdir(ROOT)
    message = said(case)
    snapshot = case.with_suffix(".txt")
    if UPDATE:
        snapshot.write_text(message, encoding="utf-8")
    assert snapshot.is_file(), f"no snapshot for {case.name}: run with UPDATE_SNAPSHOTS=1"
    assert message == snapshot.read_text(encoding="utf-8")
    assert "Traceback" not in message


def test_every_snapshot_has_its_scenario() -> None:
    orphans = [t.name for t in BAD.glob("*.txt") if not t.with_suffix(".yaml").is_file()]
    assert orphans == []
    assert len(CASES) >= 15
