"""Every payment platform, driven in Chromium: how the customer leaves and comes back."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from auditor.lab import Lab

from .labkit import (
    Shopper,
    http,
    pay_adyen,
    pay_bank,
    pay_elements,
    pay_mollie,
    pay_paypal,
    pay_redsys,
    pay_stripe,
)

pytestmark = pytest.mark.browser


def start(shopper: Shopper, platform: str, **switches: str | int) -> None:
    """Put a keyboard in the cart and open the checkout for `platform`."""
    shopper.add("keyboard", 1, platform=platform, **switches)
    shopper.checkout()


def assert_confirmed(shopper: Shopper, platform: str) -> str:
    """The confirmation page shows the paid order, whose ground truth matches."""
    page = shopper.page
    page.wait_for_url("**/order/confirmation/**")
    ref = shopper.ref_from_url()
    expect(page.locator(".order-number")).to_have_text(ref)
    expect(page.locator(".cn_purchase .purchase_id")).to_have_text(ref)
    order = shopper.order(ref)
    assert order["status"] == "paid"
    assert order["platform"] == platform
    assert order["total"] == "89.90"
    return ref


def test_stripe_checkout_returns_with_a_303(shopper: Shopper) -> None:
    start(shopper, "stripe")
    page = shopper.page
    page.click("#pay")
    page.wait_for_url("http://checkout.stripe.test:*/c/pay/cs_test_*")
    page.fill("#cardNumber", "4242424242424242")
    with page.expect_response(lambda r: r.request.method == "POST" and "/c/pay/" in r.url) as r:
        page.click("#submit")
    assert r.value.status == 303
    assert "/order/confirmation/" in r.value.headers["location"]
    assert_confirmed(shopper, "stripe")


def test_stripe_decline_card_stays_on_the_platform(shopper: Shopper) -> None:
    start(shopper, "stripe")
    pay_stripe(shopper.page, card="4000 0000 0000 0002")
    expect(shopper.page.locator("#card-error")).to_have_text("Your card was declined.")
    assert "checkout.stripe.test" in shopper.page.url
    # the verdict reached the shop server-to-server; the customer may still retry
    assert shopper.last_order("buyer@example.com")["status"] == "declined"


def test_redsys_returns_only_by_clicking_continuar(shopper: Shopper) -> None:
    start(shopper, "redsys")
    page = shopper.page
    pay_redsys(page)
    expect(page.locator("#result")).to_have_text("Transacción autorizada")
    # nothing on the result page can move the browser by itself
    assert page.locator("meta[http-equiv=refresh], script").count() == 0
    assert "sis-t.redsys.test" in page.url
    with page.expect_request(lambda r: "/order/confirmation/" in r.url) as request:
        page.click("text=Continuar")
    assert request.value.method == "GET"
    assert "Ds_MerchantParameters=" in request.value.url
    assert_confirmed(shopper, "redsys")


def test_redsys_rejects_a_short_otp(shopper: Shopper) -> None:
    start(shopper, "redsys")
    page = shopper.page
    page.click("#pay")
    page.fill("#card", "4548812049400004")
    page.click("#submit")
    page.frame_locator("#challenge").locator("#otp").fill("12")
    page.click("#authorise")
    expect(page.locator("#otp-error")).to_be_visible()
    assert page.url.endswith("/sis/challenge")


def test_adyen_returns_with_an_auto_submitted_get_form(shopper: Shopper) -> None:
    start(shopper, "adyen")
    page = shopper.page
    with page.expect_request(lambda r: "/payment/return/adyen" in r.url) as request:
        pay_adyen(page)
    assert request.value.method == "GET"
    assert "resultCode=Authorised" in request.value.url
    assert request.value.headers.get("referer", "").startswith("http://test.adyen.test:")
    assert_confirmed(shopper, "adyen")


def test_mollie_returns_by_meta_refresh_even_without_javascript(browser: Browser, lab: Lab) -> None:
    # with scripts off, only a meta refresh (or an HTTP redirect) can bring the customer back
    context = browser.new_context(base_url=lab.url("shop.test").rstrip("/"), java_script_enabled=False)
    try:
        shopper = Shopper(lab, context.new_page())
        start(shopper, "mollie")
        page = shopper.page
        with page.expect_request(lambda r: "/payment/return/mollie" in r.url) as request:
            pay_mollie(page)
        assert request.value.method == "GET"
        assert request.value.headers.get("referer", "").startswith("http://mollie.test:")
        assert_confirmed(shopper, "mollie")
    finally:
        context.close()


def test_mollie_answers_with_a_meta_refresh_page(lab: Lab, shopper: Shopper) -> None:
    start(shopper, "mollie", return_delay_ms=200)
    page = shopper.page
    page.click("#pay")
    page.wait_for_url("**/checkout/test-mode**")
    token = page.url.split("token=")[1]
    status, body = http(
        lab, "POST", "mollie.test", "/checkout/test-mode", form={"token": token, "final_state": "paid"}
    )
    assert status == 200
    # meta refresh counts whole seconds: 200 ms becomes 1 s
    assert '<meta http-equiv="refresh" content="1; url=http://shop.test:' in body
    assert "<script" not in body


def test_mollie_failed_status_lands_on_the_failure_page(shopper: Shopper) -> None:
    start(shopper, "mollie")
    page = shopper.page
    pay_mollie(page, status="failed")
    page.wait_for_url("**/checkout/payment-failed/**")
    expect(page.locator("#payment-failed")).to_be_visible()
    assert page.locator(".cn_purchase").count() == 0
    ref = page.url.rsplit("/", 1)[1]
    assert shopper.order(ref)["status"] == "failed"


def test_bank_challenge_in_nested_iframes_returns_with_a_form_post(shopper: Shopper) -> None:
    start(shopper, "bank")
    page = shopper.page
    with page.expect_request(lambda r: "/order/confirmation/" in r.url) as request:
        pay_bank(page)
    assert request.value.method == "POST"
    assert request.value.headers.get("referer", "").startswith("http://secure.bank.test:")
    assert_confirmed(shopper, "bank")


def test_bank_frames_are_nested_and_cross_host(shopper: Shopper) -> None:
    start(shopper, "bank")
    page = shopper.page
    page.click("#pay")
    page.fill("#pan", "4548812049400004")
    page.click("#next")
    inner = page.frame_locator("#threeds").frame_locator("#challenge-frame").locator("#otp")
    expect(inner).to_be_visible()
    outer = page.frame(url=lambda u: "acs.bank.test" in u)
    challenge = page.frame(url=lambda u: "challenge.issuer.test" in u)
    assert outer is not None and challenge is not None
    assert challenge.parent_frame == outer
    assert outer.parent_frame == page.main_frame


def test_paypal_popup_closes_and_the_opener_moves_on(shopper: Shopper) -> None:
    start(shopper, "paypal")
    page = shopper.page
    popup = pay_paypal(page)
    assert popup.is_closed()
    assert_confirmed(shopper, "paypal")


def test_paypal_cancel_closes_the_popup_and_shows_an_error(shopper: Shopper) -> None:
    start(shopper, "paypal")
    page = shopper.page
    with page.expect_popup() as info:
        page.click("#pay")
    popup = info.value
    assert popup.opener() == page
    popup.click("#btnLogin")
    with popup.expect_event("close"):
        popup.click("#cancel-link")
    expect(page.locator("#payment-error")).to_contain_text("canceled")
    assert page.url.endswith("/checkout")


def test_elements_frame_reports_success_and_the_shop_navigates(shopper: Shopper) -> None:
    start(shopper, "elements")
    page = shopper.page
    frame = page.frame(url=lambda u: "js.stripe.test" in u)
    assert frame is not None and frame.parent_frame == page.main_frame
    pay_elements(page)
    assert_confirmed(shopper, "elements")
    assert "payment_intent=pi_" in page.url


def test_elements_decline_stays_on_the_checkout(shopper: Shopper) -> None:
    start(shopper, "elements")
    page = shopper.page
    pay_elements(page, card="4000000000000002")
    expect(page.locator("#payment-error")).to_have_text("Your card was declined.")
    assert page.url.endswith("/checkout")


def test_deadend_never_returns(shopper: Shopper) -> None:
    start(shopper, "deadend")
    page = shopper.page
    page.click("#pay")
    page.wait_for_url("**/pay/dp_*")
    page.click("#confirm")
    expect(page.locator("#deadend-result")).to_have_text("Payment accepted, you may close this window.")
    # no link, form, script or refresh that could take the customer back
    assert page.locator("a, form, script, meta[http-equiv=refresh]").count() == 0
    assert shopper.last_order("buyer@example.com")["status"] == "paid"


@pytest.mark.parametrize("delay_ms", [0, 600])
def test_return_delay_is_a_timer_on_the_platform(shopper: Shopper, delay_ms: int) -> None:
    start(shopper, "adyen", return_delay_ms=delay_ms)
    page = shopper.page
    page.click("#pay")
    page.fill("#card-number", "4111111111111111")
    with (
        page.expect_request(lambda r: "/payment/return/adyen" in r.url) as back,
        page.expect_response(lambda r: r.request.method == "POST" and "/hpp/pay/" in r.url) as posted,
    ):
        page.click("#pay-button")
    # the browser's own clock: when the platform's page arrived, when the return request left
    posted.value.finished()
    back.value.response()  # a request's timing is complete once it has an answer
    post = posted.value.request.timing
    took_ms = back.value.timing["startTime"] - (post["startTime"] + post["responseEnd"])
    assert delay_ms - 5 <= took_ms < delay_ms + 3000, took_ms
    assert_confirmed(shopper, "adyen")
