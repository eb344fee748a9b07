"""A click after which the expected navigation never comes: the scenario's mistake is an error that names
the click and the fix; the shop's is a failure whose remedy speaks to the shop.

Against the lab (its checkout, whose e-mail is `required`, and its Stripe checkout scenario) and pages
served from the lab's shop host: a button that submits nothing beside its form's own submit, a button only
a script handles, a form that posts to an address the shop answers with an error page, a pay button whose
script throws.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.checks import CHECKS, Expectations
from auditor.lab import Lab
from auditor.results import Status
from tests.checks.test_checks import paid
from tests.engine.test_scenario_mistakes import STRIPE, audit, check, line_of, statuses, write

pytestmark = [pytest.mark.browser, pytest.mark.heavy(30)]

HEAD = """\
name: {name}
base_url: ${{SHOP_URL}}
hosts: {hosts}
timeouts: {{step: 2s, navigation: 3s, scenario: 40s}}
steps:
"""


def scenario(folder: Path, lab: Lab, name: str, steps: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(HEAD.format(name=name, hosts=json.dumps(lab.hosts)) + steps, encoding="utf-8")
    return path


def audited(lab: Lab, folder: Path, path: Path) -> tuple[int, dict[str, Any]]:
    """The exit status of a run of the one scenario file, and its result."""
    status, results, _ = audit(lab, folder / "out", path)
    return status, results[path.name]


CHECKOUT = """\
  - goto: /?platform=stripe
  - goto: /product/keyboard
  - click: "text=Add to cart"
  - goto: /checkout
"""


def test_a_click_the_browser_refuses_to_submit_names_the_empty_field_and_the_fill(
    tmp_path: Path, lab: Lab
) -> None:
    # The scenario never fills the checkout's required #email: Chromium's own validation keeps the form.
    path = scenario(
        tmp_path, lab, "no-email", CHECKOUT + '  - click: "#pay"\n  - wait_for: {url: "**/c/pay/**"}\n'
    )
    status, got = audited(lab, tmp_path, path)
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    assert got["error"].startswith(f"steps[5] (wait_for, {path}:{line_of(path, 'wait_for')})"), got["error"]
    click = line_of(path, 'click: "#pay"')
    assert f"after steps[4] (click, {path}:{click})" in got["error"]
    assert (
        "the browser refused to submit the form (its own form validation): #email is required and empty"
        in (got["error"])
    )
    assert 'add `- fill: {selector: "#email", value: …}` before steps[4]' in got["error"]
    assert "fail" not in statuses(got).values()
    assert status == 2


def test_a_click_on_something_that_does_not_navigate_offers_the_pages_submit(
    tmp_path: Path, lab: Lab
) -> None:
    path = scenario(
        tmp_path,
        lab,
        "price",
        '  - goto: /product/keyboard\n  - click: "#product-price"\n  - wait_for: {url: "**/cart"}\n',
    )
    status, got = audited(lab, tmp_path, path)
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    assert (
        f"after steps[1] (click, {path}:{line_of(path, '#product-price')}), which started no navigation"
        in (got["error"])
    )
    assert (
        "'#product-price', a <p> ('89,90 €'), which is not a link, a button or a form's submit"
        in got["error"]
    )
    assert 'did you mean `click: "#add-to-cart"`?' in got["error"]
    assert status == 2


def test_a_button_that_does_not_submit_its_form_offers_the_forms_submit(tmp_path: Path, lab: Lab) -> None:
    page = lab.add_page(
        '<form action="/order/placed" method="post"><input name="coupon">'
        '<button id="apply" type="button">Apply coupon</button><button id="place">Place order</button></form>'
    )
    path = scenario(
        tmp_path,
        lab,
        "coupon",
        f'  - goto: "{page}"\n  - click: "#apply"\n  - wait_for: {{url: "**/order/**"}}\n',
    )
    _, got = audited(lab, tmp_path, path)
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    assert (
        "'#apply', a <button type=\"button\"> ('Apply coupon'), which does not submit its form"
        in got["error"]
    )
    assert (
        "the form's submit buttons: '#place' (Place order): did you mean `click: \"#place\"`?" in got["error"]
    )


def test_a_button_the_shops_script_handles_without_navigating_is_not_the_scenarios_mistake(
    tmp_path: Path, lab: Lab
) -> None:
    page = lab.add_page('<button id="pay" type="button" onclick="window.tried = true">Pay</button>')
    path = scenario(
        tmp_path,
        lab,
        "script",
        f'  - goto: "{page}"\n  - click: "#pay"\n  - wait_for: {{url: "**/order/**"}}\n',
    )
    _, got = audited(lab, tmp_path, path)
    assert got["status"] == "error" and got["error_kind"] == "step-failed", got["error"]
    assert "is handled by the page's script, which never navigated" in got["error"]
    assert "did you mean" not in got["error"]


PAY = """\
  - goto: "{page}"
  - pay:
      submit: "#pay"
      hosts: [checkout.stripe.test]
      return: {{timeout: 1s}}
