"""The lab server without a browser: hosts, robustness, bounded hangs, ground truth, serve()."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from http.client import HTTPConnection

import pytest

from auditor.errors import AuditorError
from auditor.lab import Lab, banner, serve
from auditor.lab.connectif import STORE_ID_HANG
from auditor.lab.store import CATALOGUE, Line, Order, display_amount
from auditor.lab.switches import FAULTS, SwitchError, Switches
from auditor.lab.tag import purchase_tag

from .labkit import http

EXPECTED_HOSTS = {
    "shop.test",
    "www.shop.test",
    "cdn.connectif.cloud",
    "eu8-api.connectif.cloud",
    "sis-t.redsys.test",
    "sis.redsys.es",
    "checkout.stripe.test",
    "js.stripe.test",
    "test.adyen.test",
    "sandbox.paypal.test",
    "mollie.test",
    "secure.bank.test",
    "acs.bank.test",
    "challenge.issuer.test",
    "pay.deadend.test",
}


def test_every_host_on_one_loopback_port(lab: Lab) -> None:
    assert set(lab.hosts) == EXPECTED_HOSTS
    assert set(lab.hosts.values()) == {"127.0.0.1"}
    assert lab.url("shop.test") == f"http://shop.test:{lab.port}/"
    assert lab.url("shop.test", "/cart") == f"http://shop.test:{lab.port}/cart"
    for host in lab.hosts:
        status, _ = http(lab, "GET", host, "/favicon.ico")
        assert status == 204


def test_dispatch_on_the_host_header(lab: Lab) -> None:
    status, body = http(lab, "GET", "shop.test", "/")
    assert status == 200 and "Ultrabook 14" in body and "1.249,00 €" in body
    status, body = http(lab, "GET", "nowhere.test", "/")
    assert status == 404 and "Unknown lab host" in body
    status, body = http(lab, "GET", "127.0.0.1", "/")
    assert status == 200 and "--host-resolver-rules=" in body


def test_unknown_switches_are_refused_with_the_known_ones(lab: Lab) -> None:
    status, body = http(lab, "GET", "shop.test", "/?fault=tag-comaa")
    assert status == 400 and "tag-comma" in body
    status, body = http(lab, "GET", "shop.test", "/?platform=visa")
    assert status == 400 and "redsys" in body


def test_ground_truth_endpoints(lab: Lab) -> None:
    status, body = http(lab, "GET", "shop.test", "/__lab/orders")
    assert status == 200 and isinstance(json.loads(body), list)
    status, body = http(lab, "GET", "eu8-api.connectif.cloud", "/__lab/events")
    assert status == 200 and isinstance(json.loads(body), list)


def raw_exchange(lab: Lab, data: bytes) -> bytes:
    """Send raw bytes, return whatever comes back before the server closes."""
    with socket.create_connection(("127.0.0.1", lab.port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: nope\r\nConnection: close\r\n\r\n",
        b"POST /cart/add HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 99999999\r\n"
        b"Connection: close\r\n\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: shop.test\r\n\r\n",
        b"GET /\xff\xfe HTTP/1.1\r\nHost: shop.test\r\nCookie: \x7f;;==\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
    ],
)
def test_odd_requests_get_an_answer_and_the_lab_keeps_serving(lab: Lab, data: bytes) -> None:
    errors = len(lab.errors)
    reply = raw_exchange(lab, data)
    # a request line without a version is answered HTTP/0.9-style: a bare error page
    assert reply.startswith(b"HTTP/") or b"Error code: 400" in reply
    assert len(lab.errors) == errors
    assert http(lab, "GET", "shop.test", "/")[0] == 200


def test_many_concurrent_clients(lab: Lab) -> None:
    def one(i: int) -> int:
        host = ["shop.test", "mollie.test", "cdn.connectif.cloud"][i % 3]
        path = {"shop.test": "/cart", "mollie.test": "/nope"}.get(host, "/eu8/client-script/x")
        return http(lab, "GET", host, path)[0]

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(one, range(200)))
    assert statuses.count(200) == len([i for i in range(200) if i % 3 == 0])
    assert set(statuses) == {200, 404}


def test_quiet_no_request_log(lab: Lab, capfd: pytest.CaptureFixture[str]) -> None:
    http(lab, "GET", "shop.test", "/")
    http(lab, "GET", "nowhere.test", "/")
    raw_exchange(lab, b"nonsense\r\n\r\n")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_hang_is_bounded_by_hang_seconds() -> None:
    with Lab(hang_seconds=0.3) as lab:
        started = time.monotonic()
        conn = HTTPConnection("127.0.0.1", lab.port, timeout=10)
        conn.request("GET", f"/eu8/client-script/{STORE_ID_HANG}", headers={"Host": "cdn.connectif.cloud"})
        with pytest.raises((ConnectionError, OSError)):
            conn.getresponse()
        elapsed = time.monotonic() - started
        assert 0.3 <= elapsed < 5
        assert lab.events()[-1]["status"] == 0


def test_a_hang_ends_when_the_lab_stops() -> None:
    lab = Lab().start()
    outcome: list[BaseException] = []
    conn = HTTPConnection("127.0.0.1", lab.port, timeout=30)
    conn.request("GET", f"/eu8/client-script/{STORE_ID_HANG}", headers={"Host": "cdn.connectif.cloud"})
    got_there = lab.wait_for_events(lambda evs: len(evs) == 1, timeout=5)
    assert got_there is not None

    def read() -> None:
        try:
            conn.getresponse()
        except BaseException as exc:  # the server closes without answering
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    started = time.monotonic()
    lab.stop()
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert time.monotonic() - started < 5
    assert outcome and isinstance(outcome[0], (ConnectionError, OSError))


def test_closed_port_refuses_connections(lab: Lab) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", lab.closed_port), timeout=2)
    assert lab.closed_url("checkout.stripe.test", "/x") == (
        f"http://checkout.stripe.test:{lab.closed_port}/x"
    )


def test_start_stop_and_context_manager() -> None:
    lab = Lab()
    with pytest.raises(RuntimeError):
        _ = lab.port
    with lab:
        port = lab.port
        assert http(lab, "GET", "shop.test", "/")[0] == 200
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_a_busy_port_is_a_tool_error(lab: Lab) -> None:
    with pytest.raises(AuditorError) as raised:
        Lab(port=lab.port).start()
    assert str(lab.port) in raised.value.headline and "--port" in (raised.value.tip or "")


def test_reset_forgets_orders_and_events() -> None:
    with Lab() as lab:
        http(lab, "GET", "cdn.connectif.cloud", "/eu8/client-script/unknown")
        assert lab.events()
        lab.reset()
        assert lab.events() == [] and lab.orders() == []


def test_serve_prints_addresses_and_the_chromium_flag_until_stopped() -> None:
    out = io.StringIO()
    stop = threading.Event()
    server = threading.Thread(target=serve, args=(0, out), kwargs={"stop": stop})
    server.start()
    try:
        deadline = time.monotonic() + 5
        while "Ctrl-C" not in out.getvalue():  # serve() writes its banner once it listens
            assert time.monotonic() < deadline
            server.join(timeout=0.05)
        text = out.getvalue()
    finally:
        stop.set()
        server.join(timeout=5)
    assert not server.is_alive()
    assert "Lab shop: http://shop.test:" in text
    flag = next(line for line in text.splitlines() if "--host-resolver-rules=" in line)
    for host in EXPECTED_HOSTS:
        assert f"MAP {host} 127.0.0.1" in flag


def test_banner_names_every_host(lab: Lab) -> None:
    lines = banner(lab)
    for host in EXPECTED_HOSTS:
        assert f"  {host}" in lines


# switches and the tag, as plain functions ---------------------------------------------------
def test_switches_parse_and_reject() -> None:
    s = Switches().updated({"platform": ["Redsys"], "fault": ["tag-comma,tag-date", "declined"]})
    assert s.platform == "redsys"
    assert s.faults == {"tag-comma", "tag-date", "declined"}
    assert s.updated({"fault": ["none"]}).faults == frozenset()
    assert (
        s.updated({"return_delay_ms": ["200"], "samesite": ["LAX"], "key": ["k"]}).as_dict()[
            "return_delay_ms"
        ]
        == 200
    )
    for bad in (
        {"fault": ["nope"]},
        {"samesite": ["none"]},
        {"return_delay_ms": ["-1"]},
        {"return_delay_ms": ["99999999"]},
        {"platform": ["x"]},
    ):
        with pytest.raises(SwitchError):
            Switches().updated(bad)
    assert "flaky-tag" in FAULTS and "pay-hang" in FAULTS


def test_display_amounts_are_spanish() -> None:
    assert display_amount(Decimal("1249")) == "1.249,00 €"
    assert display_amount(Decimal("89.9")) == "89,90 €"
    assert display_amount(Decimal("1234567.5")) == "1.234.567,50 €"


def make_order(*faults: str) -> Order:
    return Order(
        ref="ORD-1",
        number=1042,
        email="a@b.c",
        lines=[Line(CATALOGUE["laptop"], 1), Line(CATALOGUE["keyboard"], 2)],
        switches=Switches(faults=frozenset(faults)),
        session_key="s",
        cart_id="cart-1",
        created=datetime(2024, 9, 13, 10, 49, 31, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("faults", "field", "value"),
    [
        ((), "total_price", "1428.80"),
        ((), "purchase_date", "2024-09-13T10:49:31Z"),
        ((), "total_quantity", "3"),
        (("tag-comma",), "total_price", "1428,80"),
        (("tag-currency",), "total_price", "€1428.80"),
        (("tag-thousands",), "total_price", "1,428.80"),
        (("tag-date",), "purchase_date", "13/09/2024 10:49"),
        (("tag-wrong-id",), "purchase_id", "1042"),
        (("tag-missing-field",), "total_quantity", None),
    ],
)
def test_tag_faults(faults: tuple[str, ...], field: str, value: str | None) -> None:
    tag = purchase_tag(make_order(*faults), "http://shop.test/product/")
    assert dict(tag.fields).get(field) == value


def test_tag_items() -> None:
    tag = purchase_tag(make_order("tag-thousands"), "http://shop.test/product/")
    laptop, keyboard = tag.items
    assert ("unit_price", "1,249.00") in laptop and ("unit_price", "89.90") in keyboard
    assert ("url", "http://shop.test/product/laptop") in laptop
    assert [v for k, v in laptop if k == "category"] == ["/Computers/Laptops", "/Offers"]
    assert ("quantity", "2") in keyboard and ("price", "179.80") in keyboard
