"""The browser side of recording, in a real Chromium: the selectors chosen, and what is reported.

Pages come from the lab (lab.add_page) so that they have a real address; Playwright's own selector
engine is the judge of every selector the capture script proposes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from auditor.lab import Lab
from auditor.recorder.model import Action, PageInfo, ShopHosts, ShownPurchase
from auditor.recorder.session import CAPTURE_JS, RecordingSession

pytestmark = pytest.mark.browser

DESCRIBE = f"(el) => ({CAPTURE_JS})({{install: false}}).describe(el, {{}})"

PAGE = """<!doctype html><title>t</title>
<style>.gone { display: none }</style>
<main>
  <button data-testid="buy" id="buy-button" name="buy">Buy</button>
  <button id="ember1234">Generated id</button>
  <input name="email" aria-label="Email">
  <input name="dup"><input name="dup">
  <a href="/help">Help and contact</a>
  <button>Save</button><button class="gone">Save</button>
  <div><span>Plain words</span></div>
  <ul><li><b>x</b></li><li><b>x</b></li></ul>
  <label><input type="radio" name="ship" value="home"> Home</label>
  <label><input type="radio" name="ship" value="shop"> Shop</label>
  <div id="host"></div>
</main>
<script>
  const root = document.getElementById('host').attachShadow({mode: 'open'});
  root.innerHTML = '<button>Inside the shadow</button>';
</script>
"""


@pytest.fixture
def context(walker_browser: Browser) -> Iterator[BrowserContext]:
    ctx = walker_browser.new_context()
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def describe(page: Page, selector: str) -> list[dict[str, str]]:
    result: list[dict[str, str]] = page.locator(selector).evaluate(DESCRIBE)
    return result


def assert_names_only(page: Page, chosen: str, original: str) -> None:
    """Playwright finds exactly one visible element for `chosen`: the element found by `original`."""
    found = page.locator(chosen).filter(visible=True)
    assert found.count() == 1, chosen
    assert found.evaluate("(a, b) => a === b", page.locator(original).element_handle()), chosen


@pytest.mark.parametrize(
    ("element", "kind", "selector"),
    [
        ("[data-testid=buy]", "testid", '[data-testid="buy"]'),
        ("#ember1234", "role", 'role=button[name="Generated id"]'),
        ("input[name=email]", "name", 'input[name="email"]'),
        ("input[name=dup] >> nth=1", "css", "input:nth-of-type(3)"),
        ("a", "role", 'role=link[name="Help and contact"]'),
        ("span", "text", 'text="Plain words"'),
        ("li >> nth=1", "css", "li:nth-of-type(2)"),
        ("input[value=shop]", "name", 'input[name="ship"][value="shop"]'),
        ("#host >> button", "role", 'role=button[name="Inside the shadow"]'),
    ],
)
def test_the_first_candidate_names_exactly_the_element(
    context: BrowserContext, lab: Lab, element: str, kind: str, selector: str
) -> None:
    page = context.new_page()
    page.goto(lab.add_page(PAGE))
    candidates = describe(page, element)
    assert candidates, element
    assert (candidates[0]["kind"], candidates[0]["selector"]) == (kind, selector)
    for candidate in candidates:  # every one sent is unique, not only the first
        assert_names_only(page, candidate["selector"], element)


FRAMES = """<!doctype html><title>f</title>
<iframe name="__privateStripeFrame8152" title="Secure card payment input frame" srcdoc="<p>card</p>"></iframe>
<iframe name="threeds" srcdoc="<p>3ds</p>"></iframe>
<iframe srcdoc="<p>ad</p>"></iframe><iframe srcdoc="<p>ad</p>"></iframe>
"""


def test_iframes_are_named_by_what_stays_from_one_visit_to_the_next(
    context: BrowserContext, lab: Lab
) -> None:
    page = context.new_page()
    page.goto(lab.add_page(FRAMES))
    frame_describe = DESCRIBE.replace("describe(el, {})", "describe(el, {frame: true})")
    chosen = [page.locator("iframe").nth(i).evaluate(frame_describe)[0]["selector"] for i in range(4)]
    # a generated name is passed over for the title; twins without a name get a path
    assert chosen == [
        'iframe[title="Secure card payment input frame"]',
        'iframe[name="threeds"]',
        "iframe:nth-of-type(3)",
        "iframe:nth-of-type(4)",
    ]
    for i, selector in enumerate(chosen):
        assert page.locator(selector).count() == 1
        assert page.locator(selector).evaluate(
            "(a, b) => a === b", page.locator("iframe").nth(i).element_handle()
        )


def test_a_name_shared_by_a_hidden_twin_still_counts_only_the_visible_one(
    context: BrowserContext, lab: Lab
) -> None:
    page = context.new_page()
    page.goto(lab.add_page(PAGE))
    chosen = describe(page, "main > button:nth-of-type(3)")
    assert chosen[0]["selector"] == 'role=button[name="Save"]'
    assert page.locator('role=button[name="Save"]').count() == 1  # Playwright too skips the hidden one


FORM = """<!doctype html><title>Form</title>
<form action="/__lab/nowhere" method="get" onsubmit="event.preventDefault(); document.title = 'sent'">
  <input id="name" name="name">
  <input id="pan" name="cardnumber" autocomplete="cc-number">
  <input id="cvc" name="cvc">
  <input id="exp" name="exp-date">
  <input id="pw" type="password" name="pw">
  <input id="ref" name="reference">
  <label for="terms">I agree</label><input type="checkbox" id="terms">
  <label class="fancy"><input type="checkbox" id="styled" style="display:none"> Gift wrap</label>
  <select id="country"><option value="es">Spain</option><option value="fr">France</option></select>
  <button id="send" type="submit">Send</button>
