"""Matching the shop's orders with Connectif's purchases in one streaming pass over each file."""

from __future__ import annotations

import csv
import heapq
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Protocol

from auditor.errors import AuditorError, InputError, Problem
from auditor.reconcile.api import ApiLookups, ApiSource, Progress, look_up
from auditor.reconcile.breakdown import Tallies, choose_columns, iso_day_key
from auditor.reconcile.explain import explain
from auditor.reconcile.model import (
    Duplicate,
    Duplicates,
    FileSummary,
    IdPair,
    LostOrder,
    Reconciliation,
    StatusCount,
)
from auditor.reconcile.normalise import Normalisation, make_normaliser, near_misses
from auditor.reconcile.readers import RowReader, Table, find_column, find_id_column, open_table
from auditor.reconcile.statuses import STATUS_COLUMN_NAMES, StatusKind, classify_status

SAMPLE_ROWS = 2000  # enough rows to tell categories and dates from ids and amounts
EXAMPLES = 10
LOST_EXAMPLES = 200  # the HTML shows these; missing.csv has them all
UNKNOWN_EXAMPLES = 1000
BAD_LINES_SHOWN = 5
PRUNE_MASK = 0xFFFF  # check column cardinality every 65,536 orders


@dataclass(frozen=True, kw_only=True)
class Options:
    """Choices the user can make on the command line."""

    order_id_column: str | None = None
    purchase_id_column: str | None = None
    status_column: str | None = None
    normalisation: Normalisation = field(default_factory=Normalisation)
    skip_bad_rows: bool = False


class LostSink(Protocol):
    """Receives each lost order as it is found, so none has to be kept in memory."""

    def start(self, header: Sequence[str], delimiter: str) -> None:
        """Called once, after both files' headers were read and before any lost order."""

    def add(self, line: int, key: str, row: list[str]) -> None:
        """One lost order: its line in the orders file, its normalised id, its cells."""


@dataclass(kw_only=True)
class _BadRows:
    """Rows whose number of cells differs from the header's (mutable, one pass)."""

    table: Table
    skip: bool
    width: int
    count: int = 0
    lines: list[int] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)
    spans: list[int] = field(default_factory=list)

    def fix(self, row: list[str], line: int) -> list[str] | None:
        """The row to use, or None to ignore it (blank line or ragged row)."""
        if not row:
            return None
        # Some exporters end every line with a delimiter: extra empty cells are harmless.
        if len(row) > self.width and not any(c.strip() for c in row[self.width :]):
            return row[: self.width]
        if len(row) == 1 and not row[0].strip():
            return None
        self.count += 1
        if len(self.lines) < 10:
            # A quote left open swallows the following lines into one cell: point at its start.
            # (At the end of the file the last line's own newline is swallowed too.)
            spanned = sum(cell.count("\n") for cell in row) - row[-1].endswith("\n")
            self.lines.append(line - spanned)
            self.cells.append(len(row))
            self.spans.append(spanned)
        return None

    def _problem(self, line: int, cells: int, spanned: int) -> Problem:
        if spanned:
            return self.table.problem(
                line=line,
                key="",
                message=f"a quote opened here is not closed until line {line + spanned}, "
                f"so those lines read as one row of {cells} cells",
                tip="fix the quotes in the export, or rerun with --skip-bad-rows",
            )
        return self.table.problem(
            line=line,
            key="",
            message=f"{cells} cells where the header (line {self.table.header_line}) has {self.width}",
            tip="a value probably contains the delimiter without quotes; fix the export, "
            "or rerun with --skip-bad-rows to leave such rows out (they are counted in the report)",
        )

    def check(self) -> None:
        """Raise if there were ragged rows and the user did not ask to skip them."""
        if not self.count or self.skip:
            return
        problems = [
            self._problem(line, cells, spanned)
            for line, cells, spanned in zip(
                self.lines[:BAD_LINES_SHOWN], self.cells, self.spans, strict=False
            )
        ]
        if self.count > BAD_LINES_SHOWN:
            problems.append(
                self.table.problem(
                    line=None,
                    key="",
                    message=f"… and {self.count - BAD_LINES_SHOWN} more rows like these",
                )
            )
        raise InputError(problems)


@dataclass(kw_only=True)
class _Purchases:
    """Connectif's side, reduced to what matching needs."""

    keys: set[str]
    # Only ids whose raw text differs from their key: most don't, which saves a lot of memory.
    raw_of: dict[str, str]
    duplicates: Counter[str]
    rows: int
    blank: int
    bad: _BadRows


