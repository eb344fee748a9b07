"""Comparing runs without a browser: change kinds, matching, latest run, merged shards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.compare import (
    changed,
    compare_runs,
    counts,
    got_worse,
    latest_run,
    load_baseline,
    merge_baselines,
)
from auditor.errors import AuditorError
from auditor.results import ChangeKind, RunResult, ScenarioResult, ScenarioStatus, write_results


def sc(name: str, status: str, file: str | None = None) -> ScenarioResult:
    return ScenarioResult(
        name=name, file=file or f"scenarios/{name.split(' [')[0]}.yaml", status=status, duration_ms=1
    )


def run_of(*scenarios: ScenarioResult, started: str = "2026-05-01T10:00:00+00:00") -> RunResult:
    return RunResult(started=started, finished=started, scenarios=list(scenarios))


def kinds(old: RunResult, new: RunResult) -> dict[str, tuple[str, str | None, str]]:
    baseline = compare_runs(old, new, baseline_file="old/results.json")
    return {c.name: (c.change.value, c.was.value if c.was else None, c.now.value) for c in baseline.changes}


def test_every_change_kind() -> None:
    old = run_of(sc("a", "pass"), sc("b", "fail"), sc("c", "error"), sc("d", "pass"), sc("gone", "fail"))
    new = run_of(sc("a", "fail"), sc("b", "error"), sc("c", "pass"), sc("d", "pass"), sc("e", "fail"))
    assert kinds(old, new) == {
        "a": ("new-failure", "pass", "fail"),
        "b": ("still-failing", "fail", "error"),
        "c": ("fixed", "error", "pass"),
        "d": ("unchanged", "pass", "pass"),
        "e": ("new", None, "fail"),
    }
    baseline = compare_runs(old, new, baseline_file="old/results.json")
    assert [(n.name, n.was.value) for n in baseline.not_run] == [("gone", "fail")]
    assert baseline.file == "old/results.json"


def test_changes_are_worst_first_then_in_run_order() -> None:
    old = run_of(sc("p1", "pass"), sc("p2", "pass"), sc("f1", "fail"), sc("f2", "fail"))
    new = run_of(sc("n", "pass"), sc("p1", "pass"), sc("f2", "pass"), sc("p2", "error"), sc("f1", "fail"))
    baseline = compare_runs(old, new, baseline_file="x")
    assert [(c.change.value, c.name) for c in baseline.changes] == [
        ("new-failure", "p2"),
        ("still-failing", "f1"),
        ("fixed", "f2"),
        ("new", "n"),
        ("unchanged", "p1"),
    ]
    assert counts(baseline) == {
        ChangeKind.NEW_FAILURE: 1,
        ChangeKind.STILL_FAILING: 1,
        ChangeKind.FIXED: 1,
        ChangeKind.NEW: 1,
        ChangeKind.UNCHANGED: 1,
    }


def test_matrix_combinations_match_by_their_full_name() -> None:
    visa = "Card [card=visa, device=iPhone 13]"
    amex = "Card [card=amex, device=iPhone 13]"
    old = run_of(sc(visa, "pass", "card.yaml"), sc(amex, "fail", "card.yaml"))
    new = run_of(
        sc(visa, "fail", "card.yaml"),
        sc(amex, "pass", "card.yaml"),
        sc("Card [card=visa, device=Pixel 7]", "pass", "card.yaml"),
    )
    assert kinds(old, new) == {
        visa: ("new-failure", "pass", "fail"),
        amex: ("fixed", "fail", "pass"),
        "Card [card=visa, device=Pixel 7]": ("new", None, "pass"),
    }


def test_same_name_in_another_file_is_another_scenario() -> None:
    old = run_of(sc("Checkout", "pass", "shop-a/checkout.yaml"))
    new = run_of(sc("Checkout", "pass", "shop-b/checkout.yaml"))
    assert kinds(old, new) == {"Checkout": ("new", None, "pass")}


def test_files_match_whatever_the_separators_and_leading_dot() -> None:
    old = run_of(sc("a", "pass", "./scenarios/a.yaml"))
    new = run_of(sc("a", "fail", "scenarios\\a.yaml"))
    assert kinds(old, new) == {"a": ("new-failure", "pass", "fail")}


def test_two_scenarios_with_one_key_are_matched_in_order() -> None:
    old = run_of(sc("twin", "pass", "t.yaml"), sc("twin", "fail", "t.yaml"))
    new = run_of(sc("twin", "pass", "t.yaml"), sc("twin", "pass", "t.yaml"), sc("twin", "pass", "t.yaml"))
    baseline = compare_runs(old, new, baseline_file="x")
    assert sorted(c.change.value for c in baseline.changes) == ["fixed", "new", "unchanged"]


@pytest.mark.parametrize(
    ("old", "new", "worse", "moved"),
    [
        ("pass", "pass", False, False),
        ("pass", "fail", True, True),
        ("pass", "error", True, True),
        ("fail", "fail", False, False),
        ("fail", "error", False, True),  # still failing, but not the same verdict
        ("error", "pass", False, True),
        (None, "pass", False, True),
        (None, "fail", True, True),  # a new scenario that fails is a new failure for `compare`
    ],
)
def test_got_worse_and_changed(old: str | None, new: str, worse: bool, moved: bool) -> None:
    before = run_of(sc("a", old)) if old else run_of()
    baseline = compare_runs(before, run_of(sc("a", new)), baseline_file="x")
    assert got_worse(baseline) is worse
    assert changed(baseline) is moved


def test_a_scenario_that_went_away_is_a_change_but_not_worse() -> None:
    baseline = compare_runs(
        run_of(sc("a", "pass"), sc("b", "fail")), run_of(sc("a", "pass")), baseline_file="x"
    )
    assert changed(baseline) and not got_worse(baseline)


def test_merged_shards_keep_every_change_and_drop_not_run_for_what_another_shard_ran() -> None:
    old = run_of(sc("a", "pass"), sc("b", "fail"), sc("removed", "pass"))
    shard1 = run_of(sc("a", "fail"))
    shard2 = run_of(sc("b", "pass"))
    b1 = compare_runs(old, shard1, baseline_file="old.json")
    b2 = compare_runs(old, shard2, baseline_file="old.json")
    assert {n.name for n in b1.not_run} == {"b", "removed"}  # shard 1 alone cannot tell
    merged = merge_baselines([b1, b2, None], shard1.scenarios + shard2.scenarios)
    assert merged is not None
    assert [(c.change.value, c.name) for c in merged.changes] == [("new-failure", "a"), ("fixed", "b")]
    assert [n.name for n in merged.not_run] == ["removed"]
    assert merge_baselines([None, None], []) is None


def test_latest_is_the_newest_other_readable_run(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_results(
        run_of(sc("a", "pass"), started="2026-05-01T10:00:00+00:00"), reports / "old" / "results.json"
    )
    write_results(
        run_of(sc("a", "fail"), started="2026-05-03T10:00:00+00:00"), reports / "newer" / "results.json"
    )
    (reports / "broken").mkdir()
    (reports / "broken" / "results.json").write_text("{nope")
    os.utime(reports / "broken" / "results.json", (2e9, 2e9))  # newest on disk, but unreadable
    (reports / "empty").mkdir()
    current = reports / "current"
    write_results(run_of(started="2026-05-09T10:00:00+00:00"), current / "results.json")  # re-used --out
    assert latest_run(reports, exclude=current) == reports / "newer" / "results.json"
    source = load_baseline("latest", current)
    assert source is not None and source.file == reports / "newer" / "results.json"
    assert source.run.scenarios[0].status is ScenarioStatus.FAIL


def test_latest_finds_nothing_in_a_fresh_folder(tmp_path: Path) -> None:
    assert load_baseline("latest", tmp_path / "reports" / "run-1") is None
    (tmp_path / "reports").mkdir()
    assert load_baseline("latest", tmp_path / "reports" / "run-1") is None


def test_a_baseline_path_is_a_results_file_or_its_folder(tmp_path: Path) -> None:
    write_results(run_of(sc("a", "pass")), tmp_path / "prev" / "results.json")
    for spec in (tmp_path / "prev", tmp_path / "prev" / "results.json"):
        source = load_baseline(str(spec), tmp_path / "out")
        assert source is not None and source.file == tmp_path / "prev" / "results.json"


def test_bad_baselines_are_tool_errors_that_say_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(AuditorError) as missing:
        load_baseline(str(tmp_path / "nowhere"), tmp_path / "out")
    assert "nowhere" in missing.value.headline and "does not exist" in missing.value.headline
    assert missing.value.tip is not None and "--baseline latest" in missing.value.tip
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(AuditorError, match=r"not a results\.json"):
        load_baseline(str(tmp_path / "bad.json"), tmp_path / "out")
    write_results(run_of(), tmp_path / "out" / "results.json")
    with pytest.raises(AuditorError, match="own output folder"):
        load_baseline(str(tmp_path / "out"), tmp_path / "out")


def test_merge_joins_the_shards_baselines(tmp_path: Path) -> None:
    from auditor.audit import merge

    old = run_of(sc("a", "pass"), sc("b", "fail"), sc("removed", "pass"))
    for i, scenario in enumerate([sc("a", "fail"), sc("b", "pass")], start=1):
        shard = run_of(scenario)
        shard = shard.model_copy(
            update={"baseline": compare_runs(old, shard, baseline_file="prev/results.json")}
        )
        write_results(shard, tmp_path / f"shard{i}" / "results.json")
    outcome = merge([tmp_path / "shard1", tmp_path / "shard2"], tmp_path / "merged")
    baseline = outcome.run.baseline
    assert baseline is not None and baseline.file == "prev/results.json"
    assert [(c.name, c.change.value) for c in baseline.changes] == [("a", "new-failure"), ("b", "fixed")]
    assert [n.name for n in baseline.not_run] == ["removed"]
    summary = (tmp_path / "merged" / "summary.md").read_text(encoding="utf-8")
    assert "Compared with prev/results.json: 1 new failure, 1 fixed." in summary
