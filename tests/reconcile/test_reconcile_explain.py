"""The explanations read from the pattern of losses, each with something to do."""

from __future__ import annotations

from pathlib import Path

from reconcile_exports import Order, mix, write_csv, write_exports

from auditor.reconcile.analysis import reconcile
from auditor.reconcile.explain import API_GET, API_POST, pct
from auditor.reconcile.model import ExplanationKind as K
from auditor.reconcile.model import Reconciliation


def run(tmp_path: Path, orders: list[Order], extra: tuple[str, ...] = ()) -> Reconciliation:
    files = write_exports(tmp_path, orders, list(extra))
    return reconcile(files.orders, files.purchases)


def kinds(result: Reconciliation) -> list[K]:
    return [e.kind for e in result.explanations]


def test_losses_concentrated_on_a_payment_method_point_at_the_platform(tmp_path: Path) -> None:
    result = run(tmp_path, mix({"redsys": (100, 40), "card": (200, 2), "paypal": (150, 1)}))
    first = result.explanations[0]
    assert first.kind is K.PAYMENT_PLATFORM
    assert "redsys" in first.title
    assert "card" not in first.title and "paypal" not in first.title
    assert "40 of 100 orders lost" in first.evidence
    assert any("automatic return" in a for a in first.actions)
    assert any("checkout-auditor scenario" in a for a in first.actions)
    # Three stray losses elsewhere are not enough to blame the tag as well.
    assert K.TAG_OR_SCRIPT not in kinds(result)
    assert kinds(result)[-1] is K.API_SYNC


def test_losses_spread_over_every_method_point_at_the_tag(tmp_path: Path) -> None:
    result = run(tmp_path, mix({"redsys": (100, 10), "card": (200, 21), "paypal": (150, 14)}))
    assert K.PAYMENT_PLATFORM not in kinds(result)
    first = result.explanations[0]
    assert first.kind is K.TAG_OR_SCRIPT
    assert "spread over every payment method" in first.title
    assert "3 payment methods lose between" in first.evidence
    assert any("cn_purchase" in a for a in first.actions)


def test_a_bad_platform_on_top_of_a_general_loss_gives_both(tmp_path: Path) -> None:
    result = run(tmp_path, mix({"redsys": (100, 60), "card": (300, 30), "paypal": (300, 30)}))
    assert kinds(result)[:2] == [K.PAYMENT_PLATFORM, K.TAG_OR_SCRIPT]
    assert result.explanations[1].title.startswith("Besides redsys")


def test_pending_and_cancelled_orders_are_separated_not_blamed(tmp_path: Path) -> None:
    orders = (
        mix({"card": (50, 0), "transfer": (50, 0)})
        + [Order(id=f"p{i}", payment="transfer", status="pending", recorded=False) for i in range(30)]
        + [Order(id=f"c{i}", payment="card", status="Cancelado", recorded=False) for i in range(5)]
    )
    result = run(tmp_path, orders)
    assert (result.lost, result.loss_rate) == (0, 0.0)
    assert kinds(result) == [K.ALL_RECORDED, K.NOT_A_SALE]
    note = result.explanations[1]
    assert note.title.startswith("35 orders have a status that never reaches a confirmation page")
    assert "pending: 30 (30 not in Connectif)" in note.evidence
    assert "Cancelado: 5 (5 not in Connectif)" in note.evidence
    # Had they been counted, transfer would look like a broken platform.
    assert K.PAYMENT_PLATFORM not in kinds(result)


def test_concentration_on_another_column_is_explained(tmp_path: Path) -> None:
    orders = [
        Order(
            id=str(i),
            payment="card" if i % 2 else "paypal",
            device="mobile" if i % 4 == 0 else "desktop",
            recorded=not (i % 4 == 0 and i % 3),
        )
        for i in range(400)
    ]
    result = run(tmp_path, orders)
    (other,) = [e for e in result.explanations if e.kind is K.CONCENTRATED]
    assert other.title == "Losses concentrate on device = mobile"


def test_concentration_on_days_at_the_edge_suggests_checking_the_period(tmp_path: Path) -> None:
    orders = [
        Order(
            id=str(i),
            created=f"2024-03-{1 + i % 10:02d} 12:00",
            payment="card" if i % 2 else "bizum",
            recorded=not (i % 10 == 9 and i % 3),
        )
        for i in range(500)
    ]
    result = run(tmp_path, orders)
    (days,) = [e for e in result.explanations if e.kind is K.DAYS]
    assert days.title == "Losses concentrate on 1 day: 2024-03-10"
    assert any("same dates" in a for a in days.actions)


def test_few_losses_say_so(tmp_path: Path) -> None:
    result = run(tmp_path, mix({"card": (100, 2), "paypal": (100, 1)}))
    assert kinds(result)[0] is K.FEW_LOSSES
    assert result.explanations[0].title.startswith("Only 3 lost orders")


def test_no_payment_column_is_called_out(tmp_path: Path) -> None:
    orders = write_csv(tmp_path / "o.csv", ["order_id"], [[str(i)] for i in range(20)])
    purchases = write_csv(tmp_path / "p.csv", ["purchase_id"], [[str(i)] for i in range(10)])
    result = reconcile(orders, purchases)
    assert kinds(result)[0] is K.NO_PAYMENT_COLUMN


def test_api_sync_is_recommended_with_the_endpoints(tmp_path: Path) -> None:
    result = run(tmp_path, mix({"card": (100, 10)}))
    (api,) = [e for e in result.explanations if e.kind is K.API_SYNC]
    text = " ".join(api.actions)
    assert API_POST == "POST https://api.connectif.cloud/purchases/"
    assert API_GET == "GET https://api.connectif.cloud/purchases/purchase-id/{id}"
    assert API_POST in text and API_GET in text
    assert "purchaseId" in text


def test_id_duplicates_unknown_and_near_misses_are_explained(tmp_path: Path) -> None:
    orders = [
        Order(id="#1", purchase_id="1"),
        Order(id="2"),
        Order(id="2"),
        Order(id="3", recorded=False),
        Order(id="0004", recorded=False),
    ]
    result = run(tmp_path, orders, extra=("2", "web-3", "4", "999"))
    found = kinds(result)
    for kind in (K.ID_FORMAT, K.DUPLICATE_ORDERS, K.DUPLICATE_PURCHASES, K.UNKNOWN_PURCHASES, K.NEAR_MISS):
        assert kind in found
    near = [e for e in result.explanations if e.kind is K.NEAR_MISS]
    assert {e.title for e in near} == {
        "1 lost order would match if leading zeros were ignored",
        "1 unmatched id would match without the prefix 'web-'",
    }
    assert any("--strip-prefix 'web-'" in a for e in near for a in e.actions)


def test_every_explanation_has_an_action(tmp_path: Path) -> None:
    result = run(tmp_path, mix({"redsys": (100, 40), "card": (200, 2)}), extra=("x1",))
    assert result.explanations
    assert all(e.actions and e.title and e.evidence for e in result.explanations)


def test_pct_keeps_small_rates_visible() -> None:
    assert [pct(0), pct(0.0004), pct(0.042), pct(0.5)] == ["0%", "0.040%", "4.2%", "50%"]
