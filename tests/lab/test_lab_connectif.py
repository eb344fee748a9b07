"""The Connectif stand-in reads tags as the v1.3.0 bundle does and posts what it read."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from auditor.lab import Lab
from auditor.lab.connectif import STORE_ID

from .labkit import Shopper, http

pytestmark = pytest.mark.browser


def open_fixture(page: Page, lab: Lab, body: str) -> str:
    """Serve `body` from shop.test (with the client script after it) and open it."""
    src = lab.connectif.script_url(STORE_ID)
    url = lab.add_page(
        f"<!doctype html><html><head><title>fixture</title></head>"
        f'<body>{body}<script src="{src}"></script></body></html>'
    )
    page.goto(url)
    return url


def sent(shopper: Shopper, url: str, count: int = 1) -> list[dict[str, Any]]:
    """The tracking requests from `url`, once `count` of them have arrived."""
    return shopper.wait_tracking(url, until=lambda evs: len(evs) >= count)


def purchase_events(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["purchase"] for r in requests for e in r["events"] if e["type"] == "purchase"]


TAG = """
<div class="cn_purchase " style="display:none">
  <span class="purchase_id"> ORD-1 </span>
  <span class="cart_id">CART-7</span>
  <span class="purchase_date">2024-09-13T10:49:31Z</span>
  <span class="total_quantity">3</span>
  <span class="total_price">180.75</span>
  <span class="payment_method">Card</span>
  <div class="product_basket_item">
    <span class="quantity">3</span><span class="price">180.75</span>
    <span class="url">https://shop.example/p/pr9658</span><span class="product_id">pr9658</span>
    <span class="name">Keyboard</span><span class="unit_price">60.25</span>
    <span class="category">/Computers/Keyboards</span><span class="category">/Offers</span>
    <span class="tag">gaming</span>
  </div>
