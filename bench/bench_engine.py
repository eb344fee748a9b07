"""Bench: the audit engine's overhead over plain Playwright, and its throughput with 1, 2 and 4 workers.

(a) Overhead. The lab's Stripe Checkout (scenarios/stripe-checkout-redirect.yaml: product, cart,
checkout, the hosted card page, an HTTP 303 back, the tag sent to Connectif) is run RUNS times by the
auditor (the library's `audit()`, one worker) and by a minimal hand-written Playwright script that
does the same steps; the two sides alternate, after one unmeasured run of each. Every run of either
side starts Playwright, launches one Chromium (same binary, same switches), opens a fresh context,
goes through the checkout reading the cart total and the order number, waits until Connectif's
tracking request carrying the purchase has been answered (the end condition the auditor waits for),
and closes the context, the browser and Playwright. The auditor also checks and writes its outputs
(results.json, report.html, junit.xml): that is part of what it costs. PASS when
median(auditor) / median(script) <= 1.15 in wall time. Also printed: the same ratio without the
launch (fresh context to closed context), CPU seconds per run (this process and its children:
the Playwright driver and Chromium), and where the time goes.

(b) Throughput. The 25 bundled scenarios (a fixed subset of 10 with --subset) through `audit()`
with --workers 1, 2 and 4, as scenarios per minute of wall time (Playwright, browser launches and
outputs included). The three settings take about 4 minutes on 2 cores, --subset about 1.5.

    .venv/bin/python bench/bench_engine.py [--runs N] [--subset] [--no-throughput] [--profile]

--profile samples one more auditor run and one more script run (wall clock, every 5 ms, through
Playwright's greenlets), prints the lines where each spends its time, and counts the messages each
exchanges with Playwright's driver.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import greenlet  # type: ignore[import-untyped]
from playwright.sync_api import Response, sync_playwright

from auditor.audit import audit
from auditor.engine import executor as runner
from auditor.engine.browser import BrowserChoice, find_browser, launch_args
from auditor.engine.run import RunOptions
from auditor.lab.server import Lab
from auditor.results import ScenarioStatus
from auditor.scenario.load import LoadedScenario, load_all

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
CHECKOUT = SCENARIOS / "stripe-checkout-redirect.yaml"
TARGET_RATIO = 1.15
WORKER_SETTINGS = (1, 2, 4)

# The quicker throughput set (--subset): every payment platform and return mechanism, a popup,
# 3-D Secure two iframes deep, an in-page card iframe, a manual return, a platform that never returns
# (its return.timeout is waited out), a lost session and a tag fault.
SUBSET = (
    "stripe-checkout-redirect",
    "adyen-form-get-return",
    "paypal-popup-opener",
    "mollie-meta-refresh",
    "bank-3ds-nested-iframes-form-post",
    "stripe-elements-in-page",
    "redsys-manual-return",
    "deadend-no-return",
    "samesite-lax-lost-session",
    "tag-comma-decimals",
)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the Playwright driver, Chromium)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


# ---------------------------------------------------------------- (a) overhead


@dataclass(frozen=True, kw_only=True)
class Run:
    """One run of one side, in seconds."""

    wall: float
    cpu: float
    context: float  # fresh context to closed context (the auditor: the scenario's duration)
    setup: float  # fresh context to the first step
    steps: float  # first step started to last step ended
    after: float  # last step ended to closed context: tracking wait, snapshots, close


def is_purchase_sent(response: Response) -> bool:
    """Connectif's tracking POST carrying a purchase event (answered by the lab's stand-in)."""
    request = response.request
    return (
        request.method == "POST"
        and "/scrippet-notification/" in request.url
        and '"purchase"' in (request.post_data or "")
    )


def hand_written_run(browser: BrowserChoice, hosts: Mapping[str, str], base_url: str, email: str) -> Run:
    """The minimal Playwright script: the same checkout and the same end condition as the auditor's."""
    start, cpu = time.perf_counter(), cpu_seconds()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=browser.executable_for(headless=True),
            headless=True,
            args=launch_args(hosts, headless=True),
        )
        opened = time.perf_counter()
        context = chromium.new_context(base_url=base_url)
        page = context.new_page()
        first_step = time.perf_counter()
        page.goto("/?platform=stripe")
        page.goto("/product/keyboard")
        page.click("text=Add to cart")
        page.wait_for_url("**/cart")
        total = page.text_content("#cart-total")
        page.click("#checkout")
        page.wait_for_url("**/checkout")
        page.fill("#email", email)
        page.click("#pay")
        page.wait_for_url("**/c/pay/**")
        page.fill("#cardNumber", "4242424242424242")
        page.fill("#billingName", "Ada Lovelace")
        with page.expect_response(is_purchase_sent) as tracking:
            page.click("#submit")
            page.wait_for_url("**/order/confirmation/**")
            order = (page.text_content(".order-number") or "").strip()
            last_step = time.perf_counter()
        sent = tracking.value
        if not (total and order and order in (sent.request.post_data or "") and sent.ok):
            raise SystemExit(f"the hand-written script did not see the purchase {order!r} sent")
        context.close()
        closed = time.perf_counter()
        chromium.close()
    return Run(
        wall=time.perf_counter() - start,
        cpu=cpu_seconds() - cpu,
        context=closed - opened,
        setup=first_step - opened,
        steps=last_step - first_step,
        after=closed - last_step,
    )