def reconcile(
    orders_path: Path,
    purchases_path: Path | None,
    options: Options | None = None,
    sink: LostSink | None = None,
    *,
    api: ApiSource | None = None,
    progress: Progress | None = None,
) -> Reconciliation:
    """Read the orders, match them with Connectif's purchases (an export, its API, or both), count the
    losses and explain them."""
    options = options or Options()
    if purchases_path is None and api is None:
        raise AuditorError(
            "nothing to compare the orders with", tip="give --purchases, --connectif-api, or both"
        )
    orders = open_table(orders_path)
    order_id = find_id_column(orders, "order", options.order_id_column)
    status = _status_column(orders, options.status_column, order_id)
    if purchases_path is not None:
        purchases = open_table(purchases_path)
        purchase_id = find_id_column(purchases, "purchase", options.purchase_id_column)
        connectif = _read_purchases(purchases, purchase_id, options.normalisation, options.skip_bad_rows)
        summary = _summary(purchases, purchase_id, connectif.rows, connectif.blank, connectif.bad)
    else:
        connectif = _Purchases(
            keys=set(),
            raw_of={},
            duplicates=Counter(),
            rows=0,
            blank=0,
            bad=_BadRows(table=orders, skip=True, width=0),
        )
        summary = None
    lookups: ApiLookups | None = None
    if api is not None:
        asked = _order_ids(orders, order_id, options)
        found, lookups = look_up(list(asked), api, progress=progress)
        connectif = _add_found(connectif, [asked[i] for i in found], options.normalisation)
        summary = _api_summary(summary, lookups)
    assert summary is not None
    if sink is not None:
        sink.start(orders.header, orders.fmt.delimiter)
    result = _match_orders(
        orders,
        order_id,
        status,
        connectif,
        options=options,
        sink=sink,
        purchases=summary,
    )
    return replace(result, explanations=explain(result), connectif_api=lookups)


def _order_ids(table: Table, id_index: int, options: Options) -> dict[str, str]:
    """Each distinct order's id as written (trimmed) → its first raw cell, in file order: what to ask.

    The same reading as the matching pass, ragged rows checked first, so a bad export stops before any
    lookup is spent on it.
    """
    normalise = make_normaliser(options.normalisation)
    bad = _BadRows(table=table, skip=options.skip_bad_rows, width=len(table.header))
    seen: set[str] = set()
    ids: dict[str, str] = {}
    with table.rows() as reader:
        try:
            for row in reader:
                if len(row) != bad.width:
                    fixed = bad.fix(row, reader.line_num)
                    if fixed is None:
                        continue
                    row = fixed
                raw = row[id_index]
                key = normalise(raw)
                if key and key not in seen:
                    seen.add(key)
                    ids.setdefault(raw.strip(), raw)
        except csv.Error as exc:
            raise _csv_error(table, reader, exc) from None
    bad.check()
    return ids


def _add_found(connectif: _Purchases, found: list[str], normalisation: Normalisation) -> _Purchases:
    """The purchases with the orders Connectif's API has, by their ids as the export wrote them."""
    normalise = make_normaliser(normalisation)
    keys = set(connectif.keys)
    raw_of = dict(connectif.raw_of)
    for raw in found:
        key = normalise(raw)
        if key and key not in keys:
            keys.add(key)
            if key != raw:
                raw_of[key] = raw
    return replace(connectif, keys=keys, raw_of=raw_of)


def _api_summary(exported: FileSummary | None, lookups: ApiLookups) -> FileSummary:
    """How the purchases were read: the API alone, or the export and the API."""
    where = f"Connectif's API ({lookups.url})"
    if exported is not None:
        return replace(exported, path=f"{exported.path} and {where}")
    return FileSummary(
        path=where,
        encoding="—",
        delimiter="—",
        columns=("purchaseId",),
        id_column="purchaseId",
        header_line=0,
        rows=lookups.found,
        blank_ids=0,
        bad_rows=0,
        bad_lines=(),
    )


def _status_column(table: Table, asked: str | None, order_id: int) -> int | None:
    if asked is not None:
        return find_column(table, asked=asked, candidates=(), key="status column", option="--status-column")
    index: int | None
    try:
        index = find_column(table, asked=None, candidates=STATUS_COLUMN_NAMES, key="", option="")
    except InputError:
        index = _status_by_values(table, order_id)
    return None if index == order_id else index


