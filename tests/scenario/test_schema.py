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
