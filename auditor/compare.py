"""Comparing runs: each scenario of a run against the same scenario of an earlier run (the baseline)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from auditor.errors import AuditorError
from auditor.results import (
    Baseline,
    Change,
    ChangeKind,
    NotCompared,
    NotRun,
    RunResult,
    ScenarioResult,
    ScenarioStatus,
    read_results,
)

RESULTS_NAME = "results.json"
LATEST = "latest"

# The order people read changes in: what got worse first, what stayed the same last.
SEVERITY = {
    ChangeKind.NEW_FAILURE: 0,
    ChangeKind.STILL_FAILING: 1,
    ChangeKind.FIXED: 2,
    ChangeKind.NEW: 3,
    ChangeKind.UNCHANGED: 4,
}


def scenario_key(file: str, name: str) -> tuple[str, str]:
    """How a scenario is recognised from run to run: its file (as a POSIX path) and its full name.

    A matrix combination's name carries its values (`Card [card=visa]`), so each combination is
    matched with itself.
    """
    return PurePosixPath(file.replace("\\", "/")).as_posix(), name


def _kind(was: ScenarioStatus | None, now: ScenarioStatus) -> ChangeKind:
    if was is None:
        return ChangeKind.NEW
    passed_then = was is ScenarioStatus.PASS
    passes_now = now is ScenarioStatus.PASS
    if passed_then:
        return ChangeKind.UNCHANGED if passes_now else ChangeKind.NEW_FAILURE
    return ChangeKind.FIXED if passes_now else ChangeKind.STILL_FAILING


def compare_runs(old: RunResult, new: RunResult, *, baseline_file: str) -> Baseline:
    """Each scenario of `new` with its change against `old`, worst first; and what only `old` had."""
    earlier: dict[tuple[str, str], list[ScenarioResult]] = defaultdict(list)
    for scenario in old.scenarios:
        earlier[scenario_key(scenario.file, scenario.name)].append(scenario)
    changes: list[Change] = []
    for scenario in new.scenarios:
        # Two scenarios with the same file and name (rare) are matched in order, first with first.
        matches = earlier.get(scenario_key(scenario.file, scenario.name))
        changes.append(_change(scenario, matches.pop(0).status if matches else None))
    not_run = [NotRun(name=s.name, file=s.file, was=s.status) for left in earlier.values() for s in left]
    return Baseline(file=baseline_file, changes=_worst_first(changes), not_run=not_run)


def _change(scenario: ScenarioResult, was: ScenarioStatus | None) -> Change:
    """One scenario's change from its verdict in the baseline (None: not in it)."""
    return Change(
        name=scenario.name,
        file=scenario.file,
        change=_kind(was, scenario.status),
        was=was,
        now=scenario.status,
    )


def _worst_first(changes: list[Change]) -> list[Change]:
    """The changes by severity, each severity in the order given (sorted() is stable)."""
    return sorted(changes, key=lambda c: SEVERITY[c.change])


def merge_baselines(
    baselines: Iterable[Baseline | None],
    present: Iterable[ScenarioResult],
    *,
    unbaselined: Sequence[tuple[str, Sequence[ScenarioResult]]] = (),
) -> Baseline | None:
    """A merged run's baseline: the shards' changes together; "not run" only for what no shard ran.

    `unbaselined`: the parts run without --baseline (their folder and scenarios). A compared part's
    changes and not_run hold every verdict of its baseline, so when all compared parts used one
    baseline, each scenario of such a part gets the change `run --baseline` would have given it.
    Otherwise its scenarios are listed under `not_compared`. `parts_without_baseline` names them.
    """
    found = [b for b in baselines if b is not None]
    if not found:
        return None
    ran = {scenario_key(s.file, s.name) for s in present}
    changes = [c for b in found for c in b.changes]
    not_run: dict[tuple[str, str], NotRun] = {}
    for baseline in found:
        for item in baseline.not_run:
            not_run.setdefault(scenario_key(item.file, item.name), item)
    # A merge of merges carries what its inputs could not compare.
    parts = [p for b in found for p in b.parts_without_baseline]
    not_compared = [n for b in found for n in b.not_compared]
    one_baseline = len({b.file for b in found}) == 1
    for part, scenarios in unbaselined:
        if not scenarios:
            continue  # an empty shard: nothing went uncompared
        parts.append(part)
        for scenario in scenarios:
            if not one_baseline:
                not_compared.append(NotCompared(name=scenario.name, file=scenario.file, part=part))
                continue
            gone = not_run.get(scenario_key(scenario.file, scenario.name))
            # in no part's not_run: not in the baseline
            changes.append(_change(scenario, gone.was if gone is not None else None))
    return Baseline(
        file=found[0].file,
        changes=_worst_first(changes),
        not_run=[item for key, item in not_run.items() if key not in ran],
        parts_without_baseline=parts,
        not_compared=not_compared,
    )


