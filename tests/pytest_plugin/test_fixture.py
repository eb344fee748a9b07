"""The checkout_audit fixture for real: pytest sessions in a subprocess whose tests drive the lab's checkout
with pytest-playwright's `page`, in the same sessions as YAML scenarios.

Three browser sessions in all: one with every kind of return and failure (and a YAML scenario beside
them), the example folder under `-n 2`, and one short session for the options.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.lab import Lab
from auditor.lab.connectif_api import LAB_API_KEY
from tests.pytest_plugin.pluginrun import REPO, Outcome, junit_cases, run_pytest

pytestmark = pytest.mark.heavy(75)

HOSTS = {
    "shop.test",
    "cdn.connectif.cloud",
    "eu8-api.connectif.cloud",
    "checkout.stripe.test",
    "js.stripe.test",
    "sis-t.redsys.test",
    "sandbox.paypal.test",
    "pay.deadend.test",
}
SECRET_NAME = "Mechanical keyboard"  # the lab's product name: it is in the tag and the tracking request

AUDITED = (
    '''
import json
import os
from pathlib import Path

import pytest

from auditor.fixture import AuditUsageError

SHOP = os.environ["SHOP_URL"]
KEEP = Path(os.environ["KEEP_DIR"])


def open_checkout(page, switches):
    page.goto(f"{SHOP}/?{switches}")
    page.goto(f"{SHOP}/product/keyboard")
    page.get_by_text("Add to cart").click()
    total = page.locator("#cart-total").inner_text()
    page.locator("#checkout").click()
    page.locator("#email").fill("audit@example.com")
    return total


def keep(name, data):
    (KEEP / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def pay_by_stripe(page, checkout_audit):
    with checkout_audit.payment(hosts=["checkout.stripe.test"], provider="Stripe (lab)"):
        page.locator("#pay").click()
        page.locator("#cardNumber").fill("4242424242424242")
        page.locator("#billingName").fill("Ada Lovelace")
        page.locator("#submit").click()


def test_redirect(page, checkout_audit):
    """A card payment that comes back by redirect."""
    checkout_audit.secret("'''
    + SECRET_NAME
    + '''")
    total = open_checkout(page, "platform=stripe")
    checkout_audit.expect(confirmation_url="**/order/confirmation/**", cn_purchase={"total_price": total})
    pay_by_stripe(page, checkout_audit)
    checkout_audit.capture("order_id", page.locator(".order-number").inner_text())
    checkout_audit.expect(cn_purchase={"purchase_id": "{{order_id}}", "total_price": total, "products": 1})
    result = checkout_audit.result()
    again = checkout_audit.result().to_dict() == result.to_dict()  # judged once
    keep("redirect", {"dict": result.to_dict(), "explain": result.explain(), "again": again})
    assert result.passed, result.explain()


def test_click_only(page, checkout_audit):
    open_checkout(page, "platform=redsys")
    with checkout_audit.payment(
        hosts=["sis-t.redsys.test"], return_click="text=Continuar", return_timeout=1000
    ):
        page.locator("#pay").click()
        page.locator("#card").fill("4548812049400004")
        page.locator("#expiry").fill("12/49")
        page.locator("#cvv").fill("123")
        page.locator("#submit").click()
        page.frame_locator("#challenge").locator("#otp").fill("123456")
        page.locator("#authorise").click()
    result = checkout_audit.result()
    assert result.passed, result.explain()


def test_popup(page, checkout_audit):
    open_checkout(page, "platform=paypal")
    with checkout_audit.payment(hosts=["sandbox.paypal.test"], provider="PayPal (lab)"):  # popup found out
        with page.expect_popup() as opened:
            page.locator("#pay").click()
        opened.value.locator("#password").fill("sandbox")
        opened.value.locator("#btnLogin").click()
        opened.value.locator("#payment-submit-btn").click()
    result = checkout_audit.result()
    assert result.passed, result.explain()


def test_iframe(page, checkout_audit):
    open_checkout(page, "platform=elements")
    with checkout_audit.payment(hosts=["js.stripe.test"], provider="Stripe Elements (lab)"):
        card = page.frame_locator("#card-element")
        card.locator("#cardnumber").fill("4242424242424242")
        card.locator("#exp-date").fill("12/34")
        card.locator("#cvc").fill("123")
        page.locator("#pay").click()
    result = checkout_audit.result()
    assert result.passed, result.explain()


def test_connectif_record(page, checkout_audit):
    checkout_audit.connectif(
        api_key=os.environ["CONNECTIF_KEY"], api_url=os.environ["CONNECTIF_URL"], api_wait="20s"
    )
    open_checkout(page, "platform=stripe")
    pay_by_stripe(page, checkout_audit)
    result = checkout_audit.result()
    assert result.passed, result.explain()


def test_comma_decimals(page, checkout_audit):
    total = open_checkout(page, "platform=stripe&fault=tag-comma")
    checkout_audit.expect(cn_purchase={"total_price": total})
    pay_by_stripe(page, checkout_audit)
    result = checkout_audit.result()
    assert result.passed, result.explain()


def test_never_asks(page, checkout_audit):
    open_checkout(page, "platform=deadend")
    with checkout_audit.payment(hosts=["pay.deadend.test"], provider="Deadend (lab)", return_timeout="1s"):
        page.locator("#pay").click()
        page.locator("#confirm").click()


@pytest.fixture
def after_audit(page):
    """Set up before checkout_audit, so torn down after it: sees the page as the screenshots will."""
    yield
    box = page.locator("#email")

    def picture(value, masked):
        box.evaluate(
            "(el, [value, masked]) => { el.value = value;"
            " el.style.setProperty('-webkit-text-security', masked ? 'disc' : 'none', 'important'); }",
            [value, masked],
        )
        return box.screenshot(animations="disabled")

    style = box.evaluate("(el) => el.style.getPropertyValue('-webkit-text-security')")
    as_left = box.screenshot(animations="disabled")
    keep("masked", {
        "style": style,
        "same_as_other_digits": as_left == picture("9999888877776666", True),
        "plain_digits_differ": picture("5555444433331111", False) != picture("9999888877776666", False),
    })


def test_secret_input(after_audit, page, checkout_audit):
    """No payment: the checkout page itself is judged."""
    messages = []
    for call in (
        lambda: checkout_audit.expect(cn_purchase={"totl_price": "1"}),
        lambda: checkout_audit.expect(return_="sometimes"),
        lambda: checkout_audit.payment(hosts=["https://pay.test/"]).__enter__(),
        lambda: checkout_audit.connectif(mode="record"),
        lambda: checkout_audit.connectif(api_key="kid:k", api_url="{{api}}"),
    ):
        with pytest.raises(AuditUsageError) as raised:
            call()
        messages.append(str(raised.value))
    keep("usage", messages)
    open_checkout(page, "platform=stripe")
    page.locator("#email").fill(checkout_audit.secret("5555444433331111"))
    checkout_audit.expect(cn_purchase="absent", connectif={"purchase_sent": "optional"})
    result = checkout_audit.result()
    assert result.passed, result.explain()
'''
)

SCENARIO = (REPO / "scenarios" / "stripe-checkout-redirect.yaml").read_text(encoding="utf-8")
YAML_NAME = next(line[6:] for line in SCENARIO.splitlines() if line.startswith("name: "))


def host_args() -> list[str]:
    return [arg for host in sorted(HOSTS) for arg in ("--audit-host", f"{host}=127.0.0.1")]


def results_by_name(path: Path) -> dict[str, dict[str, Any]]:
    scenarios = json.loads(path.read_text(encoding="utf-8"))["scenarios"]
    return {s["name"]: s for s in scenarios}


def check(scenario: dict[str, Any], check_id: str) -> str:
    return next(c["status"] for c in scenario["checks"] if c["id"] == check_id)


@pytest.fixture(scope="module")
def audited(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Outcome]:
    """One session: every fixture case, and a YAML scenario beside them, with --output and JUnit."""
    folder = tmp_path_factory.mktemp("audited")
    (folder / "test_audited.py").write_text(AUDITED, encoding="utf-8")
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "stripe.yaml").write_text(SCENARIO, encoding="utf-8")
    (folder / "keep").mkdir()
    run = run_pytest(
        folder,
        "test_audited.py",
        "scenarios",
        "-rA",
        *host_args(),
        "--output",
        "out",
        "--screenshot",
        "only-on-failure",
        "--junitxml",
        "junit.xml",
        env_extra={
            "SHOP_URL": lab.url("shop.test").rstrip("/"),
            "KEEP_DIR": str(folder / "keep"),
            "CONNECTIF_KEY": lab.api_key,
            "CONNECTIF_URL": lab.api_url,
        },
        timeout=600,
    )
    return folder, run


def kept(folder: Path, name: str) -> Any:
    return json.loads((folder / "keep" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.browser
def test_each_kind_of_return_and_failure(audited: tuple[Path, Outcome]) -> None:
    folder, run = audited
    assert run.returncode == 1, run.output
    cases = junit_cases(folder / "junit.xml")
    outcomes = {name: outcome for name, (outcome, _) in cases.items()}
    assert outcomes == {
        "test_redirect[chromium]": "passed",
        "test_click_only[chromium]": "failure",
        "test_popup[chromium]": "passed",
        "test_iframe[chromium]": "passed",
        "test_comma_decimals[chromium]": "failure",
        "test_connectif_record[chromium]": "passed",
        "test_never_asks[chromium]": "error",  # judged at teardown
        "test_secret_input[chromium]": "passed",
        YAML_NAME: "passed",
    }, run.output

    results = results_by_name(folder / "out" / "results.json")
    redirect = results["test_redirect[chromium]"]
    assert redirect["status"] == "pass" and redirect["file"] == "test_audited.py"
    assert redirect["description"] == "A card payment that comes back by redirect."
    assert (
        redirect["payment"]["mechanism"] == "http-redirect" and redirect["payment"]["return"] == "automatic"
    )
    assert results["test_popup[chromium]"]["payment"]["mechanism"] == "opener"
    assert results["test_iframe[chromium]"]["payment"]["mechanism"] == "script"

    click = results["test_click_only[chromium]"]
    assert click["payment"]["return"] == "manual" and click["payment"]["mechanism"] == "click"
    assert check(click, "payment.return") == "fail"
    message = cases["test_click_only[chromium]"][1]
    assert "AssertionError: 1 check failed: payment.return" in message and "evidence: " in message

    comma = results["test_comma_decimals[chromium]"]
    assert comma["status"] == "fail" and check(comma, "cn_purchase.valid") == "fail"
    assert check(comma, "payment.return") == "pass"
    assert "cn_purchase.valid" in cases["test_comma_decimals[chromium]"][1]

    recorded = results["test_connectif_record[chromium]"]
    assert check(recorded, "connectif.purchase_recorded") == "pass"
    assert recorded["connectif_api"]["purchase"] is not None, recorded["connectif_api"]
    lab_key_secret = LAB_API_KEY.split(":", 1)[-1]  # keyId:keySecret: the secret shows nowhere
    assert lab_key_secret not in (folder / "out" / "results.json").read_text(encoding="utf-8")
    assert lab_key_secret not in run.output

    never = results["test_never_asks[chromium]"]
    assert never["payment"]["return"] == "none" and check(never, "payment.return") == "fail"
    teardown = cases["test_never_asks[chromium]"][1]
    assert "failed on teardown" in teardown and "payment.return: " in teardown, teardown
    assert "ERROR test_audited.py::test_never_asks[chromium] - Failed: " in run.output


@pytest.mark.browser
def test_result_is_the_results_json_entry_with_secrets_masked(audited: tuple[Path, Outcome]) -> None:
    folder, run = audited
    entry = results_by_name(folder / "out" / "results.json")["test_redirect[chromium]"]
    seen = kept(folder, "redirect")
    assert seen["dict"] == entry  # result.to_dict() is exactly the scenario in results.json
    text = json.dumps(entry, ensure_ascii=False)
    assert SECRET_NAME not in text and "•••" in text, run.output  # the product name was made a secret
    assert entry["cn_purchase"]["purchase_id"].startswith("ORD-")
    assert check(entry, "cn_purchase.consistent") == "pass"  # {{order_id}} from capture() was compared
    assert seen["again"] and seen["explain"].startswith("every check passed\npayment: The customer reached")
    others = results_by_name(folder / "out" / "results.json")["test_popup[chromium]"]
    assert SECRET_NAME in json.dumps(others, ensure_ascii=False)  # another test's secrets are its own


@pytest.mark.browser
def test_one_report_for_fixture_tests_and_scenarios(audited: tuple[Path, Outcome]) -> None:
    folder, run = audited
    out = folder / "out"
    results = results_by_name(out / "results.json")
    assert len(results) == 9
    yaml = next(s for s in results.values() if s["file"] == "scenarios/stripe.yaml")
    assert yaml["status"] == "pass" and yaml["payment"]["mechanism"] == "http-redirect"
    assert len(junit_cases(out / "junit.xml")) == 9
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "test_click_only[chromium]" in report and yaml["name"] in report
    assert "9 scenarios (" in run.output and f"report: {out / 'report.html'}" in run.output
    # pytest-playwright's own artefacts share the folder: a screenshot of the failed test only.
    assert list((out / "test-audited-py-test-click-only-chromium").glob("test-failed-*.png")), run.output
    assert not (out / "test-audited-py-test-redirect-chromium").exists()


@pytest.mark.browser
def test_secret_inputs_are_masked_before_pytest_playwrights_screenshot(audited: tuple[Path, Outcome]) -> None:
    folder, run = audited
    masked = kept(folder, "masked")
    assert masked["style"] == "disc", run.output
    assert masked["plain_digits_differ"]  # the comparison can tell digits apart…
    assert masked["same_as_other_digits"]  # …and the masked field shows none of them
    entry = results_by_name(folder / "out" / "results.json")["test_secret_input[chromium]"]
    assert entry["status"] == "pass" and entry["payment"] is None


@pytest.mark.browser
def test_mistakes_in_calls_name_the_key(audited: tuple[Path, Outcome]) -> None:
    folder, _ = audited
    typo, policy, host, mode, api = kept(folder, "usage")
    assert typo.startswith("checkout_audit.expect(): cn_purchase.totl_price:") and "'total_price'" in typo
    assert policy.startswith("checkout_audit.expect(): return:") and "manual-allowed" in policy
    assert host.startswith("checkout_audit.payment(): hosts[0]:") and "is not a host name" in host
    assert mode.startswith("checkout_audit.connectif(): mode:") and "intercept" in mode
    assert api.startswith("checkout_audit.connectif(): api_url: '{{api}}' is not an http(s) URL"), api


@pytest.mark.browser
def test_the_example_folder_under_xdist_with_a_scenario(lab: Lab, tmp_path: Path) -> None:
    folder = tmp_path / "example"
    shutil.copytree(REPO / "examples" / "pytest-playwright", folder)
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "stripe.yaml").write_text(SCENARIO, encoding="utf-8")
    (folder / "out").mkdir()
    (folder / "out" / "stale.txt").write_text("from an earlier run", encoding="utf-8")
    run = run_pytest(
        folder,
        ".",
        "-n",
        "2",
        "--output",
        "out",
        env_extra={"SHOP_URL": lab.url("shop.test").rstrip("/")},
        timeout=600,
    )
    assert run.returncode == 0, run.output
    assert "created: 2/2 workers" in run.output
    assert not (folder / "out" / "stale.txt").exists()  # emptied once, as pytest-playwright does
    results = json.loads((folder / "out" / "results.json").read_text(encoding="utf-8"))["scenarios"]
    files = sorted(s["file"] for s in results)
    assert files == ["scenarios/stripe.yaml", *["test_checkout.py"] * 4], files
    assert all(s["status"] == "pass" for s in results)
    manual = next(s for s in results if s["name"].startswith("test_a_manual_return"))
    assert manual["payment"]["return"] == "manual" and check(manual, "payment.return") == "warn"
    assert len(junit_cases(folder / "out" / "junit.xml")) == 5


LAUNCH = """
import json
import os
from pathlib import Path


