"""Soak: 200 scenario runs against the lab with 4 workers; nothing lost, no browser left behind.

The 25 bundled scenarios are copied 8 times into a temporary folder under distinct file names (so
every run has its own id) and run by the library's `audit()` with --workers 4 against the lab, which
runs in a child process so that this process's memory is the auditor's own. Printed: runs completed,
results recorded in the written results.json, statuses (and any that differ from what
tests/lab/expected_outcomes.yaml says the scenario gives), peak memory (this process's ru_maxrss;
Chromium's and the Playwright drivers' proportional set size, summed over their processes, sampled
through psutil), and the browser processes left after the run. Chromium is started with TMPDIR set to a
fresh short folder, so its processes are the ones whose command line or environment names that
folder. PASS when every run is recorded in results.json and no browser process is left.

    .venv/bin/python bench/bench_soak.py [--runs 200] [--workers 4] [--only NAME ...] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml

from auditor.engine.processes import is_chromium, running, wait_gone

ROOT = Path(__file__).resolve().parent.parent

SCENARIOS = ROOT / "scenarios"
EXPECTED = ROOT / "tests" / "lab" / "expected_outcomes.yaml"
SAMPLE_EVERY_S = 2.0  # memory sampling period
LEFTOVER_GRACE_S = 10.0  # how long processes on their way out get before they count as left behind

# The lab in a child process: prints its port, serves until its stdin closes.
LAB_CHILD = """
import sys
from auditor.lab.server import Lab
with Lab() as lab:
    print(lab.port, flush=True)
    sys.stdin.read()
"""


# ---------------------------------------------------------------- processes, through psutil


@dataclass(frozen=True, kw_only=True)
class Proc:
    """A process as psutil shows it, read once."""

    process: psutil.Process
    name: str
    state: str
    cmdline: str

    @property
    def pid(self) -> int:
        """Its process id."""
        return int(self.process.pid)


def snapshot(process: psutil.Process) -> Proc | None:
    """Name, state and command line, or None when the process is gone or not ours to read."""
    try:
        with process.oneshot():
            return Proc(
                process=process,
                name=process.name(),
                state=process.status(),
                cmdline=" ".join(process.cmdline()),
            )
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def below(pid: int) -> list[Proc]:
    """The processes below pid in the process tree."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p for p in map(snapshot, children) if p is not None]


def pss_kib(proc: Proc) -> int:
    """A process's proportional set size (shared pages split between their users), in KiB.

    Linux only; elsewhere its unique set size, which leaves the shared pages out.
    """
    try:
        memory = proc.process.memory_full_info()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return 0
    return int(getattr(memory, "pss", memory.uss)) // 1024


def environ_names(proc: Proc, folder: str) -> bool:
    """Does the process's environment set TMPDIR to `folder`?"""
    try:
        return bool(proc.process.environ().get("TMPDIR") == folder)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
        return False


def browsers_of_run(folder: str) -> list[Proc]:
    """Running Chromium processes started for this run: their command line or environment names its TMPDIR.

    Looked for among all processes: a browser left behind may have been handed to another parent.
    """
    found = []
    for process in psutil.process_iter():
        if not (is_chromium(process) and running(process)):
            continue
        proc = snapshot(process)
        if proc is not None and (folder in proc.cmdline or environ_names(proc, folder)):
            found.append(proc)
    return found


@dataclass
class MemoryPeaks:
    """The highest sums seen while sampling, in KiB, and the most Chromium processes at once."""

    chromium_kib: int = 0
    drivers_kib: int = 0
    chromium_processes: int = 0
    browsers: int = 0  # Chromium browser processes (the others are their renderers, GPU, utilities…)
    unrecognised: int = 0  # live Chromium processes of this run that the TMPDIR test would miss
    unrecognised_examples: list[str] = field(default_factory=list)
    samples: int = 0
    last: dict[str, int] = field(default_factory=dict)


