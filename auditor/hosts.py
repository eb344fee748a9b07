"""Host names: of a URL, and matched against `pay.test` / `*.bank.test` patterns (one rule for all)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The host name of an http(s) URL, lower case, without port ("" for chrome-error:, about: …)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return (parts.hostname or "").lower() if parts.scheme in ("http", "https") else ""


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    """Does a host match any pattern? `*.bank.test` matches `bank.test` and every name below it."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern.startswith("*."):
            if host == pattern[2:] or host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False
