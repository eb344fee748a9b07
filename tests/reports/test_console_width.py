"""The console's width: a terminal's own, $COLUMNS, or, in a pipe (a CI log, `| tee`), no wrapping at all."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from auditor.lab import Lab

# Far past 80 columns: rich used to break it over several table lines in a pipe.
LONG = "/" + "/".join(f"a-rather-long-folder-{i}" for i in range(8)) + "/confirmation"
# reconcile's first likely cause for these exports: one line of about 230 characters.
ACTION = (
    "→ In the back office of redsys, switch on the automatic return to the shop after a successful payment"
)


def environment(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE")
    }
    env.update(extra)
    return env


def write_exports(folder: Path) -> None:
    """300 orders; redsys loses 40 of its 100, card 2 of its 200."""
    orders = ["order_id,payment_method,status"]
    purchases = ["purchase_id"]
    for n in range(300):
        method = "redsys" if n < 100 else "card"
        orders.append(f"{n},{method},completed")
        if not (n < 40 or 100 <= n < 102):
            purchases.append(str(n))
    (folder / "orders.csv").write_text("\n".join(orders) + "\n", encoding="utf-8")
    (folder / "purchases.csv").write_text("\n".join(purchases) + "\n", encoding="utf-8")


RECONCILE = [
    sys.executable,
    "-m",
    "auditor",
    "reconcile",
    "--orders",
    "orders.csv",
    "--purchases",
    "purchases.csv",
]


def reconcile_in_a_pipe(folder: Path, env: dict[str, str]) -> list[str]:
    write_exports(folder)
    done = subprocess.run(
        [*RECONCILE, "--out", "out"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # above the default --max-loss 0
    return done.stdout.splitlines()


@pytest.mark.browser
def test_run_in_a_pipe_keeps_a_long_path_on_one_line(tmp_path: Path) -> None:
    with Lab() as lab:
        (tmp_path / "waits.yaml").write_text(
            f"""name: waits-for-a-page
base_url: {lab.url("shop.test").rstrip("/")}
hosts: {json.dumps(lab.hosts)}
timeouts: {{step: 1s, navigation: 15s, scenario: 60s, tracking: 1s}}
steps:
  - goto: /
  - wait_for: {{url: "**{LONG}"}}
expect:
  confirmation_url: "**{LONG}"
""",
            encoding="utf-8",
        )
        done = subprocess.run(
            [sys.executable, "-m", "auditor", "run", "waits.yaml", "--out", "out"],
            cwd=tmp_path,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert done.returncode == 1, done.stdout + done.stderr  # the wait is in vain: an error
    # The table row holds the scenario, its error with the whole path, and its time: one line.
    row = [line for line in done.stdout.splitlines() if LONG in line]
    assert len(row) == 1, done.stdout
    assert "ERROR" in row[0] and "waits-for-a-page" in row[0], done.stdout
    assert "(wait_for, waits.yaml:7) failed" in row[0] and "in vain" in row[0], done.stdout


def test_reconcile_in_a_pipe_does_not_wrap(tmp_path: Path) -> None:
    lines = reconcile_in_a_pipe(tmp_path, environment())
    action = [line for line in lines if ACTION in line]
    assert len(action) == 1, "\n".join(lines)
    assert action[0].rstrip().endswith("so the buyer always lands on the confirmation page.")


def test_reconcile_in_a_pipe_wraps_at_columns(tmp_path: Path) -> None:
    lines = reconcile_in_a_pipe(tmp_path, environment(COLUMNS="50"))
    assert max(len(line) for line in lines) <= 50, "\n".join(lines)
    assert not any(ACTION in line for line in lines)  # wrapped, as asked
    assert "automatic return to the shop after a successful" in " ".join(line.strip() for line in lines)


def test_reconcile_in_a_terminal_wraps_at_its_width(tmp_path: Path) -> None:
    write_exports(tmp_path)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 60, 0, 0))  # 40 rows, 60 columns
    child = subprocess.Popen(
        [*RECONCILE, "--out", "out"],
        cwd=tmp_path,
        env=environment(TERM="xterm"),
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], deadline - time.monotonic())
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end of the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(master)
        assert child.wait(timeout=10) == 1
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode("utf-8"))
    lines = text.replace("\r\n", "\n").splitlines()
    assert "FAIL: loss rate 14% is above --max-loss 0%" in lines, text
    assert max(len(line) for line in lines) <= 60, text
    assert not any(ACTION in line for line in lines), text
