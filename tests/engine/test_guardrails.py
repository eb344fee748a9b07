"""The production-payment guardrails' URL pattern and reasons agree."""

from __future__ import annotations

import pytest

from auditor.engine.guardrails import LIVE_PAYMENT_HOSTS, LIVE_URL_PATTERN, live_payment_reason

URLS = [
    *(f"https://{host}/pay" for host in LIVE_PAYMENT_HOSTS),
    "http://sis.redsys.es:8000/sis/realizarPago",
    "https://checkout.stripe.com/c/pay/cs_live_a1B2",
    "https://sis-t.redsys.es/sis/realizarPago",
    "https://www.sandbox.paypal.com/checkoutnow",
    "https://checkout.stripe.com/c/pay/cs_test_a1B2",
    "https://test.adyen.com/hpp",
    "https://shop.example/?next=https://sis.redsys.es/",
]


@pytest.mark.parametrize("url", URLS)
def test_pattern_and_reason_agree(url: str) -> None:
    assert bool(LIVE_URL_PATTERN.search(url)) == (live_payment_reason(url) is not None)


def test_sandboxes_are_not_blocked() -> None:
    assert live_payment_reason("https://sis-t.redsys.es/x") is None
    assert live_payment_reason("https://www.sandbox.paypal.com/") is None
    assert live_payment_reason("https://sis.redsys.es/x") is not None
