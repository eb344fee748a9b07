"""One URL rule: `page.wait_for_url` in a real Chromium and `confirmation.reached`'s matcher agree.

Every row is played in a real browser: the page is served on loopback (plain HTTP, and HTTPS with a
throwaway self-signed certificate) under the row's host and port, mapped with --host-resolver-rules,
and moved to the row's URL by navigation or history.pushState. Then `wait_for_url(glob)` answers
(it returns at once when the URL matches; a TimeoutError means it does not), and the check answers
for the URL the browser reports. Both must equal each other and the expected column.
"""

from __future__ import annotations

import http.server
import re
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from auditor.checks import urlglob
from auditor.checks.urlglob import port_url_matches, url_matches
from auditor.engine.browser import find_browser, launch_args

# How long wait_for_url gets to say "no": a match returns before any wait, so this only bounds misses.
NO_MATCH_MS = 400


class Row(NamedTuple):
    base: str
    glob: str
    url: str  # as typed; the browser may write it otherwise (default port dropped, path encoded)
    match: bool


ROWS = [
    # default ports, in the base URL, in the glob and in the URL typed
    Row("http://shop.test:80/", "/order/*", "http://shop.test/order/1", True),
    Row("http://shop.test/", "/order/*", "http://shop.test:80/order/1", True),
    Row("http://shop.test/", "http://shop.test:80/order/*", "http://shop.test/order/1", True),
    Row("https://shop.test:443/", "/order/*", "https://shop.test/order/1", True),
    Row("https://shop.test/", "https://shop.test:443/order/*", "https://shop.test/order/1", True),
    Row("https://shop.test/", "http://shop.test/order/*", "https://shop.test/order/1", False),
    Row("https://shop.test/", "http*://shop.test/order/*", "https://shop.test/order/1", True),
    # other ports
    Row("http://shop.test:8000/", "/order/*", "http://shop.test:8000/order/1", True),
    Row("http://shop.test:8000/", "/order/*", "http://shop.test:8001/order/1", False),
    Row("http://shop.test:8000/", "/order/*", "http://shop.test/order/1", False),
    Row("http://shop.test:8000/", "**/order/*", "http://shop.test:8001/order/1", True),
    # hosts: case, another host
    Row("http://shop.test/", "http://SHOP.test/order/*", "http://shop.test/order/1", True),
    Row("http://shop.test/", "/order/*", "http://other.test/order/1", False),
    # percent-encoding and spaces: literal parts are encoded as the browser encodes the URL
    Row("http://shop.test/", "/café/*", "http://shop.test/café/1", True),
    Row("http://shop.test/", "/caf%C3%A9/*", "http://shop.test/café/1", True),
    Row("http://shop.test/", "**/café/*", "http://shop.test/café/1", False),
    Row("http://shop.test/", "/x y/*", "http://shop.test/x y/1", True),
    Row("http://shop.test/", "/x y*", "http://shop.test/x y1", False),  # wildcard parts stay as written
    Row("http://shop.test/", "/search?q=a b", "http://shop.test/search?q=a b", False),
    # ** and {a,b}
    Row("http://shop.test/", "**/order/**", "http://shop.test/order/1/2", True),
    Row("http://shop.test/", "**/order/*", "http://shop.test/order/1/2", False),
    Row("http://shop.test/", "/order/**/done", "http://shop.test/order/done", True),
    Row("http://shop.test/", "**", "http://shop.test/anything/at/all?x=1", True),
    Row("http://shop.test/", "/order/{1,2}", "http://shop.test/order/2", True),
    Row("http://shop.test/", "/order/{1,2}", "http://shop.test/order/3", False),
    Row("http://shop.test/", "**/*.{html,php}", "http://shop.test/thanks.php", True),
    # query and fragment: the whole URL must match, ? is literal
    Row("http://shop.test/", "/thanks", "http://shop.test/thanks?order=1", False),
    Row("http://shop.test/", "/thanks?order=*", "http://shop.test/thanks?order=1", True),
    Row("http://shop.test/", "/thanks*", "http://shop.test/thanks?order=1", True),
    Row("http://shop.test/", "/ok#top", "http://shop.test/ok#top", True),
    # relative globs against the base URL's folder
    Row("http://shop.test/shop/", "order/*", "http://shop.test/shop/order/1", True),
    Row("http://shop.test/shop/", "order/*", "http://shop.test/order/1", False),
    Row("http://shop.test/shop/", "../order/*", "http://shop.test/order/1", True),
    # re: patterns, searched anywhere
    Row("http://shop.test/", "re:/order/[0-9]+$", "http://shop.test/order/42", True),
    Row("http://shop.test/", "re:/order/[0-9]+$", "http://shop.test/order/42/x", False),
    Row("https://shop.test:443/", "re:^https://shop\\.test/", "https://shop.test/order/1", True),
    Row("http://shop.test/", "re:^https://", "http://shop.test/order/1", False),
    Row("http://shop.test/", "re:caf%C3%A9", "http://shop.test/café/1", True),
    Row("http://shop.test/", "re:CONFIRM", "http://shop.test/confirm", False),
]


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>page</title><p>page</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(server: http.server.ThreadingHTTPServer) -> int:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_address[1])


