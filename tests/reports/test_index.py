"""reports/index.html and write_outputs: the history of runs."""

from __future__ import annotations

import os
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


def history_of(tmp_path: Path, plan: list[tuple[str, list[str]]]) -> None:
    """One run folder per (day, statuses); scenario sN has statuses[N] on that day ('-' = not run)."""
    for day, statuses in plan:
        scenarios = [scenario(f"s{i}", st) for i, st in enumerate(statuses) if st != "-"]
        run = RunResult(
            started=f"2026-04-{day}T05:30:00+00:00",
            finished=f"2026-04-{day}T05:31:00+00:00",
            scenarios=scenarios,
        )
        write_outputs(run, tmp_path / f"nightly-{day}")


def test_the_chart_has_one_bar_per_run_oldest_left_heights_to_scale(tmp_path: Path) -> None:
    history_of(
        tmp_path, [("03", ["pass", "fail", "error", "pass"]), ("01", ["pass", "pass"]), ("02", ["fail"])]
    )
    doc = parse(refresh_index(tmp_path).read_text(encoding="utf-8"))
    svg = doc.find("svg", cls="chart-svg")
    bars = svg.find_all("g", cls="bar")
    assert [b.attrs["data-folder"] for b in bars] == ["nightly-01", "nightly-02", "nightly-03"]
    assert svg.attrs["viewbox"] == "0 0 30 100" and svg.attrs["preserveaspectratio"] == "none"
    # The tallest run (4 scenarios) fills the height; each status's rect is its share of that.
    heights = [
        {
            r.attrs["data-status"]: float(r.attrs["height"])
            for r in b.find_all("rect")
            if "data-status" in r.attrs
        }
        for b in bars
    ]
    assert heights == [{"pass": 50.0}, {"fail": 25.0}, {"pass": 50.0, "fail": 25.0, "error": 25.0}]
    xs = [float(b.find("rect", cls="seg-pass").attrs["x"]) for b in (bars[0], bars[2])]
    assert xs[0] < xs[1]
    assert [b.find("a").attrs["href"] for b in bars] == [f"nightly-0{d}/report.html" for d in (1, 2, 3)]
    assert (
        bars[2].find("title").words() == "nightly-03, 2026-04-03 05:30:00 UTC: 2 passed, 1 failed, 1 errored"
    )
    axis = doc.find("div", cls="chart-axis").words()
    assert axis == "2026-04-01 05:30:00 UTC 2026-04-03 05:30:00 UTC"


def test_the_chart_shows_the_newest_runs_only(tmp_path: Path) -> None:
    from auditor.reports.index import CHART_RUNS

    for day in range(CHART_RUNS + 3):
        run = RunResult(
            started=f"2026-01-01T00:{day:02d}:00+00:00", finished="x", scenarios=[scenario("a", "pass")]
        )
        write_outputs(run, tmp_path / f"r{day:02d}")
    doc = parse((tmp_path / "index.html").read_text(encoding="utf-8"))
    bars = doc.find("svg", cls="chart-svg").find_all("g", cls="bar")
    assert len(bars) == CHART_RUNS
    assert bars[0].attrs["data-folder"] == "r03" and bars[-1].attrs["data-folder"] == f"r{CHART_RUNS + 2:02d}"
    assert f"the newest {CHART_RUNS} of {CHART_RUNS + 3} runs" in doc.find("section", id="chart").words()
    assert len(doc.find_all("tr", cls="run")) == CHART_RUNS + 3  # the table still lists every run


def test_an_unreadable_run_is_a_grey_bar_and_no_history(tmp_path: Path) -> None:
    history_of(tmp_path, [("01", ["pass"])])
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "results.json").write_text("{nope")
    doc = parse(refresh_index(tmp_path).read_text(encoding="utf-8"))
    bars = {b.attrs["data-folder"]: b for b in doc.find_all("g", cls="bar")}
    assert set(bars) == {"broken", "nightly-01"}
    assert [r.attrs["data-status"] for r in bars["broken"].find_all("rect") if "data-status" in r.attrs] == [
        "unreadable"
    ]
    assert "unreadable" in bars["broken"].find("title").words()
    marks = doc.find("li", cls="history-row").find_all(cls="mark")
    assert len(marks) == 1  # the unreadable run has no column of marks


def test_each_scenario_has_its_last_verdicts_linked_to_each_report(tmp_path: Path) -> None:
    history_of(
        tmp_path,
        [("01", ["pass", "pass", "-"]), ("02", ["fail", "pass", "-"]), ("03", ["error", "pass", "pass"])],
    )
    doc = parse(refresh_index(tmp_path).read_text(encoding="utf-8"))
    rows = doc.find_all("li", cls="history-row")
    assert [r.find("span", cls="h-name").words() for r in rows] == [
        "Scenario s0 scenarios/s0.yaml",  # not passing now: first
        "Scenario s1 scenarios/s1.yaml",
        "Scenario s2 scenarios/s2.yaml",
    ]
    assert [r.attrs["data-latest"] for r in rows] == ["error", "pass", "pass"]
    s0 = rows[0].find_all(cls="mark")
    assert [m.words() for m in s0] == ["✓", "✗", "!"]
    assert [m.attrs["href"] for m in s0] == [f"nightly-0{d}/report.html#s-s0" for d in (1, 2, 3)]
    assert [m.attrs["title"] for m in s0] == ["nightly-01: pass", "nightly-02: fail", "nightly-03: error"]
    s2 = rows[2].find_all(cls="mark")
    assert [(m.tag, m.words()) for m in s2] == [("span", "·"), ("span", "·"), ("a", "✓")]
    assert s2[0].attrs["title"] == "nightly-01: not in this run"


def test_the_history_escapes_names_and_marks_flaky_passes(tmp_path: Path) -> None:
    run = RunResult(
        started="2026-01-01T10:00:00+00:00",
        finished="x",
        scenarios=[scenario("bad", "pass", name=HOSTILE[1], flaky=True, attempts=2)],
    )
    write_outputs(run, tmp_path / "r")
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    doc = parse(html)
    row = doc.find("li", cls="history-row")
    assert row.find("span", cls="h-name").text().startswith(HOSTILE[1])
    assert not doc.find_all("img")
    mark = row.find("a", cls="mark")
    assert mark.words() == "~" and "m-flaky" in mark.attrs["class"] and mark.attrs["title"] == "r: flaky"


def test_a_refresh_reads_only_the_results_it_has_not_seen(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_outputs(run_at("2024-09-13T10:00:00+00:00", "pass", "pass"), reports / "run-1")
    second = write_outputs(run_at("2024-09-14T10:00:00+00:00", "fail"), reports / "run-2")
    assert (reports / ".index-entries.json").is_file()
    # run-1's results.json turns to garbage of the same size and time: the cached entry is used.
    old = reports / "run-1" / "results.json"
    stat = old.stat()
    old.write_bytes(b"x" * stat.st_size)
    os.utime(old, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    index = refresh_index(reports)
    text = index.read_text(encoding="utf-8")
    assert "not a results.json" not in text and text.count("run-1/report.html") >= 1
    # Once the file changes (a later time), it is read again and its problem shown.
    os.utime(old, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert "not a results.json" in refresh_index(reports).read_text(encoding="utf-8")
    assert second.index is not None