def _status_by_values(table: Table, order_id: int) -> int | None:
    """A column whose few values include statuses like 'pending' or 'cancelado', if any."""
    sample = _sample(table)
    for index in range(len(table.header)):
        values = {row[index] for row in sample if index < len(row)}
        if (
            index != order_id
            and 1 < len(values) <= 20
            and any(classify_status(v) is not StatusKind.SALE for v in values)
        ):
            return index
    return None


def _sample(table: Table) -> list[list[str]]:
    try:
        with table.rows() as reader:
            return [row for row in islice(reader, SAMPLE_ROWS) if row]
    except csv.Error:
        return []  # the full pass reports it with its line


def _csv_error(table: Table, reader: RowReader, exc: csv.Error) -> InputError:
    return InputError(
        [
            table.problem(
                line=reader.line_num,
                key="",
                message=f"not valid CSV: {exc}",
                tip="check the file is a plain CSV export (no binary data, quotes closed)",
            )
        ]
    )


def _read_purchases(table: Table, id_index: int, normalisation: Normalisation, skip: bool) -> _Purchases:
    normalise = make_normaliser(normalisation)
    width = len(table.header)
    bad = _BadRows(table=table, skip=skip, width=width)
    keys: set[str] = set()
    raw_of: dict[str, str] = {}
    digits_are_keys = normalisation.keeps_digits()
    duplicates: Counter[str] = Counter()
    rows = blank = 0
    add = keys.add
    with table.rows() as reader:
        try:
            for row in reader:
                if len(row) != width:
                    fixed = bad.fix(row, reader.line_num)
                    if fixed is None:
                        continue
                    row = fixed
                rows += 1
                raw = row[id_index]
                key = raw if digits_are_keys and raw.isdigit() else normalise(raw)
                if not key:
                    blank += 1
                elif key in keys:
                    duplicates[key] += 1
                else:
                    add(key)
                    if key != raw:
                        raw_of[key] = raw
        except csv.Error as exc:
            raise _csv_error(table, reader, exc) from None
    bad.check()
    return _Purchases(keys=keys, raw_of=raw_of, duplicates=duplicates, rows=rows, blank=blank, bad=bad)


