"""The lab server: every lab host on one loopback port, dispatched on the Host header."""

from __future__ import annotations

import socket
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from auditor.errors import AuditorError
from auditor.lab import platforms
from auditor.lab.connectif import API_HOST, CDN_HOST, Connectif
from auditor.lab.connectif_api import LAB_API_KEY, PREFIX, PurchasesApi
from auditor.lab.shop import HOST as SHOP_HOST
from auditor.lab.shop import WWW_HOST, Shop
from auditor.lab.store import Store
from auditor.lab.web import Request, Response, html

LOOPBACK = "127.0.0.1"
MAX_BODY = 1 << 20  # 1 MiB: more than any lab page posts
HANG_SECONDS = 60.0  # the longest any "never answers" fault keeps a connection silent


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung or idle connection never keeps the process alive
    allow_reuse_address = True
    request_queue_size = 128  # many browsers connect at once under xdist and --workers
    lab: Lab

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that drops its connection (a closed tab, a killed Chromium) is not a lab error."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive: browsers reuse connections
    timeout = 30  # idle keep-alive connections are closed after this
    server_version = "checkout-auditor-lab"
    disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the lab never writes a request log to stderr."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def _dispatch(self) -> None:
        lab = self.server.lab
        try:
            request = self._read()
            if request is None:
                return
            response = lab.dispatch(request)
        except Exception:  # a lab bug answers 500 and is kept for lab.errors, never raised
            lab.errors.append(
                f"{self.command} {self.headers.get('Host')}{self.path}\n" + traceback.format_exc()
            )
            response = Response(500, b"lab error", [("Content-Type", "text/plain")])
        if response.delay_seconds:  # a slow server: answer later, or at once when the lab stops
            lab._stopping.wait(response.delay_seconds)
        if response.hang_seconds is not None:
            # answer nothing; release when the lab stops or the bound passes
            lab._stopping.wait(min(response.hang_seconds, HANG_SECONDS))
            self.close_connection = True
            return
        self._write(response)

    def _read(self) -> Request | None:
        length_header = self.headers.get("Content-Length") or "0"
        if not length_header.isdigit() or int(length_header) > MAX_BODY:
            self._write(Response(413, b"body too large or bad length"))
            self.close_connection = True
            return None
        body = self.rfile.read(int(length_header)) if int(length_header) else b""
        host_header = (self.headers.get("Host") or "").strip().lower()
        host = host_header.rsplit(":", 1)[0] if not host_header.startswith("[") else host_header
        split = urlsplit(self.path)
        return Request(
            method=self.command,
            host=host,
            path=split.path or "/",
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            port=self.server.server_address[1],
        )

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            names = {name.lower() for name, _ in response.headers}
            for name, value in response.headers:
                self.send_header(name, value)
            if "content-type" not in names and response.body:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the browser went away; nothing to do