def _certificate(folder: Path) -> tuple[Path, Path] | None:
    """A throwaway self-signed certificate for shop.test, made by openssl; None when it is missing."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=shop.test"]
    subprocess.run(
        [openssl, *request, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


class Lab(NamedTuple):
    browser: Browser
    https: bool  # False when no certificate could be made: the HTTPS rows are skipped


@pytest.fixture(scope="module")
def lab(shared_playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    http_port = _serve(plain)
    hosts = {
        f"{host}:{port}": f"127.0.0.1:{http_port}"
        for host in ("shop.test", "other.test")
        for port in (80, 8000, 8001)
    }
    secure = None
    pair = _certificate(tmp_path_factory.mktemp("tls"))
    if pair is not None:
        secure = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*pair)
        secure.socket = context.wrap_socket(secure.socket, server_side=True)
        hosts["shop.test:443"] = f"127.0.0.1:{_serve(secure)}"
    launched = shared_playwright.chromium.launch(
        executable_path=find_browser().executable_for(headless=True), args=launch_args(hosts)
    )
    try:
        yield Lab(browser=launched, https=secure is not None)
    finally:
        launched.close()
        plain.shutdown()
        if secure is not None:
            secure.shutdown()


def _go(page: Page, url: str) -> None:
    """Put the page on url: history.pushState within its origin, a navigation to another."""
    here, there = urlsplit(page.url), urlsplit(url)
    if (here.scheme, here.netloc) == (there.scheme, there.netloc.removesuffix(":80").removesuffix(":443")):
        page.evaluate("url => history.pushState({}, '', url)", url)
    else:
        page.goto(url)


def _browser_answer(page: Page, pattern: str) -> bool:
    target: str | re.Pattern[str] = re.compile(pattern[3:]) if pattern.startswith("re:") else pattern
    try:
        page.wait_for_url(target, timeout=NO_MATCH_MS)
    except PlaywrightTimeout:
        return False
    return True


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_wait_for_url_and_the_check_answer_alike(lab: Lab, scheme: str) -> None:
    assert urlglob.MATCHER == "playwright", "Playwright's own matcher could not be imported"
    if scheme == "https" and not lab.https:
        pytest.skip("openssl is not installed: it makes the certificate the HTTPS rows are served with")
    rows = [r for r in ROWS if urlsplit(r.url).scheme == scheme]
    assert rows
    disagreements = []
    for base in dict.fromkeys(row.base for row in rows):
        context = lab.browser.new_context(base_url=base, ignore_https_errors=True)
        try:
            page = context.new_page()
            for row in (r for r in rows if r.base == base):
                _go(page, row.url)
                seen = page.url  # the URL as the browser writes it, which the auditor records
                assert seen == _as_browser_writes(row.url), row
                in_browser = _browser_answer(page, row.glob)
                in_check = url_matches(row.glob, seen, base)
                if not in_browser == in_check == row.match:
                    disagreements.append(
                        f"{row.glob!r} base {base} url {seen}: wait_for_url {in_browser}, "
                        f"check {in_check}, expected {row.match}"
                    )
        finally:
            context.close()
    assert disagreements == []


def _as_browser_writes(url: str) -> str:
    """The URLs of ROWS as Chromium reports them (the browser test checks this against page.url)."""
    replacements = {"http://shop.test:80/": "http://shop.test/", "é": "%C3%A9", " ": "%20"}
    for typed, written in replacements.items():
        url = url.replace(typed, written)
    return url


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.glob}@{r.url}")
def test_the_fallback_port_answers_the_same(row: Row) -> None:
    assert port_url_matches(row.glob, _as_browser_writes(row.url), row.base) is row.match
