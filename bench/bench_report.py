"""Bench: render report.html (and junit.xml) for 500 scenarios with screenshots in under 3 s.

Run: .venv/bin/python bench/bench_report.py [--scenarios N] [--budget SECONDS]
Prints the time, the report's size per 100 scenarios and a PASS/FAIL line; exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import random
import re
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

from auditor.observation import ConsoleError, Navigation, NavigationCause, StepRecord
from auditor.reports.html import write_html
from auditor.reports.junit import write_junit
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

CHECK_IDS = (
    "payment.left_shop",
    "payment.return",
    "confirmation.reached",
    "cn_purchase.present",
    "cn_purchase.valid",
    "cn_purchase.consistent",
    "connectif.script",
    "connectif.purchase_sent",
    "page.errors",
)


def screenshot_png(seed: int, width: int = 320, height: int = 200) -> bytes:
    """A valid PNG of about 30 KB: flat page colours with noisy text-like bands, like a small capture."""
    rng = random.Random(seed)
    rows = []
    for y in range(height):
        band = (y // 12) % 3 == 1
        row = bytearray(b"\x00")
        for _ in range(width):
            if band and rng.random() < 0.45:
                shade = rng.randrange(0, 160)
                row += bytes((shade, shade, shade + rng.randrange(0, 60)))
            else:
                row += b"\xf6\xf8\xfa"
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"".join(rows), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def scenario(index: int, out_dir: Path, images: list[bytes]) -> ScenarioResult:
    """One realistic scenario: 9 checks, 14 steps, 5 navigations, 2 Connectif requests, screenshots."""
    rng = random.Random(index)
    roll = rng.random()
    status = (
        ScenarioStatus.ERROR if roll < 0.03 else ScenarioStatus.FAIL if roll < 0.13 else ScenarioStatus.PASS
    )
    sid = f"scenario-{index:03d}"
    folder = out_dir / sid
    folder.mkdir(parents=True, exist_ok=True)
    shots = []
    # An explicit `screenshot` step in every scenario, one more where it went wrong.
    for number in range(1 if status is ScenarioStatus.PASS else 2):
        name = f"step-{number + 3}.png"
        (folder / name).write_bytes(images[(index + number) % len(images)])
        shots.append(Screenshot(name=f"after step {number + 3}", file=f"{sid}/{name}", step=str(number + 3)))
    if status is not ScenarioStatus.PASS:
        (folder / "failure.png").write_bytes(images[index % len(images)])
        shots.append(Screenshot(name="failure", file=f"{sid}/failure.png", at_failure=True))
    failing = {rng.choice(CHECK_IDS)} if status is ScenarioStatus.FAIL else set()
    checks = [
        CheckResult(
            id=cid,
            status=Status.FAIL if cid in failing else Status.PASS,
            message=f"{cid}: what was seen on the confirmation page for order ORD-{index}",
            evidence={
                "url": f"https://shop.example/order/confirmation/{index}",
                "at_ms": 5200 + n,
                "tag_html": '<div class="cn_purchase"><span class="purchase_id">ORD-1</span></div>',
                "fields": {"purchase_id": f"ORD-{index}", "total_price": "180.75", "products": [1, 2]},
            },
            remedy="Configure the payment platform to send the customer back automatically."
            if cid in failing
            else None,
        )
        for n, cid in enumerate(CHECK_IDS)
    ]
    shop, pay = "shop.example", "sis-t.redsys.es"
    timeline = [
        Navigation(at_ms=40, url=f"https://{shop}/product/{index}", host=shop, cause=NavigationCause.TYPED),
        Navigation(at_ms=900, url=f"https://{shop}/cart", host=shop, cause=NavigationCause.LINK),
        Navigation(at_ms=1500, url=f"https://{shop}/checkout", host=shop, cause=NavigationCause.LINK),
        Navigation(
            at_ms=2300, url=f"https://{pay}/sis/realizarPago", host=pay, cause=NavigationCause.FORM_POST
        ),
        Navigation(
            at_ms=6100,
            url=f"https://{shop}/order/confirmation/{index}",
            host=shop,
            cause=NavigationCause.FORM_POST,
        ),
    ]
    steps = [
        StepRecord(
            index=str(n),
            action=rng.choice(("goto", "click", "fill", "capture")),
            target=f"#field-{n}",
            started_ms=n * 400,
            ended_ms=n * 400 + 350,
            status="failed" if status is ScenarioStatus.ERROR and n == 13 else "ok",
        )
        for n in range(1, 15)
    ]
    purchase = {
        "purchaseId": f"ORD-{index}",
        "totalPrice": 180.75,
        "totalQuantity": 3,
        "paymentMethod": "card",
        "products": [{"productId": "kb", "unitPrice": 60.25, "quantity": 3}],
    }
    return ScenarioResult(
        name=f"Card payment {index} returns to the confirmation page",
        file=f"scenarios/card-{index:03d}.yaml",
        status=status,
        error="step 13 (click #pay): timed out after 10 s" if status is ScenarioStatus.ERROR else None,
        duration_ms=7000 + rng.randrange(3000),
        checks=checks,
        payment=PaymentResult.model_validate(
            {
                "provider": "Redsys sandbox",
                "left_shop": True,
                "return": "automatic",
                "mechanism": "form-post",
                "time_on_platform_ms": 3800,
                "return_ms": 350,
            }
        ),
        cn_purchase={
            "purchase_id": f"ORD-{index}",
            "total_price": "180.75",
            "total_quantity": "3",
            "payment_method": "card",
            "products": [{"product_id": "kb", "unit_price": "60.25"}],
        },
        connectif_requests=[
            ConnectifRequest(
                url="https://cdn.connectif.cloud/eu1/client-script/abc",
                method="GET",
                status=200,
                kind="script",
            ),
            ConnectifRequest(
                url="https://eu1-api.connectif.cloud/integration-type/system/scrippet-notification/abc",
                method="POST",
                status=200,
                kind="tracking",
                events=[{"type": "page-visit"}, {"type": "purchase", "purchase": purchase}],
            ),
        ],
        id=sid,
        tags=["smoke", "card"],
        started="2026-11-27T10:00:00+00:00",
        flaky=status is ScenarioStatus.PASS and rng.random() < 0.05,
        confirmation_url=f"https://{shop}/order/confirmation/{index}",
        steps=steps,
        timeline=timeline,
        console_errors=[
            ConsoleError(
                at_ms=6300,
                page_url=f"https://{shop}/order/confirmation/{index}",
                message="TypeError: undefined is not a function",
            )
        ]
        if index % 7 == 0
        else [],
        screenshots=shots,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=500)
    parser.add_argument("--budget", type=float, default=3.0, help="seconds allowed for report.html")
    args = parser.parse_args()
    images = [screenshot_png(seed) for seed in range(8)]
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        out_dir = Path(tmp)
        run = RunResult(
            started="2026-11-27T10:00:00+00:00",
            finished="2026-11-27T11:10:00+00:00",
            scenarios=[scenario(i, out_dir, images) for i in range(args.scenarios)],
        )
        shots = sum(len(s.screenshots) for s in run.scenarios)
        start = time.perf_counter()
        html = write_html(run, out_dir)
        html_s = time.perf_counter() - start
        start = time.perf_counter()
        junit = write_junit(run, out_dir / "junit.xml")
        junit_s = time.perf_counter() - start
        size = html.stat().st_size
        junit_size = junit.stat().st_size
        text = html.read_text(encoding="utf-8")
        inlined = text.count('src="data:image/')
        image_chars = sum(len(m) for m in re.findall(r'src="(data:image/[^"]+)"', text))
    per_100 = size / max(args.scenarios, 1) * 100
    mean_kb = sum(map(len, images)) // len(images) // 1024
    print(f"scenarios: {args.scenarios}, screenshots: {shots} (~{mean_kb} KB each), inlined: {inlined}")
    print(
        f"report.html: {html_s:.2f} s, {size / 1e6:.1f} MB, {per_100 / 1e6:.2f} MB per 100 scenarios "
        f"({(size - image_chars) / max(args.scenarios, 1) * 100 / 1e6:.2f} MB of it without screenshots)"
    )
    print(f"junit.xml: {junit_s:.2f} s, {junit_size / 1e3:.0f} KB")
    ok = html_s < args.budget
    print(
        f"{'PASS' if ok else 'FAIL'}: report.html for {args.scenarios} scenarios in {html_s:.2f} s "
        f"(budget {args.budget:g} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
