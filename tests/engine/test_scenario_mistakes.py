"""The scenario's mistakes are errors that name the cause, the place and the fix, never the shop's findings.

Each case runs the real command line against the lab: a pay step whose `hosts` misses the platform, a
misspelt `hosts:` mapping, a selector that matches nothing, a stale capture, a platform with no way
back, and the same scenario alone and beside another that maps more names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.lab import Lab

pytestmark = [pytest.mark.browser, pytest.mark.heavy(40)]

ROOT = Path(__file__).resolve().parents[2]
STRIPE = (ROOT / "scenarios/stripe-checkout-redirect.yaml").read_text(encoding="utf-8")
REDSYS = (ROOT / "scenarios/redsys-manual-return.yaml").read_text(encoding="utf-8")
ELEMENTS = (ROOT / "scenarios/stripe-elements-in-page.yaml").read_text(encoding="utf-8")
MOLLIE = (ROOT / "scenarios/mollie-meta-refresh.yaml").read_text(encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    """The line of the first line of `path` that contains `text`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def write(folder: Path, name: str, text: str, *replacements: tuple[str, str]) -> Path:
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def audit(
    lab: Lab, out: Path, *paths: Path, workers: int = 1, **env_vars: str
) -> tuple[int, dict[str, dict[str, Any]], str]:
    """`checkout-auditor run` → exit status, results by file name, console output."""
    env = {**os.environ, "SHOP_URL": lab.url("shop.test").rstrip("/"), "COLUMNS": "400", **env_vars}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditor",
            "run",
            *map(str, paths),
            "--out",
            str(out),
            "--workers",
            str(workers),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return proc.returncode, {Path(s["file"]).name: s for s in results["scenarios"]}, proc.stdout


def statuses(scenario: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in scenario["checks"]}


def check(scenario: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in scenario["checks"] if c["id"] == check_id)


def test_a_pay_step_whose_hosts_miss_the_platform_is_the_scenarios_error_at_once(
    tmp_path: Path, lab: Lab
) -> None:
    # The navigation wait is longer than the whole scenario: had the auditor waited it out, the
    # scenario would end as a timeout, not as the scenario's own mistake.
    path = write(
        tmp_path,
        "wrong-pay-hosts",
        REDSYS,
        ("hosts: [sis-t.redsys.test]", "hosts: [sis-t.redsys.es]"),
        ("  scenario: 1m", "  navigation: 10m\n  scenario: 3m"),
    )
    status, results, console = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert status == 2  # nothing about the shop could be audited
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid"
    where = f"steps[6].pay.hosts (pay, {path}:{line_of(path, 'hosts: [sis-t.redsys.es]')})"
    assert got["error"].startswith(where), got["error"]
    assert "left the shop for sis-t.redsys.test" in got["error"]
    assert (
        "which pay.hosts (sis-t.redsys.es) does not list: did you mean `hosts: [sis-t.redsys.test]`?"
        in got["error"]
    )
    left = check(got, "payment.left_shop")
    assert left["status"] == "skip" and "sis-t.redsys.test" in left["message"] and not left.get("remedy")
    assert "fail" not in statuses(got).values()  # nothing blames the shop
    assert "did you mean `hosts: [sis-t.redsys.test]`?" in console


@pytest.mark.parametrize(
    ("scenario", "listed", "reached", "how"),
    [
        ("paypal-popup-opener.yaml", "sandbox.paypal.test", "sandbox.paypal.tset", "opened a window on"),
        ("stripe-elements-in-page.yaml", "js.stripe.test", "js.stripe.tset", "the payment iframe is on"),
    ],
)
def test_a_popup_or_an_iframe_on_a_host_pay_hosts_misses_is_the_scenarios_error(
    tmp_path: Path, lab: Lab, scenario: str, listed: str, reached: str, how: str
) -> None:
    text = (ROOT / "scenarios" / scenario).read_text(encoding="utf-8")
    path = write(
        tmp_path,
        "wrong",
        text,
        (f"hosts: [{listed}]", f"hosts: [{reached}]"),
        ("  scenario: 1m", "  navigation: 10m\n  scenario: 3m"),
    )
    # PayPal's default sandbox password is "sandbox", a secret masked wherever it appears (host names too)
    status, results, _ = audit(lab, tmp_path / "out", path, PAYPAL_SANDBOX_PASSWORD="pw-0x5e3")
    got = results[path.name]
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    assert f"{how} {listed} (" in got["error"] and f"did you mean `hosts: [{listed}]`?" in got["error"]
    assert statuses(got)["payment.left_shop"] == "skip" and "fail" not in statuses(got).values()
    assert status == 2


