"""parseInt/parseFloat equivalents, against what JavaScript (node 20) answers for each text."""

from __future__ import annotations

import math

import pytest

from auditor.connectif.jsnum import parse_float, parse_int, parse_number, to_json_number

NAN = math.nan
INF = math.inf

# text, parseFloat(text), parseInt(text, 10), as node answered:
# node -e 'console.log(parseFloat(x), parseInt(x, 10))'
TABLE = [
    ("180.75", 180.75, 180),
    ("180,75", 180, 180),
    ("1.234,56", 1.234, 1),
    ("€180.75", NAN, NAN),
    ("12abc", 12, 12),
    (".5", 0.5, NAN),
    ("1e3", 1000, 1),
    ("Infinity", INF, NAN),
    ("-Infinity", -INF, NAN),
    ("+Infinity", INF, NAN),
    ("infinity", NAN, NAN),
    ("  42", 42, 42),
    ("\u00a0 7.5", 7.5, 7),
    ("\ufeff8", 8, 8),
    ("\u2003\n9", 9, 9),
    ("+3", 3, 3),
    ("1.e5", 100000, 1),
    (".e5", NAN, NAN),
    ("1e", 1, 1),
    ("1e+", 1, 1),
    ("0x10", 0, 0),
    ("-.5", -0.5, NAN),
    ("", NAN, NAN),
    ("  ", NAN, NAN),
    ("3.0", 3, 3),
    ("2.5", 2.5, 2),
    ("1_000", 1, 1),
    ("١٢", NAN, NAN),  # Arabic-Indic digits: JS reads ASCII digits only
    ("1e400", INF, 1),
    ("12 .5", 12, 12),
    ("--1", NAN, NAN),
    ("+-1", NAN, NAN),
    ("5e-324", 5e-324, 5),
    ("00012", 12, 12),
    ("1.2.3", 1.2, 1),
    ("12.50 €", 12.5, 12),
    ("-12", -12, -12),
]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize(("text", "as_float", "as_int"), TABLE)
def test_parse_float_and_int_agree_with_javascript(text: str, as_float: float, as_int: float) -> None:
    assert same(parse_float(text), as_float), parse_float(text)
    assert same(parse_int(text), as_int), parse_int(text)


def test_minus_zero_keeps_its_sign() -> None:
    assert math.copysign(1, parse_int("-0")) == -1
    assert math.copysign(1, parse_float("-0")) == -1


def test_huge_integer_overflows_to_infinity_like_javascript() -> None:
    assert parse_int("9" * 400) == INF
    assert parse_int("-" + "9" * 400) == -INF


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3.0, 3), (180.75, 180.75), (NAN, None), (INF, None), (-INF, None), (2.0**60, 2.0**60), (-0.0, 0)],
)
def test_to_json_number_writes_what_json_stringify_writes(value: float, expected: object) -> None:
    result = to_json_number(value)
    assert result == expected
    assert type(result) is type(expected)


# text, Number(text), as node answered: node -e 'console.log(Number(x))'
NUMBER_TABLE = [
    ("  12  ", 12),
    ("", 0),
    ("   ", 0),
    ("0x10", 16),
    ("0X1f", 31),
    ("1e3", 1000),
    ("1_000", NAN),
    ("١٢", NAN),  # Arabic-Indic digits: Python's float() reads 12
    ("12abc", NAN),
    ("Infinity", INF),
    ("-Infinity", -INF),
    ("+Infinity", INF),
    ("infinity", NAN),
    ("inf", NAN),
    ("nan", NAN),
    (".5", 0.5),
    ("5.", 5),
    ("+0x10", NAN),
    ("-0x10", NAN),
    ("0b101", 5),
    ("0o17", 15),
    ("\u00a012\n", 12),
    ("1e400", INF),
    ("12,5", NAN),
    ("+-1", NAN),
    ("1e", NAN),
    ("0x", NAN),
    ("00012", 12),
    ("\ufeff8", 8),
]


@pytest.mark.parametrize(("text", "expected"), NUMBER_TABLE)
def test_parse_number_agrees_with_javascript_number(text: str, expected: float) -> None:
    assert same(parse_number(text), expected), parse_number(text)
