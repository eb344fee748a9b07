"""The report's wording and comparisons, without any markup."""

from __future__ import annotations

import math

import pytest

from auditor.connectif import jsnum
from auditor.reports import console, view
from auditor.results import ConnectifRequest, PaymentResult, ScenarioResult
from tests.connectif.test_jsnum import TABLE as JSNUM_TABLE

from .sample import check, demo_like_run, mixed_run, purchase_event, scenario


def payment(**fields: object) -> PaymentResult:
    base: dict[str, object] = {"left_shop": True, "return": "automatic", "mechanism": "form-post"}
    base.update(fields)
    return PaymentResult.model_validate(base)


@pytest.mark.parametrize(
    ("ms", "text"),
    [(None, "—"), (0, "0 ms"), (850, "850 ms"), (4200, "4.2 s"), (125_000, "2 min 05 s")],
)
def test_durations_read_like_people_say_them(ms: int | None, text: str) -> None:
    assert view.fmt_ms(ms) == text


def test_times_are_shown_without_the_iso_clutter() -> None:
    assert view.fmt_time("2026-11-27T10:00:00+00:00") == "2026-11-27 10:00:00 UTC"
    assert view.fmt_time("2026-11-27T10:00:00+02:00") == "2026-11-27 10:00:00 UTC+02:00"
    assert view.fmt_time("yesterday") == "yesterday"


def test_counts_add_flaky_and_warnings_to_the_run_counts() -> None:
    counts = view.summary_counts(mixed_run())
    assert counts == {"pass": 3, "fail": 2, "error": 1, "flaky": 1, "warn": 1, "total": 6}


@pytest.mark.parametrize(
    ("fields", "short", "words"),
    [
        ({}, "automatic via form-post", "sent them back on its own, by a form submitted with POST"),
        ({"mechanism": "opener"}, "automatic via opener", "the popup closing"),
        ({"return": "manual", "mechanism": "click"}, "manual (click)", "only by clicking"),
        ({"return": "none", "mechanism": None}, "none", "never came back"),
        ({"left_shop": False, "return": "none"}, "never reached the platform", "never reached"),
    ],
)
def test_how_the_customer_came_back(fields: dict[str, object], short: str, words: str) -> None:
    result = payment(time_on_platform_ms=3700, return_ms=320, **fields)
    assert view.return_short(result) == short
    assert words in view.return_sentence(result)


def test_the_sentence_gives_the_times() -> None:
    text = view.return_sentence(payment(provider="Redsys", time_on_platform_ms=3700, return_ms=320))
    assert text.startswith("The customer reached Redsys and spent 3.7 s there")
    assert text.endswith("320 ms after the last payment step.")


def test_no_payment_step_is_said_plainly() -> None:
    assert view.return_short(None) == "no payment step"


def test_lane_zones_follow_the_hosts_and_widths_follow_time() -> None:
    lane = view.timeline_lane(scenario("x", "pass"))
    assert lane is not None
    assert [s.zone for s in lane.segments] == ["start", "shop", "shop", "platform", "shop"]
    platform = lane.segments[3]
    assert (platform.start_ms, platform.end_ms, platform.host) == (1500, 5200, "pay.test")
    assert platform.grow == pytest.approx(3700 / 6000)
    assert sum(s.grow for s in lane.segments) == pytest.approx(1)


def test_lane_uses_the_hosts_the_engine_gives() -> None:
    result = scenario(
        "x",
        "pass",
        shop_hosts=["shop.test"],
        payment=payment(hosts=["*.bank.test"]),
    )
    timeline = [
        n.model_copy(update={"host": "tracker.test"}) if n.host == "pay.test" else n for n in result.timeline
    ]
    lane = view.timeline_lane(result.model_copy(update={"timeline": timeline}))
    assert lane is not None
    assert [s.zone for s in lane.segments][1:] == ["shop", "shop", "other", "shop"]


def test_no_timeline_no_lane() -> None:
    assert view.timeline_lane(scenario("x", "error", timeline=[])) is None


def test_parse_float_and_int_read_like_javascript() -> None:
    assert view.parse_float("180,75") == 180
    assert view.parse_float("1.234,56") == pytest.approx(1.234)
    assert view.parse_float("€12.50") is None
    assert view.parse_float(" 12.5e1x") == 125
    assert view.parse_int("3.9") == 3
    assert view.parse_int("x3") is None
    assert view.parse_float(True) is None


