"""The lab's stand-in of Connectif's REST API, without a browser: keys, storage, domains, stores, syncs."""

from __future__ import annotations

import json
from http.client import HTTPConnection
from typing import Any

import pytest

from auditor.lab import Lab, banner
from auditor.lab.connectif import STORE_ID, STORE_ID_OTHER
from auditor.lab.connectif_api import LAB_API_KEY_NO_PURCHASES
from auditor.lab.shop import SHIPPING
from auditor.lab.store import CATALOGUE, Session
from auditor.lab.switches import SwitchError, Switches

from .labkit import http

TRACKING = "/integration-type/system/scrippet-notification/{store}"


def api(lab: Lab, method: str, path: str, *, key: str | None = None, body: Any = None) -> tuple[int, Any]:
    """One request to the API stand-in, as the auditor's process makes it (loopback, no .test host)."""
    conn = HTTPConnection("127.0.0.1", lab.port, timeout=5)
    headers = {"Authorization": f"apiKey {key or lab.api_key}"}
    data = None if body is None else json.dumps(body).encode()
    try:
        conn.request(method, "/connectif-api" + path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def track(lab: Lab, purchase_id: str, *, page: str, store: str = STORE_ID) -> dict[str, Any]:
    """What Connectif's script posts from `page` carrying one purchase; returns the recorded entry."""
    body = {
        "entityInfo": {"primaryKey": "buyer@example.com"},
        "events": [
            {"type": "purchase", "purchase": {"purchaseId": purchase_id, "totalPrice": 9.5, "products": []}}
        ],
        "browserInfo": {"url": page},
    }
    conn = HTTPConnection("127.0.0.1", lab.port, timeout=5)
    try:
        conn.request(
            "POST",
            TRACKING.format(store=store),
            body=json.dumps(body).encode(),
            headers={"Host": f"eu8-api.connectif.cloud:{lab.port}", "Content-Type": "text/plain"},
        )
        assert conn.getresponse().status == 200  # accepted, whatever happens to it next
    finally:
        conn.close()
    return lab.events()[-1]


def test_purchases_from_an_authorised_domain_are_stored_the_others_discarded(lab: Lab) -> None:
    kept = track(lab, "KEEP-1", page=lab.url("shop.test", "/order/confirmation/KEEP-1"))
    dropped = track(lab, "DROP-1", page=lab.url("www.shop.test", "/order/confirmation/DROP-1"))
    assert kept["discarded"] == []
    assert dropped["discarded"] == [f"www.shop.test is not an authorised domain of store {STORE_ID}"]
    stored = lab.purchases_api.stored()
    assert "KEEP-1" in stored and "DROP-1" not in stored
    assert stored["KEEP-1"]["contactEmail"] == "buyer@example.com"


def test_storage_is_asynchronous(lab: Lab) -> None:
    lab.purchases_api.create({"purchaseId": "SLOW-1", "products": []}, delay_ms=30_000)
    lab.purchases_api.create({"purchaseId": "FAST-1", "products": []}, delay_ms=0)
    assert api(lab, "GET", "/purchases/purchase-id/SLOW-1")[0] == 404  # stored, not visible yet
    status, found = api(lab, "GET", "/purchases/purchase-id/FAST-1")
    assert status == 200 and found["purchaseId"] == "FAST-1" and found["createdAt"]


def test_another_stores_purchases_go_to_that_account(lab: Lab) -> None:
    entry = track(lab, "OTHER-1", page=lab.url("shop.test", "/"), store=STORE_ID_OTHER)
    assert entry["discarded"] == [] and entry["store_id"] == STORE_ID_OTHER
    assert "OTHER-1" in lab.purchases_api.stored(STORE_ID_OTHER)
    assert "OTHER-1" not in lab.purchases_api.stored()
    lab.purchases_api.create({"purchaseId": "OTHER-1", "products": []}, store=STORE_ID_OTHER)
    assert api(lab, "GET", "/purchases/purchase-id/OTHER-1")[0] == 404  # the lab key sees its own store


def test_the_cdn_serves_the_other_stores_script_pointing_at_its_own_endpoint(lab: Lab) -> None:
    status, body = http(lab, "GET", "cdn.connectif.cloud", f"/eu8/client-script/{STORE_ID_OTHER}")
    assert status == 200 and f"scrippet-notification/{STORE_ID_OTHER}" in body


def test_keys_and_the_purchases_permission(lab: Lab) -> None:
    assert api(lab, "GET", "/purchases/purchase-id/x", key="someone:else")[0] == 401
    assert api(lab, "GET", "/purchases/purchase-id/x", key=LAB_API_KEY_NO_PURCHASES)[0] == 403
    keys = [r["key"] for r in lab.api_requests()[-2:]]
    assert keys == ["wrong", "lab-no-purchases"]
    assert not any("someone" in json.dumps(r) for r in lab.api_requests())


def test_post_purchases_stores_the_first_purchase_of_an_id(lab: Lab) -> None:
    status, created = api(
        lab, "POST", "/purchases/", body={"purchaseId": "API-1", "totalPrice": 5, "products": []}
    )
    assert status == 201 and created["purchaseId"] == "API-1"
    api(lab, "POST", "/purchases/", body={"purchaseId": "API-1", "totalPrice": 99, "products": []})
    assert api(lab, "GET", "/purchases/purchase-id/API-1")[1]["totalPrice"] == 5
    assert api(lab, "POST", "/purchases/", body={"totalPrice": 5})[0] == 400


def test_the_request_log_is_served_and_reset(lab: Lab) -> None:
    api(lab, "GET", "/purchases/purchase-id/LOGGED-1")
    status, log = api(lab, "GET", "/__lab/requests")
    assert status == 200 and log[-1]["purchase_id"] == "LOGGED-1" and log[-1]["status"] == 404
    fresh = Lab().start()
    try:
        api(fresh, "GET", "/purchases/purchase-id/x")
        fresh.reset()
        assert fresh.api_requests() == []
    finally:
        fresh.stop()


def test_the_rate_limit_answers_429_with_retry_after(lab: Lab) -> None:
    lab.purchases_api.rate_limit(2, window_s=60)
    try:
        statuses = [api(lab, "GET", f"/purchases/purchase-id/RL-{i}")[0] for i in range(4)]
    finally:
        lab.purchases_api.rate_limit(None)
    assert statuses == [404, 404, 429, 429]
    assert all(r["retry_after"] for r in lab.api_requests()[-2:])


def _paid(lab: Lab, *faults: str) -> str:
    """An order placed and paid with these faults, the way a platform settles it (no browser)."""
    session = Session(key="s", switches=Switches(faults=frozenset(faults)), cart={"keyboard": 1})
    order = lab.store.create_order(session, "buyer@example.com")
    payment = lab.store.create_payment(order, prefix="t_", success_url="http://shop.test/ok", failure_url="x")
    lab.store.settle(payment, "paid")
    return order.ref


def test_api_sync_stores_the_paid_order_from_the_shops_server(lab: Lab) -> None:
    ref = _paid(lab, "api-sync")
    stored = lab.purchases_api.stored()[ref]
    assert stored["totalPrice"] == float(CATALOGUE["keyboard"].price) and stored["totalQuantity"] == 1
    shipping = _paid(lab, "api-sync-total")
    assert lab.purchases_api.stored()[shipping]["totalPrice"] == float(CATALOGUE["keyboard"].price + SHIPPING)
    assert _paid(lab) not in lab.purchases_api.stored()  # no sync without the fault


def test_unauthorised_domain_moves_the_shop_to_www(lab: Lab) -> None:
    conn = HTTPConnection("127.0.0.1", lab.port, timeout=5)
    try:
        conn.request(
            "GET", "/?fault=unauthorised-domain&platform=stripe", headers={"Host": f"shop.test:{lab.port}"}
        )
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.status == 302
    location = response.getheader("Location") or ""
    assert (
        location.startswith(f"http://www.shop.test:{lab.port}/?") and "fault=unauthorised-domain" in location
    )
    status, body = http(lab, "GET", "www.shop.test", "/")
    assert status == 200 and "Ultrabook 14" in body


def test_api_delay_switch() -> None:
    assert Switches().api_delay_ms == 1000
    assert Switches().updated({"api_delay_ms": ["2500"]}).as_dict()["api_delay_ms"] == 2500
    for bad in ("-1", "x", "30001"):
        with pytest.raises(SwitchError):
            Switches().updated({"api_delay_ms": [bad]})


def test_the_banner_names_the_api_stand_in_and_its_key(lab: Lab) -> None:
    text = "\n".join(banner(lab))
    assert f"{lab.api_url}  (key {lab.api_key})" in text
    assert lab.api_url == f"http://127.0.0.1:{lab.port}/connectif-api"
