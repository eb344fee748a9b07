"""`--base-url` that is not an http(s) URL is a bad option: named once, before any scenario is loaded."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from auditor.cli.main import cli

SCENARIO = "name: x\nbase_url: http://shop.test/\nsteps: [{goto: /}]\n"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def scenarios(tmp_path: Path) -> list[str]:
    paths = [tmp_path / "base.yaml", tmp_path / "other.yaml"]
    for path in paths:
        path.write_text(SCENARIO, encoding="utf-8")
    return [str(p) for p in paths]


def test_validate_names_the_option_once_not_the_files(tmp_path: Path) -> None:
    status, output = invoke("validate", *scenarios(tmp_path), "--base-url", "example.com/shop")
    assert status == 2, output
    assert output.count("--base-url") >= 1 and output.count("'example.com/shop' is not an http(s) URL") == 1
    assert "base.yaml" not in output and "other.yaml" not in output
    assert "tip:" in output and "https://" in output and "Traceback" not in output
    good, output = invoke("validate", *scenarios(tmp_path), "--base-url", "http://127.0.0.1:8000/shop")
    assert good == 0, output


def test_run_refuses_it_before_anything_starts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, output = invoke("run", *scenarios(tmp_path), "--base-url", "ftp://shop.test/", "--out", str(out))
    assert status == 2, output
    assert "--base-url: 'ftp://shop.test/' is not an http(s) URL" in output and "base.yaml" not in output
    assert not out.exists()


def test_an_empty_base_url_is_refused_with_a_tip(tmp_path: Path) -> None:
    status, output = invoke("validate", *scenarios(tmp_path), "--base-url", "")
    assert status == 2 and "--base-url is empty" in output and "tip:" in output, output
