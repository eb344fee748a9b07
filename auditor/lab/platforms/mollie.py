"""Mollie-like test-mode screen: pick the payment's status, then a meta-refresh back."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from auditor.lab import platforms
from auditor.lab.store import Order, display_amount
from auditor.lab.templates import render
from auditor.lab.web import Request, Response, with_query

if TYPE_CHECKING:
    from auditor.lab.server import Lab

HOST = "mollie.test"
BRAND = {"brand": "mollie · test mode", "colour": "#0a0a0a"}
STATUSES = [("paid", "Paid"), ("failed", "Failed"), ("canceled", "Canceled"), ("expired", "Expired")]


def begin(lab: Lab, order: Order, req: Request) -> Response:
    """The shop creates a payment through the API and redirects to its checkout URL."""
    return platforms.create_and_redirect(
        lab,
        order,
        prefix="tr_",
        host=HOST,
        path="/checkout/test-mode?method=creditcard&token={id}",
        success_url=with_query(lab.shop.url("/payment/return/mollie"), ref=order.ref),
    )


def handle(lab: Lab, req: Request) -> Response:
    """Requests to mollie.test."""
    payment = lab.store.payment(req.arg("token"))
    if payment is None or req.path != "/checkout/test-mode":
        return platforms.not_found(BRAND, "Payment not found", "This payment does not exist.")
    if req.method == "GET":
        blocked = platforms.guard(lab, payment.switches.faults)
        return blocked or render(
            "mollie_test.html",
            payment=payment,
            statuses=STATUSES,
            amount=display_amount(payment.amount),
            **BRAND,
        )
    wanted = req.arg("final_state", "paid")
    if wanted not in dict(STATUSES):
        wanted = "failed"
    if payment.status == "open":
        lab.store.settle(payment, "failed" if payment.has("declined") else wanted)
    # meta refresh counts whole seconds only (the HTML spec drops fractions), so a delay of
    # 1..999 ms becomes 1 s here; use another platform to model sub-second delays
    seconds = math.ceil(payment.delay_ms / 1000)
    return render(
        "mollie_redirect.html", seconds=seconds, url=payment.success_url, payment_status=payment.status
    )


PLATFORM = platforms.Platform(
    name="mollie",
    label="Mollie (test mode)",
    hosts=(HOST,),
    begin=begin,
    handle=handle,
    mechanism="meta-refresh",
)
