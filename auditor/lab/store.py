"""The lab's state: catalogue, sessions, orders and payments, shared by every site."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from auditor.lab.switches import Switches


@dataclass(frozen=True)
class Product:
    """A catalogue entry."""

    slug: str
    name: str
    price: Decimal
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    blurb: str


CATALOGUE: dict[str, Product] = {
    p.slug: p
    for p in (
        Product(
            "keyboard",
            "Mechanical keyboard",
            Decimal("89.90"),
            ("/Computers/Keyboards",),
            ("gaming",),
            "Tactile switches, full size.",
        ),
        Product(
            "mouse",
            "Wireless mouse",
            Decimal("24.50"),
            ("/Computers/Mice",),
            ("wireless",),
            "Quiet clicks, two-year battery.",
        ),
        Product(
            "monitor",
            '27" 4K monitor',
            Decimal("349.00"),
            ("/Computers/Monitors",),
            ("4k", "office"),
            "IPS panel, USB-C power delivery.",
        ),
        Product(
            "laptop",
            "Ultrabook 14",
            Decimal("1249.00"),
            ("/Computers/Laptops", "/Offers"),
            ("premium",),
            "1.1 kg, 16 GB, all-day battery.",
        ),
    )
}


def tag_amount(value: Decimal) -> str:
    """An amount as the cn_purchase tag wants it: `.` decimals, no grouping, no symbol."""
    return f"{value:.2f}"


def display_amount(value: Decimal) -> str:
    """An amount as the (Spanish) shop shows it to people: 1.249,00 €."""
    grouped = f"{value:,.2f}"  # 1,249.00
    return grouped.replace(",", "\0").replace(".", ",").replace("\0", ".") + " €"


@dataclass(frozen=True)
class Line:
    """One product line of a cart or an order."""

    product: Product
    quantity: int

    @property
    def price(self) -> Decimal:
        """The line amount."""
        return self.product.price * self.quantity


@dataclass
class Session:
    """A shop visitor's server-side session."""

    key: str  # stable; the cookie value may rotate
    switches: Switches = field(default_factory=Switches)
    cart: dict[str, int] = field(default_factory=dict)
    cart_id: str = ""
    email: str = ""  # the e-mail given at checkout: the shop knows the customer from then on

    def lines(self) -> list[Line]:
        """The cart as lines, in catalogue order."""
        return [Line(p, self.cart[p.slug]) for p in CATALOGUE.values() if self.cart.get(p.slug)]


