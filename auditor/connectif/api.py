"""Connectif's REST API, asked from the auditor's own process: a purchase by the store's purchase id.

`GET <url>/purchases/purchase-id/<id>` with `Authorization: apiKey <keyId>:<keySecret>`
(connectif-reference.md §7). No browser is involved. The key is a secret: no exception, message or
record built here carries it.
"""

from __future__ import annotations

import http.client
import json
import queue
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlsplit

from auditor import __version__
from auditor.errors import first_line
from auditor.masking import mask_text
from auditor.observation import ConnectifApiLookup, ConnectifApiRecord

TIMEOUT_S = 10.0  # every call: connect, write, read
MIN_INTERVAL_S = 1.0  # at most one lookup a second for one purchase
MAX_RETRY_AFTER_S = 3600.0  # a Retry-After beyond an hour is read as an hour
MAX_BODY = 1 << 20  # a purchase is a few KiB; a bigger body is not Connectif's answer

Policy = Literal["required", "optional", "absent"]

API_KEYS_PAGE = "Store settings → API & IP access → API Keys"
DEFAULT_URL = "https://api.connectif.cloud"


class ConnectifApiError(Exception):
    """Connectif's API gave no answer the auditor can use; the message never carries the key."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class ApiRefused(ConnectifApiError):
    """The key was refused (401, 403), or it cannot be sent in an HTTP header at all."""


class ApiUnreachable(ConnectifApiError):
    """No HTTP answer: the address cannot be resolved or reached, or it did not answer in time."""


@dataclass(frozen=True, kw_only=True)
class Answer:
    """One answer of the API to one lookup."""

    status: int
    purchase: dict[str, Any] | None = None  # the stored purchase (200 only)
    retry_after_s: float | None = None  # Retry-After of a 429 or 503, in seconds from now
    reason: str | None = None  # why an answer other than 200/404 cannot be used, in words

    @property
    def found(self) -> bool:
        """Connectif has the purchase."""
        return self.status == 200 and self.purchase is not None

    @property
    def missing(self) -> bool:
        """Connectif does not have the purchase (yet)."""
        return self.status == 404

    @property
    def retryable(self) -> bool:
        """An answer worth asking again for: rate limited, or a server error."""
        return self.status in (0, 429) or self.status >= 500  # 0: a lost connection, after answers


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header in seconds from now: delay-seconds or an HTTP date; None when unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, min(seconds, MAX_RETRY_AFTER_S))


def purchase_path(purchase_id: str) -> str:
    """The lookup's path: the id URL-encoded, `/` included, so any id names exactly one resource."""
    return "/purchases/purchase-id/" + quote(purchase_id, safe="")


def _authorization(key: str, key_source: str) -> str:
    """The Authorization header, or ApiRefused when the key cannot travel in a header."""
    if not key or any(not (0x21 <= ord(c) <= 0x7E) for c in key):
        raise ApiRefused(
            f"{key_source} cannot be sent: it is empty or holds a space, a line break or a non-ASCII "
            'character (write it as "<keyId>:<keySecret>", as the API Keys page copies it)'
        )
    return f"apiKey {key}"


def _refusal(status: int, reason: str, url: str, key_source: str) -> str:
    """What a 401 or 403 means, and the fix."""
    if status == 403:
        return (
            f"Connectif's API at {url} refused the key (HTTP 403 {reason or 'Forbidden'}): the key of "
            f"{key_source} has no access to purchases. Give it the purchases permission under "
            f"{API_KEYS_PAGE}, or use a key that has it."
        )
    return (
        f"Connectif's API at {url} refused the key (HTTP {status} {reason or 'Unauthorized'}): check "
        f'{key_source}. It is "<keyId>:<keySecret>", as the copy button of {API_KEYS_PAGE} gives '
        "it, for this store's account (an environment variable left unset or holding another store's key "
        "gives this too)."
    )


def _unreachable(url: str, what: str, url_source: str) -> str:
    """An API that gave no HTTP answer at all, and the fix."""
    return (
        f"Connectif's API at {url} {what}. Check {url_source}: Connectif's own is {DEFAULT_URL}, and a "
        "proxy or local stand-in there must be running. Check too that this machine can reach it (DNS, a "
        "firewall, a VPN or proxy setting)"
    )


