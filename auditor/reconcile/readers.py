"""Reading shop and Connectif CSV exports: encoding, delimiter, header and id column."""

from __future__ import annotations

import codecs
import csv
import difflib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from auditor.errors import InputError, Problem
from auditor.reconcile.model import EncodingLabel

Role = Literal["order", "purchase"]


class RowReader(Protocol):
    """What the analysis needs of csv.reader: rows, and the line it has read up to."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
SAMPLE_BYTES = 64 * 1024
CHUNK_BYTES = 1024 * 1024

# Column names as shops and Connectif write them, compared after column_key(); first match wins,
# so the specific names come before the generic "id" (Connectif's own "id" is its internal one).
ORDER_ID_NAMES = (
    "order id",
    "order number",
    "order no",
    "order reference",
    "order ref",
    "id pedido",
    "n pedido",
    "no pedido",
    "num pedido",
    "numero pedido",
    "referencia pedido",
    "pedido",
    "referencia",
    "reference",
    "ref",
    "purchase id",
    "id",
    "order",
)
PURCHASE_ID_NAMES = (
    "purchase id",
    "id compra",
    "n compra",
    "numero compra",
    "order id",
    "order number",
    "id pedido",
    "n pedido",
    "no pedido",
    "numero pedido",
    "pedido",
    "referencia",
    "reference",
    "external id",
    "id",
)
ID_OPTION = {"order": "--order-id-column", "purchase": "--purchase-id-column"}
ID_NAMES = {"order": ORDER_ID_NAMES, "purchase": PURCHASE_ID_NAMES}

_STOPWORDS = frozenset({"de", "del", "la", "el", "of", "the"})
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# A header cell that is a number, an amount or a date means line 1 is data, not a header.
_DATA_CELL = re.compile(r"^\s*#?\s*[\d][\d.,:/\- ]*\s*$")
# Signatures of files people export by mistake instead of CSV.
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel .xlsx (or other zip) file",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls file",
    b"%PDF": "a PDF file",
}


Encoding = Literal["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1252"]
# The encodings as a person names them; reconcile.json, reconcile.html and the console show these.
ENCODING_LABELS: dict[Encoding, EncodingLabel] = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "cp1252": "Windows-1252",
}
# UTF-16's byte-order marks, which say the byte order: what spreadsheets write as "Unicode text"
# (Excel: tab-separated UTF-16 LE). UTF-32's come first, as FF FE starts both little-endian marks.
_BOMS: tuple[tuple[bytes, Encoding | None], ...] = (
    (codecs.BOM_UTF32_LE, None),
    (codecs.BOM_UTF32_BE, None),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def text_codec(encoding: Encoding) -> str:
    """The codec that reads the file as text, its byte-order mark left out."""
    if encoding.startswith("utf-8"):
        return "utf-8-sig"  # also reads plain UTF-8; it only drops a leading BOM
    if encoding.startswith("utf-16"):
        return "utf-16"  # reads the BOM, which says the byte order, and drops it
    return encoding


@dataclass(frozen=True, kw_only=True)
class CsvFormat:
    """How a CSV file is written: its text encoding and delimiter."""

    encoding: Encoding
    delimiter: str

    @property
    def encoding_label(self) -> EncodingLabel:
        """The encoding as a person would name it."""
        return ENCODING_LABELS[self.encoding]

    @property
    def delimiter_label(self) -> str:
        """The delimiter as a word."""
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


@dataclass(frozen=True, kw_only=True)
class Table:
    """A CSV file whose format and header are known; rows are read on demand."""

    path: Path
    label: str
    fmt: CsvFormat
    header: tuple[str, ...]
    header_line: int
    # csv records before the data: leading blank lines plus the header itself.
    records_before_data: int

    @contextmanager
    def rows(self) -> Iterator[RowReader]:
        """A csv reader positioned on the first data row (its line_num stays accurate)."""
        with self.path.open(encoding=text_codec(self.fmt.encoding), newline="") as fh:
            reader = csv.reader(fh, delimiter=self.fmt.delimiter)
            for _ in range(self.records_before_data):
                next(reader)
            yield reader

    def problem(self, *, line: int | None, key: str, message: str, tip: str | None = None) -> Problem:
        """A Problem located in this file."""
        return Problem(file=self.label, line=line, column=None, key=key, message=message, tip=tip)


def column_key(name: str) -> str:
    """A column name reduced for comparison: no case, accents, punctuation or filler words."""
    text = name.replace("º", " ").replace("ª", " ").replace("°", " ")
    text = _CAMEL.sub(" ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = [w for w in _NOT_ALNUM.split(text) if w and w not in _STOPWORDS]
    return " ".join(words)


def open_table(path: Path, *, label: str | None = None) -> Table:
    """Detect a CSV file's encoding, delimiter and header, or raise InputError saying what's wrong."""
    shown = label or str(path)
    encoding = detect_encoding(path, shown)
    text = _sample_text(path, encoding)
    delimiter = detect_delimiter(text)
    fmt = CsvFormat(encoding=encoding, delimiter=delimiter)
    header, header_line, records = _read_header(path, fmt, shown)
    return Table(
        path=path,
        label=shown,
        fmt=fmt,
        header=header,
        header_line=header_line,
        records_before_data=records,
    )


def detect_encoding(path: Path, label: str) -> Encoding:
    """UTF-16 by its byte-order mark; else UTF-8 (with or without BOM) if the whole file decodes
    strictly; else Windows-1252."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    for bom, marked in _BOMS:
        if not head.startswith(bom):
            continue
        if marked is None:
            raise _encoding_problem(label, None, "the file is UTF-32 text, which is not read")
        # The mark says how to read the file; all of it must then decode, or the mark was a coincidence.
        bad = _decodes(path, "utf-16")
        if bad is not None:
            line = _line_of_offset(path, bad, "utf-16")
            raise _encoding_problem(
                label, line, f"the file starts as {ENCODING_LABELS[marked]} text but is not"
            )
        if not head.decode("utf-16", errors="ignore").strip():
            raise _empty(label)
        return marked
    if not head.strip():
        raise _empty(label)
    _reject_binary(head, label)
    utf8_ok = _decodes(path, "utf-8")
    if utf8_ok is None:
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    cp1252_bad = _decodes(path, "cp1252")
    if cp1252_bad is None:
        return "cp1252"
    line = _line_of_offset(path, cp1252_bad)
    raise _encoding_problem(
        label, line, "the file is neither UTF-8 nor Windows-1252 text (nor UTF-16 with a byte-order mark)"
    )


