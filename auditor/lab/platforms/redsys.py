"""Redsys-like TPV: card page, 3-D Secure challenge in an iframe, back only via "Continuar"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import TYPE_CHECKING, Any

from auditor.lab import platforms
from auditor.lab.store import Order, Payment, display_amount
from auditor.lab.templates import render
from auditor.lab.web import Request, Response

if TYPE_CHECKING:
    from auditor.lab.server import Lab

HOST = "sis-t.redsys.test"
LIVE_HOST = "sis.redsys.es"  # Redsys's production host; the lab answers it under live-host
BRAND = {"brand": "redsys · Entorno de pruebas", "colour": "#c8102e", "lang": "es"}
KEY = b"sq7HjrUOBfKmC576ILgskD5srU870gJ7"  # Redsys's public test-merchant key
ACS = re.compile(r"^/sis/acs/(?P<id>[A-Za-z0-9_]+)$")


def _encode(params: dict[str, Any]) -> tuple[str, str]:
    blob = base64.b64encode(json.dumps(params).encode()).decode()
    signature = base64.b64encode(hmac.new(KEY, blob.encode(), hashlib.sha256).digest()).decode()
    return blob, signature


def _decode(blob: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.b64decode(blob, validate=False))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def begin(lab: Lab, order: Order, req: Request) -> Response:
    """The shop posts the signed merchant parameters to Redsys with an auto-submitted form."""
    shop = lab.shop.url
    payment = lab.store.create_payment(
        order,
        prefix="",
        success_url=shop(f"/order/confirmation/{order.ref}"),
        failure_url=shop(f"/checkout/payment-failed/{order.ref}"),
    )
    params, signature = _encode(
        {
            "DS_MERCHANT_AMOUNT": str(int(order.total * 100)),
            "DS_MERCHANT_ORDER": payment.id,
            "DS_MERCHANT_MERCHANTCODE": "999008881",
            "DS_MERCHANT_CURRENCY": "978",
            "DS_MERCHANT_TRANSACTIONTYPE": "0",
            "DS_MERCHANT_TERMINAL": "1",
            "DS_MERCHANT_URLOK": payment.success_url,
            "DS_MERCHANT_URLKO": payment.failure_url,
            "DS_MERCHANT_MERCHANTURL": shop("/payment/notify/redsys"),
        }
    )
    host = LIVE_HOST if order.switches.has("live-host") else HOST
    return render(
        "autosubmit.html",
        title="Redirecting to the payment page",
        message="Redirecting you to the secure payment page…",
        method="post",
        action=platforms.entry_url(lab, payment, host, "/sis/realizarPago"),
        fields=[
            ("Ds_SignatureVersion", "HMAC_SHA256_V1"),
            ("Ds_MerchantParameters", params),
            ("Ds_Signature", signature),
        ],
        delay_ms=0,
    )


def _page(template: str, payment: Payment, **context: Any) -> Response:
    return render(template, payment=payment, amount=display_amount(payment.amount), **BRAND, **context)


def _unknown() -> Response:
    return platforms.not_found(BRAND, "Error SIS0431", "Operación no encontrada.")


def handle(lab: Lab, req: Request) -> Response:
    """Requests to sis-t.redsys.test (and sis.redsys.es)."""
    if req.method == "POST" and req.path == "/sis/realizarPago":
        params = _decode(req.arg("Ds_MerchantParameters"))
        payment = lab.store.payment(str(params.get("DS_MERCHANT_ORDER", "")))
        if payment is None:
            return _unknown()
        return platforms.guard(lab, payment.switches.faults) or _page("redsys_card.html", payment)
    payment = lab.store.payment(req.arg("payment"))
    if req.method == "POST" and req.path == "/sis/challenge" and payment:
        return _page("redsys_challenge.html", payment)
    if req.method == "GET" and (m := ACS.match(req.path)):
        return render("redsys_acs.html") if lab.store.payment(m["id"]) else _unknown()
    if req.method == "POST" and req.path == "/sis/result" and payment:
        if payment.status == "open":  # a second click must not change the verdict
            lab.store.settle(payment, platforms.settle_status(payment))
        ok = payment.status == "paid"
        blob, signature = _encode(
            {
                "Ds_Order": payment.id,
                "Ds_Amount": str(int(payment.amount * 100)),
                "Ds_Response": "0000" if ok else "0190",
                "Ds_AuthorisationCode": "123456" if ok else "",
            }
        )
        return _page(
            "redsys_result.html",
            payment,
            ok=ok,
            action=payment.success_url if ok else payment.failure_url,
            fields=[
                ("Ds_SignatureVersion", "HMAC_SHA256_V1"),
                ("Ds_MerchantParameters", blob),
                ("Ds_Signature", signature),
            ],
        )
    return _unknown()


PLATFORM = platforms.Platform(
    name="redsys",
    label="Redsys (card + 3-D Secure)",
    hosts=(HOST, LIVE_HOST),
    begin=begin,
    handle=handle,
    mechanism="click",
)
