"""The live-payment block in a real Chromium: what it stops, where, and what it leaves alone.

A loopback server plays the shop (shop.test), a cross-site frame (frame.test) and a production
payment host (sis.redsys.es, mapped to loopback). It records every request it is sent, so "blocked"
means the request never left the browser.
"""

from __future__ import annotations

import fnmatch
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from auditor.engine.browser import find_browser, launch_args
from auditor.engine.guardrails import FETCH_PATTERNS, LIVE_URL_PATTERN, LivePaymentGuard
from auditor.engine.observe import Recorder

pytestmark = pytest.mark.browser

HOSTS = {"shop.test": "127.0.0.1", "frame.test": "127.0.0.1", "sis.redsys.es": "127.0.0.1"}

# The page asks the live host three ways (its own script, a cross-site iframe, a worker) and the shop
# twice: once plainly, once with a URL that the browser pauses for the guard but that is not live.
PAGE = """<html><body><script>
window.results = [];
const note = (what) => window.results.push(what);
const ask = (url, what) => fetch(url).then(() => note(what + ':sent'), () => note(what + ':failed'));
ask('http://sis.redsys.es:PORT/from-page', 'page');
ask('/plain', 'plain');
ask('/looks/cs_live_-', 'lookalike');
addEventListener('message', (e) => note(e.data));
new Worker('/worker.js').onmessage = (e) => note(e.data);
</script><iframe src="http://frame.test:PORT/frame"></iframe></body></html>"""
FRAME = """<html><body><script>
fetch('http://sis.redsys.es:PORT/from-frame').then(() => parent.postMessage('frame:sent', '*'),
  () => parent.postMessage('frame:failed', '*'));
</script></body></html>"""
WORKER = """fetch('http://sis.redsys.es:PORT/from-worker').then(() => postMessage('worker:sent'),
  () => postMessage('worker:failed'));"""


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        host = (self.headers.get("Host") or "").split(":")[0]
        server.seen.append(f"{host}{self.path}")
        port = str(server.server_address[1])
        body, ctype = "ok", "text/plain"
        if self.path == "/page":
            body, ctype = PAGE.replace("PORT", port), "text/html"
        elif self.path == "/frame":
            body, ctype = FRAME.replace("PORT", port), "text/html"
        elif self.path == "/worker.js":
            body, ctype = WORKER.replace("PORT", port), "text/javascript"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(http.server.ThreadingHTTPServer):
    seen: list[str]


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def browser(shared_playwright: Playwright) -> Iterator[Browser]:
    launched = shared_playwright.chromium.launch(
        executable_path=find_browser().executable_for(headless=True), args=launch_args(HOSTS, headless=True)
    )
    yield launched
    launched.close()


def blocked_paths(watch: LivePaymentGuard, *, but: str = "") -> list[str]:
    """The paths of the URLs the guard blocked (the last part of each), `but` left out."""
    paths = (b.split(" ")[0].rsplit("/", 1)[-1] for b in watch.blocked)
    return sorted(p for p in paths if p != but)


def guard(*, browser_wide: bool = True) -> LivePaymentGuard:
    recorder = Recorder(started=time.monotonic(), connectif_hosts=(), intercept=False)
    return LivePaymentGuard(recorder, allowed=False, browser_wide=browser_wide)


def visit(context: BrowserContext, port: int, answers: int = 5) -> tuple[Page, list[str]]:
    page = context.new_page()
    page.goto(f"http://shop.test:{port}/page")
    page.wait_for_function(f"window.results.length >= {answers}", timeout=10_000)
    return page, sorted(page.evaluate("window.results"))


