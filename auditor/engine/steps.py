"""Running one step in a page: locating (through nested iframes), acting, waiting, recording."""

from __future__ import annotations

import difflib
import re
import secrets as random_source
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from auditor.engine.aborts import (
    BrowserGone,
    HostUnreachable,
    Interrupted,
    ScenarioInvalid,
    ScenarioTimeout,
    StepFailed,
)
from auditor.engine.artefacts import SHOT_MS, ArtefactRecorder
from auditor.engine.frames import filled, first_visible, frame_hint, no_frame, scope, shown_url, visible
from auditor.engine.gestures import Gesture, after_gesture
from auditor.engine.observe import Recorder, network_error, page_eval
from auditor.errors import first_line
from auditor.hosts import closest_mapped, host_of, unreachable, unreachable_fix
from auditor.masking import mask_text
from auditor.observation import FailedDocument, StepRecord, cite, step_place
from auditor.scenario.model import (
    CaptureArgs,
    ElementArgs,
    ExpectTextArgs,
    FillArgs,
    GotoArgs,
    PressArgs,
    ReloadArgs,
    ScreenshotArgs,
    SelectArgs,
    Step,
    WaitForArgs,
)
from auditor.scenario.refs import REF

WHITESPACE = re.compile(r"\s+")


@dataclass
class Values:
    """What `{{name}}` can stand for while a scenario runs."""

    known: dict[str, str]
    secret_values: set[str] = field(default_factory=set)

    @classmethod
    def start(
        cls, *, run_id: str, scenario_id: str, variables: Mapping[str, str], secrets: Mapping[str, str]
    ) -> Values:
        builtins = {
            "run_id": run_id,
            "scenario_id": scenario_id,
            "timestamp": time.strftime("%Y%m%d%H%M%S"),
            "random": random_source.token_hex(4),
        }
        values = cls(known=dict(builtins))
        for name, value in variables.items():
            values.known[name] = values.substitute(value)
        for name, value in secrets.items():
            resolved = values.substitute(value)
            values.known[name] = resolved
            if resolved:
                values.secret_values.add(resolved)
        return values

    def substitute(self, text: str) -> str:
        """Replace every `{{name}}`; a name with no value yet means the scenario is wrong."""

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.known:
                raise ScenarioInvalid(
                    f"{{{{{name}}}}} has no value yet (is it captured by a later step, or was its "
                    "capture skipped as optional?)"
                )
            return self.known[name]

        return REF.sub(replace, text)

    def holds_secret(self, text: str) -> bool:
        """Whether a filled-in text holds a secret's value (typed into a field that pictures must hide)."""
        return any(secret in text for secret in self.secret_values)


