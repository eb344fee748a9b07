"""Lenient reading of amounts a person wrote or saw."""

from __future__ import annotations

from decimal import Decimal

import pytest

from auditor.connectif.amounts import amounts_equal, format_amount, parse_amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,50", "12.50"),
        ("12.50", "12.50"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("€12.50", "12.50"),
        ("€ 12,50", "12.50"),
        ("12.50 €", "12.50"),
        ("12,50\u00a0€", "12.50"),
        ("EUR 12.50", "12.50"),
        ("12,50 EUR", "12.50"),
        ("USD 1,000.00", "1000.00"),
        ("R$ 10,00", "10.00"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1'234.50", "1234.50"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567", "1234567"),
        ("12", "12"),
        ("-12,50", "-12.50"),
        ("€ -3", "-3"),
        ("  7.5  ", "7.5"),
    ],
)
def test_amounts_a_person_writes(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234", "1234"),  # a single separator with exactly three digits after it groups thousands
        ("1,234", "1234"),
        ("12.345", "12345"),
        ("0,125", "0.125"),  # ... unless what precedes it is 0
        ("0.125", "0.125"),
        ("1234,567", "1234.567"),  # ... or cannot be a first group (more than three digits)
        ("1,5", "1.5"),  # any other single separator is the decimal one
        ("1.5", "1.5"),
        ("1,2345", "1.2345"),
    ],
)
def test_ambiguous_separators(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["", "abc", "12a", "1.2.3", "12,5,6", "1.23.45", "1 23,45", "€", "1,234.5.6"]
)
def test_not_amounts(text: str) -> None:
    assert parse_amount(text) is None


def test_amounts_equal_within_half_a_cent() -> None:
    assert amounts_equal(Decimal("12.50"), 12.5)
    assert amounts_equal(Decimal("12.50"), 12.504)
    assert not amounts_equal(Decimal("12.50"), 12.51)
    assert not amounts_equal(Decimal("12.50"), 12)


def test_format_amount_is_plain() -> None:
    assert format_amount(Decimal("1234.56")) == "1234.56"
    assert format_amount(Decimal("1E+3")) == "1000"
