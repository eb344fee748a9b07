"""`checkout-auditor compare OLD NEW`, and the baseline and webhook options of `run`.

compare's exit status: 0 when nothing got worse, 1 when a scenario that passed in OLD does not pass
in NEW (or a scenario new in NEW does not pass), 2 when OLD or NEW cannot be read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.compare import (
    LATEST,
    BaselineSource,
    LatestBaseline,
    LatestChoice,
    compare_runs,
    got_worse,
    load_baseline,
    results_file,
    scenario_keys,
)
from auditor.errors import AuditorError
from auditor.results import RunResult, read_results

if TYPE_CHECKING:
    from auditor.scenario.load import LoadedScenario


def prepare_baseline(
    spec: str | None, out_dir: Path, scenarios: Sequence[LoadedScenario] | None = None
) -> BaselineSource | LatestBaseline | None:
    """Read `--baseline` before anything runs: a bad PATH stops the run (exit 2).

    `latest` depends on the scenarios this run holds (after --tag, -k and --shard): chosen now when they
    are given, else when the run starts (audit() resolves the LatestBaseline). It may find none.
    """
    from auditor.reports.console import print_note

    if spec is None:
        return None
    if spec == LATEST:
        latest = LatestBaseline(out_dir=out_dir, tell=_tell_latest)
        if scenarios is None:
            return latest
        return latest.choose(scenario_keys(scenarios), datetime.now(UTC))
    source = load_baseline(spec, out_dir)
    if source is not None:
        print_note(f"comparing with {source.file}")
    return source


# How many of the newer runs passed over are named; CI keeps many shards' folders side by side.
SHOWN_PASSED_OVER = 5


def _tell_latest(choice: LatestChoice, root: Path, scenarios: int) -> None:
    """Which run `--baseline latest` took, and why each newer one was not taken."""
    from auditor.reports.console import print_note

    if choice.source is not None:
        why = (
            " (--baseline latest: the newest run that finished before this one started and holds any "
            "of its scenarios)"
        )
        print_note(f"comparing with {choice.source.file}" + (why if choice.passed_over else ""))
    elif not scenarios:
        print_note("--baseline latest: this run holds no scenario (an empty shard), nothing to compare with")
    elif choice.passed_over:
        print_note(
            f"--baseline latest: no earlier run under {root} holds this run's scenarios, nothing to "
            "compare with"
        )
    else:
        # The first run of a schedule has nothing before it: that is no reason to fail it.
        print_note(f"--baseline latest: no earlier run under {root}, nothing to compare with")
    for passed in choice.passed_over[:SHOWN_PASSED_OVER]:
        print_note(f"  passed over {passed.folder}: {passed.why}")
    if len(choice.passed_over) > SHOWN_PASSED_OVER:
        print_note(f"  and {len(choice.passed_over) - SHOWN_PASSED_OVER} older run(s) passed over")


def check_notify_options(urls: Sequence[str], notify_on: str, baseline: str | None) -> None:
    """Refuse webhook options that cannot work, before anything runs."""
    if urls:
        from auditor.notify import check_url

        for url in urls:
            check_url(url)
    if urls and notify_on == "change" and baseline is None:
        raise AuditorError(
            "--notify-on change needs a baseline to compare with",
            tip="add --baseline PATH (an earlier results.json or its folder) or --baseline latest",
        )


def send_notifications(urls: Sequence[str], notify_on: str, run: RunResult, deadline_s: float) -> None:
    """Post to each webhook when `notify_on` says so; a failure is a warning, never the run's exit status."""
    if not urls:
        return
    from auditor.notify import NotifyOn, notify, should_notify
    from auditor.reports.console import print_note, print_warning

    post, why = should_notify(run, NotifyOn(notify_on))
    if not post:
        print_note(f"no notification: {why} (--notify-on {notify_on})")
        return
    for delivery in notify(urls, run, env=os.environ, deadline_s=deadline_s):
        if delivery.ok:
            print_note(f"notified {delivery.url} (HTTP {delivery.status})")
        else:
            print_warning(
                f"the webhook {delivery.url} was not notified: {delivery.problem}; "
                "the run's outputs are written and its exit status is unchanged"
            )


def _read(path: Path) -> tuple[Path, RunResult]:
    file = results_file(path)
    return file, read_results(file)


@click.command("compare")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
def compare(old: Path, new: Path) -> None:
    """Say what changed between two runs (each a results.json or its folder), without running anything.

    Exit status: 0 when nothing got worse, 1 when a scenario that passed in OLD does not pass in NEW
    (or a scenario that is new in NEW does not pass), 2 when OLD or NEW cannot be read.
    """
    from auditor.reports.console import print_changes, print_note

    if any(str(p) == LATEST and not p.exists() for p in (old, new)):
        raise AuditorError("compare takes two runs", tip="give two results.json files or run folders")
    old_file, old_run = _read(old)
    new_file, new_run = _read(new)
    baseline = compare_runs(old_run, new_run, baseline_file=str(old_file))
    print_note(f"{new_file} against {old_file}")
    print_changes(baseline)
    sys.exit(1 if got_worse(baseline) else 0)
