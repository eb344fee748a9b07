"""report.html opened in a real Chromium: it shows what the results say, and runs nothing from the data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from auditor.reports.html import write_html
from auditor.reports.index import refresh_index
from auditor.results import RunResult

from .sample import HOSTILE, hostile_run, mixed_run, write_screenshots

pytestmark = pytest.mark.browser


class Watched:
    """A page with every request and dialog recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


class Opener(Protocol):
    def __call__(self, path: Path, *, width: int = 1200, **options: Any) -> Watched: ...


@pytest.fixture
def open_report(report_browser: Browser) -> Iterator[Opener]:
    contexts: list[BrowserContext] = []

    def opener(path: Path, *, width: int = 1200, **options: Any) -> Watched:
        context = report_browser.new_context(viewport={"width": width, "height": 900}, **options)
        contexts.append(context)
        watched = Watched(context.new_page())
        watched.page.goto(path.as_uri())
        return watched

    yield opener
    for context in contexts:
        context.close()


def mixed_report(tmp_path: Path) -> tuple[RunResult, Path]:
    run = mixed_run()
    write_screenshots(tmp_path)
    return run, write_html(run, tmp_path)


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "escaping-alone"])
def test_hostile_content_runs_nothing_and_fetches_nothing(
    tmp_path: Path, open_report: Opener, bypass_csp: bool
) -> None:
    path = write_html(hostile_run(), tmp_path)
    # bypass_csp: the policy is a second belt; escaping alone must already hold.
    watched = open_report(path, bypass_csp=bypass_csp)
    page = watched.page
    closed = page.locator("details:not([open]) > summary:visible")
    while closed.count():  # unfold everything, nested disclosures included, by clicking as a person does
        closed.first.click()
    assert page.locator("details:not([open])").count() == 0
    page.locator("a", has_text="Back to the summary").click()
    expect(page).to_have_url(path.as_uri() + "#summary")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert watched.dialogs == []
    assert watched.errors == []
    assert watched.requests == [path.as_uri()]
    text = page.locator("body").inner_text()
    for bad in HOSTILE:
        assert " ".join(bad.split()) in " ".join(text.split())
    assert page.locator("iframe, svg, link, img, object, embed").count() == 0
    assert page.evaluate("document.scripts.length") == 1


def test_counts_rows_and_checks_match_the_results(tmp_path: Path, open_report: Opener) -> None:
    run, path = mixed_report(tmp_path)
    watched = open_report(path)
    page = watched.page
    counts = {**run.counts(), "flaky": sum(s.flaky for s in run.scenarios)}
    for key, value in counts.items():
        expect(page.locator(f'[data-count="{key}"] .num')).to_have_text(str(value))
    rows = page.locator("tr.scenario-row")
    expect(rows).to_have_count(len(run.scenarios))
    for index, scenario in enumerate(run.scenarios):
        row = rows.nth(index)
        expect(row.locator(".name")).to_have_text(scenario.name)
        expect(row.locator(".verdict")).to_contain_text(scenario.status.value.upper())
        failing = [c.id for c in scenario.checks if c.status.value == "fail"]
        expect(row.locator(".failing code")).to_have_text(failing)
    rows.nth(3).locator("td.name a").click()
    section = page.locator("#s-card-comma")
    expect(section).to_be_in_viewport()
    expect(section.locator("table.purchase tr.differs")).to_have_count(0)
    expect(section.locator('[data-check="cn_purchase.valid"] .badge')).to_have_text("✗ FAIL")
    assert watched.requests == [path.as_uri()] and watched.errors == []


def test_the_filter_hides_passing_scenarios(tmp_path: Path, open_report: Opener) -> None:
    _, path = mixed_report(tmp_path)
    page = open_report(path).page
    passing = page.locator('[data-problem="no"]')
    problems = page.locator('tr[data-problem="yes"]')
    expect(passing.first).to_be_visible()
    page.get_by_label("Show only failed, errored and flaky scenarios").check()
    for index in range(passing.count()):
        expect(passing.nth(index)).to_be_hidden()
    expect(problems).to_have_count(4)
    for index in range(4):
        expect(problems.nth(index)).to_be_visible()
    page.get_by_label("Show only failed, errored and flaky scenarios").uncheck()
    expect(passing.first).to_be_visible()


def test_without_javascript_everything_shows_and_the_filter_is_absent(
    tmp_path: Path, open_report: Opener
) -> None:
    _, path = mixed_report(tmp_path)
    page = open_report(path, java_script_enabled=False).page
    expect(page.locator("#filter")).to_be_hidden()
    expect(page.locator("tr.scenario-row:visible")).to_have_count(6)


def test_printed_the_filter_is_hidden_and_evidence_shown(tmp_path: Path, open_report: Opener) -> None:
    _, path = mixed_report(tmp_path)
    page = open_report(path).page
    evidence = page.locator('#s-card-comma [data-check="cn_purchase.valid"] dl.evidence')
    expect(evidence).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.locator("#filter")).to_be_hidden()
    expect(evidence).to_be_visible()
    page.pdf(path=str(tmp_path / "report.pdf"))
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("hostile", [False, True], ids=["mixed", "hostile"])
def test_phone_width_has_no_horizontal_scroll(tmp_path: Path, open_report: Opener, hostile: bool) -> None:
    path = write_html(hostile_run(), tmp_path) if hostile else mixed_report(tmp_path)[1]
    page = open_report(path, width=375).page
    assert page.evaluate("document.documentElement.scrollWidth") <= 376
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)


def test_screenshots_decode_and_a_picture_is_saved(tmp_path: Path, open_report: Opener) -> None:
    _, path = mixed_report(tmp_path)
    page = open_report(path).page
    image = page.locator("#s-crashed figure.at-failure img")
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") == 64
    expect(page.locator("#s-crashed .missing")).to_contain_text("missing")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_index_links_open_the_reports(tmp_path: Path, open_report: Opener) -> None:
    run = mixed_run()
    write_html(run, tmp_path / "run one")
    (tmp_path / "run one" / "results.json").write_text(run.model_dump_json(by_alias=True))
    watched = open_report(refresh_index(tmp_path))
    page = watched.page
    expect(page.locator("tr.run")).to_have_count(1)
    page.locator("tr.run").get_by_role("link", name="run one").click()
    expect(page.locator('[data-count="fail"] .num')).to_have_text("2")
    assert watched.requests == [
        (tmp_path / "index.html").as_uri(),
        (tmp_path / "run one" / "report.html").as_uri(),
    ]
