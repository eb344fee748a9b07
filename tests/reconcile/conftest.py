"""Fixtures for the reconcile tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/ is not a package; make the export helpers importable from the test modules.
sys.path.insert(0, str(Path(__file__).parent))

from reconcile_exports import Exports, mix, write_exports


@pytest.fixture
def exports(tmp_path: Path) -> Exports:
    """A plain pair: 100 orders, 10 lost, spread evenly over two methods."""
    return write_exports(tmp_path, mix({"card": (50, 5), "paypal": (50, 5)}))
