"""report.html at phone, tablet and desktop widths in a real Chromium: layout, keyboard, print, axe-core."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from auditor.reports.html import write_html

from .sample import demo_like_run, hostile_run, mixed_run, write_screenshots

pytestmark = pytest.mark.browser

WIDTHS = [375, 768, 1280]
AXE = Path(
    os.environ.get("AXE_CORE_JS") or Path(__file__).parents[2] / ".cache/npm/node_modules/axe-core/axe.min.js"
)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-like")
    write_screenshots(folder)
    return write_html(demo_like_run(), folder)


@pytest.fixture
def at_width(report_browser: Browser) -> Iterator[Any]:
    contexts: list[BrowserContext] = []

    def open_page(path: Path, width: int) -> Page:
        context = report_browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(path.as_uri())
        return page

    yield open_page
    for context in contexts:
        context.close()


def open_everything(page: Page) -> None:
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["demo-like", "mixed", "hostile"])
def test_the_page_never_scrolls_sideways(
    tmp_path: Path, demo_report: Path, at_width: Any, width: int, which: str
) -> None:
    if which == "demo-like":
        path = demo_report
    else:
        write_screenshots(tmp_path)
        path = write_html(mixed_run() if which == "mixed" else hostile_run(), tmp_path)
    page = at_width(path, width)
    assert page_width(page) == width
    open_everything(page)  # evidence, every page's requests, the raw JSON: all of it must wrap too
    assert page_width(page) == width


@pytest.mark.parametrize("width", [375, 768])
def test_under_600_px_the_scenarios_table_becomes_cards(demo_report: Path, at_width: Any, width: int) -> None:
    page = at_width(demo_report, width)
    row = page.locator("tr.scenario-row").first
    name = row.locator("td.name")
    row_box, name_box = row.bounding_box(), name.bounding_box()
    assert row_box is not None and name_box is not None
    if width < 600:
        expect(page.locator("table.summary thead th").first).not_to_be_in_viewport()
        assert row.evaluate("r => getComputedStyle(r).display") == "grid"
        # The name takes the card's width (it no longer breaks letter by letter) and sits under the verdict.
        assert name_box["width"] >= 0.9 * row_box["width"]
        verdict = row.locator("td.verdict").bounding_box()
        assert verdict is not None and name_box["y"] >= verdict["y"] + verdict["height"] - 1
        # Each value says what it is (the header row is hidden): the label is read out with it.
        expect(row.locator("td.return")).to_have_accessible_name("Return: automatic via http-redirect")
    else:
        assert row.evaluate("r => getComputedStyle(r).display") == "table-row"
        expect(page.locator("table.summary thead th").first).to_be_visible()


LABEL_BOXES = """lane => {
  const boxes = [];
  for (const el of lane.parentElement.querySelectorAll('.lane .lane-label, .lane-legend .lane-label')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(el).display === 'none') continue;
    const phase = el.closest('.phase');
    const p = phase ? phase.getBoundingClientRect() : null;
    boxes.push({
      text: el.innerText, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
      inBar: !!phase, cut: el.scrollWidth > el.clientWidth + 1,
      inside: !p || (r.left >= p.left - 0.5 && r.right <= p.right + 0.5),
      long: [...el.querySelectorAll('.ll-long')].some(n => getComputedStyle(n).display !== 'none'),
    });
  }
  return boxes;
}"""


def overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_timeline_labels_never_overlap_and_are_never_cut(
    demo_report: Path, at_width: Any, width: int
) -> None:
    page = at_width(demo_report, width)
    open_everything(page)
    lanes = page.locator(".lane")
    assert lanes.count() >= 8
    long_names = 0
    for index in range(lanes.count()):
        boxes = lanes.nth(index).evaluate(LABEL_BOXES)
        legend = [b for b in boxes if not b["inBar"]]
        phases = lanes.nth(index).locator(".phase:not(.z-start)").count()
        assert len(legend) == phases  # every phase is named in the legend, whatever fits in the bar
        for position, box in enumerate(boxes):
            assert not box["cut"], (width, box)
            assert box["inside"], (width, box)
            for other in boxes[position + 1 :]:
                assert not overlaps(box, other), (width, box["text"], other["text"])
        long_names += sum(1 for b in boxes if b["long"])
    if width >= 1280:
        assert long_names > 0  # wide enough for the full names: they are shown, not only numbers


MARK_BOXES = """strip => [...strip.querySelectorAll('li.jm')].map(el => {
  const r = el.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          cut: el.scrollWidth > el.clientWidth + 1};
})"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("anchor", ["s-paypal-popup", "s-hostile-shop"])
def test_the_journey_strip_wraps_its_marks_in_order_without_cutting_them(
    demo_report: Path, at_width: Any, width: int, anchor: str
) -> None:
    page = at_width(demo_report, width)
    open_everything(page)
    strip = page.locator(f"#{anchor} .journey-strip")
    expect(strip).to_be_visible()
    box = strip.bounding_box()
    assert box is not None
    marks = strip.evaluate(MARK_BOXES)
    assert len(marks) == 5
    for position, mark in enumerate(marks):
        assert not mark["cut"], (width, position)
        assert box["x"] - 0.5 <= mark["left"] and mark["right"] <= box["x"] + box["width"] + 0.5, (
            width,
            mark,
        )
        for other in marks[position + 1 :]:
            assert not overlaps(mark, other), (width, position)
    for before, after in itertools.pairwise(marks):  # read left to right, then the next row
        same_row = abs(after["top"] - before["top"]) < 1
        assert (same_row and after["left"] > before["left"]) or after["top"] >= before["bottom"], width
    rows = len({round(m["top"]) for m in marks})
    if width == 375:
        assert rows <= 3  # two marks to a row on a phone, not one long column
    if width == 1280:
        assert rows == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_every_failing_check_is_reached_with_the_tab_key(
    demo_report: Path, at_width: Any, width: int
) -> None:
    page = at_width(demo_report, width)
    failing = page.locator('.check[data-status="fail"]')
    wanted_checks = set(failing.evaluate_all("els => els.map(e => e.id)"))
    wanted_links = {f"#{anchor}" for anchor in wanted_checks}
    assert len(wanted_checks) >= 8
    page.evaluate(
        """() => { window.__focused = [];
          document.addEventListener('focusin', e => {
            const el = e.target, check = el.closest('.check'), style = getComputedStyle(el);
            window.__focused.push({href: el.getAttribute('href') || '', check: check ? check.id : '',
              ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2});
          }); }"""
    )
    seen: list[dict[str, Any]] = []
    for _ in range(40):  # batches of Tab presses, until each failing check has had the focus
        for _ in range(25):
            page.keyboard.press("Tab")
        seen = page.evaluate("window.__focused")
        if wanted_checks <= {f["check"] for f in seen} and wanted_links <= {f["href"] for f in seen}:
            break
    assert wanted_links <= {f["href"] for f in seen}, "a failing check in the summary table was not reached"
    assert wanted_checks <= {f["check"] for f in seen}, "a failing check's own block was not reached"
    assert all(f["ring"] for f in seen), "an element had the keyboard focus without a visible outline"


