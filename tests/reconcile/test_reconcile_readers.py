"""Reading real-world exports: delimiters, encodings, id columns, and malformed files."""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

import pytest
from reconcile_exports import write_csv

from auditor.errors import InputError
from auditor.reconcile.readers import column_key, find_id_column, open_table


@pytest.mark.parametrize(("delimiter", "label"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_each_delimiter_is_detected(tmp_path: Path, delimiter: str, label: str) -> None:
    # Amounts with decimal commas: a semicolon file must not be split on them.
    path = write_csv(
        tmp_path / "o.csv",
        ["order_id", "total", "payment"],
        [["1", "12,50", "card"], ["2", "3,00", "bizum"]],
        delimiter=delimiter,
    )
    table = open_table(path)
    assert table.fmt.delimiter == delimiter
    assert table.fmt.delimiter_label == label
    assert table.header == ("order_id", "total", "payment")
    with table.rows() as reader:
        assert [row for row in reader] == [["1", "12,50", "card"], ["2", "3,00", "bizum"]]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")],
)
def test_each_encoding_is_detected_and_decoded(tmp_path: Path, encoding: str, expected: str) -> None:
    path = write_csv(
        tmp_path / "pedidos.csv",
        ["Nº pedido", "Método de pago", "Estado"],
        [["1001", "Tarjeta crédito", "Pagado"], ["1002", "Transferencia bancaria", "Cancelación"]],
        delimiter=";",
        encoding=encoding,
    )
    table = open_table(path)
    assert table.fmt.encoding == expected
    # The BOM is not part of the first column's name.
    assert table.header == ("Nº pedido", "Método de pago", "Estado")
    with table.rows() as reader:
        assert next(reader) == ["1001", "Tarjeta crédito", "Pagado"]
        assert next(reader)[2] == "Cancelación"
    assert table.header[find_id_column(table, "order", None)] == "Nº pedido"


# Spreadsheet "Unicode text": UTF-16 with a byte-order mark, tab-separated. Python's "utf-16" codec
# writes the mark in the machine's byte order; the other two write it explicitly in theirs.
@pytest.mark.parametrize(
    ("encoding", "bom", "expected", "label"),
    [
        ("utf-16", False, "utf-16-le" if sys.byteorder == "little" else "utf-16-be", None),
        ("utf-16-le", True, "utf-16-le", "UTF-16 LE"),
        ("utf-16-be", True, "utf-16-be", "UTF-16 BE"),
        ("utf-8", True, "utf-8-sig", "UTF-8 with BOM"),
    ],
)
def test_unicode_text_exports_are_read_like_the_others(
    tmp_path: Path, encoding: str, bom: bool, expected: str, label: str | None
) -> None:
    rows = [["1001", "Tarjeta crédito", "Pagado"], ["1002", "Bizum", "Cancelación"], ["1003", "数字", "✓"]]
    path = write_csv(
        tmp_path / "pedidos.txt",
        ["Nº pedido", "Método de pago", "Estado"],
        rows,
        delimiter="\t",
        encoding=encoding,
        bom=bom,
    )
    assert path.read_bytes().startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8))
    table = open_table(path)
    assert table.fmt.encoding == expected
    if label is not None:
        assert table.fmt.encoding_label == label
    assert table.fmt.delimiter == "\t"
    assert table.header == ("Nº pedido", "Método de pago", "Estado")
    with table.rows() as reader:
        assert list(reader) == rows
    assert table.header[find_id_column(table, "order", None)] == "Nº pedido"


def test_a_large_utf16_export_is_read_past_the_sample(tmp_path: Path) -> None:
    rows = [[str(i), "tarjeta" if i % 2 else "bizum"] for i in range(40_000)] + [["99999", "crédito"]]
    path = write_csv(tmp_path / "o.txt", ["id", "pago"], rows, delimiter="\t", encoding="utf-16")
    assert path.stat().st_size > 4 * 64 * 1024
    table = open_table(path)
    with table.rows() as reader:
        read = list(reader)
    assert len(read) == len(rows)
    assert read[-1] == ["99999", "crédito"]


def test_utf16_without_its_mark_is_refused_with_a_tip(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.txt", ["id", "pago"], [["1", "card"]], delimiter="\t", encoding="utf-16-le"
    )
    message = _only_problem(path)
    assert "UTF-16 text without a byte-order mark" in message
    assert "CSV UTF-8" in message


def test_broken_utf16_names_the_line(tmp_path: Path) -> None:
    # A lone high surrogate on line 3 cannot be decoded.
    text = "id\tpago\r\n1\tok\r\n2\tbad"
    path = tmp_path / "o.txt"
    path.write_bytes(
        codecs.BOM_UTF16_LE + text.encode("utf-16-le") + b"\x00\xd8" + "x\r\n".encode("utf-16-le")
    )
    message = _only_problem(path)
    assert "o.txt:3" in message
    assert "UTF-16 LE" in message


