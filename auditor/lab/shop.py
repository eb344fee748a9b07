"""shop.test: catalogue, cart in a server-side session, checkout and order confirmation."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from auditor.lab import connectif, platforms
from auditor.lab.store import CATALOGUE, Order, Session, display_amount
from auditor.lab.switches import PLATFORMS, SWITCH_PARAMS, SwitchError, Switches
from auditor.lab.tag import cart_tag, purchase_event, purchase_tag
from auditor.lab.templates import render, render_text, static_file
from auditor.lab.web import Request, Response, json_response, redirect

if TYPE_CHECKING:
    from auditor.lab.server import Lab

HOST = "shop.test"
# The same shop on a second host the lab's Connectif account does not authorise (unauthorised-domain).
WWW_HOST = "www.shop.test"
HOSTS = (HOST, WWW_HOST)
SHIPPING = Decimal("4.95")  # what the api-sync-total server sync adds to the total
COOKIE = "shop_session"
LATE_TAG_MS = 300  # how long after `load` the tag-late faults inject the tag
LIVE_KEY = "pk_live_51LabLiveKeyDoNotUseInTests000000000000"
TEST_KEY = "pk_test_51LabTestKey0000000000000000000000000"

CONFIRMATION = re.compile(r"^/order/confirmation/(?P<ref>[A-Za-z0-9-]+)/?$")
FAILED = re.compile(r"^/checkout/payment-failed/(?P<ref>[A-Za-z0-9-]+)/?$")
PRODUCT = re.compile(r"^/product/(?P<slug>[a-z0-9-]+)/?$")
RETURN = re.compile(r"^/payment/return/(?P<platform>[a-z]+)/?$")


@dataclass
class Visit:
    """One request to the shop: its session, and the cookie to send back."""

    req: Request
    session: Session | None
    set_cookie: str | None = None

    def ensure_session(self, store: Any) -> Session:
        """The visitor's session, created (with a cookie) when there is none."""
        if self.session is None:
            value, self.session = store.new_session()
            self.set_cookie = value
        return self.session


def cookie_header(value: str, switches: Switches) -> str:
    """The Set-Cookie value for the session cookie under the session's SameSite switch."""
    attrs = f"{COOKIE}={value}; Path=/; HttpOnly"
    if switches.samesite != "unset":
        attrs += f"; SameSite={switches.samesite.capitalize()}"
    return attrs


