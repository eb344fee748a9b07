"""The `pay` step: leave the shop for the payment platform, act there, and see how the customer returns."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from auditor.engine.observe import host_matches, host_of
from auditor.engine.steps import (
    Interrupted,
    ScenarioTimeout,
    StepContext,
    StepFailed,
    find,
    not_found,
    run_step,
    wait_visible,
)
from auditor.observation import Navigation, NavigationCause, PaymentObservation, StepRecord
from auditor.scenario.model import PayArgs

# The longest a condition goes unchecked while we wait for events of other pages (a popup closing).
_RECHECK_MS = 100


class BrowserGone(StepFailed):
    """The customer's window or the whole browser went away in the middle of a scenario."""


class PayStepFailed(StepFailed):
    """A step on the payment platform failed; what was seen of the payment so far is kept."""

    def __init__(self, message: str, observation: PaymentObservation, steps: list[StepRecord]):
        super().__init__(message)
        self.observation = observation
        self.steps = steps


@dataclass
class PayOutcome:
    """What the runner needs after a pay step."""

    observation: PaymentObservation
    steps: list[StepRecord]
    returned_page: Page | None  # the shop page the customer came back to, loaded


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
            continue
        except PlaywrightError:  # the page closed: the condition decides what that means
            if condition():
                return True
            if page.is_closed():
                raise BrowserGone("the browser window closed (did the browser crash?)") from None
            return False
    return True


def _mechanism(nav: Navigation, shop_hosts: set[str], pay_hosts: tuple[str, ...], popup: bool) -> str:
    """How the platform sent the browser back, from what Chromium reported for that navigation."""
    if popup:
        return "opener"
    chain = [*nav.redirect_chain, nav.url]
    if len(chain) > 1 and any(not _is_shop(host_of(u), shop_hosts, pay_hosts) for u in chain[:-1]):
        return "http-redirect"
    return {
        NavigationCause.FORM_POST: "form-post",
        NavigationCause.FORM_GET: "form-get",
        NavigationCause.META_REFRESH: "meta-refresh",
        NavigationCause.SCRIPT: "script",
        NavigationCause.LINK: "click" if nav.user_initiated else "script",
    }.get(nav.cause, "script")


def _is_shop(host: str, shop_hosts: set[str], pay_hosts: tuple[str, ...]) -> bool:
    return host in shop_hosts and not host_matches(host, pay_hosts)