def test_every_live_url_is_paused_by_the_browser_and_ordinary_ones_are_not() -> None:
    live = [
        "https://sis.redsys.es/sis/realizarPago",
        "http://sis.redsys.es:8000/sis/realizarPago",
        "https://www.paypal.com/checkoutnow?token=1",
        "https://paypal.com/",
        "https://live.adyen.com/hpp/pay.shtml",
        "https://checkoutshopper-live.adyen.com:443/checkoutshopper/",
        "https://checkout.stripe.com/c/pay/cs_live_a1B2",
        "https://shop.example/pay/cs_live_x9?back=1",
    ]
    ordinary = [
        "http://shop.test:8000/cart",
        "https://sis-t.redsys.es/sis/realizarPago",
        "https://www.sandbox.paypal.com/checkoutnow",
        "https://checkout.stripe.com/c/pay/cs_test_a1B2",
        "https://test.adyen.com/hpp",
        "https://sis.redsys.es.example/",
        "https://shop.example/?next=https://sis.redsys.es/",
    ]

    def paused(url: str) -> bool:
        return any(fnmatch.fnmatchcase(url, p["urlPattern"]) for p in FETCH_PATTERNS)

    assert all(LIVE_URL_PATTERN.search(url) and paused(url) for url in live)
    assert not any(paused(url) for url in ordinary)


def test_the_browser_blocks_the_live_host_from_a_page_a_cross_site_frame_and_a_worker(
    browser: Browser, server: _Server
) -> None:
    port = server.server_address[1]
    watch = guard()
    context = browser.new_context()
    watch.attach(context)
    _, results = visit(context, port)
    assert results == ["frame:failed", "lookalike:sent", "page:failed", "plain:sent", "worker:failed"]
    assert not [s for s in server.seen if s.startswith("sis.redsys.es")]  # none left the browser
    assert "shop.test/looks/cs_live_-" in server.seen  # paused, seen not to be live, let through
    assert blocked_paths(watch) == ["from-frame", "from-page", "from-worker"]
    assert all("sis.redsys.es is Redsys's production gateway" in b for b in watch.blocked)
    # The block is the browser's (not a route of the context): a context opened meanwhile has it too.
    meanwhile = browser.new_context()
    _, results = visit(meanwhile, port)
    assert "page:failed" in results and "frame:failed" in results
    assert not [s for s in server.seen if s.startswith("sis.redsys.es")]
    meanwhile.close()
    context.close()

    # Once its scenario is over the block is gone: the next context (say, the test session's own
    # pages after the fixture) is the browser's as before.
    watch.detach()
    after = browser.new_context()
    _, results = visit(after, port)
    assert "page:sent" in results
    assert "sis.redsys.es/from-page" in server.seen
    after.close()


def test_a_persistent_context_is_blocked_by_a_route(
    shared_playwright: Playwright, server: _Server, tmp_path: Path
) -> None:
    # A persistent context has no browser to open a browser-wide session on: Playwright's route blocks.
    port = server.server_address[1]
    context = shared_playwright.chromium.launch_persistent_context(
        tmp_path / "profile",
        executable_path=find_browser().executable_for(headless=True),
        args=launch_args(HOSTS, headless=True),
    )
    try:
        watch = guard()
        watch.attach(context)
        _, results = visit(context, port)
        assert {"page:failed", "frame:failed", "plain:sent"} <= set(results)
        assert not [s for s in server.seen if s.startswith("sis.redsys.es/from-page")]
        assert any("from-page" in b for b in watch.blocked)
    finally:
        context.close()


def test_a_shared_browser_is_blocked_per_context_and_the_other_contexts_are_left_alone(
    browser: Browser, server: _Server
) -> None:
    # With --cdp the browser is shared (other workers, someone's tabs): each scenario's block, and its
    # record of what was blocked, stay within its own context.
    port = server.server_address[1]
    watch = guard(browser_wide=False)
    mine, other = browser.new_context(), browser.new_context()
    watch.attach(mine)
    _, results = visit(mine, port)
    assert {"page:failed", "frame:failed", "plain:sent", "lookalike:sent"} <= set(results)
    _, results = visit(other, port)
    assert "page:sent" in results and "frame:sent" in results
    assert "sis.redsys.es/from-page" in server.seen  # the other context's request, not the guarded one's
    assert blocked_paths(watch, but="from-worker") == ["from-frame", "from-page"]