def auditor_run(browser: BrowserChoice, scenario: LoadedScenario, out_dir: Path) -> Run:
    """The same checkout through the library, one worker, checks and outputs included."""
    start, cpu = time.perf_counter(), cpu_seconds()
    outcome = audit([scenario], RunOptions(browser=browser, out_dir=out_dir, workers=1))
    wall, used = time.perf_counter() - start, cpu_seconds() - cpu
    result = outcome.run.scenarios[0]
    if result.status is not ScenarioStatus.PASS or not result.steps:
        failed = [c.id for c in result.checks if c.status.value == "fail"]
        raise SystemExit(f"the auditor's checkout did not pass: {result.error or failed}")
    first = min(s.started_ms for s in result.steps)
    last = max(s.ended_ms or s.started_ms for s in result.steps)
    return Run(
        wall=wall,
        cpu=used,
        context=result.duration_ms / 1000,
        setup=first / 1000,
        steps=(last - first) / 1000,
        after=(result.duration_ms - last) / 1000,
    )


def median(runs: list[Run], field: str) -> float:
    """The median of one field over runs."""
    return float(statistics.median(getattr(run, field) for run in runs))


def overhead(lab: Lab, browser: BrowserChoice, runs: int, work: Path) -> tuple[list[Run], list[Run]]:
    """The auditor's runs and the script's, alternating, after one unmeasured run of each."""
    base_url = lab.url("shop.test").rstrip("/")
    scenario = load_all([CHECKOUT], base_url=base_url)[0]
    hosts = scenario.scenario.hosts
    auditor_run(browser, scenario, work / "warm-up")
    hand_written_run(browser, hosts, base_url, "script+0@example.com")
    mine: list[Run] = []
    theirs: list[Run] = []
    for n in range(1, runs + 1):
        mine.append(auditor_run(browser, scenario, work / f"overhead-{n}"))
        theirs.append(hand_written_run(browser, hosts, base_url, f"script+{n}@example.com"))
        print(
            f"  run {n}/{runs}: auditor {mine[-1].wall:.2f} s (scenario {mine[-1].context:.2f} s), "
            f"script {theirs[-1].wall:.2f} s (context {theirs[-1].context:.2f} s); "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    return mine, theirs


# ---------------------------------------------------------------- --profile


class Sampler:
    """Wall-clock sampling of chosen threads, through Playwright's greenlets.

    While the sync API waits, a thread's own code is suspended in its root greenlet and the thread
    runs the event loop's: its waiting frames are read from the root greenlet, not the thread.
    """

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.roots: dict[int, greenlet.greenlet] = {}
        self.cumulative: Counter[str] = Counter()
        self.innermost: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sampler", daemon=True)

    def watch_current_thread(self) -> None:
        """Sample the calling thread (call it outside any greenlet switch: from the thread's own code)."""
        self.roots[threading.get_ident()] = greenlet.getcurrent()

    def _stack(self, frame: FrameType | None) -> list[str]:
        where: list[str] = []
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(str(ROOT)) and "/.venv/" not in name:
                where.append(f"{Path(name).name}:{frame.f_lineno} {frame.f_code.co_name}")
            frame = frame.f_back
        return where

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            running = sys._current_frames()
            for ident, root in list(self.roots.items()):
                frame = root.gr_frame if root.gr_frame is not None else running.get(ident)
                stack = self._stack(frame)
                if stack:
                    self.samples += 1
                    self.innermost[stack[0]] += 1
                    self.cumulative.update(set(stack))

    @contextmanager
    def running(self) -> Iterator[None]:
        """Sample while the block runs."""
        self._thread.start()
        try:
            yield
        finally:
            self._stop.set()
            self._thread.join()

    def report(self, title: str, top: int = 25) -> None:
        """The lines that held the most wall time, cumulative and innermost."""
        print(f"{title}: {self.samples * self.interval_s:.2f} s sampled")
        for label, counter in (("cumulative", self.cumulative), ("innermost", self.innermost)):
            print(f"  {label}:")
            for where, count in counter.most_common(top):
                print(f"    {count * self.interval_s:6.2f} s  {where}")


class ProtocolCounter:
    """Counts the messages between Python and Playwright's driver: calls sent, events received.

    Every call is a round trip Python -> driver -> Chromium and back; every event is parsed and, with a
    listener, run in a greenlet of its own. Unlike times, the counts do not depend on the machine's load.
    Patches a private class of Playwright's; when that changes, the counts are skipped.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.events: Counter[str] = Counter()

    @contextmanager
    def counting(self) -> Iterator[bool]:
        """Count while the block runs; yields False when Playwright's internals are not as expected."""
        try:
            from playwright._impl.connection import Connection
        except ImportError:
            yield False
            return
        send, dispatch = Connection.send_message_to_server, Connection.dispatch
        calls, events = self.calls, self.events

        def counted_send(conn: Connection, obj: Any, method: str, params: Any, options: Any) -> Any:
            if method != "__waitInfo__":  # fire-and-forget notes about waits, not round trips
                calls[f"{obj._type}.{method}"] += 1
            return send(conn, obj, method, params, options)

        def counted_dispatch(conn: Connection, message: dict[str, Any]) -> None:
            if not message.get("id"):
                name = str(message.get("method"))
                params = message.get("params")
                if name == "event" and isinstance(params, dict) and "method" in params:
                    name = f"CDP {params['method']}"
                events[name] += 1
            dispatch(conn, message)

        Connection.send_message_to_server = counted_send  # type: ignore[assignment,method-assign]
        Connection.dispatch = counted_dispatch  # type: ignore[assignment,method-assign]
        try:
            yield True
        finally:
            Connection.send_message_to_server = send  # type: ignore[method-assign]
            Connection.dispatch = dispatch  # type: ignore[method-assign]

    def report(self, title: str, top: int = 12) -> None:
        """Totals and the most frequent calls and events."""
        print(f"{title}: {self.calls.total()} calls, {self.events.total()} events")
        print("  calls: " + ", ".join(f"{name} {n}" for name, n in self.calls.most_common(top)))
        print("  events: " + ", ".join(f"{name} {n}" for name, n in self.events.most_common(top)))


def profile(lab: Lab, browser: BrowserChoice, work: Path) -> None:
    """Sample one auditor run (its worker thread) and one script run; count their protocol messages."""
    base_url = lab.url("shop.test").rstrip("/")
    scenario = load_all([CHECKOUT], base_url=base_url)[0]
    hosts = scenario.scenario.hosts
    sampler = Sampler()
    serve = runner._Serve.run

    def sampled(self: runner._Serve, *args: Any) -> None:
        sampler.watch_current_thread()  # the worker thread's loop: where the scenario runs
        serve(self, *args)

    runner._Serve.run = sampled  # type: ignore[method-assign]
    try:
        with sampler.running():
            auditor_run(browser, scenario, work / "profiled")
    finally:
        runner._Serve.run = serve  # type: ignore[method-assign]
    sampler.report("profile of one auditor run (its worker thread)")
    script = Sampler()
    script.watch_current_thread()
    with script.running():
        hand_written_run(browser, hosts, base_url, "script+profile@example.com")
    script.report("profile of one script run")

    mine, theirs = ProtocolCounter(), ProtocolCounter()
    with mine.counting() as counting:
        auditor_run(browser, scenario, work / "counted")
    with theirs.counting():
        hand_written_run(browser, hosts, base_url, "script+counted@example.com")
    if counting:
        mine.report("Playwright protocol, one auditor run")
        theirs.report("Playwright protocol, one script run")


# ---------------------------------------------------------------- (b) throughput


def throughput(
    lab: Lab, browser: BrowserChoice, subset: bool, work: Path
) -> list[tuple[int, int, float, Counter[str]]]:
    """(workers, scenarios, wall seconds, statuses) for each worker setting."""
    base_url = lab.url("shop.test").rstrip("/")
    paths = [SCENARIOS / f"{name}.yaml" for name in SUBSET] if subset else [SCENARIOS]
    api = {"CONNECTIF_API_URL": lab.api_url, "CONNECTIF_API_KEY": lab.api_key}  # the connectif-api ones
    scenarios = load_all(paths, base_url=base_url, env={**os.environ, **api})
    rows: list[tuple[int, int, float, Counter[str]]] = []
    for workers in WORKER_SETTINGS:
        start = time.perf_counter()
        outcome = audit(
            scenarios, RunOptions(browser=browser, out_dir=work / f"workers-{workers}", workers=workers)
        )
        wall = time.perf_counter() - start
        statuses = Counter(s.status.value for s in outcome.run.scenarios)
        rows.append((workers, len(scenarios), wall, statuses))
        print(
            f"  --workers {workers}: {len(scenarios)} scenarios in {wall:.1f} s, "
            f"{len(scenarios) / wall * 60:.1f} per minute ({dict(sorted(statuses.items()))}); "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        for result in outcome.run.scenarios:
            if result.status is ScenarioStatus.ERROR:
                print(f"    error in {result.id}: {result.error}")
    return rows


# ---------------------------------------------------------------- main


def table(header: list[str], rows: list[list[str]]) -> None:
    """A Markdown table, ready for the README."""
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> int:
    """Run (a) and (b), print the tables and PASS/FAIL."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs of each side (default 7)")
    parser.add_argument("--subset", action="store_true", help="throughput on 10 bundled scenarios, not 25")
    parser.add_argument("--no-throughput", action="store_true", help="measure the overhead only")
    parser.add_argument("--profile", action="store_true", help="sample one more run of each side")
    args = parser.parse_args()
    browser = find_browser()
    print(f"browser: {browser.describe()}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    work = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    rows: list[tuple[int, int, float, Counter[str]]] = []
    try:
        with Lab() as lab:
            print(f"(a) overhead: {CHECKOUT.name}, {args.runs} runs of each side, alternating", flush=True)
            mine, theirs = overhead(lab, browser, args.runs, work)
            if args.profile:
                profile(lab, browser, work)
            if not args.no_throughput:
                which = f"a fixed subset of {len(SUBSET)} bundled" if args.subset else "all bundled"
                print(f"(b) throughput: {which} scenarios", flush=True)
                rows = throughput(lab, browser, args.subset, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def cells(field: str, label: str) -> list[str]:
        a, b = median(mine, field), median(theirs, field)
        return [label, f"{a:.2f} s", f"{b:.2f} s", f"{a / b:.2f}" if b else "-"]

    ratio = median(mine, "wall") / median(theirs, "wall")
    print()
    table(
        [f"Stripe Checkout in the lab, median of {args.runs}", "auditor", "hand-written Playwright", "ratio"],
        [
            cells("wall", "whole run: Playwright, browser launch, checkout, purchase tracked, close"),
            cells("context", "fresh context to closed context (no launch)"),
            cells("setup", "… context and page ready for the first step"),
            cells("steps", "… first step to last step"),
            cells("after", "… after the last step (tracking, snapshots, close)"),
            cells("cpu", "CPU time (Python, Playwright driver, Chromium)"),
        ],
    )
    if rows:
        print()
        table(
            ["--workers", "scenarios", "wall time", "scenarios per minute"],
            [[str(w), str(n), f"{wall:.1f} s", f"{n / wall * 60:.1f}"] for w, n, wall, _ in rows],
        )
    ok = ratio <= TARGET_RATIO
    print()
    print(
        f"{'PASS' if ok else 'FAIL'}: auditor / hand-written Playwright = {ratio:.2f} in wall time "
        f"(target <= {TARGET_RATIO}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
