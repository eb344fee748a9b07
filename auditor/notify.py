"""Telling people: one POST of the run's summary per webhook URL, within a deadline.

A webhook that fails costs the run nothing: the outputs are already written when it is called, the
exit status does not depend on it, and the caller shows each failed delivery as a warning. A webhook
URL is a secret (its path and query are the token), so only `mask_url`'s form of it ever leaves here.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from auditor import __version__
from auditor.compare import changed
from auditor.errors import AuditorError
from auditor.masking import MASK, mask_text
from auditor.reports.webhook import flavour_of, payload
from auditor.results import RunResult, ScenarioStatus

DEFAULT_DEADLINE_S = 15.0
MAX_ATTEMPTS = 4
FIRST_BACKOFF_S = 0.5
MIN_ATTEMPT_S = 0.25  # an attempt is not started with less time than this left before the deadline
RESPONSE_LIMIT = 64 * 1024


class NotifyOn(StrEnum):
    """When `run --notify` posts."""

    FAILURE = "failure"  # a scenario did not pass
    CHANGE = "change"  # a verdict changed against the baseline
    ALWAYS = "always"


def mask_url(url: str) -> str:
    """A webhook URL as every output shows it: scheme, host and port; the rest (the token) masked."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "?") + (f":{port}" if port else "")
    hidden = parts.path not in ("", "/") or parts.query or parts.fragment or parts.username
    return f"{parts.scheme or '?'}://{host}/" + (MASK if hidden else "")


def url_secrets(url: str) -> list[str]:
    """The parts of a webhook URL no output may hold (for masking texts that might echo them)."""
    parts = urlsplit(url)
    if not mask_url(url).endswith(MASK):
        return []  # nothing after the host: nothing secret
    pieces = [url, parts.path if parts.path not in ("", "/") else "", parts.query, parts.fragment]
    pieces += [parts.username or "", parts.password or ""]
    return [p for p in pieces if p and len(p) > 1]


def check_url(url: str) -> None:
    """Raise an AuditorError (exit 2, before anything runs) for a URL that is not http(s)://host/…."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (it raises for a port that is not a number in range)
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AuditorError(
            f"--notify {mask_url(url)} is not a webhook URL",
            tip="give the incoming webhook's http:// or https:// address (Slack, Microsoft Teams, …)",
        )


def should_notify(run: RunResult, on: NotifyOn) -> tuple[bool, str]:
    """Whether to post, and why (or why not), in words for the console."""
    if on is NotifyOn.ALWAYS:
        return True, "--notify-on always"
    if on is NotifyOn.FAILURE:
        bad = sum(1 for s in run.scenarios if s.status is not ScenarioStatus.PASS)
        return (True, f"{bad} scenario(s) did not pass") if bad else (False, "every scenario passed")
    if run.baseline is None:
        return False, "no baseline to compare with"
    return (True, "verdicts changed") if changed(run.baseline) else (False, "no verdict changed")


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """What happened to one webhook: its masked URL, the answer, the attempts made."""

    url: str  # masked
    ok: bool
    status: int | None
    attempts: int
    problem: str | None = None  # masked


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is not followed: the token would travel to another address."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirects)


def _retryable(status: int) -> bool:
    return status >= 500 or status == 429


def _basic_auth(url: str) -> tuple[str, dict[str, str]]:
    """A URL with `user:password@` → the URL without them, and the Authorization header they stand for.

    urllib would take `user:password@host` for the host name.
    """
    parts = urlsplit(url)
    if parts.username is None:
        return url, {}
    import base64
    from urllib.parse import unquote, urlunsplit

    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    netloc = parts.netloc.rsplit("@", 1)[1]
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}


def post(
    url: str,
    body: bytes,
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
    stop: threading.Event | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> Delivery:
    """POST JSON to url; retry 5xx, 429 and broken connections with back-off, all within deadline_s."""
    stop = stop or threading.Event()
    secrets = url_secrets(url)
    shown = mask_url(url)
    target, credentials = _basic_auth(url)
    deadline = time.monotonic() + deadline_s
    backoff = FIRST_BACKOFF_S
    status: int | None = None
    problem = "not attempted"
    attempts = 0
    while attempts < max_attempts:
        remaining = deadline - time.monotonic()
        attempts += 1
        request = urllib.request.Request(
            target,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"checkout-auditor/{__version__}",
                **credentials,
            },
        )
        retry = False
        try:
            with _opener().open(request, timeout=remaining) as response:
                status = response.status
                response.read(RESPONSE_LIMIT)
            return Delivery(url=shown, ok=True, status=status, attempts=attempts)
        except urllib.error.HTTPError as exc:
            status = exc.code
            problem = f"HTTP {exc.code}" + (f" {exc.reason}" if exc.reason else "")
            if 300 <= exc.code < 400:
                problem += " (a redirect; webhooks are not followed)"
            retry = _retryable(exc.code)
        except TimeoutError:
            status, problem = None, f"no answer within {deadline_s:g} s"
        except urllib.error.URLError as exc:
            status = None
            if isinstance(exc.reason, TimeoutError):
                problem = f"no answer within {deadline_s:g} s"
            else:
                problem = f"cannot connect: {exc.reason}"
                retry = True
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            status, problem, retry = None, f"the connection broke: {exc}", True
        except Exception as exc:  # a webhook must never cost the run: say what went wrong instead
            status, problem = None, f"{type(exc).__name__}: {exc}"
        if not retry:
            break
        # Back off, doubling; give up when the next attempt would start too close to the deadline
        # to get an answer. A stop (Ctrl-C) ends the wait at once.
        if time.monotonic() + backoff > deadline - MIN_ATTEMPT_S or stop.wait(backoff):
            break
        backoff *= 2
    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}" if attempts > 1 else ""
    return Delivery(
        url=shown, ok=False, status=status, attempts=attempts, problem=mask_text(problem + tries, secrets)
    )


def notify(
    urls: Sequence[str],
    run: RunResult,
    *,
    env: Mapping[str, str],
    deadline_s: float = DEFAULT_DEADLINE_S,
    stop: threading.Event | None = None,
) -> list[Delivery]:
    """One POST per URL with the run's summary (`text` in the receiver's flavour); never raises."""
    deliveries = []
    for url in urls:
        body = json.dumps(payload(run, flavour_of(url), env), ensure_ascii=False).encode("utf-8")
        deliveries.append(post(url, body, deadline_s=deadline_s, stop=stop))
    return deliveries
