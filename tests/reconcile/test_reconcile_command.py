"""The command: options, summary, exit statuses 0/1/2, through click and a real process."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from reconcile_exports import Exports, mix, write_csv, write_exports

from auditor.cli.reconcile import LossRate, reconcile

# The real entry point (auditor.cli.main: tool errors → exit 2), with the command added the way
# the CLI will register it.
MAIN = """
from auditor.cli.main import cli, main
from auditor.cli.reconcile import reconcile
if "reconcile" not in cli.commands:
    cli.add_command(reconcile)
main()
"""


def group() -> click.Group:
    @click.group()
    def cli() -> None:
        """A stand-in for auditor.cli.cli."""

    cli.add_command(reconcile)
    return cli


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(group(), ["reconcile", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def run_main(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", MAIN, "reconcile", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def paths(files: Exports, out: Path) -> list[str]:
    return ["--orders", str(files.orders), "--purchases", str(files.purchases), "--out", str(out)]


@pytest.mark.parametrize(
    ("max_loss", "status"),
    [(None, 1), ("0", 1), ("9%", 1), ("0.09", 1), ("10%", 0), ("0.10", 0), ("10,5%", 0), ("1", 0)],
)
def test_exit_status_follows_max_loss(
    tmp_path: Path, exports: Exports, max_loss: str | None, status: int
) -> None:
    # The fixture loses exactly 10 of 100: "above 10%" is false, "above 9%" is true.
    extra = [] if max_loss is None else ["--max-loss", max_loss]
    code, output = invoke(*paths(exports, tmp_path / "out"), *extra)
    assert code == status, output
    assert "Loss rate 10%" in output
    assert ("FAIL" in output) == (status == 1)


def test_no_loss_exits_zero_with_the_default_threshold(tmp_path: Path) -> None:
    files = write_exports(tmp_path, mix({"card": (30, 0)}))
    code, output = invoke(*paths(files, tmp_path / "out"))
    assert code == 0, output
    assert "Loss rate 0%" in output


@pytest.mark.parametrize(
    ("value", "message"), [("5", "did you mean 5%?"), ("abc", "not a rate"), ("150%", "between")]
)
def test_bad_max_loss_is_a_usage_error(tmp_path: Path, exports: Exports, value: str, message: str) -> None:
    code, output = invoke(*paths(exports, tmp_path / "out"), "--max-loss", value)
    assert code == 2
    assert message in output


def test_loss_rate_type_accepts_both_forms() -> None:
    rate = LossRate()
    assert rate.convert("5%", None, None) == pytest.approx(0.05)
    assert rate.convert("0.05", None, None) == pytest.approx(0.05)
    assert rate.convert(" 2.5 % ", None, None) == pytest.approx(0.025)


def test_summary_lists_counts_causes_and_reports(tmp_path: Path) -> None:
    files = write_exports(tmp_path, mix({"redsys": (100, 40), "card": (200, 2)}))
    code, output = invoke(*paths(files, tmp_path / "out"))
    assert code == 1
    assert "42 of 300 completed orders are missing from Connectif" in output
    assert "Likely causes" in output
    assert " 1. Losses concentrate on redsys" in output
    for name in ("reconcile.html", "reconcile.json", "missing.csv"):
        assert name in output
        assert (tmp_path / "out" / name).is_file()


def test_options_reach_the_analysis(tmp_path: Path) -> None:
    orders = write_csv(
        tmp_path / "o.csv", ["ref", "estado_x"], [["WEB-1", "pendiente"], ["WEB-2", "ok"], ["3", "ok"]]
    )
    purchases = write_csv(tmp_path / "p.csv", ["cid", "pid"], [["a", "1"], ["b", "0002"], ["c", "3"]])
    code, output = invoke(
        "--orders",
        str(orders),
        "--purchases",
        str(purchases),
        "--out",
        str(tmp_path / "out"),
        "--order-id-column",
        "REF",
        "--purchase-id-column",
        "pid",
        "--status-column",
        "estado_x",
        "--strip-prefix",
        "web-",
        "--strip-prefix",
        "shop-",
        "--strip-leading-zeros",
    )
    assert code == 0, output
    data = json.loads((tmp_path / "out" / "reconcile.json").read_text())
    assert (data["orders_file"]["id_column"], data["purchases_file"]["id_column"]) == ("ref", "pid")
    assert data["status_column"] == "estado_x"
    assert (data["sales"], data["lost"], data["matched_after_normalising"]) == (2, 0, 1)
    assert data["normalisation"]["prefixes"] == ["web-", "shop-"]


def test_default_out_dir_is_under_reports(
    tmp_path: Path, exports: Exports, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["--orders", str(exports.orders), "--purchases", str(exports.purchases), "--max-loss", "50%"]
    code, output = invoke(*args)
    assert code == 0, output
    (folder,) = (tmp_path / "reports").iterdir()
    assert folder.name.startswith("reconcile-")
    assert (folder / "reconcile.html").is_file()
    # A second run in the same second gets its own folder.
    assert invoke(*args)[0] == 0
    assert len(list((tmp_path / "reports").iterdir())) == 2


def test_help_documents_the_rate_and_the_exit_statuses() -> None:
    result = CliRunner().invoke(group(), ["reconcile", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "a fraction (0.05) or a percentage (5%)" in text
    assert (
        "0 when the loss rate is at most --max-loss, 1 when above it, 2 when the files could not be read"
        in text
    )


# Through the real entry point, in a separate process: exit statuses and no tracebacks.


def test_process_exit_1_on_loss_and_0_within_threshold(tmp_path: Path, exports: Exports) -> None:
    over = run_main(tmp_path, *paths(exports, tmp_path / "a"))
    assert over.returncode == 1, over.stderr
    assert "Loss rate 10%" in over.stdout
    within = run_main(tmp_path, *paths(exports, tmp_path / "b"), "--max-loss", "10%")
    assert within.returncode == 0, within.stderr


@pytest.mark.parametrize(
    ("orders_text", "expected"),
    [
        (b"", "the file is empty"),
        (b"1001,card\n1002,paypal\n", "looks like data, not a header"),
        (b"order_id,pay\n1,card\n2,card,extra\n", "orders.csv:3"),
        (b"PK\x03\x04" + b"\x00" * 64, "Excel .xlsx"),
        (b"fecha,importe\n2024-01-01,3\n", "columns found: 'fecha', 'importe'"),
        (b"order_id,total\n", "header but no orders"),
    ],
)
def test_process_exit_2_on_bad_input_without_traceback(
    tmp_path: Path, exports: Exports, orders_text: bytes, expected: str
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_bytes(orders_text)
    done = run_main(
        tmp_path,
        "--orders",
        str(orders),
        "--purchases",
        str(exports.purchases),
        "--out",
        str(tmp_path / "out"),
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert expected in " ".join(done.stderr.split())
    assert "error:" in done.stderr
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_an_output_folder_that_cannot_be_written_is_exit_2_and_leaves_nothing_behind(
    tmp_path: Path, exports: Exports
) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    (tmp_path / "taken" / "reconcile.json").mkdir(parents=True)
    for out, why in (
        (tmp_path / "a-file" / "out", "Not a directory"),
        (tmp_path / "taken", "a folder is where"),
    ):
        done = run_main(tmp_path, *paths(exports, out))
        said = done.stdout + done.stderr
        assert done.returncode == 2, said
        assert "Traceback" not in said and "cannot write the reconciliation" in said and why in said, said
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["reconcile.json"]  # no temporary file


def test_process_missing_column_error_names_file_line_and_option(tmp_path: Path, exports: Exports) -> None:
    done = run_main(tmp_path, *paths(exports, tmp_path / "out"), "--order-id-column", "Pedido")
    assert done.returncode == 2
    err = " ".join(done.stderr.split())
    assert "orders.csv:1" in err
    assert "no column 'Pedido'" in err
    assert "'order_id', 'created_at', 'payment_method', 'status', 'device', 'total'" in err
    assert "--order-id-column" in err


def test_process_usage_errors_exit_2(tmp_path: Path, exports: Exports) -> None:
    missing = run_main(
        tmp_path, "--orders", str(tmp_path / "nope.csv"), "--purchases", str(exports.purchases)
    )
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    no_orders = run_main(tmp_path, "--purchases", str(exports.purchases))
    assert no_orders.returncode == 2
    assert "--orders" in no_orders.stderr


# Spreadsheet "Unicode text" exports, and reconcile.json read back for CI.


def unicode_text_exports(folder: Path) -> Exports:
    """The fixture's pair, the orders saved as UTF-16 LE "Unicode text" (tabs), the purchases with a BOM."""
    plain = write_exports(folder / "plain", mix({"card": (50, 5), "tarjeta crédito": (50, 5)}))
    with plain.orders.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    with plain.purchases.open(encoding="utf-8", newline="") as fh:
        purchases = list(csv.reader(fh))
    return Exports(
        orders=write_csv(folder / "orders.txt", rows[0], rows[1:], delimiter="\t", encoding="utf-16"),
        purchases=write_csv(folder / "purchases.csv", purchases[0], purchases[1:], encoding="utf-8-sig"),
    )


