"""`{{name}}` in the keys read before the first step (base_url, browser, connectif.api).

A var whose value is known when the file is loaded is filled in there, as a matrix value is; a name
with no value yet there (a secret, a capture, a built-in, a var that uses one) is a load error naming
the file, the line, the key and the names allowed there, never the literal text `{{name}}` handed to the
browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError, Problem
from auditor.scenario.load import load_scenarios

STEPS = "steps:\n  - goto: /\n  - capture: {name: order_id, selector: .order-number}\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_scenarios(path, env={})
    return caught.value.problems


def test_vars_known_at_load_are_filled_into_base_url_browser_and_connectif_api(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: s\nbase_url: 'http://{{store}}.test:8000/'\n"
        "vars:\n  store: shop\n  agent: 'Auditor for {{store}}'\n  lang: es-ES\n  zone: Europe/Madrid\n"
        "  api: 'http://api.{{store}}.test'\n"
        "browser: {user_agent: '{{agent}}', locale: '{{lang}}', timezone: '{{zone}}'}\n"
        "connectif:\n  api: {key: 'id:{{store}}', url: '{{api}}/connectif'}\n" + STEPS,
    )
    (loaded,) = load_scenarios(path, env={})
    scenario = loaded.scenario
    assert scenario.base_url == "http://shop.test:8000/"
    assert scenario.browser.user_agent == "Auditor for shop"
    assert (scenario.browser.locale, scenario.browser.timezone) == ("es-ES", "Europe/Madrid")
    assert scenario.connectif.api is not None
    assert (scenario.connectif.api.url, scenario.connectif.api.key) == (
        "http://api.shop.test/connectif",
        "id:shop",
    )
    assert scenario.vars["agent"] == "Auditor for {{store}}"  # the var itself is still filled at run time


def test_a_var_of_a_matrix_value_is_filled_into_base_url_once_per_combination(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: s\nmatrix: {env: [staging, preprod]}\nvars: {host: '{{env}}.shop.test'}\n"
        "base_url: 'https://{{host}}/'\n" + STEPS,
    )
    assert [s.scenario.base_url for s in load_scenarios(path, env={})] == [
        "https://staging.shop.test/",
        "https://preprod.shop.test/",
    ]


@pytest.mark.parametrize(
    ("key", "line", "written", "why"),
    [
        ("base_url", "base_url: '{{card}}'", "{{card}}", "a secret is filled in only in steps and expect"),
        (
            "base_url",
            "base_url: 'https://{{order_id}}.shop.test/'",
            "{{order_id}}",
            "{{order_id}} is a capture, which has a value only once its step has run",
        ),
        (
            "browser.user_agent",
            "browser: {user_agent: 'Auditor {{run_id}}'}",
            "{{run_id}}",
            "{{run_id}} has a value only when the scenario runs",
        ),
        (
            "browser.locale",
            "browser: {locale: '{{email}}'}",
            "{{email}}",
            "the var email uses a value known only when the scenario runs (like {{run_id}})",
        ),
        (
            "connectif.api.key",
            "connectif: {api: {key: '{{card}}'}}",
            "{{card}}",
            "a secret is filled in only in steps and expect",
        ),
    ],
)
def test_a_name_with_no_value_when_the_file_is_loaded_is_a_load_error_naming_the_names_allowed(
    tmp_path: Path, key: str, line: str, written: str, why: str
) -> None:
    text = (
        "name: s\n"
        "vars:\n  store: shop\n  email: 'a+{{run_id}}@example.com'\n"
        "secrets:\n  card: '4242424242424242'\n"
        f"{line}\n" + STEPS
    )
    if not line.startswith("base_url"):
        text = "base_url: http://shop.test:8000/\n" + text
    path = write(tmp_path, text)
    (found,) = [p for p in problems(path) if p.key == key]
    assert found.file == str(path)
    assert found.line == text.splitlines().index(line) + 1
    assert found.message == (
        f"{written} cannot be filled in at {key}: it is read when the file is loaded, before the scenario "
        f"runs, and {why}"
    )
    assert found.tip is not None
    assert found.tip.startswith(
        "allowed there: matrix values and vars whose values need nothing known only at run time ({{store}})"
    )
    assert "4242424242424242" not in found.render()
