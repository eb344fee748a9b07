"""The values of `${NAME}`: the environment, `--env-file FILE` and `--var NAME=VALUE`.

Precedence: `--var` over `--env-file` (a later file over an earlier one) over the environment. Values
may be secrets (a card number, an API key), so no message here ever repeats one: a bad `--var` is named
by its position, a bad line of an env file by its line number.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from auditor.errors import AuditorError, InputError, Problem

VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LINE = re.compile(r"\s*(?:export\s+)?([^=\s]*)\s*=(.*)")


def parse_var(text: str, position: int) -> tuple[str, str]:
    """`NAME=VALUE` (the `position`-th --var, counted from 1) → (NAME, VALUE)."""
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals:
        raise AuditorError(
            f"--var number {position} has no '='", tip="write --var NAME=VALUE, e.g. --var SHOP_URL=https://…"
        )
    if not VARIABLE.fullmatch(name):
        raise AuditorError(
            f"--var {name!r}=…: {name!r} is not a variable name",
            tip="names start with a letter or _ and hold letters, digits and _",
        )
    return name, value


_QUOTED = re.compile(r"""(["'])(.*?)\1\s*(?:#.*)?""", re.DOTALL)


class _BadQuotes(ValueError):
    """A value that opens a quote and does not close it at its end (before a comment)."""


def _unquote(value: str) -> str:
    """The value as docker compose and python-dotenv read it: quotes around the whole value are removed
    (a `#` inside them is kept, and a comment may follow them); on an unquoted value, ` #` (a `#` after a
    space or a tab) starts a comment. A value that opens a quote and does not close it at its end raises
    _BadQuotes, naming what is wrong (never the value, which may be a secret)."""
    text = value.strip()
    if text[:1] in ("'", '"'):
        quoted = _QUOTED.fullmatch(text)
        if quoted is None:
            if text.count(text[0]) < 2:
                raise _BadQuotes(f"the value opens a quote ({text[0]}) that is never closed")
            raise _BadQuotes(f"text follows the value's closing quote ({text[0]})")
        return quoted.group(2)
    comment = re.search(r"\s#", value)  # in `NAME= # note` the space after = counts
    if comment:
        value = value[: comment.start()]
    return value.strip()


def read_env_file(path: Path) -> dict[str, str]:
    """`NAME=VALUE` lines (`export NAME=VALUE` too), `#` comment lines and blank lines; quotes around a
    value are removed, and ` # …` after an unquoted value is a comment. A UTF-8 byte order mark (as
    Notepad writes) is skipped. Every bad line is reported, by file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: without the BOM Notepad may write
    except FileNotFoundError:
        raise InputError(
            [Problem(file=str(path), line=None, column=None, key="", message="no such env file")]
        ) from None
    except UnicodeDecodeError:
        raise InputError(
            [
                Problem(
                    file=str(path),
                    line=None,
                    column=None,
                    key="",
                    message="is not UTF-8 text",
                    tip="save the env file as UTF-8",
                )
            ]
        ) from None
    except OSError as exc:
        raise InputError(
            [
                Problem(
                    file=str(path), line=None, column=None, key="", message=f"cannot be read: {exc.strerror}"
                )
            ]
        ) from None
    values: dict[str, str] = {}
    problems: list[Problem] = []

    def bad(number: int, key: str, message: str, tip: str) -> None:
        problems.append(Problem(file=str(path), line=number, column=None, key=key, message=message, tip=tip))

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            bad(
                number, "", "is not a NAME=VALUE line", "write one NAME=VALUE per line; start comments with #"
            )
            continue
        name = match.group(1)
        if not VARIABLE.fullmatch(name):
            bad(
                number,
                name[:40],
                "is not a variable name" if name else "has no name before '='",
                "names start with a letter or _ and hold letters, digits and _",
            )
            continue
        try:
            values[name] = _unquote(match.group(2))
        except _BadQuotes as exc:
            bad(
                number,
                name,
                str(exc),
                'put the quotes around the whole value, on one line (NAME="…", a comment may follow '
                'after a space: NAME="…" # note); a value that holds a quote of its own goes inside the '
                "other kind (NAME='a \"b\" c')",
            )
    if problems:
        raise InputError(problems)
    return values


def build_env(
    variables: Sequence[str] = (),
    env_files: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The mapping `${NAME}` is looked up in: --var over --env-file over the environment."""
    env = dict(os.environ if environ is None else environ)
    problems: list[Problem] = []
    for file in env_files:
        try:
            env.update(read_env_file(file))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    for position, text in enumerate(variables, start=1):
        name, value = parse_var(text, position)
        env[name] = value
    return env
