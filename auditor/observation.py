"""What the runner saw, as plain data: no Playwright objects, no verdicts.

Times (`*_ms`) are milliseconds since the scenario started. Checks are pure functions of an
Observation and the Scenario; they never need a browser, so they are unit-tested on these records.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Plain(BaseModel):
    """Base of every recorded fact: immutable, strict about its keys."""

    # defer_build: a model's validator is built on its first use; a run uses about a third of them.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class NavigationCause(StrEnum):
    """Why a page was loaded, from Chromium's point of view."""

    TYPED = "typed"  # page.goto
    LINK = "link"  # a click on a link or button that navigates
    HTTP_REDIRECT = "http-redirect"
    FORM_POST = "form-post"
    FORM_GET = "form-get"
    SCRIPT = "script"
    META_REFRESH = "meta-refresh"
    RELOAD = "reload"
    OPENER = "opener"  # a window opened by script (popup)
    OTHER = "other"


class Navigation(Plain):
    """A committed top-level navigation of one page (main window or popup)."""

    at_ms: int
    url: str
    host: str
    page: str = "main"  # "main" or "popup"
    cause: NavigationCause = NavigationCause.OTHER
    method: str = "GET"
    status: int | None = None
    redirect_chain: list[str] = Field(default_factory=list)  # URLs redirected through, in order
    cookies_sent: list[str] = Field(default_factory=list)  # cookie names on the document request
    cookies_blocked: dict[str, list[str]] = Field(default_factory=dict)  # name → Chromium's reasons
    user_initiated: bool = False  # a real click/keypress by the auditor led to it
    # Chromium's network error (net::ERR_NAME_NOT_RESOLVED…) when the page could not be loaded: `url` is
    # then the address that failed, not the chrome-error:// page Chromium shows instead.
    error: str | None = None


class FailedDocument(Plain):
    """A page (or frame) request that got no HTTP answer: Chromium's network error, as it reported it."""

    at_ms: int
    url: str
    host: str
    error: str  # e.g. "net::ERR_NAME_NOT_RESOLVED", "net::ERR_CONNECTION_REFUSED"
    page: str = "main"  # "main" or "popup"
    top_level: bool = True  # the page's own document, not an iframe's


class FrameSeen(Plain):
    """An iframe attached to a page, with the host it loaded from."""

    at_ms: int
    url: str
    host: str
    depth: int  # 1 = child of the top page, 2 = grandchild, ...


class CookieRecord(Plain):
    """A cookie in the browser when the confirmation page was recorded."""

    name: str
    domain: str
    path: str = "/"
    same_site: str | None = None  # "Strict", "Lax", "None" or None (not set)
    secure: bool = False
    http_only: bool = False


class TagSnapshot(Plain):
    """One `div.cn_purchase` as found in the page: raw texts, unparsed.

    `fields` maps every class name found on a descendant element to its texts in document order
    (innerText || textContent, trimmed), as Connectif's script would see them; `items` holds the same
    for each `div.product_basket_item`.
    """

    fields: dict[str, list[str]] = Field(default_factory=dict)
    items: list[dict[str, list[str]]] = Field(default_factory=list)
    html: str = ""  # outerHTML, for the evidence


class PageSnapshot(Plain):
    """The tags on a page at one moment."""

    at_ms: int
    url: str
    tags: list[TagSnapshot] = Field(default_factory=list)


class ConnectifRequestRecord(Plain):
    """A request to Connectif's client script or tracking endpoint."""

    at_ms: int
    url: str
    method: str
    kind: str  # "script" or "tracking"
    status: int | None = None  # None: no response (failed, blocked, never answered)
    failure: str | None = None  # Chromium's error text when it failed
    page_url: str = ""  # the document that sent it
    events: list[dict[str, object]] = Field(default_factory=list)  # decoded `events[]`
    body_error: str | None = None  # the body could not be decoded as Connectif's JSON
    intercepted: bool = False  # answered locally (connectif.mode: intercept)
    entity_info: dict[str, object] | None = None  # decoded `entityInfo`: primaryKey, trackerId…
    cart: dict[str, object] | None = None  # decoded `cart`, sent when it changed


class JourneyPage(Plain):
    """One top-level shop page of the scenario, with the other tags Connectif's script read on it.

    The tags are read at the page's load event, as TagSnapshots (cn_cart, with its basket items) and
    class → texts mappings (cn_client_info, cn_login, cn_register), every one in document order.
    """

    at_ms: int  # when the page committed
    url: str
    page: str = "main"  # "main" or "popup"
    read_ms: int | None = None  # when its tags were read; None: it never reached its load event
    purchase_tags: int = 0  # how many cn_purchase tags it carried then
    carts: list[TagSnapshot] = Field(default_factory=list)
    client_info: list[dict[str, list[str]]] = Field(default_factory=list)
    login_tags: list[dict[str, list[str]]] = Field(default_factory=list)
    register_tags: list[dict[str, list[str]]] = Field(default_factory=list)


class ConsoleError(Plain):
    """An uncaught script error on a page (what `page.errors` lists)."""

    at_ms: int
    page_url: str
    message: str


class StepRecord(Plain):
    """One step as it ran."""

    index: str  # "3", or "6.1" / "6.submit" / "6.return" inside the pay step 6
    place: str = ""  # where the scenario file has it, as load errors say: "steps[6].pay.steps[1]"
    line: int | None = None  # its line in the scenario file
    action: str
    target: str = ""  # selector or URL after substitution (secrets masked later)
    status: str = "ok"  # "ok", "skipped" (optional, element never appeared), "failed", "not-run"
    started_ms: int = 0
    ended_ms: int = 0
    message: str | None = None
    matches: int | None = None  # visible elements matching the selector, when more than one
    screenshot: str | None = None  # file name under the scenario's artefact folder


