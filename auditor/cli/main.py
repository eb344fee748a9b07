"""The command line: the only module that prints or exits."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor import __version__
from auditor.cli.options import (
    base_url_option,
    browser_path_option,
    env_options,
    grid_options,
    out_dir_option,
)
from auditor.errors import AuditorError

if TYPE_CHECKING:
    from auditor.engine.grid import GridSettings
    from auditor.engine.warm import WarmStart


# Commands that live in modules of their own, imported only when they run (or --help lists them): a
# `run` never pays for reconcile's or compare's imports.
LAZY_COMMANDS = {
    "compare": "auditor.cli.compare:compare",
    "open": "auditor.cli.record:open_",
    "reconcile": "auditor.cli.reconcile:reconcile",
    "record": "auditor.cli.record:record",
    "report": "auditor.cli.report:report",
}


class AuditorGroup(click.Group):
    """A click group that turns tool errors into a located message and exit status 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            import importlib

            module, _, name = LAZY_COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AuditorError as exc:
            from auditor.reports.console import print_error

            print_error(exc)
            ctx.exit(exc.exit_status)
        except KeyboardInterrupt:  # before a run starts or after it ended (a run stops by itself)
            click.echo("interrupted (Ctrl-C)", err=True)
            ctx.exit(130)


@click.group(
    cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="checkout-auditor")
