"""From recorded events to a scenario, without a browser: pay steps, returns, secrets, expectations."""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from auditor.checks.urlglob import url_matches
from auditor.observation import NavigationCause
from auditor.recorder.compose import Draft, compose, generalise_url, id_pattern, mechanism_of
from auditor.recorder.model import (
    Action,
    Event,
    FrameAppeared,
    Nav,
    PageClosed,
    PageInfo,
    PopupOpened,
    Recording,
    ShopHosts,
    ShownPurchase,
)
from auditor.recorder.secrets import SecretNames, luhn_valid, site_of
from auditor.recorder.writer import quoted, scenario_yaml
from auditor.scenario.load import load_scenario
from auditor.scenario.model import Scenario

SHOP = "http://shop.test:8000"
PAY = "http://pay.test:8000"
SHOP_HOSTS = ShopHosts(root="shop.test")
CARD = "4548812049400004"
_elements = count(1)


def act(at: int, kind: str, selector: str, **fields: Any) -> Action:
    """An action on the shop's main window unless said otherwise."""
    host = fields.pop("host", "shop.test")
    return Action(
        at_ms=at,
        page=fields.pop("page", "main"),
        kind=kind,
        selector=selector,
        host=host,
        url=fields.pop("url", f"http://{host}/"),
        document=fields.pop("document", f"doc-{host}"),
        element=fields.pop("element", next(_elements)),
        **fields,
    )


def nav(at: int, url: str, cause: NavigationCause = NavigationCause.LINK, **fields: Any) -> Nav:
    from auditor.engine.observe import host_of

    return Nav(at_ms=at, page=fields.pop("page", "main"), url=url, host=host_of(url), cause=cause, **fields)


def record(*events: Event, start: str = f"{SHOP}/product/keyboard", ended: int = 100_000) -> Recording:
    return Recording(
        start_url=start,
        shop=SHOP_HOSTS,
        started_at="2025-05-01T10:00:00+00:00",
        events=[nav(0, start, NavigationCause.TYPED), *events],
        ended_ms=ended,
    )


def written(draft: Draft, tmp_path: Path, env: dict[str, str] | None = None) -> tuple[str, Scenario]:
    """The file the recorder writes, and the scenario the loader reads from it."""
    path = tmp_path / "scenarios" / "recorded.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = scenario_yaml(draft, path)
    path.write_text(text, encoding="utf-8")
    secrets = {s.env: "x" for s in draft.secrets}
    return text, load_scenario(path, env={**secrets, **(env or {})})


def confirmation(
    at: int, ref: str = "ORD-1A2B", shown: str | None = ".order-number", text: str = ""
) -> PageInfo:
    return PageInfo(
        at_ms=at,
        page="main",
        url=f"{SHOP}/order/confirmation/{ref}",
        title="Order confirmation",
        purchase=ShownPurchase(purchase_id=ref, products=2, selector=shown, text=text or ref),
    )


def redirect_checkout(tmp_path: Path) -> tuple[Draft, Scenario]:
    """Shop → platform by a click, card details, the platform posts the customer back."""
    rec = record(
        PageInfo(at_ms=5, page="main", url=f"{SHOP}/product/keyboard", title="Keyboard · Lab Store"),
        act(10, "click", "#add-to-cart"),
        nav(20, f"{SHOP}/cart", NavigationCause.FORM_POST),
        act(30, "fill", "#email", value="a@example.com", element=1),
        act(31, "fill", "#email", value="ada@example.com", element=1),
        act(40, "click", "#pay"),
        nav(50, f"{SHOP}/checkout", NavigationCause.FORM_POST),
        nav(60, f"{PAY}/card", NavigationCause.FORM_POST),
        act(70, "fill", "#pan", host="pay.test", secret="card_number"),
        act(71, "fill", "#holder", host="pay.test", value="Ada ${HOME} {{x}}"),
        act(80, "click", "#authorise", host="pay.test"),
        nav(90, f"{PAY}/done", NavigationCause.FORM_POST),
        nav(400, f"{SHOP}/order/confirmation/ORD-1A2B", NavigationCause.FORM_POST),
        confirmation(420),
    )
    draft = compose(rec, hosts={"shop.test": "127.0.0.1", "pay.test": "127.0.0.1"})
    return draft, written(draft, tmp_path)[1]


