"""cn_cart.closed and contact.identified on recorded journeys, without a browser."""

from __future__ import annotations

from typing import Any

from auditor.checks.journey import EMPTY_CART, PRINT_CART_ID, RENDER_CLIENT_INFO, journey_result
from auditor.observation import JourneyPage, Observation
from auditor.results import Status
from tests.checks.test_checks import (
    CONF,
    EMAIL,
    ERROR,
    GOOD,
    SENT,
    SHOP,
    cart,
    check,
    make,
    never_back,
    no_tags,
    script_request,
    tag,
    tracking,
)

CART_PAGE = f"{SHOP}/cart"
CHECKOUT = f"{SHOP}/checkout"


def page(url: str, at_ms: int, *carts: Any, email: str | None = None, **more: Any) -> JourneyPage:
    """A journey page read at load, with these cn_cart tags and, given an e-mail, a cn_client_info."""
    client = [{"primary_key": [email]}] if email is not None else []
    return JourneyPage(
        at_ms=at_ms, url=url, read_ms=at_ms + 50, carts=list(carts), client_info=client, **more
    )


def with_journey(*pages: JourneyPage, **update: Any) -> Observation:
    return make(journey=list(pages), **update)


def sent_with(**changes: Any) -> dict[str, Any]:
    """The purchase as the good tag sends it, with some keys changed (None removes one)."""
    assert SENT is not None
    purchase = dict(SENT)
    for key, value in changes.items():
        if value is None:
            purchase.pop(key, None)
        else:
            purchase[key] = value
    return purchase


def tagged(cart_id: str | None) -> dict[str, Any]:
    """Facts where the confirmation's tag (and the event sent from it) carry this cart_id (None: none)."""
    snapshot = tag(cart_id=cart_id)
    return {
        "tags_in_served_html": [snapshot],
        "tags_at_load": GOOD.tags_at_load.model_copy(update={"tags": [snapshot]}),  # type: ignore[union-attr]
        "tags_final": None,
        "connectif_requests": [script_request(), tracking(sent_with(cartId=cart_id))],
    }


# --- cn_cart.closed -------------------------------------------------------------------------------


def test_the_cart_paid_for_is_closed_and_the_confirmation_reports_an_empty_cart() -> None:
    result = check("cn_cart.closed", GOOD)
    assert result.status is Status.PASS
    assert "cart_id CART-7" in result.message and CART_PAGE in result.message
    assert "empty cart" in result.message
    carts = result.evidence["carts"]
    assert [(row["url"], row["cart_id"]) for row in carts] == [(CART_PAGE, "CART-7"), (CONF, "CART-8")]
    assert carts[0]["products"] == ["kb-1"] and carts[1]["products"] == []
    assert result.evidence["cart_before_payment"] == "CART-7"
    assert result.evidence["purchase_cart_id"] == {"tag": "CART-7", "sent": "CART-7"}


def test_the_last_cart_before_the_payment_is_the_one_that_counts() -> None:
    # The shop replaced the cart on the way (a login merged it): the purchase must carry the last id.
    pages = [
        page(f"{SHOP}/product/kb", 50, cart("CART-1", "kb-1")),
        page(CART_PAGE, 100, cart("CART-7", "kb-1")),
        page(CHECKOUT, 500),  # no cn_cart on this page: the last one seen still stands
        page(CONF, 3200, cart("CART-8")),
    ]
    assert check("cn_cart.closed", with_journey(*pages)).status is Status.PASS
    result = check("cn_cart.closed", with_journey(*pages, **tagged("CART-1")))
    assert result.status is Status.FAIL
    assert "cart_id CART-1, another cart than CART-7" in result.message
    assert [row["cart_id"] for row in result.evidence["carts"]] == ["CART-1", "CART-7", None, "CART-8"]


def test_a_purchase_without_a_cart_id_fails_and_says_which_cart_it_should_carry() -> None:
    result = check("cn_cart.closed", make(**tagged(None)))
    assert result.status is Status.FAIL
    assert "the purchase event carries no cart_id" in result.message
    assert f"cart CART-7 on {CART_PAGE}" in result.message
    assert result.remedy == PRINT_CART_ID
    assert "cn_purchase" in PRINT_CART_ID and "cart_id" in PRINT_CART_ID and "abandoned-cart" in PRINT_CART_ID
    assert result.evidence["purchase_cart_id"] == {"tag": "", "sent": ""}


