"""One audit run from start to outputs: the library behind `run` and `demo`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from auditor.browser import BrowserChoice
from auditor.errors import AuditorError
from auditor.reports import OutputPaths, write_outputs
from auditor.results import RunResult, ScenarioResult
from auditor.runner import RunOptions, run_scenarios
from auditor.scenario import LoadedScenario, load_all


def new_out_dir(root: Path, prefix: str = "run") -> Path:
    """A fresh, sortable folder under `root` for one run's outputs."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = root / f"{prefix}-{stamp}"
    n = 2
    while candidate.exists():
        candidate = root / f"{prefix}-{stamp}-{n}"
        n += 1
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


@dataclass(frozen=True, kw_only=True)
class AuditOutcome:
    """A finished run and where its outputs are."""

    run: RunResult
    paths: OutputPaths


def audit(
    paths: Sequence[Path],
    *,
    browser: BrowserChoice,
    out_dir: Path,
    base_url: str | None = None,
    tags: Sequence[str] = (),
    workers: int = 1,
    headed: bool = False,
    env: Mapping[str, str] | None = None,
    on_start: Callable[[list[LoadedScenario]], None] | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
    stop: threading.Event | None = None,
) -> AuditOutcome:
    """Load, run and write outputs. Bad scenarios raise before any browser starts."""
    scenarios = select(load_all(paths, env=env, base_url=base_url), tags)
    if on_start:
        on_start(scenarios)
    started = datetime.now(UTC)
    options = RunOptions(browser=browser, out_dir=out_dir, workers=workers, headed=headed)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = run_scenarios(scenarios, options, on_result=on_result, stop=stop)
    run = RunResult(
        started=started.isoformat(timespec="seconds"),
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        scenarios=results,
    )
    return AuditOutcome(run=run, paths=write_outputs(run, out_dir))
