"""The shop under test: the lab's, started here on a free port, or the one at $SHOP_URL.

`checkout-auditor lab --port 8000` prints a running lab's addresses; then
`SHOP_URL=http://shop.test:8000 pytest` runs these tests against it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from auditor.lab import Lab


@pytest.fixture(scope="session")
def shop_url() -> Iterator[str]:
    """The shop's address, without a trailing slash."""
    given = os.environ.get("SHOP_URL")
    if given:
        yield given.rstrip("/")
        return
    with Lab() as lab:
        yield lab.url("shop.test").rstrip("/")


def fill_cart(page: Page, shop_url: str, switches: str) -> str:
    """Put the keyboard in the cart and open the checkout; returns the cart's total as the page shows it.

    `switches` are the lab's query parameters (`platform=…`, `fault=…`), kept in the shop's session.
    """
    page.goto(f"{shop_url}/?{switches}")
    page.goto(f"{shop_url}/product/keyboard")
    page.get_by_text("Add to cart").click()
    total = page.locator("#cart-total").inner_text()
    page.locator("#checkout").click()
    page.locator("#email").fill("audit@example.com")
    return total
