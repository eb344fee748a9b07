"""Running scenarios in Chromium: one browser per worker, a fresh context per scenario.

The runner owns deadlines and hands facts to the recorder; verdicts come afterwards from checks.py,
on plain data.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from auditor.checks import Expectations, run_checks, scenario_status
from auditor.connectif.tag import read_tag
from auditor.connectif.tracking import sent_purchases, with_id
from auditor.engine.browser import BrowserChoice, launch_args
from auditor.engine.grid import GridBrowsers, GridError, GridSettings
from auditor.engine.guardrails import (
    FIND_LIVE_KEY_JS,
    LIVE_KEY,
    LIVE_URL_PATTERN,
    live_payment_reason,
    redact_key,
)
from auditor.engine.observe import Recorder, host_matches, host_of, page_eval, page_tags, read_tags
from auditor.engine.pay import BrowserGone, PayStepFailed, run_pay, wait_until
from auditor.engine.steps import (
    Interrupted,
    ScenarioTimeout,
    StepContext,
    StepFailed,
    Values,
    run_step,
    take_screenshot,
)
from auditor.masking import mask_result
from auditor.observation import CookieRecord, Observation, PageSnapshot, PaymentObservation, StepRecord
from auditor.results import ConnectifRequest, PaymentResult, ScenarioResult, ScenarioStatus, Screenshot
from auditor.scenario.load import LoadedScenario
from auditor.scenario.model import PayStep, Scenario

ARTEFACT_MODES = ("off", "on", "retain-on-failure")
SCREENSHOT_MODES = ("off", "on", "only-on-failure")
END_SCREENSHOT = "end-of-scenario"  # the name of the `screenshot` option's picture


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How to run: browser, workers, retries, artefacts, guardrails."""

    browser: BrowserChoice | None  # None with a remote browser (connect / cdp / grid)
    out_dir: Path
    workers: int = 1
    headed: bool = False
    retries: int = 0
    trace: str = "off"  # off | on | retain-on-failure
    video: str = "off"
    screenshot: str = "off"  # off | on | only-on-failure: the page each scenario ends on
    channel: str | None = None  # a Chromium channel to launch (chrome, msedge…) instead of `browser`
    connect: str | None = None  # a Playwright browser server's ws:// endpoint
    cdp: str | None = None  # a Chromium started with --remote-debugging-port
    grid: GridSettings | None = None  # a Selenium Grid 4: one session per worker (engine/grid.py)
    allow_live_payments: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])


# ---------------------------------------------------------------- one scenario


# Steps that can submit a form, and so a payment: the live-key guard looks before each.
GESTURES = frozenset({"click", "press", "check", "uncheck", "select"})


def _context_options(scenario: Scenario, playwright: Playwright) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    b = scenario.browser
    if b.device:
        if b.device not in playwright.devices:
            raise StepFailed(f"browser.device {b.device!r} is not a Playwright device name")
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


def _resolve_expectations(scenario: Scenario, values: Values) -> Expectations:
    exp = scenario.expect
    cn: str | dict[str, str] = exp.cn_purchase if isinstance(exp.cn_purchase, str) else {}
    if isinstance(exp.cn_purchase, dict):
        resolved: dict[str, str] = {}
        for key, value in exp.cn_purchase.items():
            try:
                resolved[key] = values.substitute(value) if isinstance(value, str) else str(value)
            except StepFailed:
                continue  # never captured (the scenario stopped early): nothing to compare it with
        cn = resolved
    confirmation = exp.confirmation_url
    if confirmation is not None:
        try:
            confirmation = values.substitute(confirmation)
        except StepFailed:
            pass
    return Expectations(
        confirmation_url=confirmation,
        return_policy=exp.return_,
        cn_purchase=cn,
        script=exp.connectif.script,
        purchase_sent=exp.connectif.purchase_sent,
        has_payment=bool(scenario.pay_steps()),
    )


