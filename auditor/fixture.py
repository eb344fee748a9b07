"""The `checkout_audit` fixture: the auditor's verdicts inside a pytest-playwright test.

The fixture watches the `context` and `page` that pytest-playwright gives the test with the engine's own
observers (the Recorder, the live-payment guard), while the test drives the checkout itself. Its
`payment()` block plays the part of a `pay` step whose steps the test performs: at the block's end the
auditor waits for the return as `pay` does. `result()` reads the confirmation page and the tracking
request as a scenario's end does, and judges what was recorded with the same checks, into the same
ScenarioResult a YAML scenario gets (results.json, the HTML report, JUnit).

Registered by auditor.pytest_plugin when pytest-playwright is there, after it, so that the fixtures named
like pytest-playwright's (`browser_type_launch_args`, `delete_output_dir`) wrap or replace them.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from auditor.errors import AuditorError, first_line
from auditor.pytest_plugin import (
    CALL_OUTCOME,
    FIXTURE_RESULT,
    _state,
    describe,
    failure_message,
    report_result,
)

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright
    from pydantic import ValidationError

    from auditor.engine.run import ScenarioRun
    from auditor.engine.steps import StepContext
    from auditor.results import CheckResult, PaymentResult, ScenarioResult
    from auditor.scenario.load import LoadedScenario
    from auditor.scenario.model import PayArgs


class AuditUsageError(ValueError):
    """The test called checkout_audit wrongly (an unknown key, a bad value, a call out of order)."""


# Hides the text of every input whose value holds a secret, in every frame, the way a password field
# shows it: pytest-playwright takes its --screenshot pictures after the fixture's teardown, without
# Playwright's `mask` option.
MASK_SECRET_INPUTS_JS = """
(_root, secrets) => {
  let masked = 0;
  for (const el of document.querySelectorAll('input, textarea')) {
    const value = String(el.value || '');
    if (secrets.some((s) => s && value.includes(s))) {
      el.style.setProperty('-webkit-text-security', 'disc', 'important');
      masked += 1;
    }
  }
  return masked;
}
"""
MASK_MS = 2_000  # per frame: a frame in the middle of a navigation is left alone rather than waited on


# ---------------------------------------------------------------- the browser pytest-playwright starts


def launch_options(
    base: Mapping[str, Any],
    *,
    browser_name: str,
    hosts: Mapping[str, str],
    browser_path: str | None = None,
) -> dict[str, Any]:
    """pytest-playwright's launch arguments with the auditor's Chromium switches, hosts and binary.

    The binary is set only when nobody chose one (a channel, an executable_path) and Playwright's own
    Chromium is not installed: then the one `run` would use (--audit-browser-path, $AUDITOR_BROWSER_PATH,
    the system's Chromium).
    """
    from auditor.engine.browser import find_browser, launch_args

    options = dict(base)
    if browser_name != "chromium":
        return options  # Chromium's switches mean nothing to Firefox or WebKit
    given = list(options.get("args") or [])
    options["args"] = given + [a for a in launch_args(hosts) if a not in given]
    if options.get("channel") or options.get("executable_path"):
        return options
    choice = find_browser(browser_path)
    executable = choice.executable_for(bool(options.get("headless", True)))
    if choice.source != "playwright" and executable:
        options["executable_path"] = executable
    return options


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], pytestconfig: pytest.Config, browser_name: str
) -> dict[str, Any]:
    """pytest-playwright's launch arguments, with the browser found as `run` finds it and --audit-host."""
    settings = _state(pytestconfig).settings
    try:
        return launch_options(
            browser_type_launch_args,
            browser_name=browser_name,
            hosts=settings.hosts,
            browser_path=settings.browser_path,
        )
    except AuditorError as exc:
        pytest.fail(exc.render(), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir() -> None:
    """Replaces pytest-playwright's: auditor.pytest_plugin empties --output once per session instead."""


# ---------------------------------------------------------------- messages about the test's own calls


def _invalid(call: str, exc: ValidationError, prefix: tuple[str | int, ...], raw: Any) -> AuditUsageError:
    """A ValidationError as a message that names the call and the key, with the loader's tips."""
    from auditor.scenario.load import _fields_at, _parse_path
    from auditor.scenario.messages import Error, explain
    from auditor.scenario.model import KeyedErrors

    # A validator that found several mistakes in one value (KeyedErrors) says each, as the loader does.
    errors: list[Any] = []
    for found in exc.errors(include_url=False):
        cause = (found.get("ctx") or {}).get("error")
        if isinstance(cause, KeyedErrors):
            errors += [{**found, "ctx": {"error": one}} for one in cause.problems]
        else:
            errors.append(found)
    lines: list[str] = []
    for error in errors:
        path: list[str | int] = []
        node = raw
        for part in error["loc"]:
            # Pydantic names union branches in its locations (`literal[...]`): keep what the test wrote.
            inside = (isinstance(node, dict) and part in node) or (
                isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node)
            )
            if inside:
                node = node[part]
            elif not (error["type"] == "missing" and part == error["loc"][-1]):
                continue
            path.append(part)
        context = dict(error.get("ctx") or {})
        text = str(context.get("error", ""))
        keyed = re.match(r"\[(\S+?)\] ", text)
        if keyed:  # a validator that names the offending key inside the value
            path.extend(_parse_path(keyed.group(1)))  # `items[0].nme`: the index as a number
            context["error"] = text[keyed.end() :]
        where = tuple(path)
        message, tip = explain(
            Error(
                kind=error["type"],
                path=where,
                input=error.get("input"),
                context=context,
                text=error["msg"],
                allowed=lambda at=where[:-1]: _fields_at((*prefix, *at)),  # type: ignore[misc]
            )
        )
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".") or "arguments"
        line = f"{key}: {message}" + (f" ({tip})" if tip else "")
        if line not in lines:
            lines.append(line)
    return AuditUsageError(f"checkout_audit.{call}: " + "; ".join(lines))


