"""Bench: the speed a user feels, measured as whole processes (issue 22).

The lab runs in a child process of its own (its CPU is not counted). Every measurement starts a fresh
process and takes its wall time and the CPU (user + sys) of its whole process tree, through a small
parent that is a child subreaper (Linux): every descendant, even one orphaned by its own parent (the
renderers of a Chromium whose zygote is killed at close), is reaped by it and counted.
Each comparison alternates its two sides A B A B after one unmeasured run of each, and takes the median
of the pairs' ratios.

(a) One checkout: `checkout-auditor run scenarios/stripe-checkout-redirect.yaml` against
    bench/checkout_script.py (the same checkout and checks, hand-written). Targets: wall ≤ 1.10×,
    CPU ≤ 1.20×.
(b) CPU per scenario: the CPU of a `run` of 8 checkouts with one worker, divided by 8 (printed).
(c) Workers that scale: 8 checkouts, `--workers 1` against `--workers 4`, on a lab whose shop pages
    answer 250 ms late (`latency_ms=250`: a staging server), target ≥ 3.0× faster; and on the fast lab,
    target ≥ 1.6× faster.
(d) Memory: the peak proportional set size (PSS) of the whole process tree of a 4-worker run, sampled
    every 200 ms with psutil, divided by the number of workers; target < 400 MiB per worker.
(e) The machine's own ceiling for (c), no target: the hand-written script doing the same 8 checkouts,
    four processes at a time against one after the other. What four independent Playwright scripts
    gain here bounds what four workers can.

    .venv/bin/python bench/bench_command.py [--pairs 9] [--scaling-pairs 2] [--only a,b,c,d,e]

The same figures can be reproduced by hand with public tools, e.g.
`hyperfine -w 1 -r 5 'checkout-auditor run scenarios/stripe-checkout-redirect.yaml --out /tmp/x'`
and `/usr/bin/time -v checkout-auditor run … --workers 4` (its "Maximum resident set size").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = ROOT / "scenarios" / "stripe-checkout-redirect.yaml"
SCRIPT = ROOT / "bench" / "checkout_script.py"
TARGETS = {"wall": 1.10, "cpu": 1.20, "latency": 3.0, "fast": 1.6, "pss_mib": 400.0}
CHECKOUTS = 8
LATENCY_MS = 250
# Runs the hand-written script `count` times, `at_once` processes at a time (bench part e).
SCRIPTS_CHILD = """
import subprocess, sys
script, base, out, count, at_once, query = sys.argv[1:7]
count, at_once = int(count), int(at_once)
for start in range(0, count, at_once):
    batch = [subprocess.Popen([sys.executable, script, base, f"{out}-{n}.json", query])
             for n in range(start, min(count, start + at_once))]
    if any(p.wait() != 0 for p in batch):
        sys.exit(1)
"""
# Runs one command and reports {"wall", "cpu", "exit", "left"} as JSON on its stdout. On Linux it is a
# child subreaper: a process whose parent exits before it (Chromium's renderers, when the zygote that
# forked them is killed at the browser's close) is handed to it instead of to init, and its CPU is
# counted when it is reaped. os.wait4 on the command alone misses those: about 0.9 s of renderer CPU per
# checkout here, on both sides of a comparison.
TREE_CHILD = """
import ctypes, json, os, resource, signal, subprocess, sys, time
reaper = sys.platform == "linux" and ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
start = time.monotonic()
command = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
code = command.wait()
wall = time.monotonic() - start
left = 0
def late(*_):
    raise TimeoutError
signal.signal(signal.SIGALRM, late)
signal.alarm(30)  # a descendant still running 30 s after the command: counted as left behind
try:
    while reaper:
        os.wait()
except ChildProcessError:
    pass
except TimeoutError:
    left = 1
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "exit": code, "left": left}))
"""
LAB_CHILD = """
import sys
from auditor.lab.server import Lab
with Lab() as lab:
    print(lab.port, flush=True)
    sys.stdin.read()