class _ScenarioRun:
    """The state of one scenario while it runs."""

    def __init__(
        self,
        loaded: LoadedScenario,
        browser: Browser,
        playwright: Playwright,
        options: RunOptions,
        stop: threading.Event,
        attempt: int = 1,
    ):
        self.loaded = loaded
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
        self.steps: list[StepRecord] = []
        self.screenshots: list[Screenshot] = []
        self.payment: PaymentObservation | None = None
        self.error: str | None = None
        self.error_step: str | None = None
        self.confirmation: dict[str, Any] = {}
        self.shop_hosts = {host_of(self.scenario.base_url or "")}
        self.live_blocked: list[str] = []
        self._guarded_documents = -1
        suffix = "" if attempt == 1 else f"-attempt{attempt}"
        self.artefact_dir = f"artefacts/{loaded.id}{suffix}"
        self.artefacts: dict[str, str] = {}

    def context(self) -> StepContext:
        t = self.scenario.timeouts
        return StepContext(
            recorder=self.recorder,
            values=self.values,
            step_timeout=t.step,
            navigation_timeout=t.navigation,
            deadline=self.deadline,
            base_url=self.scenario.base_url or "",
            artefacts=self.options.out_dir,
            screenshot_prefix=self.artefact_dir,
            stop=self.stop,
            on_screenshot=lambda name, file, step, failure: self.screenshots.append(
                Screenshot(name=name, file=file, step=step, at_failure=failure)
            ),
        )

    def _timeout_message(self, where: str) -> str:
        return f"the scenario passed its timeout of {self.scenario.timeouts.scenario / 1000:g}s{where}"

    def run(self) -> ScenarioResult:
        ctx = self.context()
        context: BrowserContext | None = None
        page: Page | None = None
        try:
            options = _context_options(self.scenario, self.playwright)
            if self.options.video != "off":
                options["record_video_dir"] = str(self.options.out_dir / self.artefact_dir / "video")
            context = self.browser.new_context(**options)
            context.set_default_timeout(self.scenario.timeouts.step)
            context.set_default_navigation_timeout(self.scenario.timeouts.navigation)
            if self.options.trace != "off":
                context.tracing.start(screenshots=True, snapshots=True, sources=False)
            if not self.options.allow_live_payments:
                context.route(LIVE_URL_PATTERN, self._block_live)
            self.recorder.attach_context(context)
            page = context.new_page()
            self.recorder.attach_page(page, "main")
            self.recorder.watch_popups(context)
            self._steps(page, ctx)
            if self.payment is None and self.error is None and page is not None:
                # no pay step: the page the scenario ends on is the one whose tag is judged
                self._snapshot_confirmation(page, ctx)
            if self.confirmation and self.error is None:
                self._watch_tracking(page, ctx)
        except ScenarioTimeout:
            self.error = self.error or self._timeout_message("")
        except Interrupted:
            self.error = self.error or "interrupted: the run was stopped (Ctrl-C) while this scenario ran"
        except StepFailed as exc:
            self.error = self.error or str(exc)
        except PlaywrightError as exc:
            if self.stop.is_set():
                self.error = self.error or "interrupted: the run was stopped (Ctrl-C) while this scenario ran"
            elif not self.browser.is_connected():
                self.error = self.error or "the browser process died or disconnected during the scenario"
            else:
                self.error = self.error or f"the browser failed: {str(exc).strip().splitlines()[0][:300]}"
        finally:
            if page is not None and not page.is_closed():
                if self.error:
                    take_screenshot(page, ctx, "failure", step=self.error_step, at_failure=True)
                elif self.options.screenshot != "off":
                    take_screenshot(page, ctx, END_SCREENSHOT, step=None)
            cookies = self._cookies(context)
            if context is not None:
                self._close(context, page)
        return self._result(cookies)

    def _close(self, context: BrowserContext, page: Page | None) -> None:
        """Close the context, keeping the trace and video as the options say."""
        trace_path = self.options.out_dir / self.artefact_dir / "trace.zip"
        try:
            if self.options.trace != "off":
                context.tracing.stop(path=str(trace_path))
                self.artefacts["trace"] = f"{self.artefact_dir}/trace.zip"
            video = page.video if page is not None and self.options.video != "off" else None
            context.close()
            if video is not None:
                path = Path(video.path())
                final = path.with_name("video.webm")
                path.replace(final)
                self.artefacts["video"] = final.relative_to(self.options.out_dir).as_posix()
        except (PlaywrightError, OSError):
            pass  # the browser is already gone; what we recorded stays, artefacts are best-effort

    def _block_live(self, route: Route) -> None:
        reason = live_payment_reason(route.request.url) or "a production payment endpoint"
        self.live_blocked.append(f"{route.request.url} ({reason})")
        route.abort("blockedbyclient")

    def _check_blocked(self) -> None:
        """Stop the scenario once the browser tried to reach a production payment endpoint."""
        if self.live_blocked and not self.options.allow_live_payments:
            raise StepFailed(
                "stopped before a real payment: the browser was about to reach "
                f"{self.live_blocked[0]}; audit a sandbox, or pass --allow-live-payments"
            )

    def _guard(self, page: Page) -> None:
        """Before a step that could submit a payment: stop at a blocked endpoint or a live Stripe key.

        The key is looked for once per new document, and only before gestures: typing and
        navigating cannot pay, and each look is a few round trips to the browser.
        """
        if self.options.allow_live_payments:
            return
        self._check_blocked()
        documents = len(self.recorder.navigations)
        if documents == self._guarded_documents:
            return  # no new page since the last look: a live key could only come with a new document
        self._guarded_documents = documents
        html = self.recorder.served_html(page)
        if html is not None:
            found = LIVE_KEY.search(html)
            key = found.group(0) if found else None
        else:
            try:
                key = page_eval(page, FIND_LIVE_KEY_JS, timeout_ms=2_000)
            except PlaywrightError:
                return
        if key:
            raise StepFailed(
                f"stopped before a real payment: the page {page.url} carries a Stripe live key "
                f"({redact_key(str(key))}); audit with test keys, or pass --allow-live-payments"
            )

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
                    if host_of(page.url):
                        self.shop_hosts.update(n.host for n in self.recorder.navigations_of("main"))
                    self._guard(page)
                    # from here on: the cookies the return carries and why some were blocked. Left on
                    # after the payment (a DevTools command can wait on a navigation that never ends).
                    self.recorder.watch_network()
                    outcome = run_pay(page, step.args, index, ctx, self.shop_hosts)
                    self.steps.extend(outcome.steps)
                    self.payment = outcome.observation
                    self._check_blocked()
                    if not self.browser.is_connected():
                        raise StepFailed("the browser is gone")
                    if outcome.returned_page is None:
                        return  # the customer never came back: the rest of the scenario cannot happen
                    self._snapshot_confirmation(outcome.returned_page, ctx)
                else:
                    if step.action in GESTURES:
                        self._guard(page)
                    self.steps.append(run_step(page, step, index, ctx))
                    self._check_blocked()
            except StepFailed as exc:
                if isinstance(exc, PayStepFailed):
                    self.payment = exc.observation
                    self.steps.extend(exc.steps)
                if time.monotonic() >= self.deadline - 0.05:  # the step's wait was cut by the deadline
                    self.error = self._timeout_message(f" during step {index} ({step.action})")
                elif not self.browser.is_connected():
                    self.error = (
                        f"the browser process died or disconnected during step {index} ({step.action})"
                    )
                elif self.stop.is_set():  # the step failed because the run was stopped under it
                    self.error = (
                        f"interrupted: the run was stopped (Ctrl-C) during step {index} ({step.action})"
                    )
                else:
                    self.error = f"step {index} ({step.action}) failed: {exc}{self._page_trouble()}"
                self.error_step = index
                now = self.recorder.now()
                self.steps.append(
                    StepRecord(
                        index=index,
                        action=step.action,
                        status="failed",
                        started_ms=now,
                        ended_ms=now,
                        message=str(exc),
                    )
                )
                return
            except ScenarioTimeout:
                self.error = self._timeout_message(f" during step {index} ({step.action})")
                self.error_step = index
                return
            except Interrupted:
                self.error = f"interrupted: the run was stopped (Ctrl-C) during step {index} ({step.action})"
                self.error_step = index
                return

    def _snapshot_confirmation(self, page: Page, ctx: StepContext) -> None:
        """The first shop page after the payment: its served HTML, its tags at load."""
        html = self.recorder.served_html(page)  # None when gone: we still have the live DOM
        now = self.recorder.now()
        try:
            read = page_tags(page, html)
        except PlaywrightError:  # the page moved on under the evaluation: read what it shows now
            read = page_tags(page)
        if read.at_load is not None:  # what the page held at its load event, when Connectif's script read it
            at_ms, tags = self.recorder.wall_to_ms(read.at_load[0]), read.at_load[1]
        else:  # the load event never came (a script that never answers): the page as it is now
            at_ms, tags = now, read.now
        self.confirmation = {
            "url": page.url,
            "loaded_ms": at_ms,
            "served": read.served,
            "at_load": PageSnapshot(at_ms=at_ms, url=page.url, tags=tags),
        }

    def _purchase_id(self, tags: list[Any]) -> str | None:
        pid = _tagged_purchase_id(tags)
        if pid:
            return pid
        exp = self.scenario.expect.cn_purchase
        if isinstance(exp, dict) and isinstance(exp.get("purchase_id"), str):
            try:
                return self.values.substitute(str(exp["purchase_id"]))
            except StepFailed:
                return None
        return None

    def _watch_tracking(self, page: Page | None, ctx: StepContext) -> None:
        """Keep watching for a late tag and the tracking request carrying this purchase, with a deadline."""
        if page is None or page.is_closed():
            return
        confirmation_url = self.confirmation["url"]
        deadline_ms = self.confirmation["loaded_ms"] + self.scenario.timeouts.tracking
        state: dict[str, Any] = {"tags": self.confirmation["at_load"].tags}

        def done() -> bool:
            if _tagged_purchase_id(state["tags"]) is None and page.url == confirmation_url:
                try:  # a tag may still be injected: read the page again
                    state["tags"] = read_tags(page)
                except PlaywrightError:
                    return True
            pid = self._purchase_id(state["tags"])
            carrying = with_id(sent_purchases(self.recorder.connectif), pid)
            return bool(carrying) and all(
                r.status is not None or r.failure for r in self.recorder.connectif if r.kind == "tracking"
            )

        remaining = deadline_ms - self.recorder.now()
        if remaining > 0:
            try:
                wait_until(page, done, min(remaining, ctx.timeout(None)), event="requestfinished")
            except (ScenarioTimeout, BrowserGone):
                pass  # the window went away: what was seen until then stands
        if page.url == confirmation_url:
            try:
                final = page_tags(page)
            except PlaywrightError:
                return
            self.confirmation["final"] = PageSnapshot(at_ms=self.recorder.now(), url=page.url, tags=final.now)
            if final.seen_at is not None:
                self.confirmation["tag_seen_ms"] = self.recorder.wall_to_ms(final.seen_at)

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
        rec = self.recorder
        conf = self.confirmation
        shop_hosts = sorted(h for h in self.shop_hosts if h)
        return Observation(
            started_at=self.started_wall.isoformat(timespec="seconds"),
            duration_ms=rec.now(),
            base_url=self.scenario.base_url or "",
            shop_hosts=shop_hosts,
            error=self.error,
            error_step=self.error_step,
            steps=self.steps,
            navigations=list(rec.navigations),
            frames=list(rec.frames),
            payment=self.payment,
            confirmation_url=conf.get("url"),
            confirmation_loaded_ms=conf.get("loaded_ms"),
            tags_in_served_html=conf.get("served"),
            tags_at_load=conf.get("at_load"),
            tags_final=conf.get("final"),
            shop_cookies=cookies,
            connectif_requests=list(rec.connectif),
            console_errors=list(rec.console_errors),
            captures={
                k: v
                for k, v in self.values.known.items()
                if k not in self.scenario.vars
                and k not in self.scenario.secrets
                and k not in ("run_id", "scenario_id", "timestamp", "random")
            },
            tag_first_seen_ms=conf.get("tag_seen_ms"),
        )

    def _undeclared_hosts(self) -> list[str]:
        """Hosts the browser went to (pages, popups, iframes) that the scenario never named."""
        declared = [
            host_of(self.scenario.base_url or ""),
            *self.scenario.hosts,
            *self.scenario.allow_hosts,
            "cdn.connectif.cloud",
            "*.connectif.cloud",
        ]
        for pay in self.scenario.pay_steps():
            declared.extend(pay.hosts)
        for pattern in self.scenario.connectif.hosts:
            declared.append(pattern.split(":", 1)[-1].split("/", 1)[0])
        seen = [n.host for n in self.recorder.navigations] + [f.host for f in self.recorder.frames]
        return sorted({h for h in seen if h and not host_matches(h, declared)})

    def _result(self, cookies: list[CookieRecord]) -> ScenarioResult:
        obs = self.observation(cookies).model_copy(update={"undeclared_hosts": self._undeclared_hosts()})
        expectations = _resolve_expectations(self.scenario, self.values)
        checks = run_checks(obs, expectations)
        result = build_result(self.loaded, obs, checks, self.screenshots, self.values.secret_values)
        passed = result.status is ScenarioStatus.PASS
        for kind, mode in (("trace", self.options.trace), ("video", self.options.video)):
            if kind in self.artefacts and mode == "retain-on-failure" and passed:
                (self.options.out_dir / self.artefacts.pop(kind)).unlink(missing_ok=True)
        screenshots = result.screenshots
        if passed and self.options.screenshot == "only-on-failure":
            screenshots = []
            for shot in result.screenshots:
                if shot.name == END_SCREENSHOT and shot.step is None and not shot.at_failure:
                    (self.options.out_dir / shot.file).unlink(missing_ok=True)
                else:
                    screenshots.append(shot)
        return result.model_copy(
            update={"artefacts": dict(self.artefacts), "attempts": self.attempt, "screenshots": screenshots}
        )


