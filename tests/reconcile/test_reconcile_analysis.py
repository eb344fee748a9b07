"""Matching, counting and breaking down the losses, on generated exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from reconcile_exports import ORDER_HEADER, Exports, Order, mix, write_csv, write_exports

from auditor.errors import InputError
from auditor.reconcile.analysis import Options, reconcile
from auditor.reconcile.model import ColumnRole, Reconciliation
from auditor.reconcile.normalise import Normalisation


def breakdown(result: Reconciliation, column: str) -> list[tuple[str, int, int]]:
    (found,) = [b for b in result.breakdowns if b.column == column]
    return [(g.value, g.orders, g.lost) for g in found.groups]


def test_counts_lost_orders_and_the_loss_rate(exports: Exports) -> None:
    result = reconcile(exports.orders, exports.purchases)
    assert (result.orders, result.sales, result.matched, result.lost) == (100, 100, 90, 10)
    assert result.loss_rate == pytest.approx(0.10)
    assert result.unknown_purchases == 0
    assert result.orders_file.id_column == "order_id"
    assert result.purchases_file.id_column == "purchase_id"


def test_ids_matched_only_after_normalising_are_counted_with_examples(tmp_path: Path) -> None:
    orders = [
        Order(id="1001"),
        Order(id="#1002", purchase_id="1002"),
        Order(id=" 1003 ", purchase_id="1003"),
        Order(id="ab-7", purchase_id="AB-7"),
        Order(id="WEB-1005", purchase_id="1005"),
        Order(id="1006", recorded=False),
    ]
    files = write_exports(tmp_path, orders)
    plain = reconcile(files.orders, files.purchases)
    assert plain.matched_after_normalising == 3
    assert {(p.order_id, p.purchase_id) for p in plain.normalised_examples} == {
        ("#1002", "1002"),
        (" 1003 ", "1003"),
        ("ab-7", "AB-7"),
    }
    assert plain.lost == 2  # WEB-1005 needs --strip-prefix
    assert plain.near_misses.prefix == "web-"

    options = Options(normalisation=Normalisation(prefixes=("web-",)))
    stripped = reconcile(files.orders, files.purchases, options)
    assert stripped.lost == 1
    assert stripped.matched_after_normalising == 4


def test_leading_zeros_match_only_when_asked(tmp_path: Path) -> None:
    files = write_exports(tmp_path, [Order(id="0001001", purchase_id="1001"), Order(id="2")])
    assert reconcile(files.orders, files.purchases).lost == 1
    options = Options(normalisation=Normalisation(strip_leading_zeros=True))
    result = reconcile(files.orders, files.purchases, options)
    assert result.lost == 0
    assert result.matched_after_normalising == 1


def test_duplicates_on_both_sides(tmp_path: Path) -> None:
    orders = [Order(id="1"), Order(id="1"), Order(id="#1"), Order(id="2", recorded=False), Order(id="2")]
    files = write_exports(tmp_path, orders, extra_purchases=["3", "3"])
    result = reconcile(files.orders, files.purchases)
    assert result.orders == 2  # each order counted once, by its first row
    assert (result.duplicate_orders.ids, result.duplicate_orders.extra_rows) == (2, 3)
    assert {(d.id, d.count) for d in result.duplicate_orders.examples} == {("1", 3), ("2", 2)}
    # Purchases: "1" three times (recorded for each order row), "2" once, "3" twice.
    assert (result.duplicate_purchases.ids, result.duplicate_purchases.extra_rows) == (2, 3)
    assert result.unknown_purchases == 1
    assert result.unknown_examples == ("3",)


def test_unknown_purchases_are_listed(tmp_path: Path) -> None:
    files = write_exports(tmp_path, [Order(id="1")], extra_purchases=["77", "78"])
    result = reconcile(files.orders, files.purchases)
    assert result.unknown_purchases == 2
    assert result.unknown_examples == ("77", "78")
    assert result.lost == 0


@pytest.mark.parametrize(
    "status",
    [
        "pending",
        "Pending payment",
        "cancelled",
        "Canceled",
        "failed",
        "refunded",
        "on-hold",
        "Pendiente de pago",
        "Cancelado",
        "cancelada",
        "Fallido",
        "Reembolsado",
        "Pago rechazado",
    ],
)
def test_statuses_that_never_reach_confirmation_are_not_losses(tmp_path: Path, status: str) -> None:
    orders = [Order(id=str(i)) for i in range(10)] + [
        Order(id="90", status=status, recorded=False),
        Order(id="91", status=status, recorded=True),
    ]
    result = reconcile(*_paths(write_exports(tmp_path, orders)))
    assert result.status_column == "status"
    assert (result.sales, result.lost) == (10, 0)
    (count,) = result.not_a_sale
    assert (count.status, count.orders, count.missing) == (status, 2, 1)


@pytest.mark.parametrize("status", ["completed", "processing", "Pagado", "Enviado", "partially refunded"])
def test_sale_statuses_count(tmp_path: Path, status: str) -> None:
    orders = [Order(id="1", status=status, recorded=False), Order(id="2", status="pending")]
    result = reconcile(*_paths(write_exports(tmp_path, orders)))
    assert (result.sales, result.lost) == (1, 1)


def test_status_column_found_by_values_when_not_named(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        ["id", "situacion"],
        [["1", "pagado"], ["2", "pendiente"], ["3", "pagado"]],
    )
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["1"]])
    result = reconcile(path, purchases)
    assert result.status_column == "situacion"
    assert (result.sales, result.lost) == (2, 1)


def test_explicit_status_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ["id", "a", "b"], [["1", "x", "pending"], ["2", "y", "paid"]])
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["2"]])
    result = reconcile(path, purchases, Options(status_column="B"))
    assert result.status_column == "b"
    assert result.lost == 0
    with pytest.raises(InputError, match="1 problem"):
        reconcile(path, purchases, Options(status_column="nope"))


def test_breakdown_is_ranked_by_loss_rate_with_small_groups_last(tmp_path: Path) -> None:
    orders = mix({"redsys": (40, 20), "card": (100, 5), "paypal": (60, 6), "cash": (4, 4)})
    result = reconcile(*_paths(write_exports(tmp_path, orders)))
    assert breakdown(result, "payment_method") == [
        ("redsys", 40, 20),
        ("paypal", 60, 6),
        ("card", 100, 5),
        ("cash", 4, 4),
    ]
    (payment,) = [b for b in result.breakdowns if b.column == "payment_method"]
    assert payment.role is ColumnRole.PAYMENT
    assert payment.groups[-1].small
    assert payment.groups[0].z > 3


def test_breakdown_skips_ids_amounts_and_single_values(tmp_path: Path) -> None:
    orders = [Order(id=str(i), device="desktop" if i % 2 else "mobile") for i in range(60)]
    result = reconcile(*_paths(write_exports(tmp_path, orders)))
    columns = {b.column for b in result.breakdowns}
    # Ids are unique; payment, status, total and the day have one value each: nothing to compare.
    assert columns == {"device"}


def test_breakdown_by_day_from_iso_datetimes(tmp_path: Path) -> None:
    orders = [
        Order(id=str(i), created=f"2024-03-0{1 + i % 3} {i % 24:02d}:15:00", recorded=i % 3 != 0)
        for i in range(30)
    ]
    result = reconcile(*_paths(write_exports(tmp_path, orders)))
    assert breakdown(result, "day (created_at)") == [
        ("2024-03-01", 10, 10),
        ("2024-03-02", 10, 0),
        ("2024-03-03", 10, 0),
    ]


def test_breakdown_by_day_from_spanish_dates(tmp_path: Path) -> None:
    rows = [[str(i), f"{1 + i % 2:02d}/03/2024 10:{i:02d}", "tarjeta"] for i in range(20)]
    orders = write_csv(tmp_path / "o.csv", ["Nº pedido", "Fecha", "Método de pago"], rows, delimiter=";")
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [[str(i)] for i in range(0, 20, 2)])
    result = reconcile(orders, purchases)
    assert breakdown(result, "day (Fecha)") == [("2024-03-02", 10, 10), ("2024-03-01", 10, 0)]


def test_a_column_with_many_values_is_dropped_even_if_the_sample_looked_categorical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.reconcile.analysis as analysis
    import auditor.reconcile.breakdown as breakdown_module

    # A tiny sample and prune interval make the million-row behaviour visible on 400 rows.
    monkeypatch.setattr(analysis, "SAMPLE_ROWS", 5)
    monkeypatch.setattr(analysis, "PRUNE_MASK", 0x3F)
    monkeypatch.setattr(breakdown_module, "PRUNE_COMBOS", 8)
    rows = [[str(i), "card" if i % 2 else "bizum", "x" if i < 5 else f"note {i}"] for i in range(400)]
    orders = write_csv(tmp_path / "o.csv", ["id", "payment", "note"], rows)
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [[str(i)] for i in range(0, 400, 2)])
    result = reconcile(orders, purchases)
    assert [b.column for b in result.breakdowns] == ["payment"]
    assert breakdown(result, "payment") == [("card", 200, 200), ("bizum", 200, 0)]


def test_ragged_rows_are_an_error_naming_the_lines(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,payment,total\n1,card,10\n2,card,12,50\n3,card\n4,card,1\n")
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["1"]])
    with pytest.raises(InputError) as caught:
        reconcile(orders, purchases)
    problems = caught.value.problems
    assert [(p.line, p.message) for p in problems] == [
        (3, "4 cells where the header (line 1) has 3"),
        (4, "2 cells where the header (line 1) has 3"),
    ]
    assert all(p.file.endswith("orders.csv") for p in problems)
    assert "--skip-bad-rows" in (problems[0].tip or "")


def test_ragged_purchase_rows_are_reported_too(tmp_path: Path) -> None:
    orders = write_csv(tmp_path / "o.csv", ["order_id"], [["1"]])
    purchases = tmp_path / "purchases.csv"
    purchases.write_text("purchase_id,total\n1,2\n2\n")
    with pytest.raises(InputError) as caught:
        reconcile(orders, purchases)
    (problem,) = caught.value.problems
    assert (problem.file.endswith("purchases.csv"), problem.line) == (True, 3)


def test_skip_bad_rows_counts_them_instead(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,payment,total\n1,card,10\n2,card,12,50\n3,card\n4,card,1\n")
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["1"]])
    result = reconcile(orders, purchases, Options(skip_bad_rows=True))
    assert (result.orders_file.bad_rows, result.orders_file.bad_lines) == (2, (3, 4))
    assert (result.orders, result.lost) == (2, 1)


def test_more_than_five_ragged_rows_are_summarised(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,total\n" + "".join(f"{i},1,2\n" for i in range(8)))
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["1"]])
    with pytest.raises(InputError) as caught:
        reconcile(orders, purchases)
    problems = caught.value.problems
    assert len(problems) == 6
    assert problems[-1].message == "… and 3 more rows like these"


def test_trailing_delimiters_and_blank_lines_are_harmless(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,payment,\n1,card,\n\n2,card,,\n")
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["1"]])
    result = reconcile(orders, purchases)
    assert (result.orders, result.lost, result.orders_file.bad_rows) == (2, 1, 0)


def test_blank_ids_are_counted_not_matched(tmp_path: Path) -> None:
    orders = write_csv(tmp_path / "o.csv", ["order_id", "x"], [["1", "a"], ["", "b"], ["  ", "c"]])
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["1"], [""]])
    result = reconcile(orders, purchases)
    assert (result.orders_file.blank_ids, result.purchases_file.blank_ids) == (2, 1)
    assert (result.orders, result.lost) == (1, 0)


def test_a_header_without_orders_is_an_error(tmp_path: Path) -> None:
    orders = write_csv(tmp_path / "orders.csv", ORDER_HEADER, [])
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["1"]])
    with pytest.raises(InputError, match="1 problem") as caught:
        reconcile(orders, purchases)
    assert "header but no orders" in caught.value.problems[0].message


def test_an_empty_purchases_export_means_everything_is_lost(tmp_path: Path) -> None:
    orders = write_csv(tmp_path / "o.csv", ["order_id"], [["1"], ["2"]])
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [])
    result = reconcile(orders, purchases)
    assert (result.lost, result.loss_rate) == (2, 1.0)


def test_an_unclosed_quote_points_at_where_it_opened(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text('order_id,note,pay\n1,ok,card\n2,"oops,card\n3,ok,card\n4,ok,card\n')
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["1"]])
    with pytest.raises(InputError) as caught:
        reconcile(orders, purchases)
    (problem,) = caught.value.problems
    assert problem.line == 3
    assert "quote opened here is not closed until line 5" in problem.message


def test_invalid_csv_deep_in_the_file_is_a_located_error(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    # An unclosed quote in the last column swallows more than csv's field size limit.
    body = "".join(f"{i},card\n" for i in range(100))
    orders.write_text("order_id,pay\n" + body + '77,"card\n' + "x" * 200_000 + "\n")
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [["1"]])
    with pytest.raises(InputError) as caught:
        reconcile(orders, purchases)
    (problem,) = caught.value.problems
    assert problem.file.endswith("orders.csv")
    assert problem.line is not None and problem.line >= 102
    assert "not valid CSV: field larger than field limit" in problem.message


def test_lost_orders_reach_the_sink_with_their_line(tmp_path: Path) -> None:
    files = write_exports(tmp_path, [Order(id="1"), Order(id="2", recorded=False), Order(id="3")])
    received: list[tuple[int, str, list[str]]] = []

    class Sink:
        def start(self, header: object, delimiter: str) -> None:
            received.append((0, delimiter, list(header)))  # type: ignore[call-overload]

        def add(self, line: int, key: str, row: list[str]) -> None:
            received.append((line, key, row))

    reconcile(files.orders, files.purchases, sink=Sink())
    assert received[0] == (0, ",", list(ORDER_HEADER))
    assert received[1][:2] == (3, "2")
    assert received[1][2][0] == "2"


def _paths(files: Exports) -> tuple[Path, Path]:
    return files.orders, files.purchases
