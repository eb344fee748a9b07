"""Host names: of a URL, and matched against `pay.test` / `*.bank.test` patterns (one rule for all)."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

_HOST_PATTERN = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def host_pattern(value: str) -> str:
    """A host name or `*.` pattern, lower case; ValueError saying how to write one."""
    host = value.strip().lower()
    if not _HOST_PATTERN.fullmatch(host):
        raise ValueError(
            f"{value!r} is not a host name (write `pay.example.com` or `*.example.com`, "
            "without scheme, port or path)"
        )
    return host


def ip_address(value: str) -> str:
    """An IPv4 or IPv6 address in its usual spelling; ValueError naming the value."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address (like 127.0.0.1)") from None


def host_mapping(text: str) -> tuple[str, str]:
    """One `NAME=IP` given on a command line, by the rules of a scenario's `hosts:` entries.

    Raises ValueError with the reason; each caller names its own option around it.
    """
    name, sep, ip = text.partition("=")
    if not sep or not name.strip() or not ip.strip():
        raise ValueError(f"{text!r} is not NAME=IP (like shop.test=127.0.0.1)")
    return host_pattern(name), ip_address(ip)


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


# Chromium's network errors that mean the browser could not get the page at all: the name does not
# resolve, nothing answers at the address, the connection or its TLS failed, or the port is one Chromium
# never connects to (ERR_UNSAFE_PORT: 1, 21, 25, 6000… for the protocols they serve). Not ERR_ABORTED (another
# navigation replaced this one) nor ERR_BLOCKED_BY_CLIENT (the auditor's own guard stopped it).
_UNREACHABLE = re.compile(
    r"net::ERR_(NAME_NOT_RESOLVED|NAME_RESOLUTION_FAILED|ADDRESS_UNREACHABLE|ADDRESS_INVALID|"
    r"CONNECTION_\w+|TIMED_OUT|EMPTY_RESPONSE|INTERNET_DISCONNECTED|NETWORK_\w+|SSL_\w+|CERT_\w+|"
    r"TUNNEL_CONNECTION_FAILED|PROXY_\w+|SOCKS_\w+|BAD_SSL_CLIENT_AUTH_CERT|HTTP2_\w+|QUIC_\w+|UNSAFE_PORT)\b"
)


def unreachable(error: str | None) -> bool:
    """Is this Chromium error text one of a host that could not be resolved or reached?"""
    return bool(error and _UNREACHABLE.search(error))


# Names that no public DNS resolves (RFC 2606 / 6761, and the usual private suffixes): such a host
# resolves only where a `hosts:` entry (or the machine's own configuration) maps it.
PRIVATE_SUFFIXES = (".test", ".example", ".invalid", ".local", ".internal", ".lan", ".home.arpa")


def closest_mapped(host: str, mapped: Mapping[str, str]) -> str | None:
    """The mapped name that `host` is most likely a misspelling of (or the reverse), if one is close."""
    names = [name for name in mapped if not name.startswith("*.") and name != host]
    close = difflib.get_close_matches(host, names, n=1, cutoff=0.75)
    return close[0] if close else None


def unreachable_fix(host: str, error: str, mapped: Mapping[str, str], port: int | None = None) -> str:
    """What to do when the browser could not reach `host` with Chromium's `error`, as one sentence."""
    code = error.removeprefix("net::ERR_")
    where = f"{host}:{port}" if port else host
    if code in ("NAME_NOT_RESOLVED", "NAME_RESOLUTION_FAILED"):
        close = closest_mapped(host, mapped)
        if close:
            return (
                f"`hosts:` maps {close}, not {host}: one of the two is misspelt (in `hosts:`, in the "
                "scenario's URLs, or in the shop's links)"
            )
        if host_matches(host, mapped):
            return f"`hosts:` maps {host}, yet it did not resolve: check the entry's address"
        private = host.endswith(PRIVATE_SUFFIXES)
        if private or mapped:
            kind = "a name no DNS knows" if private else "not mapped by the scenario"
            return (
                f"{host} is {kind}: add it to the scenario's `hosts:` with the address that serves it "
                f"(`hosts: {{{host}: 127.0.0.1}}` for a server on this machine)"
            )
        return (
            f"DNS does not know {host}: check the name, this machine's DNS (a VPN?), or map it with "
            f"`hosts: {{{host}: <IP>}}`"
        )
    ip = next((mapped[p] for p in mapped if host_matches(host, [p])), None)
    mapping = f" (`hosts:` maps it to {ip}: is that the right address?)" if ip else ""
    if code == "UNSAFE_PORT":
        return (
            f"Chromium never connects to port {port or '(this one)'}, which it keeps closed to web pages for "
            "the protocol that usually runs there: serve the shop (or point the URL) at another port"
        )
    if code == "CONNECTION_REFUSED":
        return f"nothing accepts connections at {where}: the server is down or listens elsewhere{mapping}"
    if code in ("CONNECTION_TIMED_OUT", "TIMED_OUT", "ADDRESS_UNREACHABLE", "CONNECTION_FAILED"):
        return f"{where} does not answer: a server that is down, a firewall or a VPN in the way{mapping}"
    if code.startswith("CERT_"):
        return (
            f"the TLS certificate of {host} is not trusted: for a sandbox with a self-signed certificate "
            "set `browser: {ignore_https_errors: true}`"
        )
    if code.startswith("SSL_"):
        return f"the TLS handshake with {where} failed: does it serve https on that port?{mapping}"
    if code in ("CONNECTION_RESET", "CONNECTION_CLOSED", "EMPTY_RESPONSE"):
        return f"{where} closed the connection without answering: a server down or overloaded{mapping}"
    return f"check the address, the network and the scenario's `hosts:`{mapping}"