def test_a_payment_window_the_pay_step_does_not_declare_is_the_scenarios_error_at_once(
    tmp_path: Path, lab: Lab
) -> None:
    text = (ROOT / "scenarios" / "paypal-popup-opener.yaml").read_text(encoding="utf-8")
    path = write(
        tmp_path,
        "no-popup",
        text,
        ("      popup: true\n", ""),
        ("  scenario: 1m", "  navigation: 10m\n  scenario: 3m"),
    )
    status, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    where = f"steps[6] (pay, {path}:{line_of(path, '- pay:')})"
    assert got["error"].startswith(where), got["error"]
    assert "opened a new window on sandbox.paypal.test (" in got["error"]
    assert "add `popup: true`" in got["error"]
    assert "fail" not in statuses(got).values()  # nothing blames the shop
    assert status == 2


def test_a_pay_step_without_submit_that_never_sees_the_platform_is_the_scenarios_error(
    tmp_path: Path, lab: Lab
) -> None:
    text = (ROOT / "scenarios" / "stripe-checkout-redirect.yaml").read_text(encoding="utf-8")
    path = write(tmp_path, "no-submit", text, ('      submit: "#pay"\n', ""), ("  step: 10s", "  step: 2s"))
    status, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "error" and got["error_kind"] == "scenario-invalid", got["error"]
    assert got["error"].startswith(f"steps[6] (pay, {path}:{line_of(path, '- pay:')})"), got["error"]
    assert "has no `submit`" in got["error"] and "/checkout" in got["error"] and "within 2s" in got["error"]
    assert "add `submit:` with the click that leaves the shop" in got["error"]
    assert "fail" not in statuses(got).values()  # nothing blames the shop
    assert status == 2


@pytest.mark.parametrize(
    ("mapping", "host", "where"),
    [
        ("shop.test", "shop.test", "steps[0] (goto"),
        ("checkout.stripe.test", "checkout.stripe.test", "steps[6] (pay"),
    ],
)
def test_a_misspelt_hosts_mapping_names_the_host_the_error_and_the_entry(
    tmp_path: Path, lab: Lab, mapping: str, host: str, where: str
) -> None:
    typo = mapping.replace(".test", ".tset")
    path = write(tmp_path, "misspelt", STRIPE, (f"  {mapping}: 127.0.0.1", f"  {typo}: 127.0.0.1"))
    status, results, console = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert status == 2
    assert got["status"] == "error" and got["error_kind"] == "host-unreachable"
    assert got["error"].startswith(where), got["error"]
    assert f"the browser could not reach {host} (net::ERR_NAME_NOT_RESOLVED at http://{host}:" in got["error"]
    assert f"`hosts:` maps {typo}, not {host}: one of the two is misspelt" in got["error"]
    assert f"(`hosts: {typo}` is at {path}:{line_of(path, typo)})" in got["error"]
    assert "fail" not in statuses(got).values()
    assert statuses(got)["payment.left_shop"] == "skip"
    # The timeline shows the address that failed, with Chromium's error, not chrome-error://.
    failed = [n for n in got["timeline"] if n.get("error")]
    assert failed and failed[0]["host"] == host and failed[0]["error"] == "net::ERR_NAME_NOT_RESOLVED"
    assert not any("chrome-error" in n["url"] for n in got["timeline"])
    assert "ERR_NAME_NOT_RESOLVED" in console


def test_a_port_chromium_never_connects_to_is_an_unreachable_host_with_the_fix(
    tmp_path: Path, lab: Lab
) -> None:
    path = ROOT / "scenarios" / "stripe-checkout-redirect.yaml"
    status, results, _ = audit(lab, tmp_path / "out", path, SHOP_URL="http://shop.test:6000")
    got = results[path.name]
    assert status == 2
    assert got["status"] == "error" and got["error_kind"] == "host-unreachable", got["error"]
    assert got["error"].startswith("steps[0] (goto, "), got["error"]
    assert "net::ERR_UNSAFE_PORT" in got["error"] and "Chromium never connects to port 6000" in got["error"]
    assert "fail" not in statuses(got).values()


