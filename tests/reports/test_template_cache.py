"""Compiled report templates kept between runs: read back, never stale, never in the way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.cache import CACHE_ENV, template_cache
from auditor.reports import html as html_module
from auditor.reports.html import environment, render_html

from .sample import mixed_run

TEMPLATE = "report.html.j2"


@pytest.fixture
def fresh_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A cache folder of this test's own, and an environment built again for each render."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    environment.cache_clear()
    yield tmp_path / "cache" / "templates"
    environment.cache_clear()


def rendered(out_dir: Path) -> str:
    environment.cache_clear()  # what the next process would do: a new environment, the same cache
    return render_html(mixed_run(), out_dir)


def test_a_second_run_reads_the_compiled_template_from_the_cache(
    fresh_environment: Path, tmp_path: Path
) -> None:
    first = rendered(tmp_path)
    assert list(fresh_environment.glob("*.cache")), "nothing was cached"
    # Replace the cached code of the report's template with code compiled from a marked source, under
    # the real source's checksum: the next render shows the marker only if it used the cache.
    env = environment()
    cache = env.bytecode_cache
    assert cache is not None and env.loader is not None
    source, filename, _ = env.loader.get_source(env, TEMPLATE)
    bucket = cache.get_bucket(env, TEMPLATE, filename, source)
    bucket.code = env.compile("CACHED-CODE-MARKER" + source, TEMPLATE, filename)
    cache.set_bucket(bucket)
    assert rendered(tmp_path).startswith("CACHED-CODE-MARKER")
    assert "CACHED-CODE-MARKER" not in first


def test_a_damaged_cache_entry_is_compiled_again(fresh_environment: Path, tmp_path: Path) -> None:
    expected = rendered(tmp_path)
    entries = list(fresh_environment.glob("*.cache"))
    assert entries, "nothing was cached, so nothing could be damaged"
    for entry in entries:
        entry.write_bytes(b"not bytecode at all")
    assert rendered(tmp_path) == expected
    assert all(entry.read_bytes() != b"not bytecode at all" for entry in entries)


def test_no_cache_when_turned_off_or_the_folder_cannot_be_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CACHE_ENV, "")
    assert template_cache() is None
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way", encoding="utf-8")
    monkeypatch.setenv(CACHE_ENV, str(blocker))  # templates/ cannot be made inside a file
    assert template_cache() is None
    environment.cache_clear()
    try:
        assert "<html" in render_html(mixed_run(), tmp_path)  # the report is written all the same
    finally:
        environment.cache_clear()
    assert html_module.TEMPLATES.is_dir()
