"""One scenario in one browser context: the step loop, the confirmation page and the tracking watch.

The run owns deadlines and hands facts to the Recorder; the verdict comes afterwards from
`auditor.checks.judge`, on plain data.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route
from playwright.sync_api import Error as PlaywrightError

from auditor.connectif.tag import read_tag
from auditor.connectif.tracking import sent_purchases, with_id
from auditor.engine.aborts import BrowserGone, Interrupted, ScenarioAbort, ScenarioInvalid, ScenarioTimeout
from auditor.engine.artefacts import ArtefactRecorder
from auditor.engine.gestures import ended_on_gesture
from auditor.engine.guardrails import LivePaymentGuard
from auditor.engine.observe import Recorder, page_tags, read_tags
from auditor.engine.options import RunOptions
from auditor.engine.pay import PayOutcome, PayStepFailed, run_pay, wait_until
from auditor.engine.steps import StepContext, Values, run_step
from auditor.errors import ErrorKind, first_line
from auditor.hosts import host_matches, host_of, unreachable
from auditor.observation import (
    CookieRecord,
    FailedDocument,
    Observation,
    PageSnapshot,
    PaymentObservation,
    StepRecord,
    step_place,
)
from auditor.scenario.load import LoadedScenario
from auditor.scenario.model import PayStep, Scenario, Step
from auditor.scenario.refs import fill

BUILTINS = ("run_id", "scenario_id", "timestamp", "random")
# Steps that can submit a form, and so a payment: the live-key guard looks before each.
GESTURES = frozenset({"click", "press", "check", "uncheck", "select"})
INTERRUPTED = "interrupted: the run was stopped (Ctrl-C) while this scenario ran"


def context_options(scenario: Scenario, playwright: Playwright) -> dict[str, Any]:
    """Playwright's new_context options for a scenario's `browser:` and `base_url`."""
    opts: dict[str, Any] = {}
    b = scenario.browser
    if b.device:
        if b.device not in playwright.devices:
            raise ScenarioInvalid(f"browser.device {b.device!r} is not a Playwright device name")
        opts.update(playwright.devices[b.device])
        opts.pop("default_browser_type", None)
    if b.viewport:
        opts["viewport"] = {"width": b.viewport.width, "height": b.viewport.height}
    if b.locale:
        opts["locale"] = b.locale
    if b.timezone:
        opts["timezone_id"] = b.timezone
    if b.user_agent:
        opts["user_agent"] = b.user_agent
    if b.ignore_https_errors:
        opts["ignore_https_errors"] = True
    if scenario.base_url:
        opts["base_url"] = scenario.base_url
    return opts


def blocked_url_pattern(hosts: tuple[str, ...]) -> re.Pattern[str]:
    """A URL regex for these host names (`*.` patterns as in host_matches), in the syntax Playwright's
    driver matches itself: requests to other hosts never reach Python."""
    names = []
    for host in hosts:
        if host.startswith("*."):
            names.append(r"(?:[^/?#:@]+\.)?" + re.escape(host[2:]))
        else:
            names.append(re.escape(host))
    return re.compile(
        r"^[a-zA-Z][a-zA-Z0-9+.\-]*://(?:[^/?#@]*@)?(?:" + "|".join(names) + r")(?::\d+)?(?:[/?#]|$)"
    )


def _not_resolved(route: Route) -> None:
    """Fail a request as Chromium fails one to a name that does not resolve."""
    try:
        route.abort("namenotresolved")
    except PlaywrightError:  # the page went away meanwhile
        pass


def _tagged_purchase_id(tags: list[Any]) -> str | None:
    """The purchase id the first tag that has one carries."""
    for snapshot in tags:
        pid = read_tag(snapshot).fields.get("purchase_id")
        if pid:
            return str(pid)
    return None


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """What one attempt of a scenario recorded, ready to be judged (see engine.verdict.judge_attempt)."""

    loaded: LoadedScenario
    number: int
    observation: Observation
    error_kind: ErrorKind | None
    known: dict[str, str]  # every {{name}} value at the end: vars, secrets, captures, built-ins
    secret_values: frozenset[str]
    artefacts: ArtefactRecorder  # decides what to keep once the verdict is known
    started: float = 0.0  # time.monotonic() when the attempt started: the observation's 0 ms
    resolved_hosts: frozenset[str] = frozenset()  # every host name the browser resolved for it


@dataclass(kw_only=True)
class _Confirmation:
    """The first shop page after the payment (or the page a scenario without pay ends on)."""

    url: str
    loaded_ms: int
    served: list[Any] | None
    at_load: PageSnapshot
    final: PageSnapshot | None = None
    tag_seen_ms: int | None = None


class ScenarioRun:
    """One attempt of one scenario in a fresh context of `browser`."""

    def __init__(
        self,
        loaded: LoadedScenario,
        browser: Browser,
        playwright: Playwright,
        options: RunOptions,
        stop: threading.Event,
        attempt: int = 1,
        blocked_hosts: tuple[str, ...] = (),
    ):
        self.loaded = loaded
        # Names the shared browser maps for other scenarios but this one does not: they must not
        # resolve here either, as they would not if this scenario ran alone.
        self.blocked_hosts = blocked_hosts
        self.scenario = loaded.scenario
        self.browser = browser
        self.playwright = playwright
        self.options = options
        self.stop = stop
        self.attempt = attempt
        self.started_wall = datetime.now(UTC)
        self.started = time.monotonic()
        self.deadline = self.started + self.scenario.timeouts.scenario / 1000
        self.recorder = Recorder(
            started=self.started,
            connectif_hosts=self.scenario.connectif.hosts,
            intercept=self.scenario.connectif.mode == "intercept",
        )
        self.values = Values.start(
            run_id=options.run_id,
            scenario_id=loaded.id,
            variables=self.scenario.vars,
            secrets=self.scenario.secrets,
        )
        self.values.secret_values.update(self.scenario.masked_values())  # the Connectif API key
        suffix = "" if attempt == 1 else f"-attempt{attempt}"
        self.artefacts = ArtefactRecorder(
            out_dir=options.out_dir,
            folder=f"artefacts/{loaded.id}{suffix}",
            trace=options.trace,
            video=options.video,
            screenshot_mode=options.screenshot,
        )
        # A browser reached with --cdp or --connect may be shared (other workers' contexts, another
        # client of the same browser server, someone's own tabs): its block stays within the scenario's
        # context, so that each block is told to its own scenario. A launched browser and a grid
        # session are the worker's alone.
        self.guard = LivePaymentGuard(
            self.recorder,
            allowed=options.allow_live_payments,
            browser_wide=not (options.cdp or options.connect),
        )
        self.steps: list[StepRecord] = []
        self.payment: PaymentObservation | None = None
        self.error: str | None = None
        self.error_kind: ErrorKind | None = None
        self.error_step: str | None = None
        self.confirmation: _Confirmation | None = None
        self.tracking_watched = False  # the confirmation page's own watch has run (before a reload)
        self.shop_hosts = {host_of(self.scenario.base_url or "")}

    def context(self) -> StepContext:
        """What each step needs: values, deadlines, where to record."""
        t = self.scenario.timeouts
        return StepContext(
            recorder=self.recorder,
            values=self.values,
            step_timeout=t.step,
            navigation_timeout=t.navigation,
            deadline=self.deadline,
            base_url=self.scenario.base_url or "",
            artefacts=self.artefacts,
            stop=self.stop,
            mapped_hosts=dict(self.scenario.hosts),
            lines=self.loaded.lines,
            file=str(self.loaded.file),
            live_guard=self.guard.check_blocked,
        )

    def _fail(self, kind: ErrorKind, message: str, step: str | None = None) -> None:
        """Record why the scenario ended in error; the first reason wins."""
        if self.error is None:
            self.error, self.error_kind, self.error_step = message, kind, step

    def _timeout_message(self, where: str = "") -> str:
        return f"the scenario passed its timeout of {self.scenario.timeouts.scenario / 1000:g}s{where}"

    def run(self) -> Attempt:
        """Run the scenario and record what happened; never raises for what happens in the browser."""
        ctx = self.context()
        context: BrowserContext | None = None
        page: Page | None = None
        try:
            options = context_options(self.scenario, self.playwright) | self.artefacts.context_options()
            context = self.browser.new_context(**options)
            context.set_default_timeout(self.scenario.timeouts.step)
            context.set_default_navigation_timeout(self.scenario.timeouts.navigation)
            self.artefacts.context_created(context)
            if self.blocked_hosts:
                context.route(blocked_url_pattern(self.blocked_hosts), _not_resolved)
            # The context is watched before its page exists: Playwright then sets the binding and the init
            # script up as the page is created, instead of installing them into a page already there
            # (measured: about 17 ms less before the first step, 25 ms less per checkout).
            self.attach_context(context)
            page = context.new_page()
            self.attach_page(context, page)
            self._steps(page, ctx)
            self.watch_confirmation(page, ctx)
            self._connectif_reached(ctx)
        except (ScenarioAbort, PlaywrightError) as exc:
            self.stopped_by(exc)
        finally:
            if page is not None:
                self.artefacts.page_closing(
                    page,
                    failed=self.error is not None,
                    step=self.error_step,
                    interrupted=self.error_kind is ErrorKind.INTERRUPTED,
                )
            cookies = self._cookies(context)
            self.guard.detach()
            self.recorder.finish()
            if context is not None:
                self.artefacts.close_context(context, page)
        return self._attempt(cookies)

    def _connectif_reached(self, ctx: StepContext) -> None:
        """A Connectif host the browser could not resolve or reach is the scenario's (or the network's)
        trouble, never the shop's: the scenario ends in error, naming the host and the fix."""
        for request in self.recorder.connectif:
            if unreachable(request.failure):
                failed = FailedDocument(
                    at_ms=request.at_ms,
                    url=request.url,
                    host=host_of(request.url),
                    error=request.failure or "",
                )
                what = "Connectif's script" if request.kind == "script" else "Connectif's tracking endpoint"
                self._fail(ErrorKind.HOST_UNREACHABLE, f"{what}: {ctx.unreachable(failed)}")
                return

    def attach(self, context: BrowserContext, page: Page) -> None:
        """Watch a context and the customer's page in it: the live-payment guard and the Recorder."""
        self.attach_context(context)
        self.attach_page(context, page)

    def attach_context(self, context: BrowserContext) -> None:
        """The live-payment guard and the Recorder's context-wide listeners, binding and init script."""
        self.guard.attach(context)
        self.recorder.attach_context(context)

    def attach_page(self, context: BrowserContext, page: Page) -> None:
        """The customer's page, and every window opened after it."""
        self.recorder.attach_page(page, "main")
        self.recorder.watch_popups(context)

    def watch_confirmation(self, page: Page, ctx: StepContext) -> None:
        """After the last step: the confirmation page's tag and the tracking request that carries it."""
        if self.payment is None and self.error is None:
            # A last click whose form the browser refused left the page where it was: not a confirmation
            # page whose missing tag the shop would be blamed for.
            refused = ended_on_gesture(page, ctx.gesture, self.recorder, ctx.where)
            if refused is not None:
                self._fail(refused.kind, str(refused), str(len(self.scenario.steps) - 1))
                return
            # no pay step: the page the scenario ends on is the one whose tag is judged
            self._snapshot_confirmation(page)
        if self.confirmation is not None and self.error is None and not self.tracking_watched:
            self._watch_tracking(page, ctx)

    def stopped_by(self, exc: ScenarioAbort | PlaywrightError) -> None:
        """Record why the scenario could not go on: its deadline, Ctrl-C, a crash, or a step's failure."""
        if isinstance(exc, ScenarioTimeout):
            self._fail(ErrorKind.TIMEOUT, self._timeout_message())
        elif isinstance(exc, Interrupted):
            self._fail(ErrorKind.INTERRUPTED, INTERRUPTED)
        elif isinstance(exc, ScenarioAbort):
            self._fail(exc.kind, str(exc))
        elif self.stop.is_set():
            self._fail(ErrorKind.INTERRUPTED, INTERRUPTED)
        elif not self.browser.is_connected():
            self._fail(
                ErrorKind.BROWSER_CRASHED, "the browser process died or disconnected during the scenario"
            )
        else:
            self._fail(ErrorKind.BROWSER_CRASHED, f"the browser failed: {first_line(exc)}")

    def _page_trouble(self) -> str:
        """Why the current page may lack what a step looked for: it answered with an HTTP error."""
        navs = self.recorder.navigations
        last = navs[-1] if navs else None
        if last is not None and last.status is not None and last.status >= 400:
            return f" (the page {last.url} answered HTTP {last.status})"
        return ""

    def _steps(self, page: Page, ctx: StepContext) -> None:
        for i, step in enumerate(self.scenario.steps):
            index = str(i)
            try:
                if self.stop.is_set():
                    raise Interrupted()
                if time.monotonic() >= self.deadline:
                    raise ScenarioTimeout()
                if isinstance(step, PayStep):
                    if not self._pay(page, step, index, ctx):
                        return  # the customer never came back: the rest of the scenario cannot happen
                elif step.action == "reload":
                    self._reload(page, step, index, ctx)
                else:
                    if step.action in GESTURES:
                        self.guard.before_gesture(page)
                    self.steps.append(run_step(page, step, index, ctx))
                    self.guard.check_blocked()
            except PayStepFailed as exc:  # a part of the pay step: keep what was seen of the payment
                self.payment = exc.observation
                self.steps.extend(exc.steps)
                self._abort_step(exc.cause, exc.index, exc.action, exc.target, exc.key)
                return
            except ScenarioAbort as exc:
                self._abort_step(exc, index, step.action, self._target_of(step))
                return

    def _target_of(self, step: Step) -> str:
        """What a step acts on (its selector or URL, filled in), for the record of a failed step."""
        text = getattr(step.args, "selector", None) or getattr(step.args, "url", None) or ""
        try:
            return self.values.substitute(str(text))
        except ScenarioAbort:
            return str(text)

    def _pay(self, page: Page, step: PayStep, index: str, ctx: StepContext) -> bool:
        """Run a pay step; True when the customer came back to the shop."""
        self.before_payment(page)
        return self.after_payment(run_pay(page, step.args, index, ctx, self.shop_hosts, self._named_hosts()))

    def before_payment(self, page: Page) -> None:
        """Before the click that leaves the shop: the shop's hosts so far, the guard, the network watch."""
        if host_of(page.url):
            self.shop_hosts.update(n.host for n in self.recorder.navigations_of("main") if n.error is None)
        self.guard.before_gesture(page)
        # From here on: the cookies the return carries and why some were blocked. Left on after the
        # payment (a DevTools command can wait on a navigation that never ends).
        self.recorder.watch_network()

    def after_payment(self, outcome: PayOutcome) -> bool:
        """Keep what the payment recorded; True when the customer came back (its page is then read)."""
        self.steps.extend(outcome.steps)
        self.payment = outcome.observation
        self.guard.check_blocked()
        if not self.browser.is_connected():
            raise BrowserGone("the browser is gone")
        if outcome.returned_page is None:
            return False
        self._snapshot_confirmation(outcome.returned_page)
        return True

    def _abort_step(
        self, exc: ScenarioAbort, index: str, action: str, target: str = "", key: str | None = None
    ) -> None:
        """Record why step `index` ended the scenario, telling a deadline, a crash and Ctrl-C apart.

        `key` names the part of the step at fault ("pay.hosts"), when it is not the step as a whole.
        """
        place = step_place(index)
        line = self.loaded.lines.get(place)
        cited = f"{place}.{key}" if key and f"{place}.{key}" in self.loaded.lines else place
        where = f"{cited} ({action}, {self.loaded.where(cited)})"
        if isinstance(exc, ScenarioTimeout) or time.monotonic() >= self.deadline - 0.05:
            self._fail(ErrorKind.TIMEOUT, self._timeout_message(f" during {where}"), index)
        elif isinstance(exc, Interrupted) or self.stop.is_set():
            self._fail(
                ErrorKind.INTERRUPTED, f"interrupted: the run was stopped (Ctrl-C) during {where}", index
            )
        elif isinstance(exc, BrowserGone) or not self.browser.is_connected():
            self._fail(
                ErrorKind.BROWSER_CRASHED, f"the browser process died or disconnected during {where}", index
            )
        else:
            trouble = self._page_trouble() if exc.kind is ErrorKind.STEP_FAILED else ""
            self._fail(exc.kind, f"{where} failed: {exc}{trouble}", index)
        if isinstance(exc, (ScenarioTimeout, Interrupted)):
            return
        now = self.recorder.now()
        self.steps.append(
            StepRecord(
                index=index,
                place=place,
                line=line,
                action=action,
                target=target,
                status="failed",
                started_ms=now,
                ended_ms=now,
                message=str(exc),
            )
        )

    def _snapshot_confirmation(self, page: Page) -> None:
        """The first shop page after the payment: its served HTML, its tags at load."""
        html = self.recorder.served_html(page)  # None when gone: we still have the live DOM
        now = self.recorder.now()
        try:
            read = page_tags(page, html)
        except PlaywrightError:  # the page moved on under the evaluation: read what it shows now
            read = page_tags(page)
        # The page's cart and contact tags, should the binding's message not have been handled yet.
        self.recorder.note_page_read(self.recorder.pages.get(id(page), "main"), read.journey)
        if read.at_load is not None:  # what the page held at its load event, when Connectif's script read it
            at_ms, tags = self.recorder.wall_to_ms(read.at_load[0]), read.at_load[1]
        else:  # the load event never came (a script that never answers): the page as it is now
            at_ms, tags = now, read.now
        self.confirmation = _Confirmation(
            url=page.url,
            loaded_ms=at_ms,
            served=read.served,
            at_load=PageSnapshot(at_ms=at_ms, url=page.url, tags=tags),
        )

    def _purchase_id(self, tags: list[Any]) -> str | None:
        pid = _tagged_purchase_id(tags)
        if pid:
            return pid
        exp = self.scenario.expect.cn_purchase
        if isinstance(exp, dict) and isinstance(exp.get("purchase_id"), str):
            return fill(str(exp["purchase_id"]), self.values.known)
        named = self.scenario.expect.purchase_id  # an API-synced or declined checkout: no tag names it
        return fill(named, self.values.known) if named is not None else None

    def _reload(self, page: Page, step: Step, index: str, ctx: StepContext) -> None:
        """A `reload` step: the page's tracking watched before it (a customer refreshes a page they have
        seen, and a reload would cut a request in flight short) and after it, like the confirmation's."""
        if self.confirmation is not None and not self.tracking_watched:
            self._watch_tracking(page, ctx)
        since = len(self.recorder.connectif)
        record = run_step(page, step, index, ctx)
        self.steps.append(self._watch_reloaded(page, ctx, since, record))

    def _watch_reloaded(self, page: Page, ctx: StepContext, since: int, record: StepRecord) -> StepRecord:
        """Watch the reloaded page until a request carries this purchase or timeouts.tracking has passed."""
        tags: list[Any] = self.confirmation.at_load.tags if self.confirmation is not None else []
        if _tagged_purchase_id(tags) is None:
            try:  # no tag seen before the reload (or no payment yet): the reloaded page may name it
                tags = read_tags(page)
            except PlaywrightError:
                tags = []
        pid = self._purchase_id(tags)

        def new_tracking() -> list[Any]:
            return [r for r in self.recorder.connectif[since:] if r.kind == "tracking"]

        def done() -> bool:
            carrying = with_id(sent_purchases(self.recorder.connectif[since:]), pid)
            return bool(carrying) and all(r.status is not None or r.failure for r in new_tracking())

        remaining = self.scenario.timeouts.tracking - (self.recorder.now() - record.ended_ms)
        if remaining > 0:
            # timeouts.tracking and the scenario's deadline bound the watch, not the step timeout: a
            # duplicate sent after `step` but within `tracking` must be counted (past the deadline: a
            # timeout; Ctrl-C ends the wait through ctx.stop).
            budget = ctx.timeout(remaining)
            try:
                wait_until(page, done, budget, ctx.stop, event="requestfinished")
            except BrowserGone:
                pass  # the window went away: what was seen until then stands
        carried = len(with_id(sent_purchases(self.recorder.connectif[since:]), pid))
        which = f"purchase {pid}" if pid else "a purchase"
        seen = (
            f"after the reload: {len(new_tracking())} tracking request(s), {carried} purchase event(s) "
            f"carrying {which}"
        )
        message = f"{record.message}; {seen}" if record.message else seen
        return record.model_copy(update={"message": message, "ended_ms": self.recorder.now()})

    def _watch_tracking(self, page: Page, ctx: StepContext) -> None:
        """Keep watching for a late tag and the tracking request carrying this purchase, with a deadline."""
        confirmation = self.confirmation
        if confirmation is None or page.is_closed():
            return
        self.tracking_watched = True
        deadline_ms = confirmation.loaded_ms + self.scenario.timeouts.tracking
        tags = confirmation.at_load.tags

        def done() -> bool:
            nonlocal tags
            if _tagged_purchase_id(tags) is None and page.url == confirmation.url:
                try:  # a tag may still be injected: read the page again
                    tags = read_tags(page)
                except PlaywrightError:
                    return True
            pid = self._purchase_id(tags)
            carrying = with_id(sent_purchases(self.recorder.connectif), pid)
            return bool(carrying) and all(
                r.status is not None or r.failure for r in self.recorder.connectif if r.kind == "tracking"
            )

        remaining = deadline_ms - self.recorder.now()
        if remaining > 0:
            try:
                # Bounded by timeouts.tracking and the scenario's deadline (ctx.timeout), never by the step
                # timeout: a tracking watch longer than `step` is the scenario's choice. ctx.stop keeps
                # Ctrl-C as prompt as in any other wait.
                wait_until(page, done, ctx.timeout(remaining), ctx.stop, event="requestfinished")
            except (ScenarioTimeout, BrowserGone):
                pass  # past the deadline, or the window went away: what was seen until then stands
        if page.url == confirmation.url:
            try:
                final = page_tags(page)
            except PlaywrightError:
                return
            self.recorder.note_page_read(self.recorder.pages.get(id(page), "main"), final.journey)
            confirmation.final = PageSnapshot(at_ms=self.recorder.now(), url=page.url, tags=final.now)
            if final.seen_at is not None:
                confirmation.tag_seen_ms = self.recorder.wall_to_ms(final.seen_at)

    def _cookies(self, context: BrowserContext | None) -> list[CookieRecord]:
        if context is None:
            return []
        try:
            raw = context.cookies()
        except PlaywrightError:
            return []
        return [
            CookieRecord(
                name=c.get("name", ""),
                domain=c.get("domain", ""),
                path=c.get("path", "/"),
                same_site=c.get("sameSite"),
                secure=bool(c.get("secure")),
                http_only=bool(c.get("httpOnly")),
            )
            for c in raw
            if host_of("http://" + c.get("domain", "").lstrip(".")) in self.shop_hosts
        ]

    def observation(self, cookies: list[CookieRecord]) -> Observation:
        """Everything recorded, as plain data."""
        rec = self.recorder
        conf = self.confirmation
        return Observation(
            started_at=self.started_wall.isoformat(timespec="seconds"),
            duration_ms=rec.now(),
            base_url=self.scenario.base_url or "",
            shop_hosts=sorted(h for h in self.shop_hosts if h),
            error=self.error,
            error_step=self.error_step,
            steps=self.steps,
            navigations=list(rec.navigations),
            frames=list(rec.frames),
            payment=self.payment,
            confirmation_url=conf.url if conf else None,
            confirmation_loaded_ms=conf.loaded_ms if conf else None,
            tags_in_served_html=conf.served if conf else None,
            tags_at_load=conf.at_load if conf else None,
            tags_final=conf.final if conf else None,
            shop_cookies=cookies,
            connectif_requests=list(rec.connectif),
            failed_documents=list(rec.failed_documents),
            console_errors=list(rec.console_errors),
            captures={
                k: v
                for k, v in self.values.known.items()
                if k not in self.scenario.vars and k not in self.scenario.secrets and k not in BUILTINS
            },
            tag_first_seen_ms=conf.tag_seen_ms if conf else None,
            undeclared_hosts=self._undeclared_hosts(),
            journey=rec.journey(tuple(h for h in self.shop_hosts if h)),
        )

    def _named_hosts(self) -> tuple[str, ...]:
        """Hosts the scenario names outside its pay steps, which a submit may load frames from."""
        named = [*self.scenario.allow_hosts, "cdn.connectif.cloud", "*.connectif.cloud"]
        for pattern in self.scenario.connectif.hosts:
            named.append(pattern.split(":", 1)[-1].split("/", 1)[0])
        return tuple(named)

    def _undeclared_hosts(self) -> list[str]:
        """Hosts the browser went to (pages, popups, iframes) that the scenario never named."""
        declared = [host_of(self.scenario.base_url or ""), *self.scenario.hosts, *self._named_hosts()]
        for pay in self.scenario.pay_steps():
            declared.extend(pay.hosts)
        seen = [n.host for n in self.recorder.navigations] + [f.host for f in self.recorder.frames]
        return sorted({h for h in seen if h and not host_matches(h, declared)})

    def recorded(self, context: BrowserContext) -> Attempt:
        """What was recorded in `context` so far, ready to be judged (the context stays open)."""
        return self._attempt(self._cookies(context))

    def _attempt(self, cookies: list[CookieRecord]) -> Attempt:
        return Attempt(
            loaded=self.loaded,
            number=self.attempt,
            observation=self.observation(cookies),
            error_kind=self.error_kind,
            known=dict(self.values.known),
            secret_values=frozenset(self.values.secret_values),
            artefacts=self.artefacts,
            started=self.started,
            resolved_hosts=frozenset(h for h in self.recorder.resolved_hosts if h),
        )


__all__ = ["Attempt", "RunOptions", "ScenarioRun", "blocked_url_pattern", "context_options"]