def test_another_carts_id_fails_naming_both() -> None:
    result = check("cn_cart.closed", make(**tagged("CART-8")))
    assert result.status is Status.FAIL
    assert "CART-8" in result.message and "CART-7" in result.message
    assert result.remedy == PRINT_CART_ID


def test_the_event_is_judged_when_it_was_sent_and_the_tag_when_nothing_was() -> None:
    # The tag has the right id, but a script sent the purchase with another: Connectif gets the event.
    obs = make(connectif_requests=[script_request(), tracking(sent_with(cartId="CART-9"))])
    result = check("cn_cart.closed", obs)
    assert result.status is Status.FAIL and "the purchase event carries cart_id CART-9" in result.message
    # Connectif's script never ran: the tag is what the purchase would carry.
    obs = make(**{**tagged("CART-9"), "connectif_requests": []})
    result = check("cn_cart.closed", obs)
    assert result.status is Status.FAIL and "the cn_purchase tag carries cart_id CART-9" in result.message


def test_a_purchase_sent_with_send_events_and_no_tag_is_judged_by_its_event() -> None:
    obs = no_tags(connectif_requests=[script_request(), tracking(sent_with(cartId="CART-7"))])
    result = check("cn_cart.closed", obs, cn_purchase="absent")
    assert result.status is Status.PASS
    assert result.evidence["purchase_cart_id"] == {"tag": None, "sent": "CART-7"}


def test_a_confirmation_cart_that_still_holds_the_purchase_fails() -> None:
    pages = [page(CART_PAGE, 100, cart("CART-7", "kb-1")), page(CONF, 3200, cart("CART-7", "kb-1"))]
    result = check("cn_cart.closed", with_journey(*pages))
    assert result.status is Status.FAIL
    assert (
        "confirmation page's cn_cart (cart CART-7) still holds the purchased item(s) kb-1" in result.message
    )
    assert result.evidence["still_in_cart"] == ["kb-1"]
    assert result.remedy == EMPTY_CART
    # Other products left in the cart are not the purchase's: that is a cart, not a forgotten one.
    pages[1] = page(CONF, 3200, cart("CART-8", "mouse"))
    result = check("cn_cart.closed", with_journey(*pages))
    assert result.status is Status.PASS and "holds none of the purchased items" in result.message


def test_both_problems_are_reported_together() -> None:
    pages = [page(CART_PAGE, 100, cart("CART-7", "kb-1")), page(CONF, 3200, cart("CART-7", "kb-1"))]
    result = check("cn_cart.closed", with_journey(*pages, **tagged(None)))
    assert result.status is Status.FAIL
    assert "no cart_id" in result.message and "still holds" in result.message
    assert result.remedy == f"{PRINT_CART_ID} {EMPTY_CART}"


def test_a_cart_tag_connectif_ignores_has_no_id_to_carry() -> None:
    unreadable = cart("", "kb-1")
    result = check("cn_cart.closed", with_journey(page(CART_PAGE, 100, unreadable), page(CONF, 3200)))
    assert result.status is Status.PASS
    assert "has no cart_id" in result.message
    assert "cart_id is missing or empty" in result.evidence["carts"][0]["dropped"]


def test_skipped_without_any_cart_tag_or_without_a_purchase() -> None:
    result = check("cn_cart.closed", with_journey(page(CART_PAGE, 100), page(CONF, 3200)))
    assert result.status is Status.SKIP and "no shop page" in result.message
    assert result.evidence["carts"][0] == {"url": CART_PAGE, "at_ms": 100, "cart_id": None}
    result = check("cn_cart.closed", make(journey=[]))
    assert result.status is Status.SKIP
    # a declined payment: no tag, nothing sent, the scenario says so
    obs = no_tags(connectif_requests=[script_request(), tracking()])
    result = check("cn_cart.closed", obs, cn_purchase="absent", purchase_sent="absent")
    assert result.status is Status.SKIP and "expects no purchase" in result.message
    result = check("cn_cart.closed", obs)
    assert result.status is Status.SKIP and "no purchase" in result.message