def older_merge_of(earlier: RunResult, parts: Sequence[RunResult]) -> bool:
    """True when `earlier` is what merge wrote for these parts before results.json recorded merged_from.

    Such a file has no "merged_from" key at all (a run since then writes "merged_from": null), its
    scenarios are the parts' scenarios word for word (merge copies them: every start time, duration,
    check and message), and it spans the parts' first start to their last finish. A real run's
    scenarios are its own, never another run's to the millisecond. When a part has been run again
    since, this cannot be told, and the folder is not written over.
    """
    if "merged_from" in earlier.model_fields_set or earlier.fail_on_warn or not earlier.scenarios:
        return False  # a newer file, a run with --fail-on-warn (merge wrote false then), or no evidence

    def dumps(scenarios: Iterable[ScenarioResult]) -> list[str]:
        return sorted(s.model_dump_json(by_alias=True) for s in scenarios)

    return (
        earlier.started == min(p.started for p in parts)
        and earlier.finished == max(p.finished for p in parts)
        and earlier.interrupted == any(p.interrupted for p in parts)
        and dumps(earlier.scenarios) == dumps(s for p in parts for s in p.scenarios)
    )


def counts(baseline: Baseline) -> dict[ChangeKind, int]:
    """How many scenarios of each change kind, in reading order."""
    tally = dict.fromkeys(SEVERITY, 0)
    for change in baseline.changes:
        tally[change.change] += 1
    return tally


def got_worse(baseline: Baseline) -> bool:
    """True when a scenario that passed before does not pass now, or a new scenario does not pass."""
    return any(
        c.change is ChangeKind.NEW_FAILURE
        or (c.change is ChangeKind.NEW and c.now is not ScenarioStatus.PASS)
        for c in baseline.changes
    )


def changed(baseline: Baseline) -> bool:
    """True when any verdict differs from the baseline's (fail → error counts), or a scenario came or went."""
    return bool(baseline.not_run) or any(c.was != c.now for c in baseline.changes)


@dataclass(frozen=True, kw_only=True)
class BaselineSource:
    """A baseline as `run --baseline` found it: the file (as the user will read it) and its run."""

    file: Path
    run: RunResult


def results_file(path: Path) -> Path:
    """A results.json, or the results.json inside a run folder."""
    return path / RESULTS_NAME if path.is_dir() else path


def latest_run(reports_root: Path, *, exclude: Path) -> Path | None:
    """The newest run folder under reports_root holding a readable results.json, other than `exclude`."""
    if not reports_root.is_dir():
        return None
    skip = exclude.resolve()
    best: tuple[str, float, str, Path] | None = None
    for folder in reports_root.iterdir():
        results = folder / RESULTS_NAME
        if not folder.is_dir() or folder.resolve() == skip or not results.is_file():
            continue
        try:
            run = read_results(results)
        except AuditorError:
            continue  # an unreadable run is no baseline; the index lists it as unreadable
        # Started time first (ISO strings of one writer sort as times); mtime and name break ties.
        key = (run.started, results.stat().st_mtime, folder.name, results)
        if best is None or key[:3] > best[:3]:
            best = key
    return best[3] if best else None


def load_baseline(spec: str, out_dir: Path) -> BaselineSource | None:
    """`--baseline PATH|latest` → the earlier run; None when `latest` finds no earlier run.

    A PATH that is missing or not a results.json is an AuditorError (exit 2): the user named it.
    """
    if spec == LATEST:
        found = latest_run(out_dir.parent, exclude=out_dir)
        return BaselineSource(file=found, run=read_results(found)) if found else None
    path = results_file(Path(spec))
    if not path.exists():
        raise AuditorError(
            f"--baseline {spec}: {path} does not exist",
            tip="give the results.json of an earlier run or its folder, or --baseline latest",
        )
    if path.resolve() == (out_dir / RESULTS_NAME).resolve():
        raise AuditorError(
            f"--baseline {spec} is this run's own output folder",
            tip="give an earlier run's folder, or --out another folder",
        )
    return BaselineSource(file=path, run=read_results(path))
