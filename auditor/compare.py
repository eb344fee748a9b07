"""Comparing runs: each scenario of a run against the same scenario of an earlier run (the baseline)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from auditor.scenario.load import LoadedScenario

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


def scenario_keys(scenarios: Iterable[LoadedScenario]) -> list[tuple[str, str]]:
    """Loaded scenarios as (file, name), as their results will name them."""
    return [(str(s.file), s.scenario.name) for s in scenarios]


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


@dataclass(frozen=True, kw_only=True)
class PassedOver:
    """A run newer than the baseline `--baseline latest` took, and why it was not taken."""

    folder: Path
    why: str


@dataclass(frozen=True, kw_only=True)
class LatestChoice:
    """What `--baseline latest` found: the run taken (None: no run fits) and the newer runs passed over."""

    source: BaselineSource | None
    passed_over: tuple[PassedOver, ...] = ()


def _when(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _unfit(run: RunResult, wanted: set[tuple[str, str]] | None, started: datetime) -> str | None:
    """Why `run` cannot be this run's baseline; None when it can."""
    finished = _when(run.finished)
    if finished is None:
        return f"its results.json says it finished at {run.finished!r}, which is not a time"
    if finished > started:
        return "it finished after this run started: it ran at the same time, it is no earlier run"
    if wanted is not None and not any(scenario_key(s.file, s.name) in wanted for s in run.scenarios):
        if not run.scenarios:
            return "it ran no scenario"
        # The usual case: a sibling shard of the same CI job, which finished seconds ago.
        return (
            f"it holds none of this run's {len(wanted)} scenario(s) (another shard's output, or a run of "
            "other scenarios): every scenario would be new"
        )
    return None


def choose_latest(
    reports_root: Path,
    *,
    exclude: Path,
    scenarios: Iterable[tuple[str, str]] | None = None,
    started: datetime | None = None,
) -> LatestChoice:
    """The newest earlier run under reports_root fit to be a baseline, and the newer ones that are not.

    Fit: a folder other than `exclude` whose results.json can be read (a run still going has none yet:
    results.json is written once, whole, when it ends), that finished by the time this run `started`,
    and that holds at least one of this run's `scenarios` ((file, name) pairs; None: any run will do).
    Shards are disjoint, so another shard of the same selection, finished a moment ago, holds none of
    them and is never taken; a merge of all the shards, or the same shard of an earlier run, is.
    Newest is by started time (ISO strings of one writer sort as times); mtime and name break ties.
    """
    started = started or datetime.now(UTC)
    wanted = {scenario_key(file, name) for file, name in scenarios} if scenarios is not None else None
    skip = exclude.resolve()
    found: list[tuple[str, float, str, Path, RunResult]] = []
    for folder in reports_root.iterdir() if reports_root.is_dir() else ():
        results = folder / RESULTS_NAME
        if not folder.is_dir() or folder.resolve() == skip or not results.is_file():
            continue
        try:
            run = read_results(results)
        except AuditorError:
            continue  # an unreadable run is no baseline; the index lists it as unreadable
        found.append((run.started, results.stat().st_mtime, folder.name, results, run))
    found.sort(key=lambda item: item[:3], reverse=True)
    passed: list[PassedOver] = []
    for *_, results, run in found:
        why = _unfit(run, wanted, started)
        if why is None:
            return LatestChoice(source=BaselineSource(file=results, run=run), passed_over=tuple(passed))
        passed.append(PassedOver(folder=results.parent, why=why))
    return LatestChoice(source=None, passed_over=tuple(passed))


def latest_run(reports_root: Path, *, exclude: Path) -> Path | None:
    """The newest run folder under reports_root with a readable, finished results.json, but `exclude`."""
    source = choose_latest(reports_root, exclude=exclude).source
    return source.file if source else None


@dataclass(frozen=True, kw_only=True)
class LatestBaseline:
    """`--baseline latest`, chosen once the run's scenarios are known (by the command line before the
    run, or by audit() as it starts): which earlier run fits depends on the scenarios this run holds
    (after --tag, -k and --shard) and on when it started.

    `tell` hears the choice, the folder searched and how many scenarios this run holds: the console says
    which run was taken, and why newer ones were not.
    """

    out_dir: Path
    tell: Callable[[LatestChoice, Path, int], None] = lambda choice, root, scenarios: None

    def choose(self, scenarios: Sequence[tuple[str, str]], started: datetime) -> BaselineSource | None:
        """The baseline for a run of these (file, name) scenarios that started at `started`."""
        if not scenarios:  # an empty shard: nothing to compare, and merge needs no baseline for it
            choice = LatestChoice(source=None)
        else:
            choice = choose_latest(
                self.out_dir.parent, exclude=self.out_dir, scenarios=scenarios, started=started
            )
        self.tell(choice, self.out_dir.parent, len(scenarios))
        return choice.source


def load_baseline(spec: str, out_dir: Path) -> BaselineSource | None:
    """`--baseline PATH|latest` → the earlier run; None when `latest` finds no earlier run.

    `latest` here takes the newest finished run, whatever it holds; `run` chooses when it starts, with
    its scenarios (LatestBaseline). A PATH that is missing or not a results.json is an AuditorError
    (exit 2): the user named it.
    """
    if spec == LATEST:
        return choose_latest(out_dir.parent, exclude=out_dir).source
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
