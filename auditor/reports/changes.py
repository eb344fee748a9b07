"""The report's "changed since" panel: the baseline's changes as plain values for _changes.html.j2."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.compare import counts, scenario_key
from auditor.reports import view
from auditor.results import Baseline, ChangeKind, NotCompared, NotRun, RunResult

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
    # merge: parts run without --baseline whose scenarios were compared with the other parts' baseline,
    # and the scenarios of such parts that could not be (the other parts used different baselines)
    compared_parts: list[str]
    not_compared_parts: list[str]
    not_compared: list[NotCompared]


def parts_without_baseline(baseline: Baseline) -> tuple[list[str], list[str]]:
    """A merge's parts run without --baseline: (those compared all the same, those left not compared)."""
    left = list(dict.fromkeys(n.part for n in baseline.not_compared))
    return [p for p in baseline.parts_without_baseline if p not in left], left


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
    compared, left = parts_without_baseline(baseline)
    return ChangesView(
        file=baseline.file,
        tally=tally,
        rows=rows,
        unchanged=counts(baseline)[ChangeKind.UNCHANGED],
        not_run=baseline.not_run,
        compared_parts=compared,
        not_compared_parts=left,
        not_compared=baseline.not_compared,
    )