def _duration(value: str | int | float, name: str) -> str:
    """A timeout as the model takes it: a number is milliseconds, as in Playwright's own timeouts."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise AuditUsageError(f"checkout_audit.payment(): {name} is milliseconds or a duration like '15s'")
    return f"{value}ms" if isinstance(value, int | float) else value


# ---------------------------------------------------------------- the result


class AuditResult:
    """What `checkout_audit.result()` returns: the checks' verdict, as a scenario in results.json."""

    def __init__(self, scenario: ScenarioResult):
        self.scenario = scenario

    @property
    def passed(self) -> bool:
        """No check failed, and the audit could be finished."""
        return self.scenario.status.value == "pass"

    @property
    def status(self) -> str:
        """pass, fail or error."""
        return self.scenario.status.value

    @property
    def checks(self) -> list[CheckResult]:
        """Every check, in the order of the reports."""
        return list(self.scenario.checks)

    @property
    def payment(self) -> PaymentResult | None:
        """How the customer went through the payment platform and came back; None without payment()."""
        return self.scenario.payment

    @property
    def cn_purchase(self) -> dict[str, Any] | None:
        """The cn_purchase tag's fields as read, or None when there was no tag."""
        return self.scenario.cn_purchase

    def check(self, check_id: str) -> CheckResult:
        """One check by its id (`payment.return`, `cn_purchase.valid`, …)."""
        for check in self.scenario.checks:
            if check.id == check_id:
                return check
        known = ", ".join(c.id for c in self.scenario.checks)
        raise KeyError(f"no check {check_id!r}; this result has {known}")

    def explain(self) -> str:
        """Why it did not pass (each failed check with its evidence), how the customer came back, warnings."""
        parts = [failure_message(self.scenario)] if not self.passed else ["every check passed"]
        parts.append(describe(self.scenario))
        return "\n".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as results.json has it."""
        return self.scenario.model_dump(mode="json", by_alias=True)

    def __repr__(self) -> str:
        return f"<AuditResult {self.status}: {self.scenario.name}>"


# ---------------------------------------------------------------- the fixture's object


class CheckoutAudit:
    """The `checkout_audit` fixture: expectations, the payment block, captures, secrets, the verdict."""

    def __init__(
        self,
        *,
        item: pytest.Item,
        page: Page,
        context: BrowserContext,
        playwright: Playwright,
        base_url: str | None,
    ):
        from auditor.engine.run import RunOptions, ScenarioRun

        self._item = item
        self._page = page
        self._context = context
        session = _state(item.config)
        self._settings = session.settings
        self._base_url = base_url
        self._expect: dict[str, Any] = {}
        self._connectif: dict[str, Any] = {}
        self._payments: list[PayArgs] = []
        self._in_payment = False
        self._judged: ScenarioResult | None = None
        self._asked = False  # result() was called: the test itself decides what the verdict means
        browser = context.browser
        if browser is None:
            raise AuditUsageError("checkout_audit needs a context that pytest-playwright opened in a browser")
        options = RunOptions(
            browser=None,
            # Nothing is written there: pytest-playwright records the traces, videos and screenshots.
            out_dir=self._settings.output or Path(tempfile.gettempdir()),
            allow_live_payments=self._settings.allow_live_payments,
            run_id=session.run_id,
        )
        self._run: ScenarioRun = ScenarioRun(self._loaded(), browser, playwright, options, threading.Event())
        self._run.attach(context, page)

    # ------------------------------------------------------------ what the test says

    def expect(self, **expectations: Any) -> None:
        """What must be true at the end: the keys of a scenario's `expect` (`return_` for `return`)."""
        from pydantic import ValidationError

        from auditor.scenario.model import Expect

        merged = dict(self._expect)
        for key, value in expectations.items():
            key = "return" if key == "return_" else key
            if key == "connectif" and isinstance(value, dict) and isinstance(merged.get(key), dict):
                value = {**merged[key], **value}
            merged[key] = value
        try:
            Expect.model_validate(merged)
        except ValidationError as exc:
            raise _invalid("expect()", exc, ("expect",), merged) from None
        self._expect = merged

    def connectif(
        self,
        *,
        mode: str | None = None,
        api_key: str | None = None,
        api_url: str | None = None,
        api_wait: str | int | float | None = None,
        hosts: list[str] | tuple[str, ...] | None = None,
    ) -> None:
        """Connectif's traffic (`mode`: observe or intercept; extra `hosts`) and its REST API (`api_key`…).

        Call it before the checkout: interception starts with the next tracking request.
        """
        from pydantic import ValidationError

        from auditor.scenario.model import ConnectifOptions

        merged = dict(self._connectif)
        if mode is not None:
            merged["mode"] = mode
        if hosts is not None:
            merged["hosts"] = list(hosts)
        if api_key is not None or api_url is not None or api_wait is not None:
            api = dict(merged.get("api") or {})
            if api_key is not None:
                api["key"] = api_key
                self._run.values.secret_values.add(api_key)  # masked like a secret, wherever it shows
            if api_url is not None:
                api["url"] = api_url
            if api_wait is not None:
                api["wait"] = _duration(api_wait, "api_wait")
            merged["api"] = api
        try:
            options = ConnectifOptions.model_validate(merged)
        except ValidationError as exc:
            raise _invalid("connectif()", exc, ("connectif",), merged) from None
        if options.api is not None and "{{" in options.api.url:
            # The model lets a `{{name}}` through for the loader to explain; nothing fills one in here, so it
            # would be asked for as it is.
            raise AuditUsageError(
                f"checkout_audit.connectif(): api_url: {options.api.url!r} is not an http(s) URL: a "
                "{{name}} is filled in only in scenario files (pass the URL itself, like "
                "https://api.connectif.cloud, or build it with an f-string)"
            )
        recorder = self._run.recorder
        if recorder.intercept and options.mode == "observe":
            raise AuditUsageError(
                "checkout_audit.connectif(): mode 'intercept' cannot be turned back to 'observe'"
            )
        recorder.connectif_hosts = options.hosts
        if options.mode == "intercept":
            recorder.intercept_tracking(self._context)
        self._connectif = merged

    def capture(self, name: str, value: object) -> None:
        """A value the test read itself (an order number), kept with the result and usable as {{name}}."""
        from auditor.scenario.model import NAME_PATTERN

        if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
            raise AuditUsageError(f"checkout_audit.capture(): {name!r} is not a name (letters, digits and _)")
        self._run.values.known[name] = str(value)

    def secret(self, value: str) -> str:
        """Mask `value` (a card number, a password) in every output, as a scenario's secrets; returns it."""
        if not isinstance(value, str) or not value:
            raise AuditUsageError("checkout_audit.secret() takes the secret's text")
        settings = self._settings
        recording = " and ".join(
            name
            for name, mode in (("--tracing", settings.tracing), ("--video", settings.video))
            if mode != "off"
        )
        if recording and not settings.trace_secrets:
            raise AuditUsageError(
                f"{recording} record every value typed on screen, and this test has a secret: run without "
                f"{recording}, or add --audit-trace-secrets to record them anyway (the files will then "
                "hold the secret values)"
            )
        self._run.values.secret_values.add(value)
        return value

    @contextlib.contextmanager
    def payment(
        self,
        hosts: list[str] | tuple[str, ...] | str,
        provider: str | None = None,
        popup: bool | None = None,
        return_click: str | None = None,
        return_timeout: str | int | float | None = None,
    ) -> Iterator[None]:
        """The payment: the block's first action leaves the shop, its end is the last payment step.

        At the end the auditor waits for the platform to send the customer back, as the `pay` step does:
        up to `return_timeout` (milliseconds, or '15s'; default 15 s), then it clicks `return_click`
        if given. `popup`: True when the platform opens in a new window, False when it never does; None
        finds out.
        """
        from auditor.engine.aborts import ScenarioAbort, StepFailed
        from auditor.engine.pay import DrivenPay

        if self._in_payment:
            raise AuditUsageError("checkout_audit.payment() blocks cannot be nested")
        if self._judged is not None:
            raise AuditUsageError("checkout_audit.payment() after result(): the audit is already judged")
        args = self._pay_args(hosts, provider, popup, return_click, return_timeout)
        run, page = self._run, self._page
        ctx = self._context_for_waits()
        try:
            run.before_payment(page)  # a live Stripe key on the page stops the test here, before it pays
        except ScenarioAbort as exc:
            run.stopped_by(exc)
            raise
        self._payments.append(args)
        driven = DrivenPay(
            page, args, str(len(self._payments) - 1), ctx, run.shop_hosts, popups=popup is not False
        )
        self._in_payment = True
        try:
            yield
        except Exception as exc:
            self._in_payment = False
            with contextlib.suppress(Exception):  # what was seen so far; the test's own error comes first
                run.after_payment(driven.abandon())
            run.stopped_by(StepFailed(f"the test failed during the payment: {first_line(exc)}"))
            raise
        self._in_payment = False
        try:
            run.after_payment(driven.finish())
        except ScenarioAbort as exc:
            run.stopped_by(exc)
        except Exception as exc:  # Playwright's errors: a closed window, a crashed browser
            from playwright.sync_api import Error as PlaywrightError

            if not isinstance(exc, PlaywrightError):
                raise
            run.stopped_by(exc)

    def _pay_args(
        self,
        hosts: list[str] | tuple[str, ...] | str,
        provider: str | None,
        popup: bool | None,
        return_click: str | None,
        return_timeout: str | int | float | None,
    ) -> PayArgs:
        from pydantic import ValidationError

        from auditor.scenario.model import PayArgs

        raw: dict[str, Any] = {
            "hosts": [hosts] if isinstance(hosts, str) else list(hosts),
            "popup": bool(popup),
        }
        if provider is not None:
            raw["provider"] = provider
        back: dict[str, Any] = {}
        if return_timeout is not None:
            back["timeout"] = _duration(return_timeout, "return_timeout")
        if return_click is not None:
            back["click"] = {"selector": return_click}
        if back:
            raw["return"] = back
        try:
            return PayArgs.model_validate(raw)
        except ValidationError as exc:
            raise _invalid("payment()", exc, ("steps", 0, "pay"), raw) from None

    # ------------------------------------------------------------ the verdict

    def result(self) -> AuditResult:
        """Wait for the confirmation page's tag and tracking request, then judge (once, on the first call)."""
        if self._in_payment:
            raise AuditUsageError("checkout_audit.result() inside the payment block: call it after the block")
        self._asked = True
        return AuditResult(self._verdict())

    def _verdict(self) -> ScenarioResult:
        from playwright.sync_api import Error as PlaywrightError

        from auditor.engine.aborts import ScenarioAbort
        from auditor.engine.verdict import ask_connectif, judge_attempt

        if self._judged is not None:
            return self._judged
        run = self._run
        loaded = self._loaded()  # everything the test said, now that it has said it
        run.loaded, run.scenario = loaded, loaded.scenario
        try:
            run.watch_confirmation(self._page, self._context_for_waits())
        except (ScenarioAbort, PlaywrightError) as exc:
            run.stopped_by(exc)
        attempt = run.recorded(self._context)
        if loaded.scenario.connectif.api is not None:
            attempt = ask_connectif(attempt)
        self._judged = judge_attempt(attempt)
        return self._judged

    def _context_for_waits(self) -> StepContext:
        """The steps' context for the next waits: each phase gets the scenario's whole deadline.

        A test can spend any time between two calls (its own setup, a slow page); the deadline bounds the
        auditor's waits, not the test.
        """
        run = self._run
        run.deadline = time.monotonic() + run.scenario.timeouts.scenario / 1000
        return run.context()

    def _loaded(self) -> LoadedScenario:
        """The test as a scenario: its name, hosts, payments, Connectif options and expectations."""
        from auditor.scenario.load import LoadedScenario, slug
        from auditor.scenario.model import PayStep, Scenario

        item = self._item
        raw: dict[str, Any] = {
            "name": " ".join(item.name.split()),
            "hosts": dict(self._settings.hosts),
            "connectif": self._connectif,
            "expect": self._expect,
            # The steps are the test's own; the pay steps say what each payment block was.
            "steps": [PayStep(action="pay", args=a) for a in self._payments]
            or [{"action": "wait_for", "args": {"selector": "body"}}],
        }
        function = getattr(item, "function", None)
        doc = inspect.getdoc(function) if function is not None else None
        if doc:
            raw["description"] = doc.strip().splitlines()[0]
        if self._base_url and re.match(r"^https?://[^/\s]+", self._base_url):
            raw["base_url"] = self._base_url
        scenario = Scenario.model_validate(raw)
        if not self._payments:
            scenario = scenario.model_copy(update={"steps": ()})
        start = item.config.invocation_params.dir
        try:
            file = item.path.relative_to(start)
        except ValueError:
            file = item.path
        return LoadedScenario(scenario=scenario, file=file, id=slug(item.nodeid))

    # ------------------------------------------------------------ the end of the test

    def _mask_secret_inputs(self) -> None:
        """Hide secrets typed into inputs before pytest-playwright's end-of-test screenshots."""
        from playwright.sync_api import Error as PlaywrightError

        secrets = sorted(self._run.values.secret_values)
        if not secrets:
            return
        script = f"(arg) => ({{ value: ({MASK_SECRET_INPUTS_JS})(null, arg) }})"
        for page in self._context.pages:
            for frame in page.frames:
                with contextlib.suppress(PlaywrightError):
                    frame.wait_for_function(script, arg=secrets, timeout=MASK_MS)

    def finish(self) -> None:
        """At the test's end: judge if the test did not, hand the result to the reports, fail on a failure."""
        try:
            self._finish()
        finally:
            self._run.guard.detach()  # the browser is the test session's: its live-payment block ends here

    def _finish(self) -> None:
        from auditor.engine.aborts import StepFailed

        item = self._item
        outcome = item.stash.get(CALL_OUTCOME, None)
        if outcome is None or outcome[0] == "skipped":
            self._mask_secret_inputs()
            return  # the test's body never ran, or it was skipped (xfail included): nothing to audit
        failure = outcome[1] if outcome[0] == "failed" else None
        if failure is not None and self._judged is None and self._run.error is None:
            # The test stopped before its checkout ended: nothing after that point is the shop's doing.
            self._run.stopped_by(StepFailed(f"the test failed before its audit was judged: {failure}"))
        try:
            result = self._verdict()
        finally:
            self._mask_secret_inputs()
        item.stash[FIXTURE_RESULT] = result
        path, lineno, _ = item.reportinfo()
        report_result(item, result, "teardown", None, filename=str(path), lineno=(lineno or 0) + 1)
        if not self._asked and failure is None and result.status.value != "pass":
            pytest.fail(failure_message(result), pytrace=False)


@pytest.fixture
def checkout_audit(
    request: pytest.FixtureRequest,
    page: Page,
    context: BrowserContext,
    playwright: Playwright,
    browser_name: str,
    base_url: str | None,
) -> Iterator[CheckoutAudit]:
    """The auditor's verdicts on the checkout this test drives in pytest-playwright's `page`."""
    if browser_name != "chromium":
        pytest.skip(
            f"checkout_audit audits in Chromium only (it reads how each page was reached through "
            f"Chromium's DevTools protocol); this test runs in {browser_name}"
        )
    audit = CheckoutAudit(
        item=request.node, page=page, context=context, playwright=playwright, base_url=base_url
    )
    yield audit
    audit.finish()


__all__ = ["AuditResult", "AuditUsageError", "CheckoutAudit", "checkout_audit", "launch_options"]
