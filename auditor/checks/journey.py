"""cn_cart.closed and contact.identified: the cart Connectif must close and the contact it must know.

Both read the journey: every top-level shop page of the scenario with its `cn_cart`, `cn_client_info`,
`cn_login` and `cn_register` tags as Connectif's script read them at load, and the tracking requests
that page sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.checks.facts import (
    Expectations,
    confirmation_url,
    confirmation_window,
    intercepted_note,
    request_evidence,
    result,
    sent_by,
    stopped,
    tags_seen,
    this_purchase_id,
)
from auditor.connectif.cart import ReadCart, is_email, read_cart, read_client_info, same_email
from auditor.connectif.tag import read_tag
from auditor.connectif.tracking import SentPurchase, sent_purchases, with_id
from auditor.hosts import host_matches, host_of
from auditor.observation import ConnectifRequestRecord, JourneyPage, Observation
from auditor.results import CheckResult, Status

PRINT_CART_ID = (
    "Print the session's cart id in the confirmation template's cn_purchase, "
    '<span class="cart_id">…</span>: the same id the shop printed in cn_cart.cart_id while the customer '
    "shopped (the cart being paid for, not the new one the shop starts after the order). Without it "
    "Connectif cannot mark that cart as bought and sends the customer an abandoned-cart e-mail for what "
    "they just paid."
)
EMPTY_CART = (
    "Empty the cart when the order is placed, and render the confirmation page's cn_cart as the empty "
    "cart it then is (a cart_id, total_quantity 0, total_price 0 and no product_basket_item): a cart that "
    "still holds the purchased items looks abandoned to Connectif."
)
RENDER_CLIENT_INFO = (
    "Render cn_client_info with the customer's e-mail in the confirmation page's template, for guest "
    "checkouts too (the e-mail given at checkout): "
    '<div class="cn_client_info" style="display:none"><span class="primary_key">customer@example.com'
    "</span></div>. A purchase from an anonymous contact reaches no post-purchase workflow. A shop that "
    "sends the purchase with connectif.managed.sendEvents can pass {entityInfo: {primaryKey: email}}."
)


@dataclass(frozen=True, kw_only=True)
class Stop:
    """One shop page of the journey, as Connectif's script saw it, and what that page sent."""

    page: JourneyPage
    cart: ReadCart | None  # the first cn_cart, the one the script reads; None without one
    client: dict[str, str] | None  # the first cn_client_info's fields; None without one
    requests: list[int]  # indexes of the tracking requests it sent, in Observation.connectif_requests
    events: list[str]  # their event types, in order

    @property
    def tags(self) -> list[str]:
        """The Connectif tags the page carried at load, by class name."""
        found = [
            ("cn_cart", bool(self.page.carts)),
            ("cn_client_info", bool(self.page.client_info)),
            ("cn_login", bool(self.page.login_tags)),
            ("cn_register", bool(self.page.register_tags)),
            ("cn_purchase", self.page.purchase_tags > 0),
        ]
        return [name for name, present in found if present]

    def as_result(self) -> dict[str, Any]:
        """results.json's `journey` entry: url, cn_cart, cn_client_info, events (and a few more)."""
        return {
            "url": self.page.url,
            "cn_cart": self.cart.as_report() if self.cart is not None else None,
            "cn_client_info": self.client,
            "events": self.events,
            "at_ms": self.page.at_ms,
            "page": self.page.page,
            "tags": self.tags,
            "loaded": self.page.read_ms is not None,
        }


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _page_of(obs: Observation, request: ConnectifRequestRecord, pages: list[JourneyPage]) -> int | None:
    """The journey page that sent a request: the same URL loaded before it, else the shop page shown then."""
    url = _without_fragment(request.page_url)
    same = [i for i, p in enumerate(pages) if url and _without_fragment(p.url) == url]
    before = [i for i in same if pages[i].at_ms <= request.at_ms]
    if before:
        return before[-1]
    if same:
        return same[0]
    if url and not host_matches(host_of(url), obs.shop_hosts):
        return None  # a page of another site (a platform) sent it
    # The page may have rewritten its own URL (Connectif's script removes __cn_tracker with replaceState).
    shown = [i for i, p in enumerate(pages) if p.at_ms <= request.at_ms and p.page == "main"]
    return shown[-1] if shown else None