def test_never_back_has_a_cart_and_no_purchase_to_close_it() -> None:
    obs = never_back(journey=[page(CART_PAGE, 100, cart("CART-7", "kb-1"))])
    assert check("cn_cart.closed", obs).status is Status.SKIP


def test_a_run_that_stopped_before_any_cart_says_so() -> None:
    result = check("cn_cart.closed", make(journey=[], **ERROR))
    assert result.status is Status.SKIP and "the run stopped" in result.message


def test_a_page_that_never_loaded_is_listed_without_tags() -> None:
    pages = [JourneyPage(at_ms=50, url=f"{SHOP}/"), *GOOD.journey]
    result = check("cn_cart.closed", with_journey(*pages))
    assert result.status is Status.PASS
    assert "never reached its load event" in result.evidence["carts"][0]["note"]


# --- contact.identified ---------------------------------------------------------------------------


def anonymous(**entity: Any) -> list[Any]:
    """The confirmation's requests, with the purchase sent for this entityInfo."""
    return [script_request(), tracking(SENT, entity_info=entity or None)]


def test_the_contact_identified_by_cn_client_info_on_the_confirmation_page() -> None:
    result = check("contact.identified", GOOD)
    assert result.status is Status.PASS
    assert result.message == (
        f"Connectif was sent purchase ORDER-42 for the contact {EMAIL}, identified by cn_client_info on "
        "the confirmation page."
    )
    assert result.evidence["identified_by"] == {
        "url": CONF,
        "how": "cn_client_info",
        "email": EMAIL,
        "request_at_ms": 3600,
        "same_request": True,
    }
    assert result.evidence["contact_tags"] == [{"url": CONF, "tag": "cn_client_info", "primary_key": EMAIL}]
    assert result.evidence["entity_info"] == {"trackerId": "tr-1", "primaryKey": EMAIL}


def test_an_anonymous_purchase_is_a_warning_that_names_the_template_to_change() -> None:
    obs = with_journey(page(CART_PAGE, 100), page(CONF, 3200), connectif_requests=anonymous(trackerId="t"))
    result = check("contact.identified", obs)
    assert result.status is Status.WARN
    assert "purchase ORDER-42 for an anonymous contact" in result.message
    assert "no e-mail" in result.message
    assert result.remedy == RENDER_CLIENT_INFO
    assert "confirmation page" in RENDER_CLIENT_INFO and "guest" in RENDER_CLIENT_INFO
    assert 'class="primary_key"' in RENDER_CLIENT_INFO
    assert result.evidence["contact_tags"] == []
    required = check("contact.identified", obs, contact="required")
    assert required.status is Status.FAIL and required.message == result.message


def test_a_primary_key_that_is_not_an_e_mail_does_not_identify() -> None:
    obs = make(connectif_requests=anonymous(trackerId="t", primaryKey="customer-1001"))
    result = check("contact.identified", obs)
    assert result.status is Status.WARN
    assert "entityInfo.primaryKey 'customer-1001' is not an e-mail" in result.message


def test_identified_earlier_in_the_journey_with_the_same_tracker() -> None:
    earlier = tracking(at_ms=600, page_url=CHECKOUT, entity_info={"trackerId": "t", "primaryKey": EMAIL})
    pages = [page(CHECKOUT, 500, email=EMAIL), page(CONF, 3200)]
    obs = with_journey(*pages, connectif_requests=[earlier, *anonymous(trackerId="t")])
    result = check("contact.identified", obs)
    assert result.status is Status.PASS
    assert f"identified by cn_client_info on {CHECKOUT} earlier in the journey" in result.message
    assert result.evidence["identified_by"]["url"] == CHECKOUT
    assert result.evidence["identified_by"]["same_request"] is False
    # Another tracker, or none at all, is another contact for Connectif: the earlier e-mail does not count.
    for entity in ({"trackerId": "other"}, {}):
        obs = with_journey(*pages, connectif_requests=[earlier, *anonymous(**entity)])
        assert check("contact.identified", obs).status is Status.WARN


