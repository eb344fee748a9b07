"""The JSON a webhook receives: a `text` that Slack and Microsoft Teams display, plus the structured run.

The `text` follows the receiver's rules so that the shop's or the scenario's words cannot mention a
channel or inject a link: Slack's `&`, `<`, `>` escaping (its links and `<!channel>` mentions need a
`<`), and for Teams, whose text is Markdown, summary.md's Markdown escaping. Bare mentions such as
`@here` get a zero-width space after the `@` for either receiver.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from auditor.compare import counts as change_counts
from auditor.reports import view
from auditor.reports.summary import CHANGE_WORDS, ZWSP, md_text, one_line, run_page_url
from auditor.results import ChangeKind, RunResult, ScenarioStatus, Status

MAX_LISTED = 10  # scenarios named in the text; the structured fields carry them all


class Flavour(StrEnum):
    """The text's rules, chosen by the receiver's host."""

    SLACK = "slack"  # Slack and the receivers that copy its incoming webhooks (Mattermost, Rocket.Chat)
    TEAMS = "teams"


_TEAMS_HOSTS = ("webhook.office.com", "office.com", "logic.azure.com", "powerplatform.com")
_MENTION = re.compile(r"([@＠])(?=(?:here|channel|everyone|group)\b)", re.IGNORECASE)


def flavour_of(url: str) -> Flavour:
    """Teams for Microsoft's webhook hosts, Slack's rules for every other receiver."""
    host = (urlsplit(url).hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in _TEAMS_HOSTS):
        return Flavour.TEAMS
    return Flavour.SLACK


def slack_text(text: str, limit: int = 300) -> str:
    """Untrusted text for Slack's `text`: its three escapes, on one line, with bare mentions broken."""
    flat = one_line(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub(lambda m: m.group(1) + ZWSP, flat)


def untrusted(text: str, flavour: Flavour, limit: int = 300) -> str:
    """Untrusted text by the receiver's rules."""
    if flavour is Flavour.TEAMS:
        return _MENTION.sub(lambda m: m.group(1) + ZWSP, md_text(text, limit))
    return slack_text(text, limit)


def _link(url: str, label: str, flavour: Flavour) -> str:
    # Only our own links (the CI run's page), never one from the shop or the scenario.
    return f"[{label}]({url})" if flavour is Flavour.TEAMS else f"<{url}|{label}>"


def message_text(run: RunResult, flavour: Flavour, env: Mapping[str, str]) -> str:
    """The lines a person reads in the channel."""
    counts = run.counts()
    total = len(run.scenarios)
    bad = counts["fail"] + counts["error"]
    if bad:
        head = f"Checkout audit: {bad} of {total} scenario{'' if total == 1 else 's'} did not pass"
    else:
        head = f"Checkout audit: all {total} scenario{'' if total == 1 else 's'} passed"
    lines = [head + f" ({counts['pass']} passed, {counts['fail']} failed, {counts['error']} errored)."]
    if run.baseline is not None:
        tally = change_counts(run.baseline)
        words = ", ".join(
            f"{n} {CHANGE_WORDS[k]}" for k, n in tally.items() if n and k is not ChangeKind.UNCHANGED
        )
        gone = run.baseline.not_run  # in the baseline, not in this run: a change --notify-on change posts
        if gone:
            words = ", ".join(w for w in (words, f"{len(gone)} not run this time") if w)
        lines.append(f"Since the baseline: {words or 'no change'}.")
        moved = [c for c in run.baseline.changes if c.change in (ChangeKind.NEW_FAILURE, ChangeKind.FIXED)]
        for change in moved[:MAX_LISTED]:
            lines.append(f"• {CHANGE_WORDS[change.change]}: {untrusted(change.name, flavour, 120)}")
        for item in gone[:MAX_LISTED]:
            lines.append(
                f"• not run this time: {untrusted(item.name, flavour, 120)} "
                f"({untrusted(item.file, flavour, 120)}, was {item.was.value})"
            )
        if len(gone) > MAX_LISTED:
            lines.append(f"…and {len(gone) - MAX_LISTED} more not run this time.")
    failing = [s for s in run.scenarios if s.status is not ScenarioStatus.PASS]
    for scenario in failing[:MAX_LISTED]:
        checks = ", ".join(c.id for c in scenario.checks if c.status is Status.FAIL)
        what = checks or ("error: " + (scenario.error or "could not finish"))
        lines.append(
            f"• {scenario.status.value.upper()} {untrusted(scenario.name, flavour, 120)}: "
            f"{untrusted(what, flavour, 200)}"
        )
    if len(failing) > MAX_LISTED:
        lines.append(f"…and {len(failing) - MAX_LISTED} more.")
    page = run_page_url(env)
    if page:
        lines.append("Report: " + _link(page, "the CI run", flavour))
    # Teams' Markdown joins single line breaks into one paragraph.
    return ("\n\n" if flavour is Flavour.TEAMS else "\n").join(lines)


def payload(run: RunResult, flavour: Flavour, env: Mapping[str, str]) -> dict[str, Any]:
    """The JSON body: `text` for people, the rest for programs (receivers ignore what they do not know)."""
    counts = view.summary_counts(run)
    return {
        "text": message_text(run, flavour, env),
        "counts": {k: counts[k] for k in ("pass", "fail", "error", "flaky", "total")},
        "started": run.started,
        "finished": run.finished,
        "interrupted": run.interrupted,
        "failing": [
            {
                "name": s.name,
                "file": s.file,
                "status": s.status.value,
                "failed_checks": [c.id for c in s.checks if c.status is Status.FAIL],
                "error": s.error,
            }
            for s in run.scenarios
            if s.status is not ScenarioStatus.PASS
        ],
        "baseline": run.baseline.model_dump(mode="json") if run.baseline is not None else None,
        "run_url": run_page_url(env),
    }
