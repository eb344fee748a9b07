"""The checks never blame the shop for the scenario's mistakes, and say what the scenario itself used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.checks.judge import resolve_expectations
from auditor.observation import Observation
from auditor.results import Status
from auditor.scenario.load import load_scenario, load_scenarios
from tests.checks.test_checks import check, never_back, paid, script_request, tag, tracking, with_tag


def gone(**payment: Any) -> Observation:
    """Never brought back, with some payment facts replaced."""
    obs = never_back()
    assert obs.payment is not None
    return obs.model_copy(update={"payment": obs.payment.model_copy(update=payment)})


def test_a_manual_return_quotes_the_selector_that_was_clicked() -> None:
    result = check(
        "payment.return",
        paid(returned="manual", mechanism="click", return_waited_ms=2000, return_click="text=Continuar"),
    )
    assert "clicking `text=Continuar`" in result.message and "return.click" not in result.message


def test_a_return_click_that_never_appeared_is_named() -> None:
    result = check("payment.return", gone(return_click="#volver", return_click_found=False))
    assert result.status is Status.FAIL
    assert "`#volver` was not found on the platform's page" in result.message


def test_no_return_and_no_return_click_lists_the_ways_back_as_a_ready_return_click() -> None:
    ways = [
        {"selector": "#continue", "what": 'button "Continuar" to shop.test'},
        {"selector": 'text="Volver a la tienda"', "what": 'link "Volver a la tienda"'},
    ]
    result = check("payment.return", gone(return_candidates=ways))
    assert result.status is Status.FAIL
    assert '`#continue` (button "Continuar" to shop.test)' in result.message
    assert '`text="Volver a la tienda"`' in result.message
    assert 'add `return: {click: "#continue"}` to the pay step' in result.message
    assert result.evidence["ways_back"] == ways


ANNOUNCED = {
    "how": "meta-refresh",
    "after_s": 8.0,
    "remaining_ms": 5000,
    "url": "https://shop.test/payment/return?ref=1",
    "timeout_at": "checkout.yaml:31",
}


def test_no_return_names_return_timeout_and_how_long_it_waited() -> None:
    result = check("payment.return", gone(return_timeout_ms=2004))
    assert result.status is Status.FAIL
    assert "never came back to the shop within 2 s of the last payment step (return.timeout)" in (
        result.message
    )
    assert result.evidence["return_timeout_ms"] == 2004


def test_a_return_announced_for_after_return_timeout_names_the_delay_and_the_line() -> None:
    result = check("payment.return", gone(return_timeout_ms=2000, announced_return=ANNOUNCED))
    assert result.status is Status.FAIL
    assert "announces a return to the shop after 8 s (a meta refresh to https://shop.test/payment" in (
        result.message
    )
    assert "raise return.timeout above 8 s (checkout.yaml:31)" in result.message
    assert result.evidence["announced_return"] == ANNOUNCED


def test_a_manual_return_also_says_an_automatic_one_was_announced_for_later() -> None:
    result = check(
        "payment.return",
        paid(returned="manual", mechanism="click", return_waited_ms=2000, announced_return=ANNOUNCED),
    )
    assert "after waiting 2000 ms." in result.message
    assert "raise return.timeout above 8 s (checkout.yaml:31)" in result.message


def test_no_return_and_no_way_back_says_there_is_none() -> None:
    result = check("payment.return", never_back())
    assert "has no link or button back to the shop" in result.message


def test_a_connectif_host_that_could_not_be_reached_is_not_judged_as_the_shops_fault() -> None:
    refused = script_request(status=None, failure="net::ERR_NAME_NOT_RESOLVED")
    obs = with_tag(tag()).model_copy(
        update={"connectif_requests": [refused], "error": "Connectif's script: the browser could not reach"}
    )
    result = check("connectif.script", obs)
    assert result.status is Status.SKIP and "could not reach cdn.connectif.cloud" in result.message
    sent = check("connectif.purchase_sent", obs)
    assert sent.status is Status.SKIP
    # A script that the shop's page asks for wrongly (HTTP 404) is still the shop's.
    missing = with_tag(tag()).model_copy(update={"connectif_requests": [script_request(status=404)]})
    assert check("connectif.script", missing).status is Status.FAIL


def test_a_tracking_request_that_could_not_reach_connectif_is_not_a_failure() -> None:
    read = tracking(
        {"purchaseId": "ORDER-42", "totalPrice": 180.75}, status=None, failure="net::ERR_CONNECTION_REFUSED"
    )
    obs = with_tag(tag()).model_copy(update={"connectif_requests": [script_request(), read]})
    result = check("connectif.purchase_sent", obs)
    assert result.status is Status.SKIP and "ERR_CONNECTION_REFUSED" in result.message


SCENARIO = """\
name: capture provenance
base_url: http://shop.test:8000
steps:
  - goto: /cart
  - capture: {name: cart_total, selector: "#cart-total"}
  - pay:
      submit: "#pay"
      hosts: [pay.test]
      steps:
        - capture: {name: ref, selector: ".reference"}
        - click: "#ok"
  - capture: {name: order_id, selector: ".order-number"}
