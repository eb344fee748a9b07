"""Recognising Connectif's script and tracking URLs, built in and from the scenario's extra patterns."""

from __future__ import annotations

import pytest

from auditor.connectif.patterns import classify, parse_pattern, pattern_error


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://cdn.connectif.cloud/eu8/client-script/0a1b-2c", "script"),
        ("http://cdn.connectif.cloud:8443/cl1/client-script/abc?v=2", "script"),
        ("https://CDN.Connectif.Cloud/eu8/client-script/x", "script"),
        ("https://eu5-api.connectif.cloud/integration-type/system/scrippet-notification/abc", "tracking"),
        (
            "https://eu6-api.connectif.cloud:443/integration-type/system/scrippet-notification/abc?eventId=1",
            "tracking",
        ),
        ("https://cdn.connectif.cloud/scripts/service-worker.js", None),
        ("https://cdn.connectif.cloud/eu8/client-script/", None),
        ("https://api.connectif.cloud/purchases/", None),
        ("https://evil.test/eu8/client-script/x", None),
        ("https://cdn.connectif.cloud.evil.test/eu8/client-script/x", None),
        ("https://webhook-api.connectif.cloud/1/custom-events/alias/a", None),
        ("not a url", None),
    ],
)
def test_builtin_patterns(url: str, kind: str | None) -> None:
    assert classify(url) == kind


def test_extra_host_glob_takes_kind_from_path_or_method() -> None:
    extra = ["*.connectif.test"]
    assert classify("http://cdn.connectif.test:8001/eu8/client-script/1", extra) == "script"
    assert classify("http://eu5-api.connectif.test/x/scrippet-notification/1", extra) == "tracking"
    assert classify("http://proxy.connectif.test/anything", extra, method="POST") == "tracking"
    assert classify("http://proxy.connectif.test/anything.js", extra, method="GET") == "script"
    assert classify("http://connectif.test/eu8/client-script/1", extra) is None  # *. needs a subdomain
    assert classify("http://other.test/eu8/client-script/1", extra) is None


def test_extra_pattern_with_path_glob_and_kind() -> None:
    extra = ["script:cdn.example.com/connectif/*", "tracking:https://t.example.com:9000/**"]
    assert classify("https://cdn.example.com/connectif/loader.js", extra) == "script"
    assert classify("https://cdn.example.com/connectif/a/loader.js", extra) is None  # * stays in a segment
    assert classify("https://cdn.example.com/other/loader.js", extra) is None
    assert classify("http://t.example.com/a/b/c", extra, method="GET") == "tracking"


def test_pattern_parsing() -> None:
    pattern = parse_pattern("tracking:HTTPS://Track.Example.com:8080/api/**")
    assert pattern.kind == "tracking"
    assert pattern.host.fullmatch("track.example.com")
    assert pattern.path is not None and pattern.path.fullmatch("/api/x/y")
    assert parse_pattern("cdn.example.com/").path is None


@pytest.mark.parametrize(("text", "ok"), [("*.connectif.cloud", True), ("script:/x", False), ("", False)])
def test_pattern_error(text: str, ok: bool) -> None:
    assert (pattern_error(text) is None) is ok
