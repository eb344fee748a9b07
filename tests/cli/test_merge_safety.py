"""`merge` through the real command line, on results.json files written as runs write them:

- `--out` never writes over a run (one of the parts, or any run but an earlier merge of the same parts);
- a part run without `--baseline` still gets its scenarios compared, and the outputs say so;
- `--fail-on-warn` of the parts is carried, the strict reading when they disagree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from auditor.compare import compare_runs, merge_baselines
from auditor.results import CheckResult, RunResult, ScenarioResult, ScenarioStatus, Status

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ("results.json", "report.html", "junit.xml", "summary.md")


def merge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    environment["COLUMNS"] = "200"
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "auditor", "merge", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def sc(name: str, status: str = "pass", *, warn: bool = False) -> ScenarioResult:
    checks = [CheckResult(id="payment.return", status=Status.WARN if warn else Status.PASS, message="m")]
    return ScenarioResult(
        name=name,
        file=f"scenarios/{name}.yaml",
        id=name,
        status=ScenarioStatus(status),
        duration_ms=1,
        checks=checks,
    )


def run_of(*scenarios: ScenarioResult, **fields: object) -> RunResult:
    return RunResult(
        started="2026-05-02T10:00:00+00:00",
        finished="2026-05-02T10:01:00+00:00",
        scenarios=list(scenarios),
        **fields,  # type: ignore[arg-type]
    )


def write_run(folder: Path, run: RunResult) -> Path:
    """A run's folder as `run` leaves it: results.json and the outputs drawn from it."""
    from auditor.reports import write_outputs

    write_outputs(run, folder)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def two_shards(root: Path) -> tuple[Path, Path]:
    return write_run(root / "shard1", run_of(sc("a"))), write_run(root / "shard2", run_of(sc("b")))


# ---------------------------------------------------------------- item 1: --out never loses a run


def test_merge_into_one_of_its_parts_is_refused_before_writing_anything(tmp_path: Path) -> None:
    one, _ = two_shards(tmp_path)
    before = snapshot(one)
    for given in ("shard1", "shard1/results.json"):  # a part given as its folder or its results.json
        proc = merge(given, "shard2", "--out", "shard1", cwd=tmp_path)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert "merge --out shard1: shard1 is one of the runs to merge" in proc.stderr
        assert "tip: choose another --out folder" in proc.stderr
        assert snapshot(one) == before  # results.json, report.html, junit.xml, summary.md untouched
    assert json.loads((one / "results.json").read_text(encoding="utf-8"))["scenarios"][0]["name"] == "a"


def test_merge_into_a_folder_holding_another_run_is_refused(tmp_path: Path) -> None:
    two_shards(tmp_path)
    other = write_run(tmp_path / "yesterday", run_of(sc("z", "fail")))
    before = snapshot(other)
    proc = merge("shard1", "shard2", "--out", "yesterday", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "merge --out yesterday: yesterday already holds another run's outputs" in proc.stderr
    assert "results.json, report.html, junit.xml, summary.md" in proc.stderr
    assert "choose another --out folder" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(other) == before
    # a results.json that cannot be read is not known to be a merge either: kept
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "results.json").write_text("{not json", encoding="utf-8")
    proc = merge("shard1", "shard2", "--out", "odd", cwd=tmp_path)
    assert proc.returncode == 2 and "already holds another run's outputs" in proc.stderr
    assert (tmp_path / "odd" / "results.json").read_text(encoding="utf-8") == "{not json"
    assert sorted(p.name for p in (tmp_path / "odd").iterdir()) == ["results.json"]


