"""summary.md: what it says, and that the shop's text stays text when rendered as GitHub renders it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from auditor.compare import compare_runs
from auditor.errors import ErrorKind
from auditor.reports import write_outputs
from auditor.reports.summary import ZWSP, md_text, render_summary, run_page_url
from auditor.results import CheckResult, RunResult, ScenarioResult, ScenarioStatus, Status

from .htmltree import Node, parse
from .sample import HOSTILE, check, mixed_run, scenario

# Ours on top of the lab's: links, images, mentions, raw HTML, code, tables, line breaks, math, refs.
MORE_HOSTILE = [
    "![x](http://evil.example/pixel.png)",
    "[click](javascript:alert(1))",
    "<img src=x>",
    "@channel",
    "<!here> and <!channel> and <@U123>",
    "`code` and ``` fenced ``` and a lone `",
    "a | b | c",
    "first line\nsecond line\r\n# a heading\n- a list item\n\n| x | y |\n|---|---|",
    "see https://evil.example/login and www.evil.example and mail@evil.example",
    "fixes #123 and GH-7",
    "$\\color{red}{\\text{pwned}}$",
    "**bold** _em_ ~~gone~~ <b>b</b>",
    "&lt;script&gt; &amp; &#60;img&#62;",
    "\\[x\\](y) and \\\\ and \\",
    "<details open><summary>s</summary>hidden</details>",
    "[ref]: http://evil.example\n[ref]",
    "> [!WARNING]\n> alert",
    "<!-- comment --> tail",
]
STRINGS = HOSTILE + MORE_HOSTILE
ALLOWED_TAGS = {"h2", "h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "code", "a"}


def render_like_github(markdown: str) -> Node:
    """CommonMark with GitHub's tables, strikethrough and autolinks (www., http(s)://, e-mail)."""
    md = MarkdownIt("gfm-like")  # raw HTML on, as GitHub keeps a safe subset of it
    md.linkify.set({"fuzzy_link": False})  # GitHub does not link bare domains; www. is checked below
    return parse(md.render(markdown))


def flat(text: str) -> str:
    return " ".join(text.split())


def hostile_runs() -> tuple[RunResult, RunResult]:
    """A baseline and a run in which every hostile string is a name, a file, a message, a remedy, an error."""
    scenarios = []
    for i, text in enumerate(STRINGS):
        scenarios.append(
            ScenarioResult(
                name=text,
                file=f"{text}.yaml",
                status=ScenarioStatus.FAIL if i % 2 else ScenarioStatus.ERROR,
                error=text if i % 2 == 0 else None,
                duration_ms=1,
                id=f"h{i}",
                checks=[CheckResult(id=f"check.{i}", status=Status.FAIL, message=text, remedy=text)],
            )
        )
    old = RunResult(
        started="2026-05-01T10:00:00+00:00",
        finished="2026-05-01T10:01:00+00:00",
        scenarios=[s.model_copy(update={"status": ScenarioStatus.PASS}) for s in scenarios[::2]]
        + [
            ScenarioResult(name=t, file="gone.yaml", status=ScenarioStatus.FAIL, duration_ms=1)
            for t in STRINGS
        ],
    )
    new = RunResult(
        started="2026-05-02T10:00:00+00:00", finished="2026-05-02T10:01:00+00:00", scenarios=scenarios
    )
    return old, new.model_copy(
        update={"baseline": compare_runs(old, new, baseline_file=f"{HOSTILE[1]}.json")}
    )


