"""The run command's options against the lab: retries, guardrails, faults, secrets, shards, traces."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from PIL import Image
from playwright.sync_api import Playwright

from auditor.audit import audit, merge, shard
from auditor.engine.browser import find_browser, launch_args
from auditor.engine.run import RunOptions
from auditor.lab import Lab
from auditor.results import RunResult, ScenarioResult
from auditor.scenario.load import load_all
from tests.engine.labscenario import CARD, stripe_scenario

pytestmark = [pytest.mark.browser, pytest.mark.heavy(90)]

ROOT = Path(__file__).resolve().parents[2]


def run(paths: list[Path], out: Path, **options: object) -> RunResult:
    scenarios = load_all(paths)
    return audit(scenarios, RunOptions(browser=find_browser(), out_dir=out, **options)).run  # type: ignore[arg-type]


def statuses(result: ScenarioResult) -> dict[str, str]:
    return {c.id: c.status.value for c in result.checks}


def test_a_clean_stripe_checkout_passes(tmp_path: Path, lab: Lab) -> None:
    result = run([stripe_scenario(tmp_path, lab, "clean")], tmp_path / "out").scenarios[0]
    assert result.status.value == "pass", [(c.id, c.status.value, c.message) for c in result.checks]
    assert result.payment is not None and result.payment.mechanism == "http-redirect"


def test_retry_after_a_failure_is_reported_flaky_not_pass(tmp_path: Path, lab: Lab) -> None:
    key = uuid.uuid4().hex[:8]
    path = stripe_scenario(tmp_path, lab, "flaky", fault="flaky-tag", key=key)
    result = run([path], tmp_path / "out", retries=1).scenarios[0]
    assert result.flaky is True and result.attempts == 2
    assert result.status.value == "pass"
    junit = (tmp_path / "out" / "junit.xml").read_text(encoding="utf-8")
    assert "flaky" in junit.lower()
    without_retry = run(
        [stripe_scenario(tmp_path, lab, "flaky2", fault="flaky-tag", key=uuid.uuid4().hex[:8])],
        tmp_path / "out2",
    ).scenarios[0]
    assert without_retry.status.value == "fail" and not without_retry.flaky


def test_live_stripe_key_stops_the_scenario_unless_allowed(tmp_path: Path, lab: Lab) -> None:
    path = stripe_scenario(tmp_path, lab, "live", fault="live-key")
    stopped = run([path], tmp_path / "out").scenarios[0]
    assert stopped.status.value == "error"
    assert (
        stopped.error is not None and "live key" in stopped.error and "--allow-live-payments" in stopped.error
    )
    assert stopped.payment is None or not stopped.payment.left_shop
    allowed = run([path], tmp_path / "out2", allow_live_payments=True).scenarios[0]
    assert allowed.error is None or "live key" not in allowed.error


# A platform that refuses connections is an error that names the server (test_scenario_mistakes.py): the
# browser could not reach it. One that accepts the connection and never answers is the platform's silence.
def test_a_payment_platform_that_never_answers_fails_left_shop(tmp_path: Path, lab: Lab) -> None:
    fault = "pay-hang"
    path = stripe_scenario(tmp_path, lab, fault, fault=fault, step="3s", navigation="4s", scenario="30s")
    result = run([path], tmp_path / "out").scenarios[0]
    assert result.status.value == "fail"
    assert statuses(result)["payment.left_shop"] == "fail"
    assert statuses(result)["confirmation.reached"] == "fail"
    left = next(c for c in result.checks if c.id == "payment.left_shop")
    assert "checkout.stripe.test" in left.evidence["note"] and "got no answer" in left.evidence["note"]
    assert (tmp_path / "out" / "results.json").exists()


def test_a_payment_platform_answering_500_is_an_error_that_says_so(tmp_path: Path, lab: Lab) -> None:
    path = stripe_scenario(tmp_path, lab, "p500", fault="pay-500", step="3s", navigation="4s", scenario="30s")
    result = run([path], tmp_path / "out").scenarios[0]
    assert result.status.value == "error"
    assert result.error is not None and "HTTP 500" in result.error
    assert statuses(result)["payment.left_shop"] == "pass"
    assert any(s.at_failure for s in result.screenshots)


def test_secrets_never_reach_any_output_file(tmp_path: Path, lab: Lab, shared_playwright: Playwright) -> None:
    out = tmp_path / "out"
    run([stripe_scenario(tmp_path, lab, "secret")], out, trace="off")
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jpg" for p in files)  # the card-typed screenshot was taken (masked)
    for path in files:
        data = path.read_bytes()
        for form in (CARD, CARD.replace(" ", "")):
            assert form.encode() not in data, path
    # A picture holds no text to search: read the pixels where the card input is on the platform's page.
    shot = next(p for p in files if p.name == "card-typed.jpg")
    boxes = stripe_field_boxes(shared_playwright, lab, ("#cardNumber", "#billingName"))
    with Image.open(shot) as image:
        pixels = image.convert("RGB")
        card, name = (masked_share(pixels, boxes[s]) for s in ("#cardNumber", "#billingName"))
    assert card > 0.9, f"only {card:.0%} of the card number's box is masked"
    assert name < 0.1  # the name typed beside it is no secret: the picture shows it


def test_a_secret_is_masked_as_the_browser_encodes_it_in_an_address(tmp_path: Path, lab: Lab) -> None:
    """A secret typed into a URL comes back percent-encoded in the timeline and the journey: masked too."""
    promo = "Sekret Wörd"
    path = stripe_scenario(tmp_path, lab, "url-secret", key="PROMO")
    text = path.read_text(encoding="utf-8").replace("key=PROMO", "key={{promo}}")
    path.write_text(text.replace("secrets:\n", f'secrets:\n  promo: "{promo}"\n'), encoding="utf-8")
    out = tmp_path / "out"
    result = run([path], out, trace="off").scenarios[0]
    assert result.status.value == "pass", result.error
    assert any("key=•••" in event.url for event in result.timeline if event.url)  # the address was there
    forms = {promo, quote(promo), quote_plus(promo), "Sekret%20W%c3%b6rd"}
    for file in (p for p in out.rglob("*") if p.is_file()):
        data = file.read_bytes()
        for form in forms:
            assert form.encode() not in data, (file, form)


def stripe_field_boxes(playwright: Playwright, lab: Lab, selectors: tuple[str, ...]) -> dict[str, Any]:
    """Where these inputs are on the Stripe-like page, in a context like the scenario's (1280×720)."""
    browser = playwright.chromium.launch(
        executable_path=find_browser().executable_for(headless=True), args=launch_args(lab.hosts)
    )
    try:
        page = browser.new_page()
        shop = lab.url("shop.test").rstrip("/")
        page.goto(f"{shop}/?platform=stripe&fault=none&samesite=unset")
        page.goto(f"{shop}/product/keyboard")
        page.click("#add-to-cart")
        page.goto(f"{shop}/checkout")
        page.fill("#email", "buyer@example.com")
        page.click("#pay")
        page.wait_for_url("**checkout.stripe.test**")
        return {s: page.locator(s).bounding_box() for s in selectors}
    finally:
        browser.close()