def test_a_utf16_export_is_reconciled_and_its_encoding_reported(tmp_path: Path) -> None:
    files = unicode_text_exports(tmp_path)
    assert files.orders.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    code, output = invoke(*paths(files, tmp_path / "out"), "--max-loss", "10%")
    assert code == 0, output
    assert "Loss rate 10%" in output
    label = "UTF-16 LE" if sys.byteorder == "little" else "UTF-16 BE"
    text = " ".join(output.split())
    assert f"orders.txt: {label}, tab, 100 rows" in text
    assert "purchases.csv: UTF-8 with BOM, comma, 90 rows" in text
    data = json.loads((tmp_path / "out" / "reconcile.json").read_text(encoding="utf-8"))
    assert data["orders_file"]["encoding"] == label
    assert data["purchases_file"]["encoding"] == "UTF-8 with BOM"
    html = (tmp_path / "out" / "reconcile.html").read_text(encoding="utf-8")
    assert f"<td>encoding</td><td>{label}</td><td>UTF-8 with BOM</td>" in html
    assert "tarjeta crédito" in html  # a non-ASCII value, decoded


def test_from_json_prints_the_same_summary_and_exit_status(tmp_path: Path, exports: Exports) -> None:
    code, output = invoke(*paths(exports, tmp_path / "out"), "--max-loss", "5%")
    assert code == 1
    again, summary = invoke("--from-json", str(tmp_path / "out" / "reconcile.json"))
    assert again == 1
    assert summary == output
    # Another threshold for the same figures.
    within, text = invoke("--from-json", str(tmp_path / "out" / "reconcile.json"), "--max-loss", "10%")
    assert within == 0
    assert "OK: loss rate 10% is within --max-loss 10%" in text


def test_process_from_json_of_a_bad_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "reconcile.json"
    bad.write_text('{"schema_version": 1, "tool": "x", "max_loss": "lots"}', encoding="utf-8")
    done = run_main(tmp_path, "--from-json", str(bad))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    err = " ".join(done.stderr.split())
    assert f"{bad}: max_loss:" in err


def test_from_json_with_exports_is_a_usage_error(tmp_path: Path, exports: Exports) -> None:
    code, output = invoke("--from-json", "r.json", "--orders", str(exports.orders))
    assert code == 2
    assert "leave out --orders" in output
    code, output = invoke("--purchases", str(exports.purchases))
    assert code == 2
    assert "give --orders (or --from-json RECONCILE.json)" in output