def _tagged_purchase_id(tags: list[Any]) -> str | None:
    """The purchase id the first tag that has one carries."""
    for snapshot in tags:
        pid = read_tag(snapshot).fields.get("purchase_id")
        if pid:
            return str(pid)
    return None


def build_result(
    loaded: LoadedScenario,
    obs: Observation,
    checks: list[Any],
    screenshots: list[Screenshot],
    secret_values: set[str],
) -> ScenarioResult:
    """A ScenarioResult from an observation and its checks, with secrets masked."""
    from auditor.checks import cn_purchase_result, payment_result

    status = scenario_status(checks, obs.error)
    payment = payment_result(obs)
    result = ScenarioResult(
        name=loaded.scenario.name,
        file=str(loaded.file),
        status=ScenarioStatus(status),
        error=obs.error,
        duration_ms=obs.duration_ms,
        checks=checks,
        payment=PaymentResult.model_validate(payment) if payment is not None else None,
        cn_purchase=cn_purchase_result(obs),
        connectif_requests=[
            ConnectifRequest(
                url=r.url,
                method=r.method,
                status=r.status,
                kind=r.kind,
                events=list(r.events),
                failure=r.failure,
                at_ms=r.at_ms,
                page_url=r.page_url,
                intercepted=r.intercepted,
            )
            for r in obs.connectif_requests
        ],
        id=loaded.id,
        description=loaded.scenario.description,
        tags=list(loaded.scenario.tags),
        started=obs.started_at,
        confirmation_url=obs.confirmation_url,
        steps=obs.steps,
        timeline=obs.navigations,
        console_errors=obs.console_errors,
        screenshots=screenshots,
        undeclared_hosts=obs.undeclared_hosts,
        shop_hosts=obs.shop_hosts,
    )
    return mask_result(result, secret_values)


