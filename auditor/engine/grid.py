"""Chromium from a Selenium Grid 4: one WebDriver session per worker, driven over its DevTools endpoint.

Playwright has its own way to a grid: with SELENIUM_REMOTE_URL in the environment of its driver
process, `chromium.launch()` asks the grid for a session and connects to the session's `se:cdp`
endpoint. The auditor takes the same three steps itself (POST /session, `connect_over_cdp(se:cdp)`,
DELETE /session/<id>) because Playwright's way does not fit a run with several workers:

- the variables are read by the Node.js driver, whose environment is a copy of os.environ taken when
  `sync_playwright()` starts it: a value per worker (or per run, in a pytest process whose own
  pytest-playwright browsers must stay local) means changing the process-wide environment around
  each start, for every thread of the process;
- capabilities from SELENIUM_REMOTE_CAPABILITIES replace Playwright's `goog:chromeOptions` as a whole,
  so user options there drop the host mapping and headless mode; here the arguments are merged;
- `browser.close()` returns before the driver's DELETE of the session has finished, and stopping
  Playwright then sends a second DELETE, which the grid forwards to a chromedriver that has quit and
  which waits 30 s (measured with Selenium 4.48: `playwright.stop()` takes 30.0 s after every
  grid browser). Here the session is deleted once, synchronously, before Playwright stops;
- a grid that refuses the session reaches the caller as a launch log; here the caller gets the URL
  and the grid's own message.

Everything else (contexts, traces, videos, screenshots) is recorded on this side of the DevTools
connection, as with a local browser. The session's idle timeout on the node (`--session-timeout`,
300 s by default) counts DevTools traffic as activity (checked with 4.48).
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Browser, BrowserType
from playwright.sync_api import Error as PlaywrightError

from auditor.engine.browser import launch_args
from auditor.errors import AuditorError, GridError, first_line
from auditor.masking import shown_url

ENV_URL = "SELENIUM_REMOTE_URL"
ENV_CAPABILITIES = "SELENIUM_REMOTE_CAPABILITIES"
ENV_HEADERS = "SELENIUM_REMOTE_HEADERS"

CONNECT_TIMEOUT_S = 10.0  # reaching the grid at all
# A new-session request waits in the grid's queue until a slot frees or the grid's own
# session-request-timeout (300 s by default) answers it; this bound is only for a grid that never answers.
NEW_SESSION_TIMEOUT_S = 900.0
DELETE_TIMEOUT_S = 30.0
CDP_CONNECT_TIMEOUT_MS = 30_000
MESSAGE_LIMIT = 300  # characters of the grid's message kept in an error

# Every grid error starts with this, so that a run where no scenario got a browser can be told apart.
ERROR_PREFIX = "the Selenium Grid at "

CHROMIUM_NAMES = {"chrome": "goog:chromeOptions", "chromium": "goog:chromeOptions"}
EDGE_NAMES = {"microsoftedge": "ms:edgeOptions", "msedge": "ms:edgeOptions"}
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "auth", "credential")


@dataclass(frozen=True, kw_only=True)
class GridSettings:
    """Where the grid is, the extra capabilities to ask for, and the headers its requests carry."""

    url: str
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def display_url(self) -> str:
        """The URL without user, password or query: fit for any output."""
        return shown_url(self.url)

    def endpoint(self, path: str) -> str:
        """A path below the grid's URL (which may end in /wd/hub), without the user and password."""
        parts = urllib.parse.urlsplit(self.url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + path, "", ""))

    def request_headers(self) -> dict[str, str]:
        """The user's headers, and basic authentication from a user:password in the URL."""
        headers = dict(self.headers)
        parts = urllib.parse.urlsplit(self.url)
        if parts.username is not None and not any(k.lower() == "authorization" for k in headers):
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        return headers

    def secret_values(self) -> list[str]:
        """Values that must never reach an output: the URL's password, keys in capabilities and headers."""
        found: list[str] = []
        parts = urllib.parse.urlsplit(self.url)
        if parts.password:
            found.append(parts.password)
        found.extend(v for v in self.request_headers().values() if len(v) >= 4)
        found.extend(_secret_leaves(self.capabilities))
        return sorted(set(found), key=len, reverse=True)

    def redact(self, text: str) -> str:
        """`text` with every secret value masked."""
        for value in self.secret_values():
            text = text.replace(value, "•••")
        return text


