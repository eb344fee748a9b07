"""reconcile.json: written through pydantic, matching a golden file and its shipped schema, read back."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from reconcile_exports import ORDER_HEADER, mix, write_csv

from auditor import __version__
from auditor.errors import InputError
from auditor.reconcile.analysis import Options, reconcile
from auditor.reconcile.model import Reconciliation
from auditor.reconcile.normalise import Normalisation
from auditor.reconcile.outputs import MissingCsv, read_json, write_reports
from auditor.reconcile.schema import SCHEMA_PATH, render_schema

GOLDEN = Path(__file__).parent / "golden" / "reconcile.json"
NOW = datetime(2024, 3, 5, 9, 30)


def golden_inputs(folder: Path) -> tuple[Path, Path]:
    """A fixed pair: the orders as spreadsheet "Unicode text" (UTF-16, tabs), purchases in UTF-8 with BOM."""
    orders = mix({"redsys": (60, 24), "card": (120, 2), "paypal": (40, 0)}, seed=11)
    rows = [
        (o.id, o.created, o.payment, o.status, "móvil" if n % 7 == 0 else o.device, "10,50")
        for n, o in enumerate(orders)
    ]
    rows[3] = (rows[3][0], rows[3][1], rows[3][2], "pendiente", rows[3][4], rows[3][5])
    rows.append(("00" + rows[5][0], *rows[5][1:]))  # an order Connectif never got
    # Little-endian with its mark, as Excel's "Unicode text" (Python's "utf-16" would follow the machine).
    orders_path = write_csv(
        folder / "pedidos.txt", ORDER_HEADER, rows, delimiter="\t", encoding="utf-16-le", bom=True
    )
    recorded = [("WEB-" + o.id, o.created, "10.50") for o in orders if o.recorded]
    purchases_path = write_csv(
        folder / "purchases.csv",
        ("purchase_id", "date", "total_price"),
        [*recorded, ("WEB-999", "2024-03-02", "1.00")],
        encoding="utf-8-sig",
    )
    return orders_path, purchases_path


def produce(folder: Path, *, max_loss: float = 0.05) -> tuple[Reconciliation, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    orders, purchases = golden_inputs(folder)
    # Relative paths, as a person types them: reconcile.json records the paths it was given.
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        options = Options(normalisation=Normalisation(prefixes=("web-",)))
        with MissingCsv(Path("out")) as sink:
            result = reconcile(Path(orders.name), Path(purchases.name), options, sink=sink)
        write_reports(result, Path("out"), max_loss=max_loss, created=NOW)
    finally:
        os.chdir(cwd)
    return result, folder / "out" / "reconcile.json"


@pytest.fixture
def written(tmp_path: Path) -> tuple[Reconciliation, Path]:
    return produce(tmp_path / "run")


def test_reconcile_json_is_the_golden_file(written: tuple[Reconciliation, Path]) -> None:
    _, path = written
    text = path.read_text(encoding="utf-8")
    tool = f'"tool": "checkout-auditor {__version__}"'
    assert tool in text
    text = text.replace(tool, '"tool": "checkout-auditor VERSION"')
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), (
        "reconcile.json changed; if that is intended, rerun with UPDATE_GOLDEN=1 and review the diff"
    )


def test_the_golden_file_reports_what_was_read(written: tuple[Reconciliation, Path]) -> None:
    data = json.loads(written[1].read_text(encoding="utf-8"))
    assert data["schema_version"] == 1
    assert (data["orders_file"]["encoding"], data["orders_file"]["delimiter"]) == ("UTF-16 LE", "tab")
    assert data["purchases_file"]["encoding"] == "UTF-8 with BOM"
    assert data["orders_file"]["columns"] == list(ORDER_HEADER)
    # 26 lost in the mix, plus the zero-padded copy; the pending order (a recorded one) is not a sale.
    assert (data["orders"], data["sales"], data["lost"]) == (221, 220, 27)
    assert data["unknown_purchases"] == 1
    assert data["loss_rate"] == pytest.approx(27 / 220)
    assert (data["max_loss"], data["above_max_loss"]) == (0.05, True)
    assert "prefix 'web-' removed" in data["normalisation"]["rules"]
    assert data["explanations"][0]["kind"] == "payment-platform"
    device = next(b for b in data["breakdowns"] if b["column"] == "device")
    assert {g["value"] for g in device["groups"]} == {"desktop", "móvil"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), (
        "run `python -m auditor.reconcile.schema` and commit auditor/schema/reconcile.schema.json"
    )


def test_the_schema_is_shipped_with_the_package() -> None:
    from importlib.resources import files

    shipped = files("auditor").joinpath("schema", "reconcile.schema.json")
    assert json.loads(shipped.read_text(encoding="utf-8"))["title"] == "checkout-auditor reconcile.json"


def test_written_file_validates_against_the_shipped_schema(
    written: tuple[Reconciliation, Path], validator: jsonschema.Draft202012Validator
) -> None:
    data = json.loads(written[1].read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.pop("loss_rate"), "loss_rate"),
        (lambda d: d["orders_file"].update(encoding="UTF-7"), "encoding"),
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d["breakdowns"][0].update(role="colour"), "role"),
    ],
)
def test_the_schema_rejects_a_damaged_file(
    written: tuple[Reconciliation, Path],
    validator: jsonschema.Draft202012Validator,
    change: object,
    where: str,
) -> None:
    data = json.loads(written[1].read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    errors = list(validator.iter_errors(data))
    assert errors
    assert any(where in e.json_path or where in e.message for e in errors), [e.json_path for e in errors]


def test_read_back_is_the_same_reconciliation(written: tuple[Reconciliation, Path]) -> None:
    result, path = written
    document = read_json(path)
    assert document.reconciliation() == result
    assert document.max_loss == 0.05 and document.above_max_loss
    assert document.loss_rate == result.loss_rate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ("[]", "no schema_version"),
        ('{"schema_version": 7}', "schema_version 7: written by another version"),
        ('{"schema_version": 1, "tool": "x"}', "max_loss"),
    ],
)
def test_reading_a_bad_file_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "reconcile.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_json(path)
    rendered = caught.value.render()
    assert str(path) in rendered
    assert message in rendered


def test_reading_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_json(tmp_path / "reconcile.json")
    assert f"{tmp_path / 'reconcile.json'}: no such file" in caught.value.render()
