"""The engine end to end in a real Chromium, against a loopback shop whose behaviour each test sets."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.audit import audit
from auditor.engine.browser import find_browser
from auditor.engine.run import RunOptions
from auditor.results import RunResult
from auditor.scenario.load import load_all
from tests.engine.miniserver import HOSTS, mini_shop

pytestmark = pytest.mark.browser

SCENARIO = """\
name: {name}
base_url: {base}
hosts: {hosts}
secrets:
  card: "4548812049400004"
steps:
  - goto: /?{query}
  - pay:
      provider: Test bank
      submit: "#pay"
      hosts: [pay.test]
      steps:
        - click: "#authorise"
      return:
        timeout: {return_timeout}
        click: "#back"
  - capture: {{name: order_id, selector: .order-number}}
expect:
  confirmation_url: "**/order/confirmation/**"
  cn_purchase: {{purchase_id: "{{{{order_id}}}}", total_price: "12,50", products: 1}}
  connectif: {{purchase_sent: optional}}
"""


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with mini_shop() as url:
        yield url


def write(tmp_path: Path, base: str, name: str, query: str, return_timeout: str = "15s") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        SCENARIO.format(
            name=name, base=base, hosts=json.dumps(HOSTS), query=query, return_timeout=return_timeout
        ),
        encoding="utf-8",
    )
    return path


def run(paths: list[Path], out: Path, **options: object) -> RunResult:
    scenarios = load_all(paths)
    return audit(scenarios, RunOptions(browser=find_browser(), out_dir=out, **options)).run  # type: ignore[arg-type]


def checks(result: object) -> dict[str, str]:
    return {c.id: c.status.value for c in result.checks}  # type: ignore[attr-defined]


def test_automatic_script_return_costs_its_delay_not_the_timeout(tmp_path: Path, base: str) -> None:
    run_result = run([write(tmp_path, base, "auto", "mode=auto&delay=200")], tmp_path / "out")
    result = run_result.scenarios[0]
    assert result.status.value == "pass", result.model_dump_json(indent=1)
    assert result.payment is not None
    assert result.payment.return_ == "automatic" and result.payment.mechanism == "script"
    # The 200 ms timer starts with the platform's page, before the last step has settled: the delay shows
    # in the time on the platform, and the return costs far less than return.timeout.
    assert result.payment.return_ms is not None and 0 < result.payment.return_ms < 3000
    assert result.payment.time_on_platform_ms is not None and result.payment.time_on_platform_ms >= 200
    assert result.cn_purchase is not None and result.cn_purchase["purchase_id"] == "A1"
    assert checks(result)["cn_purchase.consistent"] == "pass"  # "12,50" expected matches 12.50 in the tag
    tracking = [r for r in result.connectif_requests if r.kind == "tracking"]
    assert tracking and tracking[0].events[1]["purchase"]["purchaseId"] == "A1"


def test_manual_return_is_a_click_and_fails_under_automatic(tmp_path: Path, base: str) -> None:
    result = run(
        [write(tmp_path, base, "manual", "mode=manual", return_timeout="500ms")], tmp_path / "out"
    ).scenarios[0]
    assert result.payment is not None
    assert result.payment.return_ == "manual" and result.payment.mechanism == "click"
    assert checks(result)["payment.return"] == "fail"
    assert result.status.value == "fail"


def test_comma_decimals_in_the_tag_fail_validity(tmp_path: Path, base: str) -> None:
    result = run(
        [write(tmp_path, base, "comma", "mode=auto&delay=0&price=12,50")], tmp_path / "out"
    ).scenarios[0]
    status = checks(result)
    assert status["cn_purchase.valid"] == "fail"
    assert status["cn_purchase.consistent"] == "fail"  # 12,50 is read as 12 by parseFloat


def test_cli_run_writes_every_output_and_exits_1_on_failure(tmp_path: Path, base: str) -> None:
    scenario = write(tmp_path, base, "manual-cli", "mode=manual", return_timeout="300ms")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "run", str(scenario), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["version"] == 1 and results["scenarios"][0]["payment"]["return"] == "manual"
    assert (out / "report.html").stat().st_size > 1000 and (out / "junit.xml").exists()
    assert str(out / "report.html") in proc.stdout.replace("\n", "")
    for name in ("results.json", "report.html", "junit.xml"):
        assert b"4548812049400004" not in (out / name).read_bytes()


STEPS = """\
name: {name}
base_url: {base}
hosts: {hosts}
timeouts: {{step: 1500ms}}
steps:
  - goto: /steps
  - click: {{selector: "#absent", optional: true}}
  - click: "#home"
{last}
"""


def steps_scenario(tmp_path: Path, base: str, name: str, last: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(STEPS.format(name=name, base=base, hosts=json.dumps(HOSTS), last=last), encoding="utf-8")
    return path


def test_an_element_that_never_appears_fails_its_step_and_says_so(tmp_path: Path, base: str) -> None:
    result = run(
        [steps_scenario(tmp_path, base, "absent", '  - click: "#absent"')], tmp_path / "out"
    ).scenarios[0]
    assert result.status.value == "error"
    assert (
        result.error is not None and f"steps[3] (click, {tmp_path / 'absent.yaml'}:9) failed" in result.error
    )
    assert "no visible element matches '#absent' within 1.5s" in result.error
    by_index = {s.index: s for s in result.steps}
    assert by_index["1"].status == "skipped" and "optional" in (by_index["1"].message or "")
    # navigations before the payment: cause from Chromium, method, status and redirects from Playwright
    typed, link = result.timeline[0], result.timeline[1]
    assert typed.url.endswith("/steps") and typed.cause.value == "typed" and typed.status == 200
    assert link.url.endswith("/?mode=auto") and link.cause.value == "link" and link.status == 200
    assert link.method == "GET" and link.redirect_chain and link.redirect_chain[0].endswith("/go-home")


def test_an_element_that_is_there_but_cannot_be_clicked_is_not_called_missing(
    tmp_path: Path, base: str
) -> None:
    last = '  - goto: /steps\n  - click: "#disabled"'
    result = run([steps_scenario(tmp_path, base, "disabled", last)], tmp_path / "out").scenarios[0]
    assert result.status.value == "error" and result.error is not None
    assert "steps[4] (click, " in result.error and "no visible element" not in result.error
    assert "Timeout 1500ms" in result.error


def test_a_step_that_acts_on_the_first_of_several_visible_matches_says_how_many(
    tmp_path: Path, base: str
) -> None:
    last = '  - goto: /steps\n  - click: ".tab"\n  - click: "#search"'
    out = tmp_path / "out"
    result = run([steps_scenario(tmp_path, base, "tabs", last)], out).scenarios[0]
    assert result.error is None, result.error
    by_index = {s.index: s for s in result.steps}
    assert by_index["4"].target == ".tab" and by_index["4"].matches == 2  # the hidden third is not counted
    assert by_index["5"].matches is None and by_index["2"].matches is None  # one match: nothing to say
    assert "(2 visible matches)" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("step", "said"),
    [
        (
            '{select: {selector: "#country", value: "ez"}}',
            "'#country' has no option with value 'ez'; its options (value and label) are 'es' (Spain), "
            "'fr' (France): did you mean value 'es'?",
        ),
        ('{select: {selector: "#country", label: "Germany"}}', "has no option with label 'Germany'"),
        ('{check: "#q"}', "check on '#q': Locator.check: Error: Not a checkbox or radio button"),
    ],
)
def test_an_element_that_cannot_do_what_the_step_asks_is_named_with_why(
    tmp_path: Path, base: str, step: str, said: str
) -> None:
    last = f"  - goto: /steps\n  - {step}"
    result = run([steps_scenario(tmp_path, base, "cannot", last)], tmp_path / "out").scenarios[0]
    assert result.status.value == "error" and result.error is not None
    assert "steps[4] (" in result.error and said in result.error, result.error


def test_a_form_submission_is_recorded_as_form_get(tmp_path: Path, base: str) -> None:
    last = '  - goto: /steps\n  - click: "#search"'
    result = run([steps_scenario(tmp_path, base, "search", last)], tmp_path / "out").scenarios[0]
    assert result.error is None, result.error
    assert result.timeline[-1].cause.value == "form-get" and result.timeline[-1].url.endswith("/?")


def test_a_missing_payment_button_fails_the_pay_step(tmp_path: Path, base: str) -> None:
    path = write(tmp_path, base, "no-button", "mode=auto")
    path.write_text(
        path.read_text(encoding="utf-8").replace('submit: "#pay"', 'submit: "#nope"'), encoding="utf-8"
    )
    result = run([path], tmp_path / "out").scenarios[0]
    assert result.error is not None and "the payment button '#nope' never appeared" in result.error