def _secret_leaves(value: Any, secret: bool = False) -> list[str]:
    """String values under keys that name a secret (accessKey, token, password…), at any depth."""
    if isinstance(value, Mapping):
        found: list[str] = []
        for key, item in value.items():
            named = secret or any(word in str(key).lower() for word in _SECRET_WORDS)
            found.extend(_secret_leaves(item, named))
        return found
    if isinstance(value, list):
        return [leaf for item in value for leaf in _secret_leaves(item, secret)]
    return [value] if secret and isinstance(value, str) and value else []


# ---------------------------------------------------------------- options


def parse_capabilities(text: str | None, label: str = "--grid-capabilities") -> dict[str, Any]:
    """A JSON object of W3C capabilities, checked for what the auditor relies on; AuditorError if not."""
    if text is None or not text.strip():
        return {}
    example = '{"browserName": "chrome", "goog:chromeOptions": {"args": ["--lang=es"]}}'
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuditorError(
            f"{label} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            tip=f"give a JSON object in single quotes, e.g. {label} '{example}'",
        ) from None
    if not isinstance(value, dict):
        raise AuditorError(
            f"{label} must be a JSON object of capabilities, not {type(value).__name__}",
            tip=f"e.g. {label} '{example}'",
        )
    name = value.get("browserName", "chrome")
    if not isinstance(name, str) or (name.lower() not in CHROMIUM_NAMES and name.lower() not in EDGE_NAMES):
        raise AuditorError(
            f"{label}: browserName {name!r} is not a Chromium browser",
            tip='the auditor drives Chromium over DevTools: use "chrome" (the default) or "MicrosoftEdge"',
        )
    key = _options_key(value)
    options = value.get(key, {})
    if not isinstance(options, dict):
        raise AuditorError(f"{label}: {key} must be an object", tip=f"e.g. {label} '{example}'")
    args = options.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise AuditorError(f"{label}: {key}.args must be a list of strings", tip=f"e.g. {label} '{example}'")
    return value


def parse_headers(text: str | None, label: str = ENV_HEADERS) -> dict[str, str]:
    """A JSON object of header names to string values (authentication for a commercial grid)."""
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuditorError(
            f"{label} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            tip='give a JSON object of header names and values, e.g. {"Authorization": "Bearer …"}',
        ) from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise AuditorError(
            f"{label} must be a JSON object of header names and string values",
            tip='e.g. {"Authorization": "Bearer …"}',
        )
    return {str(k): v for k, v in value.items()}