"""


def test_a_pay_submit_the_shop_answers_with_an_error_page_fails_with_a_remedy_for_the_shop(
    tmp_path: Path, lab: Lab
) -> None:
    page = lab.add_page('<form action="/payment/start" method="post"><button id="pay">Pay</button></form>')
    path = scenario(tmp_path, lab, "error-page", PAY.format(page=page))
    status, got = audited(lab, tmp_path, path)
    assert got["status"] == "fail", got["error"]
    left = check(got, "payment.left_shop")
    assert left["status"] == "fail"
    assert (
        "The shop answered the click on `#pay` (steps[1].pay.submit) with an error page: POST "
        in left["message"]
    )
    assert "/payment/start answered HTTP 404" in left["message"]
    remedy = left["remedy"] or ""
    assert remedy.startswith("Fix the shop's checkout: the request behind its payment button (POST "), remedy
    assert "pay step" not in remedy and "`submit`" not in remedy  # nothing about the scenario
    assert status == 1


def test_a_pay_button_whose_script_throws_fails_naming_the_error(tmp_path: Path, lab: Lab) -> None:
    page = lab.add_page('<button id="pay" type="button" onclick="startPayment()">Pay</button>')
    path = scenario(tmp_path, lab, "throws", PAY.format(page=page))
    _, got = audited(lab, tmp_path, path)
    left = check(got, "payment.left_shop")
    assert left["status"] == "fail", got["error"]
    assert "After the click on `#pay` (steps[1].pay.submit), the page's script threw: " in left["message"]
    assert "startPayment is not defined" in left["message"]
    assert (left["remedy"] or "").startswith("Fix the checkout page's script error")


def test_a_platform_that_never_answers_is_not_blamed_on_the_pay_step() -> None:
    note = "the browser never reached pay.test: the request to http://pay.test/pay got no answer"
    left = CHECKS["payment.left_shop"](paid(reached=False, note=note), Expectations())
    assert left.status is Status.FAIL
    assert (
        "The browser never reached pay.test: the request to http://pay.test/pay got no answer."
        in left.message
    )
    assert (left.remedy or "").startswith("The payment platform never answered the shop's request")
    assert "pay step" not in (left.remedy or "")


# The lab's Stripe checkout scenario, with short waits: a submit that goes nowhere is judged once the
# navigation timeout has passed.
QUICK = ("  step: 10s\n", "  step: 3s\n  navigation: 4s\n")
EMAIL = '  - fill: {selector: "#email", value: "{{email}}"}\n'


def test_a_pay_submit_the_browser_refuses_names_the_empty_field_and_the_fill(
    tmp_path: Path, lab: Lab
) -> None:
    path = write(tmp_path, "pay-no-email", STRIPE, QUICK, (EMAIL, ""))
    status, got = audited(lab, tmp_path, path)
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    submit = line_of(path, 'submit: "#pay"')
    where = f"steps[5].pay.submit (click, {path}:{submit})"
    assert got["error"].startswith(where), got["error"]
    assert (
        "the browser refused to submit the form (its own form validation): #email is required and empty"
        in got["error"]
    )
    assert 'add `- fill: {selector: "#email", value: …}` before steps[5]' in got["error"]
    assert "fail" not in statuses(got).values()  # nothing blames the shop
    assert status == 2


def test_a_pay_submit_on_something_that_does_not_navigate_offers_the_pay_button(
    tmp_path: Path, lab: Lab
) -> None:
    path = write(tmp_path, "pay-on-total", STRIPE, QUICK, ('submit: "#pay"', 'submit: "#checkout-total"'))
    status, got = audited(lab, tmp_path, path)
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    where = f"steps[6].pay.submit (click, {path}:{line_of(path, '#checkout-total')})"
    assert got["error"].startswith(where), got["error"]
    assert (
        "the submit started no navigation: it clicked '#checkout-total', a <span> ('89,90 €'), which is "
        "not a link, a button or a form's submit" in got["error"]
    )
    assert 'did you mean `submit: "#pay"`?' in got["error"]
    assert "fail" not in statuses(got).values()
    assert status == 2


def test_a_pay_button_the_shop_answers_with_an_error_in_the_stripe_checkout_fails_the_shop(
    tmp_path: Path, lab: Lab
) -> None:
    # The shop's checkout form posts a payment method its own server does not know: the shop answers 400.
    page = lab.add_page(
        '<form method="post" action="/checkout"><input id="email" name="email" type="email" required>'
        '<input type="hidden" name="platform" value="klarna"><button id="pay">Pay</button></form>'
    )
    path = write(tmp_path, "pay-400", STRIPE, QUICK, ('  - click: "#checkout"\n', f'  - goto: "{page}"\n'))
    status, got = audited(lab, tmp_path, path)
    assert got["status"] == "fail", got["error"]
    left = check(got, "payment.left_shop")
    assert left["status"] == "fail"
    assert (
        "The shop answered the click on `#pay` (steps[6].pay.submit) with an error page: POST "
        in (left["message"])
    )
    assert "/checkout answered HTTP 400" in left["message"]
    remedy = left["remedy"] or ""
    assert remedy.startswith("Fix the shop's checkout: the request behind its payment button (POST "), remedy
    assert "pay step" not in remedy and "`submit`" not in remedy
    assert status == 1