</form>
"""


def recorded(lab: Lab, browser: Browser, shop: str, act: Any) -> list[Action]:
    """The actions a session records while `act(page)` runs on the FORM page."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        session = RecordingSession(lab.url("shop.test", "/"), ShopHosts(root=shop))
        page = session.attach(context)
        page.goto(lab.add_page(FORM))
        act(page)
        sent = page.evaluate("window.__auditorRecorderSent")
        deadline = time.monotonic() + 10
        # each round trip lets a report still on its way, or waiting on the browser, arrive
        while (session.received < sent or session.busy) and time.monotonic() < deadline:
            page.wait_for_function("() => true")
        return [e for e in session.recording.events if isinstance(e, Action)]
    finally:
        context.close()


def test_what_a_person_does_on_a_form(walker_browser: Browser, lab: Lab) -> None:
    def act(page: Page) -> None:
        page.locator("#name").press_sequentially("Ada")
        page.click("text=I agree")  # the label of a visible box: the box is what is recorded
        page.click("text=I agree")
        page.click("text=Gift wrap")  # the box itself is hidden: the label is what a run must click
        page.select_option("#country", "fr")
        page.locator("#name").press("Enter")  # the form is sent: a press, not a click on #send
        page.wait_for_function("document.title === 'sent'")
        page.click("#send")

    actions = recorded(lab, walker_browser, "shop.test", act)
    assert [(a.kind, a.selector, a.value, a.key) for a in actions] == [
        ("fill", "#name", "A", None),
        ("fill", "#name", "Ad", None),
        ("fill", "#name", "Ada", None),
        ("check", "#terms", None, None),
        ("uncheck", "#terms", None, None),
        ("click", 'text="Gift wrap"', None, None),
        ("select", "#country", "fr", None),
        ("press", "#name", None, "Enter"),
        ("click", "#send", None, None),
    ]
    assert all(a.verified and a.page == "main" and not a.frame for a in actions)
    assert len({a.element for a in actions if a.selector == "#name"}) == 1  # merged into one fill later


def test_secret_fields_never_send_their_value(walker_browser: Browser, lab: Lab) -> None:
    card = "4548812049400004"

    def act(page: Page) -> None:
        page.fill("#pan", card)
        page.fill("#cvc", "123")
        page.fill("#exp", "12/49")
        page.fill("#pw", "hunter2")
        page.fill("#ref", "4242424242424242")  # a card number in a field named otherwise
        page.fill("#name", "Ada")

    # the lab page is on shop.test: with another shop, it is a payment platform's page
    on_platform = recorded(lab, walker_browser, "elsewhere.test", act)
    assert [(a.selector, a.secret, a.value) for a in on_platform] == [
        ("#pan", "card_number", None),
        ("#cvc", "security_code", None),
        ("#exp", "expiry", None),
        ("#pw", "password", None),
        ("#ref", "card_number", None),
        ("#name", None, "Ada"),
    ]
    # on the shop itself, only passwords and card numbers are held back
    on_shop = recorded(lab, walker_browser, "shop.test", act)
    assert [(a.selector, a.secret, a.value) for a in on_shop] == [
        ("#pan", "card_number", None),
        ("#cvc", None, "123"),
        ("#exp", None, "12/49"),
        ("#pw", "password", None),
        ("#ref", "card_number", None),
        ("#name", None, "Ada"),
    ]


CONFIRMATION = """<!doctype html><title>Thanks</title>
<p>Your order number is <strong class="order-number">ORD-7F3A</strong>.</p>
<div class="cn_purchase" style="display:none">
  <span class="purchase_id">ORD-7F3A</span>
  <div class="product_basket_item"><span class="product_id">p1</span><span class="quantity">1</span></div>
</div>
<img src="/__held/picture.png" alt="">
"""


def test_ctrl_c_before_the_confirmation_loaded_still_reads_its_order_number(
    walker_browser: Browser, lab: Lab
) -> None:
    """The page reports its order number from its load event; Ctrl-C can come first (here an image held
    by the test keeps the load from firing): settling reads the page as it is, once."""
    context = walker_browser.new_context()
    context.set_default_timeout(10_000)
    held: list[Any] = []
    context.route("**/__held/**", lambda route: held.append(route))
    try:
        session = RecordingSession(lab.url("shop.test", "/"), ShopHosts(root="shop.test"))
        page = session.attach(context)
        page.goto(lab.add_page(CONFIRMATION), wait_until="domcontentloaded")
        assert page.evaluate("document.readyState") != "complete"
        session.settle(context)
        infos = [e for e in session.recording.events if isinstance(e, PageInfo)]
        assert [(i.title, i.purchase) for i in infos] == [
            (
                "Thanks",
                ShownPurchase(
                    purchase_id="ORD-7F3A", products=1, selector="strong.order-number", text="ORD-7F3A"
                ),
            )
        ]
        # the load's own report comes later: settling again keeps the one report of this page
        held[0].fulfill(status=204)
        page.wait_for_load_state("load")
        session.settle(context)
        assert len([e for e in session.recording.events if isinstance(e, PageInfo)]) == 2
        page.goto(lab.add_page(CONFIRMATION.replace("ORD-7F3A", "ORD-9B1C")), wait_until="domcontentloaded")
        session.settle(context)
        assert [
            e.purchase.purchase_id for e in session.recording.events if isinstance(e, PageInfo) and e.purchase
        ] == ["ORD-7F3A", "ORD-7F3A", "ORD-9B1C"]
    finally:
        context.close()
