"""The `pay` step: leave the shop for the payment platform, act there, and see how the customer returns.

Four phases, each returning what it found: leave (the click on the shop), reach (the platform, by a
navigation, a popup or an iframe), act (the steps on the platform) and come back (on its own, by
`return.click`, or never). Their findings are frozen once into a PaymentObservation; the timings that
follow from them (time on the platform, how long the return took) are computed by the checks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from auditor.engine.aborts import BrowserGone, Interrupted, StepFailed
from auditor.engine.steps import StepContext, find, not_found, run_step, wait_visible
from auditor.hosts import host_matches, host_of
from auditor.observation import Navigation, NavigationCause, PaymentObservation, StepRecord
from auditor.scenario.model import PayArgs

# The longest a condition goes unchecked while we wait for events of other pages (a popup closing).
_RECHECK_MS = 100


class PayStepFailed(StepFailed):
    """A step on the payment platform failed; what was seen of the payment so far is kept."""

    def __init__(self, message: str, observation: PaymentObservation, steps: list[StepRecord]):
        super().__init__(message)
        self.observation = observation
        self.steps = steps


@dataclass(frozen=True, kw_only=True)
class PayOutcome:
    """What the scenario run needs after a pay step."""

    observation: PaymentObservation
    steps: list[StepRecord]
    returned_page: Page | None  # the shop page the customer came back to, loaded


@dataclass(frozen=True, kw_only=True)
class _Reached:
    via: str  # "navigation", "popup" or "iframe"
    url: str


@dataclass(frozen=True, kw_only=True)
class _Return:
    returned: str  # "automatic", "manual" or "none"
    navigation: Navigation | None  # the first shop page after the payment
    waited_ms: int | None = None  # how long the auditor waited before clicking return.click
    click_found: bool | None = None


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


def _is_shop(host: str, shop_hosts: set[str], pay_hosts: tuple[str, ...]) -> bool:
    return host in shop_hosts and not host_matches(host, pay_hosts)


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


class _PayRun:
    """One pay step in progress."""

    def __init__(self, page: Page, args: PayArgs, index: str, ctx: StepContext, shop_hosts: set[str]):
        self.page = page
        self.args = args
        self.index = index
        self.ctx = ctx
        self.rec = ctx.recorder
        self.hosts = args.hosts
        self.shop_hosts = shop_hosts
        self.steps: list[StepRecord] = []
        self.popup: Page | None = None

    def freeze(
        self,
        reached: _Reached | None,
        *,
        last_step_ended: int | None = None,
        back: _Return | None = None,
        note: str | None = None,
    ) -> PaymentObservation:
        """What this pay step found so far, as the plain record the checks judge."""
        nav = back.navigation if back is not None else None
        mechanism = None
        if nav is not None and back is not None:
            popup = self.popup is not None
            manual = back.returned == "manual"
            mechanism = "click" if manual else _mechanism(nav, self.shop_hosts, self.hosts, popup)
        return PaymentObservation(
            provider=self.args.provider,
            hosts=list(self.hosts),
            reached=reached is not None,
            reached_via=reached.via if reached else None,
            reached_url=reached.url if reached else None,
            first_platform_response_ms=self.rec.first_response_from(self.hosts) if reached else None,
            last_step_ended_ms=last_step_ended,
            returned=back.returned if back else "none",
            return_waited_ms=back.waited_ms if back else None,
            return_click_found=back.click_found if back else None,
            mechanism=mechanism,
            back_on_shop_ms=nav.at_ms if nav else None,
            first_shop_url=nav.url if nav else None,
            return_request_method=nav.method if nav else None,
            return_cookies_sent=list(nav.cookies_sent) if nav else [],
            return_cookies_blocked=dict(nav.cookies_blocked) if nav else {},
            note=note,
        )

    # ------------------------------------------------------------ 1. leave the shop

    def leave(self) -> None:
        args, ctx, rec = self.args, self.ctx, self.rec
        if args.submit is None:
            if args.popup:
                others = [p for p in self.page.context.pages if p is not self.page and not p.is_closed()]
                self.popup = others[-1] if others else None
                if self.popup is None:
                    raise StepFailed("pay has popup: true but no submit, and no popup window is open")
            return
        submit = args.submit
        started = rec.now()
        selector = ctx.values.substitute(submit.selector)
        element = find(self.page, submit, selector, ctx)
        if element is None:
            raise StepFailed(f"the payment button {selector!r} never appeared")
        rec.user_action = True
        try:
            if args.popup:
                with self.page.context.expect_page(timeout=ctx.timeout(ctx.navigation_timeout)) as info:
                    element.click(timeout=ctx.timeout(submit.timeout))
                self.popup = info.value
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
        self.steps.append(
            StepRecord(
                index=f"{self.index}.submit",
                action="click",
                target=selector,
                started_ms=started,
                ended_ms=rec.now(),
            )
        )

    # ------------------------------------------------------------ 2. reach the platform

    def _where(self) -> _Reached | None:
        hosts, page, popup = self.hosts, self.page, self.popup
        if popup is not None:
            if not popup.is_closed() and host_matches(host_of(popup.url), hosts):
                return _Reached(via="popup", url=popup.url)
            return None
        if host_matches(host_of(page.url), hosts):
            return _Reached(via="navigation", url=page.url)
        for frame in page.frames[1:]:
            if host_matches(host_of(frame.url), hosts):
                return _Reached(via="iframe", url=frame.url)
        return None

    def reach(self) -> _Reached | None:
        ctx, hosts = self.ctx, self.hosts
        if self.popup is not None:
            try:
                self.popup.wait_for_url(
                    lambda url: host_matches(host_of(url), hosts),
                    wait_until="commit",
                    timeout=ctx.timeout(ctx.navigation_timeout),
                )
            except PlaywrightTimeout:
                pass
        else:
            wait_until(
                self.page, lambda: self._where() is not None, ctx.timeout(ctx.navigation_timeout), ctx.stop
            )
        reached = self._where()
        if reached is not None and reached.via == "navigation":
            try:
                self.page.wait_for_load_state("load", timeout=ctx.timeout(ctx.navigation_timeout))
            except PlaywrightTimeout:
                pass  # a platform page whose HTML is there but whose load never ends: its steps still run
        return reached

    def not_reached_note(self) -> str:
        pending = self.rec.unanswered_documents(self.hosts)
        why = f"the request to {pending[0]} got no answer" if pending else f"it stayed on {self.page.url}"
        return f"the browser never reached {', '.join(self.hosts)}: {why}"

    # ------------------------------------------------------------ 3. act on the platform

    def act(self, reached: _Reached) -> int:
        """Run the platform steps; returns when the last one ended."""
        target = self.popup or self.page
        for i, step in enumerate(self.args.steps):
            try:
                self.steps.append(run_step(target, step, f"{self.index}.{i}", self.ctx))
            except StepFailed as exc:
                if self.popup is not None and self.popup.is_closed():
                    break  # approving in a popup closes it: that is how such platforms finish
                raise PayStepFailed(str(exc), self.freeze(reached), self.steps) from None
        return self.rec.now()

    # ------------------------------------------------------------ 4. come back

    def _back(self, since: int) -> Navigation | None:
        for nav in self.rec.navigations_of("main")[since:]:
            if _is_shop(nav.host, self.shop_hosts, self.hosts):
                return nav
        return None

    def come_back(self, since: int, last_step_ended: int) -> _Return:
        """Wait for the return: automatic within return.timeout, else by return.click, else none."""
        ctx, rec, ret = self.ctx, self.rec, self.args.return_
        if wait_until(self.page, lambda: self._back(since) is not None, ctx.timeout(ret.timeout), ctx.stop):
            return _Return(returned="automatic", navigation=self._back(since))
        if ret.click is None:
            return _Return(returned="none", navigation=None)
        waited = rec.now() - last_step_ended
        click_page = self.popup if self.popup is not None and not self.popup.is_closed() else self.page
        selector = ctx.values.substitute(ret.click.selector)
        button = wait_visible(click_page, ret.click, selector, ctx)
        if button is None:
            return _Return(returned="none", navigation=None, waited_ms=waited, click_found=False)
        clicked_at = rec.now()
        rec.user_action = True
        try:
            button.click(timeout=ctx.timeout(ret.click.timeout))
        except PlaywrightError:
            pass  # a click that closes its window or navigates away is judged by the return itself
        finally:
            rec.user_action = False
        self.steps.append(
            StepRecord(
                index=f"{self.index}.return",
                action="click",
                target=selector,
                started_ms=clicked_at,
                ended_ms=rec.now(),
            )
        )
        timeout = ctx.timeout(ctx.navigation_timeout)
        came = wait_until(self.page, lambda: self._back(since) is not None, timeout, ctx.stop)
        return _Return(
            returned="manual" if came else "none",
            navigation=self._back(since),
            waited_ms=waited,
            click_found=True,
        )

    # ------------------------------------------------------------ the outcome

    def not_reached(self, why: str | None = None) -> PayOutcome:
        """The platform was never reached: what was seen, and why."""
        self.ctx.check_deadline()  # the scenario's own deadline cut the wait short: that is a timeout
        observation = self.freeze(None, note=why or self.not_reached_note())
        return PayOutcome(observation=observation, steps=self.steps, returned_page=None)

    def come_home(self, reached: _Reached, since: int, last_step_ended: int) -> PayOutcome:
        """After the last payment step: wait for the return, then for the first shop page's load."""
        ctx, page = self.ctx, self.page
        back = self.come_back(since, last_step_ended)
        if back.navigation is None:
            ctx.check_deadline()
            observation = self.freeze(
                reached,
                last_step_ended=last_step_ended,
                back=back,
                note="the customer was never sent back to the shop",
            )
            return PayOutcome(observation=observation, steps=self.steps, returned_page=None)
        note = None
        try:  # the first shop page after the payment, loaded
            page.wait_for_load_state("load", timeout=ctx.timeout(ctx.navigation_timeout))
        except PlaywrightTimeout:
            note = f"the shop page {back.navigation.url} did not finish loading"
        observation = self.freeze(reached, last_step_ended=last_step_ended, back=back, note=note)
        return PayOutcome(observation=observation, steps=self.steps, returned_page=page)


