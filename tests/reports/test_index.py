"""reports/index.html and write_outputs: the history of runs."""

from __future__ import annotations

from pathlib import Path

from auditor.reports import write_outputs
from auditor.reports.index import refresh_index
from auditor.results import RunResult

from .htmltree import parse
from .sample import HOSTILE, mixed_run, scenario


def run_at(started: str, *statuses: str) -> RunResult:
    return RunResult(
        started=started,
        finished=started,
        scenarios=[scenario(f"s{i}", status) for i, status in enumerate(statuses)],
    )


def test_write_outputs_writes_every_file_and_the_index(tmp_path: Path) -> None:
    paths = write_outputs(mixed_run(), tmp_path / "reports" / "run-1")
    folder = tmp_path / "reports" / "run-1"
    assert (paths.results, paths.html, paths.junit) == (
        folder / "results.json",
        folder / "report.html",
        folder / "junit.xml",
    )
    assert paths.index == (tmp_path / "reports" / "index.html").resolve()
    assert paths.summary == folder / "summary.md"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["junit.xml", "report.html", "results.json", "summary.md"]
    doc = parse(paths.index.read_text(encoding="utf-8"))
    assert [a.attrs["href"] for a in doc.find("table", cls="runs").find_all("a")] == ["run-1/report.html"]
    assert {a.attrs["href"].split("#")[0] for a in doc.find_all("a")} == {"run-1/report.html"}


def test_runs_newest_first_with_counts_and_relative_links(tmp_path: Path) -> None:
    write_outputs(run_at("2026-01-01T10:00:00+00:00", "pass", "fail"), tmp_path / "old")
    write_outputs(run_at("2026-03-01T10:00:00+01:00", "pass", "error", "pass"), tmp_path / "new run")
    write_outputs(run_at("2026-02-01T10:00:00", "pass"), tmp_path / "naive-time")
    (tmp_path / "not-a-run").mkdir()
    doc = parse(refresh_index(tmp_path).read_text(encoding="utf-8"))
    rows = doc.find_all("tr", cls="run")
    assert [r.attrs["data-folder"] for r in rows] == ["new run", "naive-time", "old"]
    assert rows[0].find("a").attrs["href"] == "new%20run/report.html"
    counts = {c.attrs["data-count"]: c.words() for c in rows[0].find_all("td") if "data-count" in c.attrs}
    assert counts == {"pass": "2", "fail": "0", "error": "1", "flaky": "0"}
    assert "Scenario s1" in rows[0].words()
    assert [r.attrs["data-problem"] for r in rows] == ["yes", "no", "yes"]


def test_a_broken_run_is_listed_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "results.json").write_text("{not json")
    write_outputs(run_at("2026-01-01T10:00:00+00:00", "pass"), tmp_path / "good")
    doc = parse((tmp_path / "index.html").read_text(encoding="utf-8"))
    rows = {r.attrs["data-folder"]: r for r in doc.find_all("tr", cls="run")}
    assert set(rows) == {"broken", "good"}
    assert "UNREADABLE" in rows["broken"].words()
    assert "not a results.json" in rows["broken"].words()
    assert "(no report)" in rows["broken"].words()


def test_index_is_self_contained_and_escapes_names(tmp_path: Path) -> None:
    run = RunResult(
        started="2026-01-01T10:00:00+00:00",
        finished="x",
        scenarios=[scenario("bad", "fail", name=HOSTILE[0])],
    )
    write_outputs(run, tmp_path / "r")
    doc = parse((tmp_path / "index.html").read_text(encoding="utf-8"))
    policy = doc.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    assert not doc.find_all("script")
    assert HOSTILE[0] in doc.text()


def test_empty_folder(tmp_path: Path) -> None:
    doc = parse(refresh_index(tmp_path).read_text(encoding="utf-8"))
    assert "No runs yet." in doc.words()


def test_someone_elses_index_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>my own page</h1>")
    paths = write_outputs(run_at("2026-01-01T10:00:00+00:00", "pass"), tmp_path / "run")
    assert paths.index is None
    assert (tmp_path / "index.html").read_text() == "<h1>my own page</h1>"


def test_our_index_is_refreshed(tmp_path: Path) -> None:
    write_outputs(run_at("2026-01-01T10:00:00+00:00", "pass"), tmp_path / "a")
    paths = write_outputs(run_at("2026-01-02T10:00:00+00:00", "fail"), tmp_path / "b")
    assert paths.index == (tmp_path / "index.html").resolve()
    doc = parse(paths.index.read_text(encoding="utf-8"))
    assert [r.attrs["data-folder"] for r in doc.find_all("tr", cls="run")] == ["b", "a"]