def grid_settings(url: str, capabilities: str | None = None, headers: str | None = None) -> GridSettings:
    """Checked settings from the command line's text; AuditorError (exit 2) for a bad URL or JSON."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AuditorError(
            f"--grid {GridSettings(url=url).display_url or url!r} is not an http(s) URL",
            tip="give the grid's address, e.g. --grid http://selenium-hub:4444",
        )
    return GridSettings(
        url=url.strip(), capabilities=parse_capabilities(capabilities), headers=parse_headers(headers)
    )


def _options_key(capabilities: Mapping[str, Any]) -> str:
    name = str(capabilities.get("browserName", "chrome")).lower()
    return EDGE_NAMES.get(name, "goog:chromeOptions")


# ---------------------------------------------------------------- capabilities


def chromium_args(hosts: Mapping[str, str] | None, headed: bool = False) -> list[str]:
    """The switches a grid's Chromium gets: the ones every auditor Chromium gets, headless unless headed.

    `--no-sandbox` as Playwright passes it to every Chromium it launches: nodes often run as root in
    containers, where Chromium refuses to start sandboxed.
    """
    args = [] if headed else ["--headless"]
    return [*args, "--no-sandbox", *launch_args(hosts, headless=not headed)]


def session_capabilities(settings: GridSettings, args: Sequence[str]) -> dict[str, Any]:
    """The capabilities to ask for: the user's, with the auditor's arguments merged into theirs.

    The user's own arguments are kept after the auditor's; their host rules are joined to the scenario's
    (the scenario's first, which Chromium matches first) rather than one switch replacing the other.
    """
    caps: dict[str, Any] = {"browserName": "chrome", **settings.capabilities}
    key = _options_key(caps)
    options = dict(caps.get(key) or {})
    ours = list(args)
    theirs = [str(a) for a in options.get("args", [])]
    rules_prefix = "--host-resolver-rules="
    their_rules = [a[len(rules_prefix) :] for a in theirs if a.startswith(rules_prefix)]
    if their_rules:
        index = next((i for i, a in enumerate(ours) if a.startswith(rules_prefix)), None)
        if index is None:
            ours.append(rules_prefix + ", ".join(their_rules))
        else:
            ours[index] = ", ".join([ours[index], *their_rules])
    headless_given = any(a == "--headless" or a.startswith("--headless=") for a in theirs)
    if headless_given:
        ours = [a for a in ours if a != "--headless"]
    extra = [a for a in theirs if not a.startswith(rules_prefix) and a not in ours]
    options["args"] = [*ours, *extra]
    caps[key] = options
    return caps


# ---------------------------------------------------------------- talking to the grid


def _first_line(text: str) -> str:
    """The first line of a grid's message, marked when cut."""
    line = first_line(text, MESSAGE_LIMIT + 1)
    return line[:MESSAGE_LIMIT] + ("…" if len(line) > MESSAGE_LIMIT else "")


def _grid_message(body: bytes) -> str:
    """The grid's own message from a WebDriver error body, or the start of whatever it answered."""
    text = body.decode("utf-8", "replace")
    try:
        value = json.loads(text).get("value", {})
        if isinstance(value, dict) and (value.get("message") or value.get("error")):
            return _first_line(str(value.get("message") or value.get("error")))
    except (json.JSONDecodeError, AttributeError):
        pass
    return _first_line(text) or "(an empty answer)"


def call(
    settings: GridSettings, method: str, path: str, body: Any = None, timeout: float = CONNECT_TIMEOUT_S
) -> dict[str, Any]:
    """One WebDriver request to the grid; GridError naming the URL for any failure."""
    where = f"{ERROR_PREFIX}{settings.display_url}"
    data = json.dumps(body).encode("utf-8") if body is not None else None
    # The grid rejects a JSON body whose content type does not say utf-8.
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
    request = urllib.request.Request(
        settings.endpoint(path), data=data, method=method, headers={**headers, **settings.request_headers()}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        message = settings.redact(_grid_message(exc.read()))
        verb = "refused a session" if path == "/session" and method == "POST" else f"answered {method} {path}"
        raise GridError(
            f"{where} {verb} (HTTP {exc.code}): {message}", tip=_refusal_tip(exc.code, message)
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise GridError(
                f"{where} did not answer {method} {path} within {timeout:g}s",
                tip="check the grid's address and its load (its /status page)",
            ) from None
        raise GridError(
            f"{where} cannot be reached: {settings.redact(_first_line(str(reason)))}",
            tip=f"check the address and that the grid is running (curl {settings.display_url}/status)",
        ) from None
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer = None
    if not isinstance(answer, dict):
        raise GridError(
            f"{where} answered {method} {path} with something other than WebDriver JSON: "
            + settings.redact(_grid_message(raw)),
            tip="give the address of a Selenium Grid 4 (hub, router or standalone), e.g. http://host:4444",
        )
    return answer


def _refusal_tip(code: int, message: str) -> str:
    lowered = message.lower()
    if "timed out" in lowered or "timeout" in lowered:
        return (
            "every slot stayed busy for the grid's session-request-timeout: use fewer --workers "
            "than the grid has free slots, add nodes, or raise --session-request-timeout"
        )
    if code in (401, 403):
        return (
            "the grid wants credentials: put them in the URL (https://user:key@host) "
            "or in SELENIUM_REMOTE_HEADERS"
        )
    if code == 404:
        return "give the grid's base address (http://host:4444, or …/wd/hub), not a page below it"
    return "check that the grid has a Chrome/Chromium node whose stereotype matches --grid-capabilities"


@dataclass(kw_only=True)
class GridSession:
    """One session on the grid and the Playwright browser connected to its Chromium."""

    settings: GridSettings
    id: str
    capabilities: Mapping[str, Any]
    browser: Browser

    def describe(self) -> str:
        """The node's browser in words: name, version, platform."""
        caps = self.capabilities
        name = caps.get("browserName") or "browser"
        version = caps.get("browserVersion") or self.browser.version
        platform = caps.get("platformName")
        return f"{name} {version}" + (f" on {platform}" if platform else "")

    def close(self) -> None:
        """Disconnect from the browser, then delete the session once and wait for the grid's answer."""
        try:
            self.browser.close()
        except PlaywrightError:
            pass  # the node or the connection is already gone; the session is deleted all the same
        delete_session(self.settings, self.id)


def delete_session(settings: GridSettings, session_id: str) -> None:
    """Give a session back to the grid; a grid that already forgot it is fine."""
    try:
        call(settings, "DELETE", f"/session/{session_id}", timeout=DELETE_TIMEOUT_S)
    except GridError:
        pass  # gone already, or the grid went away: its own session-timeout frees the slot


def _cdp_endpoint(settings: GridSettings, capabilities: Mapping[str, Any]) -> str | None:
    """The session's DevTools endpoint; a node that names itself localhost is reached at the grid's host."""
    value = capabilities.get("se:cdp")
    if not isinstance(value, str) or not value:
        return None
    parts = urllib.parse.urlsplit(value)
    grid_host = urllib.parse.urlsplit(settings.url).hostname
    if (
        parts.hostname in ("localhost", "127.0.0.1", "0.0.0.0", "::1")
        and grid_host
        and grid_host != parts.hostname
    ):
        netloc = f"{grid_host}:{parts.port}" if parts.port else grid_host
        value = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return value


_ANSWERED: set[str] = set()  # grids that answered GET /status in this process
_ANSWERED_LOCK = threading.Lock()


def answers(settings: GridSettings) -> None:
    """GridError unless the grid answers GET /status within CONNECT_TIMEOUT_S (once per grid and process).

    A new-session request may rightly wait minutes in the grid's queue; a server that takes the
    connection and never answers anything must not hold the run for that long.
    """
    with _ANSWERED_LOCK:
        if settings.url in _ANSWERED:
            return
    call(settings, "GET", "/status")
    with _ANSWERED_LOCK:
        _ANSWERED.add(settings.url)


def request_session(
    settings: GridSettings, capabilities: Mapping[str, Any], stop: threading.Event | None = None
) -> dict[str, Any]:
    """POST /session and return the grid's `value`; a stopped run stops waiting for it at once.

    The request waits in the grid's queue while every slot is busy, so it runs in a helper thread that
    the caller stops waiting for on Ctrl-C; a session that arrives after that is deleted by the helper.
    """
    answers(settings)
    body = {"capabilities": {"alwaysMatch": dict(capabilities)}}
    outcome: dict[str, Any] = {}
    done = threading.Event()
    abandoned = threading.Event()

    def ask() -> None:
        try:
            outcome["value"] = call(settings, "POST", "/session", body, timeout=NEW_SESSION_TIMEOUT_S).get(
                "value"
            )
        except GridError as exc:
            outcome["error"] = exc
        done.set()
        value = outcome.get("value")
        if abandoned.is_set() and isinstance(value, dict) and value.get("sessionId"):
            delete_session(settings, str(value["sessionId"]))

    threading.Thread(target=ask, name="grid-new-session", daemon=True).start()
    while not done.wait(0.2):  # short waits: a Ctrl-C (stop) is noticed within a fraction of a second
        if stop is not None and stop.is_set():
            abandoned.set()
            raise GridError(
                f"interrupted: the run was stopped (Ctrl-C) while waiting for a session from "
                f"{ERROR_PREFIX}{settings.display_url}"
            )
    if "error" in outcome:
        raise outcome["error"]
    value = outcome.get("value")
    if not isinstance(value, dict) or not value.get("sessionId"):
        raise GridError(
            f"{ERROR_PREFIX}{settings.display_url} answered the new-session request without a session id",
            tip="give the address of a Selenium Grid 4 (hub, router or standalone)",
        )
    return value


def open_session(
    chromium: BrowserType,
    settings: GridSettings,
    hosts: Mapping[str, str] | None,
    *,
    headed: bool = False,
    stop: threading.Event | None = None,
) -> GridSession:
    """A new session on the grid with the auditor's switches, and Playwright connected to its Chromium."""
    capabilities = session_capabilities(settings, chromium_args(hosts, headed))
    value = request_session(settings, capabilities, stop)
    session_id = str(value["sessionId"])
    returned = value.get("capabilities") or {}
    endpoint = _cdp_endpoint(settings, returned)
    where = f"{ERROR_PREFIX}{settings.display_url}"
    if endpoint is None:
        delete_session(settings, session_id)
        raise GridError(
            f"{where} gave a session without a DevTools endpoint (no se:cdp capability)",
            tip="the auditor needs Selenium Grid 4 with CDP enabled (not --enable-cdp false) and a "
            "Chromium-based node",
        )
    try:
        browser = chromium.connect_over_cdp(
            endpoint, timeout=CDP_CONNECT_TIMEOUT_MS, headers=settings.request_headers() or None
        )
    except PlaywrightError as exc:
        delete_session(settings, session_id)
        raise GridError(
            f"{where} gave session {session_id}, but its DevTools endpoint "
            f"{settings.redact(endpoint)} could not be reached: {settings.redact(_first_line(str(exc)))}",
            tip="the grid's --external-url / --host must be an address this machine can reach",
        ) from None
    return GridSession(settings=settings, id=session_id, capabilities=returned, browser=browser)


class GridBrowsers:
    """A worker's sessions on the grid: at most one at a time, given back before another is taken.

    A worker that needs a second host mapping gives its session back first: holding two would let
    N workers on an N-slot grid wait for each other until the grid's queue gives up. Once the grid could
    not give this worker a session, the worker's later scenarios get the same error at once instead
    of queueing again.
    """

    def __init__(self, settings: GridSettings, *, headed: bool = False, stop: threading.Event | None = None):
        self.settings = settings
        self.headed = headed
        self.stop = stop
        self.current: GridSession | None = None
        self.failure: GridError | None = None

    def browser(self, chromium: BrowserType, hosts: Mapping[str, str] | None) -> Browser:
        """A browser with these host rules: a new session on the grid."""
        if self.failure is not None:
            raise self.failure
        self.close()
        try:
            self.current = open_session(chromium, self.settings, hosts, headed=self.headed, stop=self.stop)
        except GridError as exc:
            if not exc.headline.startswith("interrupted"):
                self.failure = exc
            raise
        return self.current.browser

    def close(self) -> None:
        """Give the current session back."""
        if self.current is not None:
            session, self.current = self.current, None
            session.close()


def grid_status(settings: GridSettings) -> dict[str, Any]:
    """The grid's /status value: ready, message, nodes with their slots."""
    value = call(settings, "GET", "/status").get("value")
    return value if isinstance(value, dict) else {}


def no_session_at_all(errors: Sequence[str | None]) -> bool:
    """True when every scenario's error is the grid's: not one of them got a browser."""
    return bool(errors) and all(e is not None and e.startswith(ERROR_PREFIX) for e in errors)


__all__ = [
    "ENV_CAPABILITIES",
    "ENV_HEADERS",
    "ENV_URL",
    "GridBrowsers",
    "GridError",
    "GridSession",
    "GridSettings",
    "chromium_args",
    "grid_settings",
    "grid_status",
    "no_session_at_all",
    "open_session",
    "parse_capabilities",
    "parse_headers",
    "session_capabilities",
]