"""


@dataclass(frozen=True)
class Measure:
    """One whole process: wall seconds, CPU seconds of its tree, peak PSS of its tree (MiB, if sampled)."""

    wall: float
    cpu: float
    peak_pss_mib: float = 0.0


def tree_pss_mib(root: psutil.Process, *, skip_root: bool = False) -> float:
    """The PSS of a process and all its descendants (or the descendants alone), in MiB."""
    total = 0
    try:
        procs = [*([] if skip_root else [root]), *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except psutil.Error:
            continue
    return total / (1024 * 1024)


def measure(command: Sequence[str], *, env: dict[str, str], sample_memory: bool = False) -> Measure:
    """Run a command to its end: its wall time, the CPU of every process below it, its peak PSS."""
    proc = subprocess.Popen(
        [sys.executable, "-c", TREE_CHILD, *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        handle = psutil.Process(proc.pid)
        while not done.wait(0.2):
            peak = max(peak, tree_pss_mib(handle, skip_root=True))

    sampler = threading.Thread(target=sample, daemon=True) if sample_memory else None
    if sampler:
        sampler.start()
    out, err = proc.communicate()
    done.set()
    if sampler:
        sampler.join()
    stderr = err.decode("utf-8", "replace")
    try:
        report = json.loads(out)
    except ValueError:
        raise SystemExit(f"measuring {' '.join(command)} failed:\n{stderr[-3000:]}") from None
    if report["exit"] not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {report['exit']}:\n{stderr[-3000:]}")
    if report["left"]:
        raise SystemExit(f"{' '.join(command)} left processes running 30 s after it ended")
    return Measure(wall=report["wall"], cpu=report["cpu"], peak_pss_mib=peak)


def alternate(
    a: Callable[[int], Measure], b: Callable[[int], Measure], pairs: int, label: str
) -> tuple[list[Measure], list[Measure]]:
    """A and B alternated, after one unmeasured run of each."""
    a(0)
    b(0)
    mine: list[Measure] = []
    theirs: list[Measure] = []
    for n in range(1, pairs + 1):
        mine.append(a(n))
        theirs.append(b(n))
        print(
            f"  {label} pair {n}/{pairs}: {mine[-1].wall:.2f} s / {mine[-1].cpu:.2f} s CPU against "
            f"{theirs[-1].wall:.2f} s / {theirs[-1].cpu:.2f} s CPU; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    return mine, theirs


def ratio(mine: list[Measure], theirs: list[Measure], field: str) -> float:
    """The median of the pairs' ratios."""
    return float(
        statistics.median(getattr(m, field) / getattr(t, field) for m, t in zip(mine, theirs, strict=True))
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def copies(folder: Path, count: int, *, latency_ms: int = 0) -> Path:
    """`count` copies of the Stripe checkout (distinct files, so distinct ids), optionally on a slow shop."""
    folder.mkdir(parents=True, exist_ok=True)
    text = CHECKOUT.read_text(encoding="utf-8")
    if latency_ms:
        text = text.replace("goto: /?platform=stripe", f"goto: /?platform=stripe&latency_ms={latency_ms}", 1)
    for n in range(count):
        (folder / f"checkout-{n:02d}.yaml").write_text(text, encoding="utf-8")
    return folder


def compile_ahead() -> None:
    """Compile the auditor's modules to bytecode first, as pip does when it installs a wheel.

    This checkout is an editable install: without this, a machine with $PYTHONDONTWRITEBYTECODE set
    (this one) compiles every module again in every measured process, about 0.15 s of CPU that no
    installed copy pays.
    """
    import compileall

    compileall.compile_dir(ROOT / "auditor", quiet=1)
    print("the auditor's modules compiled to bytecode ahead, as an installed wheel has them")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pairs", type=int, default=9, help="alternated pairs for the one-checkout comparison"
    )
    parser.add_argument(
        "--scaling-pairs", type=int, default=2, help="alternated pairs for the worker scaling"
    )
    parser.add_argument("--only", default="a,b,c,d,e", help="which parts to run (a,b,c,d,e)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    compile_ahead()
    lab = subprocess.Popen(
        [sys.executable, "-c", LAB_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert lab.stdout is not None
    port = int(lab.stdout.readline())
    base = f"http://shop.test:{port}"
    env = {**os.environ, "SHOP_URL": base}
    work = Path(tempfile.mkdtemp(prefix="bench-command-"))
    auditor = [sys.executable, "-m", "auditor", "run"]
    failed: list[str] = []
    print(
        f"{os.cpu_count()} cores; lab on port {port} (its own process); load average {os.getloadavg()[0]:.1f}"
    )
    try:
        if "a" in parts:
            print("(a) one checkout, whole processes: checkout-auditor run against the hand-written script")

            def run_auditor(n: int) -> Measure:
                return measure([*auditor, str(CHECKOUT), "--out", str(work / f"a-{n}")], env=env)

            def run_script(n: int) -> Measure:
                return measure([sys.executable, str(SCRIPT), base, str(work / f"script-{n}.json")], env=env)

            mine, theirs = alternate(run_auditor, run_script, args.pairs, "(a)")
            wall, cpu = ratio(mine, theirs, "wall"), ratio(mine, theirs, "cpu")
            print(
                f"(a) median wall {statistics.median(m.wall for m in mine):.2f} s against "
                f"{statistics.median(t.wall for t in theirs):.2f} s: ratio {wall:.2f} "
                f"(target ≤ {TARGETS['wall']}) {verdict(wall <= TARGETS['wall'])}"
            )
            print(
                f"(a) median CPU ratio {cpu:.2f} (target ≤ {TARGETS['cpu']}) {verdict(cpu <= TARGETS['cpu'])}"
            )
            failed += [] if wall <= TARGETS["wall"] else ["(a) wall"]
            failed += [] if cpu <= TARGETS["cpu"] else ["(a) CPU"]
        fast = copies(work / "fast", CHECKOUTS)
        slow = copies(work / "slow", CHECKOUTS, latency_ms=LATENCY_MS)

        def workers(folder: Path, count: int, memory: bool = False) -> Callable[[int], Measure]:
            def run(n: int) -> Measure:
                out = work / f"{folder.name}-w{count}-{n}"
                command = [*auditor, str(folder), "--workers", str(count), "--out", str(out)]
                return measure(command, env=env, sample_memory=memory)

            return run

        if "b" in parts:
            one = workers(fast, 1)(99)
            print(
                f"(b) CPU per scenario: {one.cpu / CHECKOUTS:.2f} s ({CHECKOUTS} checkouts, one worker, "
                f"{one.wall:.1f} s wall)"
            )
        for name, folder, target in (("latency", slow, TARGETS["latency"]), ("fast", fast, TARGETS["fast"])):
            if "c" not in parts:
                break
            what = f"{LATENCY_MS} ms shop latency" if name == "latency" else "fast lab"
            print(f"(c) {CHECKOUTS} checkouts on the {what}: --workers 1 against --workers 4")
            ones, fours = alternate(workers(folder, 1), workers(folder, 4), args.scaling_pairs, f"(c) {name}")
            speedup = 1 / ratio(fours, ones, "wall")
            print(
                f"(c) {what}: 4 workers {speedup:.2f}× faster than 1 "
                f"(target ≥ {target}) {verdict(speedup >= target)}"
            )
            failed += [] if speedup >= target else [f"(c) {name}"]
        if "d" in parts:
            peak = workers(fast, 4, memory=True)(100).peak_pss_mib
            per_worker = peak / 4
            print(
                f"(d) peak PSS of a 4-worker run's process tree: {peak:.0f} MiB, "
                f"{per_worker:.0f} MiB per worker "
                f"(target < {TARGETS['pss_mib']:.0f}) {verdict(per_worker < TARGETS['pss_mib'])}"
            )
            failed += [] if per_worker < TARGETS["pss_mib"] else ["(d) memory"]
        if "e" in parts:
            for name, query in (("latency", f"latency_ms={LATENCY_MS}"), ("fast", "")):

                def scripts(at_once: int, query: str = query) -> Callable[[int], Measure]:
                    def run(n: int) -> Measure:
                        out = str(work / f"e-{at_once}-{n}")
                        args = [str(SCRIPT), base, out, str(CHECKOUTS), str(at_once), query]
                        return measure([sys.executable, "-c", SCRIPTS_CHILD, *args], env=env)

                    return run

                ones, fours = alternate(scripts(1), scripts(4), args.scaling_pairs, f"(e) {name}")
                speedup = 1 / ratio(fours, ones, "wall")
                print(
                    f"(e) the hand-written script, {CHECKOUTS} checkouts ({name}): 4 at a time "
                    f"{speedup:.2f}× faster than one at a time (this machine's ceiling for (c))"
                )
    finally:
        if lab.stdin:
            lab.stdin.close()
        lab.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    print("all targets met" if not failed else f"missed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
