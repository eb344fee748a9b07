"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Playwright, sync_playwright


@pytest.fixture(scope="session")
def shared_playwright() -> Iterator[Playwright]:
    """One Playwright driver per test process: the sync API allows only one per thread at a time."""
    with sync_playwright() as p:
        yield p
