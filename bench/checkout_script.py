"""The hand-written Playwright script the whole-command bench compares `checkout-auditor run` with.

It does what the bundled scenario scenarios/stripe-checkout-redirect.yaml asks of the auditor, as a
person would write it without the tool, and checks what the auditor's twelve checks judge on a
passing run (connectif.purchase_recorded is skipped there: no API is set):

- payment.left_shop: the payment page is on the platform's host;
- payment.return: the confirmation was reached by an HTTP redirect from the platform;
- confirmation.reached: the confirmation URL;
- cn_purchase.present / .valid: one tag with its required fields, a date, numbers where numbers go;
- cn_purchase.consistent: its totals add up and match the cart total and the order number;
- cn_cart.closed: the purchase carries the cart the shop reported before the payment, and the
  confirmation's cn_cart is another, empty cart;
- connectif.script: Connectif's script answered on the confirmation page;
- connectif.purchase_sent / contact.identified: the tracking request carries the purchase and the
  contact's email (the one cn_client_info names);
- page.errors: no script error on the confirmation page.

One process, one Playwright, one Chromium (the same binary and switches the auditor uses); a small
results file is written.

    python bench/checkout_script.py BASE_URL OUT_FILE [QUERY]

QUERY is added to the first page's lab switches (e.g. `latency_ms=250` for a slow shop).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Response, sync_playwright

from auditor.engine.browser import find_browser, launch_args

HOSTS = {
    "shop.test": "127.0.0.1",
    "cdn.connectif.cloud": "127.0.0.1",
    "eu8-api.connectif.cloud": "127.0.0.1",
    "checkout.stripe.test": "127.0.0.1",
}
PLATFORM = "checkout.stripe.test"
EMAIL = "script@example.com"
# Every Connectif block on the page: its spans by class, and its product_basket_item children.
READ_TAGS = """(names) => Object.fromEntries(names.map((name) => [name,
  Array.from(document.getElementsByClassName(name)).map((tag) => {
    const spans = (node) => {
      const out = {};
      for (const span of node.querySelectorAll(':scope > span')) {
        out[span.className] = (span.textContent || '').trim();
      }
      return out;
    };
    return {fields: spans(tag),
            items: Array.from(tag.getElementsByClassName('product_basket_item')).map(spans)};
  })]))"""
REQUIRED = ("purchase_id", "purchase_date", "total_quantity", "total_price")
ITEM_REQUIRED = ("product_id", "name", "unit_price", "quantity", "price", "url")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


def purchase_sent(response: Response) -> bool:
    """Connectif's tracking POST carrying a purchase event."""
    request = response.request
    return (
        request.method == "POST"
        and "/scrippet-notification/" in request.url
        and '"purchase"' in (request.post_data or "")
    )


def number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def valid(tag: dict) -> bool:
    fields, items = tag["fields"], tag["items"]
    return (
        all(fields.get(name) for name in REQUIRED)
        and DATE.match(fields["purchase_date"]) is not None
        and number(fields["total_price"]) is not None
        and fields["total_quantity"].isdigit()
        and bool(items)
        and all(all(item.get(name) for name in ITEM_REQUIRED) for item in items)
        and all(number(item["price"]) is not None and item["quantity"].isdigit() for item in items)
    )


def consistent(tag: dict, total: str, order: str) -> bool:
    fields, items = tag["fields"], tag["items"]
    amount = total.replace("€", "").replace(".", "").replace(",", ".").strip()
    prices = sum(number(item["price"]) or 0.0 for item in items)
    quantities = sum(int(item["quantity"]) for item in items)
    return (
        fields["purchase_id"] == order
        and abs(float(fields["total_price"]) - float(amount)) < 0.005
        and abs(prices - float(fields["total_price"])) < 0.005
        and quantities == int(fields["total_quantity"]) == 1
        and len(items) == 1
    )


def main(base_url: str, out: Path, query: str = "") -> int:
    browser = find_browser()
    errors: list[str] = []
    scripts: list[bool] = []  # one per answer of Connectif's script: ok, on the confirmation page
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=browser.executable_for(headless=True),
            headless=True,
            args=launch_args(HOSTS, headless=True),
        )
        context = chromium.new_context(base_url=base_url)
        page = context.new_page()
        page.goto("/?platform=stripe" + (f"&{query}" if query else ""))
        page.goto("/product/keyboard")
        page.click("text=Add to cart")
        page.wait_for_url("**/cart")
        total = (page.text_content("#cart-total") or "").strip()
        page.click("#checkout")
        page.wait_for_url("**/checkout")
        cart_before = page.evaluate(READ_TAGS, ["cn_cart"])["cn_cart"]
        page.fill("#email", EMAIL)
        page.click("#pay")
        page.wait_for_url("**/c/pay/**")
        on_platform = urlsplit(page.url).hostname
        page.fill("#cardNumber", "4242424242424242")
        page.fill("#billingName", "Ada Lovelace")
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "response",
            lambda r: (
                "/client-script/" in r.url and scripts.append(r.ok and "/order/confirmation/" in r.frame.url)
            ),
        )
        with (
            page.expect_response(purchase_sent) as tracking,
            page.expect_response(lambda r: "/order/confirmation/" in r.url) as arrival,
        ):
            page.click("#submit")
            page.wait_for_url("**/order/confirmation/**")
            order = (page.text_content(".order-number") or "").strip()
            landed = page.url
            tags = page.evaluate(READ_TAGS, ["cn_purchase", "cn_cart", "cn_client_info"])
        sent = tracking.value
        hop = arrival.value.request.redirected_from
        came_back = hop.response() if hop is not None else None
        context.close()
        chromium.close()
    purchases, carts, contacts = tags["cn_purchase"], tags["cn_cart"], tags["cn_client_info"]
    tag = purchases[0] if len(purchases) == 1 else None
    cart_id = cart_before[0]["fields"].get("cart_id") if cart_before else None
    contact = contacts[0]["fields"].get("primary_key") if contacts else None
    body = sent.request.post_data or ""
    tag_valid = tag is not None and valid(tag)
    checks = {
        "left_shop": on_platform == PLATFORM,
        "return": came_back is not None
        and urlsplit(came_back.url).hostname == PLATFORM
        and 300 <= came_back.status < 400,
        "confirmation": "/order/confirmation/" in landed,
        "tag_present": tag is not None,
        "tag_valid": tag_valid,
        "consistent": tag_valid and consistent(tag, total, order),
        "cart_closed": tag is not None
        and bool(cart_id)
        and tag["fields"].get("cart_id") == cart_id
        and len(carts) == 1
        and carts[0]["fields"].get("cart_id") != cart_id
        and carts[0]["fields"].get("total_quantity") == "0",
        "script": any(scripts),
        "purchase_sent": sent.ok and order in body,
        "contact": contact == EMAIL and EMAIL in body,
        "page_errors": not errors,
    }
    out.write_text(json.dumps({"order": order, "checks": checks}, indent=2), encoding="utf-8")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), *sys.argv[3:4]))
