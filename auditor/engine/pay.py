"""The `pay` step: leave the shop for the payment platform, act there, and see how the customer returns.

Four phases, each returning what it found: leave (the click on the shop), reach (the platform, by a
navigation, a popup or an iframe), act (the steps on the platform) and come back (on its own, by
`return.click`, or never). Their findings are frozen once into a PaymentObservation; the timings that
follow from them (time on the platform, how long the return took) are computed by the checks.

While it waits, it tells the scenario's own mistakes from the shop's: a submit that leads to a host
neither the shop's nor in `hosts`, and a host the browser cannot reach, end the scenario in error at
once (naming the host and the fix) instead of failing the shop after the navigation timeout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from auditor.engine.aborts import (
    BrowserGone,
    Interrupted,
    ScenarioAbort,
    ScenarioInvalid,
    ScenarioTimeout,
    StepFailed,
)
from auditor.engine.frames import filled, first_visible, shown_url
from auditor.engine.gestures import submit_trouble
from auditor.engine.observe import page_eval
from auditor.engine.steps import (
    StepContext,
    closest_match,
    find,
    missing,
    not_found,
    run_step,
    wait_until,
)
from auditor.hosts import host_matches, host_of
from auditor.observation import Navigation, NavigationCause, PaymentObservation, StepRecord, step_place
from auditor.scenario.model import ElementArgs, PayArgs

# An iframe this large (width, height), appearing after the submit, is a payment form, not a tracking
# pixel; without a submit, the form already in the page may be a single line of card fields.
_PAYMENT_FRAME = (200, 150)
_CARD_FIELDS_FRAME = (100, 20)


class PayStepFailed(ScenarioAbort):
    """The pay step stopped at one of its parts (`cause` says why); what was seen so far is kept."""

    def __init__(
        self,
        cause: ScenarioAbort,
        observation: PaymentObservation,
        steps: list[StepRecord],
        *,
        index: str,
        action: str,
        target: str = "",
        key: str | None = None,
    ):
        super().__init__(str(cause))
        self.key = key  # the part of the step at fault, e.g. "pay.hosts"
        self.cause = cause
        self.observation = observation
        self.steps = steps
        self.index = index  # "6", "6.submit", "6.1": the part that stopped
        self.action = action
        self.target = target


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
    candidates: list[dict[str, str]] = field(default_factory=list)
    note: str | None = None
    timeout_ms: int | None = None  # how long the automatic return was waited for, when it did not come
    announced: dict[str, Any] | None = None  # a return the platform's page announced for later
    late: dict[str, Any] | None = None  # an automatic return that came after return.timeout (see _late)


# The platform's page's meta refresh: its content and how long the page has been there.
_REFRESH_JS = r"""
(_root) => {
  const meta = document.querySelector('meta[http-equiv="refresh" i]');
  return meta ? {content: meta.getAttribute('content') || '', shown_ms: performance.now(),
                 base: location.href} : null;
}
"""
_REFRESH = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?$", re.I | re.S)


def _refresh_target(found: Mapping[str, Any]) -> tuple[float, str] | None:
    """A meta refresh's delay in seconds and the absolute URL it goes to (HTML's own rules, loosely)."""
    match = _REFRESH.match(str(found.get("content", "")))
    if match is None:
        return None
    delay, target = float(match.group(1)), (match.group(2) or "").strip().strip("'\"")
    return delay, urljoin(str(found.get("base", "")), target)  # no URL: the page itself, as urljoin gives


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


# The links and buttons of a page that lead back to `shopHosts`, or whose text says so, with a selector
# for each that matches it alone: what a `return.click` could be.
_WAYS_BACK_JS = r"""
(_root, shopHosts) => {
  const back = new RegExp('\\b(volver|regresar|continuar|continue|return|back|zur(ü|ue)ck|retour|'
    + 'revenir|tornare|torna|voltar|terminar|finalizar|finish|done|shop|tienda|comercio|boutique)\\b', 'i');
  const hostOf = (url) => {
    try { return new URL(url, location.href).hostname.toLowerCase(); } catch (e) { return ''; }
  };
  const toShop = (url) => shopHosts.includes(hostOf(url));
  const visible = (el) => { const b = el.getBoundingClientRect(); return b.width > 0 && b.height > 0; };
  const textOf = (el) => ((el.innerText || el.value || '') + '').replace(/\s+/g, ' ').trim();
  const unique = (sel) => {
    try { return document.querySelectorAll(sel).length === 1; } catch (e) { return false; }
  };
  const found = [];
  const clickable = 'a[href], button, input[type=submit], input[type=button], [role=button], [role=link]';
  for (const el of document.querySelectorAll(clickable)) {
    if (!visible(el) || found.length >= 5) continue;
    const text = textOf(el);
    const form = el.form || null;
    const href = el.tagName === 'A' ? el.getAttribute('href') : null;
    const submits = form && (el.type || 'submit') === 'submit';
    const leads = (href && toShop(href)) || (submits && toShop(form.action));
    if (!leads && !(text && back.test(text))) continue;
    const byHref = href ? 'a[href=' + JSON.stringify(href) + ']' : null;
    let selector = null;
    if (el.id && unique('#' + CSS.escape(el.id))) selector = '#' + CSS.escape(el.id);
    else if (text && text.length <= 40) selector = 'text=' + JSON.stringify(text);
    else if (byHref && unique(byHref)) selector = byHref;
    if (!selector) continue;
    const kind = el.tagName === 'A' ? 'link' : 'button';
    const where = leads ? ' to ' + hostOf(href || form.action) : '';
    found.push({selector: selector, what: kind + (text ? ' ' + JSON.stringify(text) : '') + where});
  }
  return found;
}
"""


class _PayRun:
    """One pay step in progress."""

    def __init__(
        self,
        page: Page,
        args: PayArgs,
        index: str,
        ctx: StepContext,
        shop_hosts: set[str],
        declared: tuple[str, ...] = (),
    ):
        self.page = page
        self.args = args
        self.index = index
        self.ctx = ctx
        self.rec = ctx.recorder
        self.hosts = args.hosts
        self.shop_hosts = shop_hosts
        self.declared = declared  # hosts the scenario names elsewhere (allow_hosts, Connectif): not foreign
        self.steps: list[StepRecord] = []
        self.popup: Page | None = None
        self.frames_before: set[int] = set()
        self.left_at = 0  # when the submit was clicked, in ms since the scenario started
        self.left_for: str | None = None
        self.windows_before: set[int] = set()  # the context's pages before the submit
        self.at_fault: str | None = None  # the part of the pay step the scenario got wrong
        self.driven = False  # the submit and the platform's steps are someone else's (DrivenPay)
        self.fault: str | None = None  # why the shop's page never moved on after the submit, when known

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
        click = self.args.return_.click
        return PaymentObservation(
            provider=self._substituted(self.args.provider) if self.args.provider is not None else None,
            hosts=list(self.hosts),
            reached=reached is not None,
            reached_via=reached.via if reached else None,
            reached_url=reached.url if reached else None,
            first_platform_response_ms=self.rec.first_response_from(self.hosts) if reached else None,
            last_step_ended_ms=last_step_ended,
            returned=back.returned if back else "none",
            return_waited_ms=back.waited_ms if back else None,
            return_click_found=back.click_found if back else None,
            return_click=self._substituted(click.selector) if click is not None else None,
            return_candidates=list(back.candidates) if back else [],
            return_timeout_ms=back.timeout_ms if back else None,
            announced_return=back.announced if back else None,
            late_return=back.late if back else None,
            left_for=self.left_for,
            mechanism=mechanism,
            back_on_shop_ms=nav.at_ms if nav else None,
            first_shop_url=nav.url if nav else None,
            return_request_method=nav.method if nav else None,
            return_cookies_sent=list(nav.cookies_sent) if nav else [],
            return_cookies_blocked=dict(nav.cookies_blocked) if nav else {},
            note=note if note is not None else (back.note if back else None),
        )

    def _substituted(self, text: str) -> str:
        try:
            return self.ctx.values.substitute(text)
        except ScenarioAbort:
            return text

    def stopped(
        self,
        cause: ScenarioAbort,
        reached: _Reached | None,
        index: str,
        action: str,
        target: str = "",
        key: str | None = None,
    ) -> PayStepFailed:
        """The pay step ends here, in error: keep what was seen and where it stopped."""
        observation = self.freeze(reached, note=str(cause))
        return PayStepFailed(
            cause, observation, self.steps, index=index, action=action, target=target, key=key
        )

    # ------------------------------------------------------------ 1. leave the shop

    def leave(self) -> None:
        args, ctx, rec = self.args, self.ctx, self.rec
        self.frames_before = {id(f) for f in self.page.frames}
        self.windows_before = {id(p) for p in self.page.context.pages}
        self.left_at = rec.now()
        if args.submit is None:
            if args.popup:
                others = [p for p in self.page.context.pages if p is not self.page and not p.is_closed()]
                self.popup = others[-1] if others else None
                if self.popup is None:
                    raise ScenarioInvalid("pay has popup: true but no submit, and no popup window is open")
            return
        submit = filled(args.submit, ctx.values.substitute)
        index = f"{self.index}.submit"
        selector = submit.selector
        waited = submit.timeout or ctx.step_timeout
        element = find(self.page, submit, selector, ctx)
        if element is None:
            absent = missing(submit, selector, waited, self.page)
            cause = StepFailed(f"the payment button {selector!r} never appeared: {absent}")
            raise self.stopped(cause, None, index, "click", selector)
        rec.user_action = True
        try:
            if args.popup:
                with self.page.context.expect_page(timeout=ctx.timeout(ctx.navigation_timeout)) as info:
                    element.click(timeout=ctx.timeout(submit.timeout))
                self.popup = info.value
            else:
                element.click(timeout=ctx.timeout(submit.timeout))
        except PlaywrightTimeout as exc:
            gone = not_found(exc, submit, selector, waited, self.page)
            if gone is not None:
                cause = StepFailed(f"the payment button {selector!r} never appeared: {gone}")
                raise self.stopped(cause, None, index, "click", selector) from None
            if args.popup:
                window = StepFailed(f"clicking {selector!r} opened no payment window")
                raise self.stopped(window, None, index, "click", selector) from None
            # The click may be waiting on a platform that does not answer: whether the platform
            # was reached is decided below, from what the browser did.
        finally:
            rec.user_action = False
        place = step_place(index)
        self.steps.append(
            StepRecord(
                index=index,
                place=place,
                line=ctx.lines.get(place),
                action="click",
                target=selector,
                started_ms=self.left_at,
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
                return _Reached(via="iframe", url=shown_url(frame.url))  # its query may hold keys
        return None

    def _foreign_host(self, host: str) -> bool:
        """A host that is neither the shop's, nor the platform's, nor named anywhere in the scenario."""
        return bool(host) and not host_matches(host, self.hosts) and host not in self.shop_hosts

    def _undeclared_window(self) -> str | None:
        """The address of a window opened since the submit on pay.hosts, when `popup` is not set.

        Only once no page is on its way anywhere: a shop that opens a window and also takes its own page
        to the platform is reached by that page.
        """
        if self.args.popup or self.popup is not None or self.rec.pending_documents_since(self.left_at):
            return None
        for window in self.page.context.pages:
            if id(window) in self.windows_before or window.is_closed():
                continue
            if host_matches(host_of(window.url), self.hosts):
                return window.url
        return None

    def _elsewhere(self) -> tuple[str, str] | None:
        """(via, url) when the submit led the customer to a host that pay.hosts does not list: a
        top-level page (or popup) that has loaded there and goes no further, or a payment-sized iframe."""
        target = self.popup if self.popup is not None else self.page
        if target.is_closed():
            return None
        url = target.url
        if self._foreign_host(host_of(url)) and not host_matches(host_of(url), self.declared):
            commits = [n for n in self.rec.navigations if n.url == url and n.at_ms >= self.left_at]
            since = commits[-1].at_ms if commits else self.left_at
            if self.rec.pending_documents_since(since):
                return None  # it is moving on (an auto-submitted form, a redirect): wait for where to
            if not self.ctx.wait_loaded(target):  # loaded, and not on its way: where the submit led
                return None
            if self.rec.pending_documents_since(since) or target.url != url:
                return None
            return ("popup" if self.popup is not None else "navigation"), url
        if self.popup is None:
            # Without a submit the payment is a form already in the page: its iframe counts too.
            before = self.frames_before if self.args.submit is not None else set()
            for frame in self.page.frames[1:]:
                if id(frame) in before or not self._payment_frame(frame):
                    continue
                return "iframe", shown_url(frame.url)
        return None

    def _payment_frame(self, frame: Frame) -> bool:
        host = host_of(frame.url)
        if not self._foreign_host(host) or host_matches(host, self.declared):
            return False
        try:
            box = frame.frame_element().bounding_box()
        except PlaywrightError:
            return False
        width, height = _PAYMENT_FRAME if self.args.submit is not None else _CARD_FIELDS_FRAME
        return box is not None and box["width"] >= width and box["height"] >= height

    def _trouble(self) -> ScenarioAbort | None:
        """The scenario's mistake (or a blocked live payment) that stops the wait for the platform."""
        try:
            self.ctx.live_guard()
        except ScenarioAbort as exc:
            return exc
        # Page requests since the submit, and any request to the platform (an iframe in the checkout page).
        failed = self.rec.unreachable_since(self.left_at) or self.rec.unreachable_since(0, self.hosts)
        if failed is not None:
            return self.ctx.unreachable(failed)
        window = self._undeclared_window()
        if window is not None:
            self.at_fault = "pay.popup"
            return ScenarioInvalid(
                f"the payment opened a new window on {host_of(window)} ({window}), but this pay step does "
                "not say `popup: true`, so its steps would run in the shop's page: add `popup: true`"
            )
        elsewhere = self._elsewhere()
        if elsewhere is None:
            return None
        via, url = elsewhere
        host = host_of(url)
        self.left_for = host
        self.at_fault = "pay.hosts"
        listed = ", ".join(self.hosts)
        went = {
            "navigation": "the submit left the shop for",
            "popup": "the submit opened a window on",
            "iframe": "the submit showed an iframe from" if self.args.submit else "the payment iframe is on",
        }
        return ScenarioInvalid(
            f"{went[via]} {host} ({url}), which pay.hosts ({listed}) does not list: did you mean "
            f"`hosts: [{host}]`?"
        )

    def reach(self) -> _Reached | None:
        ctx = self.ctx
        target = self.popup or self.page
        trouble: list[ScenarioAbort] = []

        def there() -> bool:
            if self._where() is not None or (self.popup is not None and self.popup.is_closed()):
                return True
            found = self._trouble()
            if found is not None:
                trouble.append(found)
            return found is not None

        # Without a submit nothing here leaves the shop: the platform is there already, or its iframe
        # is on its way into the page (a step's wait), or the scenario forgot the click that goes there.
        unled = self.args.submit is None and self.popup is None and not self.driven
        wait = ctx.timeout(None) if unled else ctx.timeout(ctx.navigation_timeout)
        wait_until(target, there, wait, ctx.stop)
        reached = self._where()
        if reached is None and trouble:
            raise self.stopped(trouble[0], None, self.index, "pay", key=self.at_fault)
        if reached is None and unled:
            ctx.check_deadline()
            raise self.stopped(self._unled(wait), None, self.index, "pay", key="submit")
        if reached is None and self._quiet_submit():
            # The submit led nowhere: the element it clicked says whose mistake that is.
            ctx.check_deadline()
            assert self.args.submit is not None
            submit = filled(self.args.submit, self._substituted)
            selector = submit.selector
            mistake, self.fault = submit_trouble(self.page, submit, selector, step_place(self.index))
            if mistake is not None:
                raise self.stopped(mistake, None, f"{self.index}.submit", "click", selector)
        if reached is not None and reached.via == "navigation":
            # A platform page whose HTML is there but whose load never ends: its steps still run.
            ctx.wait_loaded(self.page)
        return reached

    @staticmethod
    def _click_missed(
        selector: str,
        url: str,
        waited_ms: int,
        close: tuple[str, str] | None,
        ways: list[dict[str, str]],
    ) -> StepFailed:
        message = f"no visible element matches {selector!r} on {url} within {waited_ms / 1000:g}s"
        if close is not None:
            message += f"; the closest on the page is {close[0]!r} (by {close[1]})"
        else:
            listed = "; ".join(f"{w['selector']!r} ({w['what']})" for w in ways)
            message += f"; the page's ways back to the shop: {listed}"
        return StepFailed(message)

    def _unled(self, waited_ms: int) -> ScenarioInvalid:
        hosts = ", ".join(self.hosts)
        return ScenarioInvalid(
            f"this pay step has no `submit`, so the payment platform ({hosts}) had to be there when it "
            f"started (an earlier step that goes there, or its iframe in the page), but the browser is on "
            f"{self.page.url} and no iframe from {hosts} came within {waited_ms / 1000:g}s: add "
            "`submit:` with the click that leaves the shop for the platform"
        )

    def _quiet_submit(self) -> bool:
        """The submit led nowhere: no page of the main window since, none on its way, no window opened."""
        return (
            self.args.submit is not None
            and not self.driven
            and self.popup is None
            and not any(n.at_ms >= self.left_at for n in self.rec.navigations_of("main"))
            and not self.rec.pending_documents_since(self.left_at)
            and not self.rec.unanswered_documents(self.hosts)
        )

    def not_reached_note(self) -> str:
        pending = self.rec.unanswered_documents(self.hosts)
        why = f"the request to {pending[0]} got no answer" if pending else f"it stayed on {self.page.url}"
        if self.fault is not None and not pending:
            why += f": {self.fault}"
        return f"the browser never reached {', '.join(self.hosts)}: {why}"

    # ------------------------------------------------------------ 3. act on the platform

    def act(self, reached: _Reached) -> int:
        """Run the platform steps; returns when the last one ended."""
        target = self.popup or self.page
        for i, step in enumerate(self.args.steps):
            index = f"{self.index}.{i}"
            try:
                self.steps.append(run_step(target, step, index, self.ctx))
            except (ScenarioTimeout, Interrupted, BrowserGone):
                raise
            except ScenarioAbort as exc:
                if self.popup is not None and self.popup.is_closed():
                    break  # approving in a popup closes it: that is how such platforms finish
                target_text = getattr(step.args, "selector", None) or getattr(step.args, "url", None) or ""
                raise self.stopped(
                    exc, reached, index, step.action, self._substituted(str(target_text))
                ) from None
        return self.rec.now()

    # ------------------------------------------------------------ 4. come back

    def _back(self, since: int) -> Navigation | None:
        for nav in self.rec.navigations_of("main")[since:]:
            if nav.error is None and _is_shop(nav.host, self.shop_hosts, self.hosts):
                return nav
        return None

    def _platform_page(self) -> Page:
        """The page the customer is on at the platform: its popup while open, else the main page."""
        return self.popup if self.popup is not None and not self.popup.is_closed() else self.page

    def _ways_back(self) -> list[dict[str, str]]:
        """The links and buttons on the platform's last page that lead back to the shop."""
        page = self._platform_page()
        try:
            found = page_eval(page, _WAYS_BACK_JS, sorted(h for h in self.shop_hosts if h), timeout_ms=3_000)
        except PlaywrightError:
            return []
        return [{"selector": str(f["selector"]), "what": str(f["what"])} for f in found]

    def _announced_return(self) -> dict[str, Any] | None:
        """A return to the shop that the platform's page has announced but not yet made: a meta refresh
        whose delay is longer than return.timeout. Whether customers wait that long is the scenario's
        call, so the check says so and where return.timeout is, instead of 'never came back' alone."""
        page = self._platform_page()
        try:
            found = page_eval(page, _REFRESH_JS, timeout_ms=3_000)
        except PlaywrightError:
            return None
        target = _refresh_target(found) if isinstance(found, dict) else None
        if target is None or not _is_shop(host_of(target[1]), self.shop_hosts, self.hosts):
            return None
        delay, url = target
        step = step_place(self.index)
        return {
            "how": "meta-refresh",
            "after_s": delay,
            "remaining_ms": max(0, round(delay * 1000 - float(found.get("shown_ms", 0)))),
            "url": url,
            "timeout_at": self.ctx.where(f"{step}.pay.return.timeout", f"{step}.pay.return", step),
        }

    def come_back(self, reached: _Reached, since: int, last_step_ended: int) -> _Return:
        """Wait for the return: automatic within return.timeout, else by return.click, else none."""
        ctx, rec, ret = self.ctx, self.rec, self.args.return_
        failed_since = last_step_ended
        trouble: list[ScenarioAbort] = []

        def back() -> bool:
            if self._back(since) is not None:
                return True
            failed = rec.unreachable_since(failed_since)
            if failed is not None:
                trouble.append(ctx.unreachable(failed))
            return failed is not None

        def wait(timeout: int) -> bool:
            came = wait_until(self.page, back, timeout, ctx.stop)
            if trouble and self._back(since) is None:
                raise self.stopped(trouble[0], reached, self.index, "pay")
            return came

        if wait(ctx.timeout(ret.timeout)):
            return _Return(returned="automatic", navigation=self._back(since))
        waited = rec.now() - last_step_ended
        announced = self._announced_return()
        if ret.click is None:
            return _Return(
                returned="none",
                navigation=None,
                candidates=self._ways_back(),
                timeout_ms=waited,
                announced=announced,
            )
        click_page = self._platform_page()
        click = filled(ret.click, ctx.values.substitute)
        selector = click.selector
        button = self._click_target(click_page, click, selector, since)
        came_back = self._back(since)
        if came_back is not None:
            # The platform sent the customer back on its own while the click was looked for: that is
            # the return, an automatic one later than return.timeout, never a click that went missing
            # on the shop's own page.
            return self._late(came_back, last_step_ended, waited, selector, button is not None, announced)
        if button is None:
            close = closest_match(click_page, click, selector)
            ways = self._ways_back()
            if close is not None or ways:
                # The page has a way back that the selector misses: the scenario's mistake.
                raise self.stopped(
                    self._click_missed(selector, click_page.url, ctx.timeout(click.timeout), close, ways),
                    reached,
                    f"{self.index}.return",
                    "click",
                    selector,
                )
            return _Return(  # a dead end: no way back at all, whatever the selector
                returned="none",
                navigation=None,
                waited_ms=waited,
                click_found=False,
                candidates=ways,
                note=f"return.click {selector!r} never appeared on {click_page.url}",
            )
        clicked_at = rec.now()
        failed_since = clicked_at
        rec.user_action = True
        try:
            button.click(timeout=ctx.timeout(click.timeout))
        except PlaywrightError:
            pass  # a click that closes its window or navigates away is judged by the return itself
        finally:
            rec.user_action = False
        index = f"{self.index}.return"
        place = step_place(index)
        self.steps.append(
            StepRecord(
                index=index,
                place=place,
                line=ctx.lines.get(place),
                action="click",
                target=selector,
                started_ms=clicked_at,
                ended_ms=rec.now(),
            )
        )
        came = wait(ctx.timeout(ctx.navigation_timeout))
        nav = self._back(since)
        if nav is not None and nav.at_ms < clicked_at:
            # The shop's page had committed before the click began: the platform's own return, not ours.
            return self._late(nav, last_step_ended, waited, selector, True, announced)
        return _Return(
            returned="manual" if came else "none",
            navigation=nav,
            waited_ms=waited,
            click_found=True,
            timeout_ms=waited,
            announced=announced,
        )

    def _click_target(
        self, click_page: Page, click: ElementArgs, selector: str, since: int
    ) -> Locator | None:
        """The return.click element once visible; None when it does not come in time, or when the platform
        sends the customer back on its own first (a late automatic return: the caller looks at `_back`).

        Woken by the main page's navigations, so a return ends the wait at once; the element itself is
        looked at on each wake, at most _RECHECK_MS apart (an element in a popup wakes no event here).
        """
        element = first_visible(click_page, click, selector)

        def ready() -> bool:
            if self._back(since) is not None:
                return True
            try:
                return element.is_visible()
            except PlaywrightError:  # the page is moving on, or its popup closed: look on the next wake
                return False

        if not wait_until(self.page, ready, self.ctx.timeout(click.timeout), self.ctx.stop):
            return None
        return None if self._back(since) is not None else element

    def _late(
        self,
        nav: Navigation,
        last_step_ended: int,
        waited: int,
        selector: str,
        click_found: bool,
        announced: dict[str, Any] | None,
    ) -> _Return:
        """An automatic return that came after return.timeout, while return.click was waited for.

        A customer who waits that long comes back with no further action, so it is `automatic` (with its
        own mechanism); whether customers wait that long is the scenario's call, as for a meta refresh
        announced for later, so the check names return.timeout's line instead of blaming a missing click.
        """
        step = step_place(self.index)
        late = {
            "after_ms": max(0, nav.at_ms - last_step_ended),
            "timeout_ms": waited,
            "timeout_at": self.ctx.where(f"{step}.pay.return.timeout", f"{step}.pay.return", step),
            "click": selector,
            "click_found": click_found,
        }
        return _Return(
            returned="automatic", navigation=nav, timeout_ms=waited, announced=announced, late=late
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
        back = self.come_back(reached, since, last_step_ended)
        if back.navigation is None:
            ctx.check_deadline()
            observation = self.freeze(
                reached,
                last_step_ended=last_step_ended,
                back=back,
                note=back.note or "the customer was never sent back to the shop",
            )
            return PayOutcome(observation=observation, steps=self.steps, returned_page=None)
        note = None
        if not ctx.wait_loaded(page):  # the first shop page after the payment, loaded
            note = f"the shop page {back.navigation.url} did not finish loading"
        observation = self.freeze(reached, last_step_ended=last_step_ended, back=back, note=note)
        return PayOutcome(observation=observation, steps=self.steps, returned_page=page)


def run_pay(
    page: Page,
    args: PayArgs,
    index: str,
    ctx: StepContext,
    shop_hosts: set[str],
    declared: tuple[str, ...] = (),
) -> PayOutcome:
    """Go through the payment platform and come back; records everything as plain data."""
    run = _PayRun(page, args, index, ctx, shop_hosts, declared)
    reached: _Reached | None = None
    try:
        run.leave()
        reached = run.reach()
        if reached is None:
            return run.not_reached()
        since = len(ctx.recorder.navigations_of("main"))
        return run.come_home(reached, since, run.act(reached))
    except BrowserGone as exc:  # the browser died on the way: keep the steps and what was seen so far
        raise run.stopped(exc, reached, index, "pay") from None


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
        self.run.windows_before = {id(p) for p in page.context.pages}
        self.run.driven = True
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
                    seen.append((frame.at_ms, _Reached(via="iframe", url=shown_url(frame.url)), before))
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
