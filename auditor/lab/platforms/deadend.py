"""A platform that takes the money and never sends the customer back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from auditor.lab import platforms
from auditor.lab.store import Order, display_amount
from auditor.lab.templates import render
from auditor.lab.web import Request, Response

if TYPE_CHECKING:
    from auditor.lab.server import Lab

HOST = "pay.deadend.test"
BRAND = {"brand": "Deadend Pay", "colour": "#555555"}
PAY = re.compile(r"^/pay/(?P<id>dp_[0-9a-f]+)$")


def begin(lab: Lab, order: Order, req: Request) -> Response:
    """The shop redirects to the platform (and never sees the customer again)."""
    return platforms.create_and_redirect(
        lab,
        order,
        prefix="dp_",
        host=HOST,
        path="/pay/{id}",
        success_url=lab.shop.url(f"/order/confirmation/{order.ref}"),
        failure_url=lab.shop.url(f"/checkout/payment-failed/{order.ref}"),
    )


def handle(lab: Lab, req: Request) -> Response:
    """Requests to pay.deadend.test."""
    m = PAY.match(req.path)
    payment = lab.store.payment(m["id"]) if m else None
    if payment is None:
        return platforms.not_found(BRAND, "Not found")
    amount = display_amount(payment.amount)
    if req.method == "GET":
        blocked = platforms.guard(lab, payment.switches.faults)
        return blocked or render("deadend_pay.html", payment=payment, amount=amount, done=False, **BRAND)
    if payment.status == "open":
        lab.store.settle(payment, platforms.settle_status(payment))
    return render(
        "deadend_pay.html", payment=payment, amount=amount, done=True, ok=payment.status == "paid", **BRAND
    )


PLATFORM = platforms.Platform(
    name="deadend",
    label="Deadend Pay (never returns)",
    hosts=(HOST,),
    begin=begin,
    handle=handle,
    mechanism="none",
)
