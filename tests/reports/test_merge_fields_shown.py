"""What results.json records is shown where people read it:

- a merge's parts run without --baseline (`baseline.parts_without_baseline`) and the scenarios it could
  not compare (`baseline.not_compared`) are in summary.md and the report's "changed since" panel;
- the console's matrix line says which combinations never started or were cut short, as the report's
  matrix table does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from auditor.audit import merge
from auditor.compare import compare_runs
from auditor.reports import write_outputs
from auditor.reports.console import print_matrices
from auditor.reports.html import render_html
from auditor.results import RunResult

from .htmltree import parse
from .sample import FINISHED, STARTED, scenario
from .test_matrix_not_run import stopped_run
from .test_summary import render_like_github

# ------------------------------------------------------- a merge's parts without a baseline, shown


def run_of(*ids: str, against: str | None = None) -> RunResult:
    """A part as `run` writes it: with `against`, compared with a baseline where every one passed."""
    run = RunResult(started=STARTED, finished=FINISHED, scenarios=[scenario(i, "pass") for i in ids])
    if against is None:
        return run
    old = RunResult(started=STARTED, finished=FINISHED, scenarios=[scenario(i, "pass") for i in "abcde"])
    return run.model_copy(update={"baseline": compare_runs(old, run, baseline_file=against)})


def merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *parts: tuple[str, RunResult]) -> Path:
    """The parts' folders written as runs write them, then merged by `merge` into tmp_path/merged."""
    monkeypatch.chdir(tmp_path)  # the parts are named as a user gives them: relative folders
    for folder, run in parts:
        write_outputs(run, Path(folder))
    merge([Path(folder) for folder, _ in parts], Path("merged"))
    return tmp_path / "merged"


def panel(out: Path) -> str:
    run = RunResult.model_validate_json((out / "results.json").read_text(encoding="utf-8"))
    return " ".join(parse(render_html(run, out)).find("section", id="changes").words().split())


def summary(out: Path) -> str:
    return " ".join(render_like_github((out / "summary.md").read_text(encoding="utf-8")).words().split())


def test_a_part_compared_with_the_other_parts_baseline_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = merged(
        tmp_path, monkeypatch, ("shard_1", run_of("a", against="prev.json")), ("shard_2", run_of("b"))
    )
    baseline = json.loads((out / "results.json").read_text(encoding="utf-8"))["baseline"]
    assert baseline["parts_without_baseline"] == ["shard_2"] and baseline["not_compared"] == []
    said = "Run without --baseline, compared with the baseline the other parts used: shard_2."
    assert said in summary(out)  # "shard_2" as written: its _ is escaped, not emphasis
    assert said in panel(out)
    assert "Not compared" not in summary(out) + panel(out)
    assert "shard\\_2" in (out / "summary.md").read_text(encoding="utf-8")
    # only when present: a run compared as usual says nothing of parts
    single = tmp_path / "single"
    write_outputs(run_of("a", "b", against="prev.json"), single)
    for text in (summary(single), panel(single)):
        assert "Compared with prev.json" in text
        assert not re.search(r"without --baseline|Not compared", text)


def test_scenarios_that_could_not_be_compared_are_named_with_their_part_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = merged(
        tmp_path,
        monkeypatch,
        ("shard1", run_of("a", against="prev.json")),
        ("shard2", run_of("b", against="older.json")),
        ("shard3", run_of("c", "d")),
    )
    baseline = json.loads((out / "results.json").read_text(encoding="utf-8"))["baseline"]
    assert [n["name"] for n in baseline["not_compared"]] == ["Scenario c", "Scenario d"]
    said = (
        "Not compared (2; shard3 ran without --baseline, and the other parts were compared with different "
        "baselines): Scenario c; Scenario d."
    )
    for text in (summary(out), panel(out)):
        assert said in text
        assert "compared with the baseline the other parts used" not in text  # shard3 was not
    page = parse(render_html(RunResult.model_validate_json((out / "results.json").read_text()), out))
    assert page.find("p", cls="not-compared").find("span", cls="mono").text() == "shard3"


# ------------------------------------------------------- the console's matrix line, unfinished said


def test_the_console_matrix_line_counts_and_names_unfinished_combinations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = stopped_run()  # one pass, one real error, one cut short by Ctrl-C, one never started
    print_matrices(run)
    [line] = capsys.readouterr().out.splitlines()
    assert line == (
        "matrix Card payment: 1 passed, 1 errored, 1 not run, 1 interrupted ("
        "[platform=stripe, device=Pixel 7]; "
        "interrupted: [platform=adyen, device=Desktop Chrome]; "
        "not run: [platform=adyen, device=Pixel 7])"
    )
    # the same counts, in the same words, as the report's matrix table
    table = parse(render_html(run, tmp_path)).find("section", id="matrices")
    counts = ", ".join(c.text() for c in table.find_all("span", cls="mx-count"))
    assert line.startswith(f"matrix Card payment: {counts} (")
