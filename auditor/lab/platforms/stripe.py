"""Stripe-like Checkout (hosted page, 303 back) and Elements (card iframe in the shop's page)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from auditor.lab import platforms
from auditor.lab.store import Order, display_amount
from auditor.lab.switches import Switches
from auditor.lab.templates import render
from auditor.lab.web import Request, Response, json_response, redirect, with_query

if TYPE_CHECKING:
    from auditor.lab.server import Lab

CHECKOUT_HOST = "checkout.stripe.test"
JS_HOST = "js.stripe.test"
BRAND = {"brand": "stripe", "colour": "#635bff"}
DECLINE_CARD = "4000000000000002"  # Stripe's "generic decline" test card
PAY = re.compile(r"^/c/pay/(?P<id>cs_test_[A-Za-z0-9]+)$")
CONFIRM = re.compile(r"^/v1/payment_intents/(?P<id>pi_[A-Za-z0-9]+)/confirm$")
ELEMENTS_PATH = "/v3/elements-inner-card.html"


def _declines(card: str) -> bool:
    return card.replace(" ", "") == DECLINE_CARD


# Checkout ------------------------------------------------------------------------------------
def begin_checkout(lab: Lab, order: Order, req: Request) -> Response:
    """The shop creates a Checkout Session server-side and redirects the customer to it."""
    return platforms.create_and_redirect(
        lab,
        order,
        prefix="cs_test_",
        host=CHECKOUT_HOST,
        path="/c/pay/{id}",
        success_url=lab.shop.url(f"/order/confirmation/{order.ref}"),
        # Stripe's cancel_url: the "back" link of the hosted page; the shop cancels the order there
        # and puts its lines back into the cart
        failure_url=lab.shop.url(f"/cart?cancelled={order.ref}"),
        id_param="session_id",
    )


def _checkout(lab: Lab, req: Request) -> Response:
    m = PAY.match(req.path)
    payment = lab.store.payment(m["id"]) if m else None
    if payment is None:
        return platforms.not_found(BRAND, "Something went wrong", "This Checkout Session does not exist.")
    amount = display_amount(payment.amount)
    if req.method == "GET":
        blocked = platforms.guard(lab, payment.switches.faults)
        return blocked or render("stripe_checkout.html", payment=payment, amount=amount, error=None, **BRAND)
    if req.method != "POST":
        return Response(405)
    if payment.status == "open":
        wanted = "declined" if _declines(req.arg("cardNumber")) else "paid"
        lab.store.settle(payment, platforms.settle_status(payment, wanted))
    if payment.status != "paid":
        # as on Stripe, a declined card stays on the page: the customer is not sent back
        payment.status = "open"
        return render(
            "stripe_checkout.html",
            402,
            payment=payment,
            amount=amount,
            error="Your card was declined.",
            **BRAND,
        )
    return redirect(payment.success_url, 303)


# Elements ------------------------------------------------------------------------------------
def elements_origin(lab: Lab, switches: Switches) -> str:
    """The origin the Elements iframe is served from (a closed port under pay-refused)."""
    if switches.has("pay-refused"):
        return lab.closed_url(JS_HOST, "").rstrip("/")
    return lab.origin(JS_HOST)


def elements_src(lab: Lab, switches: Switches) -> str:
    """The card iframe's src for the shop's checkout page."""
    key = "pk_live_51LabLiveKey" if switches.has("live-key") else "pk_test_51LabTestKey"
    params = {"key": key, "origin": lab.shop.url("").rstrip("/")}
    for fault in ("pay-hang", "pay-500"):  # no order exists yet: the frame URL carries them
        if switches.has(fault):
            params["lab_fault"] = fault
    return with_query(elements_origin(lab, switches) + ELEMENTS_PATH, **params)


def begin_elements(lab: Lab, order: Order, req: Request) -> Response:
    """The shop's fetch('/checkout'): a PaymentIntent whose client secret goes to the frame."""
    payment = lab.store.create_payment(
        order,
        prefix="pi_",
        success_url=lab.shop.url(f"/order/confirmation/{order.ref}"),
        failure_url=lab.shop.url(f"/checkout/payment-failed/{order.ref}"),
    )
    payment.success_url = with_query(payment.success_url, payment_intent=payment.id)
    if not req.wants_json:
        return render(
            "platform_error.html",
            400,
            title="JavaScript needed",
            message="Card payments need JavaScript.",
            **BRAND,
        )
    return json_response({"ref": order.ref, "client_secret": payment.id, "return_url": payment.success_url})


def _elements(lab: Lab, req: Request) -> Response:
    if req.method == "GET" and req.path == ELEMENTS_PATH:
        faults = {req.arg("lab_fault")}
        blocked = platforms.guard(lab, faults)
        config = {"parentOrigin": req.arg("origin"), "key": req.arg("key")}
        return blocked or render("elements_card.html", config=config)
    m = CONFIRM.match(req.path)
    if req.method == "POST" and m:
        payment = lab.store.payment(m["id"])
        if payment is None:
            return json_response({"status": "failed", "error": "No such payment_intent"}, 404)
        try:
            card = str(json.loads(req.body or b"{}").get("card", ""))
        except (ValueError, AttributeError):
            card = ""
        if payment.status == "open":
            wanted = "declined" if _declines(card) else "paid"
            lab.store.settle(payment, platforms.settle_status(payment, wanted))
        if payment.status == "paid":
            return json_response({"status": "succeeded", "delay_ms": payment.delay_ms})
        return json_response({"status": "requires_payment_method", "error": "Your card was declined."})
    return json_response({"error": "not found"}, 404)


def handle(lab: Lab, req: Request) -> Response:
    """Requests to checkout.stripe.test and js.stripe.test."""
    if req.host == JS_HOST:
        return _elements(lab, req)
    return _checkout(lab, req)


CHECKOUT = platforms.Platform(
    name="stripe",
    label="Stripe Checkout",
    hosts=(CHECKOUT_HOST,),
    begin=begin_checkout,
    handle=handle,
    mechanism="http-redirect",
)
ELEMENTS = platforms.Platform(
    name="elements",
    label="Card (Stripe Elements)",
    hosts=(JS_HOST,),
    begin=begin_elements,
    handle=handle,
    mechanism="script",
)