def _empty(label: str) -> InputError:
    return InputError(
        [
            Problem(
                file=label,
                line=None,
                column=None,
                key="",
                message="the file is empty",
                tip="export the data again; the file has no header and no rows",
            )
        ]
    )


def _encoding_problem(label: str, line: int | None, message: str) -> InputError:
    return InputError(
        [
            Problem(
                file=label,
                line=line,
                column=None,
                key="",
                message=message,
                tip="save the export as CSV UTF-8 (or as Unicode text)",
            )
        ]
    )


def _reject_binary(head: bytes, label: str) -> None:
    for magic, what in _BINARY_SIGNATURES.items():
        if head.startswith(magic):
            raise InputError(
                [
                    Problem(
                        file=label,
                        line=None,
                        column=None,
                        key="",
                        message=f"this looks like {what}, not a CSV file",
                        tip="save or export it as CSV (comma, semicolon or tab separated)",
                    )
                ]
            )
    # UTF-16 without its byte-order mark: every other byte of ASCII text is NUL.
    if len(head) >= 8 and (
        head[1::2].count(0) > len(head) * 2 // 5 or head[0::2].count(0) > len(head) * 2 // 5
    ):
        raise InputError(
            [
                Problem(
                    file=label,
                    line=None,
                    column=None,
                    key="",
                    message="this looks like UTF-16 text without a byte-order mark, which cannot be told "
                    "apart from binary data",
                    tip="save it as CSV UTF-8, or as Unicode text (which writes the mark)",
                )
            ]
        )
    # Text never holds NUL bytes and rarely control characters; binary junk is full of them.
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in head or controls > len(head) // 20:
        raise InputError(
            [
                Problem(
                    file=label,
                    line=None,
                    column=None,
                    key="",
                    message="the file contains binary data, not CSV text",
                    tip="check you picked the right file and exported it as CSV",
                )
            ]
        )


