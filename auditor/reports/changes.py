"""The report's "changed since" panel: the baseline's changes as plain values for _changes.html.j2."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.compare import counts, scenario_key
from auditor.reports import view
from auditor.results import ChangeKind, NotRun, RunResult

LABELS = {
    ChangeKind.NEW_FAILURE: "new failure",
    ChangeKind.STILL_FAILING: "still failing",
    ChangeKind.FIXED: "fixed",
    ChangeKind.NEW: "new",
    ChangeKind.UNCHANGED: "unchanged",
}


@dataclass(frozen=True, kw_only=True)
class ChangeRow:
    """One scenario whose verdict moved (or that is new), linked to its section of the report."""

    kind: str
    label: str
    name: str
    file: str
    was: str | None
    now: str
    anchor: str | None


@dataclass(frozen=True, kw_only=True)
class ChangesView:
    """What the panel lays out."""

    file: str
    tally: list[tuple[str, str, int]]  # (kind, label, count), in reading order, counts above zero
    rows: list[ChangeRow]  # every change but `unchanged`, worst first
    unchanged: int
    not_run: list[NotRun]


def changes_view(run: RunResult) -> ChangesView | None:
    """The panel's values; None when the run was not compared with a baseline."""
    baseline = run.baseline
    if baseline is None:
        return None
    anchors = {
        scenario_key(s.file, s.name): a
        for s, a in zip(run.scenarios, view.anchor_ids(run.scenarios), strict=True)
    }
    rows = [
        ChangeRow(
            kind=c.change.value,
            label=LABELS[c.change],
            name=c.name,
            file=c.file,
            was=c.was.value if c.was else None,
            now=c.now.value,
            anchor=anchors.get(scenario_key(c.file, c.name)),
        )
        for c in baseline.changes
        if c.change is not ChangeKind.UNCHANGED
    ]
    tally = [(k.value, LABELS[k], n) for k, n in counts(baseline).items() if n]
    return ChangesView(
        file=baseline.file,
        tally=tally,
        rows=rows,
        unchanged=counts(baseline)[ChangeKind.UNCHANGED],
        not_run=baseline.not_run,
    )