def test_a_redirect_checkout_makes_one_pay_step_with_its_submit_and_steps(tmp_path: Path) -> None:
    draft, scenario = redirect_checkout(tmp_path)
    assert draft.name == "Keyboard · Lab Store"
    assert scenario.base_url == SHOP and scenario.hosts == {"shop.test": "127.0.0.1", "pay.test": "127.0.0.1"}
    actions = [(s.action, getattr(s.args, "selector", getattr(s.args, "url", None))) for s in scenario.steps]
    assert actions == [
        ("goto", "/product/keyboard"),
        ("click", "#add-to-cart"),
        ("fill", "#email"),
        ("pay", None),
        ("capture", ".order-number"),
    ]
    assert scenario.steps[2].args.value == "ada@example.com"  # one fill per field, its final value
    [pay] = scenario.pay_steps()
    assert pay.submit is not None and pay.submit.selector == "#pay"
    assert pay.hosts == ("pay.test",) and not pay.popup and pay.return_.click is None
    assert [(s.action, s.args.selector) for s in pay.steps] == [
        ("fill", "#pan"),
        ("fill", "#holder"),
        ("click", "#authorise"),
    ]
    assert pay.steps[0].args.value == "{{card_number}}"
    # written as $${HOME}: the loader keeps it as typed; `{{` cannot be escaped, so it is split
    assert pay.steps[1].args.value == "Ada ${HOME} { {x}}"
    assert scenario.secrets == {"card_number": "x"}
    assert (draft.returned, draft.mechanism) == ("automatic", "form-post")
    assert scenario.expect.confirmation_url == "/order/confirmation/*"
    assert scenario.expect.cn_purchase == {"purchase_id": "{{order_id}}", "products": 2}


def test_the_written_file_says_what_was_recorded_and_never_holds_a_typed_secret(tmp_path: Path) -> None:
    redirect_checkout(tmp_path)
    text = (tmp_path / "scenarios" / "recorded.yaml").read_text()
    lines = text.splitlines()
    assert lines[0].startswith("# yaml-language-server: $schema=")
    assert (Path(tmp_path / "scenarios") / lines[0].split("$schema=")[1]).resolve().is_file()
    assert "# recorded return: automatic, mechanism: form-post" in lines
    assert any(line.startswith("# Recorded with `checkout-auditor record` on 2025-05-01") for line in lines)
    assert '  card_number: "${CARD_NUMBER}"  # the card number typed on pay.test' in lines
    assert "Set CARD_NUMBER" in text or "set CARD_NUMBER" in text
    assert CARD not in text


def test_a_click_straight_back_to_the_shop_is_the_return_click(tmp_path: Path) -> None:
    rec = record(
        act(10, "click", "#pay"),
        nav(20, f"{PAY}/card", NavigationCause.FORM_POST),
        act(30, "click", "#authorise", host="pay.test"),
        nav(40, f"{PAY}/result", NavigationCause.FORM_POST),
        act(6_300, "click", "text=Volver", host="pay.test"),
        nav(6_400, f"{SHOP}/order/confirmation/ORD-9", NavigationCause.FORM_GET),
    )
    draft = compose(rec)
    _, scenario = written(draft, tmp_path)
    [pay] = scenario.pay_steps()
    assert pay.return_.click is not None and pay.return_.click.selector == "text=Volver"
    assert [s.args.selector for s in pay.steps] == ["#authorise"]
    assert pay.return_.timeout == 7_000  # as long as the person waited on the result page, in whole seconds
    assert (draft.returned, draft.mechanism) == ("manual", "click")
    text = scenario_yaml(draft, tmp_path / "x.yaml")
    assert "`return: manual-allowed`" in text


