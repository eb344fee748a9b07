"""JavaScript's `parseInt(text, 10)` and `parseFloat(text)`, faithfully: how Connectif reads the tag."""

from __future__ import annotations

import math
import re

# ECMAScript StrWhiteSpaceChar: WhiteSpace and LineTerminator code points (U+180E left out since ES2016).
JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)

# ASCII digits only: JS never reads other scripts' digits, while Python's \d would.
_INT_PREFIX = re.compile(r"[+-]?[0-9]+")
_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")

# Beyond 2**53 a JS number is no longer an exact integer; JSON.stringify then writes floats.
_SAFE_INTEGER = 2**53


def parse_int(text: str) -> float:
    """`parseInt(text, 10)`: the leading integer of text, NaN when there is none."""
    match = _INT_PREFIX.match(text.lstrip(JS_WHITESPACE))
    if match is None:
        return math.nan
    digits = match.group()
    try:
        value = float(int(digits))
    except OverflowError:  # JS gives ±Infinity past Number.MAX_VALUE
        value = -math.inf if digits.startswith("-") else math.inf
    # "-0" reads as -0 in JS: float(int("-0")) would lose the sign.
    return math.copysign(value, -1.0) if digits.startswith("-") else value


def parse_float(text: str) -> float:
    """`parseFloat(text)`: the longest leading decimal literal of text, NaN when there is none."""
    match = _FLOAT_PREFIX.match(text.lstrip(JS_WHITESPACE))
    if match is None:
        return math.nan
    literal = match.group()
    if literal.lstrip("+-") == "Infinity":
        return -math.inf if literal.startswith("-") else math.inf
    return float(literal)  # Python's float reads every JS decimal literal, overflow included (inf)


def is_usable(value: float) -> bool:
    """Connectif's `!isNaN(x) && isFinite(x)`: the value the script keeps; otherwise the key is left out."""
    return math.isfinite(value)


def to_json_number(value: float) -> int | float | None:
    """The number as JSON.stringify writes it (an int when JS prints no decimals); None for NaN/±Inf."""
    if not math.isfinite(value):
        return None
    if value == int(value) and abs(value) < _SAFE_INTEGER:
        return int(value)
    return value
