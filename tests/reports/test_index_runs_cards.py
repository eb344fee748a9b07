"""reports/index.html's runs table: cards at phone width (each value under its label), and interrupted runs.

The structure is checked by parsing; the layout in a real Chromium at 390 and 1280 px.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext

from auditor.engine.executor import NOT_RUN
from auditor.engine.run import INTERRUPTED
from auditor.errors import ErrorKind
from auditor.reports import write_outputs
from auditor.reports.index import refresh_index
from auditor.results import RunResult

from .htmltree import Node, parse
from .sample import HOSTILE, scenario

LABELS = ["Started", "Took", "Passed", "Failed", "Errored", "Flaky", "Did not pass"]


def write_runs(root: Path) -> Path:
    """Five runs with long scenario names (one interrupted by Ctrl-C), and the index over them."""
    for day in range(1, 5):
        statuses = ["pass", "fail", "error", "fail"][: day + 1] if day < 4 else ["pass"] * 3
        run = RunResult(
            started=f"2026-04-0{day}T05:30:00+00:00",
            finished=f"2026-04-0{day}T05:32:00+00:00",
            scenarios=[
                scenario(f"s{i}", st, name=f"Scenario s{i}: a long name for a checkout {HOSTILE[i]}")
                for i, st in enumerate(statuses)
            ],
        )
        write_outputs(run, root / f"nightly-2026040{day}-053000")
    never = [
        scenario(f"n{i}", "error", checks=[], error=NOT_RUN, error_kind=ErrorKind.NOT_RUN, started=None)
        for i in range(3)
    ]
    cut = scenario("cut", "error", checks=[], error=INTERRUPTED, error_kind=ErrorKind.INTERRUPTED)
    interrupted = RunResult(
        started="2026-04-05T05:30:00+00:00",
        finished="2026-04-05T05:30:09+00:00",
        scenarios=[scenario("s0", "pass"), scenario("s1", "fail"), cut, *never],
        interrupted=True,
    )
    write_outputs(interrupted, root / "nightly-20260405-053000")
    return refresh_index(root)


def rows(index: Path) -> list[Node]:
    return parse(index.read_text(encoding="utf-8")).find("table", cls="runs").find_all("tr", cls="run")


def test_each_value_of_a_run_carries_its_label_for_the_phone_cards(tmp_path: Path) -> None:
    index = write_runs(tmp_path)
    table = parse(index.read_text(encoding="utf-8")).find("table", cls="runs")
    assert all(th.attrs.get("scope") == "col" for th in table.find("thead").find_all("th"))
    for row in table.find_all("tr", cls="run"):
        cells = row.find_all("td")
        assert "r-name" in cells[0].attrs["class"] and "data-label" not in cells[0].attrs
        assert [c.attrs.get("data-label") for c in cells[1:]] == LABELS
        # the label is the column's heading, so a reader of either layout sees the same words
        heads = [th.words() for th in table.find("thead").find_all("th")][1:]
        assert heads == LABELS


def test_an_interrupted_run_counts_only_what_finished(tmp_path: Path) -> None:
    newest = rows(write_runs(tmp_path))[0]
    assert newest.attrs["data-folder"] == "nightly-20260405-053000"
    counts = {c.attrs["data-count"]: c.words() for c in newest.find_all("td") if "data-count" in c.attrs}
    assert counts == {"pass": "1", "fail": "1", "error": "0", "flaky": "0"}
    failing = newest.find(cls="r-failing")
    assert failing.find(cls="interrupted-note").words() == "Interrupted (Ctrl-C): 4 scenarios not finished."
    assert "Scenario s1" in failing.words() and "Scenario n0" not in failing.words()
    assert "Scenario cut" not in failing.words()


@pytest.fixture
def contexts(report_browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for c in made:
        c.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_the_runs_table_reads_at_phone_and_desktop_width(
    tmp_path: Path, report_browser: Browser, contexts: list[BrowserContext], width: int
) -> None:
    index = write_runs(tmp_path)
    context = report_browser.new_context(viewport={"width": width, "height": 800})
    contexts.append(context)
    page = context.new_page()
    page.goto(index.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table = page.locator("table.runs")
    heights = table.locator("tr.run").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert len(heights) == 5 and max(heights) < 360, heights
    # No word is broken over lines: a folder name, a date and each label stay whole (wrapping every few
    # characters is what 8 squeezed columns did at phone width).
    narrowest = table.locator("tr.run td.r-name a").evaluate_all(
        "links => links.map(a => a.getClientRects().length)"
    )
    assert narrowest == [1] * 5
    phone = width < 600
    header = table.locator("thead")
    assert header.evaluate("h => h.getBoundingClientRect().height") < (2 if phone else 100)
    label = table.locator("tr.run td[data-label='Errored']").first
    shown = label.evaluate("td => getComputedStyle(td, '::before').content")
    assert (shown == '"Errored"') is phone, shown
    if phone:  # a card: the run on its own line, the counts side by side under their labels
        name = table.locator("tr.run td.r-name").first.bounding_box()
        counts = [
            table.locator(f"tr.run td[data-count='{k}']").first.bounding_box() for k in ("pass", "flaky")
        ]
        assert name is not None and counts[0] is not None and counts[1] is not None
        assert name["width"] > width * 0.8
        assert abs(counts[0]["y"] - counts[1]["y"]) < 1 and counts[1]["x"] > counts[0]["x"]
    page.screenshot(path=str(tmp_path / f"index-runs-{width}.png"), full_page=True)