@dataclass
class StepContext:
    """What a step needs: where to act, deadlines, where to record."""

    recorder: Recorder
    values: Values
    step_timeout: int
    navigation_timeout: int
    deadline: float  # time.monotonic() when the scenario must end
    base_url: str
    artefacts: ArtefactRecorder
    stop: threading.Event = field(default_factory=threading.Event)
    mapped_hosts: Mapping[str, str] = field(default_factory=dict)  # the scenario's own `hosts:`
    lines: Mapping[str, int] = field(default_factory=dict)  # a step's place → its line in the file
    file: str = ""  # the scenario file, for messages
    # Raises when the live-payment guard has blocked a request (LivePaymentGuard.check_blocked): waits
    # that the blocked request would have ended stop at once instead of running into their timeout.
    live_guard: Callable[[], None] = field(default=lambda: None)
    # The documents (page, its navigation count) whose load event was once waited for in vain.
    unloaded: set[tuple[int, int]] = field(default_factory=set)
    # The last step, when it was a click or a key press: what the next step's failure may come from.
    gesture: Gesture | None = None

    def where(self, *places: str) -> str:
        """`file:line` of the first of `places` whose line is known (the file alone when none is)."""
        return cite(self.file, self.lines, *places)

    def _document(self, page: Page) -> tuple[int, int]:
        role = self.recorder.pages.get(id(page), "main")
        return id(page), len(self.recorder.navigations_of(role))

    def gave_up_loading(self, page: Page) -> None:
        """Remember that the current document of `page` never fired its load event in time."""
        self.unloaded.add(self._document(page))

    def load_given_up(self, page: Page) -> bool:
        """Whether the load of the current document of `page` was already waited for in vain."""
        return self._document(page) in self.unloaded

    def wait_loaded(self, page: Page) -> bool:
        """Wait for the load event of the page's document; False when it does not come in time.

        A document is waited for once: a third-party script that never answers (a Connectif CDN that
        hangs) would otherwise cost every later step on that page the whole navigation timeout, and a
        long enough checkout its scenario deadline, hiding the shop's real fault behind a timeout.
        """
        document = self._document(page)
        if document in self.unloaded:
            return False
        try:
            page.wait_for_load_state("load", timeout=self.timeout(self.navigation_timeout))
        except PlaywrightTimeout:
            if self._document(page) == document:  # no new page meanwhile: this one never loaded
                self.unloaded.add(document)
            return False
        return True

    def unreachable(self, failed: FailedDocument) -> HostUnreachable:
        """The error for a page request that could not reach its host: the host, the error, the fix."""
        port = _port_of(failed.url)
        fix = unreachable_fix(failed.host, failed.error, self.mapped_hosts, port)
        close = closest_mapped(failed.host, self.mapped_hosts)
        line = self.lines.get(f"hosts.{close}") if close else None
        if line is not None:
            fix += f" (`hosts: {close}` is at {self.file}:{line})"
        at = failed.url if failed.top_level else shown_url(failed.url)  # an iframe's query may hold keys
        return HostUnreachable(f"the browser could not reach {failed.host} ({failed.error} at {at}): {fix}")

    def check_reached(self, page: Page, since_ms: int) -> None:
        """Raise HostUnreachable when a page request since `since_ms` could not reach its host."""
        rec = self.recorder
        role = rec.pages.get(id(page))  # the page the step acted on: another window's troubles are not its
        failed = rec.unreachable_since(since_ms, role=role)
        shown = [n.url for n in rec.navigations if n.at_ms >= since_ms and n.error and n.page == role]
        if failed is None and shown:
            # Chromium's error page committed; Playwright's report of the failed request, which holds
            # the error, may still be on its way: wait for it a little, woken by the event itself.
            def reported() -> bool:
                return any(f.url in shown for f in list(rec.failed_documents))

            deadline = min(2_000, max(1, int((self.deadline - time.monotonic()) * 1000)))
            try:
                wait_until(page, reported, deadline, self.stop, "requestfailed")
            except PlaywrightError:
                pass
            failed = rec.unreachable_since(since_ms, role=role)
        if failed is not None:
            raise self.unreachable(failed)

    def check_deadline(self) -> None:
        """Raise when the run was stopped or the scenario's deadline has passed."""
        if self.stop.is_set():
            raise Interrupted()
        if time.monotonic() >= self.deadline:
            raise ScenarioTimeout()

    def timeout(self, own: int | None, default: int | None = None) -> int:
        """A Playwright timeout that never outlives the scenario."""
        if self.stop.is_set():
            raise Interrupted()
        remaining = int((self.deadline - time.monotonic()) * 1000)
        if remaining <= 0:
            raise ScenarioTimeout()
        return max(1, min(own or default or self.step_timeout, remaining))


# The longest a condition goes unchecked while we wait for events of other pages (a popup closing).
_RECHECK_MS = 100


