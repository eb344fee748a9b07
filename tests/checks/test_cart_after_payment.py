"""cn_cart.closed never takes a shop page reached after the payment for one "before the payment".

Without a browser: the journey of a scenario that ended in error on the way back, whose return was never
recognised (no first shop page after the payment), though the customer did reach the confirmation.
"""

from __future__ import annotations

from auditor.observation import JourneyPage
from auditor.results import Status
from tests.checks.test_checks import (
    CONF,
    ERROR,
    PAYMENT,
    SENT,
    SHOP,
    cart,
    check,
    make,
    script_request,
    tracking,
)

CART_PAGE = f"{SHOP}/cart"


def unrecognised_return(**payment: object) -> dict[str, object]:
    """Facts of a run that stopped before it saw the return: the confirmation's new, empty cart
    (CART-8) is in the journey, and the purchase it sent carries the cart paid for (CART-7)."""
    return {
        **ERROR,
        "payment": PAYMENT.model_copy(
            update={
                "returned": "none",
                "mechanism": None,
                "first_shop_url": None,
                "back_on_shop_ms": None,
                **payment,
            }
        ),
        "confirmation_url": None,
        "tags_in_served_html": None,
        "tags_at_load": None,
        "tags_final": None,
        "connectif_requests": [script_request(), tracking(SENT)],
        "journey": [
            JourneyPage(at_ms=100, url=CART_PAGE, read_ms=150, carts=[cart("CART-7", "kb-1")]),
            JourneyPage(at_ms=4600, url=CONF, read_ms=4700, carts=[cart("CART-8")], purchase_tags=1),
        ],
    }


def test_a_confirmation_reached_after_an_unrecognised_return_is_not_the_cart_before_the_payment() -> None:
    result = check("cn_cart.closed", make(**unrecognised_return()))
    assert result.status is Status.PASS, result.message
    assert result.evidence["cart_before_payment"] == "CART-7"
    assert result.evidence["cart_before_payment_url"] == CART_PAGE
    assert f"the cart the shop reported on {CART_PAGE} before the payment" in result.message


def test_without_the_end_of_the_payment_steps_the_platforms_first_answer_bounds_before() -> None:
    # The run stopped on the platform: only its first answer (1000 ms) says when the customer left.
    result = check("cn_cart.closed", make(**unrecognised_return(last_step_ended_ms=None)))
    assert result.status is Status.PASS, result.message
    assert result.evidence["cart_before_payment"] == "CART-7"
