"""`run -k`, `--var`/`--env-file` and `--fail-on-warn`: choosing scenarios and what a warning costs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.audit import keep
from auditor.errors import AuditorError
from auditor.lab import Lab
from auditor.results import CheckResult, RunResult, ScenarioResult, ScenarioStatus, Status
from auditor.scenario.load import load_all

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "scenarios"


def result(*checks: Status, status: ScenarioStatus = ScenarioStatus.PASS) -> ScenarioResult:
    return ScenarioResult(
        name="s",
        file="s.yaml",
        status=status,
        duration_ms=1,
        checks=[CheckResult(id=f"c{i}", status=c, message="m") for i, c in enumerate(checks)],
    )


def test_exit_status_with_and_without_fail_on_warn() -> None:
    warned = RunResult(started="a", finished="b", scenarios=[result(Status.PASS, Status.WARN)])
    clean = RunResult(started="a", finished="b", scenarios=[result(Status.PASS, Status.SKIP)])
    failed = RunResult(started="a", finished="b", scenarios=[result(Status.FAIL, status=ScenarioStatus.FAIL)])
    assert warned.exit_status() == 0 and warned.exit_status(fail_on_warn=True) == 1
    assert clean.exit_status(fail_on_warn=True) == 0
    assert failed.exit_status() == 1 and failed.exit_status(fail_on_warn=True) == 1


def test_keep_matches_name_or_file_in_any_case() -> None:
    scenarios = load_all([BUNDLED], env={"SHOP_URL": "http://shop.test:8000"})
    by_file = keep(scenarios, ["PAYPAL-popup"])
    assert [s.file.name for s in by_file] == ["paypal-popup-opener.yaml"]
    by_name = keep(scenarios, ["meta refresh", "nothing-like-this"])
    assert [s.file.name for s in by_name] == ["mollie-meta-refresh.yaml"]
    assert keep(scenarios, []) == scenarios
    with pytest.raises(AuditorError) as refused:
        keep(scenarios, ["no-such-scenario"])
    assert "no-such-scenario" in refused.value.render()


def auditor(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def test_k_that_matches_nothing_stops_before_any_browser(tmp_path: Path) -> None:
    proc = auditor("run", str(BUNDLED), "-k", "no-such-scenario", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no-such-scenario" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_an_empty_shard_says_so_and_writes_an_empty_run_that_merge_takes(tmp_path: Path) -> None:
    one = BUNDLED / "mollie-meta-refresh.yaml"
    proc = auditor("run", str(one), "--shard", "2/2", "--out", str(tmp_path / "shard2"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "shard 2/2 holds none of the 1 scenario(s)" in proc.stderr and "Traceback" not in proc.stderr
    assert "┏" not in proc.stdout and "0 passed, 0 failed, 0 errored" in proc.stdout
    results = json.loads((tmp_path / "shard2" / "results.json").read_text(encoding="utf-8"))
    assert results["scenarios"] == []
    merged = auditor("merge", str(tmp_path / "shard2"), "--out", str(tmp_path / "merged"))
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert (tmp_path / "merged" / "report.html").is_file()


def test_run_refuses_a_bad_env_file_line(tmp_path: Path) -> None:
    env_file = tmp_path / "audit.env"
    env_file.write_text("SHOP_URL=http://shop.test:8000\nnot a line\n", encoding="utf-8")
    proc = auditor("run", str(BUNDLED), "--env-file", str(env_file), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "audit.env:2" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.browser
def test_fail_on_warn_makes_a_warning_exit_1(tmp_path: Path, lab: Lab) -> None:
    # One bundled scenario, chosen with -k by its file, whose manual return is only a warning;
    # SHOP_URL comes from --var, over an environment that points elsewhere.
    proc = auditor(
        "run",
        str(BUNDLED),
        "-k",
        "REDSYS-MANUAL-RETURN-ALLOWED",
        "--var",
        f"SHOP_URL={lab.url('shop.test').rstrip('/')}",
        "--fail-on-warn",
        "--out",
        str(tmp_path / "out"),
        env={"SHOP_URL": "http://127.0.0.1:9/"},
    )
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert [Path(s["file"]).name for s in results["scenarios"]] == ["redsys-manual-return-allowed.yaml"]
    scenario = results["scenarios"][0]
    checks = {c["id"]: c["status"] for c in scenario["checks"]}
    assert scenario["status"] == "pass" and checks["payment.return"] == "warn", scenario
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_shards_of_a_matrix_file_merge_by_combination(tmp_path: Path) -> None:
    from auditor.audit import merge, shard
    from auditor.results import write_results

    path = tmp_path / "cards.yaml"
    path.write_text(
        "name: c\nbase_url: http://a.test/\nmatrix:\n  card: [visa, amex, jcb]\nsteps: [{goto: /}]\n",
        encoding="utf-8",
    )
    loaded = load_all([path], env={})
    parts = [shard(loaded, i, 2) for i in (1, 2)]
    assert sorted(s.id for part in parts for s in part) == sorted(s.id for s in loaded)
    assert all(part for part in parts)  # one file's combinations are split across the shards
    for i, part in enumerate(parts, start=1):
        run = RunResult(
            started="2026-01-01T00:00:00+00:00",
            finished="2026-01-01T00:00:01+00:00",
            scenarios=[
                ScenarioResult(
                    name=s.scenario.name, file=str(s.file), id=s.id, status=ScenarioStatus.PASS, duration_ms=1
                )
                for s in part
            ],
        )
        write_results(run, tmp_path / f"shard{i}" / "results.json")
    merged = merge([tmp_path / "shard1", tmp_path / "shard2"], tmp_path / "merged")
    assert sorted(s.id for s in merged.run.scenarios) == sorted(s.id for s in loaded)
    with pytest.raises(AuditorError) as refused:
        merge([tmp_path / "shard1", tmp_path / "shard1"], tmp_path / "again")
    assert "more than one of the runs" in refused.value.render()
