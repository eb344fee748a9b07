"""The command line: the only module that prints or exits."""

from __future__ import annotations

import sys

import click

from auditor import __version__
from auditor.errors import AuditorError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="checkout-auditor")
def cli() -> None:
    """Audit that checkouts return from the payment platform and reach Connectif."""


def main() -> None:
    """Entry point: run the command, turn tool errors into exit status 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AuditorError as exc:
        from auditor.console import print_error

        print_error(exc)
        sys.exit(exc.exit_status)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
