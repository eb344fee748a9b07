"""Running one step in a page: locating (through nested iframes), acting, waiting, recording."""

from __future__ import annotations

import re
import secrets as random_source
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import FrameLocator, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from auditor.engine.aborts import Interrupted, ScenarioInvalid, ScenarioTimeout, StepFailed
from auditor.engine.artefacts import SHOT_MS, ArtefactRecorder
from auditor.engine.observe import Recorder, page_eval
from auditor.errors import first_line
from auditor.observation import StepRecord
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

    def touches_secret(self, text: str) -> bool:
        return any(
            name in self.known and self.known[name] in self.secret_values for name in REF.findall(text)
        )


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


def scope(page: Page, frames: tuple[str, ...] | None) -> Page | FrameLocator:
    """The page, or the (nested) iframe the step names."""
    target: Page | FrameLocator = page
    for selector in frames or ():
        target = target.frame_locator(selector).first
    return target


def first_visible(page: Page, args: ElementArgs | WaitForArgs, selector: str) -> Locator:
    """The first visible element matching, in the step's (nested) frame: the element a step acts on."""
    return scope(page, args.frame).locator(selector).filter(visible=True).first


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
    exc: PlaywrightTimeout, args: ElementArgs | WaitForArgs, selector: str, waited_ms: int
) -> StepFailed | None:
    """Why an action on the first visible match timed out, if no element ever matched; else None.

    Playwright's call log says whether the locator resolved. Asking the page instead could wait as
    long as a navigation the action started, if that navigation never ends.
    """
    log = str(exc)
    if "waiting for locator" not in log or "resolved to" in log:
        return None  # the element was there (or the wait was for something else)
    where = f" in frame {' > '.join(args.frame)}" if args.frame else ""
    return StepFailed(f"no visible element matches {selector!r}{where} within {waited_ms / 1000:g}s")


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
    if not navigated and page.url == "about:blank":
        return
    try:
        page.wait_for_load_state("load", timeout=ctx.timeout(ctx.navigation_timeout))
    except PlaywrightTimeout:
        if html_ready(page):
            record["message"] = load_blocked_note(page, ctx)
        elif navigated:
            raise StepFailed(
                f"the page {page.url} did not finish loading within {ctx.navigation_timeout / 1000:g}s"
            ) from None


def run_step(page: Page, step: Step, index: str, ctx: StepContext) -> StepRecord:
    """Run one (non-pay) step and return what happened; raises StepFailed on failure."""
    started = ctx.recorder.now()
    record: dict[str, Any] = {"index": index, "action": step.action, "started_ms": started}
    args = step.args
    try:
        status = _act(page, step.action, args, ctx, record)
    except PlaywrightError as exc:
        raise StepFailed(first_line(exc, 500)) from None
    record.update(status=status, ended_ms=ctx.recorder.now())
    return StepRecord(**record)


def _act(page: Page, action: str, args: Any, ctx: StepContext, record: dict[str, Any]) -> str:
    values = ctx.values
    if isinstance(args, GotoArgs):
        url = values.substitute(args.url)
        record["target"] = url
        timeout = ctx.timeout(args.timeout, ctx.navigation_timeout)
        before = len(ctx.recorder.navigations_of("main"))
        try:
            response = page.goto(url, wait_until=args.wait_until, timeout=timeout)
        except PlaywrightTimeout:
            committed = len(ctx.recorder.navigations_of("main")) > before
            if committed and args.wait_until in ("load", "networkidle") and html_ready(page):
                record["message"] = load_blocked_note(page, ctx)
                return "ok"
            raise StepFailed(f"{url} did not load within {timeout / 1000:g}s") from None
        if response is not None and response.status >= 400:
            record["message"] = f"HTTP {response.status}"
        return "ok"
    if isinstance(args, ReloadArgs):
        return _reload(page, args, ctx, record)
    if isinstance(args, ScreenshotArgs):
        record["target"] = args.name
        record["screenshot"] = ctx.artefacts.screenshot(
            page,
            args.name,
            step=record["index"],
            full_page=args.full_page,
            timeout_ms=min(SHOT_MS, ctx.timeout(None)),
        )
        return "ok"
    if isinstance(args, WaitForArgs):
        return _wait_for(page, args, ctx, record)
    selector = values.substitute(args.selector)
    record["target"] = selector
    before = len(ctx.recorder.navigations_of("main"))
    element = find(page, args, selector, ctx)
    if element is None:
        record["message"] = "optional: the element never appeared, step skipped"
        return "skipped"
    timeout = ctx.timeout(args.timeout)
    try:
        _act_on(element, action, args, ctx, record, timeout)
    except PlaywrightTimeout as exc:
        missing = not_found(exc, args, selector, timeout)
        if missing is None:
            raise  # the element is there but the action could not be done: Playwright says why
        raise missing from None
    settle(page, ctx, before, record)
    return "ok"


