"""Loss rate per value of the order columns with few distinct values, counted in one pass."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

from auditor.reconcile.model import Breakdown, ColumnRole, Group
from auditor.reconcile.readers import column_key

MAX_VALUES = 20  # more distinct values than this is an id, an amount or free text, not a category
MAX_DAYS = 92  # a quarter of daily rows is still readable; longer exports skip the day breakdown
SMALL_GROUP = 10  # fewer orders than this: shown, but ranked after the groups that can be trusted

# No leading space allowed: the hot loop slices the first ten characters as they are.
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DMY_DAY = re.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:[ T]|$)")
# "Method" alone is not enough: "shipping method" / "método de envío" are not about payment.
_PAYMENT_WORDS = ("payment", "pago", "gateway", "pasarela", "tender")
_NOT_PAYMENT_WORDS = ("status", "estado", "date", "fecha", "id", "state")

DayKey = Callable[[str], str]


def iso_day_key(value: str) -> str:
    """The day of an ISO date or datetime."""
    return value[:10]


def _dmy_day(value: str) -> str:
    return value.strip().split(" ", 1)[0].split("T", 1)[0]


@dataclass(frozen=True, kw_only=True)
class ColumnSpec:
    """An order column worth counting, and how to read it."""

    index: int
    name: str
    role: ColumnRole
    limit: int
    day_key: DayKey | None = None


def column_role(name: str) -> ColumnRole:
    """PAYMENT for columns named like a payment method; OTHER otherwise."""
    words = column_key(name).split()
    if any(w.startswith(_PAYMENT_WORDS) for w in words) and not any(
        w.startswith(_NOT_PAYMENT_WORDS) for w in words
    ):
        return ColumnRole.PAYMENT
    return ColumnRole.OTHER


def choose_columns(
    header: Sequence[str], sample: Sequence[list[str]], *, skip: set[int], status: int | None
) -> list[ColumnSpec]:
    """Columns that look categorical (or hold dates) in the first rows; the full pass confirms."""
    specs: list[ColumnSpec] = []
    for index, name in enumerate(header):
        if index in skip:
            continue
        values = [row[index] for row in sample if index < len(row) and row[index].strip()]
        label = name or f"column {index + 1}"
        day_key = _day_key(values)
        if day_key is not None:
            specs.append(
                ColumnSpec(
                    index=index,
                    name=f"day ({label})",
                    role=ColumnRole.DAY,
                    limit=MAX_DAYS,
                    day_key=day_key,
                )
            )
        elif len(set(values)) <= MAX_VALUES:
            role = ColumnRole.STATUS if index == status else column_role(label)
            specs.append(ColumnSpec(index=index, name=label, role=role, limit=MAX_VALUES))
    return specs


def _day_key(values: Sequence[str]) -> DayKey | None:
    if not values:
        return None
    # Most values must be dates: a free-text column with the odd date in it is not a date column.
    for pattern, key in ((_ISO_DAY, iso_day_key), (_DMY_DAY, _dmy_day)):
        if sum(1 for v in values if pattern.match(v)) >= 0.8 * len(values):
            return key
    return None


Combo = tuple[str, ...]
PRUNE_COMBOS = 4096  # below this many value combinations, pruning is not worth a look


def _getter(indices: Sequence[int]) -> Callable[[list[str]], Combo]:
    if len(indices) == 1:
        (only,) = indices
        return lambda row: (row[only],)
    if not indices:
        return lambda row: ()
    return itemgetter(*indices)


class Tallies:
    """The counts of one pass over the orders: value combinations of the categorical columns.

    Counting the tuple of all categorical values per order is one dict update per row instead of
    one per column; the per-column breakdowns are summed from the combinations at the end.
    """

    def __init__(self, specs: Sequence[ColumnSpec]):
        self.plain = [s for s in specs if s.day_key is None]
        # One day breakdown is enough to see a bad release or a period mismatch; the first date
        # column is usually the order date.
        self.day = next((s for s in specs if s.day_key is not None), None)
        self.key = _getter([s.index for s in self.plain])
        self.orders: dict[Combo, int] = {}
        self.lost: dict[Combo, int] = {}
        self.day_orders: dict[str, int] = {}
        self.day_lost: dict[str, int] = {}

    def prune(self) -> None:
        """Stop counting columns that turned out to have too many values (bounds memory)."""
        if len(self.orders) <= PRUNE_COMBOS:
            return
        distinct = [set() for _ in self.plain]  # type: list[set[str]]
        for combo in self.orders:
            for seen, value in zip(distinct, combo, strict=True):
                seen.add(value)
        # Raw values can differ only by spaces, so allow slack; finish() applies the exact limit.
        keep = [
            i
            for i, (s, seen) in enumerate(zip(self.plain, distinct, strict=True))
            if len(seen) <= 4 * s.limit
        ]
        if len(keep) == len(self.plain):
            return
        self.plain = [self.plain[i] for i in keep]
        self.key = _getter([s.index for s in self.plain])
        self.orders = _project(self.orders, keep)
        self.lost = _project(self.lost, keep)

    def finish(self, *, orders: int, lost: int) -> tuple[Breakdown, ...]:
        """Breakdowns for the columns that stayed categorical, groups ranked by loss rate."""
        columns: list[tuple[ColumnSpec, dict[str, int], dict[str, int]]] = []
        for position, spec in enumerate(self.plain):
            columns.append((spec, _marginal(self.orders, position), _marginal(self.lost, position)))
        if self.day is not None:
            columns.append((self.day, self.day_orders, self.day_lost))
        result = []
        for spec, spec_orders, spec_lost in columns:
            merged_orders = _merge(spec_orders, spec.day_key)
            merged_lost = _merge(spec_lost, spec.day_key)
            distinct = len(merged_orders)
            # One value says nothing; as many values as orders is an id, not a category.
            if distinct < 2 or distinct > spec.limit:
                continue
            if spec.role is not ColumnRole.DAY and distinct * 2 > orders:
                continue
            groups = [
                _group(value, n, merged_lost.get(value, 0), orders, lost)
                for value, n in merged_orders.items()
            ]
            groups.sort(key=lambda g: (g.small, -g.rate, -g.orders, g.value))
            result.append(Breakdown(column=spec.name, role=spec.role, groups=tuple(groups)))
        return tuple(result)


def _project(counts: dict[Combo, int], keep: list[int]) -> dict[Combo, int]:
    projected: dict[Combo, int] = {}
    for combo, n in counts.items():
        key = tuple(combo[i] for i in keep)
        projected[key] = projected.get(key, 0) + n
    return projected


def _marginal(counts: dict[Combo, int], position: int) -> dict[str, int]:
    marginal: dict[str, int] = {}
    for combo, n in counts.items():
        value = combo[position]
        marginal[value] = marginal.get(value, 0) + n
    return marginal


def _merge(counts: dict[str, int], day_key: DayKey | None) -> dict[str, int]:
    merged: dict[str, int] = {}
    dayfirst = True
    if day_key is _dmy_day:
        # Spanish and most European exports write day first; a month above 12 proves otherwise.
        dayfirst = not any(_second_part(day_key(v)) > 12 for v in counts)
    for value, n in counts.items():
        if day_key is None:
            shown = value.strip() or "(blank)"
        else:
            shown = _iso(day_key(value), dayfirst) if day_key is _dmy_day else day_key(value)
        shown = shown or "(blank)"
        merged[shown] = merged.get(shown, 0) + n
    return merged


def _second_part(text: str) -> int:
    try:
        return _dmy_parts(text)[1]
    except (ValueError, IndexError):
        return 0


def _dmy_parts(text: str) -> tuple[int, int, int]:
    parts = [int(p) for p in re.split(r"[/.-]", text)]
    return parts[0], parts[1], parts[2]


def _iso(text: str, dayfirst: bool) -> str:
    try:
        a, b, year = _dmy_parts(text)
        day, month = (a, b) if dayfirst else (b, a)
        return date(year + 2000 if year < 100 else year, month, day).isoformat()
    except (ValueError, IndexError):
        return text


def _group(value: str, n: int, lost: int, total: int, total_lost: int) -> Group:
    rate = lost / n if n else 0.0
    return Group(
        value=value,
        orders=n,
        lost=lost,
        rate=rate,
        z=z_score(lost, n, total_lost, total),
        small=n < SMALL_GROUP,
    )


def z_score(lost: int, n: int, total_lost: int, total: int) -> float:
    """Two-proportion z-score of a group's loss rate against the rest of the orders."""
    rest = total - n
    if n == 0 or rest == 0:
        return 0.0
    pooled = total_lost / total
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / rest))
    if spread == 0:
        return 0.0
    return (lost / n - (total_lost - lost) / rest) / spread


def rest_rate(group: Group, *, orders: int, lost: int) -> float:
    """The loss rate of every order outside this group."""
    rest = orders - group.orders
    return (lost - group.lost) / rest if rest else 0.0
