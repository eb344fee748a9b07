"""The report's wording and comparisons, without any markup."""

from __future__ import annotations

import math

import pytest

from auditor.connectif import jsnum
from auditor.reports import view
from auditor.results import ConnectifRequest, PaymentResult
from tests.connectif.test_jsnum import TABLE as JSNUM_TABLE

from .sample import mixed_run, purchase_event, scenario


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
