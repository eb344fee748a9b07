"""Minimal request/response types for the lab's host-dispatching HTTP server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode


@dataclass
class Request:
    """One HTTP request as the lab's sites see it."""

    method: str
    host: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    port: int = 0

    @property
    def cookies(self) -> dict[str, str]:
        """The Cookie header as a dict (malformed cookies are ignored, as browsers do)."""
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except CookieError:
            return {}
        return {name: morsel.value for name, morsel in jar.items()}

    @property
    def form(self) -> dict[str, list[str]]:
        """The url-encoded body (empty for other content types)."""
        ctype = self.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in ctype:
            return {}
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def arg(self, name: str, default: str = "") -> str:
        """First value of a form field or query parameter (form wins)."""
        for source in (self.form, self.query):
            if name in source:
                return source[name][0]
        return default

    @property
    def origin(self) -> str:
        """This request's own origin, e.g. http://shop.test:8000."""
        return f"http://{self.host}:{self.port}"

    @property
    def wants_json(self) -> bool:
        """True when the caller asked for JSON (the shop's own fetch calls)."""
        return "application/json" in self.headers.get("accept", "")


@dataclass
class Response:
    """An HTTP response; `hang_seconds` set means: answer nothing for that long.

    `delay_seconds` holds the answer back that long first (a slow staging server).
    """

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    hang_seconds: float | None = None
    delay_seconds: float | None = None

    def header(self, name: str, value: str) -> Response:
        """Add a header and return self, for chaining."""
        self.headers.append((name, value))
        return self


def html(text: str, status: int = 200) -> Response:
    """An HTML page."""
    return Response(status, text.encode(), [("Content-Type", "text/html; charset=utf-8")])


def text(body: str, status: int = 200, ctype: str = "text/plain; charset=utf-8") -> Response:
    """A plain-text (or other textual) response."""
    return Response(status, body.encode(), [("Content-Type", ctype)])


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON document."""
    body = json.dumps(data, indent=1, default=str).encode()
    return Response(status, body, [("Content-Type", "application/json")])


def redirect(location: str, status: int = 303) -> Response:
    """An HTTP redirect (303 by default: the follow-up is always a GET)."""
    return Response(status, b"", [("Location", location)])


def hang(seconds: float) -> Response:
    """A response that never comes: the connection stays open, silent, for `seconds`."""
    return Response(hang_seconds=seconds)


def with_query(url: str, **params: str) -> str:
    """Append query parameters to a URL."""
    sep = "&" if "?" in url else "?"
    return url + sep + urlencode(params)
