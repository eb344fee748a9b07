"""Synthetic RunResults for the report tests: every verdict, and hostile text from a shop."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

from auditor.observation import ConsoleError, Navigation, NavigationCause, StepRecord
from auditor.results import (
    CheckResult,
    ConnectifRequest,
    JourneyStop,
    PaymentResult,
    RunResult,
    ScenarioResult,
    ScenarioStatus,
    Screenshot,
    Status,
)

STARTED = "2026-11-27T10:00:00+00:00"
FINISHED = "2026-11-27T10:01:30+00:00"

HOSTILE = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned='img'\">",
    "javascript:window.__pwned='href'",
    "</script><script>window.__pwned='close'</script>",
    '"><svg onload="window.__pwned=\'svg\'">',
    '<iframe src="https://evil.example/frame"></iframe>',
    '<link rel=stylesheet href="https://evil.example/x.css">',
    "<style>@import 'https://evil.example/y.css';</style>",
    "{{ 7*7 }}",
    "<script>alert('pwned')</script>",
    '<body onload=alert(1)><a href="javascript:alert(2)">x</a>',
]


def png(width: int = 64, height: int = 40, seed: int = 1) -> bytes:
    """A valid RGB PNG, noisy enough not to compress to nothing."""
    rows = []
    state = seed
    for _ in range(height):
        row = bytearray(b"\x00")
        for _ in range(width):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            row += bytes(((state >> 8) & 0xFF, (state >> 16) & 0xFF, 200))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def check(cid: str, status: str, message: str = "", **evidence: Any) -> CheckResult:
    return CheckResult(
        id=cid,
        status=Status(status),
        message=message or f"{cid} is {status}",
        evidence=evidence,
        remedy=None if status == "pass" else f"fix {cid}",
    )


def purchase_event(**purchase: Any) -> dict[str, Any]:
    return {"type": "purchase", "purchase": purchase}


def timeline(shop: str = "shop.test", pay: str = "pay.test") -> list[Navigation]:
    return [
        Navigation(
            at_ms=50, url=f"http://{shop}:8000/product/keyboard", host=shop, cause=NavigationCause.TYPED
        ),
        Navigation(at_ms=900, url=f"http://{shop}:8000/checkout", host=shop, cause=NavigationCause.LINK),
        Navigation(
            at_ms=1500, url=f"http://{pay}:8001/pay?order=1", host=pay, cause=NavigationCause.FORM_POST
        ),
        Navigation(
            at_ms=5200,
            url=f"http://{shop}:8000/order/confirmation/1",
            host=shop,
            cause=NavigationCause.FORM_POST,
        ),
    ]


def scenario(
    sid: str,
    status: str,
    *,
    checks: list[CheckResult] | None = None,
    **extra: Any,
) -> ScenarioResult:
    fields: dict[str, Any] = {
        "name": f"Scenario {sid}",
        "file": f"scenarios/{sid}.yaml",
        "status": ScenarioStatus(status),
        "duration_ms": 6000,
        "id": sid,
        "tags": ["smoke"],
        "started": STARTED,
        "checks": checks if checks is not None else [check("payment.return", "pass")],
        "payment": PaymentResult.model_validate(
            {
                "provider": "Redsys sandbox",
                "left_shop": True,
                "return": "automatic",
                "mechanism": "form-post",
                "time_on_platform_ms": 3700,
                "return_ms": 320,
            }
        ),
        "timeline": timeline(),
        "confirmation_url": "http://shop.test:8000/order/confirmation/1",
        "steps": [
            StepRecord(index="1", action="goto", target="/product/keyboard", started_ms=0, ended_ms=800),
            StepRecord(index="2", action="click", target="text=Add to cart", started_ms=800, ended_ms=900),
        ],
    }
    fields.update(extra)
    return ScenarioResult(**fields)


def mixed_run() -> RunResult:
    """Two passes (one flaky, one with a warning), two failures, one error."""
    tag = {
        "purchase_id": "ORD-1",
        "total_price": "180,75",
        "total_quantity": "3",
        "payment_method": "card",
        "products": [{"name": "Keyboard"}, {"name": "Mouse"}],
    }
    sent = purchase_event(
        purchaseId="ORD-1",
        totalPrice=180,
        totalQuantity=3,
        paymentMethod="card",
        products=[{"name": "Keyboard"}, {"name": "Mouse"}],
    )
    return RunResult(
        started=STARTED,
        finished=FINISHED,
        scenarios=[
            scenario(
                "card-ok",
                "pass",
                checks=[check("payment.return", "pass"), check("connectif.script", "pass")],
                cn_purchase={"purchase_id": "OK-1", "total_price": "10.00"},
                connectif_requests=[
                    ConnectifRequest(
                        url="https://eu-api.connectif.cloud/x/scrippet-notification/1",
                        method="POST",
                        status=200,
                        kind="tracking",
                        events=[purchase_event(purchaseId="OK-1", totalPrice=10.0)],
                    ),
                ],
            ),
            scenario("bizum-flaky", "pass", flaky=True, attempts=2),
            scenario(
                "paypal-warn",
                "pass",
                checks=[check("payment.return", "pass"), check("page.errors", "warn", "2 script errors")],
                console_errors=[
                    ConsoleError(at_ms=5300, page_url="http://shop.test/c", message="TypeError: x")
                ],
            ),
            scenario(
                "card-comma",
                "fail",
                checks=[
                    check("payment.return", "pass"),
                    check(
                        "cn_purchase.valid",
                        "fail",
                        "total_price uses a comma",
                        field="total_price",
                        value="180,75",
                        read_as=180,
                    ),
                    check("connectif.purchase_sent", "fail", "sent 180 instead of 180.75"),
                ],
                cn_purchase=tag,
                connectif_requests=[
                    ConnectifRequest(
                        url="https://cdn.connectif.cloud/eu/client-script/1",
                        method="GET",
                        status=200,
                        kind="script",
                    ),
                    ConnectifRequest(
                        url="https://eu-api.connectif.cloud/x/scrippet-notification/1",
                        method="POST",
                        status=200,
                        kind="tracking",
                        events=[{"type": "page-visit"}, sent],
                    ),
                ],
            ),
            scenario(
                "manual-return",
                "fail",
                checks=[check("payment.return", "fail", "came back only after a click")],
                payment=PaymentResult.model_validate(
                    {
                        "provider": "Old bank",
                        "left_shop": True,
                        "return": "manual",
                        "mechanism": "click",
                        "time_on_platform_ms": 15400,
                        "return_ms": 16000,
                    }
                ),
            ),
            scenario(
                "crashed",
                "error",
                error="step 3 (click #checkout): timed out after 10 s",
                checks=[check("payment.left_shop", "skip", "not judged")],
                payment=None,
                timeline=[],
                steps=[
                    StepRecord(
                        index="3",
                        action="click",
                        target="#checkout",
                        status="failed",
                        started_ms=1000,
                        ended_ms=11000,
                        message="timed out after 10 s",
                    )
                ],
                screenshots=[
                    Screenshot(name="failure", file="crashed/failure.png", at_failure=True),
                    Screenshot(name="cart", file="crashed/cart.png", step="2"),
                    Screenshot(name="lost", file="crashed/missing.png", step="1"),
                ],
            ),
        ],
    )


def write_screenshots(out_dir: Path) -> None:
    """The screenshot files mixed_run() names (all but the missing one)."""
    (out_dir / "crashed").mkdir(parents=True, exist_ok=True)
    (out_dir / "crashed" / "failure.png").write_bytes(png(seed=7))
    (out_dir / "crashed" / "cart.png").write_bytes(png(seed=8))


def hostile_run() -> RunResult:
    """Every string a shop or a scenario writes, made hostile."""
    bad = " ".join(HOSTILE)
    first = HOSTILE[0]
    return RunResult(
        started=STARTED,
        finished=FINISHED,
        scenarios=[
            ScenarioResult(
                name=f"name {bad}",
                file=f"scenarios/{HOSTILE[1]}.yaml",
                status=ScenarioStatus.FAIL,
                error=f"error {bad}",
                duration_ms=1000,
                id="\"><script>window.__pwned='id'</script>",
                description=f"description {bad}",
                tags=[*HOSTILE],
                confirmation_url="javascript:window.__pwned='url'",
                undeclared_hosts=[HOSTILE[4]],
                checks=[
                    CheckResult(
                        id=f"check {first}",
                        status=Status.FAIL,
                        message=f"message {bad}",
                        evidence={
                            f"key {first}": f"value {bad}",
                            "nested": {"html": bad, "list": HOSTILE},
                            "url": "javascript:window.__pwned='evidence'",
                        },
                        remedy=f"remedy {bad}",
                    ),
                ],
                payment=PaymentResult.model_validate(
                    {
                        "provider": f"provider {bad}",
                        "left_shop": True,
                        "return": "automatic",
                        "mechanism": HOSTILE[2],
                        "time_on_platform_ms": 10,
                        "return_ms": 5,
                    }
                ),
                cn_purchase={
                    "purchase_id": HOSTILE[0],
                    "total_price": HOSTILE[1],
                    HOSTILE[3]: HOSTILE[4],
                    "products": [{"name": bad}],
                },
                connectif_requests=[
                    ConnectifRequest(
                        url="javascript:window.__pwned='request'",
                        method=HOSTILE[0],
                        status=None,
                        kind=HOSTILE[1],
                        events=[
                            {"type": HOSTILE[0]},
                            purchase_event(purchaseId=HOSTILE[0], totalPrice=HOSTILE[3]),
                        ],
                    ),
                ],
                timeline=[
                    Navigation(at_ms=1, url="javascript:window.__pwned='nav'", host=HOSTILE[1]),
                    Navigation(at_ms=5, url=HOSTILE[5], host=HOSTILE[0], page=HOSTILE[3]),
                ],
                console_errors=[ConsoleError(at_ms=3, page_url=HOSTILE[2], message=bad)],
                steps=[
                    StepRecord(
                        index=HOSTILE[0], action=HOSTILE[1], target=bad, status=HOSTILE[3], message=bad
                    )
                ],
                screenshots=[
                    Screenshot(name=bad, file=HOSTILE[1], step=HOSTILE[0]),
                    Screenshot(name="escape", file="../../../../etc/passwd", at_failure=True),
                ],
            ),
        ],
    )


# ---------------------------------------------------------------- a run shaped like the demo's

SCRIPT_URL = "https://cdn.connectif.cloud/eu8/client-script/6f1c2a9e-4b7d-4e21-9c3a-5d8e0f7b1a42"
TRACKING_URL = (
    "https://eu8-api.connectif.cloud/integration-type/system/scrippet-notification/"
    "6f1c2a9e-4b7d-4e21-9c3a-5d8e0f7b1a42"
)


def journey(
    *,
    order: str,
    pay_host: str = "checkout.stripe.test",
    popup: bool = False,
    return_cause: NavigationCause = NavigationCause.FORM_POST,
    purchase: dict[str, Any] | None = None,
    platform_ms: int = 900,
) -> tuple[list[Navigation], list[ConnectifRequest], int]:
    """A shop → platform → shop journey, with Connectif's script and tracking on every shop page.

    Returns the timeline, the Connectif requests (with the engine's page_url and at_ms) and the
    scenario's duration.
    """
    shop = "https://shop.test"
    confirmation = (
        f"{shop}/order/confirmation/{order}?session_id=cs_test_a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8"
        "&utm_source=checkout&utm_medium=redirect"
    )
    pages = [
        (300, f"{shop}/?platform=stripe", NavigationCause.TYPED, "main"),
        (
            700,
            f"{shop}/product/mechanical-keyboard-with-a-very-long-product-slug",
            NavigationCause.TYPED,
            "main",
        ),
        (1100, f"{shop}/cart", NavigationCause.FORM_POST, "main"),
        (1500, f"{shop}/checkout", NavigationCause.LINK, "main"),
    ]
    page = "popup" if popup else "main"
    pay_at = 1900
    pages += [
        (pay_at, f"https://{pay_host}/c/pay/cs_test_a1b2c3d4e5f6a7b8c9d0", NavigationCause.FORM_POST, page),
        (pay_at + platform_ms // 2, f"https://{pay_host}/c/pay/3ds", NavigationCause.FORM_POST, page),
    ]
    back = pay_at + platform_ms
    pages.append((back, confirmation, return_cause, "main"))
    timeline_ = [
        Navigation(
            at_ms=at,
            url=url,
            host=url.split("/")[2],
            cause=cause,
            page=where,
            redirect_chain=[f"https://{pay_host}/return"] if url == confirmation else [],
        )
        for at, url, cause, where in pages
    ]
    requests: list[ConnectifRequest] = []
    for at, url, _, where in pages:
        if where != "main" or pay_host in url:
            continue
        on_confirmation = url == confirmation
        events: list[dict[str, Any]] = [{"type": "page-visit"}]
        if "/product/" in url:
            events.insert(0, {"type": "product-visited"})
        if on_confirmation and purchase is not None:
            events.insert(0, {"type": "purchase", "purchase": purchase})
        requests.append(
            ConnectifRequest.model_validate(
                {"url": SCRIPT_URL, "method": "GET", "status": 200, "kind": "script"}
                | {"page_url": url, "at_ms": at + 30}
            )
        )
        requests.append(
            ConnectifRequest.model_validate(
                {"url": TRACKING_URL, "method": "POST", "status": 200, "kind": "tracking", "events": events}
                | {"page_url": url, "at_ms": at + 60}
            )
        )
    return timeline_, requests, back + 700


def shop_journey(
    navigations: list[Navigation],
    requests: list[ConnectifRequest],
    *,
    cart_id: str = "cart-1a2b3c4d",
    contact: str | None = "ada.lovelace+checkout-audit@example.com",
) -> list[JourneyStop]:
    """results.json's `journey` for a journey(): a cn_cart on every shop page (one item from the cart on,
    empty again on the confirmation) and, on the confirmation, cn_client_info with `contact`."""
    confirmation = navigations[-1].url
    stops = []
    for nav in navigations:
        if nav.host != "shop.test":
            continue
        on_confirmation = nav.url == confirmation
        items = 1 if ("/cart" in nav.url or "/checkout" in nav.url) else 0
        cart = {
            "cart_id": "cart-9f8e7d6c" if on_confirmation else cart_id,
            "total_quantity": str(items),
            "total_price": "89.90" if items else "0",
            "products": [{"product_id": "keyboard", "name": "Mechanical keyboard"}] * items,
        }
        client = {"primary_key": contact} if on_confirmation and contact else None
        tags = [
            "cn_cart",
            *(["cn_client_info"] if client else []),
            *(["cn_purchase"] if on_confirmation else []),
        ]
        events = [
            str(e.get("type"))
            for r in requests
            if r.kind == "tracking" and (r.model_extra or {}).get("page_url") == nav.url
            for e in r.events
        ]
        stops.append(
            JourneyStop.model_validate(
                {
                    "url": nav.url,
                    "cn_cart": cart,
                    "cn_client_info": client,
                    "events": events,
                    "at_ms": nav.at_ms,
                    "page": nav.page,
                    "tags": tags,
                    "loaded": True,
                }
            )
        )
    return stops


def stored_purchase(order: str, total: float, quantity: int, products: int) -> dict[str, Any]:
    """Connectif's Purchase resource, as its API returns it."""
    return {
        "id": "65f1c0ffee0123456789abcd",
        "purchaseId": order,
        "contactId": "65f1c0ffee0123456789abce",
        "purchaseDate": "2026-11-27T10:00:05.000Z",
        "totalPrice": total,
        "totalQuantity": quantity,
        "paymentMethod": "card",
        "products": [
            {"id": f"p{n}", "productId": f"SKU-{n}", "name": f"Product {n}", "unitPrice": 10, "quantity": 1}
            for n in range(products)
        ],
        "createdAt": "2026-11-27T10:00:09.000Z",
        "updatedAt": "2026-11-27T10:00:09.000Z",
    }


