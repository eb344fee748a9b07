"""Running scenarios in Chromium: one browser per worker, a fresh context per scenario.

The runner owns deadlines and hands facts to the recorder; verdicts come afterwards from checks.py,
on plain data.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from auditor.browser import BrowserChoice, launch_args
from auditor.checks import Expectations, run_checks, scenario_status
from auditor.connectif.tag import read_tag
from auditor.connectif.tracking import sent_purchases, with_id
from auditor.masking import mask_result
from auditor.observation import CookieRecord, Observation, PageSnapshot, PaymentObservation, StepRecord
from auditor.observe import Recorder, host_of, read_tags
from auditor.payment import run_pay, wait_until
from auditor.results import ConnectifRequest, PaymentResult, ScenarioResult, ScenarioStatus, Screenshot
from auditor.scenario import LoadedScenario
from auditor.scenario_model import PayStep, Scenario
from auditor.steps import ScenarioTimeout, StepContext, StepFailed, Values, run_step, take_screenshot


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How to run: browser, workers, where artefacts go."""

    browser: BrowserChoice
    out_dir: Path
    workers: int = 1
    headed: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])


# ---------------------------------------------------------------- one scenario


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

    def __init__(self, loaded: LoadedScenario, browser: Browser, playwright: Playwright, options: RunOptions):
        self.loaded = loaded
        self.scenario = loaded.scenario
        self.browser = browser
        self.playwright = playwright
        self.options = options
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
            screenshot_prefix=f"artefacts/{self.loaded.id}",
            on_screenshot=lambda name, file, step, failure: self.screenshots.append(
                Screenshot(name=name, file=file, step=step, at_failure=failure)
            ),
        )

    def run(self) -> ScenarioResult:
        ctx = self.context()
        context: BrowserContext | None = None
        page: Page | None = None
        try:
            context = self.browser.new_context(**_context_options(self.scenario, self.playwright))
            context.set_default_timeout(self.scenario.timeouts.step)
            context.set_default_navigation_timeout(self.scenario.timeouts.navigation)
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
            self.error = self.error or (
                f"the scenario passed its timeout of {self.scenario.timeouts.scenario / 1000:g}s"
            )
        except PlaywrightError as exc:
            self.error = self.error or f"the browser failed: {str(exc).strip().splitlines()[0][:300]}"
        finally:
            if self.error and page is not None and not page.is_closed():
                take_screenshot(page, ctx, "failure", step=self.error_step, at_failure=True)
            cookies = self._cookies(context)
            if context is not None:
                try:
                    context.close()
                except PlaywrightError:
                    pass  # the browser is already gone; what we recorded stays
        return self._result(cookies)

    def _steps(self, page: Page, ctx: StepContext) -> None:
        for i, step in enumerate(self.scenario.steps):
            index = str(i)
            if time.monotonic() >= self.deadline:
                self.error = (
                    f"the scenario passed its timeout of {self.scenario.timeouts.scenario / 1000:g}s "
                    f"before step {index} ({step.action})"
                )
                self.error_step = index
                return
            try:
                if isinstance(step, PayStep):
                    if host_of(page.url):
                        self.shop_hosts.update(n.host for n in self.recorder.navigations_of("main"))
                    outcome = run_pay(page, step.args, index, ctx, self.shop_hosts)
                    self.steps.extend(outcome.steps)
                    self.payment = outcome.observation
                    if outcome.returned_page is None:
                        return  # the customer never came back: the rest of the scenario cannot happen
                    self._snapshot_confirmation(outcome.returned_page, ctx)
                else:
                    self.steps.append(run_step(page, step, index, ctx))
            except StepFailed as exc:
                self.error = f"step {index} ({step.action}) failed: {exc}"
                self.error_step = index
                self.steps.append(
                    StepRecord(
                        index=index,
                        action=step.action,
                        status="failed",
                        started_ms=self.recorder.now(),
                        ended_ms=self.recorder.now(),
                        message=str(exc),
                    )
                )
                return
            except ScenarioTimeout:
                self.error = (
                    f"the scenario passed its timeout of {self.scenario.timeouts.scenario / 1000:g}s "
                    f"during step {index} ({step.action})"
                )
                self.error_step = index
                return

    def _snapshot_confirmation(self, page: Page, ctx: StepContext) -> None:
        """The first shop page after the payment: its served HTML, its tags at load."""
        served = None
        response = self.recorder.main_responses.get(id(page))
        if response is not None:
            try:
                served = read_tags(page, response.text())
            except PlaywrightError:
                served = None  # the body is gone (redirected or evicted): we still have the live DOM
        self.confirmation = {
            "url": page.url,
            "loaded_ms": self.recorder.now(),
            "served": served,
            "at_load": PageSnapshot(at_ms=self.recorder.now(), url=page.url, tags=read_tags(page)),
        }

    def _purchase_id(self, tags: list[Any]) -> str | None:
        for snapshot in tags:
            pid = read_tag(snapshot).fields.get("purchase_id")
            if pid:
                return str(pid)
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
            if page.url == confirmation_url:
                try:
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
                wait_until_requests(page, done, min(remaining, ctx.timeout(None)))
            except ScenarioTimeout:
                pass
        if page.url == confirmation_url:
            try:
                self.confirmation["final"] = PageSnapshot(
                    at_ms=self.recorder.now(), url=page.url, tags=read_tags(page)
                )
                seen = page.evaluate(
                    "window.__auditorTagSeenAt === undefined ? null : window.__auditorTagSeenAt"
                )
                if seen is not None:
                    self.confirmation["tag_seen_ms"] = self.recorder.wall_to_ms(float(seen))
            except PlaywrightError:
                pass

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

    def _result(self, cookies: list[CookieRecord]) -> ScenarioResult:
        obs = self.observation(cookies)
        expectations = _resolve_expectations(self.scenario, self.values)
        checks = run_checks(obs, expectations)
        return build_result(self.loaded, obs, checks, self.screenshots, self.values.secret_values)


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
    )
    return mask_result(result, secret_values)