def cli() -> None:
    """Audit that checkouts return from the payment platform and reach Connectif."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@base_url_option
@env_options
def validate(
    paths: tuple[Path, ...], base_url: str | None, variables: tuple[str, ...], env_files: tuple[Path, ...]
) -> None:
    """Load and check scenarios (files or folders of *.yaml) without a browser."""
    from auditor.reports.console import print_validation
    from auditor.scenario.env import build_env
    from auditor.scenario.load import load_all

    env = build_env(variables, env_files)
    print_validation(load_all(paths, env=env, base_url=base_url))


@cli.command()
@browser_path_option
@grid_options
def doctor(browser_path: str | None, grid: str | None, grid_capabilities: str | None) -> None:
    """Say which browser the auditor would use, and launch it for real (or take one from --grid)."""
    from auditor.engine.doctor import examine, examine_grid
    from auditor.reports.console import print_findings

    findings = examine_grid(_grid_settings(grid, grid_capabilities)) if grid else examine(browser_path)
    print_findings(findings)
    if not all(f.ok for f in findings):
        sys.exit(2)


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """The options shared by `run` and `demo`."""

    out: Path | None = None
    base_url: str | None = None
    tags: tuple[str, ...] = ()
    workers: int = 1
    headed: bool = False
    browser_path: str | None = None
    retries: int = 0
    shard: str | None = None
    connect: str | None = None
    cdp: str | None = None
    grid: str | None = None
    grid_capabilities: str | None = None
    trace: str = "off"
    video: str = "off"
    screenshot: str = "off"
    allow_live_payments: bool = False
    trace_secrets: bool = False
    variables: tuple[str, ...] = ()  # --var NAME=VALUE
    env_files: tuple[Path, ...] = ()
    keywords: tuple[str, ...] = ()  # -k: keep scenarios whose name or file contains one
    fail_on_warn: bool = False
    baseline: str | None = None
    notify: tuple[str, ...] = ()
    notify_on: str = "failure"
    notify_timeout: float = 15.0


def _run_and_report(
    paths: tuple[Path, ...], settings: RunSettings, *, prefix: str, env: dict[str, str] | None = None
) -> int:
    import gc

    from auditor.engine.warm import WarmStart

    # The set-up imports the engine and the report and loads the scenarios: objects that live as long
    # as the run, none of them garbage, which the cycle collector would scan again and again (about
    # 20 ms of CPU). It is paused until the run starts (_set_up_and_run), or the set-up fails.
    gc.disable()
    # Playwright's driver starts now, and the browser as soon as the scenarios say which: both take
    # their time outside this interpreter while it imports the engine and sets the run up.
    warm = WarmStart.begin(settings.workers)
    try:
        return _set_up_and_run(paths, settings, prefix=prefix, env=env, warm=warm)
    finally:
        gc.enable()
        if warm is not None:
            warm.close()  # the warm workers the run did not take (all of them after a bad option)


def _set_up_and_run(
    paths: tuple[Path, ...],
    settings: RunSettings,
    *,
    prefix: str,
    env: dict[str, str] | None,
    warm: WarmStart | None,
) -> int:
    from auditor.engine.browser import LaunchPlan, merged_hosts
    from auditor.engine.setup import RunRequest, prepare, recording_refusal
    from auditor.scenario.env import build_env
    from auditor.scenario.load import load_all

    # Bad scenarios and bad options stop the run before any browser starts.
    env = build_env(settings.variables, settings.env_files, env)
    from auditor.audit import keep, new_out_dir, parse_shard, select, shard

    scenarios = select(load_all(paths, env=env, base_url=settings.base_url), settings.tags)
    scenarios = keep(scenarios, settings.keywords)
    if settings.shard:
        index, count = parse_shard(settings.shard)
        before = len(scenarios)
        scenarios = shard(scenarios, index, count)
        if not scenarios:  # more shards than scenarios, as a fixed CI matrix can have: not an error
            click.echo(
                f"note: shard {index}/{count} holds none of the {before} scenario(s) (sorted by file, they "
                f"are dealt to the {count} shards in turn); its outputs record an empty run, which merge "
                "accepts",
                err=True,
            )
    grid = _grid_settings(settings.grid, settings.grid_capabilities) if settings.grid else None
    out_dir = settings.out or new_out_dir(Path("reports"), prefix)  # reserved: after any option error
    request = RunRequest(
        out_dir=out_dir,
        workers=settings.workers,
        headed=settings.headed,
        browser_path=settings.browser_path,
        connect=settings.connect,
        cdp=settings.cdp,
        retries=settings.retries,
        trace=settings.trace,
        video=settings.video,
        screenshot=settings.screenshot,
        trace_secrets=settings.trace_secrets,
        grid=grid,
        allow_live_payments=settings.allow_live_payments,
    )
    refusal = recording_refusal(request, scenarios)
    if refusal is not None:
        raise refusal
    options = prepare(request)
    from auditor.cli.compare import check_notify_options, prepare_baseline, send_notifications

    check_notify_options(settings.notify, settings.notify_on, settings.baseline)
    baseline = prepare_baseline(settings.baseline, out_dir, scenarios)
    from auditor.reports.outputs import prepare_out_dir

    prepare_out_dir(out_dir)  # every option is good: a run whose outputs cannot be written would be lost
    # Every option is good: the warm worker launches the browser while the engine is imported.
    shared = merged_hosts(s.scenario.hosts for s in scenarios)
    if warm is not None and shared is not None and scenarios:
        warm.prelaunch(LaunchPlan.for_options(options, shared))

    # What audit() imports first, imported while the collector is still paused.
    import auditor.engine.executor
    import auditor.reports.outputs  # noqa: F401
    from auditor.audit import audit
    from auditor.cli.start import resume_collection
    from auditor.reports.console import RunProgress, print_summary

    resume_collection()  # the set-up's objects live as long as the run
    progress = RunProgress()
    progress.start(scenarios)
    outcome = audit(
        scenarios,
        options,
        listener=progress.event,
        baseline=baseline,
        warm=warm,
        fail_on_warn=settings.fail_on_warn,
    )
    print_summary(outcome.run, outcome.paths)
    if outcome.interrupted:
        click.echo(
            "interrupted: the outputs above hold what finished; interrupted scenarios are marked", err=True
        )
        return 130
    send_notifications(settings.notify, settings.notify_on, outcome.run, settings.notify_timeout)
    if grid is not None:
        from auditor.engine.grid import no_session_at_all

        errors = [s.error for s in outcome.run.scenarios]
        if no_session_at_all(errors):
            click.echo(f"no scenario got a browser from the Selenium Grid at {grid.display_url}:", err=True)
            click.echo(f"  {errors[0]}", err=True)
    return outcome.run.exit_status(fail_on_warn=settings.fail_on_warn)


def _grid_settings(url: str, capabilities: str | None) -> GridSettings:
    """--grid and --grid-capabilities, checked; headers (credentials) come from $SELENIUM_REMOTE_HEADERS."""
    import os

    from auditor.engine.grid import ENV_HEADERS, grid_settings

    return grid_settings(url, capabilities, os.environ.get(ENV_HEADERS))


ARTEFACT_CHOICE = click.Choice(["off", "on", "retain-on-failure"])


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@out_dir_option
@base_url_option
@click.option("--tag", "tags", multiple=True, help="Run only scenarios with this tag (repeatable).")
@click.option(
    "-k",
    "keywords",
    multiple=True,
    metavar="TEXT",
    help="Run only scenarios whose name or file contains TEXT (repeatable, any case).",
)
@env_options
@click.option("--fail-on-warn", is_flag=True, help="Exit 1 when a check warns, as when one fails.")
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=1,
    show_default=True,
    help="Scenarios run at the same time, each worker with its own browser.",
)
@click.option("--headed", is_flag=True, help="Show the browser windows.")
@browser_path_option
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=0,
    show_default=True,
    help="Run a failing scenario again up to N times; a later pass is reported as flaky.",
)
@click.option("--shard", help="Run one part of the scenarios: i/n (e.g. 2/4); join parts with `merge`.")
@click.option(
    "--connect", metavar="WS_ENDPOINT", help="Use a Playwright browser server (playwright run-server)."
)
@click.option("--cdp", metavar="URL", help="Use a Chromium started with --remote-debugging-port.")
@grid_options
@click.option(
    "--trace",
    type=ARTEFACT_CHOICE,
    default="off",
    show_default=True,
    help="Record a Playwright trace per scenario (open with `playwright show-trace`).",
)
@click.option("--video", type=ARTEFACT_CHOICE, default="off", show_default=True, help="Record a video.")
@click.option(
    "--screenshot",
    type=click.Choice(["off", "on", "only-on-failure"]),
    default="off",
    show_default=True,
    help="A screenshot of the page each scenario ends on (one of where it stopped is always kept).",
)
@click.option(
    "--trace-secrets",
    is_flag=True,
    help="Allow --trace/--video on scenarios with secrets (files then hold them).",
)
@click.option(
    "--allow-live-payments",
    is_flag=True,
    help="Do not stop at production payment endpoints or live Stripe keys.",
)
@click.option(
    "--baseline",
    metavar="PATH|latest",
    help="Say what changed against an earlier run: its results.json or folder, or `latest` "
    "(the newest other run in the output folder's parent).",
)
@click.option(
    "--notify",
    multiple=True,
    metavar="URL",
    envvar="AUDITOR_NOTIFY",
    help="POST the run's summary to this webhook (Slack, Teams, any JSON receiver); repeatable. "
    "Also $AUDITOR_NOTIFY (space-separated), which keeps the URL off the command line.",
)
@click.option(
    "--notify-on",
    type=click.Choice(["failure", "change", "always"]),
    default="failure",
    show_default=True,
    help="When to notify: a scenario did not pass; a verdict changed against --baseline; every run.",
)
@click.option(
    "--notify-timeout",
    type=click.FloatRange(0.5, 300),
    default=15.0,
    show_default=True,
    metavar="SECONDS",
    help="How long each webhook may take, retries included; a webhook that fails is only a warning.",
)
def run(paths: tuple[Path, ...], **options: object) -> None:
    """Run scenarios (files or folders of *.yaml); write results.json, report.html, junit.xml, summary.md."""
    ctx = click.get_current_context()
    from_env = click.core.ParameterSource.ENVIRONMENT
    if ctx.get_parameter_source("grid") is from_env and (options["connect"] or options["cdp"]):
        options["grid"] = None  # $SELENIUM_REMOTE_URL is only a default: an explicit remote browser wins
    explicit = ctx.get_parameter_source("grid_capabilities") is not from_env
    if not options["grid"] and options["grid_capabilities"] and explicit:
        raise AuditorError("--grid-capabilities needs --grid URL (or $SELENIUM_REMOTE_URL)")
    sys.exit(_run_and_report(paths, RunSettings(**options), prefix="run"))  # type: ignore[arg-type]


@cli.command()
@click.argument("dirs", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the merged results.json, report.html and junit.xml: a new or empty one, or an "
    "earlier merge of the same runs.",
)
def merge(dirs: tuple[Path, ...], out: Path) -> None:
    """Join the outputs of several runs (e.g. shards) into one results.json, report and JUnit.

    --out must not hold another run: one of the parts, or any run but an earlier merge of these parts.
    """
    from auditor.audit import merge as merge_runs
    from auditor.reports.console import print_note, print_summary

    outcome = merge_runs(dirs, out)
    for note in outcome.notes:  # how the parts were read, before what the merged run says
        print_note("note: " + note)
    print_summary(outcome.run, outcome.paths)
    sys.exit(outcome.run.exit_status(fail_on_warn=outcome.run.fail_on_warn))


@cli.command()
@out_dir_option
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True)
@click.option("--tag", "tags", multiple=True, help="Run only the bundled scenarios with this tag.")
@browser_path_option
def demo(out: Path | None, workers: int, tags: tuple[str, ...], browser_path: str | None) -> None:
    """Start the built-in lab shop, run the bundled scenarios against it and write a report."""
    import os

    from auditor.lab.server import Lab

    bundled = Path(__file__).resolve().parents[2] / "scenarios"
    if not bundled.is_dir():
        raise AuditorError(
            f"the bundled scenarios are not at {bundled}",
            tip="run the demo from a checkout of checkout-auditor (make demo)",
        )
    with Lab() as lab:
        click.echo(f"lab shop running at {lab.url('shop.test')}")
        env = {**os.environ, "SHOP_URL": lab.url("shop.test").rstrip("/")}
        # The lab's Connectif REST API stand-in and its key, over any real key in the environment.
        env.update(CONNECTIF_API_URL=lab.api_url, CONNECTIF_API_KEY=lab.api_key)
        settings = RunSettings(out=out, tags=tags, workers=workers, browser_path=browser_path)
        status = _run_and_report((bundled,), settings, prefix="demo", env=env)
    # The demo shows failures on purpose: its exit status says the demo ran, not that the lab passed.
    sys.exit(0 if status in (0, 1) else status)


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port for every lab host (0: any free port).",
)
def lab(port: int) -> None:
    """Start the lab shop alone, print its addresses, and serve until Ctrl-C."""
    from auditor.lab.server import serve

    serve(port, sys.stdout)


def main() -> None:
    """Entry point of `checkout-auditor` and `python -m auditor`."""
    try:
        cli(prog_name="checkout-auditor")  # click's standalone mode always ends in SystemExit
    except SystemExit as done:
        # The command has ended and its outputs are written: a Ctrl-C from here on (pressed again by an
        # impatient user) would only turn the exit into a traceback.
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        exit_now(done.code)
        raise


def exit_now(code: object) -> None:
    """End the process at once with `code`, skipping the interpreter's teardown, when nothing is lost.

    Tearing down pydantic's, Playwright's and rich's modules took a quarter of a second of CPU after
    every command had finished. Skipped only once nothing needs it: no other non-daemon thread is
    running (Python would wait for it), the exit handlers have run (multiprocessing's, logging's) and
    both streams are flushed. Every output file is already closed (written atomically). Otherwise the
    caller's SystemExit ends the process the usual way.
    """
    import atexit
    import os
    import threading

    if code is not None and not isinstance(code, int):
        return  # a message to print: Python's own exit prints it
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: Python's own exit reports it
        return
    atexit._run_exitfuncs()  # from here on, no way back: they would run twice
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code or 0)
