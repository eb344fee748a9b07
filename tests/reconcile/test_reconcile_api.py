"""reconcile --connectif-api against the lab's REST API stand-in: thousands of ids, 429 storms, resuming.

Every run is the real command in its own process; what it asked is read from the stand-in's request log.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import AuditorError
from auditor.lab import Lab
from auditor.reconcile.api import CACHE_NAME, LookupCache

STATUSES = ("completed",) * 8 + ("cancelled", "pending")
METHODS = ("card", "paypal", "redsys")


@pytest.fixture(autouse=True)
def fresh(lab: Lab) -> None:
    lab.reset()


def orders(folder: Path, n: int) -> tuple[Path, list[str], set[str]]:
    """n orders (every 7th redsys one lost, some not sales): the file, the ids, and the stored ones."""
    path = folder / "orders.csv"
    ids = [f"WEB-{i:06d}" for i in range(n)]
    stored: set[str] = set()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "status", "payment_method", "total"])
        for i, order in enumerate(ids):
            method = METHODS[i % 3]
            writer.writerow([order, STATUSES[i % 10], method, f"{10 + i % 50},00"])
            if not (method == "redsys" and i % 7 == 0):
                stored.add(order)
    return path, ids, stored


def seed(lab: Lab, ids: set[str]) -> None:
    for order in ids:
        lab.purchases_api.create({"purchaseId": order, "totalPrice": 1, "totalQuantity": 1, "products": []})


def command(lab: Lab, *args: str) -> list[str]:
    return [sys.executable, "-m", "auditor", "reconcile", "--connectif-api-url", lab.api_url, *args]


def env(lab: Lab, key: str | None = None) -> dict[str, str]:
    return {**os.environ, "CONNECTIF_API_KEY": key or lab.api_key, "COLUMNS": "200"}


def reconcile(lab: Lab, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(lab, *args), env=env(lab, key), capture_output=True, text=True, timeout=600, check=False
    )


def figures(out: Path) -> dict[str, Any]:
    """reconcile.json without what names the purchases' source."""
    data = json.loads((out / "reconcile.json").read_text(encoding="utf-8"))
    for key in ("purchases_file", "connectif_api"):
        data.pop(key)
    return data


def asked(log: list[dict[str, Any]]) -> Counter[str]:
    """How many answers other than 429 each id got."""
    return Counter(r["purchase_id"] for r in log if "purchase_id" in r and r["status"] != 429)


def test_thousands_of_ids_give_the_outputs_an_export_gives(lab: Lab, tmp_path: Path) -> None:
    path, ids, stored = orders(tmp_path, 3000)
    seed(lab, stored)
    export = tmp_path / "purchases.csv"
    export.write_text("purchase_id\n" + "\n".join(sorted(stored)) + "\n", encoding="utf-8")
    by_api = reconcile(lab, "--orders", str(path), "--connectif-api", "--out", str(tmp_path / "api"))
    assert by_api.returncode == 1, by_api.stdout + by_api.stderr  # some orders are lost
    by_export = reconcile(
        lab, "--orders", str(path), "--purchases", str(export), "--out", str(tmp_path / "csv")
    )
    assert by_export.returncode == 1
    assert figures(tmp_path / "api") == figures(tmp_path / "csv")
    assert (tmp_path / "api" / "missing.csv").read_bytes() == (tmp_path / "csv" / "missing.csv").read_bytes()
    data = json.loads((tmp_path / "api" / "reconcile.json").read_text(encoding="utf-8"))
    assert data["connectif_api"]["ids"] == 3000 and data["connectif_api"]["found"] == len(stored)
    assert data["purchases_file"]["path"].startswith("Connectif's API (")
    assert data["lost"] > 0 and "redsys" in by_api.stdout
    # every id asked exactly once, with the lab key, never the key's text in the log
    assert asked(lab.api_requests()) == Counter(ids)
    assert {r["key"] for r in lab.api_requests()} == {"lab"}
    lines = (tmp_path / "api" / CACHE_NAME).read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"connectif_lookups": 1, "url": lab.api_url} and len(lines) == 3001