def close_browsers(browsers: Iterable[Browser]) -> None:
    """Close browsers, ignoring those already gone (a crash, a disconnected remote)."""
    for browser in browsers:
        try:
            browser.close()
        except PlaywrightError:
            pass


def error_result(loaded: LoadedScenario, message: str) -> ScenarioResult:
    """A scenario the auditor could not even start (no browser, crashed worker)."""
    return ScenarioResult(
        name=loaded.scenario.name,
        file=str(loaded.file),
        status=ScenarioStatus.ERROR,
        error=message,
        duration_ms=0,
        id=loaded.id,
        tags=list(loaded.scenario.tags),
        description=loaded.scenario.description,
    )


# ---------------------------------------------------------------- workers


class ScenarioExecutor:
    """Runs scenarios one at a time in one thread's Playwright, with its browsers and retries.

    A worker of `run` uses one, and so does the pytest plugin: a browser per host mapping (one for
    all when `shared_hosts` is set), a remote one with `connect` / `cdp`, and a failure retried up
    to `retries` times (a late pass is flaky, not a pass).
    """

    def __init__(
        self,
        playwright: Playwright,
        options: RunOptions,
        stop: threading.Event,
        shared_hosts: dict[str, str] | None = None,
    ):
        self.playwright = playwright
        self.options = options
        self.stop = stop
        self.shared_hosts = shared_hosts  # one mapping for every scenario, when they agree
        self.browsers: dict[tuple[tuple[str, str], ...], Browser] = {}
        self.grid = GridBrowsers(options.grid, headed=options.headed, stop=stop) if options.grid else None

    def browser(self, hosts: Mapping[str, str]) -> Browser:
        """The browser for a host mapping: started, or connected to, on first use."""
        hosts = self.shared_hosts if self.shared_hosts is not None else hosts
        # A remote browser is started by someone else: one per worker, whatever the host mapping.
        key = () if self.options.cdp or self.options.connect else tuple(sorted(hosts.items()))
        browser = self.browsers.get(key)
        if browser is not None and browser.is_connected():
            return browser
        chromium = self.playwright.chromium
        if self.grid is not None:
            browser = self.grid.browser(chromium, hosts)  # gives back the worker's other session first
        elif self.options.cdp:
            browser = chromium.connect_over_cdp(self.options.cdp, timeout=30_000)
        elif self.options.connect:
            # A Playwright browser server launches the browser with the options the client sends.
            launch: dict[str, Any] = {"args": launch_args(hosts), "headless": not self.options.headed}
            if self.options.browser is not None and self.options.browser.executable:
                launch["executablePath"] = self.options.browser.executable
            browser = chromium.connect(
                self.options.connect,
                timeout=30_000,
                headers={"x-playwright-launch-options": json.dumps(launch)},
            )
        elif self.options.channel:
            browser = chromium.launch(
                channel=self.options.channel, headless=not self.options.headed, args=launch_args(hosts)
            )
        else:
            browser = chromium.launch(
                executable_path=self.options.browser.executable if self.options.browser else None,
                headless=not self.options.headed,
                args=launch_args(hosts),
            )
        self.browsers[key] = browser
        return browser

    def run(self, loaded: LoadedScenario) -> ScenarioResult:
        """Run a scenario, retrying a failure up to `retries` times; a late pass is flaky, not a pass."""
        try:
            return self._attempts(loaded)
        except Exception as exc:  # a crash in one scenario must not lose the others
            return error_result(loaded, f"the auditor crashed: {type(exc).__name__}: {exc}")

    def _attempts(self, loaded: LoadedScenario) -> ScenarioResult:
        result: ScenarioResult | None = None
        first_failure: ScenarioResult | None = None
        for attempt in range(1, self.options.retries + 2):
            try:
                browser = self.browser(loaded.scenario.hosts)
                run = _ScenarioRun(loaded, browser, self.playwright, self.options, self.stop, attempt)
                result = run.run()
            except GridError as exc:  # no session from the grid: its URL and its message
                result = error_result(loaded, exc.one_line())
            except PlaywrightError as exc:
                first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
                result = error_result(
                    loaded, f"the browser could not be started or reached ({self.describe()}): {first}"
                )
            if result.status is ScenarioStatus.PASS or self.stop.is_set():
                break
            first_failure = first_failure or result
        assert result is not None
        if first_failure is not None and result.status is ScenarioStatus.PASS:
            result = result.model_copy(
                update={
                    "flaky": True,
                    "attempts": result.attempts,
                    "first_attempt": {
                        "status": first_failure.status.value,
                        "error": first_failure.error,
                        "failed_checks": [c.id for c in first_failure.checks if c.status.value == "fail"],
                    },
                }
            )
        return result

    def describe(self) -> str:
        """Which browser, in words, for messages."""
        o = self.options
        if o.grid:
            return f"the Selenium Grid at {o.grid.display_url}"
        if o.cdp:
            return f"the Chromium at {o.cdp}"
        if o.connect:
            return f"the browser server at {o.connect}"
        if o.channel:
            return f"channel {o.channel}"
        return o.browser.describe() if o.browser else "Playwright's Chromium"

    def close(self) -> None:
        """Close (or disconnect from) every browser."""
        close_browsers(self.browsers.values())
        if self.grid is not None:
            self.grid.close()  # after the browser: the session is deleted once, before Playwright stops


