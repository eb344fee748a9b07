"""--env-file as docker compose and python-dotenv read it: a BOM, ` # comments`, unbalanced quotes."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.scenario.env import read_env_file
from tests.scenario.test_loader import run_validate


def write(tmp_path: Path, text: str, name: str = "audit.env") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffSHOP_URL=http://example.com\r\nCARD=4548\r\n", "bom.env")
    assert read_env_file(path) == {"SHOP_URL": "http://example.com", "CARD": "4548"}


def test_a_comment_after_an_unquoted_value_is_dropped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'SHOP_URL=http://example.com # staging\nTAB=v\t# note\nHASH=a#b\nQUOTED="a # b" # why\n'
        'SINGLE=\'x\' #c\nALL_COMMENT= # nothing\nINNER="say \\"hi\\""\nOTHER=\'say "hi"\'\n',
    )
    assert read_env_file(path) == {
        "SHOP_URL": "http://example.com",
        "TAB": "v",
        "HASH": "a#b",
        "QUOTED": "a # b",
        "SINGLE": "x",
        "ALL_COMMENT": "",
        "INNER": 'say \\"hi\\"',
        "OTHER": 'say "hi"',
    }


def test_an_unbalanced_quote_names_the_file_line_and_variable_not_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, 'OK=1\nSHOP_URL="http://secret.example\nKEY=\'abc\nTAIL="a"b\n', "bad.env")
    with pytest.raises(InputError) as refused:
        read_env_file(path)
    rendered = refused.value.render()
    assert [(p.line, p.key) for p in refused.value.problems] == [(2, "SHOP_URL"), (3, "KEY"), (4, "TAIL")]
    assert 'bad.env:2: SHOP_URL: the value opens a quote (") that is never closed' in rendered
    assert "bad.env:3: KEY: the value opens a quote (') that is never closed" in rendered
    assert "bad.env:4: TAIL: text follows the value's closing quote" in rendered
    assert "tip:" in rendered
    assert "secret.example" not in rendered and "abc" not in rendered


def test_validate_takes_a_notepad_env_file(tmp_path: Path) -> None:
    env = write(tmp_path, "\ufeffSHOP_URL=http://127.0.0.1:8000 # local\n", "bom.env")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: x\nbase_url: ${SHOP_URL}\nsteps: [{goto: /}]\n", encoding="utf-8")
    status, output = run_validate(scenario, "--env-file", str(env))
    assert status == 0, output
    assert "\ufeff" not in output and "is not a variable name" not in output
