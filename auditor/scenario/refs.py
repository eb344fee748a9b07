"""`{{name}}` references to values known at run time: one syntax for the engine and the judging."""

from __future__ import annotations

import re
from collections.abc import Mapping

REF = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def fill(text: str, known: Mapping[str, str]) -> str | None:
    """`text` with every reference replaced, or None when a name has no value."""
    if any(name not in known for name in REF.findall(text)):
        return None
    return REF.sub(lambda m: known[m.group(1)], text)
