"""The report's matrix panel: each matrix's combinations grouped under its name, as a grid of verdicts.

A matrix with one list is one row; with two, the first list's values are the rows and the second's the
columns; with more, each row is a combination of every list but the last. Values keep the order the
run met them in, which is the order the scenario file wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.errors import ErrorKind
from auditor.reports import view
from auditor.results import RunResult, ScenarioResult, Status
from auditor.scenario.refs import without_combination

MISSING = "—"  # a combination (from `include`) that has no value for this list
# A combination Ctrl-C kept from finishing has no verdict: its cell says so, not "error".
UNFINISHED = {ErrorKind.NOT_RUN: "not-run", ErrorKind.INTERRUPTED: "interrupted"}


@dataclass(frozen=True, kw_only=True)
class MatrixCell:
    """One combination: its verdict, and the section of the report that tells its story."""

    name: str
    anchor: str
    status: str  # pass | fail | error, or not-run | interrupted (no verdict: the run was stopped)
    flaky: bool
    warnings: int  # checks that warned
    reason: str | None = None  # why a not-run or interrupted combination has no verdict


@dataclass(frozen=True, kw_only=True)
class MatrixRow:
    """One row of the grid: its labels, and the combinations under each column (usually one)."""

    labels: list[str]  # one per row list, in order
    cells: list[list[MatrixCell]]  # one entry per column; empty where no combination ran

    @property
    def heading(self) -> str:
        """The row's labels as the grid's row header."""
        return ", ".join(self.labels)


@dataclass(frozen=True, kw_only=True)
class MatrixGroup:
    """One matrix: the scenario's name, its lists, and its grid."""

    name: str
    file: str
    row_names: list[str]  # the lists whose values label the rows
    column_name: str | None  # the list whose values label the columns; None with a single list
    columns: list[str]
    rows: list[MatrixRow]
    tally: list[tuple[str, int]]  # (status, count) of the verdicts (pass, fail, error), counts above zero
    unfinished: list[tuple[str, int]]  # (not-run | interrupted, count): combinations with no verdict

    @property
    def combinations(self) -> int:
        """How many combinations the run had, finished or not."""
        return sum(n for _, n in self.tally) + sum(n for _, n in self.unfinished)


def base_name(scenario: ScenarioResult) -> str:
    """The scenario's name without the ` [name=label, …]` its combination adds."""
    return without_combination(scenario.name, scenario.matrix)


def matrix_groups(run: RunResult) -> list[MatrixGroup]:
    """The run's matrices in the order they first appear; empty when no scenario is a combination."""
    members: dict[str, list[tuple[ScenarioResult, str]]] = {}
    for scenario, anchor in zip(run.scenarios, view.anchor_ids(run.scenarios), strict=True):
        if scenario.matrix:
            members.setdefault(scenario.file, []).append((scenario, anchor))
    return [_group(file, found) for file, found in members.items()]


def _group(file: str, found: list[tuple[ScenarioResult, str]]) -> MatrixGroup:
    names: list[str] = list(dict.fromkeys(k for s, _ in found for k in s.matrix))
    values: dict[str, list[str]] = {n: [] for n in names}
    for scenario, _ in found:
        for name in names:
            label = scenario.matrix.get(name, MISSING)
            if label not in values[name]:
                values[name].append(label)
    column_name = names[-1] if len(names) > 1 else None
    row_names = names[:-1] if column_name else names
    columns = values[column_name] if column_name else [""]
    rows: dict[tuple[str, ...], list[list[MatrixCell]]] = {}
    # rows in the order of the row lists' values (not of the first combination met)
    for scenario, anchor in sorted(found, key=lambda item: _position(item[0], row_names, values)):
        key = tuple(scenario.matrix.get(n, MISSING) for n in row_names)
        cells = rows.setdefault(key, [[] for _ in columns])
        column = columns.index(scenario.matrix.get(column_name, MISSING)) if column_name else 0
        status = _status(scenario)
        cells[column].append(
            MatrixCell(
                name=scenario.name,
                anchor=anchor,
                status=status,
                flaky=scenario.flaky,
                warnings=sum(1 for c in scenario.checks if c.status is Status.WARN),
                reason=_reason(scenario, status) if status in UNFINISHED.values() else None,
            )
        )
    counts: dict[str, int] = {}
    for scenario, _ in found:
        counts[_status(scenario)] = counts.get(_status(scenario), 0) + 1
    return MatrixGroup(
        name=base_name(found[0][0]),
        file=file,
        row_names=row_names,
        column_name=column_name,
        columns=columns,
        rows=[MatrixRow(labels=list(key), cells=cells) for key, cells in rows.items()],
        tally=[(status, counts[status]) for status in ("pass", "fail", "error") if counts.get(status)],
        unfinished=[(status, counts[status]) for status in UNFINISHED.values() if counts.get(status)],
    )


def _status(scenario: ScenarioResult) -> str:
    """The cell's status: the verdict, or why there is none (never started, stopped while it ran)."""
    kind = scenario.error_kind
    return UNFINISHED[kind] if kind is not None and kind in UNFINISHED else scenario.status.value


def _reason(scenario: ScenarioResult, status: str) -> str | None:
    """The error's words without the prefix the cell's label already says ("not run: …")."""
    if not scenario.error:
        return None
    return scenario.error.removeprefix(status.replace("-", " ") + ": ")


def _position(scenario: ScenarioResult, names: list[str], values: dict[str, list[str]]) -> tuple[Any, ...]:
    return tuple(values[n].index(scenario.matrix.get(n, MISSING)) for n in names)