def journey(obs: Observation) -> list[Stop]:
    """Every shop page of the scenario in order, with its tags read and the events it sent."""
    pages = obs.journey
    sent: dict[int, list[int]] = {}
    for index, request in enumerate(obs.connectif_requests):
        if request.kind != "tracking":
            continue
        number = _page_of(obs, request, pages)
        if number is not None:
            sent.setdefault(number, []).append(index)
    stops = []
    for number, page in enumerate(pages):
        requests = sent.get(number, [])
        stops.append(
            Stop(
                page=page,
                cart=read_cart(page.carts[0]) if page.carts else None,
                client=read_client_info(page.client_info[0]) if page.client_info else None,
                requests=requests,
                events=[str(e.get("type", "?")) for i in requests for e in obs.connectif_requests[i].events],
            )
        )
    return stops


def journey_result(obs: Observation) -> list[dict[str, Any]]:
    """results.json's `journey`: every shop page of the scenario, in order."""
    return [stop.as_result() for stop in journey(obs)]


def confirmation_stop(obs: Observation, stops: list[Stop]) -> int | None:
    """The journey's index of the confirmation page (the first shop page after the payment)."""
    url = confirmation_url(obs)
    if url is None:
        return None
    same = [i for i, s in enumerate(stops) if _without_fragment(s.page.url) == _without_fragment(url)]
    if not same:
        return None
    if obs.payment is None:
        return same[-1]  # without pay, the page the scenario ends on
    window = confirmation_window(obs)
    start = window[0] if window is not None else 0
    after = [i for i in same if stops[i].page.at_ms >= start]
    return after[0] if after else same[-1]


# --- cn_cart.closed ---------------------------------------------------------------------------------


def _cart_row(stop: Stop) -> dict[str, Any]:
    """One page's cart, for the evidence."""
    row: dict[str, Any] = {"url": stop.page.url, "at_ms": stop.page.at_ms}
    cart = stop.cart
    if cart is None:
        row["cart_id"] = None
        if stop.page.read_ms is None:
            row["note"] = "the page never reached its load event: its tags were not read"
        return row
    row.update(
        cart_id=cart.cart_id,
        total_quantity=cart.fields.get("total_quantity"),
        total_price=cart.fields.get("total_price"),
        products=cart.product_ids,
    )
    if cart.dropped:
        row["dropped"] = f"Connectif's script ignores this cart: {cart.dropped}"
    if len(stop.page.carts) > 1:
        row["cn_cart_tags"] = len(stop.page.carts)
    return row


@dataclass(frozen=True, kw_only=True)
class _Purchase:
    """The purchase the cart is compared with: what Connectif's script sent, else the tag."""

    cart_id: str
    source: str  # "the purchase event" or "the cn_purchase tag"
    product_ids: list[str]
    tag_cart_id: str | None
    sent_cart_id: str | None
    intercepted: bool = False  # the purchase event's request was answered by the auditor, not Connectif


def _the_purchase(obs: Observation, exp: Expectations) -> _Purchase | None:
    mine = with_id(sent_purchases(obs.connectif_requests), this_purchase_id(obs, exp))
    tags = tags_seen(obs).tags
    tag = read_tag(tags[0]) if tags else None
    tag_cart = tag.fields.get("cart_id", "").strip() if tag is not None else None
    sent: SentPurchase | None = next((p for p in mine if p.accepted), mine[0] if mine else None)
    sent_cart = str(sent.purchase.get("cartId") or "").strip() if sent is not None else None
    if sent is not None:
        products = sent.purchase.get("products")
        ids = [str(p.get("productId", "")) for p in products or [] if isinstance(p, dict)]
        return _Purchase(
            cart_id=sent_cart or "",
            source="the purchase event",
            product_ids=ids,
            tag_cart_id=tag_cart,
            sent_cart_id=sent_cart,
            intercepted=sent.intercepted,
        )
    if tag is not None:
        ids = [str(p.get("product_id", "")) for p in tag.products]
        return _Purchase(
            cart_id=tag_cart or "",
            source="the cn_purchase tag",
            product_ids=ids,
            tag_cart_id=tag_cart,
            sent_cart_id=None,
        )
    return None


def _paid_from_ms(obs: Observation) -> int | None:
    """From when a shop page is no longer "before the payment": the return's commit when it was seen,
    else the end of the last payment step, else the platform's first answer.

    The fallbacks matter when the return was not recognised (a scenario that ended in error on the way
    back): the shop page the customer then reached, whose cart is the new, empty one the shop starts
    after the order, must not be taken for the cart being paid for.
    """
    payment = obs.payment
    if payment is None:
        return None
    for at_ms in (payment.back_on_shop_ms, payment.last_step_ended_ms, payment.first_platform_response_ms):
        if at_ms is not None:
            return at_ms
    return None


