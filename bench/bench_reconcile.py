"""Bench: reconcile 1,000,000 orders against 1,000,000 purchases; PASS under 5 s and 1 GiB.

Generation runs here; each measured run is a fresh child process, so its peak memory
(ru_maxrss from wait4) is the reconcile's own, not the generator's.

    .venv/bin/python bench/bench_reconcile.py [--orders N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIME_LIMIT_S = 5.0
MEMORY_LIMIT_BYTES = 1024**3

METHODS = ("card", "paypal", "redsys", "bizum", "transfer", "apple_pay")
STATUSES = ("completed",) * 18 + ("pending", "cancelled")
CHANNELS = ("web", "app", "marketplace")
DEVICES = ("desktop", "mobile", "tablet")

# The measured child: the library call plus every output, timed inside the child.
LIBRARY_RUN = """
import json, sys, time
from datetime import datetime
from pathlib import Path
start = time.perf_counter()
from auditor.reconcile.analysis import reconcile
from auditor.reconcile.outputs import MissingCsv, write_reports
out = Path(sys.argv[3])
with MissingCsv(out) as sink:
    result = reconcile(Path(sys.argv[1]), Path(sys.argv[2]), sink=sink)
write_reports(result, out, max_loss=0.0, created=datetime.now())
print(json.dumps({"seconds": time.perf_counter() - start, "lost": result.lost,
                  "matched": result.matched, "loss_rate": result.loss_rate}))
"""

CLI_RUN = """
import sys
from auditor.cli.main import cli, main
from auditor.cli.reconcile import reconcile
if "reconcile" not in cli.commands:
    cli.add_command(reconcile)
main()
"""


def generate(folder: Path, n: int, seed: int = 8) -> tuple[Path, Path]:
    """A realistic pair of exports: losses on one platform, some noise, ids written differently."""
    rng = random.Random(seed)
    orders = folder / "orders.csv"
    purchases = folder / "purchases.csv"
    with (
        orders.open("w", encoding="utf-8", newline="") as fo,
        purchases.open("w", encoding="utf-8", newline="") as fp,
    ):
        fo.write("order_id,created_at,payment_method,status,channel,device,total,email\n")
        fp.write("purchase_id,purchase_date,total_price,contact_email\n")
        o_lines: list[str] = []
        p_lines: list[str] = []
        for i in range(n):
            number = 100000 + i
            day = 1 + i * 30 // n
            method = rng.choice(METHODS)
            status = rng.choice(STATUSES)
            created = f"2024-03-{day:02d} {i % 24:02d}:{i % 60:02d}:{i % 59:02d}"
            shown = f"#{number}" if i % 20 == 0 else str(number)
            o_lines.append(
                f"{shown},{created},{method},{status},{rng.choice(CHANNELS)},{rng.choice(DEVICES)},"
                f"{(i % 997) + 0.5},buyer{i}@example.com\n"
            )
            lost = (method == "redsys" and rng.random() < 0.3) or rng.random() < 0.02
            if status != "completed":
                lost = rng.random() < 0.95
            if not lost:
                pid = f"WEB-{number}" if i % 50 == 0 else str(number)
                p_lines.append(f"{pid},{created},{(i % 997) + 0.5},buyer{i}@example.com\n")
                if i % 500 == 0:  # the confirmation page reloaded: the purchase sent twice
                    p_lines.append(p_lines[-1])
            if len(o_lines) >= 50_000:
                fo.writelines(o_lines)
                fp.writelines(p_lines)
                o_lines.clear()
                p_lines.clear()
        fo.writelines(o_lines)
        fp.writelines(p_lines)
    return orders, purchases


def pad_purchases(purchases: Path, target: int) -> int:
    """Top the purchases up to target rows with ones unknown to the shop (other store, tests)."""
    with purchases.open(encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    with purchases.open("a", encoding="utf-8") as fh:
        for j in range(target - rows):
            fh.write(f"{800000000 + j},2024-03-15 10:00:00,10.0,y{j}@example.com\n")
    return max(rows, target)


def measure_wait4(cmd: list[str], cwd: Path) -> tuple[float, int, str, int]:
    """Wall time, peak RSS (bytes, from wait4) and stdout of one child process."""
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            print(err.read(), file=sys.stderr)
            raise SystemExit(f"the measured run failed with status {proc.returncode}")
        cpu = usage.ru_utime + usage.ru_stime
        print(
            f"  (child CPU time {cpu:.2f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        # Linux reports ru_maxrss in KiB.
        return wall, usage.ru_maxrss * 1024, out.read(), proc.returncode


def main() -> int:
    """Generate, measure the library run and the CLI run, print figures and PASS/FAIL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-reconcile-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        orders, purchases = generate(folder, args.orders)
        purchase_rows = pad_purchases(purchases, args.orders)
        size = (orders.stat().st_size + purchases.stat().st_size) / 1e6
        print(
            f"generated {args.orders:,} orders and {purchase_rows:,} purchases "
            f"({size:.0f} MB) in {time.perf_counter() - start:.1f} s"
        )

        python = sys.executable
        lib_wall, lib_rss, lib_out, _ = measure_wait4(
            [python, "-c", LIBRARY_RUN, str(orders), str(purchases), str(folder / "out-lib")], folder
        )
        inner = json.loads(lib_out)
        cli_wall, cli_rss, _, cli_status = measure_wait4(
            [
                python,
                "-c",
                CLI_RUN,
                "reconcile",
                "--orders",
                str(orders),
                "--purchases",
                str(purchases),
                "--out",
                str(folder / "out-cli"),
                "--max-loss",
                "100%",
            ],
            folder,
        )
        print(
            f"library: reconcile + outputs {inner['seconds']:.2f} s (process {lib_wall:.2f} s), "
            f"peak RSS {lib_rss / 2**20:.0f} MiB; {inner['lost']:,} lost, {inner['matched']:,} "
            f"matched, loss rate {inner['loss_rate']:.1%}"
        )
        print(
            f"cli:     checkout-auditor reconcile {cli_wall:.2f} s wall, peak RSS {cli_rss / 2**20:.0f} MiB, "
            f"exit {cli_status}"
        )
        checks = [
            ("library time", inner["seconds"] < TIME_LIMIT_S, f"{inner['seconds']:.2f} s < {TIME_LIMIT_S} s"),
            ("cli time", cli_wall < TIME_LIMIT_S, f"{cli_wall:.2f} s < {TIME_LIMIT_S} s"),
            (
                "peak memory",
                max(lib_rss, cli_rss) < MEMORY_LIMIT_BYTES,
                f"{max(lib_rss, cli_rss) / 2**20:.0f} MiB < 1024 MiB",
            ),
        ]
        for name, ok, text in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {name}: {text}")
        return 0 if all(ok for _, ok, _ in checks) else 1
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