def masked_share(image: Image.Image, box: Any) -> float:
    """The share of a box's pixels (inset from its border) painted in Playwright's mask colour, #FF00FF."""
    left, top = int(box["x"]) + 4, int(box["y"]) + 4
    right, bottom = int(box["x"] + box["width"]) - 4, int(box["y"] + box["height"]) - 4
    inside = [image.getpixel((x, y)) for x in range(left, right, 2) for y in range(top, bottom, 2)]
    magenta = [p for p in inside if isinstance(p, tuple) and p[0] > 180 and p[1] < 100 and p[2] > 180]
    return len(magenta) / max(1, len(inside))


def test_two_shards_merged_equal_one_unsharded_run(tmp_path: Path, lab: Lab) -> None:
    folder = tmp_path / "scenarios"
    for i, fault in enumerate(("none", "tag-comma", "tag-absent")):
        stripe_scenario(folder, lab, f"s{i}-{fault}", fault=fault)
    everything = load_all([folder])
    one = shard(everything, 1, 2)
    two = shard(everything, 2, 2)
    assert {s.file for s in one}.isdisjoint({s.file for s in two})
    assert len(one) + len(two) == 3
    whole = audit(everything, RunOptions(browser=find_browser(), out_dir=tmp_path / "whole")).run
    audit(one, RunOptions(browser=find_browser(), out_dir=tmp_path / "a"))
    audit(two, RunOptions(browser=find_browser(), out_dir=tmp_path / "b"))
    merged = merge([tmp_path / "a", tmp_path / "b"], tmp_path / "merged").run

    def verdicts(r: RunResult) -> list[tuple[str, str, list[tuple[str, str]]]]:
        return [(s.file, s.status.value, [(c.id, c.status.value) for c in s.checks]) for s in r.scenarios]

    assert verdicts(merged) == verdicts(whole)
    assert (tmp_path / "merged" / "report.html").exists() and (tmp_path / "merged" / "junit.xml").exists()


