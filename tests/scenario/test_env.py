"""`${NAME}` values from --var, --env-file and the environment; --base-url over an unset variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import AuditorError, InputError
from auditor.scenario.env import build_env, read_env_file
from tests.scenario.test_loader import run_validate

SCENARIO = "name: x\nbase_url: ${SHOP_URL}\nsecrets:\n  card: ${CARD}\nsteps: [{goto: /}]\n"


def test_precedence_var_over_env_file_over_environment(tmp_path: Path) -> None:
    first = tmp_path / "first.env"
    first.write_text("A=file1\nB=file1\nC=file1\n", encoding="utf-8")
    second = tmp_path / "second.env"
    second.write_text("B=file2\n", encoding="utf-8")
    env = build_env(["C=var"], [first, second], {"A": "environ", "D": "environ"})
    assert env == {"A": "file1", "B": "file2", "C": "var", "D": "environ"}


def test_env_file_lines(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        '# a comment\n\n  # an indented comment\nPLAIN=a b c\nexport EXPORTED=1\nQUOTED="x # y"\n'
        "SINGLE='z'\nEMPTY=\nEQUALS=a=b\n  SPACED  =  v  \n",
        encoding="utf-8",
    )
    assert read_env_file(path) == {
        "PLAIN": "a b c",
        "EXPORTED": "1",
        "QUOTED": "x # y",
        "SINGLE": "z",
        "EMPTY": "",
        "EQUALS": "a=b",
        "SPACED": "v",
    }


def test_every_bad_env_file_line_is_named_without_its_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.env"
    path.write_text("OK=1\njust text 4548812049400004\n=4548812049400004\n1X=2\nOK2=3\n", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        read_env_file(path)
    rendered = refused.value.render()
    assert [(p.file, p.line) for p in refused.value.problems] == [
        (str(path), 2),
        (str(path), 3),
        (str(path), 4),
    ]
    assert "bad.env:2: is not a NAME=VALUE line" in rendered
    assert "bad.env:3: has no name before '='" in rendered
    assert "bad.env:4: 1X: is not a variable name" in rendered
    assert "4548812049400004" not in rendered


def test_a_missing_env_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as refused:
        build_env([], [tmp_path / "nowhere.env"], {})
    assert "nowhere.env: no such env file" in refused.value.render()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("CARD4548812049400004", "--var number 1 has no '='"), ("1A=x", "'1A' is not a variable name")],
)
def test_a_bad_var_is_refused_without_its_value(text: str, fragment: str) -> None:
    with pytest.raises(AuditorError) as refused:
        build_env([text], [], {})
    assert fragment in refused.value.render()
    assert "4548812049400004" not in refused.value.render()


def test_validate_takes_var_and_env_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    status, output = run_validate(path, env={"SHOP_URL": None, "CARD": None})  # type: ignore[dict-item]
    assert status == 2 and "SHOP_URL is not set" in output and "CARD is not set" in output
    env_file = tmp_path / "audit.env"
    env_file.write_text("SHOP_URL=http://shop.test:8000/\n", encoding="utf-8")
    status, output = run_validate(
        path,
        "--env-file",
        str(env_file),
        "--var",
        "CARD=4548812049400004",
        env={"CARD": None},  # type: ignore[dict-item]
    )
    assert status == 0, output
    assert "4548812049400004" not in output


def test_validate_reports_a_bad_env_file_line_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    env_file = tmp_path / "audit.env"
    env_file.write_text("# ok\nSHOP_URL http://x\n", encoding="utf-8")
    status, output = run_validate(path, "--env-file", str(env_file))
    assert status == 2 and "audit.env:2" in output and "NAME=VALUE" in output


def test_base_url_option_rescues_an_unset_base_url_variable(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nbase_url: ${SHOP_URL}\nsteps: [{goto: /}]\n", encoding="utf-8")
    status, output = run_validate(path, "--base-url", "http://staging.test/", env={"SHOP_URL": None})  # type: ignore[dict-item]
    assert status == 0, output
    status, output = run_validate(path, env={"SHOP_URL": None})  # type: ignore[dict-item]
    assert status == 2
    assert "1 problem in" in output and "SHOP_URL is not set" in output and "--base-url" in output
    assert "base_url is missing" not in output and "must not be empty" not in output


def test_an_unset_variable_is_one_problem_not_two(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: x\nbase_url: http://a.test/\nbrowser:\n  locale: ${LOCALE}\nsteps: [{goto: /}]\n",
        encoding="utf-8",
    )
    status, output = run_validate(path, env={"LOCALE": None})  # type: ignore[dict-item]
    assert status == 2 and "1 problem in" in output and "LOCALE is not set" in output, output


def test_an_unset_variable_is_reported_with_the_files_other_problems(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: x\nbase_url: ${SHOP_URL}\nbrowser:\n  locale: ${LOCALE}\nsteps:\n  - clik: '#a'\n",
        encoding="utf-8",
    )
    status, output = run_validate(path, env={"SHOP_URL": None, "LOCALE": None})  # type: ignore[dict-item]
    assert status == 2 and "3 problems in" in output, output
    assert "s.yaml:2" in output and "s.yaml:4" in output and "s.yaml:6" in output
    assert "did you mean 'click'" in output
    assert "must not be empty" not in output and "base_url is missing" not in output