def wait_until_requests(page: Page, condition: Callable[[], bool], timeout_ms: int) -> bool:
    """Wait for a condition, waking on every request the page sends or finishes."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        remaining = int((deadline - time.monotonic()) * 1000)
        if remaining <= 0:
            return False
        try:
            page.wait_for_event("requestfinished", timeout=max(1, min(remaining, 100)))
        except PlaywrightTimeout:
            continue
        except PlaywrightError:
            return condition()
    return True


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


class _Worker(threading.Thread):
    """One thread, one Playwright, one browser per host mapping; runs scenarios from a queue."""

    def __init__(
        self,
        jobs: queue.Queue[LoadedScenario | None],
        done: Callable[[ScenarioResult], None],
        options: RunOptions,
        stop: threading.Event,
    ):
        super().__init__(daemon=True)
        self.jobs = jobs
        self.done = done
        self.options = options
        self.stop = stop

    def _browser(
        self,
        playwright: Playwright,
        browsers: dict[tuple[tuple[str, str], ...], Browser],
        hosts: Mapping[str, str],
    ) -> Browser:
        key = tuple(sorted(hosts.items()))
        browser = browsers.get(key)
        if browser is not None and browser.is_connected():
            return browser
        browser = playwright.chromium.launch(
            executable_path=self.options.browser.executable,
            headless=not self.options.headed,
            args=launch_args(hosts),
        )
        browsers[key] = browser
        return browser

    def run(self) -> None:
        browsers: dict[tuple[tuple[str, str], ...], Browser] = {}
        with sync_playwright() as playwright:
            try:
                while not self.stop.is_set():
                    try:
                        loaded = self.jobs.get_nowait()
                    except queue.Empty:
                        return
                    if loaded is None:
                        return
                    try:
                        browser = self._browser(playwright, browsers, loaded.scenario.hosts)
                        result = _ScenarioRun(loaded, browser, playwright, self.options).run()
                    except Exception as exc:  # a crash in one scenario must not lose the others
                        result = error_result(loaded, f"the auditor crashed: {type(exc).__name__}: {exc}")
                    self.done(result)
            finally:
                for browser in browsers.values():
                    try:
                        browser.close()
                    except PlaywrightError:
                        pass


def run_scenarios(
    scenarios: list[LoadedScenario],
    options: RunOptions,
    on_result: Callable[[ScenarioResult], None] | None = None,
    stop: threading.Event | None = None,
) -> list[ScenarioResult]:
    """Run every scenario on `options.workers` workers; results come back in the scenarios' order."""
    jobs: queue.Queue[LoadedScenario | None] = queue.Queue()
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

    workers = [
        _Worker(jobs, done, options, stop) for _ in range(max(1, min(options.workers, len(scenarios))))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        while worker.is_alive():
            worker.join(timeout=0.5)  # short joins keep the main thread responsive to Ctrl-C
    return [results.get(s.id) or error_result(s, "the scenario was not run (interrupted)") for s in scenarios]


__all__ = ["RunOptions", "build_result", "run_scenarios", "wait_until"]
