"""Bench: reconcile --connectif-api on 10,000 orders against the lab's REST API stand-in; PASS under 60 s.

The lab runs here; the command runs as a child process, as a person would start it, and its wall time
is measured from start to exit (Python's start-up and the outputs included).

    .venv/bin/python bench/bench_reconcile_api.py [--orders N] [--concurrency N] [--rate-limit CALLS]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from auditor.lab import Lab

TIME_LIMIT_S = 60.0
METHODS = ("card", "paypal", "redsys", "bizum")


def write_orders(folder: Path, n: int) -> tuple[Path, list[str], set[str]]:
    """n orders; one in five redsys orders never reached Connectif."""
    path = folder / "orders.csv"
    ids = [f"ORD-{i:07d}" for i in range(n)]
    stored = set()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Referencia", "Estado", "Método de pago", "Total"])
        for i, order in enumerate(ids):
            method = METHODS[i % len(METHODS)]
            writer.writerow([order, "completado", method, f"{20 + i % 80},50"])
            if not (method == "redsys" and i % 5 == 2):
                stored.add(order)
    return path, ids, stored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate-limit", type=int, default=None, help="lookups a second the stand-in allows")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Lab() as lab:
        folder = Path(tmp)
        orders, ids, stored = write_orders(folder, args.orders)
        for order in stored:
            lab.purchases_api.create(
                {"purchaseId": order, "totalPrice": 1, "totalQuantity": 1, "products": []}
            )
        if args.rate_limit:
            lab.purchases_api.rate_limit(args.rate_limit, window_s=1.0)
        out = folder / "out"
        command = [
            sys.executable, "-m", "auditor", "reconcile", "--orders", str(orders), "--connectif-api",
            "--connectif-api-url", lab.api_url, "--api-concurrency", str(args.concurrency), "--out", str(out),
        ]  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.run(
            command,
            env={**os.environ, "CONNECTIF_API_KEY": lab.api_key},
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        log = lab.api_requests()
        if proc.returncode not in (0, 1):
            print(proc.stdout + proc.stderr)
            print("FAIL: the command did not finish")
            return 1
        data = json.loads((out / "reconcile.json").read_text(encoding="utf-8"))
    answered = Counter(r["purchase_id"] for r in log if "purchase_id" in r and r["status"] != 429)
    lost = len(ids) - len(stored)
    right = data["lost"] == lost and answered == Counter(ids)
    limited = sum(1 for r in log if r["status"] == 429)
    print(
        f"{len(ids):,} orders, {data['lost']:,} lost (expected {lost:,}), {len(log):,} lookups "
        f"({limited:,} answered 429), concurrency {args.concurrency}: {seconds:.1f} s "
        f"({len(ids) / seconds:,.0f} orders/s)"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    if not right:
        print("FAIL: the figures or the lookups are wrong")
        return 1
    if seconds >= TIME_LIMIT_S:
        print(f"FAIL: {seconds:.1f} s is not under {TIME_LIMIT_S:.0f} s")
        return 1
    print(f"PASS: under {TIME_LIMIT_S:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
