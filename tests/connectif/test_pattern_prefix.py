"""`connectif.hosts` entries are `[script:|tracking:]host[/path]`: a misspelt prefix is named, not ignored."""

from __future__ import annotations

import pytest

from auditor.connectif.patterns import classify, is_connectif_host, pattern_error


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("scrpt:cdn.example.com", "did you mean 'script:'?"),
        ("Scirpt:cdn.example.com/connectif/*", "did you mean 'script:'?"),
        ("trackng:https://t.example.com/api/**", "did you mean 'tracking:'?"),
        ("tracker:t.example.com", "did you mean 'tracking:'?"),
        ("cdn:cdn.example.com", "write script: or tracking:, or no prefix"),
    ],
)
def test_an_unknown_prefix_is_an_error_with_a_hint(text: str, hint: str) -> None:
    problem = pattern_error(text)
    assert problem is not None and hint in problem, problem
    assert (
        f"'{text.split(':')[0]}:' is not a prefix" in problem and "[script:|tracking:]host[/path]" in problem
    )


VALID = [
    "script:cdn.example.com",
    "TRACKING:t.example.com",
    "localhost:8080/connectif/*",  # a port after a host, not a prefix
    "shop:*",
    "script:localhost:8080",
    "https://t.example.com:8443/api/**",  # a scheme, not a prefix
    "tracking:http://t.example.com/x",
    "cdn.example.com:8080",
]


def test_a_bad_pattern_matches_nothing_instead_of_raising() -> None:
    # prefixes, ports and schemes stay valid
    assert [t for t in VALID if pattern_error(t) is not None] == []
    extra = ["scrpt:cdn.example.com", "script:/no-host", "tracking:t.example.com"]
    assert classify("https://cdn.example.com/x.js", extra) is None
    assert classify("https://t.example.com/x", extra, method="GET") == "tracking"
    assert not is_connectif_host("cdn.example.com", extra)