def test_counts_changes_failures_advice_and_links() -> None:
    old = mixed_run()
    new = mixed_run()
    new = new.model_copy(
        update={
            "scenarios": [
                s.model_copy(update={"status": ScenarioStatus.FAIL}) if s.id == "card-ok" else s
                for s in new.scenarios
                if s.id != "paypal-warn"
            ]
            + [scenario("brand-new", "pass")]
        }
    )
    new = new.model_copy(
        update={"baseline": compare_runs(old, new, baseline_file="reports/run-1/results.json")}
    )
    text = render_summary(new)
    doc = render_like_github(text)
    assert doc.find("h2").words() == "Checkout audit: 4 of 6 scenarios did not pass"
    counts = doc.find_all("table")[0]
    assert [c.words() for c in counts.find_all("td")] == ["2", "3", "1", "1"]
    changes = doc.find_all("table")[1]
    rows = [[c.words() for c in r.find_all("td")] for r in changes.find_all("tr")[1:]]
    assert rows == [
        ["🔴 new failure", "Scenario card-ok", "pass", "fail"],
        ["🟠 still failing", "Scenario card-comma", "fail", "fail"],
        ["🟠 still failing", "Scenario manual-return", "fail", "fail"],
        ["🟠 still failing", "Scenario crashed", "error", "error"],
        ["🆕 new", "Scenario brand-new", "—", "pass"],
    ]
    assert "1 new failure, 3 still failing, 1 new, 1 unchanged." in flat(doc.text())
    assert "Not run this time (1; removed, filtered out or in another shard): Scenario paypal-warn." in flat(
        doc.text()
    )
    # Each scenario that did not pass: a heading, its failed checks, one line of advice, a link.
    headings = [h.words() for h in doc.find_all("h4")]
    assert headings == [
        "✗ Scenario card-ok",
        "✗ Scenario card-comma",
        "✗ Scenario manual-return",
        "! Scenario crashed",
    ]
    comma = text.split("#### ✗ Scenario card-comma")[1].split("####")[0]
    assert "- `cn_purchase.valid`: total\\_price uses a comma" in comma
    assert "- `connectif.purchase_sent`: sent 180 instead of 180.75" in comma
    assert "What to do: fix cn\\_purchase.valid" in comma
    assert "payment.return" not in comma  # it passed
    crashed = text.split("#### ! Scenario crashed")[1]
    assert "- error: step 3 \\(click #\u200bcheckout\\): timed out after 10 s" in crashed
    assert "What to do: the auditor could not finish this scenario" in crashed
    hrefs = [a.attrs["href"] for a in doc.find_all("a")]
    assert hrefs == [
        "report.html#s-card-ok",
        "report.html#s-card-comma",
        "report.html#s-manual-return",
        "report.html#s-crashed",
        "report.html",
    ]


def test_a_clean_run_without_baseline_is_short() -> None:
    run = RunResult(
        started="2026-05-01T10:00:00+00:00",
        finished="2026-05-01T10:00:42+00:00",
        scenarios=[scenario("a", "pass"), scenario("b", "pass")],
    )
    doc = render_like_github(render_summary(run))
    assert doc.find("h2").words() == "Checkout audit: all 2 scenarios passed"
    assert not doc.find_all("h3") and not doc.find_all("h4")
    assert "took 42.0 s" in doc.words()


@pytest.mark.parametrize("text", STRINGS, ids=range(len(STRINGS)))
def test_md_text_shows_the_characters_and_nothing_else(text: str) -> None:
    escaped = md_text(text)
    doc = render_like_github(f"before {escaped} after")
    assert [n.tag for n in doc.iter()] == ["#document", "p"]
    assert doc.find("p").text().replace(ZWSP, "") == f"before {flat(text)} after"


def test_hostile_text_cannot_inject_markdown_html_links_images_or_mentions() -> None:
    _, run = hostile_runs()
    text = render_summary(run)
    doc = render_like_github(text)
    tags = {n.tag for n in doc.iter()} - {"#document"}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    assert not doc.find_all("img")
    assert [a.attrs["href"] for a in doc.find_all("a")] == [
        f"report.html#s-h{i}" for i in range(len(STRINGS))
    ] + ["report.html"]
    # What GitHub itself would link or notify: no www., no scheme://, no @mention, no #reference.
    assert not re.search(r"(?i)www\.|https?://|\bmailto:|[@＠]\w|#\d", text)
    assert "<!here>" not in text and "<!channel>" not in text and "<img" not in text
    # Every string is there as its own characters: names in the headings, messages in the lists.
    shown = flat(doc.text().replace(ZWSP, ""))
    for string in STRINGS:
        assert flat(string) in shown
    assert [h.text().replace(ZWSP, "") for h in doc.find_all("h4")] == [
        ("✗ " if i % 2 else "! ") + flat(s) for i, s in enumerate(STRINGS)
    ]
    # The changes table keeps four cells a row whatever pipes and newlines the names hold.
    changes = doc.find_all("table")[1]
    for row in changes.find_all("tr"):
        assert len(row.find_all("td") or row.find_all("th")) == 4
    assert len(changes.find_all("tr")) == 1 + len(STRINGS)


