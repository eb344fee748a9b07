"""`checkout-auditor report RESULTS.json [--out DIR]`."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from auditor.cli.report import report
from auditor.errors import AuditorError
from auditor.results import write_results

from .htmltree import parse
from .sample import mixed_run, write_screenshots


@click.group()
def cli() -> None:
    """A stand-in for the real command group."""


cli.add_command(report)


def test_rerenders_beside_the_results(tmp_path: Path) -> None:
    write_results(mixed_run(), tmp_path / "results.json")
    write_screenshots(tmp_path)
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "results.json")])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'report.html'}" in result.output
    doc = parse((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert len(doc.find_all("tr", cls="scenario-row")) == 6
    assert (tmp_path / "junit.xml").read_text(encoding="utf-8").count("<testcase ") == 6


def test_out_elsewhere_still_finds_the_screenshots(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    write_results(mixed_run(), run_dir / "results.json")
    write_screenshots(run_dir)
    result = CliRunner().invoke(cli, ["report", str(run_dir), "--out", str(tmp_path / "elsewhere")])
    assert result.exit_code == 0, result.output
    doc = parse((tmp_path / "elsewhere" / "report.html").read_text(encoding="utf-8"))
    assert doc.find("figure", cls="at-failure").find("img").attrs["src"].startswith("data:image/png;base64,")
    assert (tmp_path / "elsewhere" / "junit.xml").is_file()
    assert sorted(p.name for p in run_dir.iterdir()) == ["crashed", "results.json"]


@pytest.mark.parametrize(
    ("content", "headline"),
    [
        (None, "no such file"),
        ("{oops", "not a results.json"),
        ('{"version": 1}', "not a results.json of this"),
    ],
)
def test_bad_input_is_a_tool_error(tmp_path: Path, content: str | None, headline: str) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(cli, ["report", str(path)])
    assert isinstance(result.exception, AuditorError)
    assert headline in result.exception.headline
    assert not (tmp_path / "report.html").exists()


def test_unwritable_out_is_a_tool_error(tmp_path: Path) -> None:
    write_results(mixed_run(), tmp_path / "results.json")
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(
        cli, ["report", str(tmp_path / "results.json"), "--out", str(tmp_path / "file" / "x")]
    )
    assert isinstance(result.exception, AuditorError)
    assert "cannot write the report" in result.exception.headline
