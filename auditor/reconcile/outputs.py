"""reconcile.json, missing.csv and reconcile.html, each written atomically into the out folder."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import jinja2

from auditor import __version__
from auditor.errors import AuditorError
from auditor.reconcile.explain import pct
from auditor.reconcile.model import Reconciliation
from auditor.results import new_file_mode

JSON_NAME = "reconcile.json"
CSV_NAME = "missing.csv"
HTML_NAME = "reconcile.html"
HTML_ROWS = 200  # the page stays light; missing.csv holds every lost order
SCHEMA_VERSION = 1


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
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Write a whole text file atomically."""
    with AtomicFile(path) as fh:
        fh.write(text)


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
        self.writer.writerow(["line", "normalised_id", *header])

    def add(self, line: int, key: str, row: list[str]) -> None:
        """One lost order."""
        self.writer.writerow([line, key, *row])

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


def to_json(result: Reconciliation) -> dict[str, Any]:
    """The result as JSON-ready data, with the derived figures spelled out."""
    data = asdict(result)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": f"checkout-auditor {__version__}",
        "loss_rate": result.loss_rate,
        **data,
        "normalisation": {**data["normalisation"], "rules": result.normalisation.describe()},
    }


def write_json(result: Reconciliation, out_dir: Path) -> Path:
    """reconcile.json: every figure, for scripts and CI."""
    path = out_dir / JSON_NAME
    write_text(path, json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n")
    return path


def render_html(result: Reconciliation, *, max_loss: float, created: datetime) -> str:
    """The self-contained HTML report (autoescaped: the exports' values are never trusted)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("auditor.reconcile", "templates"),
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
        write_json(result, out_dir),
    ]
