"""The command line: the only module that prints or exits."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from auditor import __version__
from auditor.errors import AuditorError

BROWSER_PATH_HELP = (
    "Chromium/Chrome binary to use (default: $AUDITOR_BROWSER_PATH, then Playwright's, then the system's)."
)


class AuditorGroup(click.Group):
    """A click group that turns tool errors into a located message and exit status 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AuditorError as exc:
            from auditor.reports.console import print_error

            print_error(exc)
            ctx.exit(exc.exit_status)


@click.group(
    cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="checkout-auditor")
def cli() -> None:
    """Audit that checkouts return from the payment platform and reach Connectif."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--base-url", help="Use this base URL for every scenario (overrides base_url:).")
def validate(paths: tuple[Path, ...], base_url: str | None) -> None:
    """Load and check scenarios (files or folders of *.yaml) without a browser."""
    from rich.text import Text

    from auditor.reports.console import out_console
    from auditor.scenario.load import load_all

    loaded = load_all(paths, base_url=base_url)
    for item in loaded:
        # Text, not markup: file names and scenario names may hold brackets.
        line = Text("ok", style="green") + Text(f"  {item.file}  ") + Text(item.scenario.name, style="dim")
        out_console.print(line, soft_wrap=True)
    out_console.print(f"{len(loaded)} scenario(s) valid")


@cli.command()
@click.option("--browser-path", envvar="AUDITOR_BROWSER_PATH", help=BROWSER_PATH_HELP)
def doctor(browser_path: str | None) -> None:
    """Say which browser the auditor would use, and launch it for real."""
    from auditor.engine.doctor import examine
    from auditor.reports.console import print_findings

    findings = examine(browser_path)
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
    trace: str = "off"
    video: str = "off"
    screenshot: str = "off"
    allow_live_payments: bool = False
    trace_secrets: bool = False


def _run_and_report(
    paths: tuple[Path, ...], settings: RunSettings, *, prefix: str, env: dict[str, str] | None = None
) -> int:
    from auditor.audit import audit, new_out_dir, parse_shard, select, shard
    from auditor.engine.browser import find_browser
    from auditor.engine.run import RunOptions
    from auditor.reports.console import RunProgress, print_summary
    from auditor.scenario.load import load_all

    # Bad scenarios and bad options stop the run before any browser starts.
    scenarios = select(load_all(paths, env=env, base_url=settings.base_url), settings.tags)
    if settings.shard:
        index, count = parse_shard(settings.shard)
        scenarios = shard(scenarios, index, count)
    if settings.video != "off" and not settings.connect and not settings.cdp:
        from auditor.engine.browser import video_recorder_problem

        problem = video_recorder_problem()
        if problem is not None:
            raise problem
    if settings.connect and settings.cdp:
        raise AuditorError("--connect and --cdp are two ways to reach a remote browser: give one")
    recording = " and ".join(
        n for n, mode in (("--trace", settings.trace), ("--video", settings.video)) if mode != "off"
    )
    if recording and not settings.trace_secrets:
        with_secrets = [str(s.file) for s in scenarios if s.scenario.secrets]
        if with_secrets:
            raise AuditorError(
                f"{recording} record what is typed on screen, and these scenarios have secrets: "
                + ", ".join(with_secrets),
                tip=f"run without {recording}, or add --trace-secrets to record them anyway "
                "(the files will then hold the secret values)",
            )
    browser = (
        None
        if settings.cdp
        else (find_browser(settings.browser_path) if not settings.connect or settings.browser_path else None)
    )
    options = RunOptions(
        browser=browser,
        out_dir=settings.out or new_out_dir(Path("reports"), prefix),
        workers=settings.workers,
        headed=settings.headed,
        retries=settings.retries,
        trace=settings.trace,
        video=settings.video,
        screenshot=settings.screenshot,
        connect=settings.connect,
        cdp=settings.cdp,
        allow_live_payments=settings.allow_live_payments,
    )
    progress = RunProgress()
    progress.start(scenarios)
    outcome = audit(scenarios, options, on_result=progress.result)
    print_summary(outcome.run, outcome.paths)
    if outcome.interrupted:
        click.echo(
            "interrupted: the outputs above hold what finished; interrupted scenarios are marked", err=True
        )
        return 130
    return outcome.run.exit_status()


ARTEFACT_CHOICE = click.Choice(["off", "on", "retain-on-failure"])


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: a new folder under reports/).",
)
@click.option("--base-url", help="Use this base URL for every scenario (overrides base_url:).")
@click.option("--tag", "tags", multiple=True, help="Run only scenarios with this tag (repeatable).")
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=1,
    show_default=True,
    help="Scenarios run at the same time, each worker with its own browser.",
)
@click.option("--headed", is_flag=True, help="Show the browser windows.")
@click.option("--browser-path", envvar="AUDITOR_BROWSER_PATH", help=BROWSER_PATH_HELP)
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
def run(paths: tuple[Path, ...], **options: object) -> None:
    """Run scenarios (files or folders of *.yaml) and write results.json, report.html and junit.xml."""
    sys.exit(_run_and_report(paths, RunSettings(**options), prefix="run"))  # type: ignore[arg-type]


@cli.command()
@click.argument("dirs", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the merged results.json, report.html and junit.xml.",
)
def merge(dirs: tuple[Path, ...], out: Path) -> None:
    """Join the outputs of several runs (e.g. shards) into one results.json, report and JUnit."""
    from auditor.audit import merge as merge_runs
    from auditor.reports.console import print_summary

    outcome = merge_runs(dirs, out)
    print_summary(outcome.run, outcome.paths)
    sys.exit(outcome.run.exit_status())


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: a new folder under reports/).",
)
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True)
@click.option("--tag", "tags", multiple=True, help="Run only the bundled scenarios with this tag.")
@click.option("--browser-path", envvar="AUDITOR_BROWSER_PATH", help=BROWSER_PATH_HELP)
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


def _register_commands() -> None:
    from auditor.cli.reconcile import reconcile
    from auditor.cli.record import open_, record
    from auditor.cli.report import report

    cli.add_command(report)
    cli.add_command(reconcile)
    cli.add_command(record)
    cli.add_command(open_)


_register_commands()


def main() -> None:
    """Entry point of `checkout-auditor` and `python -m auditor`."""
    cli(prog_name="checkout-auditor")
