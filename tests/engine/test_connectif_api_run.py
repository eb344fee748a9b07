"""connectif.purchase_recorded through the real command line, against the lab and its REST API stand-in.

The bundled connectif-api-*.yaml scenarios run once (two workers); each test reads what one of them
reported, and what the lab's API stand-in was asked. Separate runs show that the lookups never hold a
worker's browser (and that with --retries they do), and that a refused key reaches no output, console
line or trace.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.lab import Lab
from auditor.lab.connectif import STORE_ID, STORE_ID_OTHER

pytestmark = [pytest.mark.browser, pytest.mark.heavy(65)]

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("connectif-api-*.yaml"))
REFUSED_KEY = "lab-key-7f3a:not-the-lab-secret"


def audit(lab: Lab, paths: list[Path], out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SHOP_URL": lab.url("shop.test").rstrip("/"),
        "CONNECTIF_API_URL": lab.api_url,
        "CONNECTIF_API_KEY": lab.api_key,
    }
    return subprocess.run(
        [sys.executable, "-m", "auditor", "run", *map(str, paths), "--out", str(out), *options],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )


class Run:
    """One CLI run's outputs and the lab's ground truth."""

    def __init__(self, proc: subprocess.CompletedProcess[str], out: Path, lab: Lab):
        self.proc = proc
        self.out = out
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        self.by_file = {Path(s["file"]).name: s for s in results["scenarios"]}
        self.api_log = lab.api_requests()
        self.events = lab.events()

    def scenario(self, name: str) -> dict[str, Any]:
        return self.by_file[name]

    def check(self, name: str) -> dict[str, Any]:
        return next(c for c in self.scenario(name)["checks"] if c["id"] == "connectif.purchase_recorded")

    def asked(self, purchase_id: str) -> list[dict[str, Any]]:
        return [r for r in self.api_log if r.get("purchase_id") == purchase_id]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    out = tmp_path_factory.mktemp("api") / "out"
    with Lab() as lab:
        proc = audit(lab, BUNDLED, out, "--workers", "2")
        run = Run(proc, out, lab)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # some fail on purpose; no tool error
    assert "Traceback" not in proc.stderr
    yield run


def test_every_api_scenario_ran(bundled: Run) -> None:
    assert set(bundled.by_file) == {p.name for p in BUNDLED} and len(BUNDLED) == 8


def test_recorded_after_a_404_with_the_tags_values(bundled: Run) -> None:
    scenario = bundled.scenario("connectif-api-recorded.yaml")
    check = bundled.check("connectif-api-recorded.yaml")
    assert scenario["status"] == "pass" and check["status"] == "pass", check["message"]
    api = scenario["connectif_api"]
    statuses = [x["status"] for x in api["lookups"]]
    assert statuses[0] == 404 and statuses[-1] == 200  # stored asynchronously, 2.5 s after it arrived
    assert api["purchase"]["purchaseId"] == api["purchase_id"] == scenario["cn_purchase"]["purchase_id"]
    assert api["purchase"]["totalPrice"] == 89.9
    assert "agree with the tag" in check["message"]
    # asked by the auditor's process, with the lab key, never faster than once a second (start to start)
    asked = bundled.asked(api["purchase_id"])
    assert [r["status"] for r in asked] == statuses and {r["key"] for r in asked} == {"lab"}
    assert all(b["at_ms"] - a["at_ms"] >= 999 for a, b in itertools.pairwise(api["lookups"]))
    # the first lookup comes after the tracking request that carried the purchase
    tracking = [e for e in bundled.events if e["kind"] == "tracking" and _carries(e, api["purchase_id"])]
    assert tracking and datetime.fromisoformat(tracking[0]["received"]).timestamp() < asked[0]["at"]


def _carries(entry: dict[str, Any], purchase_id: str) -> bool:
    return any((e.get("purchase") or {}).get("purchaseId") == purchase_id for e in entry.get("events") or [])


def test_sent_from_an_unauthorised_domain_is_discarded_and_the_domain_named(bundled: Run) -> None:
    name = "connectif-api-unauthorised-domain.yaml"
    scenario = bundled.scenario(name)
    checks = {c["id"]: c for c in scenario["checks"]}
    assert checks["connectif.purchase_sent"]["status"] == "pass"  # the browser did send it
    check = checks["connectif.purchase_recorded"]
    assert check["status"] == "fail"
    assert "The browser sent purchase" in check["message"]
    assert "the domain www.shop.test is not among the web channel's authorised domains" in check["message"]
    assert check["evidence"]["sent_from"] == "www.shop.test"
    assert {x["status"] for x in scenario["connectif_api"]["lookups"]} == {404}
    purchase_id = scenario["connectif_api"]["purchase_id"]
    tracked = [e for e in bundled.events if e["kind"] == "tracking" and _carries(e, purchase_id)]
    assert tracked and "www.shop.test is not an authorised domain" in tracked[0]["discarded"][0]


def test_another_stores_script_names_both_stores(bundled: Run) -> None:
    check = bundled.check("connectif-api-other-store-script.yaml")
    assert check["status"] == "fail"
    assert f"script for store {STORE_ID_OTHER}" in check["message"]
    assert f"other pages use store {STORE_ID}" in check["message"]
    assert check["evidence"]["store_ids"]["confirmation_page"] == [STORE_ID_OTHER]


def test_an_api_synced_shop_is_audited_without_a_browser_event(bundled: Run) -> None:
    scenario = bundled.scenario("connectif-api-server-sync.yaml")
    assert scenario["status"] == "pass", [(c["id"], c["message"]) for c in scenario["checks"]]
    events = [e for r in scenario["connectif_requests"] for e in r["events"]]
    assert events and not any(e.get("type") == "purchase" for e in events)  # nothing from the browser
    assert scenario["cn_purchase"] is None
    assert scenario["connectif_api"]["purchase"]["purchaseId"] == scenario["connectif_api"]["purchase_id"]


def test_a_429_is_honoured_then_the_purchase_found(bundled: Run) -> None:
    scenario = bundled.scenario("connectif-api-rate-limited.yaml")
    lookups = scenario["connectif_api"]["lookups"]
    assert lookups[0]["status"] == 429 and lookups[-1]["status"] == 200
    assert lookups[1]["at_ms"] - lookups[0]["at_ms"] >= 1990  # Retry-After: 2
    asked = bundled.asked(scenario["connectif_api"]["purchase_id"])
    assert asked[0]["status"] == 429 and asked[0]["retry_after"] == "2"
    assert asked[1]["at"] - asked[0]["at"] >= 1.95
    assert scenario["status"] == "pass"


def test_a_refused_key_is_an_error_the_browsers_checks_stand(bundled: Run) -> None:
    scenario = bundled.scenario("connectif-api-key-refused.yaml")
    assert scenario["status"] == "error" and scenario["error_kind"] == "connectif-api-refused"
    assert "HTTP 401" in scenario["error"] and "connectif.api.key" in scenario["error"]
    statuses = {c["id"]: c["status"] for c in scenario["checks"]}
    assert statuses.pop("connectif.purchase_recorded") == "skip"
    assert set(statuses.values()) == {"pass"}


def test_a_declined_payment_is_absent_at_the_start_and_at_the_end_of_wait(bundled: Run) -> None:
    scenario = bundled.scenario("connectif-api-declined-absent.yaml")
    assert bundled.check("connectif-api-declined-absent.yaml")["status"] == "pass"
    lookups = scenario["connectif_api"]["lookups"]
    assert [x["status"] for x in lookups] == [404, 404]
    assert lookups[1]["at_ms"] - lookups[0]["at_ms"] >= 2990  # wait: 3s


def test_values_that_differ_from_the_tag_fail(bundled: Run) -> None:
    check = bundled.check("connectif-api-values-differ.yaml")
    assert check["status"] == "fail"
    assert "totalPrice 94.85 (in the tag: 89.9)" in check["message"]


def test_junit_and_the_console_carry_connectif_s_answer(bundled: Run) -> None:
    junit = (bundled.out / "junit.xml").read_text(encoding="utf-8")
    recorded = bundled.scenario("connectif-api-recorded.yaml")["connectif_api"]["purchase_id"]
    assert f"connectif api: Connectif stored purchase {recorded}" in junit
    assert "connectif.purchase_recorded: The browser sent purchase" in junit  # a failure's message
    assert f"Connectif API: {recorded} stored" in bundled.proc.stdout
    assert "Connectif API: the key was refused (HTTP 401)" in bundled.proc.stdout


def test_a_refused_key_reaches_no_output_console_line_or_trace(tmp_path: Path) -> None:
    text = (ROOT / "scenarios/connectif-api-key-refused.yaml").read_text(encoding="utf-8")
    # Without a secrets block --trace needs no --trace-secrets: the API key alone must never be recorded.
    text = text.replace("secrets:\n  card: ${SANDBOX_CARD:-4242424242424242}\n", "")
    text = text.replace(
        "  email: audit+{{run_id}}@example.com\n", "  email: x@example.com\n  card: '4242424242424242'\n"
    )
    assert REFUSED_KEY in text and "secrets:" not in text
    path = tmp_path / "refused.yaml"
    path.write_text(text, encoding="utf-8")
    with Lab() as lab:
        proc = audit(lab, [path], tmp_path / "out", "--trace", "on", "--screenshot", "on")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["scenarios"][0]["error_kind"] == "connectif-api-refused"
    secret = REFUSED_KEY.split(":", 1)[1]
    assert "HTTP 401" in proc.stdout
    assert secret not in proc.stdout and secret not in proc.stderr
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert any(p.suffix == ".zip" for p in files), "no trace was written"
    for file in files:
        assert secret.encode() not in file.read_bytes(), file
        if file.suffix == ".zip":
            with zipfile.ZipFile(file) as archive:
                for member in archive.namelist():
                    assert secret.encode() not in archive.read(member), f"{file}:{member}"


def _long_wait(tmp_path: Path) -> Path:
    """The unauthorised-domain scenario, asking Connectif for 20 s after its browser part."""
    text = (ROOT / "scenarios/connectif-api-unauthorised-domain.yaml").read_text(encoding="utf-8")
    path = tmp_path / "slow-lookups.yaml"
    path.write_text(text.replace("    wait: 4s\n", "    wait: 20s\n"), encoding="utf-8")
    return path


def _tracked_at(run: Run, page_mark: str) -> list[float]:
    """When the tracking stand-in heard pages whose URL holds `page_mark`."""
    return sorted(
        datetime.fromisoformat(e["received"]).timestamp()
        for e in run.events
        if e["kind"] == "tracking" and page_mark in (e.get("page_url") or "")
    )


SECOND = ROOT / "scenarios/connectif-api-server-sync.yaml"  # its first page: /?platform=stripe&fault=api-sync


def test_the_lookups_do_not_hold_the_workers_browser(tmp_path: Path) -> None:
    # One worker: while the first scenario's lookups run, the next scenario's browser is already at work.
    first = _long_wait(tmp_path)
    with Lab() as lab:
        proc = audit(lab, [first, SECOND], tmp_path / "out", "--workers", "1")
        run = Run(proc, tmp_path / "out", lab)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lookups = run.asked(run.scenario(first.name)["connectif_api"]["purchase_id"])
    assert len(lookups) >= 10
    second = _tracked_at(run, "fault=api-sync")
    assert second, "the second scenario never reached the shop"
    assert lookups[0]["at"] < second[0] < lookups[-1]["at"], "the next scenario waited for the lookups"
    assert run.scenario(SECOND.name)["status"] == "pass"


def test_with_retries_the_worker_waits_for_the_verdict(tmp_path: Path) -> None:
    first = ROOT / "scenarios/connectif-api-unauthorised-domain.yaml"
    with Lab() as lab:
        proc = audit(lab, [first, SECOND], tmp_path / "out", "--workers", "1", "--retries", "1")
        run = Run(proc, tmp_path / "out", lab)
    scenario = run.scenario(first.name)
    assert scenario["attempts"] == 2 and scenario["status"] == "fail"  # the verdict decided the retry
    last_lookup = run.asked(scenario["connectif_api"]["purchase_id"])[-1]["at"]
    second = _tracked_at(run, "fault=api-sync")
    assert second and second[0] > last_lookup
