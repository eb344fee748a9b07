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