@pytest.mark.parametrize(("text", "as_float", "as_int"), JSNUM_TABLE)
def test_the_report_reads_numbers_as_jsnum_does(text: str, as_float: float, as_int: float) -> None:
    # One reading of numbers: the report's is connectif.jsnum's (NaN and ±Infinity unusable: None).
    assert view.parse_float(text) == (as_float if math.isfinite(as_float) else None)
    assert view.parse_int(text) == (int(as_int) if math.isfinite(as_int) else None)


def test_other_scripts_digits_are_not_numbers_to_the_report() -> None:
    # Python's \d matches Arabic-Indic digits; JavaScript's parseFloat and parseInt do not.
    assert math.isnan(jsnum.parse_float("١٢")) and math.isnan(jsnum.parse_int("١٢"))
    assert view.parse_float("١٢") is None
    assert view.parse_int("١٢") is None
    assert view.parse_float("١٢.٥") is None
    result = compare(
        {"purchase_id": "A1", "total_price": "١٢", "total_quantity": "٣"},
        purchase_event(purchaseId="A1", totalPrice=12, totalQuantity=3),
    )
    assert rows(result)["total_price"] == ("١٢", "12", "differs")
    assert rows(result)["total_quantity"] == ("٣", "3", "differs")


def test_camel_case_keys_map_to_the_tag_names() -> None:
    assert [view.snake(k) for k in ("purchaseId", "totalPrice", "cartId", "purchaseDate", "products")] == [
        "purchase_id",
        "total_price",
        "cart_id",
        "purchase_date",
        "products",
    ]


def compare(tag: dict[str, object], *events: dict[str, object]) -> view.PurchaseComparison:
    request = ConnectifRequest(url="u", method="POST", status=200, kind="tracking", events=list(events))
    result = view.purchase_comparison(scenario("x", "fail", cn_purchase=tag, connectif_requests=[request]))
    assert result is not None
    return result


def rows(comparison: view.PurchaseComparison) -> dict[str, tuple[str | None, str | None, str]]:
    return {r.name: (r.on_page, r.sent, r.state) for r in comparison.rows}


def test_fields_read_on_the_page_beside_what_was_sent() -> None:
    result = compare(
        {
            "purchase_id": "A1",
            "total_price": "12.50",
            "total_quantity": "2",
            "cart_id": "C1",
            "products": [{}, {}],
        },
        purchase_event(
            purchaseId="A1", totalPrice=12.5, totalQuantity=3, paymentMethod="card", products=[{}]
        ),
    )
    assert rows(result) == {
        "purchase_id": ("A1", "A1", "same"),
        "total_price": ("12.50", "12.5", "same"),
        "total_quantity": ("2", "3", "differs"),
        "payment_method": (None, "card", "not on page"),
        "cart_id": ("C1", None, "not sent"),
        "products (count)": ("2", "1", "differs"),
    }
    assert result.differences == 4
    assert result.events_sent == 1


def test_the_event_of_this_purchase_is_the_one_compared() -> None:
    result = compare(
        {"purchase_id": ["B2", "ignored"], "total_price": "5"},
        purchase_event(purchaseId="OTHER", totalPrice=9),
        purchase_event(purchaseId="B2", totalPrice=5),
        purchase_event(purchaseId="B2", totalPrice=5),
    )
    assert rows(result)["total_price"] == ("5", "5", "same")
    assert rows(result)["purchase_id"] == ("B2", "B2", "same")
    assert result.events_sent == 2


def test_nothing_sent_marks_every_field() -> None:
    result = compare({"purchase_id": "A1"})
    assert rows(result) == {"purchase_id": ("A1", None, "not sent")}
    assert result.events_sent == 0


def test_neither_tag_nor_event_means_nothing_to_compare() -> None:
    assert view.purchase_comparison(scenario("x", "pass")) is None


def test_evidence_scalars_inline_and_structures_as_json() -> None:
    items = view.evidence_items({"n": 3, "ok": True, "none": None, "s": "a", "long": "x\ny", "d": {"k": [1]}})
    assert [(i.key, i.text, i.block) for i in items] == [
        ("n", "3", False),
        ("ok", "true", False),
        ("none", "null", False),
        ("s", "a", False),
        ("long", "x\ny", True),
        ("d", '{\n  "k": [\n    1\n  ]\n}', True),
    ]