def _match_orders(
    table: Table,
    id_index: int,
    status_index: int | None,
    connectif: _Purchases,
    *,
    options: Options,
    sink: LostSink | None,
    purchases: FileSummary,
) -> Reconciliation:
    width = len(table.header)
    normalise = make_normaliser(options.normalisation)
    bad = _BadRows(table=table, skip=options.skip_bad_rows, width=width)
    specs = choose_columns(table.header, _sample(table), skip={id_index}, status=status_index)
    tallies = Tallies(specs)
    # Local names: attribute look-ups in a million-row loop add up.
    tally_key, combos, lost_combos = tallies.key, tallies.orders, tallies.lost
    day, day_orders, day_lost = tallies.day, tallies.day_orders, tallies.day_lost
    day_key = day.day_key if day is not None and day.day_key is not None else iso_day_key
    day_index = day.index if day is not None else -1
    iso_day = day_key is iso_day_key
    digits_are_keys = options.normalisation.keeps_digits()
    if status_index is None:
        status_index = -1
    pkeys, raw_of = connectif.keys, connectif.raw_of
    seen: set[str] = set()
    see = seen.add
    duplicates: Counter[str] = Counter()
    first_raw: dict[str, str] = {}
    kinds = _StatusKinds()
    excluded: Counter[str] = Counter()
    excluded_missing: Counter[str] = Counter()
    lost_keys: set[str] = set()
    lost_examples: list[LostOrder] = []
    normalised_examples: list[IdPair] = []
    blank = sales = renormalised = 0
    sale = StatusKind.SALE
    with table.rows() as reader:
        try:
            for row in reader:
                if len(row) != width:
                    fixed = bad.fix(row, reader.line_num)
                    if fixed is None:
                        continue
                    row = fixed
                raw = row[id_index]
                key = raw if digits_are_keys and raw.isdigit() else normalise(raw)
                if not key:
                    blank += 1
                    continue
                if key in seen:
                    # One row per product line is common: the order counts once, on its first row.
                    duplicates[key] += 1
                    if key not in first_raw:
                        first_raw[key] = raw
                    continue
                see(key)
                found = key in pkeys
                if status_index >= 0:
                    status = row[status_index]
                    kind = kinds[status]
                    if kind is not sale:
                        excluded[status] += 1
                        if not found:
                            excluded_missing[status] += 1
                        continue
                sales += 1
                if found:
                    if raw != raw_of.get(key, key):
                        renormalised += 1
                        if len(normalised_examples) < EXAMPLES:
                            normalised_examples.append(
                                IdPair(order_id=raw, purchase_id=raw_of.get(key, key), key=key)
                            )
                else:
                    lost_keys.add(key)
                    if sink is not None:
                        sink.add(reader.line_num, key, row)
                    if len(lost_examples) < LOST_EXAMPLES:
                        lost_examples.append(LostOrder(line=reader.line_num, id=raw, values=tuple(row)))
                combo = tally_key(row)
                combos[combo] = combos.get(combo, 0) + 1
                if not found:
                    lost_combos[combo] = lost_combos.get(combo, 0) + 1
                if day_index >= 0:
                    value = row[day_index][:10] if iso_day else day_key(row[day_index])
                    day_orders[value] = day_orders.get(value, 0) + 1
                    if not found:
                        day_lost[value] = day_lost.get(value, 0) + 1
                if not sales & PRUNE_MASK:
                    tallies.prune()
                    tally_key, combos, lost_combos = tallies.key, tallies.orders, tallies.lost
        except csv.Error as exc:
            raise _csv_error(table, reader, exc) from None
    bad.check()
    # Every row ended as exactly one of these; counting them here keeps the loop lean.
    rows = blank + sales + sum(excluded.values()) + sum(duplicates.values())
    if rows == 0:
        raise InputError(
            [
                table.problem(
                    line=table.header_line,
                    key="",
                    message="the file has a header but no orders",
                    tip="export the orders again, with the period you want to check",
                )
            ]
        )
    lost = len(lost_keys)
    unknown = pkeys - seen
    statuses = _status_counts(excluded, excluded_missing, kinds)
    return Reconciliation(
        orders_file=_summary(table, id_index, rows, blank, bad),
        purchases_file=purchases,
        normalisation=options.normalisation,
        status_column=table.header[status_index] if status_index >= 0 else None,
        orders=len(seen),
        sales=sales,
        matched=sales - lost,
        lost=lost,
        not_a_sale=statuses,
        matched_after_normalising=renormalised,
        normalised_examples=tuple(normalised_examples),
        unknown_purchases=len(unknown),
        unknown_examples=tuple(raw_of.get(k, k) for k in heapq.nsmallest(UNKNOWN_EXAMPLES, unknown)),
        duplicate_orders=_duplicates(duplicates, first_raw),
        duplicate_purchases=_duplicates(connectif.duplicates, raw_of),
        breakdowns=tallies.finish(orders=sales, lost=lost),
        lost_examples=tuple(lost_examples),
        near_misses=near_misses(lost_keys, unknown),
    )


class _StatusKinds(dict[str, StatusKind]):
    """Each status string classified once, on first sight."""

    def __missing__(self, status: str) -> StatusKind:
        kind = self[status] = classify_status(status)
        return kind


def _status_counts(
    excluded: Counter[str], missing: Counter[str], kinds: dict[str, StatusKind]
) -> tuple[StatusCount, ...]:
    return tuple(
        StatusCount(status=status, kind=kinds[status].value, orders=n, missing=missing[status])
        for status, n in excluded.most_common()
    )


def _duplicates(counts: Counter[str], raw_of: dict[str, str]) -> Duplicates:
    # counts holds the extra occurrences; an id seen twice has one extra.
    return Duplicates(
        extra_rows=sum(counts.values()),
        ids=len(counts),
        examples=tuple(
            Duplicate(id=raw_of.get(key, key), count=extra + 1) for key, extra in counts.most_common(EXAMPLES)
        ),
    )


def _summary(table: Table, id_index: int, rows: int, blank: int, bad: _BadRows) -> FileSummary:
    return FileSummary(
        path=table.label,
        encoding=table.fmt.encoding_label,
        delimiter=table.fmt.delimiter_label,
        columns=table.header,
        id_column=table.header[id_index],
        header_line=table.header_line,
        rows=rows,
        blank_ids=blank,
        bad_rows=bad.count,
        bad_lines=tuple(bad.lines),
    )
