"""Payment platforms, each on its own host(s), modelled on real sandboxes' behaviour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.lab.store import Order, Payment
from auditor.lab.web import Request, Response, hang

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
    "deadend",
    "entry_url",
    "guard",
    "host_handlers",
    "mollie",
    "paypal",
    "redsys",
    "settle_status",
    "stripe",
]
