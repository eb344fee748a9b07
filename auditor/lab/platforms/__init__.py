"""Payment platforms, each on its own host(s), modelled on real sandboxes' behaviour."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.lab.store import Order, Payment
from auditor.lab.templates import render
from auditor.lab.web import Request, Response, hang, redirect, with_query

if TYPE_CHECKING:
    from auditor.lab.server import Lab


@dataclass(frozen=True)
class Platform:
    """A payment platform: how the shop hands a customer over, and its own sites."""

    name: str  # the platform= switch
    label: str
    hosts: tuple[str, ...]
    # the shop's answer to POST /checkout once the order exists (redirect, auto-form, JSON)
    begin: Callable[[Lab, Order, Request], Response]
    handle: Callable[[Lab, Request], Response]  # requests to any of `hosts`
    mechanism: str  # how it sends the customer back (scenario-language names), or "none"


def entry_url(lab: Lab, payment: Payment, host: str, path: str) -> str:
    """Where the shop sends the customer; a closed port under pay-refused."""
    if payment.has("pay-refused"):
        return lab.closed_url(host, path)
    return lab.url(host, path)


def create_and_redirect(
    lab: Lab,
    order: Order,
    *,
    prefix: str,
    host: str,
    path: str,
    success_url: str,
    failure_url: str | None = None,
    id_param: str | None = None,
) -> Response:
    """What a shop's server does for a hosted payment page: create the payment, then redirect the customer
    to the platform's entry page (`path`, with `{id}` for the payment's id). With `id_param`, the
    success URL also carries the payment's id under that name (Stripe's `session_id`)."""
    payment = lab.store.create_payment(
        order, prefix=prefix, success_url=success_url, failure_url=failure_url or success_url
    )
    if id_param:
        payment.success_url = with_query(payment.success_url, **{id_param: payment.id})
    return redirect(entry_url(lab, payment, host, path.format(id=payment.id)))


def not_found(brand: Mapping[str, str], title: str, message: str = "") -> Response:
    """The platform's own 404 page, for a payment (or a page) it does not know."""
    return render("platform_error.html", 404, title=title, message=message, **brand)


def guard(lab: Lab, faults: frozenset[str] | set[str]) -> Response | None:
    """The pay-hang / pay-500 answer for an entry page, or None to go on."""
    if "pay-hang" in faults:
        return hang(lab.hang_seconds)
    if "pay-500" in faults:
        return Response(500, b"<h1>500 Internal Server Error</h1>", [("Content-Type", "text/html")])
    return None


def settle_status(payment: Payment, wanted: str = "paid") -> str:
    """The verdict: `wanted`, unless the order carries the `declined` fault."""
    return "declined" if payment.has("declined") and wanted == "paid" else wanted


# imported after the helpers above, which the platform modules use
from auditor.lab.platforms import (  # noqa: E402
    adyen,
    bank,
    deadend,
    mollie,
    paypal,
    redsys,
    stripe,
)

REGISTRY: dict[str, Platform] = {
    p.name: p
    for p in (
        stripe.CHECKOUT,
        redsys.PLATFORM,
        adyen.PLATFORM,
        paypal.PLATFORM,
        mollie.PLATFORM,
        bank.PLATFORM,
        stripe.ELEMENTS,
        deadend.PLATFORM,
    )
}


def host_handlers() -> dict[str, Callable[[Lab, Request], Response]]:
    """Every platform host and the handler that answers it."""
    handlers: dict[str, Callable[[Lab, Request], Response]] = {}
    for platform in REGISTRY.values():
        for host in platform.hosts:
            handlers[host] = platform.handle
    return handlers


__all__ = [
    "REGISTRY",
    "Platform",
    "adyen",
    "bank",
    "create_and_redirect",
    "deadend",
    "entry_url",
    "guard",
    "host_handlers",
    "mollie",
    "not_found",
    "paypal",
    "redsys",
    "settle_status",
    "stripe",
]
