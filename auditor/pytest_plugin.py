"""A pytest plugin: `pytest scenarios/` runs each scenario file as a test, through the auditor's engine.

Which YAML files become tests: a `*.yaml` / `*.yml` file is collected when pytest was pointed at it, or
at a folder that holds it (paths on the command line, or the `testpaths` setting when there are none),
and it is a scenario: a file named directly always is; inside a folder, a file is when it has a top-level
`steps:` key or the scenario schema's `yaml-language-server` comment. A bare `pytest` that falls back to
the current folder collects no YAML: installing checkout-auditor leaves such runs as they were, and
`-p no:checkout_auditor` turns the plugin off.

A scenario runs while its test is set up (the auditor could not finish it: an error) and is judged in
the call (a failed check: a failure). One browser per pytest process serves every scenario it runs.
Artefacts (screenshots, traces, videos) go into `--output DIR`, or pytest's temporary folder without it;
with `--output` the process that reports (the only one, or xdist's controller, which receives every
worker's results on their test reports) also writes results.json, report.html and junit.xml.

With pytest-playwright (a dependency), Python tests use the `checkout_audit` fixture (auditor.fixture,
registered here) on pytest-playwright's own page; their results join the same outputs. `--output` is then
pytest-playwright's folder too: it is emptied once when the session starts, as pytest-playwright does,
by the reporting process (pytest-playwright's own clearing, once per xdist worker, would delete what
other workers already wrote).
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import json
import os
import re
import shlex
import shutil
import warnings
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from auditor.errors import AuditorError, InputError, first_line

# pytest imports this module in every run of an environment where checkout-auditor is installed: the
# engine (pydantic models, Playwright) is imported only once a scenario is collected or run.
if TYPE_CHECKING:
    from auditor.engine.executor import WorkerPool
    from auditor.engine.grid import GridSettings
    from auditor.engine.setup import RunRequest
    from auditor.results import ScenarioResult
    from auditor.scenario.load import LoadedScenario


PLUGIN_NAME = "checkout_auditor"
RESULT_ATTR = "checkout_auditor_result"  # the attribute that carries a result on a test report
# On a checkout_audit test's item: its result, and its call's outcome with the first line of its error.
FIXTURE_RESULT = pytest.StashKey["ScenarioResult"]()
CALL_OUTCOME = pytest.StashKey[tuple[str, str | None]]()
EVIDENCE_LIMIT = 2000  # characters of one check's evidence in a failure message

# pytest-playwright defines these options with the same meaning. When it is installed it registers them,
# and registering them again would stop pytest with a conflict, so this plugin reads its values instead.
ARTEFACT_CHOICES = ("on", "off", "retain-on-failure")  # as auditor.engine.run.ARTEFACT_MODES
SCREENSHOT_CHOICES = ("on", "off", "only-on-failure")  # as auditor.engine.run.SCREENSHOT_MODES

_SCENARIO_MARK = re.compile(r"^steps[ \t]*:|^#.*yaml-language-server:.*scenario\.schema\.json", re.MULTILINE)
_SNIFF_BYTES = 1 << 20  # a scenario file is at most 1 MiB


class AuditWarning(UserWarning):
    """A check that warned (a manual return under manual-allowed, script errors on the page, ...)."""


# ---------------------------------------------------------------- options


def _pytest_playwright_registers_options(pluginmanager: pytest.PytestPluginManager) -> bool:
    """True when pytest-playwright is installed and not disabled, so that it defines the shared options."""
    if pluginmanager.is_blocked("playwright"):
        return False
    if pluginmanager.has_plugin("playwright"):
        return True
    try:
        return importlib.util.find_spec("pytest_playwright") is not None
    except (ImportError, ValueError):
        return False


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """The auditor's options, and pytest-playwright's where it is not there to define them."""
    group = parser.getgroup("checkout-auditor", "checkout-auditor scenarios")
    group.addoption(
        "--audit-base-url",
        dest="audit_base_url",
        metavar="URL",
        help="base URL for every scenario (overrides their base_url:).",
    )
    group.addoption(
        "--audit-browser-path",
        dest="audit_browser_path",
        metavar="PATH",
        help="Chromium/Chrome binary for scenarios (default: $AUDITOR_BROWSER_PATH, then Playwright's, "
        "then the system's).",
    )
    group.addoption(
        "--audit-trace-secrets",
        dest="audit_trace_secrets",
        action="store_true",
        default=False,
        help="allow --tracing on scenarios with secrets (the trace then holds the secret values).",
    )
    group.addoption(
        "--audit-retries",
        dest="audit_retries",
        type=_retries,
        default=0,
        metavar="N",
        help="run a failing scenario up to N more times; a late pass is reported flaky (a warning).",
    )
    group.addoption(
        "--audit-connect",
        dest="audit_connect",
        metavar="WS_ENDPOINT",
        help="run the scenarios in a Playwright browser server (`playwright run-server`) instead of a "
        "local Chromium.",
    )
    group.addoption(
        "--audit-cdp",
        dest="audit_cdp",
        metavar="URL",
        help="run the scenarios in a Chromium started with --remote-debugging-port (http://host:port).",
    )
    group.addoption(
        "--audit-grid",
        dest="audit_grid",
        metavar="URL",
        default=os.environ.get("SELENIUM_REMOTE_URL") or None,
        help="take the scenarios' Chromium from a Selenium Grid 4 at URL (default: $SELENIUM_REMOTE_URL).",
    )
    group.addoption(
        "--audit-grid-capabilities",
        dest="audit_grid_capabilities",
        metavar="JSON",
        default=os.environ.get("SELENIUM_REMOTE_CAPABILITIES") or None,
        help="extra capabilities for the grid's sessions, a JSON object (default: "
        "$SELENIUM_REMOTE_CAPABILITIES).",
    )
    group.addoption(
        "--audit-allow-live-payments",
        dest="audit_allow_live_payments",
        action="store_true",
        default=False,
        help="do not stop at production payment endpoints or live Stripe keys (a real card may be charged).",
    )
    group.addoption(
        "--audit-host",
        dest="audit_hosts",
        action="append",
        default=[],
        metavar="NAME=IP",
        help="resolve NAME to IP in pytest-playwright's browser (repeatable; `*.` patterns allowed), "
        "like the scenarios' hosts:.",
    )
    parser.addini(
        "audit_hosts",
        "NAME=IP lines: host names resolved in pytest-playwright's browser (checkout_audit tests)",
        type="linelist",
        default=[],
    )
    if _pytest_playwright_registers_options(pluginmanager):
        return
    group.addoption("--headed", action="store_true", default=False, help="show the browser windows.")
    group.addoption(
        "--browser-channel",
        dest="browser_channel",
        metavar="CHANNEL",
        help="Chromium channel to launch (chrome, msedge, chromium, ...) instead of a binary.",
    )
    group.addoption(
        "--tracing",
        choices=ARTEFACT_CHOICES,
        default="off",
        help="record a Playwright trace per scenario (open it with `playwright show-trace`).",
    )
    group.addoption("--video", choices=ARTEFACT_CHOICES, default="off", help="record a video per scenario.")
    group.addoption(
        "--screenshot",
        choices=SCREENSHOT_CHOICES,
        default="off",
        help="a screenshot of the page each scenario ends on (a scenario that cannot be finished "
        "always keeps one of where it stopped).",
    )
    group.addoption(
        "--output",
        metavar="DIR",
        default=None,
        help="put artefacts and, at the end, results.json, report.html and junit.xml of every scenario "
        "run into DIR.",
    )


def _grid_option(config: pytest.Config) -> GridSettings | None:
    """--audit-grid with its capabilities (and $SELENIUM_REMOTE_HEADERS), or a usage error that says why."""
    url = config.getoption("audit_grid", None) or None
    if not url:
        return None
    from auditor.engine.grid import ENV_HEADERS, grid_settings

    try:
        return grid_settings(
            url, config.getoption("audit_grid_capabilities", None), os.environ.get(ENV_HEADERS)
        )
    except AuditorError as exc:
        raise pytest.UsageError(
            exc.render()
            .replace("--grid-capabilities", "--audit-grid-capabilities")
            .replace("--grid ", "--audit-grid ")
        ) from None


def parse_host(text: str, where: str) -> tuple[str, str]:
    """One `NAME=IP` mapping, checked as a scenario's `hosts:` entry; UsageError naming `where` when wrong."""
    from auditor.hosts import host_mapping

    try:
        return host_mapping(text)
    except ValueError as exc:
        raise pytest.UsageError(f"{where}: {exc}") from None


