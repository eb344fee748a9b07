"""Write docs/report-screenshot.png: a report of a synthetic run, as the README shows it.

Run: .venv/bin/python -m tests.reports.make_readme_screenshot [OUT.png]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from auditor.engine.browser import find_browser, launch_args
from auditor.reports.html import write_html
from auditor.results import RunResult

from .sample import mixed_run, write_screenshots

NAMES = {
    "card-ok": "Card payment through Redsys returns to the confirmation page",
    "bizum-flaky": "Bizum payment returns automatically",
    "paypal-warn": "PayPal in a popup: the opener moves on",
    "card-comma": "Card payment: cn_purchase total with a comma decimal",
    "manual-return": "Bank transfer: customer must click 'back to the shop'",
    "crashed": "Stripe Elements in-page form",
}


WORDS = {
    "payment.return": ("The platform sent the customer back on its own (form-post) in 320 ms.", None),
    "cn_purchase.valid": (
        'total_price is "180,75": Connectif\'s script reads it as 180.',
        "Write amounts with a dot and no thousands separator in the cn_purchase tag: 180.75.",
    ),
    "connectif.purchase_sent": (
        "The purchase ORD-1 was sent with totalPrice 180, the order's total is 180.75.",
        "Fix the tag's total_price; the tracking request carries what the script read from it.",
    ),
}


def readme_run() -> RunResult:
    """The mixed run with readable names and messages, the most telling scenario first."""
    run = mixed_run()
    scenarios = [s.model_copy(update={"name": NAMES[s.id]}) for s in run.scenarios]
    scenarios = [
        s.model_copy(
            update={
                "checks": [
                    c.model_copy(update={"message": WORDS[c.id][0], "remedy": WORDS[c.id][1]})
                    for c in s.checks
                ]
            }
        )
        if s.id == "card-comma"
        else s
        for s in scenarios
    ]
    order = ["card-comma", "card-ok", "bizum-flaky", "paypal-warn", "manual-return", "crashed"]
    return run.model_copy(update={"scenarios": sorted(scenarios, key=lambda s: order.index(s.id))})


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_screenshots(folder)
        path = write_html(readme_run(), folder)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_browser().executable, args=launch_args())
            page = browser.new_page(viewport={"width": 1100, "height": 1900}, device_scale_factor=1)
            page.goto(path.as_uri())
            page.locator('#s-card-comma [data-check="cn_purchase.valid"] summary').click()
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report-screenshot.png"))
