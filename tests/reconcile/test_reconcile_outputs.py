"""reconcile.json, missing.csv and reconcile.html, parsed back."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from reconcile_exports import ORDER_HEADER, Order, mix, write_exports

from auditor.reconcile.analysis import reconcile
from auditor.reconcile.outputs import (
    AtomicFile,
    MissingCsv,
    default_out_dir,
    render_html,
    write_reports,
)

HOSTILE = "<script>alert(1)</script>"
NOW = datetime(2024, 3, 5, 9, 30)


def produce(tmp_path: Path, orders: list[Order]) -> Path:
    files = write_exports(tmp_path / "in", orders)
    out = tmp_path / "out"
    with MissingCsv(out) as sink:
        result = reconcile(files.orders, files.purchases, sink=sink)
    write_reports(result, out, max_loss=0.0, created=NOW)
    return out


def test_the_three_files_and_no_leftovers(tmp_path: Path) -> None:
    out = produce(tmp_path, mix({"card": (20, 2)}))
    assert sorted(p.name for p in out.iterdir()) == ["missing.csv", "reconcile.html", "reconcile.json"]


def test_missing_csv_lists_every_lost_order_with_its_line(tmp_path: Path) -> None:
    orders = [Order(id=str(i), recorded=i % 3 != 0) for i in range(300)]
    out = produce(tmp_path, orders)
    with (out / "missing.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["line", "normalised_id", *ORDER_HEADER]
    assert len(rows) == 1 + 100
    assert rows[1][:3] == ["2", "0", "0"]  # order "0" is on line 2, after the header
    assert {r[2] for r in rows[1:]} == {str(i) for i in range(0, 300, 3)}


def test_json_has_the_figures_and_explanations(tmp_path: Path) -> None:
    out = produce(tmp_path, mix({"redsys": (100, 40), "card": (200, 2)}))
    data = json.loads((out / "reconcile.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 1
    assert (data["lost"], data["sales"]) == (42, 300)
    assert data["loss_rate"] == pytest.approx(42 / 300)
    assert data["explanations"][0]["kind"] == "payment-platform"
    assert data["orders_file"]["encoding"] == "UTF-8"
    payment = next(b for b in data["breakdowns"] if b["column"] == "payment_method")
    assert payment["role"] == "payment"
    assert payment["groups"][0]["value"] == "redsys"
    assert "case ignored" in data["normalisation"]["rules"]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data"):
                self.refs.append((tag, name, value or ""))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_html_is_self_contained(tmp_path: Path) -> None:
    out = produce(tmp_path, mix({"redsys": (100, 40), "card": (200, 2)}))
    html = (out / "reconcile.html").read_text(encoding="utf-8")
    page = parse(html)
    assert [r for r in page.refs if re.match(r"\s*(https?:)?//", r[2])] == []
    assert "link" not in page.tags and "script" not in page.tags and "img" not in page.tags
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # the browser itself refuses any fetch
    # The only link is to the CSV next to it.
    assert page.refs == [("a", "href", "missing.csv")]


def test_html_reads_in_order_rate_explanations_breakdown_missing(tmp_path: Path) -> None:
    out = produce(tmp_path, mix({"redsys": (100, 40), "card": (200, 2)}))
    text = " ".join(parse((out / "reconcile.html").read_text(encoding="utf-8")).text)
    positions = [
        text.index("14%"),
        text.index("Losses concentrate on redsys"),
        text.index("Loss rate by order column"),
        text.index("Lost orders"),
    ]
    assert positions == sorted(positions)


def test_html_escapes_hostile_values(tmp_path: Path) -> None:
    orders = [Order(id=str(i), payment=HOSTILE if i % 2 else "card", recorded=i % 4 != 1) for i in range(40)]
    orders.append(Order(id=f"{HOSTILE}-id", recorded=False))
    out = produce(tmp_path, orders)
    html = (out / "reconcile.html").read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "script" not in parse(html).tags
    # ... while the value is still shown, in the breakdown and in the lost orders.
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3


def test_html_caps_the_lost_orders_shown(tmp_path: Path) -> None:
    out = produce(tmp_path, [Order(id=str(i), recorded=False) for i in range(450)])
    html = (out / "reconcile.html").read_text(encoding="utf-8")
    assert "The first 200 of 450" in html
    rows = re.findall(r'<tr><td class="num">\d+</td>', html)
    assert len(rows) == 200


def test_render_html_marks_above_or_within_the_threshold(tmp_path: Path) -> None:
    files = write_exports(tmp_path, mix({"card": (100, 5)}))
    result = reconcile(files.orders, files.purchases)
    assert "above the allowed 0%" in render_html(result, max_loss=0.0, created=NOW)
    assert "within the allowed 5.0%" in render_html(result, max_loss=0.05, created=NOW)


def test_atomic_file_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "reconcile.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), AtomicFile(target) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["reconcile.json"]


def test_a_failed_run_removes_the_folder_it_created(tmp_path: Path) -> None:
    out = tmp_path / "new"
    with pytest.raises(RuntimeError), MissingCsv(out) as sink:
        sink.start(["id"], ",")
        sink.add(2, "1", ["1"])
        raise RuntimeError("ragged row found late")
    assert not out.exists()


def test_default_out_dir_is_timestamped_and_new(tmp_path: Path) -> None:
    first = default_out_dir(tmp_path / "reports", NOW)
    assert first == tmp_path / "reports" / "reconcile-20240305-093000"
    first.mkdir(parents=True)
    assert default_out_dir(tmp_path / "reports", NOW).name == "reconcile-20240305-093000-2"
