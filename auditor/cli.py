"""The command line: the only module that prints or exits."""

from __future__ import annotations

import sys
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
            from auditor.console import print_error

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
    from auditor.console import out_console
    from auditor.scenario import load_all

    loaded = load_all(paths, base_url=base_url)
    for item in loaded:
        out_console.print(f"[green]ok[/]  {item.file}  [dim]{item.scenario.name}[/]", soft_wrap=True)
    out_console.print(f"{len(loaded)} scenario(s) valid")


@cli.command()
@click.option("--browser-path", envvar="AUDITOR_BROWSER_PATH", help=BROWSER_PATH_HELP)
def doctor(browser_path: str | None) -> None:
    """Say which browser the auditor would use, and launch it for real."""
    from auditor.console import print_findings
    from auditor.doctor import examine

    findings = examine(browser_path)
    print_findings(findings)
    if not all(f.ok for f in findings):
        sys.exit(2)


def _run_and_report(
    paths: tuple[Path, ...],
    *,
    out: Path | None,
    prefix: str,
    base_url: str | None,
    tags: tuple[str, ...],
    workers: int,
    headed: bool,
    browser_path: str | None,
    env: dict[str, str] | None = None,
) -> int:
    from auditor.audit import audit, new_out_dir
    from auditor.browser import find_browser
    from auditor.console import RunProgress, print_summary
    from auditor.scenario import load_all

    load_all(paths, env=env, base_url=base_url)  # refuse bad scenarios before looking for a browser
    browser = find_browser(browser_path)
    progress = RunProgress()
    outcome = audit(
        paths,
        browser=browser,
        out_dir=out or new_out_dir(Path("reports"), prefix),
        base_url=base_url,
        tags=tags,
        workers=workers,
        headed=headed,
        env=env,
        on_start=progress.start,
        on_result=progress.result,
    )
    print_summary(outcome.run, outcome.paths)
    return outcome.run.exit_status()


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
def run(
    paths: tuple[Path, ...],
    out: Path | None,
    base_url: str | None,
    tags: tuple[str, ...],
    workers: int,
    headed: bool,
    browser_path: str | None,
) -> None:
    """Run scenarios (files or folders of *.yaml) and write results.json, report.html and junit.xml."""
    sys.exit(
        _run_and_report(
            paths,
            out=out,
            prefix="run",
            base_url=base_url,
            tags=tags,
            workers=workers,
            headed=headed,
            browser_path=browser_path,
        )
    )


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

    bundled = Path(__file__).resolve().parent.parent / "scenarios"
    if not bundled.is_dir():
        raise AuditorError(f"the bundled scenarios are not at {bundled}",
                           tip="run the demo from a checkout of checkout-auditor (make demo)")
    with Lab() as lab:
        click.echo(f"lab shop running at {lab.url('shop.test')}")
        env = {**os.environ, "SHOP_URL": lab.url("shop.test").rstrip("/")}
        status = _run_and_report(
            (bundled,),
            out=out,
            prefix="demo",
            base_url=None,
            tags=tags,
            workers=workers,
            headed=False,
            browser_path=browser_path,
            env=env,
        )
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
    from auditor.reconcile.command import reconcile
    from auditor.reports.command import report

    cli.add_command(report)
    cli.add_command(reconcile)


_register_commands()


def main() -> None:
    """Entry point of `checkout-auditor` and `python -m auditor`."""
    cli(prog_name="checkout-auditor")
