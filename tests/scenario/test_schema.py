"""The editor schema stays in step with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from auditor.scenario.schema import SCHEMA_PATH, render_schema
from tests.scenario.test_loader import FULL, MALFORMED

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), (
        "run `python -m auditor.scenario.schema` and commit auditor/schema/scenario.schema.json"
    )


def test_full_scenario_matches_schema(validator: jsonschema.Draft202012Validator) -> None:
    doc = yaml.safe_load(
        FULL.replace('_common: &add\n  click: "text=Add to cart"\n', "").replace(
            "  - *add\n", '  - click: "text=Add to cart"\n'
        )
    )
    assert list(validator.iter_errors(doc)) == []


def test_bundled_scenarios_match_schema(validator: jsonschema.Draft202012Validator) -> None:
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    for file in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(file.read_text(encoding="utf-8")))]
        assert errors == [], f"{file.name}: {errors}"


SCHEMA_REJECTS = [
    "missing-name",
    "missing-steps",
    "unknown-top-key",
    "unknown-action",
    "two-actions",
    "fill-missing-value",
    "fill-unknown-key",
    "bad-wait-until",
    "bad-duration",
    "number-duration",
    "pay-no-hosts",
    "expect-return",
    "expect-connectif",
    "connectif-mode",
    "fill-number-value",
]


@pytest.mark.parametrize("case", SCHEMA_REJECTS)
def test_schema_rejects_what_the_loader_rejects(
    validator: jsonschema.Draft202012Validator, case: str
) -> None:
    text = next(t for name, t, _, _ in MALFORMED if name == case)
    assert list(validator.iter_errors(yaml.safe_load(text))), case


SECOND_WAVE = """\
name: Second wave
base_url: http://shop.test:8000
matrix:
  card:
    - {label: visa, number: "4111"}
  device: [iPhone 13]
  include:
    - {card: amex}
  exclude:
    - {card: visa, device: iPhone 13}
connectif:
  api: {key: "kid:secret", url: "https://api.connectif.cloud", wait: 60s}
steps:
  - goto: /
  - reload: true
  - reload: {}
  - reload: {wait_until: commit, timeout: 5s}
expect:
  purchase_id: ORD-1
  cn_purchase:
    products: 1
    items:
      - {product_id: KB-1, name: Keyboard, quantity: 1, unit_price: "49.90", price: 49.9}
  connectif:
    purchase_recorded: required
    duplicates: fail
    contact: required
    contact_email: a@example.com
"""


def test_second_wave_keys_match_schema(validator: jsonschema.Draft202012Validator, tmp_path: Path) -> None:
    from auditor.scenario.load import load_scenarios

    assert [e.message for e in validator.iter_errors(yaml.safe_load(SECOND_WAVE))] == []
    path = tmp_path / "second.yaml"
    path.write_text(SECOND_WAVE, encoding="utf-8")
    assert len(load_scenarios(path, env={})) == 1  # and the loader agrees


@pytest.mark.parametrize(
    ("replace", "by"),
    [
        ("  - reload: true\n", "  - reload: false\n"),
        ('unit_price: "49.90"', 'unit_prize: "49.90"'),
        ("purchase_recorded: required", "purchase_recorded: requried"),
        ("duplicates: fail", "duplicates: error"),
        ("contact: required", "contact: absent"),
        ("wait: 60s", "wait: 60"),
        ("  device: [iPhone 13]\n", "  device: []\n"),
    ],
)
def test_schema_rejects_second_wave_mistakes(
    validator: jsonschema.Draft202012Validator, tmp_path: Path, replace: str, by: str
) -> None:
    from auditor.errors import InputError
    from auditor.scenario.load import load_scenarios

    text = SECOND_WAVE.replace(replace, by)
    assert text != SECOND_WAVE
    assert list(validator.iter_errors(yaml.safe_load(text))), by
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError):
        load_scenarios(path, env={})
