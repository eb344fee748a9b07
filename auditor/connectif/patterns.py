"""Which URLs are Connectif's client script and tracking endpoint.

Built-in: `cdn.connectif.cloud/<region>/client-script/<id>` and
`<region>-api.connectif.cloud/…/scrippet-notification/<id>` (connectif-reference.md §5.2).

Extra patterns (the scenario's `connectif.hosts`) are written `[script:|tracking:]host[/path]`:
- `host` is a host name where `*` matches any run of characters, dots included
  (`*.connectif.cloud` matches `eu5-api.connectif.cloud`, not `connectif.cloud`);
- `/path`, when given, is a glob on the path: `*` stays within a segment, `**` crosses `/`;
  without it every path matches;
- a scheme and a port written in the pattern are ignored: every pattern matches whatever the scheme and port;
- `script:` or `tracking:` says what the matching URLs are. Without it the kind comes from the path,
  as for Connectif's own URLs (`/client-script/` or `/scrippet-notification/`), and otherwise from the
  method: a POST is tracking, anything else is the script.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

Kind = Literal["script", "tracking"]

_SCRIPT_HOST = re.compile(r"cdn\.connectif\.cloud")
_SCRIPT_PATH = re.compile(r"/[^/]+/client-script/[^/]+/?")
_TRACKING_HOST = re.compile(r"[a-z0-9-]+-api\.connectif\.cloud")
_TRACKING_PATH = re.compile(r"(?:/.*)?/scrippet-notification/[^/]+/?")


@dataclass(frozen=True, kw_only=True)
class HostPattern:
    """One extra pattern, compiled."""

    text: str
    host: re.Pattern[str]
    path: re.Pattern[str] | None
    kind: Kind | None


def _host_regex(glob: str) -> str:
    return "".join(".*" if c == "*" else re.escape(c) for c in glob.lower())


def _path_regex(glob: str) -> str:
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


# A word and ':' before the host, neither a scheme (`https://`) nor a port (`localhost:8080`): a prefix,
# and not script: or tracking: (those are taken off first), so a typo that would never match anything.
_UNKNOWN_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(?!//)(?![0-9*]+(?:/|$))")
_PREFIXES = ("script", "tracking")


def _unknown_prefix(text: str, word: str) -> str:
    close = difflib.get_close_matches(word.lower(), _PREFIXES, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}:'?" if close else "write script: or tracking:, or no prefix"
    return (
        f"{text!r}: '{word}:' is not a prefix of a Connectif host pattern ({hint}); patterns are "
        "[script:|tracking:]host[/path]"
    )


@lru_cache(maxsize=256)
def parse_pattern(text: str) -> HostPattern:
    """Compile one `[script:|tracking:]host[/path]` pattern; ValueError when it has no host, or a prefix
    other than script: or tracking: (`scrpt:cdn.example.com`)."""
    rest = text.strip()
    kind: Kind | None = None
    for prefix in ("script", "tracking"):
        if rest.lower().startswith(prefix + ":") and not rest[len(prefix) + 1 :].startswith("//"):
            kind = "script" if prefix == "script" else "tracking"
            rest = rest[len(prefix) + 1 :].strip()
    unknown = _UNKNOWN_PREFIX.match(rest)
    if unknown:
        raise ValueError(_unknown_prefix(text, unknown.group(1)))
    rest = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", rest)
    host, slash, path = rest.partition("/")
    host = re.sub(r":[0-9*]+$", "", host)  # the port does not matter
    if not host:
        raise ValueError(f"{text!r}: a Connectif host pattern needs a host, e.g. *.connectif.cloud")
    path_re = re.compile(_path_regex("/" + path)) if slash and path not in ("", "**", "*") else None
    return HostPattern(text=text, host=re.compile(_host_regex(host)), path=path_re, kind=kind)


def pattern_error(text: str) -> str | None:
    """Why a `connectif.hosts` entry is not a valid pattern, or None (for the scenario loader)."""
    try:
        parse_pattern(text)
    except ValueError as exc:
        return str(exc)
    return None


def _builtin_kind(host: str, path: str) -> Kind | None:
    if _SCRIPT_HOST.fullmatch(host) and _SCRIPT_PATH.fullmatch(path):
        return "script"
    if _TRACKING_HOST.fullmatch(host) and _TRACKING_PATH.fullmatch(path):
        return "tracking"
    return None


def _kind_from_path(path: str, method: str | None) -> Kind:
    if "/client-script/" in path:
        return "script"
    if "/scrippet-notification/" in path:
        return "tracking"
    return "tracking" if (method or "").upper() == "POST" else "script"


def classify(url: str, extra_patterns: Iterable[str] = (), method: str | None = None) -> Kind | None:
    """ "script", "tracking", or None when the URL is not Connectif's (built-in or extra patterns)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    path = parts.path or "/"
    kind = _builtin_kind(host, path)
    if kind is not None:
        return kind
    for text in extra_patterns:
        try:
            pattern = parse_pattern(text)
        except ValueError:  # a bad pattern matches nothing (the loader reports it: pattern_error)
            continue
        if pattern.host.fullmatch(host) and (pattern.path is None or pattern.path.fullmatch(path)):
            return pattern.kind or _kind_from_path(path, method)
    return None


def is_connectif_host(host: str, extra_patterns: Iterable[str] = ()) -> bool:
    """Is `host` one of Connectif's own hosts, or the host part of an extra pattern?"""
    host = host.lower()
    if _SCRIPT_HOST.fullmatch(host) or _TRACKING_HOST.fullmatch(host):
        return True
    for text in extra_patterns:
        try:
            pattern = parse_pattern(text)
        except ValueError:
            continue
        if pattern.host.fullmatch(host):
            return True
    return False
