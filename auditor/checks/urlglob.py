"""`confirmation_url` matching: the installed Playwright's own URL matcher, globs and `re:` regexes.

`wait_for: {url}` runs through Playwright's `page.wait_for_url`, `confirmation.reached` through this
module; both must answer alike for the same pattern in one scenario. So this module calls the function
`wait_for_url` itself calls (`playwright._impl.isomorphic.url_match.url_matches`, Playwright 1.65): a
glob that does not start with `*` is resolved against the base URL through a WHATWG URL parser
(default ports dropped, paths percent-encoded, hosts lower-cased), then matched against the whole
URL; `*` stays within a path segment, `**` crosses `/`, `{a,b}` is either alternative, `?` and `[`
are literal. A `re:` pattern is a regular expression searched for anywhere in the URL, as Playwright
searches a compiled pattern.

That function is internal to Playwright, so pyproject.toml bounds Playwright to the minor version
the contract test (tests/checks/test_urlglob_contract.py) runs against; when the import fails all the
same, a port of the same rules written here (urllib in place of the WHATWG parser) takes over.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from auditor.scenario.refs import REF

NativeMatcher = Callable[[str | None, str, "str | re.Pattern[str]"], bool]
NativeGlob = Callable[[str | None, str], str]

_native_matches: NativeMatcher | None
_native_glob: NativeGlob | None
_NATIVE_ERRORS: tuple[type[Exception], ...]
try:
    from playwright._impl.errors import Error as _PlaywrightError
    from playwright._impl.isomorphic.url_match import resolve_glob_to_regex_pattern
    from playwright._impl.isomorphic.url_match import url_matches as _playwright_matches
except ImportError:  # Playwright's internals moved: the port below answers instead
    _native_matches = _native_glob = None
    _NATIVE_ERRORS = ()
else:
    _native_matches = _playwright_matches
    _native_glob = resolve_glob_to_regex_pattern
    _NATIVE_ERRORS = (_PlaywrightError,)

# Which matcher answers: "playwright" (the one wait_for_url uses) or "port" (the fallback below).
MATCHER = "playwright" if _native_matches is not None else "port"


def url_matches(pattern: str, url: str, base_url: str | None = None) -> bool:
    """Whether url matches a `confirmation_url` pattern (glob, or `re:` regex searched anywhere)."""
    if _native_matches is None:
        return port_url_matches(pattern, url, base_url)
    match: str | re.Pattern[str] = _regex(pattern[3:]) if pattern.startswith("re:") else pattern
    return _native_matches(base_url or None, url, match)


def pattern_error(pattern: str) -> str | None:
    """Why a `confirmation_url` pattern is invalid, or None (for the checks and the scenario loader)."""
    try:
        if pattern.startswith("re:"):
            _regex(pattern[3:])
        elif _native_glob is not None:
            re.compile(_native_glob(None, pattern))
        else:
            _port_compiled(pattern, None)
    except (re.error, ValueError) as exc:  # ValueError: the port's unbalanced braces
        return str(exc)
    except Exception as exc:
        if isinstance(exc, _NATIVE_ERRORS):  # Playwright's Error for unbalanced braces
            return str(exc)
        raise
    return None


# What a URL glob reads as syntax (`\\` escapes, `*`, `{a,b}`); its `?` and `[` are literal already.
_GLOB_SYNTAX = re.compile(r"[\\*{},]")


def literal_glob(text: str) -> str:
    """`text` as glob syntax that matches it literally: each character a glob reads as syntax escaped."""
    return _GLOB_SYNTAX.sub(lambda m: "\\" + m.group(0), text)


def filled_pattern(pattern: str, substitute: Callable[[str], str]) -> str:
    """A `confirmation_url` or `wait_for.url` pattern with each `{{name}}` filled in as literal text.

    `{{name}}` stands for a value (an order id, a captured path), never for pattern syntax: an id
    `A+B.1` must match itself, not `AAB-1` or nothing. So a value is escaped as a regular expression in
    a `re:` pattern, and its `*`, `{`, `}`, `,` and `\\` are escaped in a glob. Whether the pattern is
    a regex is decided by the text as written, before anything is filled in.
    """
    escape = re.escape if pattern.startswith("re:") else literal_glob
    return REF.sub(lambda m: escape(substitute(m.group(0))), pattern)


@lru_cache(maxsize=256)
def _regex(source: str) -> re.Pattern[str]:
    return re.compile(source)


# ---------------------------------------------------------------- the port (fallback)

_ESCAPED = frozenset("$^+.*()|\\?{}[]")
_LITERAL_SCHEMES = ("about:", "data:", "chrome:", "edge:", "file:")
_GLOB_CHARS = re.compile(r"[*?{}\\]")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
# What a WHATWG URL parser leaves unencoded: printable ASCII outside each part's percent-encode set.
_PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))
_PATH_SAFE = "".join(c for c in _PRINTABLE if c not in '"#<>?^`{}')
_QUERY_SAFE = "".join(c for c in _PRINTABLE if c not in "\"#<>'")
_FRAGMENT_SAFE = "".join(c for c in _PRINTABLE if c not in '"<>`')


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


def _normalise(url: str) -> tuple[str, str] | None:
    """(href, origin) as a WHATWG URL parser writes an absolute http(s)/ws(s) URL; None otherwise."""
    split = urlsplit(url)
    scheme = split.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not split.hostname:
        return None
    try:
        port = split.port
    except ValueError:
        return None
    host = split.hostname  # urllib lower-cases it
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    userinfo = split.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    href = urlunsplit(
        (
            scheme,
            netloc,
            quote(split.path or "/", safe=_PATH_SAFE),
            quote(split.query, safe=_QUERY_SAFE),
            quote(split.fragment, safe=_FRAGMENT_SAFE),
        )
    )
    # urlunsplit drops an empty `?` or `#`; a URL parser keeps them.
    if url.endswith("?") and not split.query and not split.fragment:
        href += "?"
    if url.endswith("#") and not split.fragment:
        href += "#"
    return href, f"{scheme}://{host}"


def resolve_glob(glob: str, base_url: str | None) -> str:
    """The glob made absolute against base_url, wildcard parts untouched (Playwright's resolveGlobBase)."""
    if glob.startswith("*"):
        return glob
    glob = glob.replace("\\\\?", "?")
    if glob.startswith(_LITERAL_SCHEMES):
        return glob
    # Parts with wildcards are swapped for placeholders so URL resolution cannot mangle them; parts
    # without go through it, so default ports, percent-encoding and case come out as in the URL.
    originals: dict[str, str] = {}

    def placeholder(original: str, stand_in: str) -> str:
        if not original:
            return ""
        originals[stand_in] = original
        return stand_in

    parts = []
    for index, token in enumerate(glob.split("/")):
        if token in (".", "..", ""):
            parts.append(token)
        elif index == 0 and token.endswith(":"):
            # A wildcard scheme (http*:) stands in as a web scheme, so the host keeps its slashes.
            parts.append(placeholder(token, "http:") if "*" in token or "{" in token else token)
        elif not _GLOB_CHARS.search(token):
            parts.append(token)
        elif "?" not in token:
            parts.append(placeholder(token, f"$_{index}_$"))
        else:
            cut = token.index("?")
            parts.append(placeholder(token[:cut], f"$_{index}_$") + placeholder(token[cut:], f"?$_{index}_$"))
    relative = "/".join(parts)
    absolute = urljoin(base_url, relative) if base_url else relative
    normalised = _normalise(absolute) if (not base_url or _normalise(base_url)) else None
    resolved, origin = normalised if normalised else (relative, None)
    for stand_in, original in originals.items():
        # Scheme and host are case-insensitive: a wildcard there is matched in lower case.
        value = original.lower() if origin is not None and stand_in in origin else original
        resolved = resolved.replace(stand_in, value, 1)
    return resolved


@lru_cache(maxsize=256)
def _port_compiled(pattern: str, base_url: str | None) -> re.Pattern[str]:
    if pattern.startswith("re:"):
        return re.compile(pattern[3:])
    return re.compile(glob_to_regex(resolve_glob(pattern, base_url)))


def port_url_matches(pattern: str, url: str, base_url: str | None = None) -> bool:
    """url_matches by the port of Playwright's rules: the fallback when Playwright's cannot be imported."""
    if not pattern:
        return True  # as Playwright: an empty pattern matches every URL
    return _port_compiled(pattern, base_url or None).search(url) is not None
