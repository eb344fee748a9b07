"""Every fault switch, driven in Chromium, checked against the lab's ground truth."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from auditor.lab import Lab

from .labkit import Shopper, buy, pay_adyen, pay_bank, pay_paypal, pay_redsys, pay_stripe

pytestmark = pytest.mark.browser


def purchases_from(shopper: Shopper, ref: str, count: int = 1) -> list[dict[str, Any]]:
    """Purchase events from the confirmation page of `ref`, once `count` requests arrived."""
    requests = shopper.wait_tracking(ref, until=lambda evs: len(evs) >= count)
    return [e["purchase"] for r in requests for e in r["events"] if e["type"] == "purchase"]


def tag_text(page: Page, name: str) -> str:
    return (
        page.locator(f".cn_purchase .{name}").first.inner_text()
        if False
        else str(page.locator(f".cn_purchase .{name}").first.text_content()).strip()
    )


# the tag ------------------------------------------------------------------------------------
def test_a_valid_tag_is_sent_with_the_values_shown(shopper: Shopper) -> None:
    ref = buy(shopper, "keyboard", 2)
    [purchase] = purchases_from(shopper, ref)
    assert purchase["purchaseId"] == ref
    assert purchase["totalPrice"] == 179.8
    assert purchase["totalQuantity"] == 2
    assert purchase["products"][0]["unitPrice"] == 89.9
    assert purchase["products"][0]["price"] == 179.8
    assert purchase["products"][0]["productDetailUrl"].endswith("/product/keyboard")
    assert purchase["paymentMethod"] == "Stripe Checkout"
    # the tag's date is ISO 8601 and the order records the same instant
    assert purchase["purchaseDate"].endswith("Z") and "T" in purchase["purchaseDate"]
    assert shopper.order(ref)["faults"] == []


def test_tag_absent(shopper: Shopper) -> None:
    ref = buy(shopper, fault="tag-absent")
    expect(shopper.page.locator(".order-number")).to_have_text(ref)
    assert shopper.page.locator(".cn_purchase").count() == 0
    assert purchases_from(shopper, ref) == []
    assert shopper.order(ref)["faults"] == ["tag-absent"]


def test_tag_missing_field_is_dropped_by_the_script(shopper: Shopper) -> None:
    ref = buy(shopper, fault="tag-missing-field")
    page = shopper.page
    assert page.locator(".cn_purchase .total_quantity").count() == 0
    assert tag_text(page, "purchase_id") == ref
    assert purchases_from(shopper, ref) == []


def test_tag_comma_decimals_are_misread(shopper: Shopper) -> None:
    ref = buy(shopper, "keyboard", fault="tag-comma")
    assert tag_text(shopper.page, "total_price") == "89,90"
    [purchase] = purchases_from(shopper, ref)
    assert purchase["totalPrice"] == 89  # parseFloat("89,90")
    assert purchase["products"][0]["unitPrice"] == 89


def test_tag_currency_symbol_drops_the_purchase(shopper: Shopper) -> None:
    ref = buy(shopper, fault="tag-currency")
    assert tag_text(shopper.page, "total_price") == "€89.90"
    assert purchases_from(shopper, ref) == []


def test_tag_thousands_separator_is_misread(shopper: Shopper) -> None:
    ref = buy(shopper, "laptop", fault="tag-thousands")
    expect(shopper.page.locator("#order-total")).to_have_text("1.249,00 €")
    assert tag_text(shopper.page, "total_price") == "1,249.00"
    [purchase] = purchases_from(shopper, ref)
    assert purchase["totalPrice"] == 1


def test_tag_non_iso_date_is_sent_as_written(shopper: Shopper) -> None:
    ref = buy(shopper, fault="tag-date")
    date = tag_text(shopper.page, "purchase_date")
    assert date[2] == "/" and date[5] == "/" and "T" not in date
    [purchase] = purchases_from(shopper, ref)
    assert purchase["purchaseDate"] == date
    assert purchase["totalPrice"] == 89.9


def test_tag_late_is_missed_by_the_script(shopper: Shopper) -> None:
    page = shopper.page
    page.add_init_script(
        "addEventListener('load', () => {"
        " window.__tagsAtLoad = document.querySelectorAll('.cn_purchase').length; })"
    )
    ref = buy(shopper, fault="tag-late")
    expect(page.locator(".cn_purchase")).to_have_count(1)  # it does come, after load
    assert page.evaluate("window.__tagsAtLoad") == 0
    requests = shopper.wait_tracking(ref)
    assert [e["type"] for r in requests for e in r["events"]] == ["page-visit"]
    # the tag is valid: a re-read would have found the purchase
    assert page.evaluate("connectif.managed.getAllEvents()[0].purchase.purchaseId") == ref


def test_tag_late_with_resend_is_sent_by_the_second_request(shopper: Shopper) -> None:
    ref = buy(shopper, fault="tag-late-resend")
    purchases = purchases_from(shopper, ref, count=2)
    assert [p["purchaseId"] for p in purchases] == [ref]
    requests = shopper.tracking(ref)
    assert [e["type"] for e in requests[0]["events"]] == ["page-visit"]


def test_tag_twice_sends_two_purchases(shopper: Shopper) -> None:
    ref = buy(shopper, fault="tag-twice")
    assert shopper.page.locator(".cn_purchase").count() == 2
    purchases = purchases_from(shopper, ref)
    assert [p["purchaseId"] for p in purchases] == [ref, ref]
    assert len(shopper.tracking(ref)) == 1  # both in one request


def test_by_default_every_view_of_the_confirmation_renders_the_tag_again(shopper: Shopper) -> None:
    ref = buy(shopper)
    purchases_from(shopper, ref)
    shopper.page.reload()
    expect(shopper.page.locator(".cn_purchase .purchase_id")).to_have_text(ref)
    assert [p["purchaseId"] for p in purchases_from(shopper, ref, count=2)] == [ref, ref]
    assert shopper.order(ref)["confirmation_views"] == 2


def test_tag_once_renders_the_tag_on_the_first_view_only(shopper: Shopper) -> None:
    ref = buy(shopper, fault="tag-once")
    expect(shopper.page.locator(".cn_purchase")).to_have_count(1)
    purchases_from(shopper, ref)
    shopper.page.reload()
    expect(shopper.page.locator(".order-number")).to_have_text(ref)  # the order is still shown
    expect(shopper.page.locator(".cn_purchase")).to_have_count(0)
    requests = shopper.wait_tracking(ref, until=lambda evs: len(evs) >= 2)
    assert [e["type"] for e in requests[1]["events"]] == ["page-visit"]
    assert [p["purchaseId"] for p in shopper.purchases(ref)] == [ref]
    assert shopper.order(ref)["confirmation_views"] == 2


def test_tag_wrong_id_carries_the_internal_number(shopper: Shopper) -> None:
    ref = buy(shopper, fault="tag-wrong-id")
    number = str(shopper.order(ref)["number"])
    expect(shopper.page.locator(".order-number")).to_have_text(ref)
    assert tag_text(shopper.page, "purchase_id") == number
    [purchase] = purchases_from(shopper, ref)
    assert purchase["purchaseId"] == number


def test_flaky_tag_is_missing_only_the_first_time(shopper: Shopper) -> None:
    key = secrets.token_hex(4)
    first = buy(shopper, fault="flaky-tag", key=key)
    assert shopper.page.locator(".cn_purchase").count() == 0
    assert purchases_from(shopper, first) == []
    second = buy(shopper, fault="flaky-tag", key=key)
    assert shopper.page.locator(".cn_purchase").count() == 1
    assert [p["purchaseId"] for p in purchases_from(shopper, second)] == [second]
    assert shopper.order(first)["flaky_missing"] and not shopper.order(second)["flaky_missing"]


def test_page_error_is_uncaught_and_tracking_still_works(shopper: Shopper) -> None:
    page = shopper.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    ref = buy(shopper, fault="page-error")
    page.wait_for_load_state("load")
    assert any("reading 'track'" in e for e in errors), errors
    assert [p["purchaseId"] for p in purchases_from(shopper, ref)] == [ref]


# sendEvents ---------------------------------------------------------------------------------
def test_sendevents_instead_of_the_tag(shopper: Shopper) -> None:
    ref = buy(shopper, fault="sendevents")
    assert shopper.page.locator(".cn_purchase").count() == 0
    [purchase] = purchases_from(shopper, ref, count=2)
    assert purchase["purchaseId"] == ref and purchase["totalPrice"] == 89.9
    assert len(shopper.tracking(ref)) == 2  # the sendEvents call, then the page-visit


def test_tag_and_sendevents_send_the_purchase_twice(shopper: Shopper) -> None:
    ref = buy(shopper, fault="tag-and-sendevents")
    purchases = purchases_from(shopper, ref, count=2)
    assert [p["purchaseId"] for p in purchases] == [ref, ref]
    assert len(shopper.tracking(ref)) == 2


# the Connectif script -----------------------------------------------------------------------
def test_script_absent(shopper: Shopper, lab: Lab) -> None:
    before = len(lab.events())
    ref = buy(shopper, fault="script-absent")
    page = shopper.page
    page.wait_for_load_state("load")
    assert page.locator("script[id^=__cn_generic_script__]").count() == 0
    assert page.evaluate("typeof window.connectif") == "undefined"
    assert [e for e in lab.events()[before:] if ref in (e.get("page_url") or "")] == []


@pytest.mark.parametrize(("fault", "status"), [("script-404", 404), ("script-500", 500)])
def test_script_failing_sends_nothing(shopper: Shopper, lab: Lab, fault: str, status: int) -> None:
    page = shopper.page
    shopper.add("keyboard", 1, platform="stripe", fault=fault)
    shopper.checkout()
    with page.expect_response(lambda r: "/client-script/" in r.url) as script:
        pay_stripe(page)
        page.wait_for_url("**/order/confirmation/**")
    assert script.value.status == status
    assert script.value.url.startswith("http://cdn.connectif.cloud:")
    page.wait_for_load_state("load")
    ref = shopper.ref_from_url()
    assert page.evaluate("typeof window.connectif") == "undefined"
    assert shopper.tracking(ref) == []
    recorded = [e for e in lab.events() if e["kind"] == "script" and e["status"] == status]
    assert recorded


def test_script_hang_holds_the_page_load(shopper: Shopper, lab: Lab) -> None:
    page = shopper.page
    # every shop page carries the loader, so no page of this session ever finishes loading
    page.goto("/product/keyboard?fault=script-hang", wait_until="domcontentloaded")
    got = lab.wait_for_events(
        lambda evs: any(e["kind"] == "script" and e["status"] == 0 for e in evs), timeout=5
    )
    assert got is not None
    # the loader added the script before load: the load event waits for an answer that
    # never comes (until the lab stops, or 60 s)
    assert page.evaluate("document.readyState") == "interactive"
    assert page.evaluate("typeof window.connectif") == "undefined"


# payments -----------------------------------------------------------------------------------
def start(shopper: Shopper, platform: str, **switches: str) -> None:
    shopper.add("keyboard", 1, platform=platform, **switches)
    shopper.checkout()


def assert_failed(shopper: Shopper) -> dict[str, Any]:
    page = shopper.page
    page.wait_for_url("**/checkout/payment-failed/**")
    expect(page.locator("#payment-failed")).to_be_visible()
    assert page.locator(".cn_purchase, .order-number").count() == 0
    order = shopper.order(page.url.split("?")[0].rsplit("/", 1)[1])
    assert order["status"] == "declined"
    return order


def test_declined_on_adyen_returns_refused(shopper: Shopper) -> None:
    start(shopper, "adyen", fault="declined")
    with shopper.page.expect_request(lambda r: "/payment/return/adyen" in r.url) as request:
        pay_adyen(shopper.page)
    assert "resultCode=Refused" in request.value.url
    assert_failed(shopper)


def test_declined_on_redsys(shopper: Shopper) -> None:
    start(shopper, "redsys", fault="declined")
    pay_redsys(shopper.page)
    expect(shopper.page.locator("#result")).to_have_text("Transacción denegada")
    shopper.page.click("text=Continuar")
    assert_failed(shopper)


def test_declined_on_the_bank(shopper: Shopper) -> None:
    start(shopper, "bank", fault="declined")
    pay_bank(shopper.page)
    assert_failed(shopper)


def test_declined_on_paypal(shopper: Shopper) -> None:
    start(shopper, "paypal", fault="declined")
    assert pay_paypal(shopper.page).is_closed()
    expect(shopper.page.locator("#payment-error")).to_contain_text("declined")


def test_declined_on_stripe_stays_on_the_platform(shopper: Shopper) -> None:
    start(shopper, "stripe", fault="declined")
    pay_stripe(shopper.page)
    expect(shopper.page.locator("#card-error")).to_be_visible()
    assert shopper.last_order("buyer@example.com")["status"] == "declined"


def test_cancelling_on_stripe_goes_back_to_the_cart_with_its_lines(shopper: Shopper) -> None:
    start(shopper, "stripe")
    page = shopper.page
    page.click("#pay")
    page.wait_for_url("**/c/pay/**")
    page.click("#cancel")
    page.wait_for_url("**/cart?cancelled=*")
    order = shopper.last_order("buyer@example.com")
    expect(page.locator("#payment-cancelled")).to_contain_text(order["ref"])
    expect(page.locator("#cart-total")).to_have_text("89,90 €")  # the lines are back in the cart
    assert order["status"] == "canceled"
    page.reload()  # restored once: a reload does not put the lines in twice
    expect(page.locator("#cart-total")).to_have_text("89,90 €")
    expect(page.locator("#payment-cancelled")).to_have_count(0)
    assert page.locator(".cn_purchase").count() == 0


def test_a_declined_card_then_back_to_the_cart(shopper: Shopper) -> None:
    start(shopper, "stripe")
    pay_stripe(shopper.page, card="4000 0000 0000 0002")
    expect(shopper.page.locator("#card-error")).to_have_text("Your card was declined.")
    shopper.page.click("#cancel")
    shopper.page.wait_for_url("**/cart?cancelled=*")
    expect(shopper.page.locator("#cart-total")).to_have_text("89,90 €")
    assert shopper.last_order("buyer@example.com")["status"] == "canceled"


def test_a_paid_order_is_not_cancelled_by_its_cancel_url(shopper: Shopper) -> None:
    ref = buy(shopper)
    shopper.page.goto(f"/cart?cancelled={ref}")
    expect(shopper.page.locator("#cart-empty")).to_be_visible()
    assert shopper.order(ref)["status"] == "paid"


def test_pay_refused(shopper: Shopper, lab: Lab) -> None:
    start(shopper, "stripe", fault="pay-refused")
    page = shopper.page
    with page.expect_event("requestfailed", lambda r: "checkout.stripe.test" in r.url) as failed:
        page.click("#pay", no_wait_after=True)
    assert failed.value.failure == "net::ERR_CONNECTION_REFUSED"
    assert f":{lab.closed_port}/" in failed.value.url
    assert shopper.last_order("buyer@example.com")["status"] == "pending"


def test_pay_500(shopper: Shopper) -> None:
    start(shopper, "mollie", fault="pay-500")
    page = shopper.page
    with page.expect_response(lambda r: "mollie.test" in r.url) as response:
        page.click("#pay")
    assert response.value.status == 500


def test_pay_hang_never_answers(shopper: Shopper) -> None:
    start(shopper, "adyen", fault="pay-hang")
    page = shopper.page
    with page.expect_request(lambda r: "test.adyen.test" in r.url):
        page.click("#pay", no_wait_after=True)
    # no answer within a second (the server side of the hang is tested without a browser)
    with pytest.raises(PlaywrightTimeoutError):
        page.wait_for_event("response", lambda r: "test.adyen.test" in r.url, timeout=1000)
    assert page.url.endswith("/checkout")


def test_pay_refused_in_the_elements_frame(shopper: Shopper, lab: Lab) -> None:
    page = shopper.page
    with page.expect_event("requestfailed", lambda r: "js.stripe.test" in r.url) as failed:
        start(shopper, "elements", fault="pay-refused")
    assert failed.value.failure == "net::ERR_CONNECTION_REFUSED"


# the shop's session cookie ------------------------------------------------------------------
def lost_session(shopper: Shopper) -> None:
    """The confirmation page shows no order and no tag; the order exists and is paid."""
    page = shopper.page
    page.wait_for_url("**/order/confirmation/**")
    ref = shopper.ref_from_url()
    expect(page.locator("#order-missing")).to_be_visible()
    assert page.locator(".order-number, .cn_purchase").count() == 0
    assert shopper.order(ref)["status"] == "paid"
    requests = shopper.wait_tracking(ref)  # the script still loads and counts a page visit
    assert [e["type"] for r in requests for e in r["events"]] == ["page-visit"]


def test_samesite_lax_loses_the_session_on_a_cross_site_post(shopper: Shopper) -> None:
    start(shopper, "bank", samesite="lax")
    [cookie] = shopper.page.context.cookies()
    assert cookie["sameSite"] == "Lax"
    with shopper.page.expect_request(lambda r: "/order/confirmation/" in r.url) as request:
        pay_bank(shopper.page)
    assert request.value.method == "POST"
    assert "cookie" not in request.value.all_headers()
    lost_session(shopper)


def test_samesite_lax_keeps_the_session_on_a_cross_site_get(shopper: Shopper) -> None:
    ref = buy(shopper, samesite="lax")
    expect(shopper.page.locator(".order-number")).to_have_text(ref)


def test_samesite_strict_loses_the_session_even_on_a_redirect(shopper: Shopper) -> None:
    start(shopper, "stripe", samesite="strict")
    pay_stripe(shopper.page)
    lost_session(shopper)


def test_samesite_unset_survives_a_fresh_cross_site_post(shopper: Shopper) -> None:
    # no attribute: Chromium's Lax-by-default still sends cookies younger than 2 minutes
    # on a cross-site top-level POST, so the bank's form post keeps the session
    start(shopper, "bank")
    with shopper.page.expect_response(lambda r: "/cart" in r.url) as cart:
        shopper.page.goto("/cart")
    assert "cookie" in cart.value.request.all_headers()
    shopper.page.goto("/checkout")
    shopper.page.fill("#email", "buyer@example.com")
    with shopper.page.expect_request(lambda r: "/order/confirmation/" in r.url) as request:
        pay_bank(shopper.page)
    assert "shop_session=" in request.value.all_headers().get("cookie", "")
    shopper.page.wait_for_url("**/order/confirmation/**")
    expect(shopper.page.locator(".order-number")).to_have_text(shopper.ref_from_url())


# guardrails ---------------------------------------------------------------------------------
def test_live_key_is_on_the_checkout_page(shopper: Shopper) -> None:
    start(shopper, "elements", fault="live-key")
    page = shopper.page
    assert page.evaluate("window.STRIPE_PUBLISHABLE_KEY").startswith("pk_live_")
    assert "key=pk_live_" in str(page.locator("#card-element").get_attribute("src"))


def test_test_key_without_the_switch(shopper: Shopper) -> None:
    start(shopper, "stripe")
    assert shopper.page.evaluate("window.STRIPE_PUBLISHABLE_KEY").startswith("pk_test_")


def test_live_host_sends_redsys_payments_to_production(shopper: Shopper) -> None:
    start(shopper, "redsys", fault="live-host")
    page = shopper.page
    page.click("#pay")
    page.wait_for_url("http://sis.redsys.es:*/sis/realizarPago")
    expect(page.locator("#card")).to_be_visible()
