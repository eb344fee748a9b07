"""`checkout-auditor compare OLD NEW`, and the baseline and webhook options of `run`.

compare's exit status: 0 when nothing got worse, 1 when a scenario that passed in OLD does not pass
in NEW (or a scenario new in NEW does not pass), 2 when OLD or NEW cannot be read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from auditor.compare import LATEST, BaselineSource, compare_runs, got_worse, load_baseline, results_file
from auditor.errors import AuditorError
from auditor.results import RunResult, read_results


def prepare_baseline(spec: str | None, out_dir: Path) -> BaselineSource | None:
    """Read `--baseline` before anything runs: a bad PATH stops the run (exit 2); `latest` may find none."""
    from auditor.reports.console import print_note

    if spec is None:
        return None
    source = load_baseline(spec, out_dir)
    if source is None:
        # The first run of a schedule has nothing before it: that is no reason to fail it.
        print_note(f"--baseline latest: no earlier run under {out_dir.parent}, nothing to compare with")
    else:
        print_note(f"comparing with {source.file}")
    return source


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
