"""The JSON Schema of reconcile.json, derived from the type it is written through.

reconcile.json is written and read back by `outputs.DOCUMENT` (a pydantic TypeAdapter over the
reconciliation's dataclasses); this is that adapter's serialization schema, so a file `reconcile`
writes always validates against it. A test regenerates it and compares it with the committed file.
Run `python -m auditor.reconcile.schema` to rewrite auditor/schema/reconcile.schema.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.reconcile.outputs import DOCUMENT

SCHEMA_PATH = Path(__file__).parent.parent / "schema" / "reconcile.schema.json"
SCHEMA_ID = "https://github.com/checkout-auditor/checkout-auditor/auditor/schema/reconcile.schema.json"


def build_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a reconcile.json."""
    # Serialization mode: the computed figures (loss_rate, above_max_loss, rules) are in the file.
    schema = DOCUMENT.json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "checkout-auditor reconcile.json",
        "description": "Which orders of a shop's export never reached Connectif, and the likely causes.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def render_schema() -> str:
    """The schema file's text."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