def run_pay(page: Page, args: PayArgs, index: str, ctx: StepContext, shop_hosts: set[str]) -> PayOutcome:
    """Go through the payment platform and come back; records everything as plain data."""
    rec = ctx.recorder
    hosts = args.hosts
    steps: list[StepRecord] = []
    obs: dict[str, object] = {"provider": args.provider, "hosts": list(hosts)}
    popup: Page | None = None
    started = rec.now()

    # 1. Leave the shop.
    if args.submit is not None:
        submit = args.submit
        selector = ctx.values.substitute(submit.selector)
        element = find(page, submit, selector, ctx)
        if element is None:
            raise StepFailed(f"the payment button {selector!r} never appeared")
        rec.user_action = True
        try:
            if args.popup:
                with page.context.expect_page(timeout=ctx.timeout(ctx.navigation_timeout)) as info:
                    element.click(timeout=ctx.timeout(submit.timeout))
                popup = info.value
            else:
                element.click(timeout=ctx.timeout(submit.timeout))
        except PlaywrightTimeout as exc:
            if not_found(exc, submit, selector, submit.timeout or ctx.step_timeout) is not None:
                raise StepFailed(f"the payment button {selector!r} never appeared") from None
            if args.popup:
                raise StepFailed(f"clicking {selector!r} opened no payment window") from None
            # The click may be waiting on a platform that does not answer: whether the platform
            # was reached is decided below, from what the browser did.
        finally:
            rec.user_action = False
        steps.append(
            StepRecord(
                index=f"{index}.submit",
                action="click",
                target=selector,
                started_ms=started,
                ended_ms=rec.now(),
            )
        )
    elif args.popup:
        others = [p for p in page.context.pages if p is not page and not p.is_closed()]
        popup = others[-1] if others else None
        if popup is None:
            raise StepFailed("pay has popup: true but no submit, and no popup window is open")

    # 2. Wait until the platform is reached: a navigation, a popup or an iframe on its hosts.
    def reached() -> str | None:
        if popup is not None:
            return "popup" if not popup.is_closed() and host_matches(host_of(popup.url), hosts) else None
        if host_matches(host_of(page.url), hosts):
            return "navigation"
        if any(host_matches(host_of(f.url), hosts) for f in page.frames[1:]):
            return "iframe"
        return None

    wait_page = popup or page
    if popup is not None:
        try:
            popup.wait_for_url(
                lambda url: host_matches(host_of(url), hosts),
                wait_until="commit",
                timeout=ctx.timeout(ctx.navigation_timeout),
            )
        except PlaywrightTimeout:
            pass
    else:
        wait_until(wait_page, lambda: reached() is not None, ctx.timeout(ctx.navigation_timeout), ctx.stop)
    via = reached()
    if via is None:
        ctx.check_deadline()  # the scenario's own deadline cut the wait short: that is a timeout
        pending = rec.unanswered_documents(hosts)
        why = f"the request to {pending[0]} got no answer" if pending else f"it stayed on {page.url}"
        obs.update(reached=False, note=f"the browser never reached {', '.join(hosts)}: {why}")
        return PayOutcome(
            observation=PaymentObservation(**obs),
            steps=steps,
            returned_page=None,
        )
    reach_url = (
        popup.url
        if via == "popup" and popup
        else (
            page.url
            if via == "navigation"
            else next(f.url for f in page.frames[1:] if host_matches(host_of(f.url), hosts))
        )
    )
    obs.update(reached=True, reached_via=via, reached_url=reach_url)
    if via == "navigation":
        try:
            page.wait_for_load_state("load", timeout=ctx.timeout(ctx.navigation_timeout))
        except PlaywrightTimeout:
            pass  # a platform page whose HTML is there but whose load never ends: its steps still run
    reached_nav_count = len(rec.navigations_of("main"))

    # 3. What the customer does on the platform.
    target = popup or page
    for i, step in enumerate(args.steps):
        try:
            steps.append(run_step(target, step, f"{index}.{i}", ctx))
        except StepFailed as exc:
            if popup is not None and popup.is_closed():
                break  # approving in a popup closes it: that is how such platforms finish
            obs["first_platform_response_ms"] = rec.first_response_from(hosts)
            raise PayStepFailed(str(exc), PaymentObservation(**obs), steps) from None
    last_step_ended = rec.now()
    obs["last_step_ended_ms"] = last_step_ended

    # 4. The return: automatic within return.timeout, else by return.click, else none.
    def back() -> Navigation | None:
        for nav in rec.navigations_of("main")[reached_nav_count:]:
            if _is_shop(nav.host, shop_hosts, hosts):
                return nav
        return None

    ret = args.return_
    returned = "none"
    came_back = wait_until(page, lambda: back() is not None, ctx.timeout(ret.timeout), ctx.stop)
    if came_back:
        returned = "automatic"
    elif ret.click is not None:
        obs["return_waited_ms"] = rec.now() - last_step_ended
        click_page = popup if popup is not None and not popup.is_closed() else page
        selector = ctx.values.substitute(ret.click.selector)
        button = wait_visible(click_page, ret.click, selector, ctx)
        obs["return_click_found"] = button is not None
        if button is not None:
            clicked_at = rec.now()
            rec.user_action = True
            try:
                button.click(timeout=ctx.timeout(ret.click.timeout))
            except PlaywrightError:
                pass  # a click that closes its window or navigates away is judged by the return itself
            finally:
                rec.user_action = False
            steps.append(
                StepRecord(
                    index=f"{index}.return",
                    action="click",
                    target=selector,
                    started_ms=clicked_at,
                    ended_ms=rec.now(),
                )
            )
            if wait_until(page, lambda: back() is not None, ctx.timeout(ctx.navigation_timeout), ctx.stop):
                returned = "manual"
    nav = back()
    obs["returned"] = returned
    if nav is None:
        ctx.check_deadline()
        obs["note"] = "the customer was never sent back to the shop"
        first = rec.first_response_from(hosts)
        obs["first_platform_response_ms"] = first
        return PayOutcome(
            observation=PaymentObservation(**obs),
            steps=steps,
            returned_page=None,
        )

    # 5. The first shop page after the payment, loaded.
    try:
        page.wait_for_load_state("load", timeout=ctx.timeout(ctx.navigation_timeout))
    except PlaywrightTimeout:
        obs["note"] = f"the shop page {nav.url} did not finish loading"
    first = rec.first_response_from(hosts)
    obs.update(
        mechanism="click" if returned == "manual" else _mechanism(nav, shop_hosts, hosts, popup is not None),
        back_on_shop_ms=nav.at_ms,
        first_shop_url=nav.url,
        first_platform_response_ms=first,
        return_request_method=nav.method,
        return_cookies_sent=nav.cookies_sent,
        return_cookies_blocked=nav.cookies_blocked,
        time_on_platform_ms=max(0, nav.at_ms - first) if first is not None else None,
        return_ms=max(0, nav.at_ms - last_step_ended),
    )
    return PayOutcome(
        observation=PaymentObservation(**obs),
        steps=steps,
        returned_page=page,
    )


__all__ = ["PayOutcome", "ScenarioTimeout", "run_pay", "wait_until"]