class Lab:
    """The demo shop, its payment platforms and the Connectif stand-in, on one loopback port."""

    def __init__(self, port: int = 0, *, hang_seconds: float = HANG_SECONDS) -> None:
        self._requested_port = port
        self.hang_seconds = min(hang_seconds, HANG_SECONDS)
        self.store = Store()
        self.shop = Shop(self)
        self.connectif = Connectif(self)
        self.purchases_api = PurchasesApi(self)
        self._sites: dict[str, Callable[[Request], Response]] = {
            SHOP_HOST: self.shop.handle,
            WWW_HOST: self.shop.handle,
            CDN_HOST: self.connectif.handle_cdn,
            API_HOST: self.connectif.handle_api,
        }
        for host, handler in platforms.host_handlers().items():
            self._sites[host] = self._bind(handler)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closed: socket.socket | None = None
        self._stopping = threading.Event()
        self.errors: list[str] = []  # tracebacks of lab bugs (each answered 500)
        self._pages: dict[str, str] = {}
        self._pages_lock = threading.Lock()

    def _bind(self, handler: Callable[[Lab, Request], Response]) -> Callable[[Request], Response]:
        return lambda request: handler(self, request)

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> Lab:
        """Bind the port and serve in a background thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        try:
            server = _Server((LOOPBACK, self._requested_port), _Handler)
        except OSError as exc:
            raise AuditorError(
                f"the lab cannot listen on {LOOPBACK}:{self._requested_port}: {exc.strerror or exc}",
                tip="another program (or another lab) uses that port: pick another with --port, "
                "or --port 0 for any free one",
            ) from exc
        server.lab = self
        # a port that is bound but never listens: connections to it are refused, which is
        # what the pay-refused fault needs, and nothing else can take it while the lab runs
        closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        closed.bind((LOOPBACK, 0))
        self._server, self._closed = server, closed
        self._thread = threading.Thread(target=server.serve_forever, name=f"lab:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hung connections are released."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._closed is not None:
            self._closed.close()
        self._server = self._thread = self._closed = None

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the lab is stopped (True) or `timeout` seconds pass (False)."""
        return self._stopping.wait(timeout)

    # addresses -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The port every lab host answers on."""
        if self._server is None:
            raise RuntimeError("the lab is not started")
        return int(self._server.server_address[1])

    @property
    def closed_port(self) -> int:
        """A loopback port that refuses connections (for pay-refused)."""
        if self._closed is None:
            raise RuntimeError("the lab is not started")
        return int(self._closed.getsockname()[1])

    @property
    def hosts(self) -> dict[str, str]:
        """Every lab host name → 127.0.0.1, for Chromium's --host-resolver-rules."""
        return {host: LOOPBACK for host in self._sites}

    @property
    def api_url(self) -> str:
        """The Connectif REST API stand-in's base URL, for connectif.api.url (the auditor's process, not
        the browser, asks it: it lives on the loopback address itself)."""
        return f"http://{LOOPBACK}:{self.port}{PREFIX}"

    @property
    def api_key(self) -> str:
        """The lab account's API key with the purchases permission, for connectif.api.key."""
        return LAB_API_KEY

    def api_requests(self) -> list[dict[str, Any]]:
        """Every request asked of the Connectif REST API stand-in, oldest first."""
        return self.purchases_api.requests()

    def url(self, host: str, path: str = "/") -> str:
        """An absolute URL on a lab host, e.g. http://shop.test:8000/."""
        return f"http://{host}:{self.port}{path}"

    def origin(self, host: str) -> str:
        """The origin of a lab host."""
        return f"http://{host}:{self.port}"

    def closed_url(self, host: str, path: str = "/") -> str:
        """Like url(), on the port that refuses connections."""
        return f"http://{host}:{self.closed_port}{path}"

    # ground truth ----------------------------------------------------------------------
    def orders(self) -> list[dict[str, Any]]:
        """Every order the shop created, oldest first."""
        return self.store.orders()

    def events(self) -> list[dict[str, Any]]:
        """Every request the Connectif stand-ins received (script and tracking), oldest first."""
        return self.connectif.events()

    def add_page(self, html_text: str) -> str:
        """Serve a test page from the shop's origin; returns its URL.

        Pages must come from the lab itself: Chromium blocks a page whose address it does not
        know (one fulfilled by a Playwright route) from loading the loopback CDN script.
        """
        with self._pages_lock:
            key = str(len(self._pages) + 1)
            self._pages[key] = html_text
        return self.url(SHOP_HOST, f"/__lab/page/{key}")

    def page_html(self, key: str) -> str | None:
        """A page stored by add_page()."""
        with self._pages_lock:
            return self._pages.get(key)

    def wait_for_events(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0
    ) -> list[dict[str, Any]] | None:
        """Block until predicate(events()) holds, then return the events; None on timeout."""
        return self.connectif.wait_for(predicate, timeout)

    def reset(self) -> None:
        """Forget every order, session, payment and recorded Connectif request."""
        self.store.reset()
        self.connectif.reset()
        self.purchases_api.reset()

    # dispatch --------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        """Answer a request on behalf of the host it names."""
        site = self._sites.get(request.host)
        if request.path == "/favicon.ico":
            return Response(204)  # every host: keeps the browser console free of 404 noise
        if site is not None:
            return site(request)
        if request.host in (LOOPBACK, "localhost"):
            if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
                return self.purchases_api.handle(request)
            return html(_index_page(self))
        return html("<h1>Unknown lab host</h1>", 404)


def chromium_flag(lab: Lab) -> str:
    """The exact Chromium switch that maps every lab host to the loopback address."""
    from auditor.engine.browser import host_resolver_rules

    return f"--host-resolver-rules={host_resolver_rules(lab.hosts)}"


def banner(lab: Lab) -> list[str]:
    """What `checkout-auditor lab` tells a person: addresses, hosts and the browser flag."""
    lines = [
        f"Lab shop: {lab.url(SHOP_HOST)}",
        f"Ground truth: {lab.url(SHOP_HOST, '/__lab/orders')}  {lab.url(API_HOST, '/__lab/events')}  "
        f"{lab.api_url}/__lab/requests",
        f"Connectif REST API stand-in: {lab.api_url}  (key {lab.api_key})",
        f"Hosts (all on 127.0.0.1, port {lab.port}):",
    ]
    lines += [f"  {host}" for host in lab.hosts]
    lines += [
        "Start Chromium with:",
        f"  chromium '{chromium_flag(lab)}' {lab.url(SHOP_HOST)}",
        f"Scenarios: SHOP_URL={lab.url(SHOP_HOST).rstrip('/')} CONNECTIF_API_URL={lab.api_url} "
        f"CONNECTIF_API_KEY={lab.api_key} checkout-auditor run scenarios/",
        "Press Ctrl-C to stop.",
    ]
    return lines


def serve(port: int, out: TextIO, stop: threading.Event | None = None) -> None:
    """Run the lab until Ctrl-C (or `stop` is set), after writing its banner to `out`."""
    with Lab(port) as lab:
        for line in banner(lab):
            out.write(line + "\n")
        out.flush()
        try:
            # wake up now and then so Ctrl-C is handled promptly on every platform
            while not (stop is not None and stop.is_set()) and not lab.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass


def _index_page(lab: Lab) -> str:
    from html import escape

    items = "".join(f"<li>{escape(line)}</li>" for line in banner(lab))
    return f"<!doctype html><title>checkout-auditor lab</title><h1>checkout-auditor lab</h1><ul>{items}</ul>"