def test_utf32_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "o.txt"
    path.write_bytes("id,pago\n1,card\n".encode("utf-32"))
    assert "UTF-32" in _only_problem(path)


def test_cp1252_bytes_late_in_a_large_file_are_still_found(tmp_path: Path) -> None:
    # The first 64 KiB are plain ASCII; only the end has a cp1252 byte that is invalid UTF-8.
    rows = [[str(i), "card"] for i in range(20_000)] + [["99999", "Crédito"]]
    path = write_csv(tmp_path / "o.csv", ["id", "pago"], rows, encoding="cp1252")
    assert open_table(path).fmt.encoding == "cp1252"


@pytest.mark.parametrize(
    ("header", "role", "expected"),
    [
        (["date", "id", "total"], "order", "id"),
        (["date", "Order ID", "id"], "order", "Order ID"),
        (["order_id", "status"], "order", "order_id"),
        (["Referencia", "Estado"], "order", "Referencia"),
        (["reference", "email"], "order", "reference"),
        (["Id. pedido", "Fecha"], "order", "Id. pedido"),
        (["N.º pedido", "Fecha"], "order", "N.º pedido"),
        (["Número de pedido", "Fecha"], "order", "Número de pedido"),
        (["  ORDER   ID ", "x"], "order", "ORDER   ID"),
        # Connectif's own "id" is internal: the store's purchase id wins.
        (["id", "purchaseId", "totalPrice"], "purchase", "purchaseId"),
        (["id", "Purchase ID"], "purchase", "Purchase ID"),
        (["purchase_id", "date"], "purchase", "purchase_id"),
    ],
)
def test_id_columns_are_found_by_common_names(
    tmp_path: Path, header: list[str], role: str, expected: str
) -> None:
    path = write_csv(tmp_path / "x.csv", header, [["a"] * len(header)])
    table = open_table(path)
    assert table.header[find_id_column(table, role, None)] == expected  # type: ignore[arg-type]


def test_column_key_ignores_case_accents_punctuation_and_filler() -> None:
    assert column_key("Nº de Pedido") == column_key("n pedido") == "n pedido"
    assert column_key("Método_de_pago") == "metodo pago"
    assert column_key("purchaseId") == "purchase id"


def test_explicit_column_matches_case_and_accent_insensitively(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["Código", "Importe"], [["A1", "1"]])
    table = open_table(path)
    assert find_id_column(table, "order", "codigo") == 0
    assert find_id_column(table, "order", "Código") == 0


def test_unknown_explicit_column_lists_columns_found_and_suggests(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", ["order_ref", "total"], [["1", "2"]])
    with pytest.raises(InputError) as caught:
        find_id_column(open_table(path), "order", "order_reff")
    (problem,) = caught.value.problems
    assert problem.file.endswith("orders.csv")
    assert problem.line == 1
    assert problem.key == "order id column"
    assert "'order_reff'" in problem.message
    assert "'order_ref', 'total'" in problem.message
    assert problem.tip is not None
    assert "--order-id-column" in problem.tip
    assert "did you mean 'order_ref'" in problem.tip


def test_no_recognisable_id_column_is_an_error_with_the_option_to_use(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "purchases.csv", ["fecha", "importe"], [["2024-01-01", "2"]])
    with pytest.raises(InputError) as caught:
        find_id_column(open_table(path), "purchase", None)
    (problem,) = caught.value.problems
    assert problem.line == 1
    assert "columns found: 'fecha', 'importe'" in problem.message
    assert problem.tip is not None
    assert "--purchase-id-column" in problem.tip


def _only_problem(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        open_table(path)
    (problem,) = caught.value.problems
    return problem.render()


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "the file is empty" in _only_problem(path)


def test_blank_lines_only_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\r\n \r\n\n")
    assert "empty" in _only_problem(path)


def test_no_header_first_line_is_data(tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    path.write_text("1001,card,paid\n1002,paypal,paid\n")
    message = _only_problem(path)
    assert "noheader.csv:1" in message
    assert "looks like data, not a header" in message
    assert "'1001'" in message


def test_leading_blank_lines_before_the_header_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("\n\norder_id,total\n1,2\n")
    table = open_table(path)
    assert table.header_line == 3
    with table.rows() as reader:
        assert list(reader) == [["1", "2"]]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "Excel .xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel .xls"),
        (bytes(range(256)) * 20, "binary data"),
    ],
)
def test_binary_files_are_refused(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    message = _only_problem(path)
    assert expected in message
    assert "CSV" in message


def test_text_in_no_known_encoding_names_the_line(tmp_path: Path) -> None:
    # 0x81 is undefined in cp1252 and invalid as UTF-8.
    path = tmp_path / "odd.csv"
    path.write_bytes(b"id,name\n1,ok\n2,bad\x81byte\n")
    message = _only_problem(path)
    assert "odd.csv:3" in message
    assert "neither UTF-8 nor Windows-1252" in message
