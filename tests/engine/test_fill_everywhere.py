"""`{{name}}` is filled in in every text of a step, not only in selectors: press.key, capture.attribute,
capture.pattern (as literal text), screenshot.name and pay.provider, through the real command line, the
lab and Chromium. A secret filled into any of them reaches no output, not even a screenshot's file name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.lab import Lab
from tests.engine.test_scenario_mistakes import STRIPE, audit, write

pytestmark = [pytest.mark.browser, pytest.mark.heavy(20)]

# A field that reports the last key pressed in it, an attribute to capture, and a text in which the
# unescaped pattern `12.50` would first match "12x50".
PAGE = """<!doctype html><title>fill everywhere</title>
<input id="q" data-price="EUR 12.50"><p id="out">nothing yet</p>
<p id="total">Before: 12x50 EUR. Total: 12.50 EUR</p>
<script>
document.getElementById('q').addEventListener('keydown', (e) => {
  document.getElementById('out').textContent =
    'pressed ' + (e.ctrlKey ? 'ctrl ' : '') + (e.shiftKey ? 'shift ' : '') + e.code;
});
</script>"""


def scenario(tmp_path: Path, lab: Lab, name: str, head: str, steps: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nbase_url: ${{SHOP_URL}}\nhosts: {json.dumps(lab.hosts)}\n"
        "timeouts: {step: 5s, tracking: 1s}\n"
        f'{head}steps:\n  - goto: "{lab.add_page(PAGE)}"\n{steps}'
        "expect:\n  cn_purchase: absent\n  connectif: {script: optional, purchase_sent: optional}\n",
        encoding="utf-8",
    )
    return path


def by_target(got: dict, action: str) -> list[dict]:
    return [s for s in got["steps"] if s["action"] == action]


def test_press_key_capture_attribute_and_pattern_and_screenshot_name_are_filled_in(
    tmp_path: Path, lab: Lab
) -> None:
    path = scenario(
        tmp_path,
        lab,
        "filled",
        "vars:\n  key: Enter\n  attr: data-price\n  amount: '12.50'\n  shot: basket\n",
        '  - press: {selector: "#q", key: "{{key}}"}\n'
        '  - expect_text: {selector: "#out", text: "pressed Enter"}\n'
        '  - capture: {name: price, selector: "#q", attribute: "{{attr}}"}\n'
        '  - capture: {name: seen, selector: "#total", pattern: "{{amount}} [A-Z]+"}\n'
        "  - screenshot: cart-{{shot}}\n",
    )
    out = tmp_path / "out"
    _, results, _ = audit(lab, out, path)
    got = results[path.name]
    assert got["error"] is None, got["error"]
    assert [s["status"] for s in got["steps"]] == ["ok"] * 6, got["steps"]
    price, seen = by_target(got, "capture")
    assert price["message"] == "price = 'EUR 12.50'"
    # `12.50` filled in is literal text: it skips "12x50", which the bare pattern would match first.
    assert seen["message"] == "seen = '12.50 EUR'"
    (shot,) = by_target(got, "screenshot")
    assert shot["target"] == "cart-basket"
    assert shot["screenshot"].endswith("/cart-basket.jpg"), shot["screenshot"]
    assert (out / shot["screenshot"]).stat().st_size > 0
    assert [s["name"] for s in got["screenshots"] if s["name"].startswith("cart")] == ["cart-basket"]


def test_a_secret_in_a_key_a_selector_or_a_screenshot_name_reaches_no_output(
    tmp_path: Path, lab: Lab
) -> None:
    field, combo, token = "#q", "Control+Shift+KeyK", "tok7788secretzz"
    path = scenario(
        tmp_path,
        lab,
        "secret",
        f"secrets:\n  field: '{field}'\n  combo: {combo}\n  token: {token}\n",
        '  - press: {selector: "input{{field}}", key: "{{combo}}"}\n'
        '  - expect_text: {selector: "#out", text: "pressed ctrl shift KeyK"}\n'
        "  - screenshot: after-{{token}}\n",
    )
    out = tmp_path / "out"
    _, results, _ = audit(lab, out, path)
    got = results[path.name]
    assert got["error"] is None, got["error"]
    assert [s["status"] for s in got["steps"]] == ["ok"] * 4, got["steps"]
    press = by_target(got, "press")[0]
    assert press["target"] == "input•••", press["target"]  # the selector as filled in, its secret masked
    written = [p for p in out.rglob("*") if p.is_file()]
    assert written and not [p for p in written if token in str(p)], written  # no file named after it
    for file in written:
        if file.suffix in (".json", ".html", ".xml", ".md", ".txt", ".log"):
            text = file.read_text(encoding="utf-8")
            for secret in ("input#q", combo, token):
                assert secret not in text, (file, secret)


def test_pay_provider_is_filled_in_for_the_report(tmp_path: Path, lab: Lab) -> None:
    path = write(
        tmp_path,
        "provider",
        STRIPE,
        ("  email: audit+{{run_id}}@example.com", "  email: audit+{{run_id}}@example.com\n  psp: Stripe"),
        ("provider: Stripe Checkout (lab)", 'provider: "{{psp}} Checkout ({{scenario_id}})"'),
    )
    _, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "pass", (got["error"], got["checks"])
    assert got["payment"]["provider"] == f"Stripe Checkout ({got['id']})"