def test_every_output_folder_has_summary_md_and_the_step_summary_gets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = tmp_path / "step-summary.md"
    step.write_text("## an earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "shop/audits")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    paths = write_outputs(mixed_run(), tmp_path / "run")
    assert paths.summary == tmp_path / "run" / "summary.md"
    assert paths.step_summary == step and paths.step_summary_problem is None
    in_folder = paths.summary.read_text(encoding="utf-8")
    assert "[report.html](report.html)" in in_folder and "report.html#s-crashed" in in_folder
    appended = step.read_text(encoding="utf-8")
    assert appended.startswith("## an earlier step\n## Checkout audit: 3 of 6 scenarios did not pass")
    # On the CI's page the report is an artifact of the run: link the run, no anchors into a file.
    assert "[the run's artifacts](https://github.com/shop/audits/actions/runs/42)" in appended
    assert "report.html#" not in appended
    write_outputs(mixed_run(), tmp_path / "run2")
    assert step.read_text(encoding="utf-8").count("## Checkout audit") == 2


def test_a_step_summary_that_cannot_be_written_costs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a folder: cannot be appended to
    paths = write_outputs(mixed_run(), tmp_path / "run")
    assert paths.step_summary is None
    assert paths.step_summary_problem is not None and "GITHUB_STEP_SUMMARY" in paths.step_summary_problem
    assert paths.summary is not None and paths.summary.is_file() and paths.results.is_file()


def test_without_github_the_step_summary_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    paths = write_outputs(mixed_run(), tmp_path / "run")
    assert paths.step_summary is None and paths.step_summary_problem is None


def test_run_page_url_only_from_a_plain_server_address() -> None:
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "a/b", "GITHUB_RUN_ID": "7"}
    assert run_page_url(env) == "https://github.com/a/b/actions/runs/7"
    assert run_page_url({**env, "GITHUB_SERVER_URL": "javascript:alert(1)//"}) is None
    assert run_page_url({**env, "GITHUB_REPOSITORY": "a/b) [x](y"}) == (
        "https://github.com/a/b%29%20%5Bx%5D%28y/actions/runs/7"
    )
    assert run_page_url({}) is None


def test_check_ids_that_are_not_ids_are_escaped_too() -> None:
    run = RunResult(
        started="s",
        finished="f",
        scenarios=[scenario("x", "fail", checks=[check("a`b](http://evil.example)", "fail", "m")])],
    )
    doc = render_like_github(render_summary(run))
    assert [a.attrs["href"] for a in doc.find_all("a")] == ["report.html#s-x", "report.html"]
    assert "a`b](http\u200b://evil.example)" in doc.text()


def errored_run() -> RunResult:
    """One scenario stopped by an unreachable host after a check had failed, one stopped by a step."""
    return RunResult(
        started="2026-05-01T10:00:00+00:00",
        finished="2026-05-01T10:00:42+00:00",
        scenarios=[
            scenario(
                "unreachable",
                "error",
                error="the browser could not reach pay.example.test (net::ERR_NAME_NOT_RESOLVED)",
                error_kind=ErrorKind.HOST_UNREACHABLE,
                checks=[check("connectif.script", "fail", "no script"), check("payment.return", "skip")],
            ),
            scenario("step", "error", error="steps[3] click #pay", error_kind=ErrorKind.STEP_FAILED),
        ],
    )


def test_an_error_says_what_to_do_about_its_kind_before_any_failed_check() -> None:
    text = render_summary(errored_run())
    unreachable = text.split("#### ! Scenario unreachable")[1].split("####")[0]
    assert f"What to do: {md_text(ErrorKind.HOST_UNREACHABLE.advice)}" in unreachable
    assert "hosts: entry" in unreachable and "fix connectif.script" not in unreachable
    step = text.split("#### ! Scenario step")[1]
    assert "mend the step at the line the error names" in step
    assert "the report shows the step where it stopped" not in text


def test_every_error_kind_has_its_own_advice() -> None:
    advice = [kind.advice for kind in ErrorKind]
    assert all(a.endswith(".") and len(a) > 30 for a in advice)
    assert len(set(advice)) == len(advice)
