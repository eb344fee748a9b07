"""PayPal-like popup: log in, approve; the popup tells its opener and closes itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.lab import platforms
from auditor.lab.store import Order, Payment, display_amount
from auditor.lab.templates import render
from auditor.lab.web import Request, Response

if TYPE_CHECKING:
    from auditor.lab.server import Lab

HOST = "sandbox.paypal.test"
BRAND = {"brand": "PayPal Sandbox", "colour": "#003087"}


def begin(lab: Lab, order: Order, req: Request) -> Response:
    """POST /checkout arrived in the popup the shop opened: send it on to PayPal."""
    return platforms.create_and_redirect(
        lab,
        order,
        prefix="EC-",
        host=HOST,
        path="/checkoutnow?token={id}",
        success_url=lab.shop.url("/payment/return/paypal"),
    )


def _page(template: str, payment: Payment, **context: object) -> Response:
    return render(template, payment=payment, amount=display_amount(payment.amount), **BRAND, **context)


def handle(lab: Lab, req: Request) -> Response:
    """Requests to sandbox.paypal.test."""
    payment = lab.store.payment(req.arg("token"))
    if payment is None:
        return platforms.not_found(
            BRAND, "Things don't appear to be working", "This checkout session is not valid."
        )
    if req.method == "GET" and req.path == "/checkoutnow":
        blocked = platforms.guard(lab, payment.switches.faults)
        return blocked or _page("paypal_login.html", payment)
    if req.method == "POST" and req.path == "/checkoutnow/login":
        return _page("paypal_review.html", payment)
    if req.method == "POST" and req.path == "/checkoutnow/approve":
        if payment.status == "open":
            wanted = "canceled" if req.arg("action") == "cancel" else "paid"
            lab.store.settle(payment, platforms.settle_status(payment, wanted))
        approved = payment.status == "paid"
        config = {
            "status": "approved" if approved else payment.status,
            "token": payment.id,
            "shopOrigin": lab.shop.url("").rstrip("/"),
            "delayMs": payment.delay_ms,
        }
        return _page("paypal_done.html", payment, approved=approved, config=config)
    return platforms.not_found(BRAND, "Page not found")


PLATFORM = platforms.Platform(
    name="paypal",
    label="PayPal (popup)",
    hosts=(HOST,),
    begin=begin,
    handle=handle,
    mechanism="opener",
)
