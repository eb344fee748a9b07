"""Stand-ins for Connectif's CDN (client script) and tracking API, on Connectif's host names."""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from auditor.lab.switches import Switches
from auditor.lab.templates import STATIC
from auditor.lab.web import Request, Response, hang, json_response, text

if TYPE_CHECKING:
    from auditor.lab.server import Lab

CDN_HOST = "cdn.connectif.cloud"
API_HOST = "eu8-api.connectif.cloud"
REGION = "eu8"

# The lab's store, and store ids whose client script misbehaves. Any other id answers 404,
# which is what a shop with a mistyped store id gets.
STORE_ID = "6f1c2a9e-4b7d-4e21-9c3a-5d8e0f7b1a42"
STORE_ID_500 = "6f1c2a9e-4b7d-4e21-9c3a-000000000500"
STORE_ID_HANG = "6f1c2a9e-4b7d-4e21-9c3a-00000000dead"
STORE_ID_UNKNOWN = "00000000-0000-4000-8000-000000000404"
# Another Connectif account's store: its script loads, and what it tracks goes to that account.
STORE_ID_OTHER = "0b7e5d21-93c4-4f6a-8e1d-2a4c6e8f0b13"
SERVED_STORES = (STORE_ID, STORE_ID_500, STORE_ID_HANG, STORE_ID_OTHER)

SCRIPT_PATH = re.compile(r"^/(?P<region>[a-z]+[0-9]+)/client-script/(?P<store>[A-Za-z0-9-]+)$")
TRACKING_PATH = re.compile(r"^/integration-type/system/scrippet-notification/(?P<id>[A-Za-z0-9-]+)$")
CONFIG_MARK = "/*@CONFIG@*/{}"


def store_id_for(switches: Switches, *, confirmation: bool = False) -> str | None:
    """The store id the shop's loader uses under these switches (None: no loader at all)."""
    if switches.has("script-absent"):
        return None
    if confirmation and switches.has("other-store-script"):
        return STORE_ID_OTHER
    if switches.has("script-404"):
        return STORE_ID_UNKNOWN
    if switches.has("script-500"):
        return STORE_ID_500
    if switches.has("script-hang"):
        return STORE_ID_HANG
    return STORE_ID


