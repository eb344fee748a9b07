"""A tiny shop, payment page and Connectif stand-in on loopback, for engine tests that need exact control."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

HOSTS = {
    "shop.test": "127.0.0.1",
    "pay.test": "127.0.0.1",
    "cdn.connectif.cloud": "127.0.0.1",
    "eu8-api.connectif.cloud": "127.0.0.1",
}

SCRIPT = """(function(){var t=document.querySelector('.cn_purchase');var ev=[{type:'page-visit'}];
if(t){var f=function(c){var e=t.getElementsByClassName(c)[0];return e?e.textContent.trim():''};
ev.push({type:'purchase',purchase:{purchaseId:f('purchase_id'),totalPrice:parseFloat(f('total_price')),
totalQuantity:parseInt(f('total_quantity'),10),products:[{productId:'p1'}]}})}
fetch('http://eu8-api.connectif.cloud:PORT/integration-type/system/scrippet-notification/x',
{method:'POST',headers:{'Content-Type':'text/plain'},body:JSON.stringify({events:ev})});})();"""


def tag(price: str) -> str:
    return (
        '<div class="cn_purchase" style="display:none"><span class="purchase_id">A1</span>'
        f'<span class="total_quantity">1</span><span class="total_price">{price}</span>'
        '<div class="product_basket_item"><span class="quantity">1</span>'
        f'<span class="price">{price}</span>'
        '<span class="url">http://shop.test/p</span><span class="product_id">p1</span>'
        f'<span class="name">K</span><span class="unit_price">{price}</span></div></div>'
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, body: str, ctype: str = "text/html", status: int = 200) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        port = self.server.server_address[1]
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if host == "shop.test" and url.path == "/":
            # query: mode=auto|manual, delay=ms, price=12.50
            self._send(
                f'<form action="http://pay.test:{port}/pay?{url.query}" method="post">'
                '<button id="pay">Pay</button></form>'
            )
        elif host == "shop.test" and url.path == "/steps":
            # for step failures: a link that redirects home, a disabled button, nothing called #absent, and
            # three tabs of which two are visible, a select and a text input
            self._send(
                '<a id="home" href="/go-home">Home</a><button id="disabled" disabled>Off</button>'
                '<form action="/"><button id="search">Search</button></form>'
                '<span class="tab">One</span><span class="tab">Two</span>'
                '<span class="tab" hidden>Three</span>'
                '<select id="country"><option value="es">Spain</option><option value="fr">France</option>'
                '</select><input id="q">'
            )
        elif host == "shop.test" and url.path == "/go-home":
            self.send_response(302)
            self.send_header("Location", "/?mode=auto")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif host == "shop.test" and url.path.startswith("/order/confirmation"):
            price = query.get("price", "12.50")
            self._send(
                f'<h1 class="order-number">A1</h1>{tag(price)}'
                f'<script async src="http://cdn.connectif.cloud:{port}/eu8/client-script/x"></script>'
            )
        elif host == "cdn.connectif.cloud":
            self._send(SCRIPT.replace("PORT", str(port)), "application/javascript")
        else:
            self._send("not found", status=404)

    def do_POST(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        port = self.server.server_address[1]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        back = f"http://shop.test:{port}/order/confirmation/A1?price={query.get('price', '12.50')}"
        if host == "pay.test":
            flaky = query.get("mode") == "flaky"
            if flaky:  # the first payment of each key never comes back; the next ones do
                with _SEEN_LOCK:
                    first = query.get("key", "") not in _SEEN
                    _SEEN.add(query.get("key", ""))
            if query.get("mode") == "manual" or (flaky and first):
                self._send(
                    f'<button id="authorise">OK</button>'
                    f'<a id="back" href="{back}" hidden>Continuar</a>'
                    "<script>document.getElementById('authorise').onclick=()=>"
                    "document.getElementById('back').hidden=false</script>"
                )
            else:
                delay = int(query.get("delay", "200"))
                self._send(
                    '<button id="authorise">OK</button><script>document.getElementById("authorise")'
                    f'.onclick=()=>setTimeout(()=>location.href="{back}",{delay})</script>'
                )
        else:
            self._send('{"trackerId":"t"}', "application/json")


_SEEN: set[str] = set()  # mode=flaky: the keys whose first payment was already made
_SEEN_LOCK = threading.Lock()


@contextmanager
def mini_shop() -> Iterator[str]:
    """Serve on a free loopback port; yields the shop's base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://shop.test:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
