"""Every check on recorded observations: pass, fail, warn and skip paths, without a browser."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.checks import (
    CHECKS,
    Expectations,
    cn_purchase_result,
    payment_result,
    run_checks,
    scenario_status,
)
from auditor.connectif.tag import read_tag
from auditor.errors import first_line
from auditor.observation import (
    ConnectifRequestRecord,
    ConsoleError,
    CookieRecord,
    JourneyPage,
    Navigation,
    Observation,
    PageSnapshot,
    PaymentObservation,
    TagSnapshot,
)
from auditor.results import CheckResult, ScenarioStatus, Status

SHOP = "http://shop.test:8000"
CONF = f"{SHOP}/order/confirmation/42"
SCRIPT_URL = "https://cdn.connectif.cloud/eu8/client-script/store-1"
TRACK_URL = "https://eu5-api.connectif.cloud/integration-type/system/scrippet-notification/store-1"


def tag(items: int = 1, **overrides: str | None) -> TagSnapshot:
    """A valid tag; item prices and quantities add up to the totals."""
    item = {
        "quantity": ["3"],
        "price": ["180.75"],
        "url": ["https://shop.test/p/kb"],
        "product_id": ["kb-1"],
        "name": ["Keyboard"],
        "unit_price": ["60.25"],
    }
    own: dict[str, str | None] = {
        "purchase_id": "ORDER-42",
        "cart_id": "CART-7",
        "total_quantity": str(3 * items),
        "total_price": f"{180.75 * items:.2f}",
        "payment_method": "Card",
    }
    own.update(overrides)
    fields = {k: [v] for k, v in own.items() if v is not None}
    item_list = [dict(item) for _ in range(items)]
    for it in item_list:
        for name, texts in it.items():
            fields.setdefault(name, []).extend(texts)
    return TagSnapshot(fields=fields, items=item_list, html='<div class="cn_purchase">…</div>')


def cart(cart_id: str = "CART-7", *product_ids: str, total_price: str = "180.75") -> TagSnapshot:
    """A cn_cart tag with one basket item per product id (an empty cart without any)."""
    items = [
        {
            "quantity": ["3"],
            "price": [total_price],
            "url": [f"https://shop.test/p/{pid}"],
            "product_id": [pid],
            "name": [pid.title()],
            "unit_price": ["60.25"],
        }
        for pid in product_ids
    ]
    fields: dict[str, list[str]] = {
        "cart_id": [cart_id],
        "total_quantity": [str(3 * len(items))],
        "total_price": [total_price if items else "0"],
    }
    for item in items:
        for name, texts in item.items():
            fields.setdefault(name, []).extend(texts)
    return TagSnapshot(fields=fields, items=items, html='<div class="cn_cart">…</div>')


EMAIL = "ada@example.com"
ENTITY = {"trackerId": "tr-1", "primaryKey": EMAIL}


def tracking(*purchases: dict[str, Any], at_ms: int = 3600, **kw: Any) -> ConnectifRequestRecord:
    events: list[dict[str, Any]] = [{"type": "page-visit"}]
    events += [{"type": "purchase", "purchase": p} for p in purchases]
    base: dict[str, Any] = {
        "url": TRACK_URL,
        "method": "POST",
        "kind": "tracking",
        "status": 200,
        "page_url": CONF,
        "entity_info": ENTITY,
    }
    base.update(kw)
    return ConnectifRequestRecord(at_ms=at_ms, events=events, **base)


def script_request(**kw: Any) -> ConnectifRequestRecord:
    base: dict[str, Any] = {
        "at_ms": 3300,
        "url": SCRIPT_URL,
        "method": "GET",
        "kind": "script",
        "status": 200,
        "page_url": CONF,
    }
    base.update(kw)
    return ConnectifRequestRecord(**base)


SENT = read_tag(tag()).purchase
assert SENT is not None

PAYMENT = PaymentObservation(
    provider="Redsys sandbox",
    hosts=["pay.test"],
    reached=True,
    reached_via="navigation",
    reached_url="http://pay.test/pay",
    first_platform_response_ms=1000,
    last_step_ended_ms=3000,
    back_on_shop_ms=3200,
    returned="automatic",
    mechanism="form-post",
    first_shop_url=CONF,
    return_request_method="POST",
    return_cookies_sent=["sid"],
)

GOOD = Observation(
    started_at="2024-09-13T10:00:00Z",
    duration_ms=6000,
    base_url=SHOP + "/",
    shop_hosts=["shop.test"],
    navigations=[
        Navigation(at_ms=100, url=f"{SHOP}/cart", host="shop.test"),
        Navigation(at_ms=1000, url="http://pay.test/pay", host="pay.test"),
        Navigation(at_ms=3200, url=CONF, host="shop.test", cause="form-post", method="POST"),
    ],
    payment=PAYMENT,
    confirmation_url=CONF,
    confirmation_loaded_ms=3400,
    tags_in_served_html=[tag()],
    tags_at_load=PageSnapshot(at_ms=3400, url=CONF, tags=[tag()]),
    tags_final=PageSnapshot(at_ms=5000, url=CONF, tags=[tag()]),
    shop_cookies=[CookieRecord(name="sid", domain="shop.test", same_site="None", secure=True)],
    connectif_requests=[script_request(), tracking(SENT)],
    journey=[
        JourneyPage(at_ms=100, url=f"{SHOP}/cart", read_ms=150, carts=[cart("CART-7", "kb-1")]),
        JourneyPage(
            at_ms=3200,
            url=CONF,
            read_ms=3400,
            carts=[cart("CART-8")],
            client_info=[{"primary_key": [EMAIL]}],
            purchase_tags=1,
        ),
    ],
)


def make(**update: Any) -> Observation:
    """The good observation with some facts replaced."""
    return GOOD.model_copy(update=update)


def paid(**update: Any) -> Observation:
    """The good observation with some payment facts replaced."""
    return make(payment=PAYMENT.model_copy(update=update))


def no_tags(**update: Any) -> Observation:
    """The good observation where the confirmation page never had a tag."""
    empty = {
        "tags_in_served_html": [],
        "tags_at_load": PageSnapshot(at_ms=3400, url=CONF),
        "tags_final": PageSnapshot(at_ms=5000, url=CONF),
    }
    return make(**{**empty, **update})


def never_back(**update: Any) -> Observation:
    """The customer paid and was never brought back."""
    payment = PAYMENT.model_copy(
        update={
            "returned": "none",
            "mechanism": None,
            "first_shop_url": None,
            "back_on_shop_ms": None,
            "return_waited_ms": 15000,
        }
    )
    return make(
        payment=payment,
        confirmation_url=None,
        tags_in_served_html=None,
        tags_at_load=None,
        tags_final=None,
        connectif_requests=[],
        **update,
    )


def check(check_id: str, obs: Observation, **exp: Any) -> CheckResult:
    found = CHECKS[check_id](obs, Expectations(**exp))
    assert found.id == check_id
    if found.status is Status.PASS:
        assert found.remedy is None
    else:
        assert found.message and (found.remedy or found.status is Status.SKIP)
    return found


ERROR = {"error": "step 7 (click #pay) timed out after 10s", "error_step": "7"}

# --- the whole set --------------------------------------------------------------------------------


def test_run_checks_reports_every_check_in_the_spec_order() -> None:
    results = run_checks(GOOD, Expectations(confirmation_url="**/order/confirmation/**"))
    assert [r.id for r in results] == [
        "payment.left_shop",
        "payment.return",
        "confirmation.reached",
        "cn_purchase.present",
        "cn_purchase.valid",
        "cn_purchase.consistent",
        "cn_cart.closed",
        "connectif.script",
        "connectif.purchase_sent",
        "connectif.purchase_recorded",
        "contact.identified",
        "page.errors",
    ]
    # connectif.purchase_recorded is not judged without connectif.api
    statuses = {r.id: r.status for r in results}
    assert statuses.pop("connectif.purchase_recorded") is Status.SKIP
    assert statuses == dict.fromkeys(statuses, Status.PASS)


def test_results_are_json_able() -> None:
    import json

    for obs in (GOOD, no_tags(), never_back(), make(**ERROR)):
        for r in run_checks(obs, Expectations(cn_purchase={"total_price": "180,75", "products": 1})):
            json.dumps(r.model_dump(mode="json"), allow_nan=False)


def test_scenario_status() -> None:
    ok = CheckResult(id="a", status=Status.PASS, message="")
    warn = CheckResult(id="b", status=Status.WARN, message="")
    bad = CheckResult(id="c", status=Status.FAIL, message="")
    assert scenario_status([ok, warn]) is ScenarioStatus.PASS
    assert scenario_status([ok, bad]) is ScenarioStatus.FAIL
    assert scenario_status([ok], "crashed") is ScenarioStatus.ERROR


def test_payment_result() -> None:
    assert payment_result(GOOD) == {
        "provider": "Redsys sandbox",
        "left_shop": True,
        "return": "automatic",
        "mechanism": "form-post",
        "time_on_platform_ms": 2200,
        "return_ms": 200,
    }
    assert payment_result(make(payment=None)) is None
    assert payment_result(never_back())["time_on_platform_ms"] is None  # type: ignore[index]
    # the last step's click started the return: the commit came before the step ended
    assert payment_result(paid(last_step_ended_ms=3300))["return_ms"] == 0  # type: ignore[index]


def test_cn_purchase_result() -> None:
    summary = cn_purchase_result(GOOD)
    assert summary is not None
    assert summary["purchase_id"] == "ORDER-42" and summary["total_price"] == "180.75"
    assert summary["products"][0]["product_id"] == "kb-1"
    assert cn_purchase_result(no_tags()) is None
    late = no_tags(tags_final=PageSnapshot(at_ms=5000, url=CONF, tags=[tag(purchase_id="LATE")]))
    assert cn_purchase_result(late)["purchase_id"] == "LATE"  # type: ignore[index]


def test_error_still_judges_what_was_observed() -> None:
    results = {r.id: r.status for r in run_checks(make(**ERROR), Expectations())}
    assert results.pop("connectif.purchase_recorded") is Status.SKIP  # no connectif.api
    assert set(results.values()) == {Status.PASS}
    stopped = {
        r.id: r
        for r in run_checks(
            make(
                payment=None,
                confirmation_url=None,
                tags_in_served_html=None,
                tags_at_load=None,
                tags_final=None,
                connectif_requests=[],
                **ERROR,
            ),
            Expectations(),
        )
    }
    assert {r.status for r in stopped.values()} == {Status.SKIP}
    assert "timed out" in stopped["cn_purchase.present"].message


# --- payment.left_shop ----------------------------------------------------------------------------


def test_left_shop() -> None:
    result = check("payment.left_shop", GOOD)
    assert result.status is Status.PASS and result.evidence["reached_url"] == "http://pay.test/pay"
    assert check("payment.left_shop", GOOD, has_payment=False).status is Status.SKIP
    assert check("payment.left_shop", make(payment=None)).status is Status.SKIP
    assert check("payment.left_shop", make(payment=None, **ERROR)).status is Status.SKIP
    assert check("payment.left_shop", paid(reached=False), **{}).status is Status.FAIL


def test_left_shop_fail_names_undeclared_hosts() -> None:
    result = check(
        "payment.left_shop", paid(reached=False).model_copy(update={"undeclared_hosts": ["sis.redsys.es"]})
    )
    assert result.status is Status.FAIL
    assert "sis.redsys.es" in (result.remedy or "")
    assert result.evidence["hosts"] == ["pay.test"]


def test_left_shop_not_judged_when_the_run_stopped_before() -> None:
    assert check("payment.left_shop", paid(reached=False).model_copy(update=ERROR)).status is Status.SKIP


# --- payment.return -------------------------------------------------------------------------------


def test_return_automatic() -> None:
    result = check("payment.return", GOOD)
    assert result.status is Status.PASS
    assert result.evidence["time_on_platform_ms"] == 2200 and result.evidence["return_ms"] == 200
    assert result.evidence["mechanism"] == "form-post"
    assert result.evidence["return_cookies_sent"] == ["sid"]


def test_a_return_started_by_the_last_payment_step_itself_is_not_0_ms_after_it() -> None:
    result = check("payment.return", paid(last_step_ended_ms=3300, back_on_shop_ms=3250))
    assert result.status is Status.PASS and result.evidence["return_ms"] == 0
    assert result.message.endswith("(form-post) as the last payment step ended."), result.message


@pytest.mark.parametrize(("policy", "status"), [("automatic", Status.FAIL), ("manual-allowed", Status.WARN)])
def test_return_manual(policy: str, status: Status) -> None:
    result = check(
        "payment.return",
        paid(returned="manual", mechanism="click", return_waited_ms=15000),
        return_policy=policy,
    )
    assert result.status is status
    assert "automatically" in (result.remedy or "") and "api.connectif.cloud/purchases" in (
        result.remedy or ""
    )
    assert "15000 ms" in result.message


@pytest.mark.parametrize("policy", ["automatic", "manual-allowed"])
def test_return_none_fails_whatever_the_policy(policy: str) -> None:
    result = check("payment.return", never_back(), return_policy=policy)
    assert result.status is Status.FAIL
    assert "never came back" in result.message


def test_return_skips() -> None:
    assert check("payment.return", GOOD, has_payment=False).status is Status.SKIP
    assert check("payment.return", paid(reached=False)).status is Status.SKIP
    cut_short = paid(returned="none", last_step_ended_ms=None, back_on_shop_ms=None).model_copy(update=ERROR)
    assert check("payment.return", cut_short).status is Status.SKIP
    assert check("payment.return", make(payment=None, **ERROR)).status is Status.SKIP


# --- confirmation.reached -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "status"),
    [
        ("**/order/confirmation/**", Status.PASS),
        ("**/order/confirmation/*", Status.PASS),
        ("/order/confirmation/*", Status.PASS),  # resolved against base_url
        ("re:/confirmation/[0-9]+$", Status.PASS),
        (None, Status.PASS),
        ("**/order/thanks/**", Status.FAIL),
        ("/order/*", Status.FAIL),  # * stays within a segment
        ("re:/thanks", Status.FAIL),
        ("**/{bad", Status.SKIP),
        ("re:(", Status.SKIP),
    ],
)
def test_confirmation_reached(pattern: str | None, status: Status) -> None:
    result = check("confirmation.reached", GOOD, confirmation_url=pattern)
    assert result.status is status
    assert result.evidence["url"] == CONF


def test_confirmation_fail_evidence_and_remedy() -> None:
    landing = f"{SHOP}/payment/ko"
    result = check(
        "confirmation.reached", paid(first_shop_url=landing), confirmation_url="**/confirmation/**"
    )
    assert result.status is Status.FAIL
    assert landing in result.message and "return" in (result.remedy or "")


def test_confirmation_never_reached() -> None:
    assert check("confirmation.reached", never_back()).status is Status.FAIL
    assert check("confirmation.reached", never_back(**ERROR)).status is Status.SKIP


def test_confirmation_without_pay_uses_the_last_page() -> None:
    result = check(
        "confirmation.reached", make(payment=None), confirmation_url="**/confirmation/*", has_payment=False
    )
    assert result.status is Status.PASS


# --- cn_purchase.present --------------------------------------------------------------------------


def test_present_at_load() -> None:
    result = check("cn_purchase.present", GOOD)
    assert result.status is Status.PASS and "as served" in result.message
    scripted = check("cn_purchase.present", make(tags_in_served_html=[]))
    assert scripted.status is Status.PASS and "script" in scripted.message


def test_present_only_after_load_warns() -> None:
    late = no_tags(tags_final=PageSnapshot(at_ms=5000, url=CONF, tags=[tag()]))
    result = check("cn_purchase.present", late)
    assert result.status is Status.WARN
    assert result.evidence["tags_at_load"] == 0 and result.evidence["tags_final"] == 1
    assert "server-side" in (result.remedy or "")


def test_present_removed_before_load_warns() -> None:
    assert check("cn_purchase.present", no_tags(tags_in_served_html=[tag()])).status is Status.WARN


def test_missing_tag_fails() -> None:
    result = check("cn_purchase.present", no_tags())
    assert result.status is Status.FAIL
    assert "server-side" in (result.remedy or "") and "api.connectif.cloud/purchases" in (result.remedy or "")
    assert "session_cookie" not in result.evidence  # the cookie went with the return


def lax_session(
    same_site: str | None = "Lax", method: str = "POST", sent: list[str] | None = None
) -> Observation:
    payment = PAYMENT.model_copy(update={"return_request_method": method, "return_cookies_sent": sent or []})
    cookies = [
        CookieRecord(name="_ga", domain=".shop.test", same_site="Lax"),
        CookieRecord(name="PHPSESSID", domain="shop.test", same_site=same_site),
    ]
    return no_tags(payment=payment, shop_cookies=cookies)


@pytest.mark.parametrize(
    ("same_site", "method", "shown"),
    [("Lax", "POST", "Lax"), (None, "POST", "not set (Lax)"), ("Strict", "GET", "Strict")],
)
def test_missing_tag_after_cross_site_return_without_session_cookie(
    same_site: str | None, method: str, shown: str
) -> None:
    result = check("cn_purchase.present", lax_session(same_site, method))
    assert result.status is Status.FAIL
    diagnosis = result.evidence["session_cookie"]
    assert diagnosis["session_cookie"] == "PHPSESSID"
    assert diagnosis["session_cookie_same_site"] == shown
    assert diagnosis["return_method"] == method
    assert "PHPSESSID" in result.message
    assert "SameSite=None; Secure" in (result.remedy or "") and "GET" in (result.remedy or "")


@pytest.mark.parametrize(
    "obs",
    [
        lax_session("Lax", "GET"),  # Lax cookies go with a top-level GET
        lax_session("None"),  # SameSite=None goes everywhere
        lax_session("Lax", "POST", sent=["PHPSESSID", "_ga"]),  # it was sent after all
        lax_session("Lax").model_copy(
            update={
                "payment": PAYMENT.model_copy(update={"hosts": ["pay.shop.test"], "return_cookies_sent": []})
            }
        ),  # same site
    ],
)
def test_no_samesite_diagnosis_when_it_does_not_apply(obs: Observation) -> None:
    result = check("cn_purchase.present", obs)
    assert result.status is Status.FAIL and "session_cookie" not in result.evidence


def test_present_when_never_back_or_stopped() -> None:
    result = check("cn_purchase.present", never_back())
    assert result.status is Status.FAIL and "never came back" in result.message
    assert check("cn_purchase.present", never_back(**ERROR)).status is Status.SKIP


def test_absent_expected() -> None:
    assert check("cn_purchase.present", no_tags(), cn_purchase="absent").status is Status.PASS
    found = check("cn_purchase.present", GOOD, cn_purchase="absent")
    assert found.status is Status.FAIL and "none was expected" in found.message


# --- cn_purchase.valid ----------------------------------------------------------------------------


def with_tag(snapshot: TagSnapshot, *more: TagSnapshot) -> Observation:
    tags = [snapshot, *more]
    return make(
        tags_in_served_html=tags,
        tags_at_load=PageSnapshot(at_ms=3400, url=CONF, tags=tags),
        tags_final=PageSnapshot(at_ms=5000, url=CONF, tags=tags),
    )


def test_valid_pass() -> None:
    result = check("cn_purchase.valid", GOOD)
    assert result.status is Status.PASS
    assert "ORDER-42" in result.message and result.evidence["connectif_reads"]["totalPrice"] == 180.75


def test_valid_fails_on_comma_decimals() -> None:
    result = check("cn_purchase.valid", with_tag(tag(total_price="180,75")))
    assert result.status is Status.FAIL
    (problem,) = result.evidence["problems"]
    assert problem == {
        "field": "total_price",
        "raw": "180,75",
        "reads": 180,
        "problem": "total_price uses a comma as decimal separator; "
        "Connectif's script reads 180 instead of 180.75",
        "fix": "write 180.75: `.` as decimal separator, no currency symbol, no thousands separator",
    }
    assert "`.` as decimal separator" in (result.remedy or "")


def test_valid_fail_says_when_the_purchase_is_dropped() -> None:
    result = check("cn_purchase.valid", with_tag(tag(total_price="€180.75")))
    assert result.status is Status.FAIL
    assert "drops the whole purchase" in result.message
    assert result.evidence["purchase_dropped"] and result.evidence["connectif_reads"] is None


def test_valid_item_problems_and_several_tags() -> None:
    broken = tag(purchase_id="ORDER-43")
    broken.items[0]["unit_price"] = ["60,25"]
    result = check("cn_purchase.valid", with_tag(tag(), broken))
    assert [p["field"] for p in result.evidence["problems"]] == ["tag[2].product_basket_item[1].unit_price"]


def test_valid_skips() -> None:
    assert check("cn_purchase.valid", no_tags()).status is Status.SKIP
    assert check("cn_purchase.valid", GOOD, cn_purchase="absent").status is Status.SKIP
    assert check("cn_purchase.valid", never_back(**ERROR)).status is Status.SKIP


# --- cn_purchase.consistent -----------------------------------------------------------------------


def test_consistent_pass() -> None:
    result = check("cn_purchase.consistent", with_tag(tag(items=2)))
    assert result.status is Status.PASS
    assert result.evidence["sum_of_quantities"] == 6 and result.evidence["sum_of_prices"] == 361.5


def test_more_than_one_tag_fails() -> None:
    result = check("cn_purchase.consistent", with_tag(tag(), tag()))
    assert result.status is Status.FAIL and "2 cn_purchase tags" in result.message


def test_total_quantity_differs_fails() -> None:
    result = check("cn_purchase.consistent", with_tag(tag(total_quantity="4")))
    assert result.status is Status.FAIL and "add up to 3" in result.message


def test_total_price_differs_warns() -> None:
    result = check("cn_purchase.consistent", with_tag(tag(total_price="185.70")))
    assert result.status is Status.WARN
    assert "185.7" in result.message and "shipping" in (result.remedy or "")


@pytest.mark.parametrize(
    ("tag_price", "expected", "status"),
    [
        ("12.50", "12,50", Status.PASS),  # the spec's example: a Spanish capture matches a good tag
        ("12,50", "12,50", Status.FAIL),  # ... and not a tag Connectif reads as 12
        ("12.50", "€12.50", Status.PASS),
        ("1234.56", "1.234,56", Status.PASS),
        ("12.50", "12.51", Status.FAIL),
        ("12.50", 12.5, Status.PASS),
        ("€12.50", "12.50", Status.FAIL),  # unreadable for Connectif
        ("12.50", "twelve", Status.FAIL),
    ],
)
def test_expected_total_price(tag_price: str, expected: Any, status: Status) -> None:
    snapshot = TagSnapshot(fields={"purchase_id": ["O"], "total_quantity": ["1"], "total_price": [tag_price]})
    result = check("cn_purchase.consistent", with_tag(snapshot), cn_purchase={"total_price": expected})
    assert result.status is status
    (row,) = result.evidence["expected"]
    assert row["ok"] is (status is Status.PASS)


@pytest.mark.parametrize(
    ("expected", "status"),
    [
        ({"purchase_id": "ORDER-42", "products": 1, "total_quantity": "3"}, Status.PASS),
        ({"purchase_id": " ORDER-42 "}, Status.PASS),
        ({"purchase_id": "ORDER-41"}, Status.FAIL),
        ({"products": "2"}, Status.FAIL),
        ({"total_quantity": 4}, Status.FAIL),
        ({"payment_method": "Card"}, Status.PASS),
        ({"source_type": "marketplace"}, Status.FAIL),  # not in the tag
    ],
)
def test_expected_values(expected: dict[str, Any], status: Status) -> None:
    result = check("cn_purchase.consistent", GOOD, cn_purchase=expected)
    assert result.status is status
    if status is Status.FAIL:
        assert "expected" in result.message and result.remedy


def test_consistent_skips() -> None:
    assert check("cn_purchase.consistent", no_tags()).status is Status.SKIP
    assert check("cn_purchase.consistent", GOOD, cn_purchase="absent").status is Status.SKIP


# --- connectif.script -----------------------------------------------------------------------------


def test_script_loaded() -> None:
    result = check("connectif.script", GOOD)
    assert result.status is Status.PASS and result.evidence["requests"][0]["status"] == 200


def test_script_counted_after_the_page_rewrote_its_url() -> None:
    rewritten = make(connectif_requests=[script_request(page_url=CONF + "?x=1")])
    assert check("connectif.script", rewritten).status is Status.PASS


@pytest.mark.parametrize(
    ("requests", "words"),
    [
        ([], "not requested"),
        ([script_request(status=404)], "HTTP 404"),
        ([script_request(status=None, failure="net::ERR_BLOCKED_BY_CLIENT")], "ERR_BLOCKED_BY_CLIENT"),
        ([script_request(status=None)], "no answer"),
        ([script_request(page_url=f"{SHOP}/cart", at_ms=200)], "not requested"),
    ],
)
def test_script_missing_or_failed(requests: list[ConnectifRequestRecord], words: str) -> None:
    result = check("connectif.script", make(connectif_requests=requests))
    assert result.status is Status.FAIL and words in result.message
    optional = check("connectif.script", make(connectif_requests=requests), script="optional")
    assert optional.status is Status.WARN


def test_script_on_other_pages_is_evidence() -> None:
    result = check(
        "connectif.script", make(connectif_requests=[script_request(page_url=f"{SHOP}/cart", at_ms=200)])
    )
    assert result.evidence["loaded_on_other_pages"] == [f"{SHOP}/cart"]
    assert "every page" in (result.remedy or "")


def test_script_absent_inverts() -> None:
    assert check("connectif.script", GOOD, script="absent").status is Status.FAIL
    assert check("connectif.script", make(connectif_requests=[]), script="absent").status is Status.PASS


def test_script_skips() -> None:
    assert check("connectif.script", never_back()).status is Status.SKIP
    assert check("connectif.script", never_back(**ERROR)).status is Status.SKIP
    assert check("connectif.script", make(connectif_requests=[], **ERROR)).status is Status.SKIP


# --- connectif.purchase_sent ----------------------------------------------------------------------


def test_purchase_sent() -> None:
    result = check("connectif.purchase_sent", GOOD)
    assert result.status is Status.PASS
    assert result.evidence["purchase_id"] == "ORDER-42" and result.evidence["sent"]["totalPrice"] == 180.75


def test_purchase_not_sent_at_all() -> None:
    result = check("connectif.purchase_sent", make(connectif_requests=[script_request()]))
    assert result.status is Status.FAIL and "No tracking request" in result.message
    assert "api.connectif.cloud/purchases" in (result.remedy or "")


def test_tracking_without_purchase() -> None:
    result = check("connectif.purchase_sent", make(connectif_requests=[tracking()]))
    assert result.status is Status.FAIL and "none carried purchase ORDER-42" in result.message


def test_purchase_with_another_id() -> None:
    result = check(
        "connectif.purchase_sent", make(connectif_requests=[tracking({**SENT, "purchaseId": "X"})])
    )
    assert result.status is Status.FAIL and "carried X" in result.message


def test_unreadable_tag_explains_why_nothing_was_sent() -> None:
    obs = with_tag(tag(total_price="€180.75")).model_copy(update={"connectif_requests": [tracking()]})
    result = check("connectif.purchase_sent", obs)
    assert result.status is Status.FAIL
    assert "drops the tag's purchase" in result.message and result.evidence["purchase_dropped"]


@pytest.mark.parametrize(
    "requests",
    [[tracking(SENT, SENT)], [tracking(SENT), tracking(SENT, at_ms=9000)]],
)
def test_duplicate_purchase_warns(requests: list[ConnectifRequestRecord]) -> None:
    result = check("connectif.purchase_sent", make(connectif_requests=requests))
    assert result.status is Status.WARN and "2 times" in result.message


def test_sent_values_differ_from_the_tag() -> None:
    result = check(
        "connectif.purchase_sent", make(connectif_requests=[tracking({**SENT, "totalPrice": 180})])
    )
    assert result.status is Status.FAIL
    assert result.evidence["differences"] == [{"key": "totalPrice", "tag": 180.75, "sent": 180}]


def test_sent_but_rejected() -> None:
    result = check("connectif.purchase_sent", make(connectif_requests=[tracking(SENT, status=403)]))
    assert result.status is Status.FAIL and "HTTP 403" in result.message
    intercepted = make(connectif_requests=[tracking(SENT, status=None, intercepted=True)])
    assert check("connectif.purchase_sent", intercepted).status is Status.PASS


def test_this_purchase_without_tag_is_the_expected_id_else_any() -> None:
    obs = no_tags(connectif_requests=[tracking({**SENT, "purchaseId": "JS-1"})])
    assert check("connectif.purchase_sent", obs, cn_purchase={"purchase_id": "JS-1"}).status is Status.PASS
    assert check("connectif.purchase_sent", obs, cn_purchase={"purchase_id": "JS-2"}).status is Status.FAIL
    assert check("connectif.purchase_sent", obs).status is Status.PASS  # any purchase event


def test_purchase_sent_optional_and_absent() -> None:
    nothing = make(connectif_requests=[])
    assert check("connectif.purchase_sent", nothing, purchase_sent="optional").status is Status.WARN
    assert check("connectif.purchase_sent", GOOD, purchase_sent="optional").status is Status.PASS
    assert check("connectif.purchase_sent", nothing, purchase_sent="absent").status is Status.PASS
    assert check("connectif.purchase_sent", GOOD, purchase_sent="absent").status is Status.FAIL
    # with no tag and no expected id, any purchase event breaks `absent`
    other = no_tags(connectif_requests=[tracking({**SENT, "purchaseId": "OTHER"})])
    assert check("connectif.purchase_sent", other, purchase_sent="absent").status is Status.FAIL


def test_purchase_sent_when_the_run_stopped() -> None:
    assert check("connectif.purchase_sent", never_back(**ERROR)).status is Status.SKIP
    assert check("connectif.purchase_sent", make(**ERROR)).status is Status.PASS


# --- page.errors ----------------------------------------------------------------------------------


def test_page_errors() -> None:
    assert check("page.errors", GOOD).status is Status.PASS
    errors = [
        ConsoleError(at_ms=3500, page_url=CONF, message="TypeError: x is undefined\n at y"),
        ConsoleError(at_ms=200, page_url=f"{SHOP}/cart", message="elsewhere"),
    ]
    result = check("page.errors", make(console_errors=errors))
    assert result.status is Status.WARN
    assert result.evidence["count"] == 1 and "TypeError: x is undefined" in result.message
    assert check("page.errors", never_back()).status is Status.SKIP


def test_an_error_with_an_empty_message_still_warns() -> None:
    result = check("page.errors", make(console_errors=[ConsoleError(at_ms=3500, page_url=CONF, message="")]))
    assert result.status is Status.WARN and result.evidence["count"] == 1


def test_first_line_of_errors() -> None:
    assert first_line("") == "" and first_line(ValueError()) == "ValueError"
    assert first_line("  \n  boom\nmore") == "boom" and first_line("x" * 400, 10) == "x" * 10


def test_late_tag_message_gives_the_times() -> None:
    late = no_tags(tags_final=PageSnapshot(at_ms=5000, url=CONF, tags=[tag()]), tag_first_seen_ms=4100)
    result = check("cn_purchase.present", late)
    assert "at 4100 ms; the page loaded at 3400 ms" in result.message
    assert result.evidence["tag_first_seen_ms"] == 4100


def test_chromium_blocked_cookies_are_the_evidence_when_recorded() -> None:
    payment = PAYMENT.model_copy(
        update={
            "return_cookies_sent": [],
            "return_cookies_blocked": {
                "frontend": ["SameSiteUnspecifiedTreatedAsLax"],
                "other": ["DomainMismatch"],
            },
        }
    )
    cookies = [CookieRecord(name="frontend", domain="shop.test")]
    result = check("cn_purchase.present", no_tags(payment=payment, shop_cookies=cookies))
    diagnosis = result.evidence["session_cookie"]
    assert diagnosis["session_cookie"] == "frontend"
    assert diagnosis["cookies_not_sent"] == [
        {
            "name": "frontend",
            "same_site": "not set (Lax)",
            "domain": "shop.test",
            "secure": False,
            "blocked_because": ["SameSiteUnspecifiedTreatedAsLax"],
        }
    ]


def test_timings_follow_from_the_recorded_moments() -> None:
    summary = payment_result(
        paid(first_platform_response_ms=1000, last_step_ended_ms=3000, back_on_shop_ms=3234)
    )
    assert summary is not None and (summary["time_on_platform_ms"], summary["return_ms"]) == (2234, 234)
