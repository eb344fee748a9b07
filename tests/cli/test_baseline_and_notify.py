"""`run --baseline`, `compare` and `run --notify` through the real command line, against the lab.

Two runs of the same scenario files, whose verdicts are flipped between the runs with the lab's
fault switches, give every change kind; a webhook receiver on loopback gets the notification.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.lab import Lab
from tests.engine.labscenario import stripe_scenario
from tests.reports.htmltree import parse
from tests.webhook_receiver import Receiver, webhook_receiver

pytestmark = [pytest.mark.browser, pytest.mark.heavy(50)]

# scenario → lab fault in the first run, in the second run (None: not in that run)
PLAN = {
    "breaks": ("none", "tag-absent"),  # new-failure
    "stays-broken": ("tag-comma", "tag-missing-field"),  # still-failing
    "gets-fixed": ("tag-absent", "none"),  # fixed
    "stays-fine": ("none", "none"),  # unchanged
    "is-new": (None, "none"),  # new
    "goes-away": ("none", None),  # not run the second time
}
TALLY = "1 new failure, 1 still failing, 1 fixed, 1 new, 1 unchanged"
EXPECTED = {
    "breaks": ("new-failure", "pass", "fail"),
    "stays-broken": ("still-failing", "fail", "fail"),
    "gets-fixed": ("fixed", "fail", "pass"),
    "stays-fine": ("unchanged", "pass", "pass"),
    "is-new": ("new", None, "pass"),
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "AUDITOR_NOTIFY"))}
    environment.update(env or {})
    environment["COLUMNS"] = "200"  # one table row per line, whatever the names
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write_scenarios(folder: Path, lab: Lab, run: int) -> None:
    for old in folder.glob("*.yaml"):
        old.unlink()
    for name, faults in PLAN.items():
        fault = faults[run]
        if fault is not None:
            stripe_scenario(folder, lab, name, fault=fault, tags="lab")


def every_byte_under(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for path in folder.rglob("*"):
        if path.is_file():
            yield path, path.read_bytes()


def two_runs(lab: Lab, root: Path) -> dict[str, object]:
    """Run 1, then run 2 with `--baseline latest` and a webhook; everything the checks look at."""
    scenarios = root / "scenarios"
    write_scenarios(scenarios, lab, 0)
    first = cli("run", "scenarios", "--out", "reports/run-1", "--workers", "2", cwd=root)
    assert first.returncode == 1, first.stdout + first.stderr
    write_scenarios(scenarios, lab, 1)
    token = "hook" + uuid.uuid4().hex
    with webhook_receiver() as receiver:
        second = cli(
            "run",
            "scenarios",
            "--out",
            "reports/run-2",
            "--workers",
            "2",
            "--baseline",
            "latest",
            "--notify",
            receiver.url("ok", token),
            "--notify-on",
            "change",
            cwd=root,
        )
        posts = list(receiver.requests)
    return {
        "root": root,
        "first": first,
        "second": second,
        "token": token,
        "posts": posts,
        "base": receiver.base,
    }


def check_results_json_carries_every_change_kind(runs: dict[str, object]) -> None:
    second = runs["second"]
    root = runs["root"]
    assert isinstance(second, subprocess.CompletedProcess) and isinstance(root, Path)
    assert second.returncode == 1, (
        second.stdout + second.stderr
    )  # a check failed; the webhook changes nothing
    results = json.loads((root / "reports" / "run-2" / "results.json").read_text(encoding="utf-8"))
    baseline = results["baseline"]
    assert Path(baseline["file"]) == Path("reports/run-1/results.json")
    changes = {c["name"]: (c["change"], c["was"], c["now"]) for c in baseline["changes"]}
    assert changes == EXPECTED
    assert {c["file"] for c in baseline["changes"]} == {f"scenarios/{n}.yaml" for n in EXPECTED}
    assert [c["change"] for c in baseline["changes"]] == [
        "new-failure",
        "still-failing",
        "fixed",
        "new",
        "unchanged",
    ]
    assert baseline["not_run"] == [{"name": "goes-away", "file": "scenarios/goes-away.yaml", "was": "pass"}]
    statuses = {s["name"]: s["status"] for s in results["scenarios"]}
    assert statuses == {name: now for name, (_, _, now) in EXPECTED.items()}


def check_the_console_shows_the_changes_first(runs: dict[str, object]) -> None:
    second = runs["second"]
    assert isinstance(second, subprocess.CompletedProcess)
    lines = second.stdout.splitlines()
    assert "comparing with reports/run-1/results.json" in lines[0]
    start = next(i for i, line in enumerate(lines) if line.startswith("changes since "))
    assert lines[start] == (
        "changes since reports/run-1/results.json: "
        "1 new failure, 1 still failing, 1 fixed, 1 new, 1 unchanged"
    )
    moved = [line.split() for line in lines[start + 1 : start + 6]]
    assert moved == [
        ["NEW", "FAILURE", "breaks", "pass", "→", "fail"],
        ["STILL", "FAILING", "stays-broken", "fail", "→", "fail"],
        ["FIXED", "gets-fixed", "fail", "→", "pass"],
        ["NEW", "is-new", "—", "→", "pass"],
        ["not", "run", "this", "time", "(1):", "goes-away"],
    ]
    table = next(i for i, line in enumerate(lines) if "status" in line and "scenario" in line)
    assert start < table  # the changes come before the table of verdicts
    assert any(line.startswith("summary: ") and line.endswith("summary.md") for line in lines)


def check_summary_md_lists_the_changes_and_the_failures(runs: dict[str, object]) -> None:
    root = runs["root"]
    assert isinstance(root, Path)
    text = (root / "reports" / "run-2" / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("## Checkout audit: 2 of 5 scenarios did not pass\n")
    assert f"Compared with reports/run-1/results.json: {TALLY}." in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and " → " not in line]
    assert "| 🔴 new failure | breaks | pass | fail |" in rows
    assert "| 🟠 still failing | stays-broken | fail | fail |" in rows
    assert "| 🟢 fixed | gets-fixed | fail | pass |" in rows
    assert "| 🆕 new | is-new | — | pass |" in rows
    assert not any("stays-fine" in row for row in rows)  # unchanged: counted, not listed
    assert "Not run this time (1; removed, filtered out or in another shard): goes-away." in text
    breaks = text.split("#### ✗ breaks\n")[1].split("####")[0]
    assert "- `cn_purchase.present`:" in breaks
    assert "What to do:" in breaks
    assert "[in the report](report.html#s-breaks)" in breaks


def check_the_report_opens_with_the_changed_since_panel(runs: dict[str, object]) -> None:
    root = runs["root"]
    assert isinstance(root, Path)
    doc = parse((root / "reports" / "run-2" / "report.html").read_text(encoding="utf-8"))
    main = doc.find("main")
    first = next(c for c in main.children if not isinstance(c, str))
    assert first.attrs.get("id") == "changes"
    items = {li.attrs["data-change"]: li for li in first.find_all("li", cls="change")}
    assert set(items) == {"new-failure", "still-failing", "fixed", "new"}
    assert items["new-failure"].find("a").attrs["href"] == "#s-breaks"
    assert doc.find_all(id="s-breaks")
    counts = {s.attrs["data-change-count"]: s.words() for s in first.find_all("span", cls="ch-count")}
    assert counts == {
        "new-failure": "1 new failure",
        "still-failing": "1 still failing",
        "fixed": "1 fixed",
        "new": "1 new",
        "unchanged": "1 unchanged",
    }
    assert "goes-away" in first.find("p", cls="not-run").words()


def check_the_webhook_got_one_post_with_the_summary(runs: dict[str, object]) -> None:
    posts = runs["posts"]
    token = runs["token"]
    assert isinstance(posts, list) and isinstance(token, str)
    [got] = posts
    assert got.path == f"/ok/{token}?secret={token}"
    body = got.json()
    assert body["counts"] == {"pass": 3, "fail": 2, "error": 0, "flaky": 0, "total": 5}
    assert {c["name"]: c["change"] for c in body["baseline"]["changes"]} == {
        n: k for n, (k, _, _) in EXPECTED.items()
    }
    assert {f["name"] for f in body["failing"]} == {"breaks", "stays-broken"}
    assert body["text"].splitlines()[:4] == [
        "Checkout audit: 2 of 5 scenarios did not pass (3 passed, 2 failed, 0 errored).",
        "Since the baseline: 1 new failure, 1 still failing, 1 fixed, 1 new, 1 not run this time.",
        "• new failure: breaks",
        "• fixed: gets-fixed",
    ]
    second = runs["second"]
    assert isinstance(second, subprocess.CompletedProcess)
    assert f"notified {runs['base']}/••• (HTTP 200)" in second.stdout


def check_the_webhook_token_is_in_no_output(runs: dict[str, object]) -> None:
    token = runs["token"]
    root = runs["root"]
    second = runs["second"]
    assert (
        isinstance(token, str) and isinstance(root, Path) and isinstance(second, subprocess.CompletedProcess)
    )
    files = list(every_byte_under(root / "reports"))
    assert {p.name for p, _ in files} >= {
        "results.json",
        "summary.md",
        "report.html",
        "junit.xml",
        "index.html",
    }
    for path, data in files:
        assert token.encode() not in data, path
    assert token not in second.stdout and token not in second.stderr


def check_compare_says_the_same_without_running_anything(runs: dict[str, object]) -> None:
    root = runs["root"]
    assert isinstance(root, Path)
    worse = cli("compare", "reports/run-1", "reports/run-2/results.json", cwd=root, timeout=60)
    assert worse.returncode == 1, worse.stdout + worse.stderr
    lines = worse.stdout.splitlines()
    assert lines[0] == "reports/run-2/results.json against reports/run-1/results.json"
    assert lines[1] == f"changes since reports/run-1/results.json: {TALLY}"
    assert lines[2].split() == ["NEW", "FAILURE", "breaks", "pass", "→", "fail"]
    backwards = cli("compare", "reports/run-2", "reports/run-1", cwd=root, timeout=60)
    assert backwards.returncode == 1  # gets-fixed passes in run 2 and fails in run 1
    assert backwards.stdout.splitlines()[1].endswith(f": {TALLY}")  # goes-away is the new one now
    assert backwards.stdout.splitlines()[2].split() == ["NEW", "FAILURE", "gets-fixed", "pass", "→", "fail"]
    same = cli("compare", "reports/run-1", "reports/run-1", cwd=root, timeout=60)
    assert same.returncode == 0, same.stdout + same.stderr
    assert (
        same.stdout.splitlines()[1]
        == "changes since reports/run-1/results.json: 2 still failing, 3 unchanged"
    )
    missing = cli("compare", "reports/run-1", "reports/nowhere", cwd=root, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert not (root / "reports" / "nowhere").exists()


def test_two_runs_with_a_baseline_and_a_webhook(lab: Lab, tmp_path: Path) -> None:
    """One pair of runs for every check below: a browser run is too dear to repeat per assertion."""
    runs = two_runs(lab, tmp_path)
    check_results_json_carries_every_change_kind(runs)
    check_the_console_shows_the_changes_first(runs)
    check_summary_md_lists_the_changes_and_the_failures(runs)
    check_the_report_opens_with_the_changed_since_panel(runs)
    check_the_webhook_got_one_post_with_the_summary(runs)
    check_the_webhook_token_is_in_no_output(runs)
    check_compare_says_the_same_without_running_anything(runs)


def test_a_failing_webhook_costs_the_run_nothing_but_a_warning(
    lab: Lab, tmp_path: Path, receiver: Receiver
) -> None:
    stripe_scenario(tmp_path / "scenarios", lab, "clean")
    token = "hook" + uuid.uuid4().hex
    started = time.monotonic()
    proc = cli(
        "run",
        "scenarios",
        "--out",
        "out",
        "--notify",
        receiver.url("fail", token),
        "--notify",
        receiver.url("hang", token),
        "--notify",
        receiver.url("ok", token),
        "--notify-on",
        "always",
        "--notify-timeout",
        "5",
        cwd=tmp_path,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the scenario passed: the webhooks change nothing
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: the webhook {receiver.base}/••• was not notified: HTTP 500 Internal Server Error after 4 "
        "attempts; the run's outputs are written and its exit status is unchanged",
        f"warning: the webhook {receiver.base}/••• was not notified: no answer within 5 s; the run's outputs "
        "are written and its exit status is unchanged",
    ]
    assert (
        len(receiver.posts("fail")) == 4
        and len(receiver.posts("hang")) == 1
        and len(receiver.posts("ok")) == 1
    )
    for name in ("results.json", "report.html", "junit.xml", "summary.md"):
        assert (tmp_path / "out" / name).is_file()
    for _, data in every_byte_under(tmp_path / "out"):
        assert token.encode() not in data
    assert token not in proc.stdout + proc.stderr
    assert elapsed < 120  # bounded by the deadlines, not by the hanging server


def test_the_webhook_url_can_come_from_the_environment(lab: Lab, tmp_path: Path, receiver: Receiver) -> None:
    stripe_scenario(tmp_path / "scenarios", lab, "broken", fault="tag-absent")
    token = "hook" + uuid.uuid4().hex
    proc = cli(
        "run", "scenarios", "--out", "out", cwd=tmp_path, env={"AUDITOR_NOTIFY": receiver.url("ok", token)}
    )
    assert proc.returncode == 1
    [got] = receiver.posts("ok")  # --notify-on failure, the default
    assert "cn_purchase.present" in got.json()["failing"][0]["failed_checks"]
    assert token not in proc.stdout + proc.stderr


def test_a_passing_run_does_not_notify_on_failure(lab: Lab, tmp_path: Path, receiver: Receiver) -> None:
    stripe_scenario(tmp_path / "scenarios", lab, "clean")
    proc = cli("run", "scenarios", "--out", "out", "--notify", receiver.url("ok", "t"), cwd=tmp_path)
    assert proc.returncode == 0
    assert receiver.requests == []
    assert "no notification: every scenario passed (--notify-on failure)" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--baseline", "nowhere"], "--baseline nowhere: nowhere does not exist"),
        (["--notify", "ftp://hooks.example/T0KEN"], "--notify ftp://hooks.example/••• is not a webhook URL"),
        (
            ["--notify", "http://127.0.0.1:9/T0KEN", "--notify-on", "change"],
            "--notify-on change needs a baseline",
        ),
    ],
)
def test_bad_options_stop_the_run_before_it_starts(
    tmp_path: Path, lab: Lab, args: list[str], message: str
) -> None:
    stripe_scenario(tmp_path / "scenarios", lab, "clean")
    proc = cli("run", "scenarios", "--out", "out", *args, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "T0KEN" not in proc.stderr + proc.stdout
    assert not (tmp_path / "out").exists()


def test_baseline_latest_with_no_earlier_run_is_a_note_not_an_error(lab: Lab, tmp_path: Path) -> None:
    stripe_scenario(tmp_path / "scenarios", lab, "clean")
    proc = cli("run", "scenarios", "--out", "reports/first", "--baseline", "latest", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "--baseline latest: no earlier run under reports, nothing to compare with" in proc.stdout
    results = json.loads((tmp_path / "reports" / "first" / "results.json").read_text(encoding="utf-8"))
    assert results["baseline"] is None
