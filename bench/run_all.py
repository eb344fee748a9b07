"""`make bench`: run every bench/bench_*.py in turn and say which met its target."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    failed: list[str] = []
    for script in sorted(here.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        status = subprocess.run([sys.executable, str(script)], cwd=here.parent, check=False).returncode
        if status != 0:
            failed.append(script.name)
    print("== all benchmarks met their targets" if not failed else f"== missed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
