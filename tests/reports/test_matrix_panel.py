"""The matrix panel: combinations grouped under their matrix's name, a grid of verdicts, JUnit's cases."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from auditor.reports.console import print_matrices
from auditor.reports.html import render_html, write_html
from auditor.reports.junit import render_junit
from auditor.reports.matrix import base_name, matrix_groups
from auditor.results import RunResult, ScenarioResult

from .htmltree import parse as parse_html
from .sample import FINISHED, STARTED, check, scenario
from .test_layout import AXE, AXE_RUN

NAME = "Card payment"


def combination(position: int, status: str, **labels: str) -> ScenarioResult:
    title = ", ".join(f"{k}={v}" for k, v in labels.items())
    sid = "pay--" + "-".join(labels.values()).lower().replace(" ", "-")
    checks = [check("payment.return", "pass")]
    if status == "fail":
        checks.append(check("cn_purchase.present", "fail", "no tag"))
    return scenario(
        sid,
        status,
        checks=checks,
        name=f"{NAME} [{title}]",
        file="scenarios/pay.yaml",
        matrix=dict(labels),
        combination=position,
    )


def matrix_run(*extra: ScenarioResult) -> RunResult:
    """platform × device with one combination excluded (adyen on Pixel 7) and one from `include`."""
    combos = [
        combination(0, "pass", platform="stripe", device="Desktop Chrome"),
        combination(1, "fail", platform="stripe", device="Pixel 7"),
        combination(2, "pass", platform="adyen", device="Desktop Chrome"),
        combination(3, "error", platform="redsys", device="iPhone 13"),  # include: a new value of each
    ]
    return RunResult(
        started=STARTED,
        finished=FINISHED,
        scenarios=[scenario("alone", "pass"), *combos, *extra],
    )


def test_the_grid_has_the_first_lists_values_as_rows_and_the_last_ones_as_columns() -> None:
    [group] = matrix_groups(matrix_run())
    assert group.name == NAME and group.file == "scenarios/pay.yaml"
    assert (group.row_names, group.column_name) == (["platform"], "device")
    assert group.columns == ["Desktop Chrome", "Pixel 7", "iPhone 13"]
    grid = {row.heading: [[c.status for c in cell] for cell in row.cells] for row in group.rows}
    assert grid == {
        "stripe": [["pass"], ["fail"], []],
        "adyen": [["pass"], [], []],  # excluded: nothing ran there
        "redsys": [[], [], ["error"]],
    }
    assert group.tally == [("pass", 2), ("fail", 1), ("error", 1)] and group.combinations == 4


def test_one_list_is_one_column_and_three_lists_make_rows_of_two() -> None:
    one = [combination(i, "pass", card=c) for i, c in enumerate(["visa", "amex"])]
    [group] = matrix_groups(RunResult(started=STARTED, finished=FINISHED, scenarios=one))
    assert group.column_name is None and [r.heading for r in group.rows] == ["visa", "amex"]
    three = [
        combination(i, "pass", card=c, device=d, locale=loc)
        for i, (c, d, loc) in enumerate([("visa", "p", "es"), ("visa", "p", "en"), ("amex", "d", "es")])
    ]
    [group] = matrix_groups(RunResult(started=STARTED, finished=FINISHED, scenarios=three))
    assert (group.row_names, group.column_name, group.columns) == (["card", "device"], "locale", ["es", "en"])
    assert [r.heading for r in group.rows] == ["visa, p", "amex, d"]


def test_no_panel_without_a_matrix(tmp_path: Path) -> None:
    run = RunResult(started=STARTED, finished=FINISHED, scenarios=[scenario("alone", "pass")])
    assert matrix_groups(run) == []
    assert 'id="matrices"' not in render_html(run, tmp_path)


def test_each_cell_links_to_its_combinations_section(tmp_path: Path) -> None:
    run = matrix_run()
    doc = parse_html(render_html(run, tmp_path))
    panel = doc.find("section", id="matrices")
    assert panel.find("h3", cls="mx-name").text() == NAME
    cells = panel.find_all("a", cls="mx-cell")
    assert [c.attrs["data-status"] for c in cells] == ["pass", "fail", "pass", "error"]
    for cell in cells:
        target = doc.find("section", id=cell.attrs["href"].removeprefix("#"))
        assert cell.attrs["title"].startswith(target.find("span", cls="scenario-name").text())
    counts = {c.attrs["data-count"]: c.text() for c in panel.find_all("span", cls="mx-count")}
    assert counts == {"pass": "2 passed", "fail": "1 failed", "error": "1 errored"}


def test_names_from_the_shop_are_escaped_in_the_grid(tmp_path: Path) -> None:
    hostile = combination(0, "pass", platform="<script>x()</script>", device="a&b")
    html = render_html(RunResult(started=STARTED, finished=FINISHED, scenarios=[hostile]), tmp_path)
    assert "<script>x()</script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html


def test_junit_has_one_case_per_combination_with_its_values() -> None:
    repeated = combination(4, "pass", platform="stripe", device="Desktop Chrome")  # include repeats it
    root = ET.fromstring(render_junit(matrix_run(repeated)).split("\n", 1)[1])
    cases = root.findall("testsuite/testcase")
    names = [c.get("name") for c in cases if c.get("classname") == "pay"]
    assert names == [
        f"{NAME} [platform=stripe, device=Desktop Chrome]",
        f"{NAME} [platform=stripe, device=Pixel 7]",
        f"{NAME} [platform=adyen, device=Desktop Chrome]",
        f"{NAME} [platform=redsys, device=iPhone 13]",
        f"{NAME} [platform=stripe, device=Desktop Chrome] (2)",
    ]
    properties = {p.get("name"): p.get("value") for p in cases[2].findall("properties/property")}
    assert properties["matrix.platform"] == "stripe" and properties["matrix.device"] == "Pixel 7"


def test_the_console_names_each_matrix_and_its_failing_combinations(capsys: Any) -> None:
    print_matrices(matrix_run())
    out = capsys.readouterr().out
    assert f"matrix {NAME}: 2 passed, 1 failed, 1 errored" in out
    assert "[platform=stripe, device=Pixel 7]; [platform=redsys, device=iPhone 13]" in out


def test_base_name_leaves_a_name_without_a_matrix_alone() -> None:
    assert base_name(scenario("x", "pass", name="A [b=c]")) == "A [b=c]"  # no matrix: brackets stay


@pytest.mark.browser
def test_a_wide_grid_does_not_widen_the_page_at_375_px(tmp_path: Path, report_browser: Browser) -> None:
    devices = [f"A device with a long name {i}" for i in range(9)]
    wide = [
        combination(i * 9 + j, "pass" if j % 3 else "fail", platform=p, device=d)
        for i, p in enumerate(["stripe", "adyen", "a-platform-with-a-very-long-name-that-does-not-wrap"])
        for j, d in enumerate(devices)
    ]
    path = write_html(RunResult(started=STARTED, finished=FINISHED, scenarios=wide), tmp_path)
    context = report_browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        grid = page.locator("#matrices .mx-scroll").first
        expect(grid).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") == 375
        # the grid is wider than the screen: it scrolls inside its own box, and the page does not
        scroll = grid.evaluate("(el) => [el.scrollWidth, el.clientWidth]")
        assert scroll[0] > scroll[1]
        box = grid.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        page.locator("#matrices a.mx-cell").nth(1).click()  # a cell takes the reader to its section
        assert page.url.endswith("#s-" + wide[1].id)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_axe_finds_no_serious_violation_in_the_panel(
    tmp_path: Path, report_browser: Browser, width: int
) -> None:
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed ({AXE}): `make test` installs it when npm is there")
    path = write_html(matrix_run(), tmp_path)
    context = report_browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
        violations = page.evaluate(AXE_RUN)
        assert [v for v in violations if v["impact"] in ("serious", "critical")] == []
    finally:
        context.close()
