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


def main() -> None:
    """Entry point of `checkout-auditor` and `python -m auditor`."""
    cli(prog_name="checkout-auditor")