def test_disclosures_work_from_the_keyboard(demo_report: Path, at_width: Any) -> None:
    page = at_width(demo_report, 375)
    body = page.locator("#s-paypal-popup .scenario-body")
    expect(body).not_to_have_attribute("open", "")
    body.locator("> summary").focus()
    page.keyboard.press("Enter")
    expect(body).to_have_attribute("open", "")
    evidence = page.locator('#s-tag-comma [data-check="cn_purchase.valid"] details.evidence')
    evidence.locator("summary").focus()
    page.keyboard.press("Space")
    expect(evidence.locator("dl.evidence")).to_be_visible()
    # A link to a folded scenario unfolds it.
    page.locator('tr[data-anchor="s-card-ok"] td.name a').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#s-card-ok .scenario-body")).to_have_attribute("open", "")
    expect(page.locator("#s-card-ok .check").first).to_be_visible()


def test_landmarks_and_headings_in_order(demo_report: Path, at_width: Any) -> None:
    page = at_width(demo_report, 1280)
    assert page.locator("body > header").count() == 1
    assert page.locator("body > main").count() == 1
    assert page.locator("body > footer").count() == 1
    levels = page.locator("h1, h2, h3, h4, h5, h6").evaluate_all("hs => hs.map(h => Number(h.tagName[1]))")
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels


@pytest.mark.parametrize("width", WIDTHS)
def test_printing_expands_the_failing_scenarios(demo_report: Path, at_width: Any, width: int) -> None:
    page = at_width(demo_report, width)
    inside_failing = [
        '#s-tag-comma [data-check="cn_purchase.valid"] dl.evidence',
        "#s-tag-comma .pages .lane-list",
        "#s-tag-comma .raw pre",
        "#s-tag-comma .cx-page:not(.confirmation) table",
        "#s-tag-comma .steps-box table",
        "#s-platform-error .pages .lane-list",
    ]
    passing = page.locator("#s-paypal-popup .scenario-body .check").first
    for selector in inside_failing:
        expect(page.locator(selector).first).to_be_hidden()
    expect(passing).to_be_hidden()
    page.emulate_media(media="print")
    for selector in inside_failing:
        expect(page.locator(selector).first).to_be_visible()
    expect(passing).to_be_hidden()  # passing scenarios print as their heading and one line
    expect(page.locator("#filter")).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.locator(inside_failing[0])).to_be_hidden()


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_serious_or_critical_violation(demo_report: Path, at_width: Any, width: int) -> None:
    if not AXE.is_file():
        pytest.skip(
            f"axe-core is not installed ({AXE}): `make test` installs it with "
            "`npm install --prefix .cache/npm axe-core@4` when npm is there"
        )
    page = at_width(demo_report, width)
    # Evaluated rather than added as a <script>: the report's policy rightly refuses inline scripts.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    for state in ("as opened", "everything unfolded"):
        if state == "everything unfolded":
            open_everything(page)
        violations = page.evaluate(AXE_RUN)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], (width, state, serious)
