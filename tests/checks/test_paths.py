"""Duplicates after the payment (reloads included) and `expect.cn_purchase.items`, without a browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.checks import CHECKS, Expectations
from auditor.checks.judge import resolve_expectations
from auditor.checks.purchase import compare_items
from auditor.observation import ConnectifRequestRecord, Observation, PageSnapshot, StepRecord, TagSnapshot
from auditor.results import CheckResult, Status
from auditor.scenario.load import load_scenario
from tests.checks.test_checks import CONF, SENT, make, tag, tracking

RELOADED = CONF  # a reload keeps the address


def sent(obs: Observation, **exp: Any) -> CheckResult:
    return CHECKS["connectif.purchase_sent"](obs, Expectations(**exp))


def consistent(snapshot: TagSnapshot, **exp: Any) -> CheckResult:
    obs = make(
        tags_in_served_html=[snapshot],
        tags_at_load=PageSnapshot(at_ms=3400, url=CONF, tags=[snapshot]),
        tags_final=PageSnapshot(at_ms=5000, url=CONF, tags=[snapshot]),
    )
    return CHECKS["cn_purchase.consistent"](obs, Expectations(**exp))


def reloaded(*requests: ConnectifRequestRecord) -> Observation:
    """The good observation, then a reload of the confirmation at 6000 ms whose page sent `requests`."""
    reload = StepRecord(index="8", action="reload", target=CONF, started_ms=6000, ended_ms=7000)
    return make(
        connectif_requests=[*make().connectif_requests, *requests],
        steps=[reload],
    )


# --- duplicates -----------------------------------------------------------------------------------


def test_a_reload_that_sends_again_is_a_warning_listing_each_request() -> None:
    obs = reloaded(tracking(SENT, at_ms=6800, page_url=RELOADED))
    result = sent(obs)
    assert result.status is Status.WARN
    assert "2 times (in 2 request(s)" in result.message and "reloaded the page 1 time(s)" in result.message
    rows = result.evidence["duplicates"]
    assert [(r["page_url"], r["at_ms"], r["purchase_events"]) for r in rows] == [
        (CONF, 3600, 1),
        (RELOADED, 6800, 1),
    ]
    assert result.remedy and "reloads" in result.remedy


def test_duplicates_fail_under_the_fail_policy() -> None:
    obs = reloaded(tracking(SENT, at_ms=6800, page_url=RELOADED))
    result = sent(obs, duplicates="fail")
    assert result.status is Status.FAIL
    assert "expect.connectif.duplicates: fail" in result.message
    assert len(result.evidence["duplicates"]) == 2


def test_one_request_with_two_events_is_one_row_of_two() -> None:
    result = sent(make(connectif_requests=[tracking(SENT, SENT)]), duplicates="fail")
    assert result.status is Status.FAIL and "2 times (in 1 request(s)" in result.message
    assert [r["purchase_events"] for r in result.evidence["duplicates"]] == [2]
    assert "reloaded" not in result.message  # nothing was reloaded


def test_a_reload_that_sends_nothing_passes() -> None:
    obs = reloaded(tracking(at_ms=6800, page_url=RELOADED))  # a page-visit only: the tag rendered once
    result = sent(obs, duplicates="fail")
    assert result.status is Status.PASS and "duplicates" not in result.evidence


def test_only_requests_after_the_payment_count() -> None:
    before = tracking(SENT, at_ms=500, page_url="http://shop.test:8000/checkout")  # before back_on_shop_ms
    obs = make(connectif_requests=[before, *make().connectif_requests])
    result = sent(obs, duplicates="fail")
    assert result.status is Status.PASS, result.message


def test_another_purchase_on_the_reloaded_page_is_no_duplicate_of_this_one() -> None:
    obs = reloaded(tracking({**SENT, "purchaseId": "ORDER-43"}, at_ms=6800, page_url=RELOADED))
    assert sent(obs, duplicates="fail").status is Status.PASS


def test_the_policy_reaches_the_check_from_the_scenario(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nbase_url: http://shop.test\nsteps:\n  - goto: /\n"
        "  - capture: {name: later, selector: '#id'}\n"
        "expect:\n  connectif: {duplicates: fail}\n"
        "  cn_purchase:\n    items:\n      - {product_id: kb-1, price: '{{price}}', quantity: 3}\n"
        "      - {product_id: '{{later}}'}\n"
        "vars: {price: '180,75'}\n",
        encoding="utf-8",
    )
    exp = resolve_expectations(load_scenario(path), {"price": "180,75"})
    assert exp.duplicates == "fail"
    # {{later}} never got a value: that field is left out, the item itself is still expected
    assert exp.items == ({"product_id": "kb-1", "price": "180,75", "quantity": 3}, {})


# --- items ----------------------------------------------------------------------------------------

ITEM = {"product_id": "kb-1", "name": "Keyboard", "quantity": 3, "unit_price": "60,25", "price": "€180.75"}


def test_items_as_expected_pass_with_lenient_amounts() -> None:
    result = consistent(tag(), items=(ITEM,))
    assert result.status is Status.PASS, result.message
    assert "its 1 item(s) as expected" in result.message
    [row] = result.evidence["items"]
    assert row["state"] == "same" and all(f["ok"] for f in row["fields"])


def test_a_different_item_field_names_the_item_and_the_field() -> None:
    result = consistent(tag(), items=({**ITEM, "price": "170,75", "name": "Mouse"},))
    assert result.status is Status.FAIL
    assert "item 1 (product_id kb-1): price is 180.75 in the tag, expected '170,75'" in result.message
    assert "item 1 (product_id kb-1): name is 'Keyboard' in the tag, expected 'Mouse'" in result.message
    assert result.evidence["items"][0]["state"] == "differs"


def test_a_missing_and_an_extra_item() -> None:
    missing = consistent(tag(), items=(ITEM, {"product_id": "mouse-2", "quantity": 1}))
    assert missing.status is Status.FAIL
    assert "item 2 (product_id mouse-2) is missing from the tag (1 item(s) there, 2 expected)" in (
        missing.message
    )
    extra = consistent(tag(items=2), items=(ITEM,))
    assert extra.status is Status.FAIL
    assert "the tag has an extra item 2 (product_id kb-1) (1 item(s) expected)" in extra.message
    assert [r["state"] for r in extra.evidence["items"]] == ["same", "extra"]


def test_the_tag_is_read_as_connectifs_script_reads_it() -> None:
    # "180,75" in the tag is parseFloat'ed to 180: it does not match an expected 180,75
    comma = tag()
    comma.items[0]["price"] = ["180,75"]
    result = consistent(comma, items=({"product_id": "kb-1", "price": "180,75"},))
    assert result.status is Status.FAIL and "price is 180 in the tag" in result.message
    # a field the item lacks
    result = consistent(tag(), items=({"product_id": "kb-1", "brand": "Acme"},))
    assert result.status is Status.FAIL and "brand is missing, expected 'Acme'" in result.message


@pytest.mark.parametrize(
    ("expected", "ok"),
    [
        ({"quantity": "3"}, True),
        ({"quantity": 2}, False),
        ({"unit_price": "60.25 €"}, True),
        ({"unit_price": "60.26"}, False),
        ({"unit_price": "sixty"}, False),
        ({"url": "https://shop.test/p/kb"}, True),
    ],
)
def test_compare_items_field_rules(expected: dict[str, Any], ok: bool) -> None:
    found = compare_items((expected,), tag().items)
    assert (not found.failures) is ok, found.failures


def test_no_items_expected_means_any_item_is_extra() -> None:
    result = consistent(tag(), items=())
    assert result.status is Status.FAIL and "extra item 1" in result.message
    assert consistent(tag()).status is Status.PASS  # items not given: not compared