def test_anchors_are_safe_and_unique() -> None:
    anchors = view.anchor_ids(
        [
            scenario("card ok", "pass"),
            scenario("card ok", "pass"),
            scenario('"><b>', "pass"),
            scenario("", "pass"),
        ]
    )
    assert anchors == ["s-card-ok", "s-card-ok-2", "s-b", "s-4"]


def test_artefact_links_keep_only_plain_relative_paths() -> None:
    from auditor.reports.view import artefact_links

    links = artefact_links(
        {
            "trace": "artefacts/s1/trace.zip",
            "video": "javascript:alert(1)",
            "other": "artefacts/../../etc/passwd",
            "abs": "/etc/passwd",
        }
    )
    assert [path for _, path in links] == ["artefacts/s1/trace.zip"]


# ---------------------------------------------------------------- wording after an error, "at once"


def errored_on_platform(payment_return: str = "skip") -> ScenarioResult:
    return scenario(
        "x",
        "error",
        error="steps[4].pay.steps[1]: no element matched #ccnumber",
        checks=[check("payment.left_shop", "pass"), check("payment.return", payment_return)],
        payment=payment(**{"return": "none", "mechanism": None}, time_on_platform_ms=None, return_ms=None),
    )


def test_an_error_on_the_platform_is_not_judged_as_never_coming_back() -> None:
    result = errored_on_platform()
    assert view.return_not_judged(result)
    short = view.return_short(result.payment, not_judged=True)
    sentence = view.return_sentence(result.payment, not_judged=True)
    assert short == "not judged (stopped on the platform)"
    assert "never" not in short and "never" not in sentence and "not judged" in sentence
    assert console._return_words(result) == "not judged (stopped on the platform)"


def test_a_judged_return_that_never_happened_still_says_so() -> None:
    failed = errored_on_platform("fail")  # the auditor waited for the return, and it did not come
    assert not view.return_not_judged(failed)
    assert console._return_words(failed) == "never came back"
    passed_run = scenario("y", "fail", payment=payment(**{"return": "none", "mechanism": None}))
    assert not view.return_not_judged(passed_run)
    assert view.return_short(passed_run.payment) == "none"


def test_an_error_before_the_platform_is_not_judged_either() -> None:
    result = errored_on_platform().model_copy(
        update={"payment": payment(left_shop=False, **{"return": "none", "mechanism": None})}
    )
    assert view.return_not_judged(result)
    assert view.return_short(result.payment, not_judged=True) == "not judged (stopped before the platform)"
    assert console._return_words(result) == "not judged (stopped before the platform)"
    assert "never" not in view.return_sentence(result.payment, not_judged=True)


def test_a_return_of_zero_ms_reads_at_once() -> None:
    assert view.fmt_return_ms(0) == "at once"
    assert view.fmt_return_ms(320) == "320 ms"
    assert view.fmt_return_ms(None) == "—"
    text = view.return_sentence(payment(return_ms=0))
    assert text.endswith("by a form submitted with POST, as soon as the last payment step ended.")
    assert "0 ms" not in text


# ---------------------------------------------------------------- the lane's phases


def test_phases_merge_pages_of_one_zone_and_name_the_return_as_the_summary_does() -> None:
    result = scenario("x", "pass", payment=payment(mechanism="http-redirect"))
    lane = view.timeline_lane(result)
    assert lane is not None
    assert [(p.number, p.zone, len(p.segments)) for p in lane.phases] == [
        (0, "start", 1),
        (1, "shop", 2),
        (2, "platform", 1),
        (3, "shop", 1),
    ]
    assert [p.returned_by for p in lane.phases] == [None, None, None, "http-redirect"]
    back = lane.segments[-1]
    assert back.is_return and back.cause == "form-post" and back.how == "http-redirect"
    assert [s.how for s in lane.segments[1:-1]] == ["typed", "link", "form-post"]
    assert lane.phases[1].duration_ms == 1450


def test_no_return_no_return_label() -> None:
    lane = view.timeline_lane(scenario("x", "fail", payment=payment(**{"return": "none", "mechanism": None})))
    assert lane is not None
    assert not any(s.is_return for s in lane.segments)
    assert all(p.returned_by is None for p in lane.phases)


