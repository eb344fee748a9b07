"""Order statuses that never reach a confirmation page, in English and Spanish."""

from __future__ import annotations

from enum import StrEnum

from auditor.reconcile.readers import column_key


class StatusKind(StrEnum):
    """Whether an order with this status should have reached Connectif."""

    SALE = "sale"
    # The buyer never got to (or never came back to) a paid confirmation page.
    NOT_CONFIRMED = "not confirmed"
    # Paid and then reversed: no longer a sale to attribute, so not counted as a loss.
    REFUNDED = "refunded"


# Word stems, matched against the start of each word of the status. Stems keep the list short
# across genders and spellings: cancelado/cancelada/cancelled/canceled, fallido/fallida.
_NOT_CONFIRMED_STEMS = (
    "pend",
    "await",
    "hold",
    "espera",
    "cancel",
    "anulad",
    "fail",
    "fallid",
    "fallo",
    "declin",
    "reject",
    "rechaz",
    "denegad",
    "expir",
    "caducad",
    "abandon",
    "void",
    "error",
    "unpaid",
    "impagad",
    "draft",
    "borrador",
    "incomplet",
)
_REFUNDED_STEMS = ("refund", "reembols", "devuel", "devolu", "reversed", "chargeback")
# "Partially refunded" is still mostly a sale; "payment accepted" contains no bad stem anyway.
_SALE_WORDS = frozenset({"partial", "partially", "parcial", "parcialmente"})

STATUS_COLUMN_NAMES = (
    "status",
    "order status",
    "estado",
    "estado pedido",
    "financial status",
    "payment status",
    "estado pago",
    "state",
    "order state",
)


def classify_status(value: str) -> StatusKind:
    """SALE unless the status clearly says pending, cancelled, failed, refunded or alike."""
    words = column_key(value).split()
    if not words or _SALE_WORDS.intersection(words):
        return StatusKind.SALE
    for word in words:
        if word.startswith(_REFUNDED_STEMS):
            return StatusKind.REFUNDED
        if word.startswith(_NOT_CONFIRMED_STEMS):
            return StatusKind.NOT_CONFIRMED
    return StatusKind.SALE