class _Worker(threading.Thread):
    """One thread, one Playwright, one ScenarioExecutor; runs scenarios from a queue."""

    def __init__(
        self,
        jobs: queue.Queue[LoadedScenario],
        done: Callable[[ScenarioResult], None],
        options: RunOptions,
        stop: threading.Event,
        shared_hosts: dict[str, str] | None = None,
    ):
        super().__init__(daemon=True)
        self.jobs = jobs
        self.done = done
        self.options = options
        self.stop = stop
        self.shared_hosts = shared_hosts

    def run(self) -> None:
        try:
            with sync_playwright() as playwright:
                executor = ScenarioExecutor(playwright, self.options, self.stop, self.shared_hosts)
                try:
                    while not self.stop.is_set():
                        try:
                            loaded = self.jobs.get_nowait()
                        except queue.Empty:
                            return
                        self.done(executor.run(loaded))
                finally:
                    executor.close()
        except Exception:  # Playwright's driver itself failed to start: the scenarios report it
            return


def merged_hosts(scenarios: list[LoadedScenario]) -> dict[str, str] | None:
    """Every scenario's host mapping in one, or None when two scenarios map a host differently.

    Host rules are fixed when Chromium starts; one mapping for all lets a worker keep a single browser
    instead of one per distinct `hosts:` block.
    """
    merged: dict[str, str] = {}
    for loaded in scenarios:
        for host, ip in loaded.scenario.hosts.items():
            if merged.setdefault(host, ip) != ip:
                return None
    return merged