</div>
"""


def test_reads_a_valid_tag_into_a_purchase_event(page: Page, lab: Lab, shopper: Shopper) -> None:
    url = open_fixture(page, lab, TAG)
    [request] = sent(shopper, url)
    assert request["content_type"] == "text/plain"
    assert request["store_id"] == STORE_ID
    assert [e["type"] for e in request["events"]] == ["purchase", "page-visit"]
    assert set(request["body"]) >= {"entityInfo", "events", "pageInfo", "browserInfo"}
    [purchase] = purchase_events([request])
    assert purchase == {
        "cartId": "CART-7",
        "totalQuantity": 3,
        "totalPrice": 180.75,
        "purchaseId": "ORD-1",  # trimmed
        "paymentMethod": "Card",
        "purchaseDate": "2024-09-13T10:49:31Z",
        "products": [
            {
                "productDetailUrl": "https://shop.example/p/pr9658",
                "productId": "pr9658",
                "name": "Keyboard",
                "unitPrice": 60.25,
                "categories": ["/Computers/Keyboards", "/Offers"],
                "tags": ["gaming"],
                "relatedExternalProductIds": [],
                "quantity": 3,
                "price": 180.75,
            }
        ],
    }


@pytest.mark.parametrize(
    ("total_price", "total_quantity", "read_price", "read_quantity"),
    [
        ("12,50", "1", 12, 1),  # comma decimals: parseFloat stops at the comma
        ("1.234,56", "1", 1.234, 1),  # Spanish thousands: read as 1.234
        ("1,249.00", "2.7", 1, 2),  # thousands separator; parseInt drops the fraction
        ("12.50 €", "1", 12.5, 1),  # a trailing symbol is ignored by parseFloat
    ],
)
def test_numbers_are_read_with_parse_float_and_parse_int(
    page: Page,
    lab: Lab,
    shopper: Shopper,
    total_price: str,
    total_quantity: str,
    read_price: float,
    read_quantity: int,
) -> None:
    body = (
        f'<div class="cn_purchase"><span class="purchase_id">P</span>'
        f'<span class="total_quantity">{total_quantity}</span>'
        f'<span class="total_price">{total_price}</span></div>'
    )
    [purchase] = purchase_events(sent(shopper, open_fixture(page, lab, body)))
    assert purchase["totalPrice"] == read_price
    assert purchase["totalQuantity"] == read_quantity


@pytest.mark.parametrize(
    "fields",
    [
        '<span class="total_quantity">1</span><span class="total_price">€10.00</span>',
        '<span class="total_quantity">1</span><span class="total_price"></span>',
        '<span class="total_quantity">1</span><span class="total_price">-1</span>',
        '<span class="total_price">10.00</span>',  # total_quantity missing
        '<span class="total_quantity">x</span><span class="total_price">10.00</span>',
    ],
)
def test_unparsable_totals_drop_the_purchase_silently(
    page: Page, lab: Lab, shopper: Shopper, fields: str
) -> None:
    body = f'<div class="cn_purchase"><span class="purchase_id">P</span>{fields}</div>'
    [request] = sent(shopper, open_fixture(page, lab, body))
    assert [e["type"] for e in request["events"]] == ["page-visit"]


def test_an_empty_purchase_id_drops_the_purchase(page: Page, lab: Lab, shopper: Shopper) -> None:
    body = (
        '<div class="cn_purchase"><span class="purchase_id">  </span>'
        '<span class="total_quantity">1</span><span class="total_price">1.00</span></div>'
    )
    [request] = sent(shopper, open_fixture(page, lab, body))
    assert purchase_events([request]) == []


def test_basket_items_lacking_required_fields_are_dropped(page: Page, lab: Lab, shopper: Shopper) -> None:
    def item(**fields: str) -> str:
        spans = "".join(f'<span class="{k}">{v}</span>' for k, v in fields.items())
        return f'<div class="product_basket_item">{spans}</div>'

    good = {"name": "A", "url": "https://x/a", "product_id": "a", "unit_price": "1.00"}
    items = [
        item(**good),
        item(**{**good, "name": ""}),
        item(**{k: v for k, v in good.items() if k != "url"}),
        item(**{k: v for k, v in good.items() if k != "product_id"}),
        item(**{**good, "unit_price": "€1"}),
        item(**{**good, "unit_price": "-2"}),
        item(**{**good, "product_id": "b", "unit_price": "0"}),
    ]
    body = (
        '<div class="cn_purchase"><span class="purchase_id">P</span>'
        '<span class="total_quantity">2</span><span class="total_price">1.00</span>'
        + "".join(items)
        + "</div>"
    )
    [purchase] = purchase_events(sent(shopper, open_fixture(page, lab, body)))
    assert [p["productId"] for p in purchase["products"]] == ["a", "b"]


def test_first_descendant_wins_and_every_tag_is_one_purchase(page: Page, lab: Lab, shopper: Shopper) -> None:
    one = (
        '<div class="cn_purchase"><span class="purchase_id">FIRST</span>'
        '<span class="purchase_id">SECOND</span>'
        '<span class="total_quantity">1</span><span class="total_price">1.00</span></div>'
    )
    [request] = sent(shopper, open_fixture(page, lab, one + one))
    assert [p["purchaseId"] for p in purchase_events([request])] == ["FIRST", "FIRST"]


def test_readiness_events_and_is_initialized(page: Page, lab: Lab) -> None:
    page.add_init_script(
        """
        window.__seen = [];
        for (const name of ['connectif.loaded', 'connectif.initialized',
                            'connectif.managed.initialized']) {
          document.addEventListener(name, () => window.__seen.push(
            [name, !!(window.connectif && window.connectif.managed.isInitialized())]));
        }
        """
    )
    open_fixture(page, lab, "<p>hello</p>")
    page.wait_for_function("window.connectif && window.connectif.managed.isInitialized()")
    assert page.evaluate("window.__seen") == [
        ["connectif.loaded", False],
        ["connectif.initialized", False],
        ["connectif.managed.initialized", True],
    ]


def test_send_events_returns_a_promise_of_the_response(page: Page, lab: Lab, shopper: Shopper) -> None:
    url = open_fixture(page, lab, "<p>hello</p>")
    sent(shopper, url)  # the automatic page-visit, whose answer carries a tracker id
    page.wait_for_function("localStorage.getItem('cn_tracker') !== null")
    tracker = page.evaluate("JSON.parse(localStorage.getItem('cn_tracker')).id")
    response = page.evaluate(
        """() => connectif.managed.sendEvents(
              [{type: 'purchase', purchase: {purchaseId: 'JS-1', totalPrice: 5, totalQuantity: 1,
                                             products: []}}],
              {entityInfo: {primaryKey: 'ada@example.com'}})"""
    )
    assert response["trackerId"] == tracker  # the stored tracker went back and came back
    second = sent(shopper, url, count=2)[1]
    assert second["events"] == [
        {
            "type": "purchase",
            "purchase": {"purchaseId": "JS-1", "totalPrice": 5, "totalQuantity": 1, "products": []},
        }
    ]
    assert second["body"]["entityInfo"] == {"trackerId": tracker, "primaryKey": "ada@example.com"}


def test_send_events_with_an_empty_list_rereads_the_tags(page: Page, lab: Lab, shopper: Shopper) -> None:
    url = open_fixture(page, lab, "<main></main>")
    sent(shopper, url)
    page.evaluate("tag => document.querySelector('main').insertAdjacentHTML('beforeend', tag)", TAG)
    page.evaluate("() => connectif.managed.sendEvents([])")
    requests = sent(shopper, url, count=2)
    assert purchase_events(requests[:1]) == []
    assert [p["purchaseId"] for p in purchase_events(requests[1:])] == ["ORD-1"]


def test_client_info_identifies_the_contact(page: Page, lab: Lab, shopper: Shopper) -> None:
    body = '<div class="cn_client_info" style="display:none"><span class="primary_key">a@b.c</span></div>'
    [request] = sent(shopper, open_fixture(page, lab, body))
    assert request["body"]["entityInfo"]["primaryKey"] == "a@b.c"


def test_loading_the_script_twice_keeps_one_copy(page: Page, lab: Lab, shopper: Shopper) -> None:
    src = lab.connectif.script_url(STORE_ID)
    url = open_fixture(page, lab, f'<script src="{src}"></script>')
    sent(shopper, url)
    page.wait_for_load_state("load")
    assert len(shopper.tracking(url)) == 1


def test_api_answers_json_with_cors_and_records_bad_bodies(lab: Lab) -> None:
    path = f"/integration-type/system/scrippet-notification/{STORE_ID}"
    status, body = http(
        lab,
        "POST",
        "eu8-api.connectif.cloud",
        path,
        form={"not": "json"},
        headers={"Origin": "http://shop.test"},
    )
    assert status == 400
    last = lab.events()[-1]
    assert last["kind"] == "tracking" and last["status"] == 400 and last["raw"] == "not=json"
    status, body = http(lab, "GET", "eu8-api.connectif.cloud", "/__lab/events")
    assert status == 200 and '"kind": "tracking"' in body