def test_a_platform_redirect_after_a_click_is_automatic_not_a_return_click(tmp_path: Path) -> None:
    rec = record(
        act(10, "click", "#pay"),
        nav(20, f"{PAY}/card"),
        act(30, "click", "#submit", host="pay.test"),
        nav(40, f"{SHOP}/confirmation/ORD-9", NavigationCause.FORM_POST, redirect_chain=(f"{PAY}/card",)),
    )
    draft = compose(rec)
    [pay] = written(draft, tmp_path)[1].pay_steps()
    assert pay.return_.click is None and [s.args.selector for s in pay.steps] == ["#submit"]
    assert (draft.returned, draft.mechanism) == ("automatic", "http-redirect")


def test_a_popup_on_the_platform_is_a_popup_pay_step(tmp_path: Path) -> None:
    rec = record(
        act(10, "fill", "#email", value="ada@example.com"),
        act(20, "click", "#pay"),
        PopupOpened(at_ms=25, page="popup-1", opener="main"),
        nav(30, f"{SHOP}/checkout", NavigationCause.FORM_POST, page="popup-1"),
        nav(35, f"{PAY}/login", page="popup-1"),
        act(40, "fill", "#password", page="popup-1", host="pay.test", secret="password"),
        act(50, "click", "#login", page="popup-1", host="pay.test"),
        nav(60, f"{PAY}/review", NavigationCause.FORM_POST, page="popup-1"),
        act(70, "click", "#approve", page="popup-1", host="pay.test"),
        nav(80, f"{PAY}/done", NavigationCause.FORM_POST, page="popup-1"),
        PageClosed(at_ms=90, page="popup-1"),
        nav(95, f"{SHOP}/payment/return?token=EC-1", NavigationCause.SCRIPT),
    )
    draft = compose(rec)
    _, scenario = written(draft, tmp_path)
    [pay] = scenario.pay_steps()
    assert pay.popup and pay.submit is not None and pay.submit.selector == "#pay"
    assert [s.args.selector for s in pay.steps] == ["#password", "#login", "#approve"]
    assert pay.steps[0].args.value == "{{pay_password}}" and scenario.secrets == {"pay_password": "x"}
    assert (draft.returned, draft.mechanism) == ("automatic", "opener")
    assert scenario.expect.confirmation_url == "/payment/return?token=*"


def test_an_in_page_card_iframe_makes_a_pay_step_with_frames(tmp_path: Path) -> None:
    frame = {"frame": ("#card-element",), "frame_hosts": ("js.pay.test",), "host": "js.pay.test"}
    rec = record(
        act(10, "click", "#checkout"),
        nav(20, f"{SHOP}/checkout"),
        FrameAppeared(at_ms=25, page="main", host="js.pay.test", url="http://js.pay.test/card"),
        FrameAppeared(at_ms=26, page="main", host="cdn.connectif.cloud", url="http://cdn.connectif.cloud/x"),
        act(30, "fill", "#email", value="ada@example.com"),
        act(40, "fill", "#cardnumber", value=CARD, **frame),  # the page-side rules missed it
        act(50, "click", "#pay"),
        nav(60, f"{SHOP}/order/confirmation/ORD-7?payment_intent=pi_123", NavigationCause.SCRIPT),
    )
    draft = compose(rec)
    text, scenario = written(draft, tmp_path)
    [pay] = scenario.pay_steps()
    assert pay.submit is None and pay.hosts == ("js.pay.test",)
    assert [s.args.selector for s in pay.steps] == ["#cardnumber", "#pay"]
    assert pay.steps[0].args.frame == ("#card-element",) and pay.steps[0].args.value == "{{card_number}}"
    # the e-mail stays on the shop: the pay step starts in the card frame
    assert [s.action for s in scenario.steps] == ["goto", "click", "fill", "pay"]
    assert (draft.returned, draft.mechanism) == ("automatic", "script")
    assert CARD not in text


