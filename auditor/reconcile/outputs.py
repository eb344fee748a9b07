"""reconcile.json, missing.csv and reconcile.html, each written atomically into the out folder."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

import jinja2
from pydantic import TypeAdapter, ValidationError, computed_field

from auditor import __version__
from auditor.cache import template_cache
from auditor.errors import AuditorError, InputError, Problem
from auditor.reconcile.explain import pct
from auditor.reconcile.model import Reconciliation
from auditor.results import new_file_mode

JSON_NAME = "reconcile.json"
CSV_NAME = "missing.csv"
HTML_NAME = "reconcile.html"
HTML_ROWS = 200  # the page stays light; missing.csv holds every lost order
SCHEMA_VERSION: Literal[1] = 1

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV Injection"), and the
# exports' cells are whatever a customer typed: a name =HYPERLINK(...) must not run when missing.csv opens.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A signed number (an amount -12.50, -1.234,56, +34600000000) is read as that number: no formula can
# come of digits, dots and commas, and a quote would turn the amount into text that no longer adds up.
_SIGNED_NUMBER = re.compile(r"[+-]\d+(?:[.,]\d+)*", re.ASCII)


def default_out_dir(base: Path, now: datetime) -> Path:
    """A new folder under base named after the time, never one that already exists."""
    stem = base / f"reconcile-{now:%Y%m%d-%H%M%S}"
    candidate, n = stem, 1
    while candidate.exists():
        n += 1
        candidate = stem.with_name(f"{stem.name}-{n}")
    return candidate


def _make_dir(path: Path) -> bool:
    """Create the folder (and parents); True if it did not exist before."""
    existed = path.is_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AuditorError(
            f"cannot create the output folder {path}: {exc.strerror}", tip="choose another folder with --out"
        ) from None
    return not existed


class AtomicFile:
    """A text file written to a temporary name in its folder, renamed into place on success."""

    def __init__(self, path: Path, *, encoding: str = "utf-8", newline: str | None = None):
        self.path = path
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self.tmp = Path(tmp)
        os.chmod(tmp, new_file_mode())  # mkstemp's 0600 would keep the output from whoever publishes it
        self.fh: IO[str] = os.fdopen(fd, "w", encoding=encoding, newline=newline)

    def __enter__(self) -> IO[str]:
        return self.fh

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(commit=kind is None)

    def close(self, *, commit: bool) -> None:
        """Rename into place (commit) or throw the temporary file away."""
        if self.fh.closed:
            return
        try:
            self.fh.flush()
            if commit:
                os.fsync(self.fh.fileno())
        finally:
            self.fh.close()
        if commit:
            # Readers never see a half-written report: the rename is atomic on one filesystem.
            try:
                os.replace(self.tmp, self.path)
            except OSError:
                self.tmp.unlink(missing_ok=True)  # no temporary file left beside what stood in the way
                raise
        else:
            self.tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Write a whole text file atomically."""
    with AtomicFile(path) as fh:
        fh.write(text)


def spreadsheet_safe(cell: str) -> str:
    """The cell with a leading ' (read as text, not run) when a spreadsheet would take it for a formula.

    A NUL becomes U+FFFD: csv writes it as it is, and a file with NUL bytes is binary to most readers
    (this tool's own included); dropping it would join what it separated into another id.
    """
    cell = cell.replace("\x00", "\ufffd")
    # Some spreadsheets trim leading spaces before reading a cell: "  =HYPERLINK(...)" runs, "  -12.50"
    # is a number. A leading tab or carriage return is itself a formula character, so it is not trimmed.
    text = cell if cell.startswith(("\t", "\r")) else cell.lstrip()
    if text.startswith(_FORMULA_START) and not _SIGNED_NUMBER.fullmatch(text):
        return "'" + cell
    return cell


class MissingCsv:
    """The lost orders, streamed to missing.csv while the orders are matched (a LostSink)."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.path = out_dir / CSV_NAME
        self.created_dir = False
        self.file: AtomicFile | None = None
        self.writer: Any = None

    def start(self, header: Sequence[str], delimiter: str) -> None:
        """Create the folder and write the header: the orders' columns after line and key."""
        self.created_dir = _make_dir(self.out_dir)
        # UTF-8 with BOM and the orders' own delimiter: it opens in Excel like the export did.
        self.file = AtomicFile(self.path, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.file.fh, delimiter=delimiter)
        self.writer.writerow(["line", "normalised_id", *map(spreadsheet_safe, header)])

    def add(self, line: int, key: str, row: list[str]) -> None:
        """One lost order (its cells made spreadsheet-safe: the export's values are never trusted)."""
        self.writer.writerow([line, *map(spreadsheet_safe, [key, *row])])

    def __enter__(self) -> MissingCsv:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.file is not None:
            self.file.close(commit=kind is None)
        if kind is not None and self.created_dir:
            # rmdir only removes an empty folder: never what someone else put there.
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()


