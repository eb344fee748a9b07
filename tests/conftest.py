"""Fixtures shared by every test folder."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import Playwright, sync_playwright

from auditor.lab import Lab

# A shell without job control starts a background command (`make test &`, some CI runners) with SIGINT
# ignored, and every process started from it inherits that: the commands the tests interrupt would never
# see their Ctrl-C. A Python handler here is reset to the default at each exec, so they get theirs back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def shared_playwright() -> Iterator[Playwright]:
    """One Playwright driver per test process: the sync API allows only one per thread at a time."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """The lab shop on a free port, one per test module: what it records (orders, purchases, the
    API stand-in's store) starts empty for each module. tests/lab and tests/recorder share one per
    session instead (their own conftest)."""
    with Lab() as running:
        yield running


def _module_weight(item: pytest.Item) -> float:
    module = item.getparent(pytest.Module)
    mark = module.get_closest_marker("heavy") if module is not None else None
    return float(mark.args[0]) if mark is not None else 0.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules marked `heavy` first, longest first; the others after them, in file order.

    `make test` hands whole modules to two xdist workers in this order (`--dist loadscope
    --no-loadscope-reorder`). xdist's own order, by number of tests, put the few-test modules that take
    minutes (the truth table, the grid) last, and one worker ran them alone while the other sat idle.
    The sort is stable and by module, so a module's tests stay together and in their order.
    """
    items.sort(key=lambda item: -_module_weight(item))
