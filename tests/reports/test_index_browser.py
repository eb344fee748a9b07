"""reports/index.html in a real Chromium from file://: the chart at phone and desktop widths, the marks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from auditor.reports import write_outputs
from auditor.reports.index import refresh_index
from auditor.results import RunResult

from .sample import HOSTILE, scenario

pytestmark = pytest.mark.browser

# Seven nightly runs: (day, statuses of s0..s3; "-" = not in that run)
NIGHTS = [
    ("01", ["pass", "pass", "pass", "-"]),
    ("02", ["pass", "fail", "pass", "-"]),
    ("03", ["fail", "fail", "error", "-"]),
    ("04", ["pass", "pass", "pass", "pass"]),
    ("05", ["pass", "fail", "pass", "pass"]),
    ("06", ["error", "error", "error", "error"]),
    ("07", ["pass", "pass", "pass", "fail"]),
]


def write_history(root: Path) -> Path:
    for day, statuses in NIGHTS:
        scenarios = [
            scenario(f"s{i}", st, name=f"Scenario s{i} {HOSTILE[i]}")
            for i, st in enumerate(statuses)
            if st != "-"
        ]
        run = RunResult(
            started=f"2026-04-{day}T05:30:00+00:00",
            finished=f"2026-04-{day}T05:32:00+00:00",
            scenarios=scenarios,
        )
        write_outputs(run, root / f"nightly-{day}")
    return refresh_index(root)


@pytest.fixture
def context(report_browser: Browser) -> Iterator[list[BrowserContext]]:
    contexts: list[BrowserContext] = []
    yield contexts
    for c in contexts:
        c.close()


def open_at(
    report_browser: Browser, contexts: list[BrowserContext], path: Path, width: int
) -> tuple[Page, list[str]]:
    context = report_browser.new_context(viewport={"width": width, "height": 800})
    contexts.append(context)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    assert errors == []
    return page, requests


@pytest.mark.parametrize("width", [375, 1280])
def test_the_chart_has_a_visible_bar_per_run_at_phone_and_desktop_width(
    tmp_path: Path, report_browser: Browser, context: list[BrowserContext], width: int
) -> None:
    index = write_history(tmp_path)
    page, requests = open_at(report_browser, context, index, width)
    chart = page.locator("svg.chart-svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    # The chart spans the page's column (at most 1100 px, minus main's padding, as the style sheet
    # sets it for this width) and never makes the page scroll sideways.
    column = page.evaluate(
        """() => { const main = document.querySelector('main'); const style = getComputedStyle(main);
        return main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight); }"""
    )
    assert column <= min(width, 1100) - 24
    assert column - 3 <= box["width"] <= column and box["height"] == 180
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    bars = page.locator("svg.chart-svg g.bar")
    expect(bars).to_have_count(len(NIGHTS))
    lefts = []
    for i, (_, statuses) in enumerate(NIGHTS):
        bar = bars.nth(i).bounding_box()
        assert bar is not None
        lefts.append(bar["x"])
        assert bar["width"] >= column / len(NIGHTS) * 0.8  # a finger's width on a phone
        # Each status's rect is drawn at its share of the tallest run (4 scenarios = the full 180 px).
        for status in ("pass", "fail", "error"):
            n = statuses.count(status)
            rect = bars.nth(i).locator(f"rect[data-status='{status}']")
            if n:
                seg = rect.bounding_box()
                assert seg is not None and abs(seg["height"] - 180 * n / 4) < 1.5
            else:
                expect(rect).to_have_count(0)
    assert lefts == sorted(lefts)  # oldest on the left
    # The text around the chart stays readable at the phone's width.
    for selector in (".legend li", ".chart-axis span", "#chart .meta"):
        size = page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 11
    shot = tmp_path / f"index-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    chart_shot = tmp_path / f"chart-{width}.png"
    page.locator("#chart").screenshot(path=str(chart_shot))

    def png_width(path: Path) -> int:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG")
        return int.from_bytes(data[16:20], "big")  # IHDR's width

    assert png_width(shot) == width and column - 3 <= png_width(chart_shot) <= column + 1
    assert requests == [index.as_uri()]  # from file://, nothing else is fetched


def test_a_bar_opens_its_report_and_a_mark_opens_the_scenario(
    tmp_path: Path, report_browser: Browser, context: list[BrowserContext]
) -> None:
    index = write_history(tmp_path)
    page, _ = open_at(report_browser, context, index, 375)
    page.locator("svg.chart-svg g.bar").nth(2).locator("a").click()
    expect(page).to_have_url((tmp_path / "nightly-03" / "report.html").as_uri())
    expect(page.locator('[data-count="error"] .num')).to_have_text("1")
    page.go_back()
    row = page.locator("li.history-row", has_text="Scenario s3")
    marks = row.locator(".mark")
    expect(marks).to_have_count(len(NIGHTS))
    expect(marks.nth(0)).to_have_text("·")
    expect(marks.nth(6)).to_have_text("✗")
    marks.nth(6).click()
    expect(page).to_have_url((tmp_path / "nightly-07" / "report.html").as_uri() + "#s-s3")
    expect(page.locator("#s-s3")).to_be_in_viewport()


def test_hostile_names_in_the_index_run_nothing(
    tmp_path: Path, report_browser: Browser, context: list[BrowserContext]
) -> None:
    index = write_history(tmp_path)
    page, requests = open_at(report_browser, context, index, 1280)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    text = page.locator("#scenarios").inner_text()
    for i in range(4):
        assert " ".join(HOSTILE[i].split()) in " ".join(text.split())
    assert page.locator("img, iframe, script").count() == 0
    assert requests == [index.as_uri()]