def demo_like_run() -> RunResult:
    """Many scenarios with real-looking journeys: every verdict, both return kinds, popups, an error on
    the platform, Connectif's stored record, and a scenario written by a hostile shop."""
    bad = " ".join(HOSTILE)
    comma_tag = {
        "purchase_id": "ORD-1001",
        "total_price": "180,75",
        "total_quantity": "3",
        "payment_method": "card",
        "purchase_date": "2026-11-27T10:00:05Z",
        "products": [{"name": "Keyboard"}, {"name": "Mouse"}],
    }
    comma_sent = {
        "purchaseId": "ORD-1001",
        "totalPrice": 180,
        "totalQuantity": 3,
        "paymentMethod": "card",
        "purchaseDate": "2026-11-27T10:00:05Z",
        "products": [{"name": "Keyboard"}, {"name": "Mouse"}],
    }
    nav, requests, duration = journey(order="ORD-1001", purchase=comma_sent)
    comma = scenario(
        "tag-comma",
        "fail",
        name="Tag written with comma decimals: Connectif's script reads 180,75 as 180",
        checks=[
            check("payment.left_shop", "pass", "Reached the payment platform."),
            check("payment.return", "pass", "The platform brought the customer back by itself."),
            check(
                "cn_purchase.valid",
                "fail",
                'total_price is "180,75": Connectif\'s script reads it as 180.',
                field="total_price",
                value="180,75",
                read_as=180,
            ),
            check("connectif.purchase_sent", "fail", "The purchase ORD-1001 was sent with totalPrice 180."),
            check("connectif.purchase_recorded", "fail", "Connectif stored ORD-1001 with totalPrice 180."),
        ],
        cn_purchase=comma_tag,
        timeline=nav,
        connectif_requests=requests,
        journey=shop_journey(nav, requests, contact=None),
        duration_ms=duration,
        confirmation_url=nav[-1].url,
        shop_hosts=["shop.test"],
        payment=PaymentResult.model_validate(
            {
                "provider": "Stripe Checkout (lab)",
                "left_shop": True,
                "return": "automatic",
                "mechanism": "http-redirect",
                "time_on_platform_ms": 880,
                "return_ms": 0,
            }
        ),
        connectif_api={
            "purchase_id": "ORD-1001",
            "lookups": [{"status": 404, "at_ms": 3400}, {"status": 200, "at_ms": 4400}],
            "purchase": stored_purchase("ORD-1001", 180, 3, 2),
        },
    )
    ok_sent = {"purchaseId": "ORD-1002", "totalPrice": 89.9, "totalQuantity": 1, "products": [{}]}
    nav, requests, duration = journey(
        order="ORD-1002",
        pay_host="www.sandbox.paypal.test",
        popup=True,
        return_cause=NavigationCause.SCRIPT,
        purchase=ok_sent,
        platform_ms=400,
    )
    paypal = scenario(
        "paypal-popup",
        "pass",
        name="PayPal opens in a popup that closes itself; the shop's page moves on to the confirmation",
        cn_purchase={
            "purchase_id": "ORD-1002",
            "total_price": "89.90",
            "total_quantity": "1",
            "products": [{}],
        },
        timeline=nav,
        connectif_requests=requests,
        journey=shop_journey(nav, requests),
        duration_ms=duration,
        confirmation_url=nav[-1].url,
        shop_hosts=["shop.test"],
        payment=PaymentResult.model_validate(
            {
                "provider": "PayPal (lab)",
                "left_shop": True,
                "return": "automatic",
                "mechanism": "opener",
                "time_on_platform_ms": 400,
                "return_ms": 60,
            }
        ),
    )
    nav, requests, duration = journey(order="ORD-1003", pay_host="sis-t.redsys.test")
    platform_error = scenario(
        "platform-error",
        "error",
        name="Redsys: the card form's selector is misspelt, so the scenario stops on the platform",
        error=(
            "steps[4].pay.steps[1] (fill #ccnumber): no element matched within 10 s; did you mean #cc-number?"
        ),
        checks=[
            check("payment.left_shop", "pass", "Reached the payment platform."),
            check(
                "payment.return", "skip", "Not judged: the run stopped before the return from the platform."
            ),
            check("confirmation.reached", "skip", "Not judged: the run stopped."),
        ],
        timeline=nav[:-1],
        connectif_requests=requests[:-2],
        duration_ms=12_400,
        confirmation_url=None,
        shop_hosts=["shop.test"],
        payment=PaymentResult.model_validate(
            {
                "provider": "Redsys (lab)",
                "left_shop": True,
                "return": "none",
                "mechanism": None,
                "time_on_platform_ms": None,
                "return_ms": None,
            }
        ),
        steps=[
            StepRecord(index="4.pay.0", action="click", target="#pay", started_ms=1500, ended_ms=1900),
            StepRecord(
                index="4.pay.1",
                action="fill",
                target="#ccnumber",
                status="failed",
                started_ms=1900,
                ended_ms=11_900,
                message="no element matched within 10 s; did you mean #cc-number?",
            ),
        ],
    )
    nav, requests, duration = journey(order="ORD-1004", pay_host="sis-t.redsys.test", platform_ms=15_400)
    manual = scenario(
        "bank-transfer",
        "fail",
        name="Bank transfer: the customer must click 'back to the shop'",
        checks=[
            check("payment.return", "fail", "The customer came back only by clicking `#back`."),
            check("connectif.purchase_recorded", "fail", "Connectif has no purchase ORD-1004 after 60 s."),
        ],
        cn_purchase={"purchase_id": "ORD-1004", "total_price": "25.00", "total_quantity": "1"},
        timeline=nav,
        connectif_requests=requests,
        duration_ms=duration,
        confirmation_url=nav[-1].url,
        shop_hosts=["shop.test"],
        payment=PaymentResult.model_validate(
            {
                "provider": "Old bank",
                "left_shop": True,
                "return": "manual",
                "mechanism": "click",
                "time_on_platform_ms": 15_400,
                "return_ms": 16_000,
            }
        ),
        connectif_api={
            "purchase_id": "ORD-1004",
            "lookups": [{"status": 404, "at_ms": 17_000 + 1000 * n} for n in range(3)],
            "purchase": None,
        },
    )
    nav, _, duration = journey(order="ORD-1005", platform_ms=30)
    synced = scenario(
        "api-synced",
        "pass",
        name="A shop that syncs purchases from its server: nothing from the browser, the record is there",
        timeline=nav,
        duration_ms=60_000,
        payment=PaymentResult.model_validate(
            {
                "provider": "Stripe Checkout (lab)",
                "left_shop": True,
                "return": "automatic",
                "mechanism": "form-post",
                "time_on_platform_ms": 30,
                "return_ms": 5,
            }
        ),
        confirmation_url=nav[-1].url,
        shop_hosts=["shop.test"],
        connectif_api={
            "purchase_id": "ORD-1005",
            "lookups": [{"status": 200, "at_ms": 3000}],
            "purchase": stored_purchase("ORD-1005", 42.5, 2, 2),
        },
    )
    nav, requests, duration = journey(order="ORD-1006")
    hostile = scenario(
        "hostile-shop",
        "fail",
        name=f"A shop that writes markup everywhere {bad}",
        description=f"description {bad}",
        checks=[
            check(f"check.{HOSTILE[0]}", "fail", f"message {bad}", html=bad),
            check("cn_purchase.valid", "fail", "x" * 300),
        ],
        cn_purchase={"purchase_id": HOSTILE[0], "total_price": HOSTILE[1], HOSTILE[3]: HOSTILE[4]},
        timeline=[n.model_copy(update={"url": n.url + "?q=" + "x" * 200}) for n in nav],
        connectif_requests=[r.model_copy(update={"url": r.url + "/" + "y" * 200}) for r in requests],
        journey=shop_journey(
            [n.model_copy(update={"url": n.url + "?q=" + "x" * 200 + bad}) for n in nav],
            requests,
            cart_id=HOSTILE[1] + "z" * 120,
            contact=HOSTILE[0] + "@" + "w" * 150,
        ),
        duration_ms=duration,
        confirmation_url=nav[-1].url + "?q=" + "x" * 200,
        shop_hosts=["shop.test"],
    )
    run = mixed_run()
    return run.model_copy(
        update={
            "scenarios": [
                comma,
                paypal,
                platform_error,
                manual,
                synced,
                hostile,
                *run.scenarios,
            ]
        }
    )
