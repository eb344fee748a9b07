"""Masking secrets in any string of a result: as given, and as addresses and forms encode them."""

from __future__ import annotations

from urllib.parse import quote, quote_plus, urlencode

import pytest

from auditor.masking import MASK, mask_text, mask_value

PROMO = "Sekret Wörd&x=1"


@pytest.mark.parametrize(
    "written",
    [
        PROMO,
        quote(PROMO, safe=""),
        "Sekret%20W%c3%b6rd%26x%3d1",  # hex digits in lower case
        quote_plus(PROMO),
        urlencode({"promo": PROMO}).split("=", 1)[1],
        "Sekret%20Wörd&x=1",  # a mix: only the space encoded
    ],
)
def test_a_secret_is_masked_however_an_address_writes_it(written: str) -> None:
    assert mask_text(f"/checkout?promo={written}&next=1", [PROMO]) == f"/checkout?promo={MASK}&next=1"


@pytest.mark.parametrize("written", ["4000002500003155", "4000 0025 0000 3155", "4000-0025-0000-3155"])
def test_a_card_number_is_masked_in_the_groups_a_form_shows(written: str) -> None:
    assert mask_text(f"card {written} typed", ["4000002500003155"]) == f"card {MASK} typed"
    assert mask_text(f"card {written} typed", ["4000 0025 0000 3155"]) == f"card {MASK} typed"


def test_short_numbers_are_not_card_numbers() -> None:
    # A 4-digit PIN is masked as given, not as "1 2 3 4" read out of unrelated text.
    assert mask_text("pin 1234, order 1 2 3 4", ["1234"]) == f"pin {MASK}, order 1 2 3 4"


def test_the_longest_secret_wins_where_one_contains_another() -> None:
    assert mask_text("key sk_live_abc123", ["abc", "sk_live_abc123"]) == f"key {MASK}"


def test_other_text_is_left_alone() -> None:
    text = "100% done: a+b, Sekret Word (no umlaut), %C3%B6 alone"
    assert mask_text(text, [PROMO, ""]) == text


def test_keys_and_nested_values_are_masked() -> None:
    value = {"Sekret+W%C3%B6rd%26x%3D1": [("a", f"x {PROMO}")], "n": 3}
    assert mask_value(value, [PROMO]) == {MASK: [["a", f"x {MASK}"]], "n": 3}