def test_a_popup_phase_says_so() -> None:
    run = demo_like_run()
    lane = view.timeline_lane(next(s for s in run.scenarios if s.id == "paypal-popup"))
    assert lane is not None
    assert [(p.zone, p.popup, p.returned_by) for p in lane.phases if p.number] == [
        ("shop", False, None),
        ("platform", True, None),
        ("shop", False, "opener"),
    ]


# ---------------------------------------------------------------- Connectif requests by page


def request(page_url: str | None, at_ms: int | None, *events: dict[str, object]) -> ConnectifRequest:
    extra: dict[str, object] = {}
    if page_url is not None:
        extra["page_url"] = page_url
    if at_ms is not None:
        extra["at_ms"] = at_ms
    return ConnectifRequest.model_validate(
        {"url": "https://eu8-api.connectif.cloud/t", "method": "POST", "status": 200, "kind": "tracking"}
        | {"events": list(events)}
        | extra
    )


def test_requests_go_to_the_page_that_sent_them_the_confirmation_first() -> None:
    confirmation = "http://shop.test:8000/order/confirmation/1"
    result = scenario(
        "x",
        "pass",
        connectif_requests=[
            request("http://shop.test:8000/product/keyboard", 120, {"type": "page-visit"}),
            request("http://shop.test:8000/checkout", 950, {"type": "page-visit"}),
            # The confirmation rewrote its URL (replaceState): matched by time.
            request(confirmation + "?x=1", 5300, purchase_event(purchaseId="A")),
            request(confirmation + "#top", 5400, {"type": "page-visit"}),
            request("http://elsewhere.test/", None),
        ],
    )
    pages = view.connectif_pages(result)
    assert [(p.position, p.confirmation, len(p.requests)) for p in pages] == [
        (4, True, 2),
        (1, False, 1),
        (2, False, 1),
        (None, False, 1),
    ]
    first = pages[0]
    assert first.title == "Confirmation page"
    assert first.place == "page 4 of 4, after the payment"
    assert first.purchases == 1 and [r.purchases for r in first.requests] == [1, 0]
    assert pages[1].place == "page 1 of 4, before the payment" and pages[1].title == "Shop"
    assert pages[3].url == "http://elsewhere.test/" and pages[3].title == "Unknown page"
    assert sum(len(p.requests) for p in pages) == 5


def test_requests_without_the_engines_page_fields_are_still_all_shown() -> None:
    result = scenario("x", "pass", connectif_requests=[request(None, None), request(None, None)])
    pages = view.connectif_pages(result)
    assert len(pages) == 1 and len(pages[0].requests) == 2 and pages[0].position is None


def test_no_requests_no_pages() -> None:
    assert view.connectif_pages(scenario("x", "pass")) == []


# ---------------------------------------------------------------- the purchase as Connectif stored it


def with_record(purchase: object, **fields: object) -> ScenarioResult:
    api = {"purchase_id": "A1", "lookups": [{"status": 200, "at_ms": 3000}], "purchase": purchase}
    return scenario("x", "fail", connectif_api=api, **fields)


def test_the_stored_purchase_is_compared_with_what_was_sent() -> None:
    sent = purchase_event(purchaseId="A1", totalPrice=12.5, totalQuantity=2, products=[{}, {}])
    result = with_record(
        {"purchaseId": "A1", "totalPrice": 10, "products": [{}], "contactId": "c1"},
        cn_purchase={
            "purchase_id": "A1",
            "total_price": "12.50",
            "total_quantity": "2",
            "products": [{}, {}],
        },
        connectif_requests=[
            ConnectifRequest(url="u", method="POST", status=200, kind="tracking", events=[sent])
        ],
    )
    comparison = view.purchase_comparison(result)
    assert comparison is not None and comparison.stored
    stored = {r.name: (r.stored, r.stored_state) for r in comparison.rows}
    assert stored == {
        "purchase_id": ("A1", "same"),
        "total_price": ("10", "differs"),
        "total_quantity": (None, "not stored"),
        "products (count)": ("1", "differs"),
    }
    assert comparison.differences == 3
    assert comparison.record is not None and comparison.record["contactId"] == "c1"