def test_trace_retained_on_failure_only(tmp_path: Path, lab: Lab) -> None:
    good = stripe_scenario(tmp_path, lab, "good")
    bad = stripe_scenario(tmp_path, lab, "bad", fault="tag-absent")
    # these scenarios have secrets: the library records the trace only when the CLI allowed it
    result = run([good, bad], tmp_path / "out", trace="retain-on-failure")
    by_name = {s.name: s for s in result.scenarios}
    assert "trace" not in by_name["good"].artefacts
    trace = by_name["bad"].artefacts["trace"]
    assert (tmp_path / "out" / trace).stat().st_size > 1000
    assert f'href="{trace}"' in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_video_on_is_kept_and_linked_or_refused_clearly(tmp_path: Path, lab: Lab) -> None:
    from auditor.engine.browser import video_recorder_available

    path = stripe_scenario(tmp_path, lab, "filmed")
    if not video_recorder_available():
        # Playwright records video with its own ffmpeg; where it cannot be downloaded, say so up front.
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "auditor",
                "run",
                str(path),
                "--video",
                "on",
                "--trace-secrets",
                "--out",
                str(tmp_path / "out"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 2 and "ffmpeg" in proc.stderr and "Traceback" not in proc.stderr
        return
    result = run([path], tmp_path / "out", video="on").scenarios[0]
    video = result.artefacts["video"]
    assert video.endswith(".webm") and (tmp_path / "out" / video).stat().st_size > 1000
    assert f'href="{video}"' in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_cli_refuses_a_trace_of_a_scenario_with_secrets(tmp_path: Path, lab: Lab) -> None:
    path = stripe_scenario(tmp_path, lab, "secret-trace")
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "run", str(path), "--trace", "on", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "secret" in proc.stderr and "--trace-secrets" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_shard_and_merge_commands(tmp_path: Path, lab: Lab) -> None:
    folder = tmp_path / "scenarios"
    stripe_scenario(folder, lab, "one")
    stripe_scenario(folder, lab, "two", fault="tag-absent")
    for i in (1, 2):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "auditor",
                "run",
                str(folder),
                "--shard",
                f"{i}/2",
                "--out",
                str(tmp_path / f"shard{i}"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode in (0, 1), proc.stderr
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "merge",
            str(tmp_path / "shard1"),
            str(tmp_path / "shard2"),
            "--out",
            str(tmp_path / "merged"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # "two" fails: no tag
    merged = json.loads((tmp_path / "merged" / "results.json").read_text(encoding="utf-8"))
    assert sorted(Path(s["file"]).name for s in merged["scenarios"]) == ["one.yaml", "two.yaml"]
    summary = (tmp_path / "merged" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## Checkout audit: 1 of 2 scenarios did not pass") and "#### ✗ two" in summary


def test_a_production_payment_host_is_never_contacted(tmp_path: Path, lab: Lab) -> None:
    text = (ROOT / "scenarios" / "redsys-manual-return.yaml").read_text(encoding="utf-8")
    assert "platform=redsys" in text
    path = tmp_path / "live-host.yaml"
    path.write_text(text.replace("platform=redsys", "platform=redsys&fault=live-host"), encoding="utf-8")
    before = [e for e in lab.orders() if "live-host" in e["faults"]]
    scenarios = load_all([path], base_url=lab.url("shop.test").rstrip("/"))
    result = audit(scenarios, RunOptions(browser=find_browser(), out_dir=tmp_path / "out")).run.scenarios[0]
    assert result.status.value == "error"
    assert (
        result.error is not None
        and "sis.redsys.es" in result.error
        and "--allow-live-payments" in result.error
    )
    # Blocked before it left the browser: the timeline shows the address, with the block as its error.
    live = [n for n in result.timeline if n.host == "sis.redsys.es"]
    assert all(n.error == "net::ERR_BLOCKED_BY_CLIENT" for n in live)
    assert len([e for e in lab.orders() if "live-host" in e["faults"]]) == len(before) + 1


def test_the_console_never_shows_a_secret(tmp_path: Path, lab: Lab) -> None:
    path = stripe_scenario(tmp_path, lab, "console-secret", fault="tag-comma")
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    for form in (CARD, CARD.replace(" ", "")):
        assert form not in proc.stdout + proc.stderr