def test_a_429_storm_is_honoured(lab: Lab, tmp_path: Path) -> None:
    path, ids, stored = orders(tmp_path, 2000)
    seed(lab, stored)
    lab.purchases_api.rate_limit(150, window_s=1.0)
    concurrency = 8
    result = reconcile(
        lab,
        "--orders",
        str(path),
        "--connectif-api",
        "--api-concurrency",
        str(concurrency),
        "--out",
        str(tmp_path / "o"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    log = lab.api_requests()
    limited = [r for r in log if r["status"] == 429]
    assert limited, "the storm never came"
    assert asked(log) == Counter(ids)  # every id answered once, after as many 429s as it took
    data = json.loads((tmp_path / "o" / "reconcile.json").read_text(encoding="utf-8"))
    assert data["connectif_api"]["rate_limited"] == len(limited)
    assert data["matched"] == len(stored) - _not_sales(ids, stored)
    # After a 429, only lookups already past the gate may arrive before its Retry-After is over.
    times = sorted(r["at"] for r in log)
    for entry in limited:
        quiet_until = entry["at"] + float(entry["retry_after"]) - 0.1
        inside = [t for t in times if entry["at"] < t < quiet_until]
        assert len(inside) <= concurrency - 1, (entry, len(inside))


def _not_sales(ids: list[str], stored: set[str]) -> int:
    """Stored orders whose status is not a sale (they are set aside, not matched)."""
    return sum(1 for i, order in enumerate(ids) if order in stored and STATUSES[i % 10] != "completed")


def test_an_interrupted_run_resumes_and_asks_only_the_rest(lab: Lab, tmp_path: Path) -> None:
    path, ids, stored = orders(tmp_path, 4000)
    seed(lab, stored)
    out = tmp_path / "o"
    args = command(lab, "--orders", str(path), "--connectif-api", "--out", str(out))
    first = subprocess.Popen(args, env=env(lab), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert lab.purchases_api.wait_for(lambda log: len(log) >= 1500, timeout=300), (
            "the run never got going"
        )
    finally:
        first.kill()  # SIGKILL: no chance to tidy up
        first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL
    cached = {
        json.loads(line)["id"]
        for line in (out / CACHE_NAME).read_text(encoding="utf-8").splitlines()[1:]
        if line
    }
    asked_first = len(lab.api_requests())
    assert 1000 <= len(cached) < len(ids) and asked_first < len(ids)
    assert not (out / "reconcile.json").exists()
    second = reconcile(lab, "--orders", str(path), "--connectif-api", "--out", str(out))
    assert second.returncode == 1, second.stdout + second.stderr
    rest = asked(lab.api_requests()[asked_first:])
    assert set(rest) == set(ids) - cached and set(rest.values()) == {1}  # only the rest, each once
    data = json.loads((out / "reconcile.json").read_text(encoding="utf-8"))
    assert data["connectif_api"]["from_cache"] == len(cached) and data["connectif_api"]["asked"] == len(rest)
    assert data["lost"] == sum(
        1 for i, order in enumerate(ids) if order not in stored and STATUSES[i % 10] == "completed"
    )


def test_ctrl_c_keeps_the_answers_and_says_how_to_resume(lab: Lab, tmp_path: Path) -> None:
    path, _, _ = orders(tmp_path, 3000)
    out = tmp_path / "o"
    args = command(lab, "--orders", str(path), "--connectif-api", "--out", str(out))
    run = subprocess.Popen(args, env=env(lab), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert lab.purchases_api.wait_for(lambda log: len(log) >= 300, timeout=300)
    run.send_signal(signal.SIGINT)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 2, stdout + stderr
    assert "interrupted:" in stderr and "same --out" in stderr and CACHE_NAME in stderr
    answered = (out / CACHE_NAME).read_text(encoding="utf-8").splitlines()[1:]
    assert len(answered) >= 300 and all(json.loads(line)["status"] == 404 for line in answered)


def test_a_refused_key_stops_with_exit_2_and_never_shows_the_key(lab: Lab, tmp_path: Path) -> None:
    path, _, _ = orders(tmp_path, 50)
    result = reconcile(
        lab, "--orders", str(path), "--connectif-api", "--out", str(tmp_path / "o"), key="kid:hush-hush-42"
    )
    assert result.returncode == 2
    assert "HTTP 401" in result.stderr and "check $CONNECTIF_API_KEY." in result.stderr
    assert "connectif.api.key" not in result.stderr  # a scenario's key, which reconcile has none of
    assert "hush-hush" not in result.stdout + result.stderr
    assert not (tmp_path / "o" / "reconcile.json").exists()
    assert len(lab.api_requests()) <= 4  # stopped at once, not after every order


def test_an_unreachable_api_stops_with_exit_2(lab: Lab, tmp_path: Path) -> None:
    path, _, _ = orders(tmp_path, 20)
    result = subprocess.run(
        [sys.executable, "-m", "auditor", "reconcile", "--orders", str(path), "--connectif-api",
         "--connectif-api-url", f"http://127.0.0.1:{lab.closed_port}", "--out", str(tmp_path / "o")],
        env=env(lab), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "could not be reached" in result.stderr
    assert "Check --connectif-api-url:" in result.stderr


def test_both_sources_together(lab: Lab, tmp_path: Path) -> None:
    path, ids, stored = orders(tmp_path, 300)
    half = sorted(stored)[: len(stored) // 2]
    seed(lab, set(sorted(stored)[len(stored) // 2 :]))
    export = tmp_path / "purchases.csv"
    export.write_text("purchase_id\n" + "\n".join(half) + "\n", encoding="utf-8")
    both = reconcile(
        lab,
        "--orders",
        str(path),
        "--purchases",
        str(export),
        "--connectif-api",
        "--out",
        str(tmp_path / "b"),
    )
    assert both.returncode == 1
    data = json.loads((tmp_path / "b" / "reconcile.json").read_text(encoding="utf-8"))
    completed = [o for i, o in enumerate(ids) if STATUSES[i % 10] == "completed"]
    assert data["matched"] == sum(1 for o in completed if o in stored)  # one side or the other has each
    assert data["purchases_file"]["path"].endswith(f"and Connectif's API ({lab.api_url})")


def test_no_source_and_no_key_are_tool_errors(lab: Lab, tmp_path: Path) -> None:
    path, _, _ = orders(tmp_path, 5)
    nothing = reconcile(lab, "--orders", str(path), "--out", str(tmp_path / "o"))
    assert nothing.returncode == 2 and "--purchases" in nothing.stderr and "--connectif-api" in nothing.stderr
    no_key = subprocess.run(
        command(lab, "--orders", str(path), "--connectif-api", "--out", str(tmp_path / "o")),
        env={k: v for k, v in env(lab).items() if k != "CONNECTIF_API_KEY"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert no_key.returncode == 2 and "CONNECTIF_API_KEY" in no_key.stderr
    spaced = reconcile(
        lab, "--orders", str(path), "--connectif-api", "--out", str(tmp_path / "o"), key="kid:a b c"
    )
    assert spaced.returncode == 2 and "cannot be sent" in spaced.stderr
    assert "Traceback" not in spaced.stderr and "a b c" not in spaced.stderr


def test_the_cache_drops_a_half_written_line_and_refuses_another_api(tmp_path: Path) -> None:
    path = tmp_path / CACHE_NAME
    path.write_text(
        '{"connectif_lookups": 1, "url": "http://a"}\n{"id": "1", "status": 200}\n'
        '{"id": "2", "status": 404}\n{"id": "3", "sta',
        encoding="utf-8",
    )
    cache = LookupCache(path, "http://a")
    assert cache.load() == {"1": 200, "2": 404}
    cache.open()
    cache.add("3", 200)
    cache.close()
    assert LookupCache(path, "http://a").load() == {"1": 200, "2": 404, "3": 200}
    with pytest.raises(AuditorError, match="another Connectif API"):
        LookupCache(path, "http://b").load()