class Shop:
    """The shop's request handler."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        lab.store.on_paid.append(self._server_sync)

    def url(self, path: str = "/") -> str:
        """An absolute shop URL."""
        return self.lab.url(HOST, path)

    # dispatch --------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        """Answer one request to shop.test."""
        visit = Visit(req, self.lab.store.session(req.cookies.get(COOKIE)))
        try:
            response = self._route(visit)
        except SwitchError as exc:
            response = self._page(visit, "message.html", 400, title="Unknown lab switch", message=str(exc))
        if visit.set_cookie and visit.session is not None:
            response.header("Set-Cookie", cookie_header(visit.set_cookie, visit.session.switches))
        response.header("Cache-Control", "no-store")
        latency = visit.session.switches.latency_ms if visit.session is not None else 0
        if latency and not req.path.startswith(("/static/", "/__lab/")):
            response.delay_seconds = latency / 1000
        return response

    def _route(self, visit: Visit) -> Response:
        req = visit.req
        path = req.path
        if path.startswith("/static/"):
            return static_file(path.removeprefix("/static/"))
        if path == "/favicon.ico":
            return Response(204)
        if path.startswith("/__lab/"):
            return self._lab_endpoint(req)
        if req.method == "GET" and any(name in req.query for name in SWITCH_PARAMS):
            self._apply_switches(visit)
        if req.host == HOST and req.method == "GET" and self._switches(visit).has("unauthorised-domain"):
            # the shop's canonical host is www.: every page moves there, switches and all
            query = urlencode(req.query, doseq=True)
            return redirect(self.lab.url(WWW_HOST, path + (f"?{query}" if query else "")), 302)
        if (m := CONFIRMATION.match(path)) and req.method in ("GET", "POST"):
            return self._confirmation(visit, m["ref"])
        if (m := FAILED.match(path)) and req.method in ("GET", "POST"):
            return self._failed(visit, m["ref"])
        if (m := RETURN.match(path)) and req.method in ("GET", "POST"):
            return self._payment_return(visit)
        if req.method == "GET":
            if path in ("/", "/index.html"):
                return self._page(visit, "home.html", products=list(CATALOGUE.values()))
            if m := PRODUCT.match(path):
                return self._product(visit, m["slug"])
            if path == "/cart":
                return self._cart(visit)
            if path == "/checkout":
                return self._checkout_page(visit)
        if req.method == "POST":
            if path == "/cart/add":
                return self._cart_add(visit)
            if path == "/cart/remove":
                return self._cart_remove(visit)
            if path == "/checkout":
                return self._checkout(visit)
        return self._page(
            visit, "message.html", 404, title="Page not found", message="There is nothing at this address."
        )

    # helpers -----------------------------------------------------------------------------
    def _switches(self, visit: Visit, order: Order | None = None) -> Switches:
        if order is not None:
            return order.switches
        return visit.session.switches if visit.session else Switches()

    def _page(
        self,
        visit: Visit,
        template: str,
        status: int = 200,
        order: Order | None = None,
        confirmation: bool = False,
        **context: Any,
    ) -> Response:
        switches = self._switches(visit, order)
        store_id = connectif.store_id_for(switches, confirmation=confirmation)
        session = visit.session
        # Who the customer is: the e-mail given at checkout, from then on (the confirmation names its
        # order's); never under client-info-absent, a guest checkout that renders no cn_client_info.
        client_email = context.pop("client_email", None) or (session.email if session else "")
        if switches.has("client-info-absent"):
            client_email = ""
        return render(
            template,
            status,
            # The session's cart on every page, an empty one included; none for a visitor without one.
            cart_tag=cart_tag(session, self.url("/product/")) if session is not None else None,
            client_email=client_email,
            connectif_src=self.lab.connectif.script_url(store_id) if store_id else None,
            store_id=store_id or "",
            cart_count=sum(session.cart.values()) if session else 0,
            switches=switches,
            default_switches=switches == Switches(),
            money=display_amount,
            **context,
        )

    def _apply_switches(self, visit: Visit) -> None:
        session = visit.ensure_session(self.lab.store)
        updated = session.switches.updated(visit.req.query)
        if updated.samesite != session.switches.samesite:
            visit.set_cookie = visit.set_cookie or self.lab.store.rotate(session)
        session.switches = updated

    def _lab_endpoint(self, req: Request) -> Response:
        if req.path == "/__lab/orders" and req.method == "GET":
            return json_response(self.lab.orders())
        if req.path.startswith("/__lab/page/") and req.method == "GET":
            page = self.lab.page_html(req.path.removeprefix("/__lab/page/"))
            if page is not None:
                return Response(200, page.encode(), [("Content-Type", "text/html; charset=utf-8")])
        if req.path == "/__lab/reset" and req.method == "POST":
            self.lab.reset()
            return json_response({"reset": True})
        return json_response({"error": "unknown lab endpoint"}, 404)

    # catalogue and cart ------------------------------------------------------------------
    def _product(self, visit: Visit, slug: str) -> Response:
        product = CATALOGUE.get(slug)
        if product is None:
            return self._page(
                visit, "message.html", 404, title="Product not found", message="This product does not exist."
            )
        return self._page(visit, "product.html", product=product, product_url=self.url("/product/"))

    def _cart_add(self, visit: Visit) -> Response:
        session = visit.ensure_session(self.lab.store)
        slug = visit.req.arg("product")
        raw = visit.req.arg("quantity", "1")
        quantity = int(raw) if raw.isdigit() else 1
        if slug in CATALOGUE and 0 < quantity <= 99:
            session.cart[slug] = min(99, session.cart.get(slug, 0) + quantity)
        return redirect("/cart")

    def _cart_remove(self, visit: Visit) -> Response:
        if visit.session is not None:
            visit.session.cart.pop(visit.req.arg("product"), None)
        return redirect("/cart")

    def _cart(self, visit: Visit) -> Response:
        cancelled = None
        ref = visit.req.query.get("cancelled", [""])[-1]
        if ref and visit.session is not None:  # back from a payment the customer cancelled
            order = self._owned(visit, ref)
            if order is not None and self.lab.store.cancel(order, visit.session):
                cancelled = order
        lines = visit.session.lines() if visit.session else []
        total = sum((line.price for line in lines), start=0)
        return self._page(visit, "cart.html", lines=lines, total=total, cancelled=cancelled)

    # checkout ----------------------------------------------------------------------------
    def _checkout_page(self, visit: Visit) -> Response:
        session = visit.session
        lines = session.lines() if session else []
        switches = self._switches(visit)
        total = sum((line.price for line in lines), start=0)
        config = {
            "platform": switches.platform,
            "paypalOrigin": self.lab.origin(platforms.paypal.HOST),
            "paypalReturn": self.url("/payment/return/paypal"),
            "elementsOrigin": platforms.stripe.elements_origin(self.lab, switches),
        }
        return self._page(
            visit,
            "checkout.html",
            lines=lines,
            total=total,
            platforms=[(name, platforms.REGISTRY[name].label) for name in PLATFORMS],
            config=config,
            elements_src=platforms.stripe.elements_src(self.lab, switches),
            stripe_key=LIVE_KEY if switches.has("live-key") else TEST_KEY,
        )

    def _checkout(self, visit: Visit) -> Response:
        req = visit.req
        session = visit.session
        if session is None or not session.cart:
            if req.wants_json:
                return json_response({"error": "your cart is empty"}, 400)
            return self._page(
                visit,
                "message.html",
                400,
                title="Your cart is empty",
                message="Add something to the cart before checking out.",
            )
        choice = req.arg("platform", session.switches.platform)
        if choice not in PLATFORMS:
            raise SwitchError(f"platform={choice!r}; known: {', '.join(PLATFORMS)}")
        # the choice on the form wins; every switch is copied onto the order
        session.switches = replace(session.switches, platform=choice)
        email = req.arg("email").strip()[:200] or "guest@example.com"
        order = self.lab.store.create_order(session, email)
        order.host = req.host
        # a fresh cookie value: a cookie without SameSite rides on cross-site POSTs only
        # during its first 2 minutes in Chromium, and a customer may browse longer than that
        visit.set_cookie = self.lab.store.rotate(session)
        return platforms.REGISTRY[choice].begin(self.lab, order, req)

    # after the payment -------------------------------------------------------------------
    def _owned(self, visit: Visit, ref: str) -> Order | None:
        """The order, when this visitor's session placed it (as real shops check)."""
        order = self.lab.store.order(ref)
        if order is None or visit.session is None or visit.session.key != order.session_key:
            return None
        return order

    def _confirmation(self, visit: Visit, ref: str) -> Response:
        order = self.lab.store.order(ref)
        owned = self._owned(visit, ref)
        if owned is None or owned.status != "paid":
            # lost session (or not paid): a page with no order and no tag; the order still
            # exists, the platform told the shop server-to-server
            return self._page(
                visit,
                "confirmation.html",
                order=order,
                shown=None,
                pending=owned is not None,
                confirmation=True,
            )
        faults = owned.switches.faults
        product_url = self.url("/product/")
        current_cart = visit.session.cart_id if visit.session is not None else ""
        tag = purchase_tag(owned, product_url, current_cart)
        views = self.lab.store.viewed(owned)
        hidden = bool(faults & {"tag-absent", "sendevents", "api-sync"}) or owned.flaky_missing
        if "tag-once" in faults and views > 1:
            hidden = True  # as shops that remember having shown it: a reload shows the order, no tag
        copies = 0 if hidden else 2 if "tag-twice" in faults else 1
        late = not hidden and bool(faults & {"tag-late", "tag-late-resend"})
        return self._page(
            visit,
            "confirmation.html",
            order=owned,
            shown=owned,
            pending=False,
            confirmation=True,
            client_email=owned.email,
            tag=tag,
            tag_copies=0 if late else copies,
            late_tag_html=render_text("cn_purchase.html", tag=tag) if late else None,
            late_ms=LATE_TAG_MS,
            late_resend="tag-late-resend" in faults,
            send_event=purchase_event(owned, product_url)
            if faults & {"sendevents", "tag-and-sendevents"} and not ("tag-once" in faults and views > 1)
            else None,
            page_error="page-error" in faults,
        )

    def _server_sync(self, order: Order) -> None:
        """api-sync, api-sync-total: the shop's server sends the paid order to Connectif's API."""
        faults = order.switches.faults
        if not faults & {"api-sync", "api-sync-total"}:
            return
        purchase = purchase_event(order, self.url("/product/"))
        if "api-sync-total" in faults:
            purchase["totalPrice"] = float(order.total + SHIPPING)
        self.lab.purchases_api.create(
            purchase, delay_ms=order.switches.api_delay_ms, contact_email=order.email
        )

    def _failed(self, visit: Visit, ref: str) -> Response:
        order = self._owned(visit, ref)
        return self._page(visit, "failed.html", order=self.lab.store.order(ref), shown=order)

    def _payment_return(self, visit: Visit) -> Response:
        """Platforms that send the customer to a return URL: look the payment up, move on."""
        req = visit.req
        ref = req.arg("merchantReference") or req.arg("ref")
        if not ref:
            payment = self.lab.store.payment(req.arg("token") or req.arg("id"))
            ref = payment.order_ref if payment else ""
        order = self.lab.store.order(ref)
        if order is None:
            return self._page(
                visit,
                "message.html",
                404,
                title="Unknown payment",
                message="We could not match this payment to an order.",
            )
        if order.status == "paid":
            return redirect(f"/order/confirmation/{order.ref}")
        return redirect(f"/checkout/payment-failed/{order.ref}")
