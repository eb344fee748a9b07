"""Checkouts through the lab's payment platforms, audited with checkout_audit.

Each test drives the checkout itself with pytest-playwright's `page`; checkout_audit records how the
customer left the shop and came back, reads the confirmation page's cn_purchase tag and the tracking
request Connectif's script sent, and judges them as a YAML scenario would be judged.
"""

from __future__ import annotations

from playwright.sync_api import Page

from conftest import fill_cart


def test_card_payment_comes_back_by_redirect(page: Page, checkout_audit, shop_url: str) -> None:
    """Stripe Checkout sends the customer back with an HTTP redirect."""
    card = checkout_audit.secret("4242424242424242")  # masked in every output
    total = fill_cart(page, shop_url, "platform=stripe")
    checkout_audit.expect(
        confirmation_url="**/order/confirmation/**",
        cn_purchase={"total_price": total, "total_quantity": 1, "products": 1},  # "89,90" is read leniently
    )
    with checkout_audit.payment(hosts=["checkout.stripe.test"], provider="Stripe Checkout (lab)"):
        page.locator("#pay").click()  # leaves the shop
        page.locator("#cardNumber").fill(card)
        page.locator("#billingName").fill("Ada Lovelace")
        page.locator("#submit").click()  # the last payment step: the block ends here
    order = page.locator(".order-number").inner_text()
    checkout_audit.capture("order_id", order)
    checkout_audit.expect(cn_purchase={"purchase_id": order, "total_price": total, "products": 1})

    result = checkout_audit.result()  # waits for the tag and the tracking request, then judges
    assert result.passed, result.explain()
    assert result.payment is not None and result.payment.mechanism == "http-redirect"


def test_paypal_popup_closes_and_the_shop_moves_on(page: Page, checkout_audit, shop_url: str) -> None:
    """PayPal opens in a popup; on approval it tells the shop's window, which opens the confirmation."""
    password = checkout_audit.secret("sandbox")
    fill_cart(page, shop_url, "platform=paypal")
    checkout_audit.expect(confirmation_url="**/order/confirmation/**")
    with checkout_audit.payment(hosts=["sandbox.paypal.test"], provider="PayPal (lab)", popup=True):
        with page.expect_popup() as opened:
            page.locator("#pay").click()
        popup = opened.value
        popup.locator("#password").fill(password)
        popup.locator("#btnLogin").click()
        popup.locator("#payment-submit-btn").click()

    result = checkout_audit.result()
    assert result.passed, result.explain()
    assert result.payment is not None and result.payment.mechanism == "opener"


def test_card_form_in_an_iframe(page: Page, checkout_audit, shop_url: str) -> None:
    """Stripe Elements: the card form is an iframe inside the checkout; the shop's script navigates."""
    fill_cart(page, shop_url, "platform=elements")
    checkout_audit.expect(confirmation_url="**/order/confirmation/**")
    with checkout_audit.payment(hosts=["js.stripe.test"], provider="Stripe Elements (lab)"):
        card = page.frame_locator("#card-element")
        card.locator("#cardnumber").fill("4242424242424242")
        card.locator("#exp-date").fill("12/34")
        card.locator("#cvc").fill("123")
        page.locator("#pay").click()

    result = checkout_audit.result()
    assert result.passed, result.explain()
    assert result.payment is not None and result.payment.mechanism == "script"


def test_a_manual_return_can_be_allowed(page: Page, checkout_audit, shop_url: str) -> None:
    """Redsys only comes back when the customer clicks Continuar: allowed here, so it is a warning."""
    fill_cart(page, shop_url, "platform=redsys")
    checkout_audit.expect(return_="manual-allowed")
    with checkout_audit.payment(
        hosts=["sis-t.redsys.test"], provider="Redsys (lab)", return_click="text=Continuar", return_timeout="2s"
    ):
        page.locator("#pay").click()
        page.locator("#card").fill("4548812049400004")
        page.locator("#expiry").fill("12/49")
        page.locator("#cvv").fill("123")
        page.locator("#submit").click()
        page.frame_locator("#challenge").locator("#otp").fill("123456")
        page.locator("#authorise").click()

    # Never calling result() is fine too: the test is judged when it ends, and fails on a failed check.
    assert checkout_audit.result().check("payment.return").status == "warn"