def _reload(page: Page, args: ReloadArgs, ctx: StepContext, record: dict[str, Any]) -> str:
    """Reload the current page, as a customer who refreshes it does; a page that never loads is noted."""
    url = page.url
    record["target"] = url
    timeout = ctx.timeout(args.timeout, ctx.navigation_timeout)
    before = len(ctx.recorder.navigations_of("main"))
    try:
        response = page.reload(wait_until=args.wait_until, timeout=timeout)
    except PlaywrightTimeout:
        committed = len(ctx.recorder.navigations_of("main")) > before
        if committed and args.wait_until in ("load", "networkidle") and html_ready(page):
            record["message"] = load_blocked_note(page, ctx)
            return "ok"
        raise StepFailed(f"the reload of {url} did not load within {timeout / 1000:g}s") from None
    if response is not None and response.status >= 400:
        record["message"] = f"HTTP {response.status}"
    return "ok"


def _act_on(
    element: Locator, action: str, args: Any, ctx: StepContext, record: dict[str, Any], timeout: int
) -> None:
    values = ctx.values
    selector = record["target"]
    if isinstance(args, FillArgs):
        element.fill(values.substitute(args.value), timeout=timeout)
        if values.touches_secret(args.value):
            ctx.artefacts.masks.append(element)
    elif isinstance(args, SelectArgs):
        if args.value is not None:
            element.select_option(value=values.substitute(args.value), timeout=timeout)
        else:
            element.select_option(label=values.substitute(args.label or ""), timeout=timeout)
    elif isinstance(args, PressArgs):
        _user(ctx, lambda: element.press(args.key, timeout=timeout))
    elif isinstance(args, ExpectTextArgs):
        expected = _collapse(values.substitute(args.text))
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
            url = ctx.values.substitute(args.url)
            record["target"] = url
            pattern: Any = re.compile(url[3:]) if url.startswith("re:") else url
            page.wait_for_url(pattern, timeout=timeout, wait_until="commit")
        elif args.text is not None:
            text = ctx.values.substitute(args.text)
            record["target"] = f"text {text!r}"
            scope(page, args.frame).get_by_text(text).first.wait_for(state="visible", timeout=timeout)
        else:
            selector = ctx.values.substitute(args.selector or "")
            record["target"] = selector
            if wait_visible(page, args, selector, ctx) is None:
                if args.optional:
                    record["message"] = "optional: never appeared, step skipped"
                    return "skipped"
                raise StepFailed(f"waited {timeout / 1000:g}s for {selector} in vain")
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
        match = re.search(args.pattern, text)
        if not match:
            raise StepFailed(f"pattern {args.pattern!r} does not match {text[:200]!r}")
        text = match.group(0)
    ctx.values.known[args.name] = text
    record["message"] = f"{args.name} = {text[:200]!r}"


def _collapse(text: str) -> str:
    return WHITESPACE.sub(" ", text.replace("\u00a0", " ")).strip()
