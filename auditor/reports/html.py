"""report.html: one self-contained file drawn from a RunResult by one autoescaped Jinja template."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from auditor import __version__
from auditor.cache import template_cache
from auditor.observation import StepRecord
from auditor.reports import view
from auditor.reports.changes import changes_view
from auditor.reports.images import DEFAULT_BUDGET_BYTES, InlineImage, inline_screenshots
from auditor.reports.matrix import matrix_groups
from auditor.results import CheckResult, RunResult, ScenarioResult, Status, write_atomic

TEMPLATES = Path(__file__).parent / "templates"
REPORT_NAME = "report.html"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one Jinja environment: autoescape everywhere, undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        bytecode_cache=template_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ms"] = view.fmt_ms
    env.filters["return_ms"] = view.fmt_return_ms
    env.filters["time"] = view.fmt_time
    env.filters["artefact_links"] = view.artefact_links
    env.filters["pretty"] = view.pretty_json
    env.filters["dotted"] = dotted
    return env


_BREAK_AFTER_DOT = Markup(".<wbr>")


def dotted(check_id: str) -> Markup:
    """A check id that may break after its dots (connectif.<wbr>purchase_sent); each part is escaped."""
    return _BREAK_AFTER_DOT.join(check_id.split("."))  # Markup.join escapes every part


@lru_cache(maxsize=4)
def inline_script(name: str) -> tuple[Markup, str]:
    """Our own script (never data) and its CSP hash, so nothing else can run in the report."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"'sha256-{digest}'"  # a file of this package, never data


def csp(script_hash: str | None) -> str:
    """Nothing may be fetched; only inline styles, data: images and our one script (if any)."""
    scripts = script_hash or "'none'"
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src {scripts}; base-uri 'none'; form-action 'none'"
    )


@dataclass(frozen=True, kw_only=True)
class CheckView:
    """A check with its evidence as text."""

    check: CheckResult
    anchor: str  # the check's own id in the page, linked from the summary table
    evidence: list[view.EvidenceItem]


@dataclass(frozen=True, kw_only=True)
class StepView:
    """A step row."""

    step: StepRecord
    duration_ms: int


@dataclass(frozen=True, kw_only=True)
class ScenarioView:
    """Everything the template shows about one scenario."""

    s: ScenarioResult
    anchor: str
    problem: bool
    failing: list[CheckView]
    warnings: list[str]
    return_short: str
    return_sentence: str
    not_judged: bool  # stopped in error before the return could be seen
    lane: view.Lane | None
    purchase: view.PurchaseComparison | None
    api: view.ApiRecord | None
    pages: list[view.PageRequests]
    journey: list[view.JourneyMark]  # the strip under the timeline: one mark per shop page
    checks: list[CheckView]
    steps: list[StepView]
    shots: list[InlineImage]
    failure_shots: list[InlineImage]


def scenario_views(run: RunResult, images: list[list[InlineImage]]) -> list[ScenarioView]:
    """The per-scenario values the template lays out."""
    views: list[ScenarioView] = []
    for scenario, anchor, shots in zip(run.scenarios, view.anchor_ids(run.scenarios), images, strict=True):
        checks = [
            CheckView(check=c, anchor=f"{anchor}-c{number}", evidence=view.evidence_items(c.evidence))
            for number, c in enumerate(scenario.checks, start=1)
        ]
        not_judged = view.return_not_judged(scenario)
        lane = view.timeline_lane(scenario)
        views.append(
            ScenarioView(
                s=scenario,
                anchor=anchor,
                problem=view.is_problem(scenario),
                failing=[c for c in checks if c.check.status is Status.FAIL],
                warnings=[c.id for c in scenario.checks if c.status is Status.WARN],
                return_short=view.return_short(scenario.payment, not_judged=not_judged),
                return_sentence=view.return_sentence(scenario.payment, not_judged=not_judged),
                not_judged=not_judged,
                lane=lane,
                purchase=view.purchase_comparison(scenario),
                api=view.connectif_api(scenario),
                pages=view.connectif_pages(scenario, lane),
                journey=view.journey_strip(scenario),
                checks=checks,
                steps=[
                    StepView(step=st, duration_ms=max(0, st.ended_ms - st.started_ms))
                    for st in scenario.steps
                ],
                shots=[i for i in shots if not i.at_failure],
                failure_shots=[i for i in shots if i.at_failure],
            )
        )
    return views


def render_html(
    run: RunResult,
    out_dir: Path,
    *,
    assets_dir: Path | None = None,
    image_budget_bytes: int = DEFAULT_BUDGET_BYTES,
    panels: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> str:
    """The report's HTML; screenshots are read from assets_dir (default: out_dir).

    panels: (template, values) pairs shown above the scenarios table, in order (e.g. a comparison with
    an earlier run); each template sees the report's values plus its own.
    """
    images = inline_screenshots(run, assets_dir or out_dir, image_budget_bytes)
    script, script_hash = inline_script("report.js")
    changes = changes_view(run)  # the "changed since" panel, first when the run has a baseline
    matrices = matrix_groups(run)  # then each matrix's grid of verdicts, when the run has one
    panels = [
        *([("_changes.html.j2", {})] if changes else []),
        *([("_matrix.html.j2", {})] if matrices else []),
        *panels,
    ]
    context: dict[str, Any] = {
        "run": run,
        "counts": view.summary_counts(run),
        "interruption": view.interruption(run),
        "run_ms": view.run_duration_ms(run),
        "scenarios": scenario_views(run, images),
        "changes": changes,
        "matrices": matrices,
        "skipped_images": sum(1 for shots in images for i in shots if i.data_uri is None),
        "script": script,
        "csp": csp(script_hash),
        "version": __version__,
        "panels": [(name, dict(values)) for name, values in panels],
    }
    return environment().get_template("report.html.j2").render(context)


def write_html(
    run: RunResult,
    out_dir: Path,
    *,
    assets_dir: Path | None = None,
    image_budget_bytes: int = DEFAULT_BUDGET_BYTES,
    panels: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> Path:
    """Write out_dir/report.html atomically and return its path."""
    path = out_dir / REPORT_NAME
    html = render_html(
        run, out_dir, assets_dir=assets_dir, image_budget_bytes=image_budget_bytes, panels=panels
    )
    write_atomic(path, html)
    return path
