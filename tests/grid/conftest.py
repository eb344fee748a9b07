"""A real Selenium Grid 4 standalone for the --grid tests, or a skip that says what is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.lab.grid import LocalGrid, grid_problem


def start_grid(log: Path, **options: int) -> LocalGrid:
    """A started grid, or a skip naming the missing piece (Java, the jar, a matching chromedriver)."""
    problem = grid_problem()
    if problem:
        pytest.skip(f"no local Selenium Grid: {problem} (`make test` sets it up where it can)")
    return LocalGrid(log=log, **options).start()


@pytest.fixture(scope="session")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalGrid]:
    """A standalone with 2 slots on a free loopback port, with the offline configuration of examples/grid."""
    running = start_grid(tmp_path_factory.mktemp("grid") / "grid.log", slots=2)
    try:
        yield running
    finally:
        running.stop()