class MemorySampler:
    """Samples the Chromium processes and Playwright drivers below this process every few seconds."""

    def __init__(self, exclude: set[int], folder: str) -> None:
        self.exclude = exclude
        self.folder = folder
        self.peaks = MemoryPeaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)

    def sample(self) -> None:
        """One sample: PSS summed over Chromium processes and over the drivers (node)."""
        mine = [p for p in below(os.getpid()) if p.pid not in self.exclude]
        chromium = [p for p in mine if is_chromium(p.process)]
        drivers = [p for p in mine if p.name.startswith("node")]
        chromium_kib = sum(pss_kib(p) for p in chromium)
        drivers_kib = sum(pss_kib(p) for p in drivers)
        peaks = self.peaks
        peaks.samples += 1
        peaks.chromium_kib = max(peaks.chromium_kib, chromium_kib)
        peaks.drivers_kib = max(peaks.drivers_kib, drivers_kib)
        peaks.chromium_processes = max(peaks.chromium_processes, len(chromium))
        # A process caught between fork and exec (or exiting) shows no command line yet: not counted.
        settled = [p for p in chromium if p.cmdline.strip() and p.state != psutil.STATUS_ZOMBIE]
        peaks.browsers = max(peaks.browsers, sum(1 for p in settled if "--type=" not in p.cmdline))
        missed = [p for p in settled if self.folder not in p.cmdline and not environ_names(p, self.folder)]
        peaks.unrecognised = max(peaks.unrecognised, len(missed))
        for proc in missed[: 3 - len(peaks.unrecognised_examples)]:
            peaks.unrecognised_examples.append(f"{proc.name} [{proc.state}] {proc.cmdline[:120]}")
        peaks.last = {"chromium_kib": chromium_kib, "chromium_processes": len(chromium)}

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self.sample()

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------- the run


def copy_scenarios(folder: Path, runs: int, only: list[str]) -> dict[str, str]:
    """Copy the bundled scenarios round after round under distinct names; {copy's stem: original file}."""
    originals = sorted(SCENARIOS.glob("*.yaml"))
    if only:
        originals = [p for p in originals if p.stem in only]
        missing = sorted(set(only) - {p.stem for p in originals})
        if missing:
            raise SystemExit(f"no bundled scenario named {', '.join(missing)}")
    folder.mkdir(parents=True)
    copies: dict[str, str] = {}
    for n in range(runs):
        original = originals[n % len(originals)]
        stem = f"r{n // len(originals) + 1:02d}-{original.stem}"
        shutil.copyfile(original, folder / f"{stem}.yaml")
        copies[stem] = original.name
    return copies


