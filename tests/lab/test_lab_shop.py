"""The shop itself in Chromium: catalogue, session cart, switches, orders, the loader."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from auditor.lab import Lab
from auditor.lab.connectif import STORE_ID

from .labkit import Shopper, buy, http

pytestmark = pytest.mark.browser


def test_catalogue_with_a_four_digit_price(shopper: Shopper) -> None:
    page = shopper.page
    page.goto("/")
    expect(page.locator(".product-card")).to_have_count(4)
    expect(page.locator(".product-card", has_text="Ultrabook 14")).to_contain_text("1.249,00 €")
    page.click("text=Ultrabook 14")
    expect(page.locator("#product-price")).to_have_text("1.249,00 €")


def test_cart_is_kept_in_the_server_session(shopper: Shopper) -> None:
    page = shopper.page
    shopper.add("keyboard", 2)
    shopper.add("laptop")
    expect(page.locator(".cart-line")).to_have_count(2)
    expect(page.locator("#cart-total")).to_have_text("1.428,80 €")
    expect(page.locator("#cart-link")).to_have_text("Cart (3)")
    [cookie] = page.context.cookies()
    assert cookie["name"] == "shop_session" and cookie["httpOnly"]
    page.locator(".cart-line", has_text="Ultrabook").get_by_role("button").click()
    expect(page.locator("#cart-total")).to_have_text("179,80 €")


def test_another_browser_has_its_own_cart(shopper: Shopper, browser: Browser, lab: Lab) -> None:
    shopper.add("mouse")
    other = browser.new_context(base_url=lab.url("shop.test").rstrip("/"))
    try:
        page = other.new_page()
        page.goto("/cart")
        expect(page.locator("#cart-empty")).to_be_visible()
    finally:
        other.close()


def test_session_cookie_has_no_samesite_attribute_by_default(shopper: Shopper) -> None:
    page = shopper.page
    with page.expect_response(lambda r: r.url.endswith("/cart")) as response:
        shopper.add("mouse")
    # the cookie was set by the POST /cart/add before the redirect; read it from the jar
    assert response.value.status == 200
    [cookie] = page.context.cookies()
    assert cookie["sameSite"] == "Lax"  # what Chromium reports for "no attribute"
    with page.expect_response(lambda r: "/?samesite=strict" in r.url) as switched:
        page.goto("/?samesite=strict")
    set_cookie = switched.value.header_value("set-cookie") or ""
    assert "SameSite=Strict" in set_cookie and "HttpOnly" in set_cookie


def test_switches_are_kept_in_the_session_and_shown(shopper: Shopper) -> None:
    page = shopper.page
    shopper.switch(platform="mollie", fault="tag-comma,tag-date", return_delay_ms=250)
    page.goto("/cart")
    expect(page.locator(".lab-banner")).to_contain_text("platform=mollie")
    expect(page.locator(".lab-banner")).to_contain_text("fault=tag-comma,tag-date")
    shopper.add()
    shopper.checkout()
    expect(page.locator("#platform")).to_have_value("mollie")


def test_the_order_records_every_switch(shopper: Shopper) -> None:
    ref = buy(
        shopper,
        "laptop",
        1,
        fault="tag-comma",
        samesite="lax",
        return_delay_ms=50,
        key="k1",
        api_delay_ms=2500,
    )
    order = shopper.order(ref)
    assert order["email"] == "buyer@example.com"
    assert order["status"] == "paid"
    assert order["total"] == "1249.00" and order["total_quantity"] == 1
    assert order["items"] == [
        {
            "product_id": "laptop",
            "name": "Ultrabook 14",
            "quantity": 1,
            "unit_price": "1249.00",
            "price": "1249.00",
        }
    ]
    assert order["switches"] == {
        "platform": "stripe",
        "faults": ["tag-comma"],
        "samesite": "lax",
        "return_delay_ms": 50,
        "latency_ms": 0,
        "key": "k1",
        "api_delay_ms": 2500,
    }
    assert order["payment_id"].startswith("cs_test_")


def test_the_platform_chosen_on_the_form_wins(shopper: Shopper) -> None:
    page = shopper.page
    shopper.switch(platform="stripe")
    shopper.add()
    shopper.checkout()
    page.select_option("#platform", "adyen")  # reloads the checkout for that platform
    page.wait_for_url("**/checkout?platform=adyen")
    page.fill("#email", "form@example.com")
    page.click("#pay")
    page.wait_for_url("**/hpp/pay/**")
    assert shopper.last_order("form@example.com")["platform"] == "adyen"


def test_the_cart_empties_after_the_order(shopper: Shopper) -> None:
    buy(shopper)
    shopper.page.goto("/cart")
    expect(shopper.page.locator("#cart-empty")).to_be_visible()
    shopper.page.goto("/checkout")
    expect(shopper.page.locator("#cart-empty")).to_be_visible()


def test_loader_on_every_page_appends_the_client_script(shopper: Shopper, lab: Lab) -> None:
    page = shopper.page
    for path in ("/", "/product/mouse", "/cart", "/checkout"):
        with page.expect_response(lambda r: "/client-script/" in r.url) as script:
            page.goto(path)
        assert script.value.status == 200
        assert script.value.url == lab.connectif.script_url(STORE_ID)
        assert page.locator(f"script#__cn_generic_script__{STORE_ID}").count() == 1
        expect(page.locator(f"script#__cn_client_script_{STORE_ID}")).to_have_count(1)
        page.wait_for_function("window.connectif && window.connectif.managed.isInitialized()")


def test_product_page_sends_a_product_visit(shopper: Shopper) -> None:
    shopper.page.goto("/product/monitor")
    [request] = shopper.wait_tracking("/product/monitor")
    visited = [e for e in request["events"] if e["type"] == "product-visited"]
    assert visited[0]["product"]["productId"] == "monitor"
    assert visited[0]["product"]["unitPrice"] == 349


def test_someone_elses_confirmation_shows_no_order(shopper: Shopper, browser: Browser, lab: Lab) -> None:
    ref = buy(shopper)
    other = browser.new_context()
    try:
        page = other.new_page()
        page.goto(lab.url("shop.test", f"/order/confirmation/{ref}"))
        expect(page.locator("#order-missing")).to_be_visible()
        assert page.locator(".order-number, .cn_purchase").count() == 0
    finally:
        other.close()


def test_checkout_with_an_empty_cart(lab: Lab) -> None:
    status, body = http(lab, "POST", "shop.test", "/checkout", form={"email": "x@y.z"})
    assert status == 400 and "Your cart is empty" in body


def test_unknown_pages(shopper: Shopper) -> None:
    page = shopper.page
    response = page.goto("/product/unicorn")
    assert response is not None and response.status == 404
    response = page.goto("/nowhere")
    assert response is not None and response.status == 404


# The browser's own clock: from the page's request going out to the first byte of its answer.
WAITED_MS = """() => {
  const timing = performance.getEntriesByType('navigation')[0];
  return timing.responseStart - timing.requestStart;
}"""


def test_latency_switch_holds_shop_pages_back_on_the_server(shopper: Shopper) -> None:
    page = shopper.page
    shopper.switch(latency_ms=300)
    page.goto("/cart")
    waited = page.evaluate(WAITED_MS)
    assert waited >= 290, waited
    with page.expect_response(lambda r: "/static/" in r.url) as static:
        page.reload()
    timing = static.value.request.timing
    assert timing["responseStart"] - timing["requestStart"] < 290, timing  # static files are not delayed
    shopper.switch(latency_ms=0)
    page.goto("/cart")
    fast = page.evaluate(WAITED_MS)
    assert fast < 290, fast


def test_a_latency_out_of_range_is_refused(shopper: Shopper) -> None:
    page = shopper.page
    response = page.goto("/?latency_ms=99999")
    assert response is not None and response.status == 400
    expect(page.locator("body")).to_contain_text("latency_ms='99999'; expected 0..10000")