def _decodes(path: Path, encoding: str) -> int | None:
    """None if the whole file decodes strictly, else the byte offset where it fails."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset
    return None


def _line_of_offset(path: Path, offset: int, encoding: str | None = None) -> int:
    with path.open("rb") as fh:
        head = fh.read(offset)
    if encoding is None:  # ASCII-compatible: a newline is one 0x0A byte
        return head.count(b"\n") + 1
    return head.decode(encoding, errors="ignore").count("\n") + 1


def _sample_text(path: Path, encoding: Encoding) -> str:
    with path.open("rb") as fh:
        raw = fh.read(SAMPLE_BYTES)
        whole = not fh.read(1)
    text = raw.decode(text_codec(encoding), errors="ignore").removeprefix("\ufeff")
    if not whole and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # the last line may be cut short
    return text


def detect_delimiter(text: str) -> str:
    """The delimiter that gives the header the most columns with every sampled row agreeing."""
    lines = text.splitlines(keepends=True)
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        rows = [r for r in csv.reader(lines[:200], delimiter=delimiter) if r]
        if not rows:
            continue
        width = len(rows[0])
        agreeing = sum(1 for r in rows if len(r) == width)
        consistent = agreeing == len(rows)
        # A consistent split wins over a wider ragged one; among equals, more columns wins.
        score = (int(consistent and width > 1), width if consistent else agreeing)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_header(path: Path, fmt: CsvFormat, label: str) -> tuple[tuple[str, ...], int, int]:
    with path.open(encoding=text_codec(fmt.encoding), newline="") as fh:
        reader = csv.reader(fh, delimiter=fmt.delimiter)
        records = 0
        try:
            for row in reader:
                records += 1
                if any(cell.strip() for cell in row):
                    header = tuple(cell.strip() for cell in row)
                    _check_header(header, reader.line_num, label)
                    return header, reader.line_num, records
        except csv.Error as exc:
            raise InputError(
                [
                    Problem(
                        file=label,
                        line=reader.line_num,
                        column=None,
                        key="",
                        message=f"not valid CSV: {exc}",
                    )
                ]
            ) from None
    raise InputError(
        [
            Problem(
                file=label,
                line=None,
                column=None,
                key="",
                message="the file has no header and no rows",
                tip="export the data again",
            )
        ]
    )


def _check_header(header: tuple[str, ...], line: int, label: str) -> None:
    data_like = [c for c in header if c and _DATA_CELL.match(c)]
    mostly_blank = sum(1 for c in header if c) <= len(header) // 2
    if data_like or mostly_blank:
        example = data_like[0] if data_like else ""
        what = f" ({example!r} is a value, not a column name)" if example else ""
        raise InputError(
            [
                Problem(
                    file=label,
                    line=line,
                    column=None,
                    key="header",
                    message=f"the first line looks like data, not a header{what}",
                    tip="export with column names on the first line (e.g. order_id,payment_method,status)",
                )
            ]
        )


def find_column(table: Table, *, asked: str | None, candidates: Sequence[str], key: str, option: str) -> int:
    """Index of a column named explicitly (any case/accents) or by the first matching common name."""
    keys = [column_key(h) for h in table.header]
    found = ", ".join(repr(h) for h in table.header if h)
    if asked is not None:
        if asked in table.header:
            return table.header.index(asked)
        if column_key(asked) in keys:
            return keys.index(column_key(asked))
        close = difflib.get_close_matches(asked, [h for h in table.header if h], n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InputError(
            [
                table.problem(
                    line=table.header_line,
                    key=key,
                    message=f"no column {asked!r}; columns found: {found}",
                    tip=f"{hint}name one of the columns found with {option}",
                )
            ]
        )
    for candidate in candidates:
        if candidate in keys:
            return keys.index(candidate)
    raise InputError(
        [
            table.problem(
                line=table.header_line,
                key=key,
                message=f"no column looks like the {key} (looked for id, order_id, Order ID, reference, "
                f"Referencia, Nº pedido, purchase_id…); columns found: {found}",
                tip=f"say which column holds it with {option} 'COLUMN NAME'",
            )
        ]
    )


def find_id_column(table: Table, role: Role, asked: str | None) -> int:
    """Index of the order or purchase id column."""
    return find_column(
        table, asked=asked, candidates=ID_NAMES[role], key=f"{role} id column", option=ID_OPTION[role]
    )