def cart_closed(obs: Observation, exp: Expectations) -> CheckResult:
    """cn_cart.closed: the purchase carries the cart the shop reported; the confirmation's cart is empty."""
    check = "cn_cart.closed"
    stops = journey(obs)
    evidence: dict[str, Any] = {"carts": [_cart_row(s) for s in stops]}
    if not any(s.cart is not None for s in stops):
        if obs.error:
            return stopped(check, obs, "a shop page with a cn_cart tag was seen")
        return result(
            check, Status.SKIP, "Not judged: no shop page of the scenario carried a cn_cart tag.", evidence
        )
    if exp.purchase_sent == "absent":
        return result(check, Status.SKIP, "Not judged: the scenario expects no purchase.", evidence)
    purchase = _the_purchase(obs, exp)
    if purchase is None:
        if obs.error:
            return stopped(check, obs, "the purchase could be seen")
        return result(
            check,
            Status.SKIP,
            "Not judged: no purchase (tag or purchase event) to compare the carts with "
            "(see cn_purchase.present and connectif.purchase_sent).",
            evidence,
        )
    conf = confirmation_stop(obs, stops)
    before = stops[:conf] if conf is not None else stops
    paid_ms = _paid_from_ms(obs)
    if paid_ms is not None:
        before = [s for s in before if s.page.at_ms < paid_ms]
    last = next((s for s in reversed(before) if s.cart is not None), None)
    expected = last.cart.cart_id.strip() if last is not None and last.cart is not None else ""
    where = last.page.url if last is not None else ""
    evidence.update(
        cart_before_payment=expected or None,
        cart_before_payment_url=where or None,
        purchase_cart_id={"tag": purchase.tag_cart_id, "sent": purchase.sent_cart_id},
    )
    problems: list[str] = []
    remedies: list[str] = []
    if expected and purchase.cart_id != expected:
        if purchase.cart_id:
            problems.append(
                f"{purchase.source} carries cart_id {purchase.cart_id}, another cart than {expected}, "
                f"the one the shop reported on {where} before the payment"
            )
        else:
            problems.append(
                f"{purchase.source} carries no cart_id, while the shop reported cart {expected} on "
                f"{where} before the payment"
            )
        remedies.append(PRINT_CART_ID)
    after = stops[conf] if conf is not None else None
    if after is not None and after.cart is not None and after.cart.cart is not None:
        still = [p for p in after.cart.product_ids if p in purchase.product_ids]
        if not purchase.product_ids and after.cart.product_ids and after.cart.cart_id == expected:
            still = after.cart.product_ids  # no product ids to compare: the same cart, not emptied
        evidence["confirmation_cart"] = _cart_row(after)
        if still:
            evidence["still_in_cart"] = still
            problems.append(
                f"the confirmation page's cn_cart (cart {after.cart.cart_id}) still holds the purchased "
                f"item(s) {', '.join(still)}"
            )
            remedies.append(EMPTY_CART)
    if problems:
        # Under intercept Connectif got nothing: say what the purchase as sent would do there.
        cannot = (
            "The purchase as Connectif's script sent it would not let Connectif close"
            if purchase.intercepted
            else "Connectif cannot close"
        )
        message = f"{cannot} the cart just paid for: " + "; ".join(problems) + "."
        message += intercepted_note(purchase.intercepted)
        return result(check, Status.FAIL, message, evidence, " ".join(remedies))
    if expected:
        message = (
            f"The purchase carries cart_id {expected}, the cart the shop reported on {where} "
            "before the payment"
        )
    elif last is not None:
        message = "The last cn_cart before the payment has no cart_id: there is no cart id to carry"
    else:
        message = "No cn_cart before the payment: no cart id to carry"
    if after is not None and after.cart is not None:
        empty = not after.cart.product_ids
        message += (
            "; the confirmation page reports an empty cart"
            if empty
            else "; the confirmation page's cart holds none of the purchased items"
        )
    return result(check, Status.PASS, message + ".", evidence)


# --- contact.identified -------------------------------------------------------------------------------


def _how(stop: Stop | None, email: str) -> str:
    """Which tag of the page gave the contact's e-mail, as the script sent it."""
    if stop is None:
        return "entityInfo"
    key = (stop.client or {}).get("primary_key")
    if key and same_email(key, email):
        return "cn_client_info"
    if stop.page.login_tags:
        return "cn_login"
    if stop.page.register_tags:
        return "cn_register"
    return "entityInfo"  # set by the shop's own script (sendEvents' entityInfo option)


def _stop_of(stops: list[Stop], request_index: int) -> Stop | None:
    return next((s for s in stops if request_index in s.requests), None)