def wait_until(
    page: Page,
    condition: Callable[[], bool],
    timeout_ms: int,
    stop: threading.Event | None = None,
    event: str = "framenavigated",
) -> bool:
    """Wait for a condition, waking on every `event` of the page; False when the deadline passes."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if stop is not None and stop.is_set():
            raise Interrupted()
        remaining = int((deadline - time.monotonic()) * 1000)
        if remaining <= 0:
            return False
        try:
            page.wait_for_event(event, timeout=max(1, min(remaining, _RECHECK_MS)))
        except PlaywrightTimeout:
            # A page already closed (its browser killed while we waited) times out again and again
            # instead of raising: without this look, a dead browser would hold the scenario until its
            # navigation timeout.
            if not page.is_closed():
                continue
        except PlaywrightError:
            pass
        else:
            continue  # the event came: look at the condition again
        # The page closed: the condition decides what that means.
        if condition():
            return True
        if page.is_closed():
            raise BrowserGone("the browser window closed (did the browser crash?)")
        return False
    return True


def several_visible(page: Page, args: ElementArgs | WaitForArgs, selector: str) -> int | None:
    """How many visible elements match as the step starts, when more than one (the step acts on the
    first; its evidence says there were others), else None.

    Counted before the action, which may navigate away; an element that only appears later is waited
    for by the action and counted as one. A count that fails (a frame not attached yet) says nothing.
    """
    try:
        count = visible(scope(page, args.frame), selector).count()
    except PlaywrightError:
        return None
    return count if count > 1 else None


def wait_visible(
    page: Page, args: ElementArgs | WaitForArgs, selector: str, ctx: StepContext
) -> Locator | None:
    """The first visible element matching, once there is one; None when none comes in time."""
    element = first_visible(page, args, selector)
    try:
        element.wait_for(state="visible", timeout=ctx.timeout(args.timeout))
    except PlaywrightTimeout:
        return None
    return element


def find(page: Page, args: ElementArgs | WaitForArgs, selector: str, ctx: StepContext) -> Locator | None:
    """The element a step acts on; None when the step is optional and it never appears.

    A required element is not waited for here: the action waits for it itself, which saves a round
    trip to the browser per step, and `not_found` explains the action's timeout.
    """
    if args.optional:
        return wait_visible(page, args, selector, ctx)
    return first_visible(page, args, selector)


def not_found(
    exc: PlaywrightTimeout,
    args: ElementArgs | WaitForArgs,
    selector: str,
    waited_ms: int,
    page: Page | None = None,
) -> StepFailed | None:
    """Why an action on the first visible match timed out, if no element ever matched; else None.

    Playwright's call log says whether the locator resolved. Asking the page instead could wait as
    long as a navigation the action started, if that navigation never ends. With `page`, the message
    names the closest element on the page (one short evaluation, after the wait).
    """
    log = str(exc)
    if "waiting for locator" not in log or "resolved to" in log:
        return None  # the element was there (or the wait was for something else)
    return missing(args, selector, waited_ms, page)


def missing(args: ElementArgs | WaitForArgs, selector: str, waited_ms: int, page: Page | None) -> StepFailed:
    """No visible element matched `selector` within `waited_ms`: say so, with the closest match if any."""
    lost = no_frame(page, args, selector, waited_ms) if page is not None and args.frame else None
    if lost is not None:
        return StepFailed(lost)
    where = f" in frame {' > '.join(args.frame)}" if args.frame else ""
    message = f"no visible element matches {selector!r}{where} within {waited_ms / 1000:g}s"
    hint = frame_hint(page, args, selector) if page is not None else None
    if hint is not None:
        return StepFailed(f"{message}; {hint}")
    close = closest_match(page, args, selector) if page is not None else None
    if close is not None:
        message += f"; the closest on the page is {close[0]!r} (by {close[1]})"
    return StepFailed(message)


# Every visible element's id, name, test id, classes and (for what a customer clicks) short text, in one
# evaluation: what a selector that matched nothing is compared with.
_CANDIDATES_JS = r"""
() => {
  const out = {id: [], name: [], testid: [], class: [], text: []};
  const clickable = 'a,button,label,summary,option,[role=button],[role=link],[role=tab],'
    + 'input[type=submit],input[type=button],h1,h2,h3';
  let seen = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (++seen > 5000) break;
    const box = el.getBoundingClientRect();
    if (box.width <= 0 || box.height <= 0 || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.id) out.id.push(el.id);
    const name = el.getAttribute('name');
    if (name) out.name.push(name);
    const testid = el.getAttribute('data-testid');
    if (testid) out.testid.push(testid);
    for (const cls of el.classList) out.class.push(cls);
    if (el.matches(clickable)) {
      const text = ((el.innerText || el.value || '') + '').replace(/\s+/g, ' ').trim();
      if (text && text.length <= 80) out.text.push(text);
    }
  }
  return out;
}
"""
# The part of a selector that names something, and which list of the page's names it is compared with.
_SELECTOR_WORDS = (
    ("id", re.compile(r"#((?:[\w-]|\\.)+)")),
    ("name", re.compile(r"\[name\s*=\s*[\"']?([^\"'\]]+)[\"']?\s*\]")),
    ("test id", re.compile(r"\[data-testid\s*=\s*[\"']?([^\"'\]]+)[\"']?\s*\]")),
    ("text", re.compile(r"^text\s*=\s*[\"']?(.+?)[\"']?$")),
    ("class", re.compile(r"\.((?:[A-Za-z_-])[\w-]*)")),
)
_TEXT_SELECTOR = re.compile(r"^text\s*=")
_LIST = {"id": "id", "name": "name", "test id": "testid", "text": "text", "class": "class"}


def closest_match(page: Page, args: ElementArgs | WaitForArgs, selector: str) -> tuple[str, str] | None:
    """The selector of the page's element closest to one that matched nothing, and by what (id, name,
    text…); None when nothing is close or the page cannot be read."""
    try:
        root = scope(page, args.frame).locator(":root")
        found = root.evaluate(_CANDIDATES_JS, timeout=2_000)
    except PlaywrightError:
        return None
    kinds = [k for k in _SELECTOR_WORDS if (k[0] == "text") == bool(_TEXT_SELECTOR.match(selector))]
    for kind, pattern in kinds:
        for match in pattern.finditer(selector):
            group = next(g for g in range(1, (match.lastindex or 1) + 1) if match.group(g))
            word = match.group(group)
            names = list(dict.fromkeys(str(n) for n in found.get(_LIST[kind], [])))
            if word in names:
                continue  # there is such an element: the selector's trouble is elsewhere
            fold = {n.lower(): n for n in names}
            close = difflib.get_close_matches(word.lower(), list(fold), n=1, cutoff=0.7)
            if close:
                start, end = match.span(group)
                return selector[:start] + fold[close[0]] + selector[end:], kind
    return None


def html_ready(page: Page) -> bool:
    """Has the current document been parsed (DOMContentLoaded), even if its load event never came?"""
    try:
        return bool(
            page.url != "about:blank"
            and page_eval(page, "() => document.readyState !== 'loading'", timeout_ms=2_000)
        )
    except PlaywrightError:
        return False


def load_blocked_note(page: Page, ctx: StepContext) -> str:
    """Why a page never fired its load event, as far as the recorder knows."""
    pending = [r.url for r in ctx.recorder.connectif if r.status is None and not r.failure]
    waiting = f" (still waiting for {pending[0]})" if pending else ""
    return f"the page {page.url} never finished loading{waiting}; went on once its HTML was ready"


def settle(page: Page, ctx: StepContext, before: int, record: dict[str, Any]) -> None:
    """If the step started a navigation of the page, wait until the new page has loaded.

    A page whose HTML is ready but whose load event never comes (a third-party script that never
    answers) is not a failed step: the step notes it and the scenario goes on, as a customer would.
    """
    navigated = len(ctx.recorder.navigations_of("main")) != before
    if not navigated and (page.url == "about:blank" or ctx.load_given_up(page)):
        return  # nothing loading, or a page already noted as never finishing: act on it at once
    if ctx.wait_loaded(page):
        return
    if html_ready(page):
        record["message"] = load_blocked_note(page, ctx)
    elif navigated:
        raise StepFailed(
            f"the page {page.url} did not finish loading within {ctx.navigation_timeout / 1000:g}s"
        )


def run_step(page: Page, step: Step, index: str, ctx: StepContext) -> StepRecord:
    """Run one (non-pay) step and return what happened; raises StepFailed on failure."""
    started = ctx.recorder.now()
    place = step_place(index)
    record: dict[str, Any] = {
        "index": index,
        "place": place,
        "line": ctx.lines.get(place),
        "action": step.action,
        "started_ms": started,
    }
    args = filled(step.args, ctx.values.substitute)  # every `{{name}}` of the step, once, here
    role = ctx.recorder.pages.get(id(page), "main")
    before = len(ctx.recorder.navigations_of(role))
    try:
        status = _act(page, step.action, args, ctx, record)
    except PlaywrightError as exc:
        error = network_error(str(exc))
        if isinstance(args, GotoArgs) and unreachable(error):  # "net::ERR_… at URL": the URL did not load
            at = re.search(r" at (\S+)", str(exc))  # Playwright names the absolute URL
            url = at.group(1) if at else urljoin(ctx.base_url, str(record.get("target") or ""))
            failed = FailedDocument(at_ms=ctx.recorder.now(), url=url, host=host_of(url), error=error or "")
            raise ctx.unreachable(failed) from None
        ctx.check_reached(page, started)
        target = record.get("target")
        on = f" on {target!r}" if target and not isinstance(args, GotoArgs | ReloadArgs) else ""
        raise StepFailed(f"{step.action}{on}: {first_line(exc, 500)}") from None
    except StepFailed as exc:
        ctx.check_reached(page, started)  # an element that never came, on Chromium's error page
        # A wait for a URL expects the navigation an earlier gesture was to start; any failure may come
        # from a form that the browser refused to submit.
        expected = isinstance(args, WaitForArgs) and args.url is not None
        raise after_gesture(page, ctx.gesture, ctx.recorder, ctx.where, exc, navigation=expected) from None
    ctx.check_reached(page, started)
    record.update(status=status, ended_ms=ctx.recorder.now())
    ctx.gesture = None
    if step.action in ("click", "press") and status == "ok" and isinstance(args, ElementArgs):
        ctx.gesture = Gesture(
            place=place,
            action=step.action,
            selector=str(record.get("target") or ""),
            args=args,
            page=id(page),
            navigations=before,
            key=args.key if isinstance(args, PressArgs) else None,
        )
    return StepRecord(**record)


def _act(page: Page, action: str, args: Any, ctx: StepContext, record: dict[str, Any]) -> str:
    if isinstance(args, GotoArgs):
        url = args.url
        record["target"] = url
        return _navigate(
            page,
            args,
            ctx,
            record,
            lambda timeout: page.goto(url, wait_until=args.wait_until, timeout=timeout),
            what=url,
        )
    if isinstance(args, ReloadArgs):
        # as a customer who refreshes the page does
        current = page.url
        record["target"] = current
        return _navigate(
            page,
            args,
            ctx,
            record,
            lambda timeout: page.reload(wait_until=args.wait_until, timeout=timeout),
            what=f"the reload of {current}",
        )
    if isinstance(args, ScreenshotArgs):
        # The name becomes a file name, which no output's masking reaches: a secret in it is masked here.
        name = mask_text(args.name, ctx.values.secret_values)
        record["target"] = name
        record["screenshot"] = ctx.artefacts.screenshot(
            page,
            name,
            step=record["index"],
            full_page=args.full_page,
            timeout_ms=min(SHOT_MS, ctx.timeout(None)),
        )
        return "ok"
    if isinstance(args, WaitForArgs):
        return _wait_for(page, args, ctx, record)
    selector = args.selector
    record["target"] = selector
    before = len(ctx.recorder.navigations_of("main"))
    element = find(page, args, selector, ctx)
    if element is None:
        record["message"] = "optional: the element never appeared, step skipped"
        lost = no_frame(page, args, selector, args.timeout or ctx.step_timeout) if args.frame else None
        if lost is not None:  # skipped as the scenario allows, but for a reason it should know
            record["message"] += f" ({lost})"
        return "skipped"
    record["matches"] = several_visible(page, args, selector)
    timeout = ctx.timeout(args.timeout)
    try:
        _act_on(element, action, args, ctx, record, timeout)
    except PlaywrightTimeout as exc:
        absent = not_found(exc, args, selector, timeout, page)
        if absent is None:
            raise  # the element is there but the action could not be done: Playwright says why
        raise absent from None
    settle(page, ctx, before, record)
    return "ok"


def _navigate(
    page: Page,
    args: GotoArgs | ReloadArgs,
    ctx: StepContext,
    record: dict[str, Any],
    go: Callable[[float], Response | None],
    *,
    what: str,
) -> str:
    """A goto or a reload: a page whose HTML came but whose load never ended is noted, not failed."""
    timeout = ctx.timeout(args.timeout, ctx.navigation_timeout)
    before = len(ctx.recorder.navigations_of("main"))
    try:
        response = go(timeout)
    except PlaywrightTimeout:
        committed = len(ctx.recorder.navigations_of("main")) > before
        if committed and args.wait_until in ("load", "networkidle") and html_ready(page):
            ctx.gave_up_loading(page)
            record["message"] = load_blocked_note(page, ctx)
            return "ok"
        raise StepFailed(f"{what} did not load within {timeout / 1000:g}s") from None
    if response is not None and response.status >= 400:
        record["message"] = f"HTTP {response.status}"
    return "ok"


def _act_on(
    element: Locator, action: str, args: Any, ctx: StepContext, record: dict[str, Any], timeout: int
) -> None:
    selector = record["target"]
    if isinstance(args, FillArgs):
        element.fill(args.value, timeout=timeout)  # never recorded: only the selector is
        if ctx.values.holds_secret(args.value):
            ctx.artefacts.masks.append(element)  # and hidden in every later picture
    elif isinstance(args, SelectArgs):
        by, wanted = ("value", args.value) if args.value is not None else ("label", args.label or "")
        try:
            if by == "value":
                element.select_option(value=wanted, timeout=timeout)
            else:
                element.select_option(label=wanted, timeout=timeout)
        except PlaywrightTimeout as exc:
            if "resolved to" not in str(exc):
                raise  # no such element: _act says so
            raise no_option(element, selector, by, wanted) from None
    elif isinstance(args, PressArgs):
        _user(ctx, lambda: element.press(args.key, timeout=timeout))
    elif isinstance(args, ExpectTextArgs):
        expected = _collapse(args.text)
        handle = element.element_handle(timeout=timeout)
        try:
            element.page.wait_for_function(
                "([el, t]) => (el.innerText || el.textContent || '')"
                ".replace(/\\s+/g, ' ').trim().includes(t)",
                arg=[handle, expected],
                timeout=timeout,
            )
        except PlaywrightTimeout:
            seen = _collapse(element.inner_text(timeout=timeout))
            raise StepFailed(
                f"the text of {selector!r} is {seen[:200]!r}, which does not contain {expected!r}"
            ) from None
    elif isinstance(args, CaptureArgs):
        _capture(element, args, ctx, record, timeout)
    elif action == "click":
        _user(ctx, lambda: element.click(timeout=timeout))
    elif action == "check":
        _user(ctx, lambda: element.check(timeout=timeout))
    elif action == "uncheck":
        _user(ctx, lambda: element.uncheck(timeout=timeout))
    else:  # pragma: no cover - the model allows no other action here
        raise StepFailed(f"unknown action {action}")


_OPTIONS_JS = "el => el.options ? Array.from(el.options, o => [o.value, o.label]) : null"
_OPTIONS_SHOWN = 12


def no_option(element: Locator, selector: str, by: str, wanted: str) -> StepFailed:
    """A select step whose option never came: the options the element has, and the closest one."""
    try:
        options = element.evaluate(_OPTIONS_JS, timeout=2_000)
    except PlaywrightError:
        options = None
    if options is None:
        return StepFailed(f"{selector!r} is not a <select>, or did not answer: select needs a <select>")
    keys = [str(o[0] if by == "value" else o[1]) for o in options]
    message = f"{selector!r} has no option with {by} {wanted!r}"
    if not keys:
        return StepFailed(message + ": it has no options")
    shown = ", ".join(
        f"{value!r} ({label})" if label and label != value else repr(value)
        for value, label in options[:_OPTIONS_SHOWN]
    )
    more = f" and {len(options) - _OPTIONS_SHOWN} more" if len(options) > _OPTIONS_SHOWN else ""
    message += f"; its options (value and label) are {shown}{more}"
    close = difflib.get_close_matches(wanted, keys, n=1, cutoff=0.5)  # short values: "ez" for "es"
    if close:
        message += f": did you mean {by} {close[0]!r}?"
    return StepFailed(message)


def _user(ctx: StepContext, act: Callable[[], None]) -> None:
    """Run a real user gesture, so navigations it starts are recorded as user-initiated."""
    ctx.recorder.user_action = True
    try:
        act()
    finally:
        ctx.recorder.user_action = False


def _wait_for(page: Page, args: WaitForArgs, ctx: StepContext, record: dict[str, Any]) -> str:
    timeout = ctx.timeout(args.timeout)
    try:
        if args.url is not None:
            url = args.url
            record["target"] = url
            pattern: Any = re.compile(url[3:]) if url.startswith("re:") else url
            page.wait_for_url(pattern, timeout=timeout, wait_until="commit")
        elif args.text is not None:
            text = args.text
            record["target"] = f"text {text!r}"
            try:
                scope(page, args.frame).get_by_text(text).first.wait_for(state="visible", timeout=timeout)
            except PlaywrightTimeout:
                lost = no_frame(page, args, f"text={text}", timeout) if args.frame else None
                if lost is None or args.optional:
                    raise
                raise StepFailed(lost) from None
        else:
            selector = args.selector or ""
            record["target"] = selector
            if wait_visible(page, args, selector, ctx) is None:
                if args.optional:
                    record["message"] = "optional: never appeared, step skipped"
                    return "skipped"
                raise missing(args, selector, timeout, page)
    except PlaywrightTimeout:
        if args.optional:
            record["message"] = "optional: never appeared, step skipped"
            return "skipped"
        raise StepFailed(f"waited {timeout / 1000:g}s for {record.get('target')} in vain") from None
    return "ok"


def _capture(
    element: Locator, args: CaptureArgs, ctx: StepContext, record: dict[str, Any], timeout: int
) -> None:
    if args.attribute:
        text = element.get_attribute(args.attribute, timeout=timeout)
        if text is None:
            raise StepFailed(f"the element has no attribute {args.attribute!r}")
    else:
        text = element.inner_text(timeout=timeout)
    text = text.strip()
    if args.pattern:
        try:
            match = re.search(args.pattern, text)  # a value filled into it is literal text (see filled)
        except re.error as exc:
            raise StepFailed(f"pattern {args.pattern!r} is not a valid regular expression: {exc}") from None
        if not match:
            raise StepFailed(f"pattern {args.pattern!r} does not match {text[:200]!r}")
        text = match.group(0)
    ctx.values.known[args.name] = text
    record["message"] = f"{args.name} = {text[:200]!r}"


def _port_of(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError:
        return None


def _collapse(text: str) -> str:
    return WHITESPACE.sub(" ", text.replace("\u00a0", " ")).strip()
