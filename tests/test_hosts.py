"""One host-matching rule for the engine and the report."""

from __future__ import annotations

from auditor.hosts import host_matches, host_of


def test_wildcards_match_the_name_and_every_name_below_it() -> None:
    assert host_matches("acs.bank.test", ["*.bank.test"])
    assert host_matches("a.b.bank.test", ["*.bank.test"])
    assert host_matches("bank.test", ["*.bank.test"])
    assert not host_matches("evilbank.test", ["*.bank.test"])
    assert not host_matches("bank.test.evil", ["*.bank.test"])


def test_names_are_compared_without_case_or_a_trailing_dot() -> None:
    assert host_matches("PAY.test", ["pay.test"])
    assert host_matches("pay.test.", ["PAY.TEST"])
    assert not host_matches("pay.test", ["pay.example"])


def test_host_of_takes_http_urls_only() -> None:
    assert host_of("https://Shop.Test:8443/cart?x=1") == "shop.test"
    assert host_of("chrome-error://chromewebdata/") == ""
    assert host_of("about:blank") == ""
    assert host_of("http://[::1") == ""
