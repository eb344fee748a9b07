"""Scenario ids from names that are not plain ASCII: readable where they can be, distinct and stable."""

from __future__ import annotations

from pathlib import Path

from auditor.scenario.load import file_ids, load_scenarios

LABELS = ["español", "日本語", "русский", "€", "£"]


def matrix_file(folder: Path, labels: list[str], name: str = "pago.yaml") -> Path:
    listed = ", ".join(f'"{label}"' for label in labels)
    path = folder / name
    path.write_text(
        "name: Pago\nbase_url: http://127.0.0.1:9/\nmatrix:\n"
        f"  idioma: [{listed}]\nsteps:\n  - goto: /?lang={{{{idioma}}}}\n",
        encoding="utf-8",
    )
    return path


def ids_by_label(path: Path) -> dict[str, str]:
    return {s.matrix["idioma"]: s.id for s in load_scenarios(path, env={})}


def test_labels_without_ascii_spelling_get_distinct_ascii_ids_that_do_not_depend_on_their_order(
    tmp_path: Path,
) -> None:
    ids = ids_by_label(matrix_file(tmp_path, LABELS))
    assert ids["español"] == "pago--espanol"  # accents dropped, the word kept
    assert len(set(ids.values())) == len(LABELS)
    assert all(i.isascii() and i.startswith("pago--") and len(i) > len("pago--") for i in ids.values())
    (tmp_path / "again").mkdir()
    reordered = ids_by_label(matrix_file(tmp_path / "again", LABELS[::-1]))
    assert reordered == ids  # an id is the label's own, not its place in the list


def test_a_file_name_s_letters_keep_their_usual_ascii_spelling(tmp_path: Path) -> None:
    files = [tmp_path / "Straße-Señal.yaml", tmp_path / "ørsted.yaml", tmp_path / "カート.yaml"]
    ids = file_ids(files)
    assert ids[files[0]] == "strasse-senal"
    assert ids[files[1]] == "orsted"
    assert ids[files[2]].isascii() and ids[files[2]] not in ("", "scenario")
