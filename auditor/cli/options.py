"""Options that several commands take, declared once so that their names, defaults and help agree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

browser_path_option = click.option(
    "--browser-path",
    envvar="AUDITOR_BROWSER_PATH",
    help="Chromium/Chrome binary to use (default: $AUDITOR_BROWSER_PATH, then Playwright's, then the "
    "system's).",
)


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--base-url, checked once, before any scenario is loaded, by the rule a scenario's base_url obeys."""
    if value is None:
        return None
    from auditor.errors import AuditorError

    # The scenario's own rule for base_url, and the misspelt scheme its load error names, read-only.
    from auditor.scenario.model import _url, scheme_mistake

    if not value.strip():
        raise AuditorError(
            "--base-url is empty",
            tip="give a URL (--base-url https://staging.shop.example/), or leave the option out to use "
            "each scenario's base_url (an unset variable in the command line gives an empty value)",
        )
    if "${" in value:  # a ${NAME} is filled in by the loader, then checked like the file's base_url
        return value
    try:
        _url(value)
    except ValueError as exc:
        meant = scheme_mistake(value)  # `htps://`, `ttps://`, `http:/`, as for base_url: in a file
        raise AuditorError(
            f"--base-url: {exc}",
            tip=f"did you mean --base-url {meant}?"
            if meant
            else "write the scheme and the host: --base-url https://staging.shop.example/ (http:// for a "
            "shop without TLS)",
        ) from None
    return value


base_url_option = click.option(
    "--base-url",
    callback=_base_url,
    help="Use this base URL for every scenario (overrides base_url:).",
)

out_dir_option = click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: a new folder under reports/).",
)


def grid_options(command: F) -> F:
    """--grid and --grid-capabilities (run and doctor); both read the variables Playwright reads."""
    command = click.option(
        "--grid-capabilities",
        metavar="JSON",
        envvar="SELENIUM_REMOTE_CAPABILITIES",
        help="Extra capabilities for the grid's sessions, a JSON object; goog:chromeOptions.args are "
        "added to the auditor's (default: $SELENIUM_REMOTE_CAPABILITIES).",
    )(command)
    return click.option(
        "--grid",
        metavar="URL",
        envvar="SELENIUM_REMOTE_URL",
        help="Take each worker's Chromium from a Selenium Grid 4 at URL (default: $SELENIUM_REMOTE_URL).",
    )(command)


def env_options(command: F) -> F:
    """--var and --env-file: the values of ${NAME} in scenario files (run and validate)."""
    command = click.option(
        "--env-file",
        "env_files",
        multiple=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help="Read ${NAME} values from NAME=VALUE lines (# comments); over the environment.",
    )(command)
    return click.option(
        "--var",
        "variables",
        multiple=True,
        metavar="NAME=VALUE",
        help="A ${NAME} value (repeatable); over --env-file and the environment.",
    )(command)


def host_option(help_text: str) -> Callable[[F], F]:
    """--host NAME=IP, repeatable (record and open): names the browser resolves without DNS."""
    return click.option("--host", "hosts", multiple=True, metavar="NAME=IP", help=help_text)


__all__ = [
    "base_url_option",
    "browser_path_option",
    "env_options",
    "grid_options",
    "host_option",
    "out_dir_option",
]
