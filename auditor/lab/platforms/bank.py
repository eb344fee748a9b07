"""A bank TPV whose 3-D Secure challenge sits two iframes deep; back with a form POST."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from auditor.lab import platforms
from auditor.lab.store import Order, display_amount
from auditor.lab.templates import render
from auditor.lab.web import Request, Response

if TYPE_CHECKING:
    from auditor.lab.server import Lab

TPV_HOST = "secure.bank.test"  # the bank's payment page
ACS_HOST = "acs.bank.test"  # its 3-D Secure server, framed by the payment page
ISSUER_HOST = "challenge.issuer.test"  # the card issuer's challenge, framed by the 3DS server
BRAND = {"brand": "TPV Virtual · Banco de Pruebas", "colour": "#00457c", "lang": "es"}
TPV = re.compile(r"^/tpv/(?P<id>[0-9a-f]+)(?P<complete>/complete)?$")
ACS = re.compile(r"^/3ds/(?P<id>[0-9a-f]+)$")
CHALLENGE = re.compile(r"^/challenge/(?P<id>[0-9a-f]+)$")


def begin(lab: Lab, order: Order, req: Request) -> Response:
    """The shop redirects to the bank's TPV."""
    return platforms.create_and_redirect(
        lab,
        order,
        prefix="",
        host=TPV_HOST,
        path="/tpv/{id}",
        success_url=lab.shop.url(f"/order/confirmation/{order.ref}"),
        failure_url=lab.shop.url(f"/checkout/payment-failed/{order.ref}"),
    )


def _not_found() -> Response:
    return platforms.not_found(BRAND, "Operación no encontrada")


def _tpv(lab: Lab, req: Request) -> Response:
    m = TPV.match(req.path)
    payment = lab.store.payment(m["id"]) if m else None
    if m is None or payment is None:
        return _not_found()
    amount = display_amount(payment.amount)
    if req.method == "GET" and not m["complete"]:
        blocked = platforms.guard(lab, payment.switches.faults)
        return blocked or render("bank_card.html", payment=payment, amount=amount, **BRAND)
    if req.method == "POST" and not m["complete"]:
        config = {"issuerOrigin": lab.origin(ISSUER_HOST)}
        return render(
            "bank_3ds.html",
            payment=payment,
            amount=amount,
            config=config,
            acs_url=lab.url(ACS_HOST, f"/3ds/{payment.id}"),
            frame_height=260,
            **BRAND,
        )
    if req.method == "POST":
        if payment.status == "open":
            wanted = "paid" if req.arg("transStatus") == "Y" else "declined"
            lab.store.settle(payment, platforms.settle_status(payment, wanted))
        ok = payment.status == "paid"
        return render(
            "autosubmit.html",
            title="Volviendo al comercio",
            message="Pago autorizado. Volviendo al comercio…" if ok else "Pago denegado.",
            method="post",
            action=payment.success_url if ok else payment.failure_url,
            fields=[("Ds_Order", payment.id), ("Ds_Response", "0000" if ok else "0190")],
            delay_ms=payment.delay_ms,
        )
    return Response(405)


def handle(lab: Lab, req: Request) -> Response:
    """Requests to the TPV, the 3DS server and the issuer's challenge."""
    if req.host == TPV_HOST:
        return _tpv(lab, req)
    if req.host == ACS_HOST and (m := ACS.match(req.path)) and lab.store.payment(m["id"]):
        return render("bank_acs.html", challenge_url=lab.url(ISSUER_HOST, f"/challenge/{m['id']}"))
    if req.host == ISSUER_HOST and (m := CHALLENGE.match(req.path)):
        payment = lab.store.payment(m["id"])
        if payment is None:
            return _not_found()
        if req.method == "GET":
            return render("bank_challenge.html", payment=payment, done=False)
        ok = len(req.arg("otp").strip()) == 6 and req.arg("otp").strip().isdigit()
        config = {"transStatus": "Y" if ok else "N", "topOrigin": lab.origin(TPV_HOST)}
        return render("bank_challenge.html", payment=payment, done=True, ok=ok, config=config)
    return _not_found()


PLATFORM = platforms.Platform(
    name="bank",
    label="Bank TPV (3-DS in nested iframes)",
    hosts=(TPV_HOST, ACS_HOST, ISSUER_HOST),
    begin=begin,
    handle=handle,
    mechanism="form-post",
)
