"""`confirmation_url` matching: Playwright's URL globs, or `re:` regular expressions searched anywhere.

The glob rules are those of the Playwright this project runs (1.5x, `globToRegexPattern`): `*` matches
any characters but `/`, `**` any characters including `/` (`**/` also matches nothing, and `/**/` a
single `/`), `{a,b}` either alternative, `\\` escapes the next character; `?` and `[` are literal since
Playwright 1.52. A glob that does not start with `*` is first resolved against the base URL, as
Playwright resolves it against `base_url`, so `/order/*` works on any shop.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

_ESCAPED = frozenset("$^+.*()|\\?{}[]")
_LITERAL_SCHEMES = ("about:", "data:", "chrome:", "edge:", "file:")


def glob_to_regex(glob: str) -> str:
    """The regular expression Playwright builds from a URL glob; ValueError for unbalanced braces."""
    tokens = ["^"]
    in_group = False
    i = 0
    while i < len(glob):
        c = glob[i]
        if c == "\\" and i + 1 < len(glob):
            i += 1
            tokens.append("\\" + glob[i] if glob[i] in _ESCAPED else re.escape(glob[i]))
        elif c == "*":
            before = glob[i - 1] if i > 0 else ""
            stars = 1
            while i + 1 < len(glob) and glob[i + 1] == "*":
                stars += 1
                i += 1
            if stars == 1:
                tokens.append("([^/]*)")
            elif i + 1 < len(glob) and glob[i + 1] == "/":
                tokens.append("((.+/)|)" if before == "/" else "(.*/)")
                i += 1
            else:
                tokens.append("(.*)")
        elif c == "{":
            if in_group:
                raise ValueError(f"invalid glob {glob!r}: nested '{{' is not supported")
            in_group = True
            tokens.append("(")
        elif c == "}":
            if not in_group:
                raise ValueError(f"invalid glob {glob!r}: unmatched '}}'")
            in_group = False
            tokens.append(")")
        elif c == ",":
            tokens.append("|" if in_group else ",")
        else:
            tokens.append("\\" + c if c in _ESCAPED else re.escape(c) if c in " #&~" else c)
        i += 1
    if in_group:
        raise ValueError(f"invalid glob {glob!r}: unmatched '{{'")
    tokens.append("$")
    return "".join(tokens)


def resolve_glob(glob: str, base_url: str | None) -> str:
    """The glob made absolute against base_url, wildcard parts untouched (Playwright's resolveGlobBase)."""
    if not base_url or glob.startswith("*") or glob.startswith(_LITERAL_SCHEMES):
        return glob
    # Parts with wildcards are swapped for placeholders so URL resolution cannot mangle them.
    originals: dict[str, str] = {}
    parts = []
    for index, token in enumerate(glob.split("/")):
        if token in (".", "..", "") or not re.search(r"[*?{}\\]", token):
            parts.append(token)
            continue
        placeholder = "http:" if index == 0 and token.endswith(":") else f"$_{index}_$"
        originals[placeholder] = token
        parts.append(placeholder)
    resolved = urljoin(base_url, "/".join(parts))
    split = urlsplit(resolved)
    if split.scheme in ("http", "https") and not split.path:
        resolved = urlunsplit(split._replace(path="/"))  # a URL parser writes http://h as http://h/
    for placeholder, original in originals.items():
        resolved = resolved.replace(placeholder, original, 1)
    return resolved


@lru_cache(maxsize=256)
def _compiled(pattern: str, base_url: str | None) -> re.Pattern[str]:
    if pattern.startswith("re:"):
        return re.compile(pattern[3:])
    return re.compile(glob_to_regex(resolve_glob(pattern, base_url)))


def url_matches(pattern: str, url: str, base_url: str | None = None) -> bool:
    """Whether url matches a `confirmation_url` pattern (glob, or `re:` regex searched anywhere)."""
    return _compiled(pattern, base_url).search(url) is not None


def pattern_error(pattern: str) -> str | None:
    """Why a `confirmation_url` pattern is invalid, or None (for the scenario loader)."""
    try:
        _compiled(pattern, None)
    except (ValueError, re.error) as exc:
        return str(exc)
    return None
