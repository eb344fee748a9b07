"""The REST API client against real loopback servers: the lab's stand-in, a silent socket, a closed port."""

from __future__ import annotations

import itertools
import socket
import time

import pytest

from auditor.connectif.api import ApiRefused, ApiUnreachable, ConnectifApi, lookups
from auditor.lab import Lab
from auditor.lab.connectif_api import LAB_API_KEY_NO_PURCHASES

SECRET = "keyid-77:do-not-print-this-secret"


def test_found_and_missing_with_the_id_encoded(lab: Lab) -> None:
    odd = "WEB/2024 #7?ñ"
    lab.purchases_api.create({"purchaseId": odd, "totalPrice": 12.5, "totalQuantity": 2, "products": []})
    with ConnectifApi(lab.api_url, lab.api_key) as api:
        found = api.get_purchase(odd)
        missing = api.get_purchase("WEB")  # the part before the slash is another id
    assert found.found and found.purchase is not None and found.purchase["purchaseId"] == odd
    assert found.purchase["totalPrice"] == 12.5 and "id" in found.purchase  # the API adds its own id
    assert missing.missing
    asked = [r for r in lab.api_requests() if r.get("purchase_id") in (odd, "WEB")]
    assert [r["purchase_id"] for r in asked] == [odd, "WEB"]
    assert all(r["key"] == "lab" for r in asked)


def test_a_wrong_key_is_refused_with_the_fix_and_without_the_key(lab: Lab) -> None:
    key_source = "connectif.api.key (shop.yaml:7)"
    with (
        ConnectifApi(lab.api_url, SECRET, key_source=key_source) as api,
        pytest.raises(ApiRefused) as refused,
    ):
        api.get_purchase("x")
    assert refused.value.status == 401
    assert "HTTP 401" in refused.value.message and f"check {key_source}." in refused.value.message
    assert "do-not-print" not in str(refused.value) and "keyid-77" not in str(refused.value)
    assert lab.api_requests()[-1]["key"] == "wrong"  # the stand-in keeps no key either


def test_a_key_without_purchases_is_refused_with_403(lab: Lab) -> None:
    with ConnectifApi(lab.api_url, LAB_API_KEY_NO_PURCHASES) as api, pytest.raises(ApiRefused) as refused:
        api.get_purchase("x")
    assert refused.value.status == 403 and "permission" in refused.value.message


@pytest.mark.parametrize("key", ["", "kid:zq9 xw", "kid:zq9xw\nX-Evil: 1", "kid:zq9éxw"])
def test_a_key_that_cannot_be_sent_is_refused_before_any_request(lab: Lab, key: str) -> None:
    before = len(lab.api_requests())
    with pytest.raises(ApiRefused) as refused:
        ConnectifApi(lab.api_url, key)
    if key:
        assert "zq9" not in refused.value.message and "kid" not in refused.value.message
    assert len(lab.api_requests()) == before


def test_rate_limited_answers_carry_retry_after_in_seconds_or_as_a_date(lab: Lab) -> None:
    for as_date in (False, True):
        lab.purchases_api.rate_limit(1, window_s=1.0, http_date=as_date)
        try:
            with ConnectifApi(lab.api_url, lab.api_key) as api:
                answers = [api.get_purchase(f"rl-{as_date}-{i}") for i in range(3)]
        finally:
            lab.purchases_api.rate_limit(None)
        assert [a.status for a in answers].count(429) >= 1
        limited = [a for a in answers if a.status == 429]
        for answer in limited:
            assert answer.retryable and answer.retry_after_s is not None
            assert 0 < answer.retry_after_s <= 2.0


def test_lookups_find_a_purchase_stored_late(lab: Lab) -> None:
    lab.purchases_api.create({"purchaseId": "LATE-1", "totalPrice": 1, "products": []}, delay_ms=1500)
    started = time.monotonic()
    with ConnectifApi(lab.api_url, lab.api_key) as api:
        record = lookups(api, "LATE-1", policy="required", wait_ms=10_000, started=started)
    statuses = [x.status for x in record.lookups]
    assert statuses[0] == 404 and statuses[-1] == 200 and set(statuses[:-1]) == {404}
    assert record.found_ms is not None and record.found_ms >= 1400
    times = [x.at_ms for x in record.lookups]
    assert all(b - a >= 990 for a, b in itertools.pairwise(times))  # at most once a second


def test_a_closed_port_is_unreachable(lab: Lab) -> None:
    with (
        ConnectifApi(
            f"http://127.0.0.1:{lab.closed_port}/api", SECRET, url_source="--connectif-api-url"
        ) as api,
        pytest.raises(ApiUnreachable) as e,
    ):
        api.get_purchase("x")
    assert "could not be reached" in e.value.message and "refused" in e.value.message.lower()
    # The fix names where the URL was set, and what else keeps a machine from an API.
    assert "Check --connectif-api-url: Connectif's own is https://api.connectif.cloud" in e.value.message
    assert "firewall" in e.value.message
    assert "do-not-print" not in e.value.message


def test_a_server_that_never_answers_times_out() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # connections are accepted by the kernel; nothing ever answers
    try:
        port = silent.getsockname()[1]
        with ConnectifApi(f"http://127.0.0.1:{port}", SECRET, timeout=0.5) as api:
            started = time.monotonic()
            with pytest.raises(ApiUnreachable) as e:
                api.get_purchase("x")
        assert "did not answer within 0.5 s" in e.value.message
        assert time.monotonic() - started < 5
    finally:
        silent.close()


def test_a_name_that_does_not_resolve_is_unreachable() -> None:
    with (
        ConnectifApi("http://no-such-host.invalid", SECRET, timeout=2) as api,
        pytest.raises(ApiUnreachable) as e,
    ):
        api.get_purchase("x")
    assert "could not be reached" in e.value.message


def test_not_an_http_url() -> None:
    with pytest.raises(ApiUnreachable):
        ConnectifApi("ftp://api.connectif.cloud", SECRET)


def test_connections_are_kept_alive_and_shared_by_threads(lab: Lab) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ConnectifApi(lab.api_url, lab.api_key, connections=4) as api, ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(api.get_purchase, [f"ka-{i}" for i in range(40)]))
    assert all(a.missing for a in answers)
