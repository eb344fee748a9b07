"""`checkout-auditor report RESULTS.json [--out DIR]`: re-render report.html, junit.xml and summary.md."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.errors import AuditorError
from auditor.reports import JUNIT_NAME
from auditor.reports.html import write_html
from auditor.reports.junit import write_junit
from auditor.reports.summary import write_summary
from auditor.results import read_results


@click.command("report")
@click.argument("results", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for report.html, junit.xml and summary.md (default: the results file's folder).",
)
def report(results: Path, out_dir: Path | None) -> None:
    """Re-render report.html, junit.xml and summary.md from a run's results.json."""
    if results.is_dir():
        # A run folder is as good as its results.json: that is what people have at hand.
        results = results / "results.json"
    run = read_results(results)
    target = out_dir if out_dir is not None else results.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
        # Screenshots are named relative to the folder of the results file, wherever the report goes.
        html = write_html(run, target, assets_dir=results.parent)
        junit = write_junit(run, target / JUNIT_NAME)
        summary = write_summary(run, target)
    except OSError as exc:
        raise AuditorError(
            f"{target}: cannot write the report ({exc.strerror or exc})",
            tip="choose another folder with --out",
        ) from None
    click.echo(f"wrote {html}")
    click.echo(f"wrote {junit}")
    click.echo(f"wrote {summary}")