def test_the_click_that_makes_a_payment_iframe_appear_is_its_submit(tmp_path: Path) -> None:
    frame = {"frame": ('iframe[title="Card"]',), "frame_hosts": ("js.pay.test",), "host": "js.pay.test"}
    rec = record(
        nav(5, f"{SHOP}/checkout"),
        act(10, "click", 'role=button[name="Pay by card"]'),
        FrameAppeared(at_ms=15, page="main", host="js.pay.test", url="http://js.pay.test/card"),
        act(30, "fill", "#cvc", secret="security_code", **frame),
        act(40, "click", "#pay"),
        nav(50, f"{SHOP}/thanks", NavigationCause.SCRIPT),
    )
    draft = compose(rec)
    text, scenario = written(draft, tmp_path)
    [pay] = scenario.pay_steps()
    assert pay.submit is not None and pay.submit.selector == 'role=button[name="Pay by card"]'
    assert "submit: 'role=button[name=\"Pay by card\"]'" in text  # readable: single quotes around it
    assert pay.steps[0].args.frame == ('iframe[title="Card"]',)
    assert scenario.expect.confirmation_url == "/thanks"
    assert scenario.expect.cn_purchase == "present"  # no tag seen: nothing more is claimed


def test_a_platform_that_never_sends_the_customer_back(tmp_path: Path) -> None:
    rec = record(
        act(10, "click", "#pay"),
        nav(20, f"{PAY}/pay"),
        act(30, "click", "#confirm", host="pay.test"),
        nav(40, f"{PAY}/paid", NavigationCause.FORM_POST),
        ended=4_500,
    )
    draft = compose(rec)
    _, scenario = written(draft, tmp_path)
    [pay] = scenario.pay_steps()
    assert (draft.returned, draft.mechanism) == ("none", None)
    assert pay.return_.timeout == 5_000 and pay.return_.click is None
    assert scenario.expect.confirmation_url is None
    assert "# recorded return: none, mechanism: none" in scenario_yaml(draft, tmp_path / "x.yaml")


def test_going_back_to_the_shop_by_hand_is_no_return_and_a_goto(tmp_path: Path) -> None:
    rec = record(
        act(10, "click", "#pay"),
        nav(20, f"{PAY}/pay"),
        act(30, "click", "#confirm", host="pay.test"),
        nav(40, f"{PAY}/paid"),
        nav(3_000, f"{SHOP}/account/orders", NavigationCause.TYPED),
    )
    draft = compose(rec)
    scenario = written(draft, tmp_path)[1]
    assert draft.returned == "none" and scenario.steps[-1].action == "goto"
    assert scenario.steps[-1].args.url == "/account/orders"


def test_typed_navigations_on_the_shop_become_goto_steps(tmp_path: Path) -> None:
    rec = record(
        act(10, "click", "#add-to-cart"),
        nav(20, f"{SHOP}/cart", NavigationCause.FORM_POST),
        nav(30, f"{SHOP}/cart?coupon=SPRING", NavigationCause.TYPED),
        nav(40, "http://other.shop.test:8000/help", NavigationCause.TYPED),  # a subdomain: the shop's
    )
    scenario = written(compose(rec), tmp_path)[1]
    assert [(s.action, getattr(s.args, "url", None)) for s in scenario.steps] == [
        ("goto", "/product/keyboard"),
        ("click", None),
        ("goto", "/cart?coupon=SPRING"),
        ("goto", "http://other.shop.test:8000/help"),
    ]


def test_shop_hosts_connectif_and_extra_names() -> None:
    shop = ShopHosts(root="www.shop.example", extra=("checkout.shop.example", "*.cdn.shop.example"))
    assert shop.is_shop("www.shop.example") and shop.is_shop("m.www.shop.example")
    assert shop.is_shop("checkout.shop.example") and shop.is_shop("img.cdn.shop.example")
    assert not shop.is_shop("shop.example") and shop.is_platform("pay.stripe.com")
    assert not shop.is_platform("cdn.connectif.cloud") and not shop.is_platform("eu8-api.connectif.cloud")


def test_actions_in_other_windows_are_left_out_and_said() -> None:
    rec = record(
        PopupOpened(at_ms=5, page="popup-1", opener="main"),
        nav(6, f"{SHOP}/terms", page="popup-1"),
        act(7, "click", "#accept", page="popup-1"),
        act(10, "click", "#add-to-cart"),
    )
    draft = compose(rec)
    assert [s.action for s in draft.steps] == ["goto", "click"]
    assert any("left out" in note for note in draft.notes)
    assert any("no pay step" in note for note in draft.notes)