def start_lab() -> tuple[subprocess.Popen[str], int]:
    """The lab in a child process, and its port."""
    lab = subprocess.Popen(
        [sys.executable, "-c", LAB_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert lab.stdout is not None
    line = lab.stdout.readline()
    if not line.strip().isdigit():
        lab.kill()
        raise SystemExit(f"the lab did not start: {line!r}")
    return lab, int(line)


def mib(kib: int) -> str:
    """KiB as MiB, for people."""
    return f"{kib / 1024:.0f} MiB"


def main() -> int:
    """Run the soak, print its figures and PASS/FAIL."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--only", nargs="*", default=[], help="bundled scenario names to repeat (default: all)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the outputs and print where they are")
    args = parser.parse_args()

    # Chromium's profiles and sockets go under this folder (short: socket paths are limited); set
    # before anything starts Playwright, whose driver and browsers inherit it.
    run_tmp = tempfile.mkdtemp(prefix="soak-", dir="/tmp")
    os.environ["TMPDIR"] = run_tmp
    tempfile.tempdir = None
    work = Path(tempfile.mkdtemp(prefix="bench-soak-", dir="/tmp"))

    from auditor.audit import audit
    from auditor.engine.browser import find_browser
    from auditor.engine.events import RunEvent, ScenarioFinished
    from auditor.engine.run import RunOptions
    from auditor.lab.connectif_api import LAB_API_KEY
    from auditor.results import ScenarioResult, read_results
    from auditor.scenario.load import load_all

    copies = copy_scenarios(work / "scenarios", args.runs, args.only)
    expected: dict[str, Any] = yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))["scenarios"]
    lab, port = start_lab()
    browser = find_browser()
    print(f"browser: {browser.describe()}; {os.cpu_count()} cores; TMPDIR={run_tmp}")
    print(
        f"soak: {args.runs} runs of {len(set(copies.values()))} bundled scenarios, --workers {args.workers}, "
        f"lab on port {port} (child process {lab.pid})",
        flush=True,
    )
    try:
        # The connectif-api scenarios ask the lab's Connectif REST API stand-in, on the loopback address.
        api = {
            "CONNECTIF_API_URL": f"http://127.0.0.1:{port}/connectif-api",
            "CONNECTIF_API_KEY": LAB_API_KEY,
        }
        scenarios = load_all(
            [work / "scenarios"], base_url=f"http://shop.test:{port}", env={**os.environ, **api}
        )
        completed: list[ScenarioResult] = []
        lock = threading.Lock()
        start = time.monotonic()

        def progress(event: RunEvent) -> None:
            if not isinstance(event, ScenarioFinished):
                return
            with lock:
                completed.append(event.result)
                n = len(completed)
            if n % 10 == 0 or n == len(scenarios):
                elapsed = time.monotonic() - start
                statuses = Counter(r.status.value for r in completed)
                last = sampler.peaks.last
                print(
                    f"  {n:>3}/{len(scenarios)} after {elapsed:5.0f} s ({n / elapsed * 60:.1f}/min) "
                    f"{dict(sorted(statuses.items()))}; Chromium now {last.get('chromium_processes', 0)} "
                    f"processes, {mib(last.get('chromium_kib', 0))}; load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )

        with MemorySampler(exclude={lab.pid}, folder=run_tmp) as sampler:
            sampler.sample()
            outcome = audit(
                scenarios,
                RunOptions(browser=browser, out_dir=work / "out", workers=args.workers),
                listener=progress,
            )
            sampler.sample()
        wall = time.monotonic() - start
        at_once = browsers_of_run(run_tmp)
        wait_gone([p.process for p in at_once], LEFTOVER_GRACE_S)
        left = browsers_of_run(run_tmp)
    finally:
        if lab.stdin is not None:
            lab.stdin.close()
        lab.wait(timeout=30)

    recorded = read_results(outcome.paths.results).scenarios
    ids = {r.id for r in recorded}
    statuses = Counter(r.status.value for r in recorded)
    not_run = [r for r in recorded if r.error and r.error.startswith("not run")]
    errors = Counter((r.error or "")[:120] for r in recorded if r.status.value == "error")
    unexpected = Counter(
        f"{copies[Path(r.file).stem]}: {r.status.value} (expected {want})"
        for r in recorded
        if (want := expected.get(copies[Path(r.file).stem], {}).get("status")) and want != r.status.value
    )
    peaks = sampler.peaks
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    print()
    print("| soak | figure |")
    print("|---|---|")
    print(
        f"| runs | {len(scenarios)} scenario runs ({args.runs} files; a matrix file is one run per "
        f"combination), --workers {args.workers}, {wall / 60:.1f} min |"
    )
    print(f"| runs completed | {len(completed)} ({len(not_run)} not run) |")
    print(f"| results recorded in results.json | {len(recorded)} ({len(ids)} distinct ids) |")
    print(f"| statuses | {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))} |")
    print(f"| status differs from expected_outcomes.yaml | {sum(unexpected.values())} |")
    print(f"| peak memory, auditor process (ru_maxrss) | {mib(maxrss_kib)} |")
    print(
        f"| peak memory, Chromium (PSS summed, sampled every {SAMPLE_EVERY_S:g} s) | "
        f"{mib(peaks.chromium_kib)}; at most {peaks.chromium_processes} processes, "
        f"{peaks.browsers} browsers |"
    )
    print(f"| peak memory, Playwright drivers (PSS summed) | {mib(peaks.drivers_kib)} |")
    print(f"| browser processes left after the run | {len(left)} (right after: {len(at_once)}) |")
    if peaks.unrecognised:
        print(f"  warning: up to {peaks.unrecognised} of this run's Chromium processes did not name TMPDIR:")
        for example in peaks.unrecognised_examples:
            print(f"    {example}")
    for text, count in errors.most_common():
        print(f"  error x{count}: {text}")
    for text, count in unexpected.most_common():
        print(f"  unexpected x{count}: {text}")
    for proc in left[:10]:
        print(f"  left: pid {proc.pid} {proc.cmdline[:160]}")

    if args.keep:
        print(f"outputs kept in {work / 'out'}")
    else:
        shutil.rmtree(work, ignore_errors=True)
        if not left:
            shutil.rmtree(run_tmp, ignore_errors=True)
    # Every scenario run handed to audit() (the files' matrices expanded) must come back recorded.
    ok = len(recorded) == len(scenarios) and len(ids) == len(scenarios) and not left
    print()
    print(
        f"{'PASS' if ok else 'FAIL'}: {len(recorded)}/{len(scenarios)} results recorded, "
        f"{len(left)} browser processes left behind"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
