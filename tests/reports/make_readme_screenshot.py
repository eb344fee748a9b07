"""Write the README's pictures of a report of a synthetic run: desktop and phone width.

Run: .venv/bin/python -m tests.reports.make_readme_screenshot [DESKTOP.png [PHONE.png]]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from auditor.engine.browser import find_browser, launch_args
from auditor.reports.html import write_html
from auditor.results import RunResult

from .sample import demo_like_run, write_screenshots

NAMES = {
    "tag-comma": "Card payment: cn_purchase total with a comma decimal",
    "paypal-popup": "PayPal in a popup: the opener moves on to the confirmation",
    "platform-error": "Redsys: a misspelt card-number selector stops the scenario",
    "bank-transfer": "Bank transfer: customer must click 'back to the shop'",
    "api-synced": "Purchases synced from the shop's server: Connectif has the record",
    "card-ok": "Card payment through Redsys returns to the confirmation page",
    "bizum-flaky": "Bizum payment returns automatically",
    "paypal-warn": "PayPal with a script error on the confirmation page",
    "crashed": "Stripe Elements in-page form",
}

REMEDIES = {
    "cn_purchase.valid": "Write amounts with a dot and no thousands separator in the tag: 180.75.",
    "connectif.purchase_sent": "Fix the tag's total_price: the tracking request sends what the script read.",
    "connectif.purchase_recorded": "Connectif keeps what the script sent: fix the tag, then look again.",
}


def readme_run() -> RunResult:
    """The demo-like run with readable names and advice; the hostile scenario and duplicates left out."""
    scenarios = []
    for s in demo_like_run().scenarios:
        if s.id not in NAMES:
            continue
        checks = [c.model_copy(update={"remedy": REMEDIES.get(c.id, c.remedy)}) for c in s.checks]
        scenarios.append(s.model_copy(update={"name": NAMES[s.id], "checks": checks}))
    return demo_like_run().model_copy(update={"scenarios": scenarios})


def shoot(
    browser: Browser, report: Path, out: Path, *, width: int, height: int, scale: int, evidence: bool
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
    page.goto(report.as_uri())
    if evidence:  # one check's evidence unfolded, as a reader would
        page.locator('#s-tag-comma [data-check="cn_purchase.valid"] summary').click()
        page.evaluate("window.scrollTo(0, 0)")
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out))
    page.close()


def main(desktop: Path, phone: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_screenshots(folder)
        path = write_html(readme_run(), folder)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=find_browser().executable_for(headless=True), args=launch_args()
            )
            shoot(browser, path, desktop, width=1100, height=1900, scale=1, evidence=True)
            shoot(browser, path, phone, width=375, height=1060, scale=2, evidence=False)
            browser.close()


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    main(
        args[0] if args else Path("docs/report-screenshot.png"),
        args[1] if len(args) > 1 else Path("docs/report-screenshot-phone.png"),
    )