@dataclass
class Order:
    """An order the shop created at checkout (before the payment)."""

    ref: str  # what the customer sees: .order-number
    number: int  # the internal id (what tag-wrong-id puts in the tag)
    email: str
    lines: list[Line]
    switches: Switches
    session_key: str
    cart_id: str
    created: datetime
    status: str = "pending"  # pending | paid | declined | canceled | expired
    payment_id: str = ""
    flaky_missing: bool = False  # flaky-tag: this order is the key's first, so no tag
    host: str = ""  # the shop host it was placed on (the platforms send the customer back there)
    confirmation_views: int = 0  # how often its session was shown the confirmation (tag-once)
    restored: bool = False  # cancelled on the platform: its lines went back into the cart

    @property
    def total(self) -> Decimal:
        """The order total."""
        return sum((line.price for line in self.lines), Decimal(0))

    @property
    def quantity(self) -> int:
        """Units in the order."""
        return sum(line.quantity for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the ground truth."""
        return {
            "ref": self.ref,
            "number": self.number,
            "email": self.email,
            "status": self.status,
            "platform": self.switches.platform,
            "faults": sorted(self.switches.faults),
            "switches": self.switches.as_dict(),
            "total": tag_amount(self.total),
            "total_quantity": self.quantity,
            "cart_id": self.cart_id,
            "payment_id": self.payment_id,
            "created": self.created.isoformat(),
            "flaky_missing": self.flaky_missing,
            "host": self.host,
            "confirmation_views": self.confirmation_views,
            "items": [
                {
                    "product_id": line.product.slug,
                    "name": line.product.name,
                    "quantity": line.quantity,
                    "unit_price": tag_amount(line.product.price),
                    "price": tag_amount(line.price),
                }
                for line in self.lines
            ],
        }


@dataclass
class Payment:
    """A payment session a platform holds for one order (created server-to-server)."""

    id: str
    platform: str
    order_ref: str
    amount: Decimal
    email: str
    success_url: str
    failure_url: str
    switches: Switches
    status: str = "open"  # open | paid | declined | canceled | expired

    @property
    def delay_ms(self) -> int:
        """Delay the platform waits before sending the customer back on its own."""
        return self.switches.return_delay_ms

    def has(self, fault: str) -> bool:
        """True when the order was placed with this fault."""
        return self.switches.has(fault)


def rehost(url: str, host: str) -> str:
    """`url` on `host` when it points at the shop's main host (an order placed on www.shop.test)."""
    parts = urlsplit(url)
    if not host or parts.hostname != "shop.test" or host == "shop.test":
        return url
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class Store:
    """Thread-safe home of every session, order and payment."""

    def __init__(self) -> None:
        # Called with each order the moment its payment is confirmed (the shop's server hears it).
        self.on_paid: list[Callable[[Order], None]] = []
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}  # cookie value -> session (old values kept)
        self._orders: dict[str, Order] = {}
        self._payments: dict[str, Payment] = {}
        self._flaky_seen: set[str] = set()
        self._number = 1000

    def reset(self) -> None:
        """Forget everything."""
        with self._lock:
            self._sessions.clear()
            self._orders.clear()
            self._payments.clear()
            self._flaky_seen.clear()

    # sessions ----------------------------------------------------------------------------
    def session(self, cookie: str | None) -> Session | None:
        """The session behind a cookie value, if any."""
        if not cookie:
            return None
        with self._lock:
            return self._sessions.get(cookie)

    def new_session(self) -> tuple[str, Session]:
        """A fresh session and its cookie value."""
        value = secrets.token_urlsafe(18)
        session = Session(key=value, cart_id="cart-" + secrets.token_hex(4))
        with self._lock:
            self._sessions[value] = session
        return value, session

    def rotate(self, session: Session) -> str:
        """A new cookie value for a session; the old one keeps working (requests in flight)."""
        value = secrets.token_urlsafe(18)
        with self._lock:
            self._sessions[value] = session
        return value

    # orders ------------------------------------------------------------------------------
    def create_order(self, session: Session, email: str) -> Order:
        """Turn the session's cart into an order and empty the cart."""
        with self._lock:
            self._number += 1
            switches = session.switches
            flaky_missing = False
            if switches.has("flaky-tag") and switches.key not in self._flaky_seen:
                self._flaky_seen.add(switches.key)
                flaky_missing = True
            order = Order(
                ref="ORD-" + secrets.token_hex(4).upper(),
                number=self._number,
                email=email,
                lines=session.lines(),
                switches=switches,
                session_key=session.key,
                cart_id=session.cart_id,
                created=datetime.now(UTC).replace(microsecond=0),
                flaky_missing=flaky_missing,
            )
            self._orders[order.ref] = order
            session.email = email
            if not switches.has("cart-still-full"):
                session.cart.clear()
                session.cart_id = "cart-" + secrets.token_hex(4)
            return order

    def order(self, ref: str) -> Order | None:
        """An order by its reference."""
        with self._lock:
            return self._orders.get(ref)

    def orders(self) -> list[dict[str, Any]]:
        """Every order, oldest first, as plain data."""
        with self._lock:
            return [order.as_dict() for order in self._orders.values()]

    # payments ----------------------------------------------------------------------------
    def create_payment(self, order: Order, *, prefix: str, success_url: str, failure_url: str) -> Payment:
        """Open a payment on a platform for an order (what the shop's server does)."""
        payment = Payment(
            id=prefix + secrets.token_hex(8),
            platform=order.switches.platform,
            order_ref=order.ref,
            amount=order.total,
            email=order.email,
            success_url=rehost(success_url, order.host),
            failure_url=rehost(failure_url, order.host),
            switches=order.switches,
        )
        with self._lock:
            self._payments[payment.id] = payment
            order.payment_id = payment.id
        return payment

    def payment(self, payment_id: str) -> Payment | None:
        """A payment by id."""
        with self._lock:
            return self._payments.get(payment_id)

    def viewed(self, order: Order) -> int:
        """Count one view of the order's confirmation; returns how many there have been."""
        with self._lock:
            order.confirmation_views += 1
            return order.confirmation_views

    def cancel(self, order: Order, session: Session) -> bool:
        """The customer cancelled the payment: the order is cancelled and its lines go back into the
        cart (once). False when the order was paid already or was restored before."""
        with self._lock:
            if order.status == "paid" or order.restored:
                return False
            order.status = "canceled"
            order.restored = True
            payment = self._payments.get(order.payment_id)
            if payment is not None and payment.status == "open":
                payment.status = "canceled"  # the platform's session can no longer be paid
            for line in order.lines:
                session.cart[line.product.slug] = min(
                    99, session.cart.get(line.product.slug, 0) + line.quantity
                )
            return True

    def settle(self, payment: Payment, status: str) -> Payment:
        """Record the platform's verdict; the shop learns it server-to-server, as in production."""
        with self._lock:
            newly_paid = status == "paid" and payment.status != "paid"
            payment.status = status
            order = self._orders.get(payment.order_ref)
            if order is not None:
                order.status = status
        if newly_paid and order is not None:
            for listener in self.on_paid:
                listener(order)
        return payment
