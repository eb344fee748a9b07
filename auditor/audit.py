"""One audit run from start to outputs: the library behind `run`, `demo` and `merge`."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.engine.events import Listener, ignore
from auditor.errors import AuditorError

# The engine, the results' models and the writers are imported by the functions that use them, so that
# the command line can pick and shard scenarios (and start the browser) before it pays for them.
if TYPE_CHECKING:
    from auditor.compare import BaselineSource, LatestBaseline
    from auditor.engine.options import RunOptions
    from auditor.engine.warm import WarmStart
    from auditor.reports import OutputPaths
    from auditor.results import RunResult
    from auditor.scenario.load import LoadedScenario


def new_out_dir(root: Path, prefix: str = "run") -> Path:
    """A fresh, sortable folder under `root` for one run's outputs, created here: two runs started in
    the same second (a CI matrix, a shell loop) each get their own, as mkdir lets only one of them
    have a name. A folder that cannot be created is left for prepare_out_dir to explain."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = root / f"{prefix}-{stamp}"
    n = 2
    while True:
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            candidate = root / f"{prefix}-{stamp}-{n}"
            n += 1
        except OSError:  # not writable, a file in the way of `root`…: said with the outputs' own words
            return candidate


def select(scenarios: Sequence[LoadedScenario], tags: Sequence[str]) -> list[LoadedScenario]:
    """Scenarios that carry any of `tags` (all when no tag is given)."""
    if not tags:
        return list(scenarios)
    chosen = [s for s in scenarios if set(tags) & set(s.scenario.tags)]
    if not chosen:
        known = sorted({t for s in scenarios for t in s.scenario.tags})
        raise AuditorError(
            f"no scenario has the tag {' or '.join(tags)}",
            tip="tags in these scenarios: " + (", ".join(known) or "none"),
        )
    return chosen


def keep(scenarios: Sequence[LoadedScenario], texts: Sequence[str]) -> list[LoadedScenario]:
    """Scenarios whose name or file contains any of `texts`, in any case (all when none is given)."""
    if not texts:
        return list(scenarios)
    wanted = [t.casefold() for t in texts]
    chosen = [
        s
        for s in scenarios
        if any(t in s.scenario.name.casefold() or t in str(s.file).casefold() for t in wanted)
    ]
    if not chosen:
        raise AuditorError(
            "no scenario's name or file contains " + " or ".join(repr(t) for t in texts),
            tip="-k keeps the scenarios whose name or file path contains the text, in any case",
        )
    return chosen


