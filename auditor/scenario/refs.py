"""`{{name}}` references to values known at run time: one syntax for the engine and the judging; and the
name a matrix combination adds to its scenario's, which is made of those values' labels."""

from __future__ import annotations

import re
from collections.abc import Mapping

REF = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def fill(text: str, known: Mapping[str, str]) -> str | None:
    """`text` with every reference replaced, or None when a name has no value."""
    if any(name not in known for name in REF.findall(text)):
        return None
    return REF.sub(lambda m: known[m.group(1)], text)


def combination_title(labels: Mapping[str, str]) -> str:
    """What a matrix combination adds to its scenario's name: `[card=visa, device=iPhone 13]`."""
    return "[" + ", ".join(f"{k}={v}" for k, v in labels.items()) + "]"


def without_combination(name: str, labels: Mapping[str, str]) -> str:
    """A combination's scenario name without the ` [name=label, …]` it was given (the name as filled in)."""
    return name.removesuffix(" " + combination_title(labels)) if labels else name
