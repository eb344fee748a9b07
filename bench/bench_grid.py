"""Bench: the bundled scenarios through a local Selenium Grid 4 with 2 and 4 slots, against local browsers.

The 25 bundled scenarios (scenarios/, against the lab, as `checkout-auditor demo` runs them) through
`audit()` with --workers 2 and 4: on local Chromiums, and on a Selenium Grid standalone
(examples/grid/standalone.toml, as many slots as workers) on this machine. Each setting runs local and
grid in turn (ABBA order, so that a change in the machine's load falls on both), after one unmeasured
browser of each kind. Printed: wall time, scenarios per minute, the grid/local ratio, and whether
every scenario got the same verdict through the grid. Also the teardown that --grid avoids: closing a
grid browser and stopping Playwright, the auditor's way against Playwright's own SELENIUM_REMOTE_URL
(which waits 30 s on a second session deletion).

PASS when the verdicts agree and the grid run takes at most 1.5x the local one.

    .venv/bin/python bench/bench_grid.py [--workers 2 4] [--subset] [--no-teardown]

Needs Java, the server jar and a chromium-driver matching chromium (`make test` or `make bench` fetch
them); without them it says what is missing and exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from auditor.audit import audit
from auditor.engine.browser import find_browser, launch_args
from auditor.engine.grid import GridSettings, open_session
from auditor.engine.run import RunOptions
from auditor.lab.grid import LocalGrid, grid_problem
from auditor.lab.server import Lab
from auditor.results import RunResult
from auditor.scenario.load import LoadedScenario, load_all

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TARGET_RATIO = 1.5
SUBSET = (
    "stripe-checkout-redirect",
    "adyen-form-get-return",
    "paypal-popup-opener",
    "mollie-meta-refresh",
    "bank-3ds-nested-iframes-form-post",
    "stripe-elements-in-page",
    "redsys-manual-return",
    "samesite-lax-lost-session",
)

# Playwright's own way, in a child process: SELENIUM_REMOTE_URL in the driver's environment.
PLAYWRIGHTS_WAY = """
import os, sys, time
from playwright.sync_api import sync_playwright
p = sync_playwright().start()
browser = p.chromium.launch(args=["--no-sandbox"])
browser.new_page().goto("data:text/html,<h1>hi</h1>")
started = time.monotonic()
browser.close()
p.stop()
print(f"{time.monotonic() - started:.2f}")
"""


def verdicts(run: RunResult) -> dict[str, str]:
    return {s.name: s.status.value for s in run.scenarios}


def timed(scenarios: list[LoadedScenario], options: RunOptions) -> tuple[float, RunResult]:
    started = time.monotonic()
    run = audit(scenarios, options).run
    return time.monotonic() - started, run


def warm_up(grid: LocalGrid) -> None:
    """One unmeasured browser of each kind: the first start of a binary reads it from disk."""
    with sync_playwright() as p:
        p.chromium.launch(executable_path=find_browser().executable, args=launch_args()).close()
        open_session(p.chromium, GridSettings(url=grid.url), {}).close()


def teardown(grid: LocalGrid, rounds: int = 3) -> tuple[list[float], list[float]]:
    """Seconds from closing a grid browser to Playwright stopped: the auditor's way, and Playwright's.

    Playwright's second deletion races with its first, so it waits 30 s often but not every time.
    """
    ours: list[float] = []
    playwrights: list[float] = []
    env = {**os.environ, "SELENIUM_REMOTE_URL": grid.url}
    for _ in range(rounds):
        with sync_playwright() as p:
            session = open_session(p.chromium, GridSettings(url=grid.url), {})
            session.browser.new_page().goto("data:text/html,<h1>hi</h1>")
            started = time.monotonic()
            session.close()
        ours.append(time.monotonic() - started)
        command = [sys.executable, "-c", PLAYWRIGHTS_WAY]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)
        playwrights.append(float(proc.stdout.strip().splitlines()[-1]))
    return ours, playwrights


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--subset", action="store_true", help=f"only {len(SUBSET)} of the bundled scenarios")
    parser.add_argument("--no-teardown", action="store_true", help="skip the teardown comparison")
    args = parser.parse_args()
    problem = grid_problem()
    if problem:
        print(f"SKIP: no local Selenium Grid: {problem}")
        return 0
    out = Path(tempfile.mkdtemp(prefix="bench-grid-"))
    ok = True
    try:
        with Lab() as lab:
            env = {**os.environ, "SHOP_URL": lab.url("shop.test").rstrip("/")}
            paths = [SCENARIOS / f"{n}.yaml" for n in SUBSET] if args.subset else [SCENARIOS]
            scenarios = load_all(paths, env=env)
            print(
                f"{len(scenarios)} bundled scenarios against the lab; load average {os.getloadavg()[0]:.1f}"
            )
            print("| workers | grid slots | local | grid | grid / local | same verdicts |")
            print("|---|---|---|---|---|---|")
            for workers in args.workers:
                with LocalGrid(slots=workers, log=out / f"grid-{workers}.log") as grid:
                    warm_up(grid)
                    local = RunOptions(browser=find_browser(), out_dir=out / "local", workers=workers)
                    remote = RunOptions(
                        browser=None, out_dir=out / "grid", workers=workers, grid=GridSettings(url=grid.url)
                    )
                    runs = [("local", local), ("grid", remote), ("grid", remote), ("local", local)]
                    took: dict[str, list[float]] = {"local": [], "grid": []}
                    seen: dict[str, list[dict[str, str]]] = {"local": [], "grid": []}
                    for kind, options in runs:
                        seconds, run = timed(scenarios, options)
                        took[kind].append(seconds)
                        seen[kind].append(verdicts(run))
                    local_s, grid_s = sum(took["local"]) / 2, sum(took["grid"]) / 2
                    same = seen["grid"][0] == seen["local"][0] and seen["grid"][1] == seen["local"][1]
                    ratio = grid_s / local_s
                    ok = ok and same and ratio <= TARGET_RATIO
                    per_min = len(scenarios) * 60
                    cells = [
                        str(workers),
                        str(workers),
                        f"{local_s:.1f} s ({per_min / local_s:.1f}/min)",
                        f"{grid_s:.1f} s ({per_min / grid_s:.1f}/min)",
                        f"{ratio:.2f}",
                        "yes" if same else "NO",
                    ]
                    print("| " + " | ".join(cells) + " |", flush=True)
                    if not args.no_teardown and workers == args.workers[0]:
                        ours, playwrights = teardown(grid)
        if not args.no_teardown:
            print(
                "teardown (close the grid browser, stop Playwright), 3 rounds: auditor "
                + ", ".join(f"{s:.1f}" for s in ours)
                + " s; Playwright's SELENIUM_REMOTE_URL "
                + ", ".join(f"{s:.1f}" for s in playwrights)
                + " s"
            )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"{'PASS' if ok else 'FAIL'}: same verdicts, grid within {TARGET_RATIO}x of local")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
