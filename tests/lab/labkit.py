"""Helpers for the lab's browser tests: a customer, and what they do on each platform."""

from __future__ import annotations

from collections.abc import Callable
from http.client import HTTPConnection
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Page

from auditor.lab import Lab
from auditor.lab.connectif import purchases

Events = list[dict[str, Any]]


def http(
    lab: Lab,
    method: str,
    host: str,
    path: str,
    *,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5,
) -> tuple[int, str]:
    """One request to a lab host, straight to the loopback port with that Host header."""
    body = urlencode(form).encode() if form is not None else None
    sent = {"Host": f"{host}:{lab.port}", **(headers or {})}
    if form is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    conn = HTTPConnection("127.0.0.1", lab.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


class Shopper:
    """Drives the shop the way a customer does, and reads the lab's ground truth."""

    def __init__(self, lab: Lab, page: Page) -> None:
        self.lab = lab
        self.page = page

    def switch(self, **params: str | int) -> None:
        """Set lab switches through the shop's query string (kept in the session)."""
        self.page.goto("/?" + urlencode(params))

    def add(self, slug: str = "keyboard", quantity: int = 1, **switches: str | int) -> None:
        """Put a product in the cart (switches ride on the product page's URL)."""
        query = "?" + urlencode(switches) if switches else ""
        self.page.goto(f"/product/{slug}{query}")
        self.page.fill("#quantity", str(quantity))
        self.page.click("#add-to-cart")
        self.page.wait_for_url("**/cart")

    def checkout(self, email: str = "buyer@example.com") -> None:
        """Open the checkout page and fill the form (the platform comes from the switches)."""
        self.page.goto("/checkout")
        self.page.fill("#email", email)

    def order(self, ref: str) -> dict[str, Any]:
        """The lab's record of an order."""
        return next(o for o in self.lab.orders() if o["ref"] == ref)

    def last_order(self, email: str) -> dict[str, Any]:
        """The newest order placed with this email."""
        return [o for o in self.lab.orders() if o["email"] == email][-1]

    def ref_from_url(self) -> str:
        """The order reference in the current confirmation URL."""
        return self.page.url.split("/order/confirmation/")[1].split("?")[0]

    def tracking(self, fragment: str) -> Events:
        """Tracking requests sent from pages whose URL contains `fragment`."""
        return [
            e for e in self.lab.events() if e["kind"] == "tracking" and fragment in (e.get("page_url") or "")
        ]

    def wait_tracking(
        self, fragment: str, until: Callable[[Events], bool] | None = None, timeout: float = 5
    ) -> Events:
        """Wait until tracking from pages matching `fragment` satisfies `until` (default: any)."""

        def mine(events: Events) -> Events:
            return [e for e in events if e["kind"] == "tracking" and fragment in (e.get("page_url") or "")]

        check = until or bool
        events = self.lab.wait_for_events(lambda evs: bool(check(mine(evs))), timeout)
        assert events is not None, f"no tracking from {fragment!r} within {timeout}s"
        return mine(events)

    def purchases(self, fragment: str) -> list[dict[str, Any]]:
        """Purchase events received from pages matching `fragment`."""
        return purchases(self.tracking(fragment))


# what a customer does on each platform, from the shop's #pay click to the last step there
def pay_stripe(page: Page, card: str = "4242 4242 4242 4242") -> None:
    """Stripe Checkout: hosted page, one form."""
    page.click("#pay")
    page.wait_for_url("**/c/pay/**")
    page.fill("#cardNumber", card)
    page.fill("#billingName", "Ada Lovelace")
    page.click("#submit")


def pay_redsys(page: Page) -> None:
    """Redsys: card, then the 3-D Secure code in the #challenge iframe, then Autorizar."""
    page.click("#pay")
    page.wait_for_url("**/sis/realizarPago")
    page.fill("#card", "4548812049400004")
    page.fill("#expiry", "12/49")
    page.fill("#cvv", "123")
    page.click("#submit")
    page.wait_for_url("**/sis/challenge")
    page.frame_locator("#challenge").locator("#otp").fill("123456")
    page.click("#authorise")
    page.wait_for_url("**/sis/result")


def pay_adyen(page: Page) -> None:
    """Adyen hosted page."""
    page.click("#pay")
    page.wait_for_url("**/hpp/pay/**")
    page.fill("#card-number", "4111 1111 1111 1111")
    page.click("#pay-button")


def pay_mollie(page: Page, status: str = "paid") -> None:
    """Mollie test mode: pick the status."""
    page.click("#pay")
    page.wait_for_url("**/checkout/test-mode**")
    page.check(f"#status-{status}")
    page.click("#continue")


def pay_bank(page: Page, otp: str = "123456") -> None:
    """Bank TPV: card, then the OTP two iframes down."""
    page.click("#pay")
    page.wait_for_url("**/tpv/**")
    page.fill("#pan", "4548812049400004")
    page.click("#next")
    challenge = page.frame_locator("#threeds").frame_locator("#challenge-frame")
    challenge.locator("#otp").fill(otp)
    challenge.locator("#submit-otp").click()


def pay_elements(page: Page, card: str = "4242 4242 4242 4242") -> None:
    """Stripe Elements: the card goes into the iframe, #pay stays on the shop."""
    frame = page.frame_locator("#card-element")
    frame.locator("#cardnumber").fill(card)
    frame.locator("#exp-date").fill("12/49")
    frame.locator("#cvc").fill("123")
    page.click("#pay")


def pay_paypal(page: Page) -> Page:
    """PayPal: the popup opens from #pay; log in and approve; it closes. Returns the popup."""
    with page.expect_popup() as popup_info:
        page.click("#pay")
    popup = popup_info.value
    popup.wait_for_url("**/checkoutnow?**")
    popup.fill("#password", "sandbox")
    popup.click("#btnLogin")
    # expect the close around the click: with no return delay it may come at once
    with popup.expect_event("close"):
        popup.click("#payment-submit-btn")
    return popup


def buy(shopper: Shopper, slug: str = "keyboard", quantity: int = 1, **switches: str | int) -> str:
    """A whole Stripe Checkout purchase under the given switches; returns the order reference."""
    shopper.add(slug, quantity, platform="stripe", **switches)
    shopper.checkout()
    pay_stripe(shopper.page)
    shopper.page.wait_for_url("**/order/confirmation/**")
    return shopper.ref_from_url()