def _identifying(obs: Observation, index: int) -> tuple[int, str] | None:
    """The tracking request that identified the contact for request `index`, and the e-mail, or None.

    The request itself when its entityInfo.primaryKey is an e-mail; else the latest earlier request of
    the same browser that carried one (the contact then is known by its tracker id).
    """
    requests = obs.connectif_requests
    entity = requests[index].entity_info or {}
    key = entity.get("primaryKey")
    if is_email(key):
        return index, str(key).strip()
    tracker = entity.get("trackerId")
    if not tracker:
        return None  # a new tracker: Connectif cannot tie it to an earlier identification
    for earlier in range(index - 1, -1, -1):
        request = requests[earlier]
        if request.kind != "tracking" or not request.entity_info:
            continue
        earlier_key = request.entity_info.get("primaryKey")
        earlier_tracker = request.entity_info.get("trackerId")
        if is_email(earlier_key) and earlier_tracker in (None, tracker):
            return earlier, str(earlier_key).strip()
    return None


def contact_identified(obs: Observation, exp: Expectations) -> CheckResult:
    """contact.identified: the tracking request carrying this purchase identified the contact by e-mail."""
    check = "contact.identified"
    purchase_id = this_purchase_id(obs, exp)
    which = f"purchase {purchase_id}" if purchase_id else "the purchase"
    mine = with_id(sent_purchases(obs.connectif_requests), purchase_id)
    stops = journey(obs)
    contacts = [
        {"url": s.page.url, "tag": tag, "primary_key": (s.client or {}).get("primary_key")}
        for s in stops
        for tag in s.tags
        if tag in ("cn_client_info", "cn_login", "cn_register")
    ]
    evidence: dict[str, Any] = {"purchase_id": purchase_id, "contact_tags": contacts}
    if exp.contact_email:
        evidence["expected_email"] = exp.contact_email
    if not mine:
        if obs.error:
            return stopped(check, obs, "a purchase was sent")
        return result(
            check,
            Status.SKIP,
            "Not judged: no purchase was sent to Connectif (see connectif.purchase_sent).",
            evidence,
        )
    sent = next((p for p in mine if p.accepted), mine[0])
    request = obs.connectif_requests[sent.request_index]
    told, aside = sent_by(sent.intercepted), intercepted_note(sent.intercepted)
    evidence["request"] = request_evidence(request)
    evidence["entity_info"] = request.entity_info
    found = _identifying(obs, sent.request_index)
    if found is None:
        key = (request.entity_info or {}).get("primaryKey")
        why = (
            f"its entityInfo.primaryKey {key!r} is not an e-mail"
            if key not in (None, "")
            else "its entityInfo carried no e-mail (primaryKey)"
        )
        status = Status.FAIL if exp.contact == "required" else Status.WARN
        message = (
            f"{told} {which} for an anonymous contact: {why}, and no page before it identified the "
            f"customer (cn_client_info, cn_login or cn_register with an e-mail).{aside}"
        )
        if exp.contact_email:
            message += f" The scenario expects the contact {exp.contact_email}."
        return result(check, status, message, evidence, RENDER_CLIENT_INFO)
    index, email = found
    stop = _stop_of(stops, index)
    how = _how(stop, email)
    page_url = stop.page.url if stop is not None else obs.connectif_requests[index].page_url
    on_page = (
        "the confirmation page"
        if stop is not None and stop is _confirmation(obs, stops)
        else (page_url or "a page of the journey")
    )
    evidence["identified_by"] = {
        "url": page_url,
        "how": how,
        "email": email,
        "request_at_ms": obs.connectif_requests[index].at_ms,
        "same_request": index == sent.request_index,
    }
    via = {
        "cn_client_info": f"cn_client_info on {on_page}",
        "cn_login": f"the cn_login tag on {on_page}",
        "cn_register": f"the cn_register tag on {on_page}",
        "entityInfo": f"an entityInfo the shop's script passed on {on_page}",
    }[how]
    earlier = "" if index == sent.request_index else " earlier in the journey (the same tracker id)"
    if exp.contact_email and not same_email(email, exp.contact_email):
        return result(
            check,
            Status.FAIL,
            f"{told} {which} for the contact {email}, not for {exp.contact_email} as expected "
            f"(identified by {via}{earlier}).{aside}",
            evidence,
            "Render cn_client_info with the e-mail of the customer who placed the order (the one given at "
            f"checkout, {exp.contact_email}), not another address the session or the template knows.",
        )
    return result(
        check,
        Status.PASS,
        f"{told} {which} for the contact {email}, identified by {via}{earlier}.{aside}",
        evidence,
    )


def _confirmation(obs: Observation, stops: list[Stop]) -> Stop | None:
    index = confirmation_stop(obs, stops)
    return stops[index] if index is not None else None