def test_a_return_that_took_long_gets_twice_that_to_come_back() -> None:
    rec = record(
        act(10, "click", "#pay"),
        nav(20, f"{PAY}/pay"),
        act(30, "click", "#ok", host="pay.test"),
        nav(40, f"{PAY}/wait"),
        nav(9_030, f"{SHOP}/order/confirmation/ORD-1", NavigationCause.META_REFRESH),
    )
    draft = compose(rec)
    [pay] = [s for s in draft.steps if s.action == "pay"]
    assert pay.args["return"] == {"timeout": "18s"}  # 9 s after the last step, twice
    assert draft.mechanism == "meta-refresh"


def test_the_order_number_shown_in_a_sentence_is_captured_with_a_pattern(tmp_path: Path) -> None:
    rec = record(
        act(10, "click", "#pay"),
        nav(20, f"{PAY}/pay"),
        nav(30, f"{SHOP}/thanks/ORD-77AB", NavigationCause.SCRIPT),
        confirmation(40, ref="ORD-77AB", shown="p.summary", text="Your order ORD-77AB is on its way"),
    )
    scenario = written(compose(rec), tmp_path)[1]
    capture = next(s for s in scenario.steps if s.action == "capture")
    assert capture.args.selector == "p.summary" and capture.args.name == "order_id"
    assert capture.args.pattern is not None
    assert re.search(capture.args.pattern, "Your order ORD-91ZZ is on its way").group(0) == "ORD-91ZZ"


def test_no_capture_when_the_page_does_not_show_the_purchase_id(tmp_path: Path) -> None:
    rec = record(
        act(10, "click", "#pay"),
        nav(20, f"{PAY}/pay"),
        nav(30, f"{SHOP}/thanks", NavigationCause.SCRIPT),
        confirmation(40, shown=None),
    )
    draft = compose(rec)
    text, scenario = written(draft, tmp_path)
    assert all(s.action != "capture" for s in scenario.steps)
    assert scenario.expect.cn_purchase == "present"
    why = "no capture of the order number: that page's purchase_id (ORD-1A2B) is not shown in an element"
    assert any(note.startswith(why) for note in draft.notes), draft.notes
    assert f"# note: {why}" in text  # the file says why it has no capture


@pytest.mark.parametrize(
    ("after_return", "why"),
    [
        ((), "the first shop page after the payment never said what it shows (the recording ended)"),
        (
            (PageInfo(at_ms=40, page="main", url=f"{SHOP}/thanks", title="Thanks"),),
            f"the first shop page after the payment ({SHOP}/thanks) has no cn_purchase tag",
        ),
    ],
)
def test_a_return_without_a_capture_says_why(after_return: tuple[PageInfo, ...], why: str) -> None:
    rec = record(act(10, "click", "#pay"), nav(20, f"{PAY}/pay"), nav(30, f"{SHOP}/thanks"), *after_return)
    draft = compose(rec)
    assert [n for n in draft.notes if n.startswith("no capture")] == [
        f"no capture of the order number: {why}"
    ]


def test_a_captured_order_number_or_no_return_adds_no_capture_note(tmp_path: Path) -> None:
    assert not [n for n in redirect_checkout(tmp_path)[0].notes if n.startswith("no capture")]
    never_back = compose(record(act(10, "click", "#pay"), nav(20, f"{PAY}/pay")))
    assert not [n for n in never_back.notes if n.startswith("no capture")]


@pytest.mark.parametrize(
    ("url", "glob"),
    [
        (f"{SHOP}/order/confirmation/ORD-CDBF2C52", "/order/confirmation/*"),
        (f"{SHOP}/order/confirmation/ORD-1?session_id=cs_test_1", "/order/confirmation/*"),
        (f"{SHOP}/checkout/thank-you?order=1234&lang=es", "/checkout/thank-you?order=*&lang=es"),
        (f"{SHOP}/es/pedido/recibido/8841/", "/es/pedido/recibido/*/"),
        ("https://checkout.shop.test/done/77", "https://checkout.shop.test/done/*"),
        (f"{SHOP}/thanks?a=1&b=2&c=3&d=4", "/thanks?*"),
    ],
)
def test_confirmation_url_generalises_ids(url: str, glob: str) -> None:
    assert generalise_url(url, SHOP) == glob
    assert url_matches(glob, url, SHOP)
    assert not url_matches(glob, f"{SHOP}/cart", SHOP)


