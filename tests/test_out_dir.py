"""The default output folder: one of its own for every run, even runs started in the same second."""

from __future__ import annotations

import threading
from pathlib import Path

from auditor.audit import new_out_dir


def test_runs_started_together_each_get_a_folder_of_their_own(tmp_path: Path) -> None:
    start = threading.Barrier(8)
    got: list[Path] = []

    def one() -> None:
        start.wait(timeout=10)
        got.append(new_out_dir(tmp_path / "reports"))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(got) == 8 and len(set(got)) == 8, got
    assert all(folder.is_dir() and not any(folder.iterdir()) for folder in got)


def test_a_root_that_cannot_hold_folders_is_left_to_the_outputs_check(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the folder goes", encoding="utf-8")
    folder = new_out_dir(blocker)
    assert folder.parent == blocker and not folder.exists()