def run_pay(page: Page, args: PayArgs, index: str, ctx: StepContext, shop_hosts: set[str]) -> PayOutcome:
    """Go through the payment platform and come back; records everything as plain data."""
    run = _PayRun(page, args, index, ctx, shop_hosts)
    run.leave()
    reached = run.reach()
    if reached is None:
        return run.not_reached()
    since = len(ctx.recorder.navigations_of("main"))
    return run.come_home(reached, since, run.act(reached))


class DrivenPay:
    """A pay step whose submit and platform steps someone else performs: a test, through the fixture.

    Started before the click that leaves the shop and finished after the last payment step. How the
    platform was reached is read from what was recorded in between (by then the customer may be back
    already); the wait for the return after the last step is the pay step's own.
    """

    def __init__(
        self,
        page: Page,
        args: PayArgs,
        index: str,
        ctx: StepContext,
        shop_hosts: set[str],
        *,
        popups: bool = True,
    ):
        self.run = _PayRun(page, args, index, ctx, shop_hosts)
        self.rec = ctx.recorder
        self.context = page.context
        self.started_ms = self.rec.now()
        self.main_before = len(self.rec.navigations_of("main"))
        # An in-page platform (its iframe in the checkout) may be there from the start.
        self.already = None if args.popup else self.run._where()
        self.popup: Page | None = None  # the first window opened meanwhile
        self.popup_since = 0  # the main page's navigations when it opened
        self.popup_reached: tuple[int, _Reached] | None = None
        self.watching = popups or args.popup
        if self.watching:
            self.context.on("page", self._opened)

    def _opened(self, popup: Page) -> None:
        if self.popup is not None:
            return
        self.popup = popup
        self.popup_since = len(self.rec.navigations_of("main"))

        def navigated(frame: Frame) -> None:
            mine = self.popup_reached is None and frame == popup.main_frame
            if mine and host_matches(host_of(frame.url), self.run.hosts):
                self.popup_reached = (self.rec.now(), _Reached(via="popup", url=frame.url))

        popup.on("framenavigated", navigated)
        navigated(popup.main_frame)  # a window opened straight on the platform

    def _stop_watching(self) -> None:
        if self.watching:
            self.watching = False
            self.context.remove_listener("page", self._opened)

    def _reached(self) -> tuple[_Reached, int] | None:
        """Where the platform first showed since the start, and the main page's navigations until then."""
        hosts = self.run.hosts
        main = self.rec.navigations_of("main")
        seen: list[tuple[int, _Reached, int]] = []
        if self.already is not None:
            seen.append((self.started_ms, self.already, self.main_before))
        for i in range(self.main_before, len(main)):
            if host_matches(main[i].host, hosts):
                seen.append((main[i].at_ms, _Reached(via="navigation", url=main[i].url), i + 1))
                break
        if not self.run.args.popup:
            for frame in list(self.rec.frames):
                if frame.at_ms >= self.started_ms and host_matches(frame.host, hosts):
                    before = sum(1 for nav in main if nav.at_ms <= frame.at_ms)
                    seen.append((frame.at_ms, _Reached(via="iframe", url=frame.url), before))
                    break
        if self.popup_reached is not None:
            seen.append((self.popup_reached[0], self.popup_reached[1], self.popup_since))
        if self.run.args.popup:
            seen = [s for s in seen if s[1].via == "popup"]
        if not seen:
            return None
        _, where, since = min(seen, key=lambda s: s[0])
        return where, since

    def finish(self) -> PayOutcome:
        """After the last payment step: how the platform was reached, then the wait for the return."""
        self._stop_watching()
        run = self.run
        found = self._reached()
        if found is not None:
            reached, since = found
            if reached.via == "popup":
                run.popup = self.popup
            return run.come_home(reached, since, self.rec.now())
        # Not reached yet: the block may have ended with the click that leaves the shop.
        if run.args.popup and self.popup is None:
            return run.not_reached("popup is set, but no window opened during the payment block")
        run.popup = self.popup
        try:
            later = run.reach()
        except PlaywrightError:  # the window it waited on closed without reaching the platform
            later = None
        if later is None:
            return run.not_reached()
        since = len(self.rec.navigations_of("main"))
        return run.come_home(later, since, self.rec.now())

    def abandon(self) -> PayOutcome:
        """The payment block ended with an exception: what was seen of the payment, no wait."""
        self._stop_watching()
        found = self._reached()
        if found is not None and found[0].via == "popup":
            self.run.popup = self.popup
        observation = self.run.freeze(found[0] if found else None)
        return PayOutcome(observation=observation, steps=self.run.steps, returned_page=None)


__all__ = ["DrivenPay", "PayOutcome", "PayStepFailed", "run_pay", "wait_until"]