def test_a_record_alone_shows_no_false_differences() -> None:
    comparison = view.purchase_comparison(with_record({"purchaseId": "A1", "totalPrice": 10}))
    assert comparison is not None
    assert [(r.name, r.state, r.stored_state) for r in comparison.rows] == [
        ("purchase_id", "stored only", "stored only"),
        ("total_price", "stored only", "stored only"),
    ]
    assert comparison.differences == 0 and not comparison.tag_read and comparison.events_sent == 0


def test_no_lookups_no_record() -> None:
    result = scenario("x", "pass")
    assert view.connectif_api(result) is None
    assert view.purchase_comparison(result) is None or not view.purchase_comparison(result).stored


def test_an_api_that_gave_no_answer_is_said_so() -> None:
    api = {"purchase_id": "A1", "lookups": [{"status": None, "at_ms": 900}], "error": "HTTP 401 (the key)"}
    record = view.connectif_api(scenario("x", "error", connectif_api=api))
    assert record is not None and record.purchase is None
    assert record.sentence == "Connectif's API could not say whether it has purchase A1: HTTP 401 (the key)"


def test_the_lookups_in_words() -> None:
    found = view.connectif_api(with_record({"purchaseId": "A1"}))
    assert (
        found is not None and found.sentence == "Connectif's API has purchase A1: asked once, found at 3.0 s."
    )
    missing = view.connectif_api(
        scenario("x", "fail", connectif_api={"purchase_id": "A1", "lookups": [], "purchase": None})
    )
    assert missing is not None and missing.sentence == "Connectif's API was not asked about purchase A1."


def test_dates_that_name_the_same_moment_are_the_same() -> None:
    result = with_record(
        {"purchaseId": "A1", "purchaseDate": "2026-11-27T10:00:05.000Z"},
        cn_purchase={"purchase_id": "A1", "purchase_date": "2026-11-27T10:00:05Z"},
    )
    comparison = view.purchase_comparison(result)
    assert comparison is not None
    row = next(r for r in comparison.rows if r.name == "purchase_date")
    assert row.stored_state == "same"


# --- the journey strip --------------------------------------------------------------------------


def test_the_journey_strip_names_each_shop_page_with_its_tags_and_events() -> None:
    paypal = next(s for s in demo_like_run().scenarios if s.id == "paypal-popup")
    marks = view.journey_strip(paypal)
    assert [m.kind for m in marks] == ["home", "product", "cart", "checkout", "confirmation"]
    assert [m.label for m in marks] == ["Home", "Product", "Cart", "Checkout", "Confirmation"]
    assert [m.number for m in marks] == [1, 2, 3, 4, 5]
    assert [m.after_payment for m in marks] == [False, False, False, False, True]
    last = marks[-1]
    assert last.tags == ["cn_cart", "cn_client_info", "cn_purchase"]
    assert last.events == ["purchase", "page-visit"] and last.purchases == 1
    assert last.cart_id == "cart-9f8e7d6c" and last.cart_items == 0
    assert last.contact == "ada.lovelace+checkout-audit@example.com"
    assert last.path.startswith("/order/confirmation/ORD-1002?session_id=")
    assert marks[2].cart_id == "cart-1a2b3c4d" and marks[2].cart_items == 1
    assert marks[1].events == ["product-visited", "page-visit"]
    assert last.description == "5. Confirmation: cn_cart, cn_client_info, cn_purchase; purchase, page-visit."


def test_the_journey_strip_reads_results_that_carry_only_the_contracts_fields() -> None:
    stops = [
        {"url": "https://shop.test/basket", "cn_cart": {"cart_id": "c1", "products": [{}, {}]}, "events": []},
        {"url": "https://shop.test/p/42", "cn_cart": None, "cn_client_info": None, "events": ["page-visit"]},
        {
            "url": "https://shop.test/thanks",
            "cn_client_info": {"primary_key": "a@b.c"},
            "events": ["purchase"],
        },
    ]
    result = scenario("older", "pass", journey=stops, confirmation_url="https://shop.test/thanks#top")
    marks = view.journey_strip(result)
    assert [m.kind for m in marks] == ["cart", "product", "confirmation"]
    assert [m.tags for m in marks] == [["cn_cart"], [], ["cn_client_info"]]
    assert marks[0].cart_items == 2 and marks[1].cart_id is None and marks[2].contact == "a@b.c"
    assert all(m.loaded and m.at_ms is None and not m.after_payment for m in marks)
    assert view.journey_strip(scenario("none", "pass")) == []
