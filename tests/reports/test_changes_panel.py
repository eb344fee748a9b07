"""The report's "changed since" panel: first in the page, every change linked, hostile names inert."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from auditor.compare import compare_runs
from auditor.reports.html import write_html
from auditor.results import RunResult, ScenarioStatus

from .htmltree import parse
from .sample import HOSTILE, mixed_run, scenario


def compared_run() -> RunResult:
    old = mixed_run()
    new = mixed_run()
    new = new.model_copy(
        update={
            "scenarios": [
                s.model_copy(update={"status": ScenarioStatus.FAIL}) if s.id == "card-ok" else s
                for s in new.scenarios
                if s.id != "paypal-warn"
            ]
            + [scenario("hostile", "pass", name=HOSTILE[1])]
        }
    )
    return new.model_copy(
        update={"baseline": compare_runs(old, new, baseline_file=f"prev/{HOSTILE[0]}.json")}
    )


def test_no_baseline_no_panel(tmp_path: Path) -> None:
    doc = parse(write_html(mixed_run(), tmp_path).read_text(encoding="utf-8"))
    assert not doc.find_all(id="changes")


def test_the_panel_is_first_and_lists_what_moved(tmp_path: Path) -> None:
    doc = parse(write_html(compared_run(), tmp_path).read_text(encoding="utf-8"))
    main = doc.find("main")
    assert next(c for c in main.children if not isinstance(c, str)).attrs["id"] == "changes"
    panel = doc.find("section", id="changes")
    assert HOSTILE[0] in panel.find("p", cls="meta").text()
    rows = [(li.attrs["data-change"], li.find("span", cls="ch-label").words()) for li in panel.find_all("li")]
    assert rows == [
        ("new-failure", "new failure"),
        ("still-failing", "still failing"),
        ("still-failing", "still failing"),
        ("still-failing", "still failing"),
        ("new", "new"),
    ]
    links = [a.attrs["href"] for a in panel.find_all("a")]
    assert links == ["#s-card-ok", "#s-card-comma", "#s-manual-return", "#s-crashed", "#s-hostile"]
    for href in links:
        assert doc.find_all(id=href[1:])
    assert panel.find_all("li")[-1].find("a").text() == HOSTILE[1]
    assert "1 scenario passed then and pass now." in panel.words()
    assert (
        "Not run this time (1; removed, filtered out or in another shard): Scenario paypal-warn."
        in panel.words()
    )


@pytest.mark.browser
def test_the_panel_in_a_browser_at_phone_width(tmp_path: Path, report_browser: Browser) -> None:
    path = write_html(compared_run(), tmp_path)
    context = report_browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        panel = page.locator("#changes")
        expect(panel).to_be_in_viewport()
        expect(panel.locator("li.change")).to_have_count(5)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.evaluate("typeof window.__pwned") == "undefined"
        panel.screenshot(path=str(tmp_path / "changes-375.png"))
        panel.get_by_role("link", name="Scenario crashed").click()
        expect(page.locator("#s-crashed")).to_be_in_viewport()
    finally:
        context.close()