class Connectif:
    """Serves the client script and the tracking endpoint, and records every request."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self._lock = threading.Condition()
        self._log: list[dict[str, Any]] = []

    def script_url(self, store_id: str) -> str:
        """Where the loader fetches the client script from."""
        return self.lab.url(CDN_HOST, f"/{REGION}/client-script/{store_id}")

    def events(self) -> list[dict[str, Any]]:
        """Every request received, oldest first, as plain data."""
        with self._lock:
            copy: list[dict[str, Any]] = json.loads(json.dumps(self._log))  # a deep copy the caller may keep
            return copy

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float
    ) -> list[dict[str, Any]] | None:
        """Block until `predicate(events)` holds (the events) or `timeout` passes (None)."""
        with self._lock:
            ok = self._lock.wait_for(lambda: predicate(self._log), timeout)
            return json.loads(json.dumps(self._log)) if ok else None

    def reset(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._log.clear()

    def _record(self, req: Request, entry: dict[str, Any]) -> None:
        entry = {
            "received": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": req.method,
            "url": req.origin + req.path,
            "origin": req.headers.get("origin"),
            "referer": req.headers.get("referer"),
            **entry,
        }
        with self._lock:
            self._log.append(entry)
            self._lock.notify_all()

    # CDN -----------------------------------------------------------------------------------
    def handle_cdn(self, req: Request) -> Response:
        """cdn.connectif.cloud: /<region>/client-script/<store id>."""
        match = SCRIPT_PATH.match(req.path)
        if req.method not in ("GET", "HEAD") or not match:
            return text("Not Found", 404)
        store = match["store"]
        if match["region"] != REGION or store not in SERVED_STORES:
            status = 404
        elif store == STORE_ID_500:
            status = 500
        elif store == STORE_ID_HANG:
            status = 0  # never answered
        else:
            status = 200
        self._record(
            req,
            {"kind": "script", "store_id": store, "status": status, "page_url": req.headers.get("referer")},
        )
        if status == 0:
            return hang(self.lab.hang_seconds)
        if status != 200:
            return text("Not Found" if status == 404 else "Internal Server Error", status)
        own = store if store == STORE_ID_OTHER else STORE_ID
        config = {
            "storeId": own,
            "apiUrl": self.lab.url(API_HOST, f"/integration-type/system/scrippet-notification/{own}"),
            "autoSendEventsOnInit": True,
        }
        source = (STATIC / "connectif-client.js").read_text()
        source = source.replace(CONFIG_MARK, json.dumps(config))
        return text(source, ctype="text/javascript; charset=utf-8").header("Cache-Control", "no-store")

    # API -----------------------------------------------------------------------------------
    def handle_api(self, req: Request) -> Response:
        """eu8-api.connectif.cloud: the tracking endpoint and the lab's ground truth."""
        if req.path == "/__lab/events" and req.method == "GET":
            return json_response(self.events())
        if req.method == "OPTIONS":  # browsers don't preflight text/plain, but be polite
            return self._cors(req, Response(204))
        match = TRACKING_PATH.match(req.path)
        if req.method != "POST" or not match:
            return self._cors(req, text("Not Found", 404))
        raw = req.body.decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        ok = isinstance(body, dict)
        events = body.get("events") if ok else None
        browser = body.get("browserInfo") if ok else None
        page_url = None
        if isinstance(browser, dict) and isinstance(browser.get("url"), str):
            page_url = unquote(browser["url"])
        entity = body.get("entityInfo") if ok else None
        tracker = entity.get("trackerId") if isinstance(entity, dict) else None
        email = entity.get("primaryKey") if isinstance(entity, dict) else None
        # Accepted either way, as Connectif does; kept only for an authorised domain of a real store.
        discarded = []
        for event in events if isinstance(events, list) else []:
            if isinstance(event, dict) and event.get("type") == "purchase":
                purchase = event.get("purchase")
                reason = self.lab.purchases_api.tracked(
                    store=match["id"],
                    page_url=page_url or req.headers.get("origin"),
                    purchase=purchase if isinstance(purchase, dict) else {},
                    contact_email=email if isinstance(email, str) else None,
                )
                if reason:
                    discarded.append(reason)
        self._record(
            req,
            {
                "kind": "tracking",
                "store_id": match["id"],
                "status": 200 if ok else 400,
                "content_type": req.headers.get("content-type"),
                "page_url": page_url,
                "body": body if ok else None,
                "raw": None if ok else raw[:10_000],
                "events": events if isinstance(events, list) else [],
                "discarded": discarded,
            },
        )
        if not ok:
            return self._cors(req, json_response({"error": "body is not a JSON object"}, 400))
        tracker = tracker if isinstance(tracker, str) and tracker else secrets.token_hex(12)
        return self._cors(req, json_response({"trackerId": tracker, "webModals": [], "banners": []}))

    @staticmethod
    def _cors(req: Request, response: Response) -> Response:
        response.header("Access-Control-Allow-Origin", req.headers.get("origin") or "*")
        response.header("Access-Control-Allow-Methods", "POST, OPTIONS")
        response.header("Access-Control-Allow-Headers", "Content-Type")
        response.header("Vary", "Origin")
        return response


def purchases(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The purchase objects carried by recorded tracking requests, with the page they came from."""
    found = []
    for entry in events:
        if entry.get("kind") != "tracking":
            continue
        for event in entry.get("events") or []:
            if isinstance(event, dict) and event.get("type") == "purchase":
                found.append({**(event.get("purchase") or {}), "_page_url": entry.get("page_url")})
    return found
