"""One host-matching rule for the engine and the report."""

from __future__ import annotations

import re

import pytest

from auditor.hosts import host_mapping, host_matches, host_of, host_pattern


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("shop.test=127.0.0.1", ("shop.test", "127.0.0.1")),
        (" Shop.Test = 127.0.0.1 ", ("shop.test", "127.0.0.1")),
        ("*.bank.test=10.0.0.2", ("*.bank.test", "10.0.0.2")),
        ("pay.test=::1", ("pay.test", "::1")),
    ],
)
def test_a_host_mapping_from_a_command_line(text: str, expected: tuple[str, str]) -> None:
    assert host_mapping(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("shop.test", "is not NAME=IP"),
        ("=127.0.0.1", "is not NAME=IP"),
        ("shop.test=", "is not NAME=IP"),
        ("shop.test=localhost", "'localhost' is not an IP address"),
        ("shop.test=1.2.3", "'1.2.3' is not an IP address"),
        ("https://shop.test=127.0.0.1", "is not a host name"),
        ("shop.test:8000=127.0.0.1", "is not a host name"),
    ],
)
def test_a_bad_host_mapping_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        host_mapping(text)


def test_the_command_line_and_a_scenario_share_one_rule_for_host_names() -> None:
    from pydantic import ValidationError

    from auditor.scenario.model import Scenario

    for bad in ("https://shop.test", "shop.test:8000", "shop test"):
        with pytest.raises(ValueError):
            host_pattern(bad)
        with pytest.raises(ValidationError, match="is not a host name"):
            Scenario.model_validate({"name": "x", "hosts": {bad: "127.0.0.1"}, "steps": [{"goto": "/"}]})