def test_login_tag_and_script_entity_info_are_named() -> None:
    login = page(CONF, 3200, login_tags=[{}])
    result = check("contact.identified", with_journey(page(CART_PAGE, 100), login))
    assert result.status is Status.PASS and "the cn_login tag on the confirmation page" in result.message
    result = check("contact.identified", with_journey(page(CART_PAGE, 100), page(CONF, 3200)))
    assert result.status is Status.PASS
    assert "an entityInfo the shop's script passed on the confirmation page" in result.message
    assert result.evidence["identified_by"]["how"] == "entityInfo"


def test_the_expected_e_mail_is_compared_in_any_case_and_trimmed() -> None:
    assert check("contact.identified", GOOD, contact_email=" Ada@Example.COM ").status is Status.PASS
    result = check("contact.identified", GOOD, contact_email="grace@example.com")
    assert result.status is Status.FAIL
    assert f"for the contact {EMAIL}, not for grace@example.com" in result.message
    assert result.remedy is not None and "grace@example.com" in result.remedy
    assert result.evidence["expected_email"] == "grace@example.com"
    # anonymous: the e-mail expected is named, the status follows `contact`
    obs = make(connectif_requests=anonymous(trackerId="t"))
    result = check("contact.identified", obs, contact_email="grace@example.com")
    assert result.status is Status.WARN and "expects the contact grace@example.com" in result.message


def test_skipped_when_no_purchase_was_sent() -> None:
    result = check("contact.identified", make(connectif_requests=[script_request(), tracking()]))
    assert result.status is Status.SKIP and "no purchase was sent" in result.message
    other = tracking(sent_with(purchaseId="ORDER-1"))
    result = check("contact.identified", make(connectif_requests=[other]))
    assert result.status is Status.SKIP  # a purchase, but not this one
    result = check("contact.identified", make(connectif_requests=[], **ERROR))
    assert result.status is Status.SKIP and "the run stopped" in result.message


def test_the_accepted_request_is_the_one_judged() -> None:
    refused = tracking(SENT, at_ms=3500, status=500, entity_info={"trackerId": "t"})
    obs = make(connectif_requests=[refused, tracking(SENT, at_ms=3700)])
    result = check("contact.identified", obs)
    assert result.status is Status.PASS and result.evidence["request"]["at_ms"] == 3700


# --- results.json's journey -----------------------------------------------------------------------


def test_the_journey_lists_every_shop_page_with_its_tags_and_events() -> None:
    product = f"{SHOP}/product/kb"
    requests = [
        tracking(at_ms=260, page_url=product),
        script_request(),
        tracking(SENT, at_ms=3600, page_url=CONF + "#done"),
    ]
    pages = [page(product, 200), *GOOD.journey]
    stops = journey_result(with_journey(*pages, connectif_requests=requests))
    assert [s["url"] for s in stops] == [product, CART_PAGE, CONF]
    assert [s["events"] for s in stops] == [["page-visit"], [], ["page-visit", "purchase"]]
    assert [s["tags"] for s in stops] == [[], ["cn_cart"], ["cn_cart", "cn_client_info", "cn_purchase"]]
    assert stops[1]["cn_cart"] == {
        "cart_id": "CART-7",
        "total_quantity": "3",
        "total_price": "180.75",
        "products": [
            {
                "quantity": "3",
                "price": "180.75",
                "url": "https://shop.test/p/kb-1",
                "product_id": "kb-1",
                "name": "Kb-1",
                "unit_price": "60.25",
            }
        ],
    }
    assert stops[2]["cn_client_info"] == {"primary_key": EMAIL}
    assert stops[0]["cn_cart"] is None and stops[0]["cn_client_info"] is None
    assert all(s["loaded"] for s in stops)


def test_a_request_from_a_rewritten_url_belongs_to_the_page_shown_then() -> None:
    # Connectif's script removes __cn_tracker with replaceState: the request names a URL no page had.
    moved = tracking(SENT, at_ms=3600, page_url=f"{SHOP}/order/confirmation/42?x=1")
    platform = tracking(at_ms=1500, page_url="http://pay.test/pay")
    stops = journey_result(make(connectif_requests=[platform, moved]))
    assert [s["events"] for s in stops] == [[], ["page-visit", "purchase"]]
