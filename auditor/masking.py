"""Secrets never reach an output: every string of a result is masked in this one place.

A secret is masked as it was given and as a browser or a shop writes it into an address or a form:
percent-encoded (`%C3%B6` or `%c3%b6`, UTF-8), with `+` for a space, or any mix of those. A promotion
code `Sekret Wörd` typed into a URL comes back in the timeline as `Sekret%20W%C3%B6rd`. A secret of 12
digits or more (a card number, given in groups or not) is masked with or without spaces or dashes
between its digits, as payment forms show it (`4242 4242 4242 4242`).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel

MASK = "•••"
T = TypeVar("T", bound=BaseModel)
CARD_DIGITS = 12  # an all-digit secret this long is a card number, written in groups
GROUPING = r"(?:[ -]|%20|\+)?"  # what may separate its digits


def _hex(byte: int) -> str:
    """A percent-encoded byte, either case: 0xC3 → `%[Cc]3`."""
    return "%" + "".join(f"[{d.upper()}{d.lower()}]" if d.isalpha() else d for d in f"{byte:02X}")


def _char(char: str) -> str:
    """The ways one character of a secret may be written in a text."""
    ways = [re.escape(char), "".join(_hex(b) for b in char.encode("utf-8"))]
    if char == " ":
        ways.append(r"\+")
    return "(?:" + "|".join(ways) + ")"


@lru_cache(maxsize=32)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first: where one secret contains another, the whole of the longer one is masked.
    ordered = sorted(set(secrets), key=len, reverse=True)
    return re.compile("|".join(_secret(secret) for secret in ordered))


def _secret(secret: str) -> str:
    digits = re.sub(r"[ -]", "", secret)  # a card number may be given in groups, or shown in them
    if len(digits) >= CARD_DIGITS and digits.isascii() and digits.isdigit():
        return GROUPING.join(digits)
    return "".join(_char(c) for c in secret)


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of every secret, plain or encoded, with the mask."""
    wanted = tuple(s for s in secrets if s)
    if not wanted or not text:
        return text
    return _pattern(wanted).sub(MASK, text)


def shown_url(url: str) -> str:
    """An address without its user, password, query and fragment: fit for any output.

    Remote browsers and grids take their token in the query (`?token=…`) or the user part.
    """
    parts = urllib.parse.urlsplit(url)
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:  # a port that is not a number: show no more than the scheme
        return f"{parts.scheme}://…" if parts.scheme else "…"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def url_secrets(url: str) -> list[str]:
    """The parts of an address that may be credentials: its password, its query and each query value."""
    parts = urllib.parse.urlsplit(url)
    found = [parts.password or "", parts.query, parts.fragment]
    found += [value for _, value in urllib.parse.parse_qsl(parts.query)]
    return [s for s in found if len(s) >= 3]  # "1" or "on" would mask unrelated text


def mask_value(value: Any, secrets: Iterable[str]) -> Any:
    """Mask strings anywhere inside nested dicts, lists and tuples (keys included)."""
    secrets = list(secrets)
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, dict):
        return {mask_value(k, secrets): mask_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v, secrets) for v in value]
    return value


def mask_result(model: T, secrets: Iterable[str]) -> T:
    """A copy of a pydantic model with every secret masked."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return model
    data = model.model_dump(mode="json", by_alias=True)
    return type(model).model_validate(mask_value(data, secrets))
