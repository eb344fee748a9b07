"""JavaScript's `parseInt(text, 10)`, `parseFloat(text)` and `Number(text)`, faithfully.

How Connectif's script reads the tag, and the one reading of numbers for the checks and the report.
"""

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

# Number(text): the whole text (spaces aside) is one literal; hex, octal and binary take no sign.
_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_RADIX = re.compile(r"0(?:[xX](?P<hex>[0-9a-fA-F]+)|[oO](?P<oct>[0-7]+)|[bB](?P<bin>[01]+))")

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


def parse_number(text: str) -> float:
    """`Number(text)`: the text as one numeric literal, NaN when it is not one ("" and spaces read 0)."""
    stripped = text.strip(JS_WHITESPACE)
    if not stripped:
        return 0.0
    radix = _RADIX.fullmatch(stripped)
    if radix is not None:
        for name, base in (("hex", 16), ("oct", 8), ("bin", 2)):
            if radix.group(name) is not None:
                try:
                    return float(int(radix.group(name), base))
                except OverflowError:
                    return math.inf
    if _DECIMAL.fullmatch(stripped) is None:
        return math.nan
    return parse_float(stripped)


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
