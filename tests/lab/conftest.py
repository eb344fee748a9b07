"""Fixtures for the lab's tests: one lab and one Chromium per xdist worker, a context per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from auditor.engine.browser import find_browser, launch_args
from auditor.lab import Lab

from .labkit import Shopper


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The lab, serving on a free port for the whole session."""
    with Lab() as running:
        yield running


@pytest.fixture(scope="session")
def playwright_(shared_playwright: Playwright) -> Playwright:
    """Playwright's driver, shared with the other test folders of this process."""
    return shared_playwright


@pytest.fixture(scope="session")
def browser(playwright_: Playwright, lab: Lab) -> Iterator[Browser]:
    """One Chromium that resolves every lab host to the loopback address."""
    choice = find_browser()
    instance = playwright_.chromium.launch(
        executable_path=choice.executable_for(headless=True), args=launch_args(lab.hosts)
    )
    yield instance
    instance.close()


@pytest.fixture
def context(browser: Browser, lab: Lab) -> Iterator[BrowserContext]:
    """A fresh browser profile (cookies, storage) for each test."""
    ctx = browser.new_context(base_url=lab.url("shop.test").rstrip("/"))
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page in the test's context."""
    return context.new_page()


@pytest.fixture
def shopper(lab: Lab, page: Page) -> Shopper:
    """A customer in a fresh browser profile."""
    return Shopper(lab, page)


@pytest.fixture(autouse=True)
def no_lab_errors(lab: Lab) -> Iterator[None]:
    """Every test also fails when the lab hit a bug of its own (answered 500 'lab error')."""
    before = len(lab.errors)
    yield
    assert lab.errors[before:] == []
