"""Amounts as a person writes or sees them (`12,50`, `1.234,56`, `€12.50`, `EUR 12.50`), read leniently.

Rules, in order:
- white space (non-breaking and thin spaces included) and a currency symbol or a three-letter code at
  either end are ignored; a leading `-` (or one right after the symbol) makes it negative;
- with both `.` and `,`, the last one is the decimal separator and the other groups thousands;
- a separator used more than once, or a space or `'` between digits, groups thousands;
- a single `.` or `,` followed by exactly three digits groups thousands (`1.234` and `1,234` are 1234)
  when the part before it is a valid first group (1 to 3 digits, so `1234,567` is 1234.567),
  unless the part before it is `0` (`0,125` is 0.125); any other single separator is the decimal one.
Anything else (letters in the middle, two decimal separators, an empty number) is not an amount.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Tolerance for comparing amounts: half a cent, so 12.5 and 12.50 agree while 12.50 and 12.51 do not.
TOLERANCE = Decimal("0.005")

_CURRENCY_SYMBOLS = "€$£¥₹₽₩₺₪₫₴₦฿¢"
_CODE = r"(?:[A-Z]{3}|[A-Z]{1,2}\$)"  # EUR, USD, or US$ / R$ style: upper case, so "12abc" is no amount
_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_AFFIX = re.compile(rf"^(?:[{_CURRENCY_SYMBOLS}]|{_CODE})\s*|\s*(?:[{_CURRENCY_SYMBOLS}]|{_CODE})$")
_NUMBER = re.compile(r"^[0-9][0-9.,' ]*$")


def parse_amount(text: str) -> Decimal | None:
    """The amount a person means by text, or None when it is not an amount."""
    s = _SPACES.sub(" ", text).strip()
    negative = False
    if s.startswith("-"):
        negative, s = True, s[1:].strip()
    # One affix at each end at most: "€12.50", "12.50 €", "EUR 12.50", "12,50 EUR".
    for _ in range(2):
        s = _AFFIX.sub("", s, count=1).strip()
    if not negative and s.startswith("-"):  # "€ -12.50"
        negative, s = True, s[1:].strip()
    if not s or not _NUMBER.match(s) or not s[-1].isdigit():
        return None
    plain = _normalise(s)
    if plain is None:
        return None
    try:
        value = Decimal(plain)
    except InvalidOperation:
        return None
    return -value if negative else value


def _normalise(s: str) -> str | None:
    """Digits with `.` as the only separator, or None when the separators make no sense."""
    grouped = s.replace(" ", "").replace("'", "")
    if (" " in s or "'" in s) and not _groups_ok(re.split(r"[ ']", _strip_decimals(s))):
        return None
    dots, commas = grouped.count("."), grouped.count(",")
    if dots and commas:
        decimal_sep = "." if grouped.rfind(".") > grouped.rfind(",") else ","
        thousands = "," if decimal_sep == "." else "."
        if grouped.count(decimal_sep) > 1:
            return None
        whole, frac = grouped.split(decimal_sep)
        if not _groups_ok(whole.split(thousands)):
            return None
        return whole.replace(thousands, "") + "." + frac
    sep = "." if dots else "," if commas else ""
    if not sep:
        return grouped
    parts = grouped.split(sep)
    if len(parts) > 2:
        return "".join(parts) if _groups_ok(parts) else None
    whole, frac = parts
    if len(frac) == 3 and whole not in ("", "0") and _groups_ok(parts):
        return whole + frac
    return (whole or "0") + "." + frac


def _strip_decimals(s: str) -> str:
    """s without a trailing decimal part, so the groups left can be checked."""
    match = re.search(r"[.,]([0-9]{1,2}|[0-9]{4,})$", s)
    return s[: match.start()] if match else s


def _groups_ok(parts: list[str]) -> bool:
    """Thousands groups: 1 to 3 digits first, then exactly 3 each."""
    if not parts or not parts[0] or len(parts[0]) > 3:
        return False
    return all(len(p) == 3 and p.isdigit() for p in parts[1:]) and parts[0].isdigit()


def amounts_equal(a: Decimal, b: Decimal | float) -> bool:
    """Whether two amounts agree to within half a cent."""
    return abs(a - Decimal(str(b))) < TOLERANCE


def format_amount(value: Decimal) -> str:
    """The amount written the way Connectif's tag wants it: `.` decimals, no symbol, no grouping."""
    return format(value, "f")