def test_the_payment_platform_refusing_connections_is_an_error_naming_the_server(
    tmp_path: Path, lab: Lab
) -> None:
    path = write(
        tmp_path,
        "refused",
        STRIPE,
        ("/?platform=stripe", "/?platform=stripe&fault=pay-refused"),
        ("  scenario: 1m", "  navigation: 10m\n  scenario: 3m"),
    )
    status, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "error" and got["error_kind"] == "host-unreachable", got["error"]
    assert "could not reach checkout.stripe.test (net::ERR_CONNECTION_REFUSED" in got["error"]
    assert "nothing accepts connections at checkout.stripe.test:" in got["error"] and "down" in got["error"]
    assert statuses(got)["payment.left_shop"] == "skip" and "fail" not in statuses(got).values()
    assert status == 2


def test_a_selector_that_matches_nothing_names_the_place_the_wait_and_the_closest_match(
    tmp_path: Path, lab: Lab
) -> None:
    path = write(
        tmp_path,
        "selector",
        STRIPE,
        ('selector: "#cardNumber"', 'selector: "#card-number"'),
        ("  step: 10s", "  step: 3s"),
    )
    status, results, console = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert status == 1
    assert got["status"] == "error" and got["error_kind"] == "step-failed"
    place = f"steps[6].pay.steps[0] (fill, {path}:{line_of(path, '#card-number')})"
    assert got["error"] == (
        f"{place} failed: no visible element matches '#card-number' within 3s; the closest on the page is "
        "'#cardNumber' (by id)"
    )
    failed = [s for s in got["steps"] if s["status"] == "failed"]
    assert [(s["place"], s["action"], s["target"]) for s in failed] == [
        ("steps[6].pay.steps[0]", "fill", "#card-number")
    ]
    assert place in console
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert re.search(
        r'<tr class="step-failed"><td class="mono"[^>]*>steps\[6\]\.pay\.steps\[0\]</td>', report
    )


BANK = (ROOT / "scenarios/bank-3ds-nested-iframes-form-post.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "old", "new", "hint"),
    [
        (
            ELEMENTS,
            '{frame: "#card-element", selector: "#cardnumber"',
            '{selector: "#cardnumber"',
            'inside the iframe #card-element: add `frame: "#card-element"`',
        ),
        (
            BANK,
            '{frame: ["#threeds", "#challenge-frame"], selector: "#otp"',
            '{selector: "#otp"',
            'inside the iframe #threeds > #challenge-frame: add `frame: ["#threeds", "#challenge-frame"]`',
        ),
        (
            STRIPE,
            'fill: {selector: "#email"',
            'fill: {frame: "#checkout-frame", selector: "#email"',
            "it is in the page itself, not in that frame: remove `frame:`",
        ),
    ],
)
def test_an_element_in_another_frame_than_the_step_says_is_found_and_named(
    tmp_path: Path, lab: Lab, text: str, old: str, new: str, hint: str
) -> None:
    path = write(tmp_path, "frame", text, (old, new), ("  step: 10s", "  step: 2s"))
    _, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "error" and got["error_kind"] == "step-failed", got["error"]
    assert "no visible element matches" in got["error"] and hint in got["error"], got["error"]
    assert "fail" not in statuses(got).values()


def test_a_stale_capture_is_named_in_the_failing_check(tmp_path: Path, lab: Lab) -> None:
    # cart_total is captured, then a second product is added: the tag is right, the capture is stale.
    path = write(
        tmp_path,
        "stale",
        STRIPE,
        (
            '  - click: "#checkout"',
            '  - goto: /product/mouse\n  - click: "text=Add to cart"\n  - click: "#checkout"',
        ),
        ("    total_quantity: 1\n    products: 1", "    total_quantity: 2\n    products: 2"),
    )
    status, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert status == 1 and got["status"] == "fail"
    consistent = check(got, "cn_purchase.consistent")
    assert consistent["status"] == "fail"
    assert "total_price is 114.4 in the tag, expected '89,90'" in consistent["message"]
    assert (
        "{{cart_total}} was captured by steps[3] from '#cart-total', which read '89,90'"
        in consistent["message"]
    )
    assert [c for c, s in statuses(got).items() if s == "fail"] == ["cn_purchase.consistent"]


def test_a_platform_with_no_way_back_and_no_return_click_says_there_is_none(tmp_path: Path, lab: Lab) -> None:
    path = ROOT / "scenarios/deadend-no-return.yaml"
    status, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert status == 1 and got["status"] == "fail"
    back = check(got, "payment.return")
    assert back["status"] == "fail"
    assert "The customer never came back to the shop within 3 s of the last payment step" in back["message"]
    assert "The platform's last page has no link or button back to the shop." in back["message"]