def cite(file: object, lines: Mapping[str, int], *places: str) -> str:
    """`file:line` of the first of `places` whose line is known (the file alone when none is)."""
    line = next((lines[place] for place in places if place in lines), None)
    return f"{file}:{line}" if line is not None else str(file)


def step_place(index: str) -> str:
    """A StepRecord's index as the scenario file's key path: "6.1" → "steps[6].pay.steps[1]"."""
    head, _, rest = index.partition(".")
    place = f"steps[{head}]"
    if not rest:
        return place
    if rest == "submit":
        return f"{place}.pay.submit"
    if rest == "return":
        return f"{place}.pay.return.click"
    return f"{place}.pay.steps[{rest}]"


class PaymentObservation(Plain):
    """What happened during one `pay` step."""

    provider: str | None = None
    hosts: list[str]
    reached: bool = False
    reached_via: str | None = None  # "navigation", "popup" or "iframe"
    reached_url: str | None = None
    first_platform_response_ms: int | None = None
    last_step_ended_ms: int | None = None
    back_on_shop_ms: int | None = None  # first commit back on a shop host
    returned: str = "none"  # "automatic", "manual" or "none"
    mechanism: str | None = None  # http-redirect, form-post, form-get, script, meta-refresh, opener, click
    return_waited_ms: int | None = None  # how long the auditor waited before clicking return.click
    return_click_found: bool | None = None
    return_click: str | None = None  # the return.click selector, as the auditor used it
    # With no return.click and no return: links and buttons of the platform's last page that lead back to
    # the shop, as ready selectors ("#continue"), each with what it is ("button 'Continuar'").
    return_candidates: list[dict[str, str]] = Field(default_factory=list)
    # How long the automatic return was waited for (return.timeout, or less when the scenario's deadline
    # came first), when it did not come.
    return_timeout_ms: int | None = None
    # A return to the shop that the platform's last page announced for later than that (a meta refresh):
    # {"how", "after_s", "remaining_ms", "url", "timeout_at": "file:line" of return.timeout}.
    announced_return: dict[str, Any] | None = None
    # An automatic return that came only after return.timeout, while the auditor waited to click
    # return.click: {"after_ms", "timeout_ms", "timeout_at": "file:line" of return.timeout, "click",
    # "click_found"}. `returned` is then "automatic", with the return's own mechanism.
    late_return: dict[str, Any] | None = None
    left_for: str | None = None  # a host that is neither the shop's nor in `hosts` where the submit led
    first_shop_url: str | None = None  # first shop page after the payment, after its redirects
    return_request_method: str | None = None
    return_cookies_sent: list[str] = Field(default_factory=list)
    return_cookies_blocked: dict[str, list[str]] = Field(default_factory=dict)  # name → reasons
    note: str | None = None


class ConnectifApiLookup(Plain):
    """One `GET /purchases/purchase-id/<id>` asked of Connectif's API."""

    at_ms: int  # when it was asked, since the scenario started
    status: int | None  # None: no HTTP answer (see `error`)
    retry_after_ms: int | None = None  # a 429's (or 503's) Retry-After, honoured before the next lookup
    error: str | None = None  # why there was no answer, or why the answer was unusable


class ConnectifApiRecord(Plain):
    """What Connectif's API said about this purchase, from the auditor's own process (no browser)."""

    purchase_id: str
    url: str  # the API's base URL (connectif.api.url)
    policy: str  # required | optional | absent: what the lookups were for
    wait_ms: int  # connectif.api.wait
    lookups: list[ConnectifApiLookup] = Field(default_factory=list)
    purchase: dict[str, object] | None = None  # the stored purchase, as the API returned it
    found_ms: int | None = None  # when the lookup that found it was asked
    # The API gave no usable answer: the key refused (`refused`), or unreachable / only errors until `wait`.
    error: str | None = None
    refused: bool = False
    interrupted: bool = False  # Ctrl-C stopped the lookups


class Observation(Plain):
    """Everything recorded during one scenario."""

    started_at: str  # ISO time
    duration_ms: int = 0
    base_url: str = ""
    shop_hosts: list[str] = Field(default_factory=list)
    error: str | None = None  # the auditor could not finish: step failure, timeout, crash
    error_step: str | None = None
    steps: list[StepRecord] = Field(default_factory=list)
    navigations: list[Navigation] = Field(default_factory=list)
    frames: list[FrameSeen] = Field(default_factory=list)
    payment: PaymentObservation | None = None
    # The first shop page after the payment: tags in the HTML as served, at load, and at the end.
    confirmation_url: str | None = None
    confirmation_loaded_ms: int | None = None
    tags_in_served_html: list[TagSnapshot] | None = None
    tags_at_load: PageSnapshot | None = None
    tags_final: PageSnapshot | None = None
    shop_cookies: list[CookieRecord] = Field(default_factory=list)
    connectif_requests: list[ConnectifRequestRecord] = Field(default_factory=list)
    failed_documents: list[FailedDocument] = Field(default_factory=list)
    console_errors: list[ConsoleError] = Field(default_factory=list)
    captures: dict[str, str] = Field(default_factory=dict)
    undeclared_hosts: list[str] = Field(default_factory=list)
    tag_first_seen_ms: int | None = None  # when a cn_purchase first appeared in the confirmation page
    # Connectif's own record of the purchase (connectif.api), asked once the browser's part was over.
    connectif_api: ConnectifApiRecord | None = None
    journey: list[JourneyPage] = Field(default_factory=list)  # every top-level shop page, in order
