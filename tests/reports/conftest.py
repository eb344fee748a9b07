"""A real Chromium for the report tests, started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright

from auditor.engine.browser import find_browser, launch_args


@pytest.fixture(scope="session")
def playwright_session(shared_playwright: Playwright) -> Playwright:
    return shared_playwright


@pytest.fixture(scope="session")
def report_browser(playwright_session: Playwright) -> Iterator[Browser]:
    browser = playwright_session.chromium.launch(
        executable_path=find_browser().executable_for(headless=True), args=launch_args(headless=True)
    )
    yield browser
    browser.close()