@dataclass(frozen=True, kw_only=True)
class _Header:
    """reconcile.json's own keys, written before the figures."""

    schema_version: Literal[1]
    tool: str
    # The --max-loss the run was judged by, as a fraction.
    max_loss: float


@dataclass(frozen=True, kw_only=True)
class ReconcileDocument(Reconciliation, _Header):
    """reconcile.json: the reconciliation, the file's version, the tool and the threshold it was judged by."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def above_max_loss(self) -> bool:
        """Whether the loss rate is above max_loss: the run exited with status 1."""
        return self.above(self.max_loss)

    def reconciliation(self) -> Reconciliation:
        """The reconciliation alone, as the analysis produced it."""
        return Reconciliation(**{f.name: getattr(self, f.name) for f in fields(Reconciliation)})


# reconcile.json is written, read back and described (auditor/schema/reconcile.schema.json) by this.
DOCUMENT: TypeAdapter[ReconcileDocument] = TypeAdapter(ReconcileDocument)


def document(result: Reconciliation, *, max_loss: float) -> ReconcileDocument:
    """The result as reconcile.json holds it."""
    return ReconcileDocument(
        schema_version=SCHEMA_VERSION,
        tool=f"checkout-auditor {__version__}",
        max_loss=max_loss,
        **{f.name: getattr(result, f.name) for f in fields(Reconciliation)},
    )


def to_json(result: Reconciliation, *, max_loss: float = 0.0) -> dict[str, Any]:
    """The result as JSON-ready data, with the derived figures spelled out."""
    data: dict[str, Any] = DOCUMENT.dump_python(document(result, max_loss=max_loss), mode="json")
    return data


def render_json(result: Reconciliation, *, max_loss: float) -> str:
    """reconcile.json's text."""
    text = DOCUMENT.dump_json(document(result, max_loss=max_loss), indent=2).decode("utf-8")
    return text + "\n"


def write_json(result: Reconciliation, out_dir: Path, *, max_loss: float = 0.0) -> Path:
    """reconcile.json: every figure, for scripts and CI."""
    path = out_dir / JSON_NAME
    write_text(path, render_json(result, max_loss=max_loss))
    return path


def read_json(path: Path) -> ReconcileDocument:
    """A reconcile.json read back, or an InputError naming the file and the key that is wrong."""
    label = str(path)

    def problem(
        message: str, *, key: str = "", line: int | None = None, column: int | None = None
    ) -> InputError:
        tip = "give the reconcile.json that `checkout-auditor reconcile` wrote (this version of it)"
        return InputError([Problem(file=label, line=line, column=column, key=key, message=message, tip=tip)])

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise problem("no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise problem(f"cannot be read: {exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise problem(f"not JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    if not isinstance(raw, dict) or "schema_version" not in raw:
        raise problem("not a reconcile.json: it has no schema_version")
    if raw["schema_version"] != SCHEMA_VERSION:
        raise problem(
            f"schema_version {raw['schema_version']!r}: written by another version of checkout-auditor "
            f"(this one reads {SCHEMA_VERSION})",
            key="schema_version",
        )
    try:
        return DOCUMENT.validate_python(raw)
    except ValidationError as exc:
        problems = [
            Problem(
                file=label,
                line=None,
                column=None,
                key=".".join(str(part) for part in error["loc"]),
                message=error["msg"],
            )
            for error in exc.errors()[:5]
        ]
        raise InputError(problems) from None


def render_html(result: Reconciliation, *, max_loss: float, created: datetime) -> str:
    """The self-contained HTML report (autoescaped: the exports' values are never trusted)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("auditor.reconcile", "templates"),
        bytecode_cache=template_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = pct
    template = env.get_template("reconcile.html.j2")
    return template.render(
        r=result,
        max_loss=max_loss,
        failed=result.above(max_loss),
        created=created.strftime("%Y-%m-%d %H:%M"),
        version=__version__,
        rows=HTML_ROWS,
        csv_name=CSV_NAME,
        json_name=JSON_NAME,
    )


def write_html(result: Reconciliation, out_dir: Path, *, max_loss: float, created: datetime) -> Path:
    """reconcile.html: the page a person reads."""
    path = out_dir / HTML_NAME
    write_text(path, render_html(result, max_loss=max_loss, created=created))
    return path


def write_reports(result: Reconciliation, out_dir: Path, *, max_loss: float, created: datetime) -> list[Path]:
    """reconcile.json and reconcile.html (missing.csv is streamed by MissingCsv)."""
    _make_dir(out_dir)
    return [
        write_html(result, out_dir, max_loss=max_loss, created=created),
        write_json(result, out_dir, max_loss=max_loss),
    ]
