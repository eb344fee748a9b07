"""confirmation_url patterns: Playwright's URL glob rules, `re:` regexes, resolution against base_url."""

from __future__ import annotations

import pytest

from auditor.checks.urlglob import glob_to_regex, pattern_error, resolve_glob, url_matches

# glob, url, match: the same answers as Playwright 1.5x's own globToRegexPattern (checked once with node).
PLAYWRIGHT = [
    ("**/order/confirmation/**", "http://shop.test:8000/order/confirmation/42", True),
    ("**/order/*", "http://s/order/1/2", False),
    ("**/order/*", "http://s/order/1", True),
    ("http://s/**/x", "http://s/x", True),
    ("http://s/**/x", "http://s/a/b/x", True),
    ("**/*.{png,jpg}", "http://s/a/b.png", True),
    ("**/*.{png,jpg}", "http://s/a/b.gif", False),
    ("**/a?b", "http://s/a?b", True),  # ? is literal since Playwright 1.52
    ("**/a?b", "http://s/axb", False),
    ("**/thanks", "http://s/thanks?order=1", False),  # the whole URL must match
    ("**/thanks*", "http://s/thanks?order=1", True),
    ("**/thanks?*", "http://s/thanks?order=1", True),
    ("http://s/a\\*b", "http://s/a*b", True),
    ("http://s/a\\*b", "http://s/axb", False),
    ("**/o[1]", "http://s/o[1]", True),
    ("**/a,b", "http://s/a,b", True),
    ("**/{a,b}/c", "http://s/b/c", True),
    ("http://s/**", "http://s/", True),
    ("*/x", "a/x", True),
    ("**", "anything/at/all", True),
    ("http://s/ok#top", "http://s/ok#top", True),
    ("**/a+b", "http://s/a+b", True),
    ("**/a+b", "http://s/aab", False),
    ("http://s/*", "http://s/a/b", False),
]


@pytest.mark.parametrize(("glob", "url", "match"), PLAYWRIGHT)
def test_glob_matches_like_playwright(glob: str, url: str, match: bool) -> None:
    assert url_matches(glob, url) is match


def test_glob_regex_tokens() -> None:
    assert glob_to_regex("**/a/*.{x,y}") == r"^(.*/)a/([^/]*)\.(x|y)$"
    assert glob_to_regex("/**/") == "^/((.+/)|)$"


@pytest.mark.parametrize(
    ("glob", "problem"), [("**/{a", "unmatched '{'"), ("**/a}", "unmatched '}'"), ("{a,{b}}", "nested")]
)
def test_invalid_globs(glob: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        glob_to_regex(glob)
    assert problem in (pattern_error(glob) or "")


@pytest.mark.parametrize(
    ("pattern", "url", "match"),
    [
        ("re:/order/confirmation/[0-9]+", "http://s/order/confirmation/42?x=1", True),  # searched anywhere
        ("re:^https://", "http://s/order", False),
        ("re:CONFIRM", "http://s/confirm", False),
    ],
)
def test_regex_patterns(pattern: str, url: str, match: bool) -> None:
    assert url_matches(pattern, url) is match


def test_invalid_regex() -> None:
    assert pattern_error("re:(") is not None
    assert pattern_error("re:ok") is None and pattern_error("**/ok") is None


@pytest.mark.parametrize(
    ("glob", "base", "resolved"),
    [
        ("/order/*", "http://shop.test:8000/shop/", "http://shop.test:8000/order/*"),
        ("order/*", "http://shop.test:8000/shop/", "http://shop.test:8000/shop/order/*"),
        ("**/order", "http://shop.test/", "**/order"),  # starts with *: left alone
        ("http://other.test/x/*", "http://shop.test/", "http://other.test/x/*"),
        ("http://other.test", "http://shop.test/", "http://other.test/"),
        ("/a/{b,c}/d", "http://shop.test/", "http://shop.test/a/{b,c}/d"),
        ("/order/*", None, "/order/*"),
    ],
)
def test_resolve_against_base_url(glob: str, base: str | None, resolved: str) -> None:
    assert resolve_glob(glob, base) == resolved


def test_relative_glob_matches_with_base_url() -> None:
    assert url_matches("/order/*", "http://shop.test:8000/order/42", "http://shop.test:8000/")
    assert not url_matches("/order/*", "http://other.test/order/42", "http://shop.test:8000/")