def test_confirmation_url_with_a_slash_in_its_query_is_matched_as_it_was() -> None:
    url = f"{SHOP}/done?back=/cart/1"
    glob = generalise_url(url, SHOP)
    assert glob.startswith("re:") and url_matches(glob, url, SHOP)


def test_id_pattern() -> None:
    assert id_pattern("ORD-CDBF2C52", "Order ORD-CDBF2C52.") == "ORD\\-[A-Z0-9]+"
    assert id_pattern("100045", "Pedido nº 100045") == "[0-9]+"
    assert id_pattern("A-1", "B-2 then A-1") == "A\\-[0-9]+"
    assert id_pattern("77", "Call 555 about order 77") is None  # the pattern would find another number first


def test_luhn_and_secret_names() -> None:
    assert luhn_valid("4242 4242 4242 4242") and luhn_valid(CARD) and not luhn_valid("4242424242424241")
    assert not luhn_valid("123456") and not luhn_valid("4242-4242")
    names = SecretNames()
    first = names.name_for("card_number", "secure.bank.test")
    assert first.variable == "card_number" and first.env == "CARD_NUMBER"
    assert names.name_for("card_number", "acs.bank.test") is first  # one card, one variable
    assert names.name_for("password", "sandbox.paypal.com").env == "PAYPAL_PASSWORD"
    assert names.name_for("password", "shop.test").variable == "shop_password"
    assert names.name_for("expiry", "x.test").variable == "card_expiry"
    assert site_of("localhost") == "localhost" and site_of("1.2.3.4") == "site_3"


def test_mechanism_follows_the_runs_rules() -> None:
    back = nav(1, f"{SHOP}/ok", NavigationCause.FORM_GET)
    assert mechanism_of(back, SHOP_HOSTS, ["pay.test"], popup=False) == "form-get"
    assert mechanism_of(back, SHOP_HOSTS, ["pay.test"], popup=True) == "opener"
    redirected = nav(1, f"{SHOP}/ok", NavigationCause.FORM_POST, redirect_chain=(f"{PAY}/x",))
    assert mechanism_of(redirected, SHOP_HOSTS, ["pay.test"], popup=False) == "http-redirect"
    linked = nav(1, f"{SHOP}/ok", NavigationCause.LINK)
    assert mechanism_of(linked, SHOP_HOSTS, ["pay.test"], popup=False) == "script"


def test_quoting_keeps_selectors_readable_and_exact(tmp_path: Path) -> None:
    texts = ['role=link[name="Mi cuenta"]', "text=L'Oréal", "a \"b\" 'c'", "tab\there", "x\u2028y", "#a:b"]
    for text in texts:
        path = tmp_path / "q.yaml"
        path.write_text(f"name: q\nbase_url: http://x/\nsteps:\n  - click: {quoted(text)}\n", "utf-8")
        assert load_scenario(path).steps[0].args.selector == text


def test_a_platform_page_opened_by_hand_is_a_goto_then_a_pay_without_submit(tmp_path: Path) -> None:
    rec = record(
        act(10, "click", "#add-to-cart"),
        nav(20, f"{PAY}/pay/123", NavigationCause.TYPED),
        act(30, "click", "#confirm", host="pay.test"),
        nav(40, f"{SHOP}/done", NavigationCause.FORM_POST, redirect_chain=(f"{PAY}/pay/123",)),
    )
    scenario = written(compose(rec), tmp_path)[1]
    assert [s.action for s in scenario.steps] == ["goto", "click", "goto", "pay"]
    assert scenario.steps[2].args.url == f"{PAY}/pay/123"
    [pay] = scenario.pay_steps()
    assert pay.submit is None and [s.args.selector for s in pay.steps] == ["#confirm"]