class ConnectifApi:
    """A client of Connectif's REST API with one key; thread-safe (a small pool of kept-alive connections).

    The standard library's http.client: a lookup costs a fraction of what a general-purpose client costs,
    which counts when reconcile asks for tens of thousands of orders.
    """

    def __init__(
        self,
        url: str,
        key: str,
        *,
        timeout: float = TIMEOUT_S,
        connections: int = 1,
        url_source: str = "the API's URL",
        key_source: str = "the API key",
    ):
        """`url_source` and `key_source` name where the user set the URL and the key (a scenario's
        `connectif.api.url` and its line, `$CONNECTIF_API_KEY`…), for the messages' fixes."""
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.url_source = url_source
        self.key_source = key_source
        self._secrets = [key, _authorization(key, key_source)]
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiUnreachable(f"{url_source}: {url!r} is not an http(s) URL of Connectif's API")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        try:
            self._port = parts.port
        except ValueError:
            raise ApiUnreachable(f"{url_source}: {url!r} has a port that is not a number") from None
        self._base = parts.path.rstrip("/")
        self._headers = {
            "Authorization": self._secrets[1],
            "Accept": "application/json",
            "User-Agent": f"checkout-auditor/{__version__}",
        }
        self._idle: queue.LifoQueue[http.client.HTTPConnection] = queue.LifoQueue(maxsize=max(1, connections))
        self._context = ssl.create_default_context() if self._https else None

    def __enter__(self) -> ConnectifApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the idle connections."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def _safe(self, text: str) -> str:
        # No message built here takes a header; masking anyway keeps that a guarantee, not a hope.
        return mask_text(text, self._secrets)

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection (True: reused) or a new one."""
        try:
            return self._idle.get_nowait(), True
        except queue.Empty:
            pass
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=self._context
            ), False
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout), False

    def _get(self, path: str) -> tuple[int, str, dict[str, str], bytes]:
        """One GET, on a kept-alive connection when there is one (asked again once if it had gone stale)."""
        for _ in range(2):
            conn, reused = self._connection()
            try:
                conn.request("GET", self._base + path, headers=self._headers)
                response = conn.getresponse()
                body = response.read(MAX_BODY + 1)
                if len(body) > MAX_BODY:
                    response.close()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                if reused:
                    continue  # the server closed an idle keep-alive connection: a fresh one will do
                raise
            except BaseException:
                conn.close()
                raise
            headers = {k.lower(): v for k, v in response.getheaders()}
            if response.will_close or len(body) > MAX_BODY:
                conn.close()
            else:
                try:
                    self._idle.put_nowait(conn)
                except queue.Full:
                    conn.close()
            return response.status, response.reason, headers, body
        raise http.client.RemoteDisconnected("the connection was closed")

    def get_purchase(self, purchase_id: str) -> Answer:
        """Ask for one purchase; ApiRefused (401, 403) and ApiUnreachable (no answer) are raised."""
        try:
            status, reason, headers, body = self._get(purchase_path(purchase_id))
        except TimeoutError:
            what = f"did not answer within {self.timeout:g} s"
            raise ApiUnreachable(self._safe(_unreachable(self.url, what, self.url_source))) from None
        except (OSError, http.client.HTTPException) as exc:
            what = f"could not be reached ({first_line(exc, 200)})"
            raise ApiUnreachable(self._safe(_unreachable(self.url, what, self.url_source))) from None
        if status in (401, 403):
            raise ApiRefused(self._safe(_refusal(status, reason, self.url, self.key_source)), status=status)
        if status == 404:
            return Answer(status=404)
        if status == 200:
            purchase = _purchase(body)
            if purchase is None:
                return Answer(status=200, reason="HTTP 200 with a body that is not a purchase (JSON object)")
            return Answer(status=200, purchase=purchase)
        retry_after = parse_retry_after(headers.get("retry-after"))
        return Answer(status=status, retry_after_s=retry_after, reason=f"HTTP {status} {reason}".strip())


def _purchase(body: bytes) -> dict[str, Any] | None:
    if len(body) > MAX_BODY:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class Lookup(Protocol):
    """What `lookups` needs of a client: its address and one lookup."""

    url: str

    def get_purchase(self, purchase_id: str) -> Answer:
        """Ask for one purchase."""


class Stop(Protocol):
    """Something to wait on that says when to give up early (a threading.Event)."""

    def is_set(self) -> bool:
        """Whether to stop now."""

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to `timeout` seconds; True when told to stop."""


