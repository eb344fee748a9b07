"""Adyen-like hosted payment page: back with an auto-submitted GET form carrying resultCode."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from auditor.lab import platforms
from auditor.lab.store import Order, display_amount
from auditor.lab.templates import render
from auditor.lab.web import Request, Response

if TYPE_CHECKING:
    from auditor.lab.server import Lab

HOST = "test.adyen.test"
BRAND = {"brand": "Adyen · TEST", "colour": "#0abf53"}
PAY = re.compile(r"^/hpp/pay/(?P<id>88[0-9a-f]+)$")


def begin(lab: Lab, order: Order, req: Request) -> Response:
    """The shop creates a payment session and redirects to the hosted page."""
    return platforms.create_and_redirect(
        lab,
        order,
        prefix="88",
        host=HOST,
        path="/hpp/pay/{id}",
        success_url=lab.shop.url("/payment/return/adyen"),
    )


def handle(lab: Lab, req: Request) -> Response:
    """Requests to test.adyen.test."""
    m = PAY.match(req.path)
    payment = lab.store.payment(m["id"]) if m else None
    if payment is None:
        return platforms.not_found(BRAND, "Payment not found", "This payment session has expired.")
    if req.method == "GET":
        blocked = platforms.guard(lab, payment.switches.faults)
        return blocked or render(
            "adyen_hpp.html", payment=payment, amount=display_amount(payment.amount), **BRAND
        )
    if payment.status == "open":
        lab.store.settle(payment, platforms.settle_status(payment))
    result = "Authorised" if payment.status == "paid" else "Refused"
    # the form's action has no query string: a GET form would drop it
    return render(
        "autosubmit.html",
        title="Redirecting",
        message="Returning to the shop…",
        method="get",
        action=payment.success_url,
        fields=[
            ("merchantReference", payment.order_ref),
            ("resultCode", result),
            ("pspReference", payment.id),
        ],
        delay_ms=payment.delay_ms,
    )


PLATFORM = platforms.Platform(
    name="adyen",
    label="Adyen hosted page",
    hosts=(HOST,),
    begin=begin,
    handle=handle,
    mechanism="form-get",
)
