"""How the command ends: the exit status, the whole output and every exit handler, then at once.

`main()` skips the interpreter's teardown (exit_now) only when nothing can be lost; these run the real
entry point in a fresh interpreter and read what came out of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from auditor.cli.start import GC_THRESHOLDS

BAD = "name: x\nsteps:\n  - goto: /\n  - clik: '#buy'\n"  # a misspelt action: exit status 2
GOOD = "name: fine\nbase_url: http://shop.test\nsteps:\n  - goto: /\n"

# The entry point, with an exit handler and (with "thread") a non-daemon thread that only writes once
# the main thread has finished: Python waits for such a thread, and so must the quick exit.
PROGRAM = """
import atexit, gc, os, sys, threading
atexit.register(lambda: print("exit handler ran", flush=True))
atexit.register(lambda: print("cycle collector enabled:", gc.isenabled(), flush=True))
atexit.register(lambda: print("thresholds:", gc.get_threshold(), flush=True))
atexit.register(lambda: print("plugins off:", repr(os.environ.get("PYDANTIC_DISABLE_PLUGINS")), flush=True))
if sys.argv[1] == "thread":
    def late():
        threading.main_thread().join()
        print("the thread finished", flush=True)
    threading.Thread(target=late).start()
sys.argv = ["checkout-auditor", *sys.argv[2:]]
from auditor.cli.start import main
main()
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_the_exit_status_and_the_messages_come_out_whole(tmp_path: Path) -> None:
    paths = []
    for n in range(40):  # enough lines that a lost buffer would show
        (tmp_path / f"s{n:02d}.yaml").write_text(BAD if n == 39 else GOOD, encoding="utf-8")
        paths.append(str(tmp_path / f"s{n:02d}.yaml"))
    done = run("plain", "validate", *paths)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "s39.yaml" in done.stdout + done.stderr and "clik" in done.stdout + done.stderr
    assert "exit handler ran" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_successful_command_exits_0_after_its_exit_handlers(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(GOOD, encoding="utf-8")
    done = run("plain", "validate", str(tmp_path / "s.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("exit handler ran")


def test_a_running_thread_is_waited_for_as_python_would(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(GOOD, encoding="utf-8")
    done = run("thread", "validate", str(tmp_path / "s.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the thread finished" in done.stdout and "exit handler ran" in done.stdout


def test_the_cycle_collector_runs_again_once_the_command_line_is_imported(tmp_path: Path) -> None:
    """The entry point pauses it only for the import (auditor.cli.start): a command runs with it on."""
    (tmp_path / "s.yaml").write_text(GOOD, encoding="utf-8")
    done = run("plain", "validate", str(tmp_path / "s.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cycle collector enabled: True" in done.stdout


def test_a_command_collects_young_objects_less_often_and_skips_pydantic_plugins(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(GOOD, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    done = run("plain", "validate", str(tmp_path / "s.yaml"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"thresholds: {GC_THRESHOLDS}" in done.stdout
    assert "plugins off: '__all__'" in done.stdout


def test_pydantic_plugins_stay_as_the_user_set_them(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(GOOD, encoding="utf-8")
    done = run(
        "plain", "validate", str(tmp_path / "s.yaml"), env={**os.environ, "PYDANTIC_DISABLE_PLUGINS": ""}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "plugins off: ''" in done.stdout


def test_a_run_that_stops_in_its_set_up_leaves_the_cycle_collector_on(tmp_path: Path) -> None:
    """`run` pauses the collector during its set-up (cli/main.py): a bad scenario must not keep it off."""
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    done = run("plain", "run", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cycle collector enabled: True" in done.stdout


def test_an_output_folder_that_cannot_be_written_is_exit_2_before_anything_runs(tmp_path: Path) -> None:
    scenario = tmp_path / "fine.yaml"
    scenario.write_text(GOOD, encoding="utf-8")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    (tmp_path / "taken" / "results.json").mkdir(parents=True)  # a folder where results.json goes
    shard = tmp_path / "shard"
    shard.mkdir()
    (shard / "results.json").write_text(
        '{"version": 1, "started": "2026-12-02T10:00:00+00:00", "finished": "2026-12-02T10:00:01+00:00",'
        ' "scenarios": []}',
        encoding="utf-8",
    )
    cases = [
        (["run", str(scenario), "--out", str(tmp_path / "a-file" / "out")], "Not a directory"),
        (["run", str(scenario), "--out", str(tmp_path / "taken")], "a folder is where the file goes"),
        (["merge", str(shard), "--out", str(tmp_path / "a-file" / "out")], "Not a directory"),
    ]
    for args, why in cases:
        done = run("plain", *args)
        said = done.stdout + done.stderr
        assert done.returncode == 2, said
        assert "Traceback" not in said and "cannot write the run's outputs" in said and why in said, said
        assert "running" not in said  # refused before any scenario started