def test_merge_into_an_earlier_merge_of_other_parts_is_refused(tmp_path: Path) -> None:
    two_shards(tmp_path)
    write_run(tmp_path / "shard3", run_of(sc("c")))
    first = merge("shard1", "shard2", "--out", "merged", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    before = snapshot(tmp_path / "merged")
    proc = merge("shard1", "shard3", "--out", "merged", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "merged already holds the merge of other runs (shard1, shard2)" in proc.stderr
    assert snapshot(tmp_path / "merged") == before


def test_merging_the_same_parts_again_refreshes_the_earlier_merge(tmp_path: Path) -> None:
    one, _ = two_shards(tmp_path)
    (one / "artefacts" / "a").mkdir(parents=True)
    (one / "artefacts" / "a" / "trace.zip").write_bytes(b"old")
    first = merge("shard1", "shard2", "--out", "out/merged", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    merged = json.loads((tmp_path / "out" / "merged" / "results.json").read_text(encoding="utf-8"))
    assert merged["merged_from"] == ["../../shard1", "../../shard2"]  # relative: the pair may move
    # shard 1 is run again: its scenario now fails and keeps no artefact
    write_run(one, run_of(sc("a", "fail")))
    (one / "artefacts" / "a" / "trace.zip").unlink()
    again = merge("shard2", "shard1/results.json", "--out", "out/merged", cwd=tmp_path)  # any order
    assert again.returncode == 1, again.stdout + again.stderr  # a scenario fails now
    merged = json.loads((tmp_path / "out" / "merged" / "results.json").read_text(encoding="utf-8"))
    assert {s["name"]: s["status"] for s in merged["scenarios"]} == {"a": "fail", "b": "pass"}
    assert not (tmp_path / "out" / "merged" / "artefacts" / "a" / "trace.zip").exists()


def written_before_merged_from(folder: Path) -> None:
    """The run or merge in `folder` as written before results.json had merged_from: no such key."""
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    del results["merged_from"]
    (folder / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


def test_a_merge_written_before_merged_from_is_refreshed_and_no_other_run_is(tmp_path: Path) -> None:
    one, _ = two_shards(tmp_path)
    write_run(tmp_path / "shard3", run_of(sc("c")))
    for out, parts in (("merged", ("shard1", "shard2")), ("older", ("shard1", "shard2"))):
        first = merge(*parts, "--out", out, cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        written_before_merged_from(tmp_path / out)
    again = merge("shard2", "shard1", "--out", "merged", cwd=tmp_path)  # any order
    assert again.returncode == 0, again.stdout + again.stderr
    results = json.loads((tmp_path / "merged" / "results.json").read_text(encoding="utf-8"))
    assert results["merged_from"] == ["../shard2", "../shard1"]  # recorded from now on
    assert [s["name"] for s in results["scenarios"]] == ["a", "b"]
    # Refused as before: that older merge for other parts; a run of the same scenarios that are its
    # own (one took another time); a copy of one part; a run written since merged_from exists
    # ("merged_from": null), even with the parts' scenarios word for word.
    write_run(tmp_path / "rerun", run_of(sc("a"), sc("b").model_copy(update={"duration_ms": 2})))
    write_run(tmp_path / "copy", run_of(sc("a")))
    for folder in ("rerun", "copy"):
        written_before_merged_from(tmp_path / folder)
    write_run(tmp_path / "run", run_of(sc("a"), sc("b")))
    assert json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))["merged_from"] is None
    for out, parts in (
        ("older", ("shard1", "shard3")),
        ("rerun", ("shard1", "shard2")),
        ("copy", ("shard1", "shard2")),
        ("run", ("shard1", "shard2")),
    ):
        refused(out, parts, tmp_path)
    # and the older merge of shard1 and shard2 once shard1 has been run again: it can no longer be
    # told from another run, so it is kept
    write_run(one, run_of(sc("a", "fail")))
    refused("older", ("shard1", "shard2"), tmp_path)


def refused(out: str, parts: tuple[str, ...], cwd: Path) -> None:
    before = snapshot(cwd / out)
    proc = merge(*parts, "--out", out, cwd=cwd)
    assert proc.returncode == 2, (out, proc.stdout + proc.stderr)
    assert f"merge --out {out}: {out} already holds another run's outputs" in proc.stderr
    assert snapshot(cwd / out) == before


def test_merge_into_a_new_or_empty_folder_or_one_without_outputs(tmp_path: Path) -> None:
    two_shards(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "ci.log").write_text("kept", encoding="utf-8")
    for out in ("new", "empty", "logs"):
        proc = merge("shard1", "shard2", "--out", out, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert all((tmp_path / out / name).is_file() for name in OUTPUTS)
    assert (tmp_path / "logs" / "ci.log").read_text(encoding="utf-8") == "kept"


# ------------------------------------------- item 2: a part without --baseline is compared all the same


def baseline_run() -> RunResult:
    return run_of(sc("a", "pass"), sc("b", "fail"), sc("c", "pass"), sc("gone", "pass"))


def compared(run: RunResult, file: str = "prev/results.json") -> RunResult:
    return run.model_copy(update={"baseline": compare_runs(baseline_run(), run, baseline_file=file)})


def test_a_part_without_baseline_gets_the_changes_its_run_would_have_had() -> None:
    with_baseline = compared(run_of(sc("a", "fail")))
    without = run_of(sc("b", "pass"), sc("c", "pass"), sc("new"))
    merged = merge_baselines(
        [with_baseline.baseline, None],
        with_baseline.scenarios + without.scenarios,
        unbaselined=[("shard2", without.scenarios)],
    )
    assert merged is not None
    # exactly what comparing the whole run with the baseline gives
    whole = compare_runs(baseline_run(), run_of(sc("a", "fail"), *without.scenarios), baseline_file="x")
    assert [c.model_dump() for c in merged.changes] == [c.model_dump() for c in whole.changes]
    assert [(c.name, c.change.value) for c in merged.changes] == [
        ("a", "new-failure"),
        ("b", "fixed"),
        ("new", "new"),
        ("c", "unchanged"),
    ]
    assert [n.name for n in merged.not_run] == ["gone"]
    assert merged.parts_without_baseline == ["shard2"]
    assert merged.not_compared == []


def test_parts_compared_with_different_baselines_leave_the_others_not_compared() -> None:
    one = compared(run_of(sc("a")), "prev/results.json")
    two = compared(run_of(sc("b")), "older/results.json")
    three = run_of(sc("c"))
    merged = merge_baselines(
        [one.baseline, two.baseline, None],
        one.scenarios + two.scenarios + three.scenarios,
        unbaselined=[("shard3", three.scenarios), ("empty", [])],
    )
    assert merged is not None
    assert [c.name for c in merged.changes] == ["b", "a"]  # what each part compared, kept
    assert [n.model_dump() for n in merged.not_compared] == [
        {"name": "c", "file": "scenarios/c.yaml", "part": "shard3"}
    ]
    assert merged.parts_without_baseline == ["shard3"]  # the empty one is no news


def test_merge_of_a_part_with_a_baseline_and_one_without_keeps_every_change(tmp_path: Path) -> None:
    write_run(tmp_path / "shard1", compared(run_of(sc("a", "fail"))))
    write_run(tmp_path / "shard2", run_of(sc("b", "pass"), sc("c", "pass")))
    proc = merge("shard1", "shard2", "--out", "merged", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "note: shard2 ran without --baseline: the merge compared the 2 scenario(s) of shard2 with "
        "prev/results.json, which the other parts were compared with"
    ) in proc.stdout
    results = json.loads((tmp_path / "merged" / "results.json").read_text(encoding="utf-8"))
    baseline = results["baseline"]
    changes = {c["name"]: (c["change"], c["was"], c["now"]) for c in baseline["changes"]}
    assert changes == {
        "a": ("new-failure", "pass", "fail"),
        "b": ("fixed", "fail", "pass"),
        "c": ("unchanged", "pass", "pass"),
    }
    assert [n["name"] for n in baseline["not_run"]] == ["gone"]
    assert baseline["parts_without_baseline"] == ["shard2"]
    summary = (tmp_path / "merged" / "summary.md").read_text(encoding="utf-8")
    assert "Compared with prev/results.json: 1 new failure, 1 fixed, 1 unchanged." in summary
    assert "| 🟢 fixed | b | fail | pass |" in summary
    # merging the merge again with another compared part keeps the record of the part without one
    write_run(tmp_path / "shard3", compared(run_of(sc("gone", "pass"))))
    again = merge("merged", "shard3", "--out", "all", cwd=tmp_path)
    assert again.returncode == 1, again.stdout + again.stderr
    results = json.loads((tmp_path / "all" / "results.json").read_text(encoding="utf-8"))
    assert results["baseline"]["parts_without_baseline"] == ["shard2"]
    assert results["baseline"]["not_run"] == []


def test_parts_compared_with_different_baselines_say_so_on_the_console(tmp_path: Path) -> None:
    write_run(tmp_path / "shard1", compared(run_of(sc("a")), "prev/results.json"))
    write_run(tmp_path / "shard2", compared(run_of(sc("b")), "older/results.json"))
    write_run(tmp_path / "shard3", run_of(sc("c")))
    proc = merge("shard1", "shard2", "shard3", "--out", "merged", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "note: the parts were compared with different baselines (prev/results.json, older/results.json); "
        "the merged results name prev/results.json"
    ) in proc.stdout
    assert "the 1 scenario(s) of shard3 are not compared" in proc.stdout


# ------------------------------------------------------------------ item 3: --fail-on-warn is carried


def test_a_merge_of_fail_on_warn_parts_fails_on_their_warnings(tmp_path: Path) -> None:
    write_run(tmp_path / "shard1", run_of(sc("a", warn=True), fail_on_warn=True))
    write_run(tmp_path / "shard2", run_of(sc("b"), fail_on_warn=True))
    proc = merge("shard1", "shard2", "--out", "merged", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # every scenario passed, one with a warning
    assert (
        "The run fails (exit 1) because 1 scenario passed with warnings under --fail-on-warn" in proc.stdout
    )
    assert "note: --fail-on-warn" not in proc.stdout  # the parts agree: nothing to say
    results = json.loads((tmp_path / "merged" / "results.json").read_text(encoding="utf-8"))
    assert results["fail_on_warn"] is True
    assert "--fail-on-warn" in (tmp_path / "merged" / "summary.md").read_text(encoding="utf-8")


def test_parts_that_disagree_on_fail_on_warn_take_the_strict_reading_and_say_so(tmp_path: Path) -> None:
    write_run(tmp_path / "shard1", run_of(sc("a"), fail_on_warn=True))
    write_run(tmp_path / "shard2", run_of(sc("b", warn=True)))  # its own run exited 0
    proc = merge("shard1", "shard2", "--out", "merged", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "note: --fail-on-warn was given to shard1 but not to shard2: the merged run takes the strict "
        "reading, and a warning in any part fails it"
    ) in proc.stdout
    assert json.loads((tmp_path / "merged" / "results.json").read_text(encoding="utf-8"))["fail_on_warn"]
    lax = merge("shard2", "--out", "lax", cwd=tmp_path)  # without --fail-on-warn a warning is fine
    assert lax.returncode == 0, lax.stdout + lax.stderr