# After Ctrl-C, how long running scenarios get to reach a step boundary before their browsers are ended.
INTERRUPT_GRACE_S = 3.0


def _wait_for_workers(workers: list[_Worker], stop: threading.Event) -> None:
    """Join every worker; on Ctrl-C, stop them, and end their browsers if they do not stop in time."""
    grace_until: float | None = None
    while any(w.is_alive() for w in workers):
        try:
            if stop.is_set() and grace_until is None:
                grace_until = time.monotonic() + INTERRUPT_GRACE_S
            if grace_until is not None and time.monotonic() > grace_until:
                # A worker blocked in a long browser call cannot be woken from this thread; ending
                # its browser makes that call fail at once, and the scenario is recorded as interrupted.
                end_browser_processes()
                grace_until = float("inf")
            for worker in workers:
                worker.join(timeout=0.2)  # short joins keep this thread responsive to Ctrl-C
        except KeyboardInterrupt:
            stop.set()


def end_browser_processes() -> None:
    """Terminate the Chromium processes started below this process (Linux /proc; elsewhere a no-op)."""
    me = os.getpid()
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            names[int(entry.name)] = (entry / "comm").read_text().strip().lower()
        except (OSError, IndexError, ValueError):
            continue

    def descends(pid: int) -> bool:
        seen = 0
        while pid > 1 and seen < 64:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
            seen += 1
        return False

    for pid, name in names.items():
        if "chrom" in name and descends(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def run_scenarios(
    scenarios: list[LoadedScenario],
    options: RunOptions,
    on_result: Callable[[ScenarioResult], None] | None = None,
    stop: threading.Event | None = None,
) -> list[ScenarioResult]:
    """Run every scenario on `options.workers` workers; results come back in the scenarios' order.

    Ctrl-C sets `stop`: running scenarios end at their next step or wait, marked interrupted, the
    browsers are closed, and the scenarios that never started are reported as not run.
    """
    jobs: queue.Queue[LoadedScenario] = queue.Queue()
    for loaded in scenarios:
        jobs.put(loaded)
    results: dict[str, ScenarioResult] = {}
    lock = threading.Lock()
    stop = stop or threading.Event()

    def done(result: ScenarioResult) -> None:
        with lock:
            results[result.id] = result
        if on_result:
            on_result(result)

    shared = merged_hosts(scenarios)
    workers = [
        _Worker(jobs, done, options, stop, shared)
        for _ in range(max(1, min(options.workers, len(scenarios))))
    ]
    for worker in workers:
        worker.start()
    _wait_for_workers(workers, stop)
    not_run = "not run: the run was interrupted (Ctrl-C) before this scenario started"
    missing = "not run: its worker stopped before reaching it (see the other scenarios' errors)"
    return [results.get(s.id) or error_result(s, not_run if stop.is_set() else missing) for s in scenarios]


__all__ = [
    "ARTEFACT_MODES",
    "END_SCREENSHOT",
    "SCREENSHOT_MODES",
    "RunOptions",
    "ScenarioExecutor",
    "build_result",
    "run_scenarios",
    "wait_until",
]
