"""The pieces that keep a verdict honest, without a browser: which names a shared browser may block,
what a network error's fix is, where a step is, DevTools events in either order, and output modes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.engine.executor import blocked_names
from auditor.engine.observe import Recorder
from auditor.engine.run import blocked_url_pattern
from auditor.hosts import closest_mapped, unreachable, unreachable_fix
from auditor.observation import step_place

LAB = {"shop.test": "127.0.0.1", "cdn.connectif.cloud": "127.0.0.1", "eu8-api.connectif.cloud": "127.0.0.1"}


def test_a_scenario_shares_the_browser_only_when_blocking_the_others_names_is_the_same_as_alone() -> None:
    shared = {**LAB, "checkout.stripe.test": "127.0.0.1", "sis-t.redsys.test": "127.0.0.1"}
    own = {**LAB, "checkout.stripe.test": "127.0.0.1"}
    assert blocked_names(own, shared) == ("sis-t.redsys.test",)
    assert blocked_names(shared, shared) == ()
    # A name DNS might resolve: blocking it would change the verdict; the scenario gets its own browser.
    assert blocked_names(own, {**own, "pay.example.com": "10.0.0.1"}) is None
    # Overlapping patterns: Chromium's rule order, not the scenario, would decide.
    assert (
        blocked_names(
            {"acs.bank.test": "127.0.0.1"}, {"acs.bank.test": "127.0.0.1", "*.bank.test": "10.0.0.2"}
        )
        is None
    )
    assert (
        blocked_names({"*.bank.test": "127.0.0.1"}, {"*.bank.test": "127.0.0.1", "acs.bank.test": "10.0.0.2"})
        is None
    )
    assert blocked_names({"shop.test": "10.0.0.9"}, shared) is None  # mapped differently


def test_the_blocked_url_pattern_matches_those_hosts_only() -> None:
    pattern = blocked_url_pattern(("sis-t.redsys.test", "*.bank.test"))
    for url in (
        "http://sis-t.redsys.test/pay",
        "https://sis-t.redsys.test:8443/x?y=1",
        "http://acs.bank.test",
        "http://bank.test/",
        "http://user@acs.bank.test/3ds",
    ):
        assert pattern.search(url), url
    for url in (
        "http://shop.test/?next=http://sis-t.redsys.test/",
        "http://sis-t.redsys.test.evil.test/",
        "http://xsis-t.redsys.test/",
        "http://notbank.test/",
        "http://shop.test/sis-t.redsys.test",
    ):
        assert not pattern.search(url), url


@pytest.mark.parametrize(
    ("index", "place"),
    [
        ("4", "steps[4]"),
        ("4.1", "steps[4].pay.steps[1]"),
        ("4.submit", "steps[4].pay.submit"),
        ("4.return", "steps[4].pay.return.click"),
    ],
)
def test_a_step_index_is_named_as_load_errors_name_it(index: str, place: str) -> None:
    assert step_place(index) == place


def test_network_errors_are_told_from_the_others() -> None:
    for error in (
        "net::ERR_NAME_NOT_RESOLVED",
        "net::ERR_CONNECTION_REFUSED",
        "net::ERR_CERT_AUTHORITY_INVALID",
    ):
        assert unreachable(error)
    for error in ("net::ERR_ABORTED", "net::ERR_BLOCKED_BY_CLIENT", "net::ERR_TOO_MANY_REDIRECTS", None, ""):
        assert not unreachable(error)


def test_each_network_error_gets_its_fix() -> None:
    typo = unreachable_fix("shop.test", "net::ERR_NAME_NOT_RESOLVED", {"shop.tset": "127.0.0.1"})
    assert "`hosts:` maps shop.tset, not shop.test" in typo and "misspelt" in typo
    assert (
        closest_mapped("shop.test", {"shop.tset": "127.0.0.1", "cdn.connectif.cloud": "1.2.3.4"})
        == "shop.tset"
    )
    missing = unreachable_fix("pay.test", "net::ERR_NAME_NOT_RESOLVED", {"shop.test": "127.0.0.1"})
    assert "add it to the scenario's `hosts:`" in missing and "pay.test: 127.0.0.1" in missing
    dns = unreachable_fix("www.shop-staging.com", "net::ERR_NAME_NOT_RESOLVED", {})
    assert "DNS does not know www.shop-staging.com" in dns
    refused = unreachable_fix("pay.test", "net::ERR_CONNECTION_REFUSED", {"pay.test": "127.0.0.1"}, 8443)
    assert "nothing accepts connections at pay.test:8443" in refused and "down" in refused
    assert "maps it to 127.0.0.1" in refused
    cert = unreachable_fix("pay.test", "net::ERR_CERT_AUTHORITY_INVALID", {})
    assert "ignore_https_errors" in cert


def _recorder() -> Recorder:
    return Recorder(started=time.monotonic(), connectif_hosts=(), intercept=False)


def _request(request_id: str, url: str, **more: object) -> dict[str, object]:
    return {
        "requestId": request_id,
        "type": "Document",
        "frameId": "F",
        "request": {"url": url, "method": "GET"},
        **more,
    }


def _extra(request_id: str, *names: str, blocked: str = "") -> dict[str, object]:
    cookies: list[dict[str, object]] = [{"cookie": {"name": n}, "blockedReasons": []} for n in names]
    if blocked:
        cookies.append({"cookie": {"name": blocked}, "blockedReasons": ["SameSiteLax"]})
    return {"requestId": request_id, "associatedCookies": cookies}


@pytest.mark.parametrize("extra_first", [False, True])
def test_the_cookies_a_document_carried_are_kept_whichever_devtools_event_comes_first(
    extra_first: bool,
) -> None:
    rec = _recorder()
    events = [
        (rec.document_requested, _request("R1", "http://shop.test/cart")),
        (rec.request_extra_info, _extra("R1", "shop_session", blocked="cart")),
    ]
    for handler, event in reversed(events) if extra_first else events:
        handler(event)
    chain = rec.documents["R1"]
    assert chain.cookies_sent == ["shop_session"]
    assert chain.cookies_blocked == {"cart": ["SameSiteLax"]}
    assert rec.early_extra == {}


def test_early_extra_info_of_requests_that_are_not_pages_is_not_kept() -> None:
    rec = _recorder()
    for n in range(2000):  # images, scripts: their extra info comes, their requests are ignored
        rec.request_extra_info(_extra(f"S{n}", "shop_session"))
        rec.document_requested({**_request(f"S{n}", "http://shop.test/a.png"), "type": "Image"})
    assert rec.early_extra == {} and rec.documents == {}
    for n in range(2000):  # and never more than a bounded number waits for its request
        rec.request_extra_info(_extra(f"L{n}", "x"))
    assert len(rec.early_extra) <= 500


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the umask from /proc")
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_get_the_mode_of_any_new_file(tmp_path: Path, umask: int, mode: int) -> None:
    code = (
        "import os, sys; from pathlib import Path; from auditor.results import write_atomic; "
        f"os.umask({umask}); write_atomic(Path(sys.argv[1]), 'x')"
    )
    target = tmp_path / "results.json"
    subprocess.run([sys.executable, "-c", code, str(target)], check=True)
    assert os.stat(target).st_mode & 0o777 == mode
