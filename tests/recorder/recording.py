"""Helpers for the recorder's browser tests: run `record` as a person would, replay, and look.

`Session` starts `checkout-auditor record --headless --remote-debugging-port 0` as a subprocess and
connects a second Playwright client to that browser over the DevTools protocol; the flows below then do
each lab platform's checkout in it, the way a customer does (clicks, typing, a popup, iframes).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright

from auditor.lab import Lab

CARDS = {
    "stripe": "4242424242424242",
    "redsys": "4548812049400004",
    "adyen": "4111111111111111",
    "bank": "4548812049400004",
    "elements": "4000056655665556",
}
PAYPAL_PASSWORD = "sandbox-Passw0rd"
EMAIL = "ada@example.com"
STARTUP_S = 180.0  # a loaded CI machine starts Python, Playwright and Chromium slowly


def lab_host_args(lab: Lab) -> list[str]:
    """`--host NAME=127.0.0.1` for every lab host."""
    return [arg for host, ip in lab.hosts.items() for arg in ("--host", f"{host}={ip}")]


def command(*args: str) -> list[str]:
    """The auditor's command line, run by this test's Python."""
    return [sys.executable, "-m", "auditor", *args]


@dataclass
class Session:
    """A running `record` subprocess and what it printed."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def start_readers(self) -> None:
        def read(stream: object, sink: Callable[[str | None], None]) -> None:
            for line in stream:  # type: ignore[attr-defined]
                sink(line)
            sink(None)

        threading.Thread(target=read, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(
            target=read, args=(self.proc.stderr, lambda s: self.stderr.append(s or "")), daemon=True
        ).start()

    def wait_for_line(self, pattern: str, timeout: float = STARTUP_S) -> re.Match[str]:
        """The first printed line matching `pattern` (a failure with everything printed, if none comes)."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}: {self.output()}") from None
            if line is None:
                self.proc.wait(timeout=30)
                raise AssertionError(f"record ended without {pattern!r}: {self.output()}")
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """Wait for the process to end; its exit status and everything it printed."""
        status = self.proc.wait(timeout=timeout)
        while True:
            try:
                line = self.lines.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
        return status, self.output()

    def output(self) -> str:
        return "".join(self.seen) + "\n--- stderr ---\n" + "".join(self.stderr)


@contextmanager
def recording(
    playwright: Playwright, lab: Lab, start_path: str, out: Path, *extra: str
) -> Iterator[tuple[Session, Browser, Page]]:
    """`record` on a lab URL, and a client connected to its browser (the customer's window)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        command(
            "record",
            lab.url("shop.test", start_path),
            "--headless",
            "--remote-debugging-port",
            "0",
            "--out",
            str(out),
            *lab_host_args(lab),
            *extra,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    session = Session(proc)
    session.start_readers()
    try:
        endpoint = session.wait_for_line(r"^DevTools: (\S+)").group(1)
        browser = playwright.chromium.connect_over_cdp(endpoint)
        try:
            page = browser.contexts[0].pages[0]
            page.set_default_timeout(15_000)
            page.wait_for_load_state("load")
            yield session, browser, page
        finally:
            try:
                browser.close()
            except Exception:  # the recorder closed its browser first
                pass
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


# ---------------------------------------------------------------- what a customer does


def to_checkout(page: Page, *, typed_cart: bool = False) -> None:
    """From the catalogue to the checkout form: a product, the cart, the checkout, the e-mail."""
    page.get_by_role("link", name="Mechanical keyboard").click()
    page.click("#add-to-cart")
    page.wait_for_url("**/cart")
    if typed_cart:  # the address bar: becomes a `goto`
        page.goto(page.url)
    page.click("#checkout")
    page.wait_for_url("**/checkout")
    page.locator("#email").press_sequentially(EMAIL)  # one key at a time: still one fill


def stripe(page: Page, lab: Lab) -> None:
    to_checkout(page)
    page.click("#pay")
    page.wait_for_url("**/c/pay/**")
    page.fill("#cardNumber", CARDS["stripe"])
    page.fill("#cardExpiry", "12/34")
    page.fill("#cardCvc", "123")
    page.fill("#billingName", "Ada Lovelace")
    page.press("#billingName", "Enter")  # submits the form: a `press`, not a click


def redsys(page: Page, lab: Lab) -> None:
    to_checkout(page)
    page.click("#pay")
    page.wait_for_url("**/sis/realizarPago")
    page.fill("#card", CARDS["redsys"])
    page.fill("#expiry", "12/49")
    page.fill("#cvv", "123")
    page.click("#submit")
    page.frame_locator("#challenge").locator("#otp").fill("123456")
    page.click("#authorise")
    page.click("#continue")  # the only way back


def adyen(page: Page, lab: Lab) -> None:
    to_checkout(page, typed_cart=True)
    page.click("#pay")
    page.wait_for_url("**/hpp/pay/**")
    page.fill("#card-number", CARDS["adyen"])
    page.fill("#expiry-date", "03/30")
    page.fill("#security-code", "737")
    page.fill("#holder-name", "Ada Lovelace")
    page.click("#pay-button")


def paypal(page: Page, lab: Lab) -> None:
    to_checkout(page)
    page.select_option("#platform", "paypal")  # the shop reloads its checkout for PayPal
    page.wait_for_url("**/checkout?platform=paypal")
    page.fill("#email", EMAIL)
    with page.context.expect_page() as opened:
        page.click("#pay")
    popup = opened.value
    popup.wait_for_url("**/checkoutnow**")
    popup.fill("#password", PAYPAL_PASSWORD)
    popup.click("#btnLogin")
    popup.click("#payment-submit-btn")


def mollie(page: Page, lab: Lab) -> None:
    to_checkout(page)
    page.click("#pay")
    page.wait_for_url("**/checkout/test-mode**")
    page.click("text=Paid")  # the label, as people do: the radio is what is recorded
    page.click("#continue")


def bank(page: Page, lab: Lab) -> None:
    to_checkout(page)
    page.click("#pay")
    page.wait_for_url("**/tpv/**")
    page.fill("#pan", CARDS["bank"])
    page.fill("#exp", "12/49")
    page.click("#next")
    challenge = page.frame_locator("#threeds").frame_locator("#challenge-frame")
    challenge.locator("#otp").fill("123456")
    challenge.locator("#submit-otp").click()


def elements(page: Page, lab: Lab) -> None:
    to_checkout(page)
    card = page.frame_locator("#card-element")
    card.locator("#cardnumber").fill(CARDS["elements"])
    card.locator("#exp-date").fill("12/34")
    card.locator("#cvc").fill("123")
    page.click("#pay")


def deadend(page: Page, lab: Lab) -> None:
    to_checkout(page)
    page.click("#pay")
    page.wait_for_url("**/pay/dp_**")
    page.click("#confirm")
    page.wait_for_selector("#deadend-result")


FLOWS: dict[str, Callable[[Page, Lab], None]] = {
    "stripe": stripe,
    "redsys": redsys,
    "adyen": adyen,
    "paypal": paypal,
    "mollie": mollie,
    "bank": bank,
    "elements": elements,
    "deadend": deadend,
}
# where each flow starts: the lab switch picks the platform (PayPal's is picked on the checkout form)
START = {name: f"/?platform={name}" for name in FLOWS} | {"paypal": "/"}


def secret_env(platform: str) -> dict[str, str]:
    """The variables a replay needs: what the flow typed into secret fields."""
    env = {"CARD_NUMBER": CARDS.get(platform, ""), "SECURITY_CODE": "123", "PAYPAL_PASSWORD": PAYPAL_PASSWORD}
    env["CARD_EXPIRY"] = {"stripe": "12/34", "adyen": "03/30", "elements": "12/34"}.get(platform, "12/49")
    if platform == "adyen":
        env["SECURITY_CODE"] = "737"
    return {k: v for k, v in env.items() if v}
