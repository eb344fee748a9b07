"""Writing a recorded scenario: readable YAML (block style, one line per step, quoted strings).

Strings are written double-quoted with JSON's escapes, which YAML reads the same way, so selectors full
of `#`, `:`, `[` and quotes need no thought. The file starts with the schema line and a comment that
says what was recorded, when, and what a run of it will report.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from auditor.recorder.compose import Draft, Step

SCHEMA = Path(__file__).resolve().parents[1] / "schema" / "scenario.schema.json"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PLAIN_DURATION = re.compile(r"^[0-9]+(ms|s|m)$")
_PAY_KEYS = ("provider", "submit", "hosts", "popup", "steps", "return")


def quoted(text: str) -> str:
    """A quoted YAML scalar: single quotes for text with double quotes in it (selectors), else double."""
    if '"' in text and "'" not in text and text.isprintable() and text == text.strip():
        return "'" + text + "'"
    out = json.dumps(text, ensure_ascii=False)
    # characters YAML reads as line breaks, which JSON leaves as they are
    return out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\u0085", "\\u0085")


def _key(name: str) -> str:
    return name if _PLAIN_KEY.match(name) else quoted(name)


def flow(value: Any) -> str:
    """One value on one line: scalars, [lists] and {mappings}."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value if _PLAIN_DURATION.match(value) else quoted(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {flow(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} in a scenario")


def _comment(text: str) -> str:
    return " ".join(text.split())  # one line, whatever the note held


def _step_lines(step: Step, indent: int) -> list[str]:
    pad = " " * indent
    lines = [f"{pad}# {_comment(step.comment)}"] if step.comment else []
    if step.action != "pay":
        lines.append(f"{pad}- {step.action}: {flow(step.args)}")
        return lines
    lines.append(f"{pad}- pay:")
    inner = pad + "    "
    args: dict[str, Any] = step.args
    for key in _PAY_KEYS:
        if key not in args:
            continue
        value = args[key]
        if key == "steps":
            lines.append(f"{inner}steps:")
            for sub in value:
                lines.extend(_step_lines(sub, indent + 6))
        elif key == "return":
            lines.append(f"{inner}return:")
            lines.extend(f"{inner}  {k}: {flow(v)}" for k, v in value.items())
        else:
            lines.append(f"{inner}{key}: {flow(value)}")
    return lines


def _block(name: str, value: dict[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines = [f"{pad}{name}:"]
    for key, item in value.items():
        if isinstance(item, dict) and item:
            lines.extend(_block(_key(key), item, indent + 2))
        else:
            lines.append(f"{pad}  {_key(key)}: {flow(item)}")
    return lines


def header(draft: Draft) -> list[str]:
    """The comment at the top: what was recorded, when, and what a run of it will say."""
    lines = [
        f"Recorded with `checkout-auditor record` on {draft.started_at}, starting at {draft.start_url}.",
    ]
    if draft.ended_by == "interrupted":
        lines.append("The recording was ended with Ctrl-C: the steps hold what was done until then.")
    if draft.returned is None:
        lines.append("No payment platform was visited.")
    else:
        where = ", ".join(draft.pay_hosts)
        how = {
            "automatic": f"the platform sent the customer back on its own ({draft.mechanism})",
            "manual": "the customer came back only by clicking (return.click)",
            "none": "the customer never came back to the shop",
        }[draft.returned]
        lines.append(f"Payment on {where}: {how}.")
        lines.append(f"recorded return: {draft.returned}, mechanism: {draft.mechanism or 'none'}")
        if draft.returned == "manual":
            lines.append(
                "A run reports that click as a failed payment.return; to accept it, add "
                "`return: manual-allowed` under expect."
            )
    if draft.secrets:
        names = ", ".join(s.env for s in draft.secrets)
        lines.append(f"Secrets were not written: set {names} to the values typed before running it.")
    lines.extend(f"note: {note}" for note in draft.notes)
    return [f"# {_comment(line)}" for line in lines]


def schema_reference(out: Path) -> str:
    """The `$schema` path, relative to the scenario's folder when it can be."""
    try:
        return Path(os.path.relpath(SCHEMA, out.resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows): an absolute path still works
        return SCHEMA.as_posix()


def scenario_yaml(draft: Draft, out: Path) -> str:
    """The scenario file's text."""
    lines = [f"# yaml-language-server: $schema={schema_reference(out)}", *header(draft)]
    lines.append(f"name: {quoted(draft.name)}")
    lines.append(f"base_url: {quoted(draft.base_url.replace('${', '$${'))}")
    if draft.hosts:
        lines.append("hosts:")
        lines.extend(f"  {_key(host)}: {quoted(ip)}" for host, ip in draft.hosts.items())
    if draft.secrets:
        lines.append("secrets:")
        lines.extend(
            f"  {s.variable}: {quoted('${' + s.env + '}')}  # {_comment(s.describe())}" for s in draft.secrets
        )
    lines.append("")
    lines.append("steps:")
    for step in draft.steps:
        lines.extend(_step_lines(step, 2))
    if draft.expect:
        lines.append("")
        lines.extend(_block("expect", draft.expect, 0))
    return "\n".join(lines) + "\n"