def test_a_meta_refresh_later_than_return_timeout_names_the_delay_and_return_timeouts_line(
    tmp_path: Path, lab: Lab
) -> None:
    path = write(
        tmp_path,
        "refresh-after-timeout",
        MOLLIE,
        ("/?platform=mollie ", "/?platform=mollie&return_delay_ms=4000 "),
        ("        timeout: 10s", "        timeout: 1s"),
    )
    status, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert status == 1 and got["status"] == "fail"
    back = check(got, "payment.return")
    assert back["status"] == "fail" and got["payment"]["return"] == "none"
    assert (
        "never came back to the shop within 1 s of the last payment step (return.timeout)"
        in (back["message"])
    )
    assert "announces a return to the shop after 4 s (a meta refresh to http://shop.test" in back["message"]
    where = f"{path}:{line_of(path, 'timeout: 1s')}"
    assert f"raise return.timeout above 4 s ({where})" in back["message"]
    assert back["evidence"]["announced_return"]["url"].startswith(lab.url("shop.test") + "payment/return")


def test_a_return_click_that_misses_the_platforms_way_back_is_the_scenarios_error(
    tmp_path: Path, lab: Lab
) -> None:
    path = write(
        tmp_path,
        "return-click-typo",
        REDSYS,
        ('click: "text=Continuar"', 'click: "text=Continue"'),
        ("  step: 10s", "  step: 2s"),
    )
    status, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert got["status"] == "error" and got["error_kind"] == "step-failed", got["error"]
    line = line_of(path, "text=Continue")
    where = f"steps[6].pay.return.click (click, {path}:{line})"
    assert got["error"].startswith(where), got["error"]
    assert "no visible element matches 'text=Continue' on " in got["error"] and "within 2s" in got["error"]
    assert "the closest on the page is 'text=Continuar' (by text)" in got["error"]
    assert "fail" not in statuses(got).values()  # nothing blames the shop
    assert status == 1  # a scenario that could not finish, as for any failed step
    # A platform that has no way back at all is still the shop's: see the dead end test above.


def test_a_platform_that_waits_for_a_click_without_return_click_offers_one(tmp_path: Path, lab: Lab) -> None:
    path = write(tmp_path, "no-return-click", REDSYS, ('        click: "text=Continuar"\n', ""))
    status, results, _ = audit(lab, tmp_path / "out", path)
    got = results[path.name]
    assert status == 1 and got["status"] == "fail"
    back = check(got, "payment.return")
    assert back["status"] == "fail"
    assert '`#continue` (button "Continuar" to shop.test)' in back["message"], back["message"]
    assert 'add `return: {click: "#continue"}` to the pay step' in back["message"]


def test_a_scenario_gets_the_same_verdict_alone_and_beside_one_that_maps_more(
    tmp_path: Path, lab: Lab
) -> None:
    # Each lacking scenario misses the platform's mapping that its full twin has. In one worker they
    # share a browser: the redirect to Stripe's page, and the Elements iframe, must fail for them as
    # they do alone (a route never sees a redirect; an iframe is an ordinary request).
    folder = tmp_path / "batch"
    full = [write(folder, "a-stripe", STRIPE), write(folder, "a-elements", ELEMENTS)]
    lacking = [
        write(folder, "b-stripe", STRIPE, ("  checkout.stripe.test: 127.0.0.1\n", "")),
        write(folder, "b-elements", ELEMENTS, ("  js.stripe.test: 127.0.0.1\n", "")),
    ]
    _, together, _ = audit(lab, tmp_path / "together", *full, *lacking, workers=1)
    assert [together[p.name]["status"] for p in full] == ["pass", "pass"]
    for number, path in enumerate(lacking):
        status, alone, _ = audit(lab, tmp_path / f"alone{number}", path)
        one, other = alone[path.name], together[path.name]
        assert one["status"] == "error" and one["error_kind"] == "host-unreachable", one["error"]
        assert (other["status"], other["error_kind"], statuses(other)) == (
            one["status"],
            one["error_kind"],
            statuses(one),
        )
        assert "ERR_NAME_NOT_RESOLVED" in other["error"] and "fail" not in statuses(other).values()
        assert status == 2