def audit_hosts(config: pytest.Config) -> dict[str, str]:
    """The host mapping for pytest-playwright's browser: the `audit_hosts` ini lines, then --audit-host."""
    hosts: dict[str, str] = {}
    for line in config.getini("audit_hosts"):
        for entry in line.split():
            name, ip = parse_host(entry, "the audit_hosts setting")
            hosts[name] = ip
    for entry in config.getoption("audit_hosts", None) or []:
        name, ip = parse_host(entry, "--audit-host")
        hosts[name] = ip
    return hosts


def output_given(config: pytest.Config) -> bool:
    """Was --output given (command line, addopts, PYTEST_ADDOPTS), rather than pytest-playwright's default?"""
    words = [
        *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
        *config.getini("addopts"),
        *config.invocation_params.args,
    ]
    return any(word == "--output" or word.startswith("--output=") for word in words)


def _retries(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise pytest.UsageError(f"--audit-retries takes a whole number of 0 or more, not {value!r}")
    return number


@dataclass(frozen=True, kw_only=True)
class AuditSettings:
    """The options that shape a scenario run, whichever plugin registered them."""

    base_url: str | None = None
    browser_path: str | None = None
    headed: bool = False
    browser_channel: str | None = None
    tracing: str = "off"
    video: str = "off"
    screenshot: str = "off"
    output: Path | None = None
    trace_secrets: bool = False
    retries: int = 0
    connect: str | None = None
    cdp: str | None = None
    grid: GridSettings | None = None
    allow_live_payments: bool = False
    hosts: Mapping[str, str] = field(default_factory=dict)  # --audit-host / audit_hosts

    @classmethod
    def from_config(cls, config: pytest.Config) -> AuditSettings:
        """Read the options; a relative --output is taken from the folder pytest was started in.

        pytest-playwright gives --output a default (test-results) where its own artefacts go; the
        auditor's outputs are written only when --output was asked for.
        """
        output = config.getoption("output", None) if output_given(config) else None
        return cls(
            base_url=config.getoption("audit_base_url", None) or None,
            browser_path=config.getoption("audit_browser_path", None) or None,
            headed=bool(config.getoption("headed", False)),
            browser_channel=config.getoption("browser_channel", None) or None,
            tracing=str(config.getoption("tracing", None) or "off"),
            video=str(config.getoption("video", None) or "off"),
            screenshot=str(config.getoption("screenshot", None) or "off"),
            output=(config.invocation_params.dir / output) if output else None,
            trace_secrets=bool(config.getoption("audit_trace_secrets", False)),
            retries=int(config.getoption("audit_retries", 0) or 0),
            connect=config.getoption("audit_connect", None) or None,
            cdp=config.getoption("audit_cdp", None) or None,
            grid=_grid_option(config),
            allow_live_payments=bool(config.getoption("audit_allow_live_payments", False)),
            hosts=audit_hosts(config),
        )

    def request(self, out_dir: Path, run_id: str) -> RunRequest:
        """The engine's run request for these settings, with the options named as pytest spells them."""
        from auditor.engine.setup import PYTEST_NAMES, RunRequest

        return RunRequest(
            out_dir=out_dir,
            headed=self.headed,
            browser_path=self.browser_path,
            channel=self.browser_channel,
            connect=self.connect,
            cdp=self.cdp,
            retries=self.retries,
            trace=self.tracing,
            video=self.video,
            screenshot=self.screenshot,
            trace_secrets=self.trace_secrets,
            grid=self.grid,
            allow_live_payments=self.allow_live_payments,
            run_id=run_id,
            names=PYTEST_NAMES,
        )


# ---------------------------------------------------------------- collection


def _named_paths(config: pytest.Config) -> list[Path]:
    """The paths pytest was pointed at: command-line paths or testpaths, never the fallback folder."""
    if config.args_source is pytest.Config.ArgsSource.INVOCATION_DIR:
        return []
    named = []
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        if not path.is_absolute():
            path = config.invocation_params.dir / path
        named.append(path.resolve())
    return named


def _looks_like_scenario(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    return _SCENARIO_MARK.search(head) is not None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A ScenarioFile for each scenario YAML under the paths pytest was pointed at."""
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    resolved = file_path.resolve()
    named = _state(parent.config).named_paths
    if resolved in named:
        return ScenarioFile.from_parent(parent, path=file_path, sniffed=False)
    if any(root in resolved.parents for root in named) and _looks_like_scenario(file_path):
        return ScenarioFile.from_parent(parent, path=file_path, sniffed=True)
    return None


def _item_name(scenario_name: str) -> str:
    """The scenario's name, made safe for a node id: `::` separates names, `[…]` holds parameters."""
    safe = scenario_name.replace("::", ": ").replace("[", "(").replace("]", ")")
    return " ".join(safe.split()) or "scenario"


def _for_pytest(tip: str | None) -> str | None:
    """The loader's tips name the command line's --base-url; here the option is --audit-base-url."""
    return tip.replace("pass --base-url", "pass --audit-base-url") if tip else tip


class ScenarioFile(pytest.File):
    """One scenario file: loaded and validated at collection, one test item."""

    def __init__(self, *, sniffed: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sniffed = sniffed

    def collect(self) -> Iterable[pytest.Item]:
        """Load the scenario (one item, or one per matrix combination); a file that does not load is a
        collection error with file:line and key."""
        from auditor.scenario.load import load_scenarios

        state = _state(self.config)
        file_id = state.scenario_id(self.path)
        try:
            every = load_scenarios(self._display_path(), base_url=state.settings.base_url, file_id=file_id)
        except InputError as exc:
            problems = [replace(p, tip=_for_pytest(p.tip)) for p in exc.problems]
            shown = InputError(problems, truncated=exc.truncated)  # "more than 50", as the CLI says
            raise self.CollectError(self._explain(shown.render())) from None
        except AuditorError as exc:
            raise self.CollectError(self._explain(exc.render())) from None
        items: list[pytest.Item] = []
        for loaded in every:
            item = ScenarioItem.from_parent(self, name=_item_name(loaded.scenario.name), loaded=loaded)
            for tag in loaded.scenario.tags:
                # Tags become markers, so `-m smoke` selects scenarios as `run --tag smoke` does.
                self.config.addinivalue_line("markers", f"{tag}: checkout-auditor scenario tag")
                item.add_marker(tag)
            items.append(item)
        return items

    def _display_path(self) -> Path:
        """The path as the user would write it: relative to where pytest started, when it is below it."""
        start = self.config.invocation_params.dir
        if Path.cwd() != start:
            return self.path
        try:
            return self.path.relative_to(start)
        except ValueError:
            return self.path

    def _explain(self, message: str) -> str:
        if not self.sniffed:
            return message
        return (
            f"{message}\n(collected as a checkout-auditor scenario because it has a top-level steps: key; "
            f"if it is not one, pass --ignore={self._display_path()})"
        )


class ScenarioItem(pytest.Item):
    """One scenario as a test: it runs at setup (could not finish: an error), is judged at call."""

    def __init__(self, *, loaded: LoadedScenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.result: ScenarioResult | None = None

    def setup(self) -> None:
        """Run the scenario in this process's browser; keep its result for the call and the reports."""
        state = _state(self.config)
        try:
            result = state.run(self.loaded)
        except AuditorError as exc:
            pytest.fail(exc.render(), pytrace=False)
        self.result = result
        when = "setup" if result.status == "error" else "call"
        report_result(self, result, when, state.artefacts_dir, filename=str(self.loaded.file), lineno=1)
        if result.status == "error":
            pytest.fail(failure_message(result, state.artefacts_dir), pytrace=False)

    def runtest(self) -> None:
        """Fail when any check failed, naming each failed check with its evidence."""
        if self.result is not None and self.result.status == "fail":
            pytest.fail(failure_message(self.result, _state(self.config).artefacts_dir), pytrace=False)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the scenario comes from, for pytest's reports."""
        return self.path, None, f"scenario: {self.loaded.scenario.name}"


# ---------------------------------------------------------------- messages


def report_result(
    item: pytest.Item,
    result: ScenarioResult,
    when: str,
    artefacts: Path | None,
    *,
    filename: str,
    lineno: int,
) -> None:
    """A result on its test: the report section (return, warnings, artefacts), a warning per warned check."""
    item.add_report_section(when, "checkout-auditor", describe(result, artefacts))
    found: list[str] = []
    if result.flaky:
        found.append(f"flaky: failed at first, passed on attempt {result.attempts}")
    found.extend(f"{check.id}: {check.message}" for check in result.checks if check.status == "warn")
    for message in found:
        warnings.warn_explicit(AuditWarning(message), AuditWarning, filename=filename, lineno=lineno)


def _compact(evidence: Mapping[str, Any]) -> str:
    text = json.dumps(evidence, ensure_ascii=False, separators=(",", ":"), default=str, sort_keys=True)
    if len(text) > EVIDENCE_LIMIT:
        text = f"{text[:EVIDENCE_LIMIT]}… ({len(text) - EVIDENCE_LIMIT} more characters in results.json)"
    return text


def _artefact_lines(result: ScenarioResult, artefacts: Path | None) -> list[str]:
    if artefacts is None:
        return []
    lines = [f"screenshot: {artefacts / shot.file}" for shot in result.screenshots]
    for kind, file in sorted(result.artefacts.items()):
        hint = " (open it with `playwright show-trace`)" if kind == "trace" else ""
        lines.append(f"{kind}: {artefacts / file}{hint}")
    return lines


def failure_message(result: ScenarioResult, artefacts: Path | None = None) -> str:
    """Why a scenario did not pass: its error, and each failed check as `id: message` with its evidence."""
    failed = [c for c in result.checks if c.status == "fail"]
    lines: list[str] = []
    if result.status == "error":
        lines.append(f"the scenario could not be finished: {result.error or 'no reason recorded'}")
    if failed:  # the first line is pytest's short summary: it names the failed checks
        noun = "check" if len(failed) == 1 else "checks"
        lines.append(f"{len(failed)} {noun} failed: {', '.join(c.id for c in failed)}")
    for check in failed:
        lines.append(f"{check.id}: {check.message}")
        if check.evidence:
            lines.append(f"  evidence: {_compact(check.evidence)}")
        if check.remedy:
            lines.append(f"  what to do: {check.remedy}")
    lines.extend(_artefact_lines(result, artefacts))
    return "\n".join(lines)


def describe(result: ScenarioResult, artefacts: Path | None = None) -> str:
    """The report section: how the customer came back, every warning, and the artefacts."""
    from auditor.reports.view import return_not_judged, return_sentence

    lines = []
    if result.payment is not None:
        not_judged = return_not_judged(result)  # stopped before the return could be seen: not "never"
        lines.append(f"payment: {return_sentence(result.payment, not_judged=not_judged)}")
    for check in result.checks:
        if check.status == "warn":
            lines.append(f"WARNING {check.id}: {check.message}")
            if check.evidence:
                lines.append(f"  evidence: {_compact(check.evidence)}")
    if result.status == "pass":  # otherwise the failure message lists them
        lines.extend(_artefact_lines(result, artefacts))
    return "\n".join(lines)


# ---------------------------------------------------------------- the browser


class ScenarioRunner:
    """This process's worker: one thread that owns Playwright and the browsers (the engine's pool of one).

    Playwright's sync API belongs to the thread that started it; keeping it off pytest's main thread
    leaves that thread to other plugins (pytest-playwright, asyncio) and to Ctrl-C.
    """

    def __init__(self, settings: AuditSettings, out_dir: Path, run_id: str) -> None:
        self.request = settings.request(out_dir, run_id)
        self._pool: WorkerPool | None = None
        self._failure: AuditorError | None = None  # no browser, a bad option: every scenario errors

    def refusal(self, loaded: LoadedScenario) -> AuditorError | None:
        """Why this scenario may not run with these options (traces of secrets), or None."""
        from auditor.engine.setup import recording_refusal

        return recording_refusal(self.request, [loaded])

    def run(self, loaded: LoadedScenario) -> ScenarioResult:
        """Run one scenario and return its result; AuditorError when the options cannot run it."""
        pool = self._start()
        future = pool.submit(loaded)
        while True:  # short waits keep the main thread responsive to Ctrl-C on every platform
            try:
                return future.result(timeout=0.5)
            except concurrent.futures.TimeoutError:
                continue
            except KeyboardInterrupt:
                pool.stop.set()
                raise

    def _start(self) -> WorkerPool:
        if self._failure is not None:
            raise self._failure
        if self._pool is None:
            from auditor.engine.executor import WorkerPool
            from auditor.engine.setup import prepare

            try:
                options = prepare(self.request)
            except AuditorError as exc:
                self._failure = exc
                raise
            self._pool = WorkerPool(options, workers=1)
        return self._pool

    def close(self, timeout: float = 30) -> None:
        """Close the browsers and stop the thread."""
        if self._pool is not None:
            self._pool.close(timeout)


# ---------------------------------------------------------------- session state


class AuditSession:
    """The plugin's per-process state: settings, scenario ids, the runner, and the results seen."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = AuditSettings.from_config(config)
        self.named_paths = _named_paths(config)
        self.artefacts_dir: Path | None = None
        self.results: dict[str, ScenarioResult] = {}
        self.started = datetime.now(UTC)
        self.written: Path | None = None
        self.write_error: str | None = None
        self._ids: dict[str, int] = {}
        self._runner: ScenarioRunner | None = None
        self._run_id_value: str | None = None

    @property
    def is_xdist_worker(self) -> bool:
        """True inside a pytest-xdist worker (the controller writes the outputs)."""
        return hasattr(self.config, "workerinput")

    def scenario_id(self, path: Path) -> str:
        """A slug of the file name, unique in the session (every xdist worker collects in the same order)."""
        from auditor.scenario.load import slug

        base = slug(path.stem)
        self._ids[base] = self._ids.get(base, 0) + 1
        return base if self._ids[base] == 1 else f"{base}-{self._ids[base]}"

    def _run_id(self) -> str:
        workerinput: Mapping[str, Any] | None = getattr(self.config, "workerinput", None)
        if workerinput and workerinput.get("testrunuid"):
            return str(workerinput["testrunuid"])[:8]  # the same in every xdist worker of one run
        return os.urandom(4).hex()

    def _out_dir(self) -> Path:
        if self.settings.output is not None:
            return self.settings.output
        # Without --output, artefacts go under pytest's own temporary folder (the last few are kept).
        factory: pytest.TempPathFactory | None = getattr(self.config, "_tmp_path_factory", None)
        if factory is not None:
            return factory.mktemp("checkout-auditor")
        import tempfile

        return Path(tempfile.mkdtemp(prefix="checkout-auditor-"))

    def run(self, loaded: LoadedScenario) -> ScenarioResult:
        """Run one scenario on this process's browser, started on first use."""
        if self._runner is None:
            self.artefacts_dir = self._out_dir()
            self.artefacts_dir.mkdir(parents=True, exist_ok=True)
            self._runner = ScenarioRunner(self.settings, self.artefacts_dir, self.run_id)
        refused = self._runner.refusal(loaded)
        if refused is not None:
            raise refused
        return self._runner.run(loaded)

    # ------------------------------------------------------------ hooks

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Attach the scenario's result to its teardown report, which xdist carries to the controller."""
        report = yield
        if call.when == "call":  # for checkout_audit's teardown
            error = first_line(call.excinfo.value) if call.excinfo is not None else None
            item.stash[CALL_OUTCOME] = (report.outcome, error)
        if call.when == "teardown":
            result = item.result if isinstance(item, ScenarioItem) else item.stash.get(FIXTURE_RESULT, None)
            if result is not None:
                setattr(report, RESULT_ATTR, result.model_dump_json(by_alias=True))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep every scenario's result; under xdist they reach the controller on the workers' reports."""
        data = getattr(report, RESULT_ATTR, None)
        if isinstance(data, str):
            from auditor.results import ScenarioResult

            self.results[report.nodeid] = ScenarioResult.model_validate_json(data)

    @pytest.hookimpl(tryfirst=True)  # before xdist starts its workers
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Empty pytest-playwright's --output folder once, in the reporting process, before any test."""
        config = self.config
        if (
            self.is_xdist_worker
            or config.option.collectonly
            or not config.pluginmanager.has_plugin("playwright")
        ):
            return
        output = config.getoption("output", None)
        if not output:
            return
        folder = config.invocation_params.dir / str(output)
        if folder.is_dir() and folder.resolve() not in (Path.cwd().resolve(), *Path.cwd().resolve().parents):
            shutil.rmtree(folder, ignore_errors=True)

    @property
    def run_id(self) -> str:
        """This run's id ({{run_id}}): the same in every xdist worker of one run."""
        if self._run_id_value is None:
            self._run_id_value = self._run_id()
        return self._run_id_value

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Close the browser; the reporting process writes the outputs."""
        if self._runner is not None:
            self._runner.close()
        if self.settings.output is None or self.is_xdist_worker or not self.results:
            return
        from auditor.reports import write_outputs
        from auditor.results import RunResult

        run = RunResult(
            started=self.started.isoformat(timespec="seconds"),
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
            scenarios=[self.results[nodeid] for nodeid in sorted(self.results)],
        )
        try:
            self.written = write_outputs(run, self.settings.output).html
        except (OSError, AuditorError) as exc:
            self.write_error = f"could not write the reports into {self.settings.output}: {exc}"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Say where the report is."""
        if self.written is None and self.write_error is None:
            return
        terminalreporter.write_sep("-", "checkout-auditor")
        if self.written is not None:
            from auditor.results import RunResult

            counts = RunResult(started="", finished="", scenarios=list(self.results.values())).counts()
            summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
            terminalreporter.write_line(f"{len(self.results)} scenarios ({summary}); report: {self.written}")
        if self.write_error is not None:
            terminalreporter.write_line(self.write_error, red=True)


# ---------------------------------------------------------------- wiring

_STATE = pytest.StashKey[AuditSession]()


def _state(config: pytest.Config) -> AuditSession:
    return config.stash[_STATE]


def pytest_configure(config: pytest.Config) -> None:
    """Start the session state; its hooks keep results and write the outputs."""
    session = AuditSession(config)
    config.stash[_STATE] = session
    config.pluginmanager.register(session, f"{PLUGIN_NAME}-session")
    if config.pluginmanager.has_plugin("playwright"):
        # Registered after pytest-playwright, so that its fixtures wrap pytest-playwright's of the same name.
        from auditor import fixture

        config.pluginmanager.register(fixture, f"{PLUGIN_NAME}-fixture")
    # A scenario's warnings are findings shown as warnings: a blanket `filterwarnings = error` in the
    # project's settings must not turn them into failures (`-W error::...AuditWarning` still can).
    config.addinivalue_line("filterwarnings", "default::auditor.pytest_plugin.AuditWarning")
