"""A stand-in of Connectif's REST API (purchases), for the auditor's own process to ask.

Served on the lab's loopback address under `/connectif-api` (so `connectif.api.url:
http://127.0.0.1:PORT/connectif-api`): the auditor's process resolves no `.test` host, only the browser
does. Paths below the prefix are Connectif's own (connectif-reference.md §7):

- `GET /purchases/purchase-id/<id>`: 200 with the stored purchase, 404 while it is not (yet) stored;
  401 without a key the lab knows, 403 for the lab's key without the purchases permission; 429 with
  Retry-After under the `api-429` fault or the rate limit a test sets (`rate_limit`).
- `POST /purchases/`: store a purchase, as a shop's server sync does (201).
- `GET /__lab/requests`: every request asked of it (ground truth; never a key's text).

Purchases arrive from the tracking stand-in (the browser) and from the shop's server sync (`api-sync`).
A browser purchase is kept only when its page's domain is authorised for the store it was sent to, and
only for that store's account; it becomes visible `api_delay_ms` after it arrived (asynchronous
storage). The first purchase stored under an id is the one kept.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from auditor.lab.connectif import STORE_ID, STORE_ID_OTHER
from auditor.lab.switches import DEFAULT_API_DELAY_MS
from auditor.lab.web import Request, Response, json_response

if TYPE_CHECKING:
    from auditor.lab.server import Lab

PREFIX = "/connectif-api"
# The lab account's keys: one with the purchases permission, one of the same account without it.
LAB_API_KEY = "lab-key-7f3a:lab-secret-2c9e41d0b8"
LAB_API_KEY_NO_PURCHASES = "lab-key-contacts:lab-secret-contacts-only"
KEYS = {LAB_API_KEY: "lab", LAB_API_KEY_NO_PURCHASES: "lab-no-purchases"}
# The store the lab's keys belong to, and another account's store (the other-store-script fault).
LAB_STORE = STORE_ID
OTHER_STORE = STORE_ID_OTHER
# Store settings → Channels → Web → Authorized domains, per store: www.shop.test is not the lab's.
AUTHORISED_DOMAINS = {LAB_STORE: ("shop.test",), OTHER_STORE: ("shop.test", "www.shop.test")}
RETRY_AFTER_S = 2  # the api-429 fault's Retry-After


@dataclass
class _Stored:
    purchase: dict[str, Any]
    store: str
    source: str  # "web" (from a tracking request) or "api" (POST /purchases/, a server sync)
    visible_at: float  # time.monotonic() from which lookups find it


@dataclass
class _Limit:
    calls: int
    window_s: float
    http_date: bool
    window_start: float = 0.0
    used: int = 0


class PurchasesApi:
    """Connectif's purchases API for the lab account, fed by the tracking stand-in and server syncs."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self._lock = threading.Condition()
        self._stored: dict[tuple[str, str], _Stored] = {}
        self._log: list[dict[str, Any]] = []
        self._throttled: set[str] = set()  # ids whose api-429 answer was given
        self._limit: _Limit | None = None

    # ground truth --------------------------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        """Every request asked of the API, oldest first (the key only as `lab`, `wrong`…)."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float) -> bool:
        """Block until `predicate(requests)` holds (True) or `timeout` passes (False)."""
        with self._lock:
            return self._lock.wait_for(lambda: predicate(self._log), timeout)

    def stored(self, store: str = LAB_STORE) -> dict[str, dict[str, Any]]:
        """The purchases a store's account holds (visible or not yet), by purchase id."""
        with self._lock:
            return {pid: dict(s.purchase) for (sid, pid), s in self._stored.items() if sid == store}

    def reset(self) -> None:
        """Forget purchases, requests and the rate limit."""
        with self._lock:
            self._stored.clear()
            self._log.clear()
            self._throttled.clear()
            self._limit = None

    def rate_limit(self, calls: int | None, *, window_s: float = 1.0, http_date: bool = False) -> None:
        """At most `calls` lookups per `window_s` (429 with Retry-After beyond); None lifts the limit."""
        with self._lock:
            self._limit = (
                None if calls is None else _Limit(calls=calls, window_s=window_s, http_date=http_date)
            )

    # storing -------------------------------------------------------------------------------
    def create(
        self,
        purchase: dict[str, Any],
        *,
        store: str = LAB_STORE,
        delay_ms: int = 0,
        source: str = "api",
        contact_email: str | None = None,
    ) -> bool:
        """Store a purchase (first one per id wins); True when it was new."""
        pid = str(purchase.get("purchaseId") or "").strip()
        if not pid:
            return False
        now = datetime.now(UTC).isoformat(timespec="seconds")
        resource = {
            "id": secrets.token_hex(12),
            **purchase,
            "purchaseId": pid,
            "contactId": secrets.token_hex(12),
            "products": [{"id": secrets.token_hex(12), **p} for p in purchase.get("products") or []],
            "createdAt": now,
            "updatedAt": now,
        }
        if contact_email:
            resource.setdefault("contactEmail", contact_email)
        with self._lock:
            if (store, pid) in self._stored:
                return False
            self._stored[store, pid] = _Stored(
                purchase=resource, store=store, source=source, visible_at=time.monotonic() + delay_ms / 1000
            )
            self._lock.notify_all()
            return True

    def tracked(
        self, *, store: str, page_url: str | None, purchase: dict[str, Any], contact_email: str | None
    ) -> str | None:
        """A purchase the browser sent to `store`'s tracking endpoint; why it is discarded, or None."""
        domains = AUTHORISED_DOMAINS.get(store)
        if domains is None:
            return f"store {store} is not a Connectif store"
        host = (urlsplit(page_url or "").hostname or "").lower()
        if host not in domains:
            return f"{host or 'an unknown domain'} is not an authorised domain of store {store}"
        order = self.lab.store.order(str(purchase.get("purchaseId") or ""))
        delay = order.switches.api_delay_ms if order is not None else DEFAULT_API_DELAY_MS
        self.create(purchase, store=store, delay_ms=delay, source="web", contact_email=contact_email)
        return None

    # HTTP -----------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        """A request under /connectif-api on the loopback address."""
        path = req.path.removeprefix(PREFIX) or "/"
        if path == "/__lab/requests" and req.method == "GET":
            return json_response(self.requests())
        key = self._key(req)
        entry: dict[str, Any] = {"at": time.time(), "method": req.method, "path": path, "key": key}
        response = self._answer(req, path, key, entry)
        entry["status"] = response.status
        with self._lock:
            self._log.append(entry)
            self._lock.notify_all()
        return response

    @staticmethod
    def _key(req: Request) -> str:
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        if not scheme:
            return "none"
        if scheme.lower() != "apikey":
            return "wrong"
        return KEYS.get(value.strip(), "wrong")

    def _answer(self, req: Request, path: str, key: str, entry: dict[str, Any]) -> Response:
        lookup = path.startswith("/purchases/purchase-id/")
        if lookup:
            entry["purchase_id"] = unquote(path.removeprefix("/purchases/purchase-id/"))
        if key in ("none", "wrong"):
            return _error(401, "Unauthorized", "the API key is missing or not valid")
        if key != "lab":
            return _error(403, "Forbidden", "the API key has no permission on purchases")
        if lookup and req.method == "GET":
            return self._lookup(entry["purchase_id"], entry)
        if path in ("/purchases", "/purchases/") and req.method == "POST":
            try:
                body = json.loads(req.body or b"null")
            except ValueError:
                body = None
            if not isinstance(body, dict) or not str(body.get("purchaseId") or "").strip():
                return _error(400, "Bad Request", "purchaseId is required")
            self.create(body)
            stored = self.stored().get(str(body["purchaseId"]).strip())
            return json_response(stored, 201)
        return _error(404, "Not Found", "no such resource")

    def _lookup(self, pid: str, entry: dict[str, Any]) -> Response:
        throttle = self._throttle(pid)
        if throttle is not None:
            entry["retry_after"] = throttle.headers[-1][1]
            return throttle
        with self._lock:
            found = self._stored.get((LAB_STORE, pid))
            visible = found is not None and time.monotonic() >= found.visible_at
        if not visible or found is None:
            return _error(404, "Not Found", f"no purchase with purchaseId {pid}")
        return json_response(found.purchase)

    def _throttle(self, pid: str) -> Response | None:
        """A 429 for the api-429 fault's first lookup, or beyond the rate limit; None to answer."""
        order = self.lab.store.order(pid)
        with self._lock:
            if order is not None and order.switches.has("api-429") and pid not in self._throttled:
                self._throttled.add(pid)
                return _too_many(str(RETRY_AFTER_S))
            limit = self._limit
            if limit is None:
                return None
            now = time.monotonic()
            if now - limit.window_start >= limit.window_s:
                limit.window_start, limit.used = now, 0
            if limit.used < limit.calls:
                limit.used += 1
                return None
            wait = max(1, math.ceil(limit.window_start + limit.window_s - now))
        if limit.http_date:  # whole seconds, rounded up: a date is never earlier than the window's end
            when = datetime.fromtimestamp(math.ceil(time.time() + wait), UTC)
            return _too_many(format_datetime(when, usegmt=True))
        return _too_many(str(wait))


def _error(status: int, reason: str, message: str) -> Response:
    return json_response({"status": status, "error": reason, "message": message}, status)


def _too_many(retry_after: str) -> Response:
    response = _error(429, "Too Many Requests", "rate limit exceeded")
    return response.header("Retry-After", retry_after)