def test_launch_args(browser_type_launch_args):
    Path(os.environ["KEEP_FILE"]).write_text(json.dumps(browser_type_launch_args), encoding="utf-8")


def test_secret_under_tracing(page, checkout_audit):
    from auditor.fixture import AuditUsageError
    import pytest

    page.goto("about:blank")
    with pytest.raises(AuditUsageError, match="--tracing record every value typed") as raised:
        checkout_audit.secret("4242424242424242")
    assert "--audit-trace-secrets" in str(raised.value)
    checkout_audit.expect(cn_purchase="absent", connectif={"script": "optional", "purchase_sent": "optional"})
    assert checkout_audit.result().passed
"""


def test_hosts_reach_the_launch_arguments_and_the_browser_is_found(tmp_path: Path) -> None:
    (tmp_path / "test_launch.py").write_text(LAUNCH, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\naudit_hosts =\n    shop.test=127.0.0.1\n    *.pay.test=10.0.0.2 other.test=10.0.0.3\n",
        encoding="utf-8",
    )
    keep = tmp_path / "args.json"
    binary = tmp_path / "my-chromium"  # never started: the test only reads the launch arguments
    binary.write_text("#!/bin/sh\n", encoding="utf-8")
    binary.chmod(0o755)
    env = {"KEEP_FILE": str(keep), "AUDITOR_BROWSER_PATH": str(binary)}
    run = run_pytest(
        tmp_path, "test_launch.py::test_launch_args", "--audit-host", "shop.test=10.0.0.1", env_extra=env
    )
    assert run.returncode == 0, run.output
    args = json.loads(keep.read_text(encoding="utf-8"))
    rules = "--host-resolver-rules=MAP shop.test 10.0.0.1, MAP *.pay.test 10.0.0.2, MAP other.test 10.0.0.3"
    assert rules in args["args"] and "--disable-background-networking" in args["args"]
    assert args["executable_path"] == env["AUDITOR_BROWSER_PATH"]  # found the way `run` finds it

    channel = run_pytest(
        tmp_path, "test_launch.py::test_launch_args", "--browser-channel", "chrome", env_extra=env
    )
    assert channel.returncode == 0, channel.output
    chosen = json.loads(keep.read_text(encoding="utf-8"))
    assert chosen["channel"] == "chrome" and "executable_path" not in chosen  # the user chose the browser

    bad = run_pytest(
        tmp_path, "test_launch.py::test_launch_args", "--audit-host", "shop.test=1.2.3", env_extra=env
    )
    assert bad.returncode == 4 and "--audit-host: '1.2.3' is not an IP address" in bad.output, bad.output


@pytest.mark.browser
def test_a_secret_under_tracing_needs_the_explicit_option(tmp_path: Path) -> None:
    (tmp_path / "test_launch.py").write_text(LAUNCH, encoding="utf-8")
    run = run_pytest(
        tmp_path,
        "test_launch.py::test_secret_under_tracing",
        "--tracing",
        "on",
        "--output",
        "out",
        env_extra={"KEEP_FILE": str(tmp_path / "unused.json")},
    )
    assert run.returncode == 0, run.output
    assert (tmp_path / "out" / "test-launch-py-test-secret-under-tracing-chromium" / "trace.zip").is_file()
