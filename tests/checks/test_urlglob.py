"""confirmation_url patterns: Playwright's URL glob rules, `re:` regexes, resolution against base_url.

Each table runs through the matcher in use (Playwright's own) and through the port kept as its fallback.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from playwright._impl.isomorphic.url_match import resolve_glob_base

from auditor.checks.urlglob import glob_to_regex, pattern_error, port_url_matches, resolve_glob, url_matches

MATCHERS = pytest.mark.parametrize("matches", [url_matches, port_url_matches], ids=["playwright", "port"])
Matcher = Callable[..., bool]

# glob, url, match: the same answers as Playwright's own globToRegexPattern (checked once with node).
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


@MATCHERS
@pytest.mark.parametrize(("glob", "url", "match"), PLAYWRIGHT)
def test_glob_matches_like_playwright(matches: Matcher, glob: str, url: str, match: bool) -> None:
    assert matches(glob, url) is match


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
@MATCHERS
def test_regex_patterns(matches: Matcher, pattern: str, url: str, match: bool) -> None:
    assert matches(pattern, url) is match


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


@MATCHERS
def test_relative_glob_matches_with_base_url(matches: Matcher) -> None:
    assert matches("/order/*", "http://shop.test:8000/order/42", "http://shop.test:8000/")
    assert not matches("/order/*", "http://other.test/order/42", "http://shop.test:8000/")


# glob, base: the port resolves these exactly as the installed Playwright does.
RESOLVED_LIKE_PLAYWRIGHT = [
    ("/order/*", "http://shop.test:80/"),
    ("/order/*", "https://shop.test:443/"),
    ("/café/*", "http://shop.test/"),
    ("/x y/*", "http://shop.test/"),
    ("HTTP*://SHOP.test/*", None),
    ("http://SHOP.test:80/a/*", None),
    ("{http,https}://Shop.Test/*", None),
    ("/thanks?order=*", "http://shop.test/"),
    ("/a/../b/*", "https://shop.test:443/x/"),
    ("/o\\\\?x", "http://s/"),
    ("about:blank", "http://s/"),
    ("http://[::1]:80/x/*", None),
]


@pytest.mark.parametrize(("glob", "base"), RESOLVED_LIKE_PLAYWRIGHT)
def test_the_port_resolves_like_playwright(glob: str, base: str | None) -> None:
    assert resolve_glob(glob, base) == resolve_glob_base(base, glob)


# Playwright's internals made unimportable, as on a Playwright whose url_match module moved.
WITHOUT_PLAYWRIGHT_MATCHER = """
import sys
class Moved:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("playwright._impl.isomorphic"):
            raise ImportError(name)
sys.meta_path.insert(0, Moved())
from auditor.checks import urlglob
print(urlglob.MATCHER, urlglob.url_matches("/order/*", "http://shop.test/order/1", "http://shop.test:80/"))
print(urlglob.pattern_error("**/{a"))
"""


def test_the_port_answers_when_playwrights_matcher_cannot_be_imported() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PLAYWRIGHT_MATCHER], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == ["port True", "invalid glob '**/{a': unmatched '{'"]