def parse_shard(text: str) -> tuple[int, int]:
    """`2/4` → (2, 4), or an AuditorError that says how to write it."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise AuditorError(
            f"--shard {text!r} is not a shard", tip="write i/n with 1 ≤ i ≤ n, e.g. --shard 2/4"
        )
    return int(match.group(1)), int(match.group(2))


def shard(scenarios: Sequence[LoadedScenario], index: int, count: int) -> list[LoadedScenario]:
    """A deterministic split: the scenarios sorted by file, every count-th one from index."""
    ordered = sorted(scenarios, key=lambda s: s.file.as_posix())
    return [s for i, s in enumerate(ordered) if i % count == index - 1]


@dataclass(frozen=True, kw_only=True)
class AuditOutcome:
    """A finished (or interrupted) run and where its outputs are."""

    run: RunResult
    paths: OutputPaths
    interrupted: bool = False
    notes: tuple[str, ...] = ()  # merge: how it read its parts (no baseline, --fail-on-warn in some)


def audit(
    scenarios: Sequence[LoadedScenario],
    options: RunOptions,
    *,
    listener: Listener = ignore,
    stop: threading.Event | None = None,
    baseline: BaselineSource | LatestBaseline | None = None,
    warm: WarmStart | None = None,
    fail_on_warn: bool = False,
) -> AuditOutcome:
    """Run loaded scenarios and write every output, even when the run is interrupted.

    With a baseline, each scenario's change against it is part of the results and of every output;
    `--baseline latest` (LatestBaseline) is chosen here, from these scenarios and this start.
    `warm`: worker threads already started for this run (engine/warm.py). `fail_on_warn` (run
    --fail-on-warn) is recorded in the results, so that every output says why a run that passed fails.
    """
    from auditor.compare import LatestBaseline, scenario_keys
    from auditor.engine.executor import run_scenarios
    from auditor.reports import write_outputs
    from auditor.results import RunResult, ScenarioResult

    stop = stop or threading.Event()
    started = datetime.now(UTC)
    # `latest` depends on what this run holds and when it started: a sibling shard's output is none.
    source = (
        baseline.choose(scenario_keys(scenarios), started)
        if isinstance(baseline, LatestBaseline)
        else baseline
    )
    options.out_dir.mkdir(parents=True, exist_ok=True)
    outcomes: list[AuditOutcome] = []

    def write(results: list[ScenarioResult]) -> None:
        run = RunResult(
            started=started.isoformat(timespec="seconds"),
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
            scenarios=results,
            interrupted=stop.is_set(),
            fail_on_warn=fail_on_warn,
        )
        if source is not None:
            from auditor.compare import compare_runs

            compared = compare_runs(source.run, run, baseline_file=str(source.file))
            run = run.model_copy(update={"baseline": compared})
        paths = write_outputs(run, options.out_dir)
        outcomes.append(AuditOutcome(run=run, paths=paths, interrupted=stop.is_set()))

    run_scenarios(list(scenarios), options, listener=listener, stop=stop, warm=warm, then=write)
    return outcomes[0]


def merge(dirs: Sequence[Path], out_dir: Path) -> AuditOutcome:
    """Join the outputs of several runs (shards) into one results.json, report and JUnit.

    Refused before anything is written when `out_dir` holds a run this merge would write over: one of
    the parts, or any run but an earlier merge of these same parts (merging again only refreshes it).
    """
    from auditor.compare import merge_baselines
    from auditor.reports import write_outputs
    from auditor.results import RunResult, ScenarioResult, read_results

    runs: list[tuple[Path, RunResult]] = []
    for folder in dirs:
        path = folder / "results.json" if folder.is_dir() else folder
        runs.append((path.parent, read_results(path)))
    if not runs:
        raise AuditorError("nothing to merge", tip="give the output folders of the shards")
    from auditor.reports.outputs import prepare_out_dir

    replacing = _check_merge_out(out_dir, runs)
    prepare_out_dir(out_dir)
    if replacing:  # the earlier merge's copies: a scenario since gone must not keep its files here
        shutil.rmtree(out_dir / "artefacts", ignore_errors=True)
    scenarios: list[ScenarioResult] = []
    seen: set[tuple[str, str]] = set()
    for folder, run in runs:
        for scenario in run.scenarios:
            # A file with a matrix is several scenarios, told apart by their ids; shards may split them.
            identity = (scenario.file, scenario.id)
            if identity in seen:
                shown = scenario.file + (f" ({scenario.name})" if scenario.name else "")
                raise AuditorError(
                    f"{shown} is in more than one of the runs to merge",
                    tip="merge the outputs of disjoint shards (--shard i/n with the same n)",
                )
            seen.add(identity)
            scenarios.append(scenario)
        artefacts = folder / "artefacts"
        if artefacts.is_dir() and folder.resolve() != out_dir.resolve():
            shutil.copytree(artefacts, out_dir / "artefacts", dirs_exist_ok=True)
    # As one run orders them: by file, a matrix's combinations in the order its file expands them.
    scenarios.sort(
        key=lambda s: (Path(s.file).as_posix(), -1 if s.combination is None else s.combination, s.id)
    )
    unbaselined = [(str(folder), r.scenarios) for folder, r in runs if r.baseline is None]
    baseline = merge_baselines((r.baseline for _, r in runs), scenarios, unbaselined=unbaselined)
    # The strict reading: a part run with --fail-on-warn asked that a warning fail the run, so one
    # warning anywhere in the merged run fails it.
    strict = [str(folder) for folder, r in runs if r.fail_on_warn]
    merged = RunResult(
        started=min(r.started for _, r in runs),
        finished=max(r.finished for _, r in runs),
        scenarios=scenarios,
        interrupted=any(getattr(r, "interrupted", False) for _, r in runs),
        baseline=baseline,
        fail_on_warn=bool(strict),
        merged_from=[_relative(folder, out_dir) for folder, _ in runs],
    )
    notes = _baseline_notes(runs, merged)
    if strict and len(strict) < len(runs):
        lax = [str(folder) for folder, r in runs if not r.fail_on_warn]
        notes.append(
            f"--fail-on-warn was given to {', '.join(strict)} but not to {', '.join(lax)}: the merged run "
            "takes the strict reading, and a warning in any part fails it"
        )
    return AuditOutcome(run=merged, paths=write_outputs(merged, out_dir), notes=tuple(notes))


def _relative(folder: Path, out_dir: Path) -> str:
    """A part's folder as seen from the merge's output folder: the pair may move together."""
    return Path(os.path.relpath(folder.resolve(), out_dir.resolve())).as_posix()


def _check_merge_out(out_dir: Path, runs: Sequence[tuple[Path, RunResult]]) -> bool:
    """AuditorError when writing the merge into out_dir would write over a run; True when it replaces an
    earlier merge of these same parts (which merging again only refreshes)."""
    from auditor.compare import RESULTS_NAME, older_merge_of
    from auditor.reports.html import REPORT_NAME
    from auditor.reports.outputs import JUNIT_NAME
    from auditor.reports.summary import SUMMARY_NAME
    from auditor.results import read_results

    parts = [folder for folder, _ in runs]
    target = out_dir.resolve()
    tip = "choose another --out folder: a new or empty one, e.g. --out merged"
    if any(folder.resolve() == target for folder in parts):
        raise AuditorError(
            f"merge --out {out_dir}: {out_dir} is one of the runs to merge, and the merge would write "
            "over its results.json, report.html and junit.xml",
            tip=tip,
        )
    held = [n for n in (RESULTS_NAME, REPORT_NAME, JUNIT_NAME, SUMMARY_NAME) if (out_dir / n).exists()]
    if not held:
        return False  # new, empty, or holding no run's outputs: nothing is written over
    held_run: RunResult | None = None
    try:
        held_run = read_results(out_dir / RESULTS_NAME)
    except AuditorError:
        pass  # unreadable or missing: not known to be a merge, so not ours to write over
    earlier = held_run.merged_from if held_run is not None else None
    joined = {folder.resolve() for folder in parts}
    if isinstance(earlier, list) and {(target / p).resolve() for p in earlier} == joined:
        return True
    if held_run is not None and older_merge_of(held_run, [run for _, run in runs]):
        return True  # written before merged_from existed, recognised by its scenarios
    if isinstance(earlier, list):
        others = ", ".join(os.path.relpath((target / p).resolve()) for p in earlier)
        what = f"the merge of other runs ({others})"
    else:
        what = "another run's outputs"
    raise AuditorError(
        f"merge --out {out_dir}: {out_dir} already holds {what}, and the merge would write over its "
        f"{', '.join(held)}",
        tip=tip + "; or remove that folder first if its run is no longer needed",
    )


def _baseline_notes(runs: Sequence[tuple[Path, RunResult]], merged: RunResult) -> list[str]:
    """What a reader of the merged comparison should know: parts run without --baseline, and parts
    compared with different baselines."""
    baseline = merged.baseline
    if baseline is None:
        return []
    notes = []
    files = list(dict.fromkeys(r.baseline.file for _, r in runs if r.baseline is not None))
    if len(files) > 1:
        notes.append(
            f"the parts were compared with different baselines ({', '.join(files)}); the merged "
            f"results name {files[0]}"
        )
    uncompared = {str(folder) for folder, r in runs if r.baseline is None and r.scenarios}
    if uncompared:
        shown = ", ".join(sorted(uncompared))
        n = sum(len(r.scenarios) for folder, r in runs if str(folder) in uncompared)
        if any(item.part in uncompared for item in baseline.not_compared):
            notes.append(
                f"{shown} ran without --baseline, and the other parts were compared with different "
                f"baselines: the {n} scenario(s) of {shown} are not compared"
            )
        else:
            notes.append(
                f"{shown} ran without --baseline: the merge compared the {n} scenario(s) of {shown} "
                f"with {files[0]}, which the other parts were compared with"
            )
    return notes