def lookups(
    api: Lookup,
    purchase_id: str,
    *,
    policy: Policy,
    wait_ms: int,
    started: float,
    stop: Stop | None = None,
    clock: Callable[[], float] = time.monotonic,
    url_source: str = "connectif.api.url",
    wait_source: str = "connectif.api.wait",
) -> ConnectifApiRecord:
    """Ask whether Connectif stored this purchase, as `connectif.purchase_recorded` needs it.

    The first lookup is now; `required` and `optional` ask again at most once a second until the purchase
    is found or `wait_ms` has passed (the last lookup at the end of it), `absent` asks now and at the end.
    A 429's or 503's Retry-After is honoured. `started` is the scenario's start on `clock`, which the
    lookups' `at_ms` count from. Refused keys and unreachable APIs end the lookups with `error`; `stop`
    ends them early, `interrupted`. Plain: no thread or browser of its own. `url_source` and
    `wait_source` name where the scenario sets the URL and the wait, for the messages' fixes.
    """
    stop = stop or threading.Event()
    record: dict[str, Any] = {
        "purchase_id": purchase_id,
        "url": api.url,
        "policy": policy,
        "wait_ms": wait_ms,
    }
    asked: list[ConnectifApiLookup] = []

    def ms(moment: float) -> int:
        return max(0, round((moment - started) * 1000))

    def done(**fields: Any) -> ConnectifApiRecord:
        return ConnectifApiRecord(**record, lookups=asked, **fields)

    first = clock()
    deadline = first + wait_ms / 1000
    answered = False  # some lookup said 200 or 404
    last_reason: str | None = None
    while True:
        at = clock()
        try:
            answer = api.get_purchase(purchase_id)
        except ConnectifApiError as exc:
            asked.append(ConnectifApiLookup(at_ms=ms(at), status=exc.status, error=exc.message))
            if isinstance(exc, ApiRefused) or not answered:
                return done(error=exc.message, refused=isinstance(exc, ApiRefused))
            # The API did answer before: one lost connection is asked again, not an end.
            answer = Answer(status=0, reason=exc.message)
        else:
            asked.append(
                ConnectifApiLookup(
                    at_ms=ms(at),
                    status=answer.status,
                    retry_after_ms=None
                    if answer.retry_after_s is None
                    else round(answer.retry_after_s * 1000),
                    error=answer.reason,
                )
            )
        retry_after = answer.retry_after_s
        if answer.found:
            return done(purchase=answer.purchase, found_ms=ms(at))
        if answer.missing:
            answered = True
        elif not answer.retryable:
            # Not an answer about the purchase (a 400, a redirect, a body that is no purchase): asking
            # again would get the same.
            return done(error=_unusable(api.url, answer, url_source))
        else:
            last_reason = answer.reason
        now = clock()
        if now >= deadline:
            return done() if answered else done(error=_no_answer(api.url, wait_ms, last_reason, wait_source))
        if policy == "absent" and answer.missing:
            wake = deadline  # asked at the start: ask again at the end of `wait`
        else:
            # At most one lookup a second (start to start); Retry-After counts from the answer.
            wake = max(at + MIN_INTERVAL_S, now + (retry_after or 0.0))
        if wake > deadline:
            if retry_after is not None and now + retry_after > deadline:
                # Told to come back after `wait` has passed: what was answered until now stands.
                return (
                    done() if answered else done(error=_no_answer(api.url, wait_ms, last_reason, wait_source))
                )
            wake = deadline
        if stop.wait(max(0.0, wake - clock())):
            return done(interrupted=True)


def _unusable(url: str, answer: Answer, url_source: str) -> str:
    return (
        f"Connectif's API at {url} gave no answer about the purchase ({answer.reason}): check "
        f"{url_source} (the default is {DEFAULT_URL}; a proxy must pass /purchases/purchase-id/<id> through)"
    )


def _no_answer(url: str, wait_ms: int, reason: str | None, wait_source: str) -> str:
    return (
        f"Connectif's API at {url} gave no usable answer within connectif.api.wait ({wait_ms / 1000:g} s): "
        f"the last was {reason or 'none'}. Raise {wait_source}, run fewer scenarios at once "
        "(--workers), or try again later"
    )


__all__ = [
    "MIN_INTERVAL_S",
    "Answer",
    "ApiRefused",
    "ApiUnreachable",
    "ConnectifApi",
    "ConnectifApiError",
    "Lookup",
    "lookups",
    "parse_retry_after",
    "purchase_path",
]
