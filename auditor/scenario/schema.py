"""The JSON Schema that editors use for scenario files, derived from the model.

The model describes steps after their short forms are expanded (`{action, args}`); authors write
`- click: "#buy"`. This module rewrites those parts into the form authors write, so the schema and
the loader cannot drift apart: a test regenerates it and compares it with the committed file.
Run `python -m auditor.scenario.schema` to rewrite auditor/schema/scenario.schema.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.scenario.model import ACTIONS, DURATION_PATTERN, FLAG_ACTIONS, STEP_MODIFIERS, Scenario

SCHEMA_PATH = Path(__file__).parent.parent / "schema" / "scenario.schema.json"
SCHEMA_ID = "https://github.com/checkout-auditor/checkout-auditor/auditor/schema/scenario.schema.json"


def _strip_discriminators(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("discriminator", None)
        for value in node.values():
            _strip_discriminators(value)
    elif isinstance(node, list):
        for value in node:
            _strip_discriminators(value)


def _duration_defaults(node: Any) -> None:
    """Durations are milliseconds once loaded; their defaults are shown the way authors write them."""
    if isinstance(node, dict):
        if node.get("pattern") == DURATION_PATTERN and isinstance(node.get("default"), int):
            ms = node["default"]
            node["default"] = f"{ms // 60_000}m" if ms % 60_000 == 0 and ms >= 120_000 else f"{ms / 1000:g}s"
        for value in node.values():
            _duration_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _duration_defaults(value)


def build_schema() -> dict[str, Any]:
    """The user-facing JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    defs: dict[str, Any] = schema["$defs"]
    element = defs["ElementArgs"]["properties"]
    for action, (model, short_key) in ACTIONS.items():
        step_name = next(
            name for name in defs if defs[name].get("properties", {}).get("action", {}).get("const") == action
        )
        args_ref = {"$ref": f"#/$defs/{model.__name__}"}
        forms: list[dict[str, Any]] = [args_ref]
        if short_key is not None:
            forms.insert(0, {"type": "string", "minLength": 1, "description": f"short form: the {short_key}"})
        if action in FLAG_ACTIONS:
            forms.insert(0, {"const": True, "description": "short form: true"})
        properties: dict[str, Any] = {action: {"anyOf": forms} if len(forms) > 1 else args_ref}
        if model.model_fields.get("selector") is not None or action == "wait_for":
            for modifier in STEP_MODIFIERS:
                properties[modifier] = element[modifier]
        defs[step_name] = {
            "type": "object",
            "title": f"{action} step",
            "description": (model.__doc__ or "").strip().splitlines()[0],
            "properties": properties,
            "required": [action],
            "additionalProperties": False,
        }
    for holder, key in (("PayArgs", "submit"), ("ReturnArgs", "click")):
        prop = defs[holder]["properties"][key]
        prop["anyOf"] = [{"type": "string", "minLength": 1}, *prop.get("anyOf", [])]
    _strip_discriminators(schema)
    _duration_defaults(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "checkout-auditor scenario",
        "description": "One checkout audited from an empty browser to the order confirmation page.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def render_schema() -> str:
    """The schema file's text."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
