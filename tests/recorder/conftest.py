"""Fixtures for the recorder's tests: one lab, and one Chromium (for walking recorded scenarios)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright

from auditor.engine.browser import find_browser, launch_args
from auditor.lab import Lab


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The lab, serving on a free port for the whole session."""
    with Lab() as running:
        yield running


@pytest.fixture(scope="session")
def walker_browser(shared_playwright: Playwright, lab: Lab) -> Iterator[Browser]:
    """A Chromium that resolves every lab host, for walking recorded scenarios."""
    instance = shared_playwright.chromium.launch(
        executable_path=find_browser().executable_for(headless=True), args=launch_args(lab.hosts)
    )
    yield instance
    instance.close()
