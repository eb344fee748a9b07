"""`run --shard i/n --baseline latest` in CI: the shards of one job run into sibling folders of reports/,
one after the other or side by side, and no shard takes another shard's fresh output as its baseline.

The run under test is a real `checkout-auditor run` against the lab; the earlier runs around it are
results.json files written as runs write them, with the times a CI job would give them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditor.lab import Lab
from auditor.results import RunResult, ScenarioResult, write_results
from tests.engine.labscenario import stripe_scenario

pytestmark = [pytest.mark.browser, pytest.mark.heavy(10)]

NOW = datetime.now(UTC)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "AUDITOR_NOTIFY"))}
    environment["COLUMNS"] = "200"  # one note per line, whatever the paths
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def sc(name: str, status: str = "pass") -> ScenarioResult:
    return ScenarioResult(
        name=name, file=f"scenarios/{name.split(' [')[0]}.yaml", id=name, status=status, duration_ms=1
    )


def earlier_run(folder: Path, *scenarios: ScenarioResult, started: timedelta, took: float = 30) -> Path:
    """A run's results.json that started `started` ago and took `took` seconds."""
    begin = NOW - started
    run = RunResult(
        started=begin.isoformat(timespec="seconds"),
        finished=(begin + timedelta(seconds=took)).isoformat(timespec="seconds"),
        scenarios=list(scenarios),
    )
    write_results(run, folder / "results.json")
    return folder / "results.json"


def two_scenarios(root: Path, lab: Lab) -> None:
    # Sorted by file, a.yaml is dealt to shard 1/2 and b.yaml to shard 2/2.
    for name in ("a", "b"):
        stripe_scenario(root / "scenarios", lab, name)


def results_of(folder: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return data


def test_shard_2_takes_last_nights_merge_not_shard_1_of_the_same_job(lab: Lab, tmp_path: Path) -> None:
    two_scenarios(tmp_path, lab)
    reports = tmp_path / "reports"
    # Last night's merge of both shards, where b failed; and shard 1 of this job, finished seconds ago.
    earlier_run(reports / "nightly", sc("a"), sc("b", "fail"), started=timedelta(days=1))
    earlier_run(reports / "shard-1", sc("a"), started=timedelta(seconds=40), took=35)

    proc = cli(
        "run", "scenarios", "--shard", "2/2", "--out", "reports/shard-2", "--baseline", "latest", cwd=tmp_path
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    baseline = results_of(reports / "shard-2")["baseline"]
    assert isinstance(baseline, dict)
    assert baseline["file"] == str(Path("reports/nightly/results.json"))
    # b is compared with its verdict of last night (not "new"), a is the other shard's.
    assert [(c["name"], c["change"], c["was"]) for c in baseline["changes"]] == [("b", "fixed", "fail")]
    assert [n["name"] for n in baseline["not_run"]] == ["a"]
    out = " ".join(proc.stdout.split())
    assert f"comparing with {Path('reports/nightly/results.json')} (--baseline latest: the newest run" in out
    assert (
        f"passed over {Path('reports/shard-1')}: it holds none of this run's 1 scenario(s) (another "
        "shard's output, or a run of other scenarios)"
    ) in out


def test_the_first_night_shard_2_has_no_baseline_rather_than_shard_1(lab: Lab, tmp_path: Path) -> None:
    two_scenarios(tmp_path, lab)
    reports = tmp_path / "reports"
    earlier_run(reports / "shard-1", sc("a"), started=timedelta(seconds=40), took=35)
    (reports / "shard-3").mkdir()  # a shard still running side by side: no results.json yet

    proc = cli(
        "run", "scenarios", "--shard", "2/2", "--out", "reports/shard-2", "--baseline", "latest", cwd=tmp_path
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert results_of(reports / "shard-2")["baseline"] is None
    out = " ".join(proc.stdout.split())
    assert (
        "--baseline latest: no earlier run under reports holds this run's scenarios, nothing to compare with"
        in out
    )
    assert f"passed over {Path('reports/shard-1')}: it holds none of this run's 1 scenario(s)" in out


def test_an_empty_shard_takes_no_baseline(lab: Lab, tmp_path: Path) -> None:
    # Three shards for two scenarios: shard 3 holds none. Compared with anything, it would only list
    # the baseline's scenarios as not run, and a merge would see the parts compared with different runs.
    two_scenarios(tmp_path, lab)
    earlier_run(tmp_path / "reports" / "nightly", sc("a"), sc("b"), started=timedelta(days=1))

    proc = cli(
        "run", "scenarios", "--shard", "3/3", "--out", "reports/shard-3", "--baseline", "latest", cwd=tmp_path
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert results_of(tmp_path / "reports" / "shard-3")["baseline"] is None
    assert (
        "--baseline latest: this run holds no scenario (an empty shard), nothing to compare with"
        in proc.stdout
    )


def test_the_same_shard_of_an_earlier_job_is_taken_over_newer_sibling_shards(tmp_path: Path) -> None:
    """Without a merge, shard 2 takes shard 2 of the job before, passing over every newer shard 1; a
    matrix file split between shards is told apart by its combinations' names."""
    from auditor.compare import choose_latest  # here: the runs above fail on their own on older code

    reports = tmp_path / "reports"
    card = ("scenarios/card.yaml", "card [card=visa]")
    earlier_run(reports / "old-2", sc("b", "fail"), sc("card [card=visa]"), started=timedelta(hours=25))
    earlier_run(reports / "old-1", sc("a"), sc("card [card=amex]"), started=timedelta(hours=24))
    earlier_run(reports / "new-1", sc("a"), sc("card [card=amex]"), started=timedelta(seconds=40), took=35)
    # A run holding b whose results.json says it ended after this run began: no earlier run.
    earlier_run(reports / "future", sc("b"), started=timedelta(seconds=20), took=60)
    started = NOW - timedelta(seconds=2)

    choice = choose_latest(
        reports, exclude=reports / "new-2", scenarios=[("scenarios/b.yaml", "b"), card], started=started
    )

    assert choice.source is not None and choice.source.file == reports / "old-2" / "results.json"
    assert [(p.folder.name, p.why.split(":")[0]) for p in choice.passed_over] == [
        ("future", "it finished after this run started"),
        (
            "new-1",
            "it holds none of this run's 2 scenario(s) (another shard's output, or a run of other scenarios)",
        ),
        (
            "old-1",
            "it holds none of this run's 2 scenario(s) (another shard's output, or a run of other scenarios)",
        ),
    ]
