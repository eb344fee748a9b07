"""The hand-written Playwright script the whole-command bench compares `checkout-auditor run` with.

It does what the bundled scenario scenarios/stripe-checkout-redirect.yaml asks of the auditor, as a
person would write it without the tool: the lab's Stripe checkout, the return to the confirmation
page, the cn_purchase tag read and compared with the cart total and the order number, the tracking
request carrying the purchase waited for, and a small results file written. One process, one
Playwright, one Chromium (the same binary and switches the auditor uses).

    python bench/checkout_script.py BASE_URL OUT_FILE [QUERY]

QUERY is added to the first page's lab switches (e.g. `latency_ms=250` for a slow shop).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import Response, sync_playwright

from auditor.engine.browser import find_browser, launch_args

HOSTS = {
    "shop.test": "127.0.0.1",
    "cdn.connectif.cloud": "127.0.0.1",
    "eu8-api.connectif.cloud": "127.0.0.1",
    "checkout.stripe.test": "127.0.0.1",
}
READ_TAG = """() => {
  const tag = document.querySelector('.cn_purchase');
  if (!tag) return null;
  const read = (name) => ((tag.getElementsByClassName(name)[0] || {}).textContent || '').trim();
  const items = tag.getElementsByClassName('product_basket_item').length;
  return {purchase_id: read('purchase_id'), total_price: read('total_price'),
          total_quantity: read('total_quantity'), items: items};
}"""


def purchase_sent(response: Response) -> bool:
    """Connectif's tracking POST carrying a purchase event."""
    request = response.request
    return (
        request.method == "POST"
        and "/scrippet-notification/" in request.url
        and '"purchase"' in (request.post_data or "")
    )


def main(base_url: str, out: Path, query: str = "") -> int:
    browser = find_browser()
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
        page.fill("#email", "script@example.com")
        page.click("#pay")
        page.wait_for_url("**/c/pay/**")
        page.fill("#cardNumber", "4242424242424242")
        page.fill("#billingName", "Ada Lovelace")
        with page.expect_response(purchase_sent) as tracking:
            page.click("#submit")
            page.wait_for_url("**/order/confirmation/**")
            order = (page.text_content(".order-number") or "").strip()
            landed = page.url
            tag = page.evaluate(READ_TAG)
        sent = tracking.value
        context.close()
        chromium.close()
    amount = total.replace("€", "").replace(".", "").replace(",", ".").strip()
    checks = {
        "confirmation": "/order/confirmation/" in landed,
        "tag_present": tag is not None,
        "purchase_id": bool(tag) and tag["purchase_id"] == order,
        "total_price": bool(tag) and float(tag["total_price"]) == float(amount),
        "products": bool(tag) and tag["items"] == 1,
        "purchase_sent": sent.ok and order in (sent.request.post_data or ""),
    }
    out.write_text(json.dumps({"order": order, "checks": checks}, indent=2), encoding="utf-8")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), *sys.argv[3:4]))