expect:
  cn_purchase:
    purchase_id: "{{order_id}}"
    total_price: "{{cart_total}}"
    payment_method: "Card {{ref}}"
    total_quantity: 3
"""


def test_an_expected_value_from_a_capture_says_which_capture_where_and_what_it_read(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    known = {"order_id": "ORDER-41", "cart_total": "170.75", "ref": "R-9"}
    exp = resolve_expectations(load_scenario(path), known)
    assert (
        exp.sources["purchase_id"]
        == "{{order_id}} was captured by steps[3] from '.order-number', which read 'ORDER-41'"
    )
    assert "steps[1]" in exp.sources["total_price"]
    assert "steps[2].pay.steps[0]" in exp.sources["payment_method"]
    assert "total_quantity" not in exp.sources  # written in the scenario, not captured
    result = check(
        "cn_purchase.consistent",
        with_tag(tag()),
        cn_purchase=exp.cn_purchase,
        sources=exp.sources,
    )
    assert result.status is Status.FAIL
    assert (
        "purchase_id is 'ORDER-42' in the tag, expected 'ORDER-41' ({{order_id}} was captured by steps[3] "
        "from '.order-number', which read 'ORDER-41')" in result.message
    )
    assert "{{cart_total}} was captured by steps[1] from '#cart-total', which read '170.75'" in result.message
    rows = {r["field"]: r for r in result.evidence["expected"]}
    assert "expected_from" in rows["purchase_id"] and "expected_from" not in rows["total_quantity"]


def test_a_wrong_expected_value_points_at_its_line_and_says_the_expectation_may_be_wrong(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("total_quantity: 3", "total_quantity: 4"), encoding="utf-8")
    [loaded] = load_scenarios(path)
    known = {"order_id": "ORDER-42", "cart_total": "180.75", "ref": ""}
    exp = resolve_expectations(loaded.scenario, known, where=loaded.where)
    assert exp.places["total_quantity"] == f"{path}:18" and exp.places["purchase_id"] == f"{path}:15"
    result = check(
        "cn_purchase.consistent",
        with_tag(tag()),
        cn_purchase=exp.cn_purchase,
        sources=exp.sources,
        places=exp.places,
    )
    assert result.status is Status.FAIL
    # The tag says 3: the written 4 is either the shop's mistake or the scenario's; both are named.
    assert f"total_quantity is 3 in the tag, expected '4' (expect.cn_purchase.total_quantity, {path}:18)" in (
        result.message
    )
    assert f"the expectation is what is wrong: mend expect.cn_purchase.total_quantity ({path}:18)." in (
        result.remedy or ""
    )
    assert "purchase_id" not in (result.remedy or "")  # it matched: nothing to mend there
    rows = {r["field"]: r for r in result.evidence["expected"]}
    assert rows["total_quantity"]["written_at"] == f"{path}:18"


def test_an_expected_item_value_from_a_capture_says_so_too(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    items = '    items:\n      - {product_id: kb-1, unit_price: "{{cart_total}}"}\n'
    path.write_text(SCENARIO + items, encoding="utf-8")
    known = {"order_id": "ORDER-42", "cart_total": "70,25", "ref": "R-9"}
    exp = resolve_expectations(load_scenario(path), known)
    assert exp.sources["items[0].unit_price"] == (
        "{{cart_total}} was captured by steps[1] from '#cart-total', which read '70,25'"
    )
    result = check("cn_purchase.consistent", with_tag(tag()), items=exp.items, sources=exp.sources)
    assert result.status is Status.FAIL
    assert (
        "item 1 (product_id kb-1): unit_price is 60.25 in the tag, expected '70,25' ({{cart_total}} was "
        "captured by steps[1] from '#cart-total', which read '70,25')" in result.message
    )
    [row] = result.evidence["items"]
    assert [f.get("expected_from") is not None for f in row["fields"]] == [False, True]
