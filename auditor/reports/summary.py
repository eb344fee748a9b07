"""summary.md: a Markdown summary of a run for a CI job summary or a pull-request comment.

Counts first, then what changed against the baseline, then each scenario that did not pass with its
failed checks and one line of advice, and links to the report. Every text the shop or the scenario
wrote (names, files, messages, evidence) goes through `md_text`, so it shows as the characters it is
and can neither start markup nor become a link, an image, a mention or raw HTML.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from auditor.compare import counts as change_counts
from auditor.reports import view
from auditor.reports.changes import parts_without_baseline
from auditor.results import ChangeKind, RunResult, ScenarioResult, ScenarioStatus, Status, write_atomic

SUMMARY_NAME = "summary.md"
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
MAX_TEXT = 300  # characters of one message; the report has the rest
MAX_SCENARIOS = 50  # scenarios listed under "did not pass"; a summary is not the report
ZWSP = "\u200b"  # zero-width space: breaks a mention or a bare link without changing what is read

CHANGE_WORDS = {
    ChangeKind.NEW_FAILURE: "new failure",
    ChangeKind.STILL_FAILING: "still failing",
    ChangeKind.FIXED: "fixed",
    ChangeKind.NEW: "new",
    ChangeKind.UNCHANGED: "unchanged",
}
CHANGE_MARKS = {
    ChangeKind.NEW_FAILURE: "🔴",
    ChangeKind.STILL_FAILING: "🟠",
    ChangeKind.FIXED: "🟢",
    ChangeKind.NEW: "🆕",
    ChangeKind.UNCHANGED: "⚪",
}
STATUS_WORDS = {"pass": "passed", "fail": "failed", "error": "errored"}

# Backslash-escapable ASCII punctuation that starts inline markup anywhere in a line (CommonMark and
# GitHub's extensions: emphasis, code, links, images, tables, strikethrough, math).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()!|~$])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\t\f\v]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# What GitHub and chat apps turn into links or notifications on their own: mentions (@team), issue
# references (#12), bare addresses (https://…, www.…) and e-mail addresses.
_MENTION = re.compile(r"([@#＠])(?=[\w])")
_SCHEME = re.compile(r"(?i)\b(https?|ftps?|mailto|xmpp)(?=:)")
_WWW = re.compile(r"(?i)\b(www)(?=\.)")


def one_line(text: str, limit: int = MAX_TEXT) -> str:
    """Text on one line, control characters dropped, at most `limit` characters."""
    flat = _CONTROL.sub("", _LINE_BREAKS.sub(" ", text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def md_text(text: str, limit: int = MAX_TEXT) -> str:
    """Untrusted text as inert Markdown: shown as written, never markup, HTML, a link or a mention."""
    flat = one_line(text, limit)
    flat = _MD_SPECIAL.sub(r"\\\1", flat)
    # Entities, not backslashes, for HTML: they hold in every Markdown renderer, GitHub's included.
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _MENTION.sub(lambda m: m.group(1) + ZWSP, flat)
    flat = _SCHEME.sub(lambda m: m.group(1) + ZWSP, flat)
    return _WWW.sub(lambda m: m.group(1) + ZWSP, flat)


def md_code(text: str) -> str:
    """A short identifier of ours (a check id) as inline code, or as plain inert text if it is not one."""
    return f"`{text}`" if re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", text) else md_text(text)


def run_page_url(env: Mapping[str, str]) -> str | None:
    """The CI run's page, where the report is kept as an artifact (GitHub Actions), when known."""
    server, repo, run_id = (env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    if not (server and repo and run_id) or not re.fullmatch(r"https?://[A-Za-z0-9.:-]+", server):
        return None
    return f"{server}/{quote(repo)}/actions/runs/{quote(run_id)}"


def warned_under_fail_on_warn(run: RunResult) -> tuple[list[ScenarioResult], list[str]]:
    """Under run --fail-on-warn, the scenarios that passed with a warning (each fails the run) and the ids
    of the checks that warned in them, in check order; nothing without --fail-on-warn."""
    if not run.fail_on_warn:
        return [], []
    warned = [
        s
        for s in run.scenarios
        if s.status is ScenarioStatus.PASS and any(c.status is Status.WARN for c in s.checks)
    ]
    ids = [c.id for s in warned for c in s.checks if c.status is Status.WARN]
    return warned, list(dict.fromkeys(ids))


def fail_on_warn_words(run: RunResult) -> str | None:
    """Why a run whose scenarios passed fails under --fail-on-warn, in one sentence; None if it does not."""
    warned, ids = warned_under_fail_on_warn(run)
    if not warned:
        return None
    n = len(warned)
    scenarios = f"{n} scenario{'' if n == 1 else 's'} passed with warnings"
    checks = ", ".join(ids)
    if all(s.status is ScenarioStatus.PASS for s in run.scenarios):
        return f"the run fails (exit 1) because {scenarios} under --fail-on-warn: {checks}"
    return f"also, {scenarios}, which fail the run under --fail-on-warn: {checks}"


def _headline(run: RunResult) -> str:
    cut = view.interruption(run)
    if cut is not None:  # never-run scenarios are no finding about the shop: say what finished
        finished = cut.total - cut.not_run - cut.cut_short
        bad = cut.failed + cut.errored
        return f"interrupted after {finished} of {cut.total} scenarios: " + (
            f"{bad} of the {finished} that finished did not pass" if bad else "every one that finished passed"
        )
    counts = run.counts()
    total = len(run.scenarios)
    bad = counts["fail"] + counts["error"]
    if total == 0:
        return "no scenarios were run"
    warned, _ = warned_under_fail_on_warn(run)
    if bad == 0 and warned:
        return (
            f"{len(warned)} of {total} scenario{'' if total == 1 else 's'} passed with warnings, which fail "
            "the run under --fail-on-warn"
        )
    if bad == 0:
        return f"all {total} scenario{'' if total == 1 else 's'} passed"
    return f"{bad} of {total} scenario{'' if total == 1 else 's'} did not pass"


def _advice(scenario: ScenarioResult) -> str:
    if scenario.status is ScenarioStatus.ERROR and scenario.error_kind is not None:
        return md_text(scenario.error_kind.advice)  # the error is what stopped it: its advice first
    for check in scenario.checks:
        if check.status is Status.FAIL and check.remedy:
            return md_text(check.remedy)
    if scenario.status is ScenarioStatus.ERROR:
        return "the auditor could not finish this scenario: the report shows the step where it stopped."
    return "the report has each check's evidence."


def _changes_section(run: RunResult) -> list[str]:
    baseline = run.baseline
    if baseline is None:
        return []
    tally = change_counts(baseline)
    words = ", ".join(f"{n} {CHANGE_WORDS[kind]}" for kind, n in tally.items() if n) or "no scenarios"
    lines = ["", "### Changed since the baseline", "", f"Compared with {md_text(baseline.file)}: {words}."]
    moved = [c for c in baseline.changes if c.change is not ChangeKind.UNCHANGED]
    if moved:
        lines += ["", "| change | scenario | was | now |", "|---|---|---|---|"]
        for change in moved:
            was = change.was.value if change.was else "—"
            lines.append(
                f"| {CHANGE_MARKS[change.change]} {CHANGE_WORDS[change.change]} | {md_text(change.name)}"
                f" | {was} | {change.now.value} |"
            )
    if baseline.not_run:
        names = "; ".join(md_text(n.name, 80) for n in baseline.not_run[:10])
        more = f" and {len(baseline.not_run) - 10} more" if len(baseline.not_run) > 10 else ""
        lines += [
            "",
            f"Not run this time ({len(baseline.not_run)}; removed, filtered out or in another shard): "
            f"{names}{more}.",
        ]
    compared, left = parts_without_baseline(baseline)
    if compared:
        parts = ", ".join(md_text(p, 160) for p in compared)
        lines += ["", f"Run without --baseline, compared with the baseline the other parts used: {parts}."]
    if baseline.not_compared:
        parts = ", ".join(md_text(p, 160) for p in left)
        names = "; ".join(md_text(n.name, 80) for n in baseline.not_compared[:10])
        more = f" and {len(baseline.not_compared) - 10} more" if len(baseline.not_compared) > 10 else ""
        lines += [
            "",
            f"Not compared ({len(baseline.not_compared)}; {parts} ran without --baseline, and the other "
            f"parts were compared with different baselines): {names}{more}.",
        ]
    return lines


def _failing_section(run: RunResult, report_href: str | None, anchors: bool) -> list[str]:
    failing = [
        (s, a)
        for s, a in zip(run.scenarios, view.anchor_ids(run.scenarios), strict=True)
        if s.status is not ScenarioStatus.PASS
    ]
    if not failing:
        return []
    lines = ["", "### Did not pass"]
    for scenario, anchor in failing[:MAX_SCENARIOS]:
        mark = "✗" if scenario.status is ScenarioStatus.FAIL else "!"
        lines += ["", f"#### {mark} {md_text(scenario.name, 160)}", ""]
        status = STATUS_WORDS[scenario.status.value]
        where = f"{md_text(scenario.file, 160)} · {status}"
        if report_href and anchors:
            where += f" · [in the report]({report_href}#{anchor})"
        lines.append(where)
        items = [
            f"- {md_code(c.id)}: {md_text(c.message)}" for c in scenario.checks if c.status is Status.FAIL
        ]
        if scenario.error:
            items.append(f"- error: {md_text(scenario.error)}")
        if items:
            lines += ["", *items]
        lines += ["", f"What to do: {_advice(scenario)}"]
    if len(failing) > MAX_SCENARIOS:
        lines += ["", f"…and {len(failing) - MAX_SCENARIOS} more: the report lists them all."]
    return lines


def _fail_on_warn_section(run: RunResult) -> list[str]:
    warned, _ = warned_under_fail_on_warn(run)
    words = fail_on_warn_words(run)
    if not warned or words is None:
        return []
    lines = ["", "### Fails under --fail-on-warn", "", md_text(words[0].upper() + words[1:]) + "."]
    for scenario in warned[:MAX_SCENARIOS]:
        lines += ["", f"#### ⚠ {md_text(scenario.name, 160)}", "", md_text(scenario.file, 160), ""]
        lines += [
            f"- {md_code(c.id)}: {md_text(c.message)}" for c in scenario.checks if c.status is Status.WARN
        ]
    if len(warned) > MAX_SCENARIOS:
        lines += ["", f"…and {len(warned) - MAX_SCENARIOS} more: the report lists them all."]
    return lines


def render_summary(
    run: RunResult, *, report_href: str | None = "report.html", on_ci_page: bool = False
) -> str:
    """summary.md's text, with links to `report_href` (None: no link).

    `on_ci_page`: the text is read on the CI's run page, where `report_href` is that page and the
    report one of its artifacts, so scenarios get no anchor links.
    """
    counts = view.summary_counts(run)
    lines = [f"## Checkout audit: {_headline(run)}", ""]
    cut = view.interruption(run)
    if cut is None:
        lines += [
            "| passed | failed | errored | flaky |",
            "|---:|---:|---:|---:|",
            f"| {counts['pass']} | {counts['fail']} | {counts['error']} | {counts['flaky']} |",
            "",
        ]
    else:
        lines += [
            "| passed | failed | errored | not finished | flaky |",
            "|---:|---:|---:|---:|---:|",
            f"| {cut.passed} | {cut.failed} | {cut.errored} | {cut.not_run + cut.cut_short} "
            f"| {counts['flaky']} |",
            "",
        ]
    took = view.run_duration_ms(run)
    meta = f"Started {md_text(view.fmt_time(run.started))}" + (f" · took {view.fmt_ms(took)}" if took else "")
    if run.interrupted:
        meta += " · interrupted (Ctrl-C): some scenarios did not finish"
    lines.append(meta + ".")
    lines += _changes_section(run)
    lines += _failing_section(run, report_href, not on_ci_page)
    lines += _fail_on_warn_section(run)
    lines.append("")
    if report_href and on_ci_page:
        lines.append(
            f"The report, with every check's evidence: report.html, in [the run's artifacts]({report_href})."
        )
    elif report_href:
        lines.append(f"The report, with every check's evidence: [report.html]({report_href}).")
    else:
        lines.append("The report, with every check's evidence, is report.html in the run's output folder.")
    return "\n".join(lines) + "\n"


def write_summary(run: RunResult, out_dir: Path) -> Path:
    """Write out_dir/summary.md atomically and return its path."""
    path = out_dir / SUMMARY_NAME
    write_atomic(path, render_summary(run))
    return path


def append_step_summary(run: RunResult, env: Mapping[str, str] | None = None) -> Path | None:
    """Append the summary to $GITHUB_STEP_SUMMARY when it is set; raises OSError when it cannot."""
    env = os.environ if env is None else env
    target = env.get(STEP_SUMMARY_ENV)
    if not target:
        return None
    # The job summary is read on the CI's page, where report.html is an artifact of the run, not a
    # neighbour: link the run's page when it is known, and no scenario anchors.
    text = render_summary(run, report_href=run_page_url(env), on_ci_page=True)
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text + "\n")
    return path
