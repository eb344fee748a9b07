"""The loader on malformed and well-formed scenarios, through the real command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli.main import cli
from auditor.scenario.load import load_scenario

VALID_HEAD = """\
name: A scenario
base_url: http://shop.test:8000
"""


def run_validate(path: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(path), *extra], env=env)
    return result.exit_code, result.output


# (id, yaml text, line, fragments the message must contain)
MALFORMED: list[tuple[str, str, int, list[str]]] = [
    ("missing-name", "base_url: http://x.test/\nsteps:\n  - goto: /\n", 1, ["name", "missing"]),
    ("empty-name", "name: ''\nbase_url: http://x.test/\nsteps: [{goto: /}]\n", 1, ["name", "empty"]),
    (
        "two-line-name",
        "name: |\n  a\n  b\nbase_url: http://x.test/\nsteps: [{goto: /}]\n",
        1,
        ["name", "one line"],
    ),
    ("missing-steps", VALID_HEAD, 1, ["steps", "missing"]),
    ("empty-steps", VALID_HEAD + "steps: []\n", 3, ["steps", "empty"]),
    ("steps-not-list", VALID_HEAD + "steps: goto\n", 3, ["steps", "list"]),
    ("unknown-top-key", VALID_HEAD + "stpes: []\nsteps: [{goto: /}]\n", 3, ["stpes", "did you mean 'steps'"]),
    (
        "unknown-action",
        VALID_HEAD + "steps:\n  - goto: /\n  - clik: '#buy'\n",
        5,
        ["steps[1].clik", "did you mean 'click'"],
    ),
    ("two-actions", VALID_HEAD + "steps:\n  - goto: /\n    click: '#a'\n", 4, ["steps[0]", "goto and click"]),
    ("no-action", VALID_HEAD + "steps:\n  - optional: true\n", 4, ["steps[0]", "no action"]),
    ("step-not-mapping", VALID_HEAD + "steps:\n  - goto /cart\n", 4, ["steps[0]", "mapping"]),
    ("fill-short-form", VALID_HEAD + "steps:\n  - fill: '#email'\n", 4, ["steps[0].fill", "short form"]),
    (
        "fill-missing-value",
        VALID_HEAD + "steps:\n  - fill: {selector: '#email'}\n",
        4,
        ["steps[0].fill.value", "missing"],
    ),
    (
        "fill-unknown-key",
        VALID_HEAD + "steps:\n  - fill:\n      selector: '#e'\n      valeu: x\n",
        6,
        ["steps[0].fill.valeu", "did you mean 'value'"],
    ),
    (
        "fill-number-value",
        VALID_HEAD + "steps:\n  - fill:\n      selector: '#e'\n      value: 0123\n",
        6,
        ["steps[0].fill.value", "quote it"],
    ),
    (
        "select-both",
        VALID_HEAD + "steps:\n  - select: {selector: '#s', value: a, label: b}\n",
        4,
        ["steps[0].select", "exactly one"],
    ),
    (
        "wait-for-none",
        VALID_HEAD + "steps:\n  - wait_for: {timeout: 2s}\n",
        4,
        ["steps[0].wait_for", "exactly one"],
    ),
    (
        "bad-wait-until",
        VALID_HEAD + "steps:\n  - goto: {url: /, wait_until: idle}\n",
        4,
        ["steps[0].goto.wait_until", "networkidle"],
    ),
    (
        "bad-duration",
        VALID_HEAD + "timeouts:\n  step: 10 seconds\nsteps: [{goto: /}]\n",
        4,
        ["timeouts.step", "500ms"],
    ),
    (
        "number-duration",
        VALID_HEAD + "timeouts:\n  scenario: 120\nsteps: [{goto: /}]\n",
        4,
        ["timeouts.scenario", "unit"],
    ),
    (
        "unknown-timeout",
        VALID_HEAD + "timeouts:\n  stepp: 1s\nsteps: [{goto: /}]\n",
        4,
        ["timeouts.stepp", "did you mean 'step'"],
    ),
    (
        "bad-regex",
        VALID_HEAD + "steps:\n  - capture: {name: total, selector: '#t', pattern: '[0-9'}\n",
        4,
        ["steps[0].capture.pattern", "regular expression"],
    ),
    (
        "bad-capture-name",
        VALID_HEAD + "steps:\n  - capture: {name: 'order id', selector: '#t'}\n",
        4,
        ["steps[0].capture.name", "not a valid name"],
    ),
    (
        "pay-no-hosts",
        VALID_HEAD + "steps:\n  - pay:\n      submit: '#pay'\n",
        4,
        ["steps[0].pay.hosts", "missing"],
    ),
    (
        "pay-bad-host",
        VALID_HEAD + "steps:\n  - pay:\n      hosts: ['https://pay.test/x']\n",
        5,
        ["steps[0].pay.hosts[0]", "host name"],
    ),
    (
        "pay-nested",
        VALID_HEAD + "steps:\n  - pay:\n      hosts: [pay.test]\n      steps:\n"
        "        - pay: {hosts: [x.test]}\n",
        7,
        ["steps[0].pay.steps[0].pay", "another pay"],
    ),
    (
        "pay-unknown-step",
        VALID_HEAD + "steps:\n  - pay:\n      hosts: [pay.test]\n      steps:\n        - tap: '#ok'\n",
        7,
        ["steps[0].pay.steps[0].tap", "unknown action"],
    ),
    (
        "pay-return-key",
        VALID_HEAD + "steps:\n  - pay:\n      hosts: [pay.test]\n      return:\n        timout: 5s\n",
        7,
        ["steps[0].pay.return.timout", "did you mean 'timeout'"],
    ),
    (
        "expect-return",
        VALID_HEAD + "steps: [{goto: /}]\nexpect:\n  return: manual\n",
        5,
        ["expect.return", "manual-allowed"],
    ),
    (
        "expect-connectif",
        VALID_HEAD + "steps: [{goto: /}]\nexpect:\n  connectif:\n    script: requried\n",
        6,
        ["expect.connectif.script", "did you mean 'required'"],
    ),
    (
        "expect-purchase-field",
        VALID_HEAD + "steps: [{goto: /}]\nexpect:\n  cn_purchase:\n    purchaseid: X\n",
        6,
        ["expect.cn_purchase", "did you mean 'purchase_id'"],
    ),
    (
        "expect-products",
        VALID_HEAD + "steps: [{goto: /}]\nexpect:\n  cn_purchase:\n    products: many\n",
        6,
        ["expect.cn_purchase", "whole number"],
    ),
    (
        "expect-cn-purchase-word",
        VALID_HEAD + "steps: [{goto: /}]\nexpect:\n  cn_purchase: missing\n",
        5,
        ["expect.cn_purchase", "absent"],
    ),
    (
        "hosts-bad-ip",
        VALID_HEAD + "hosts:\n  shop.test: localhost\nsteps: [{goto: /}]\n",
        4,
        ["hosts.shop.test", "IP address"],
    ),
    ("base-url-not-url", "name: x\nbase_url: shop.test\nsteps: [{goto: /}]\n", 2, ["base_url", "http"]),
    ("no-base-url", "name: x\nsteps: [{goto: /}]\n", 1, ["base_url", "--base-url"]),
    ("duplicate-key", VALID_HEAD + "steps: [{goto: /}]\nname: again\n", 4, ["name", "duplicate"]),
    (
        "unknown-reference",
        VALID_HEAD + "steps:\n  - fill: {selector: '#e', value: '{{emial}}'}\nvars:\n  email: a@b.c\n",
        4,
        ["steps[0].fill.value", "{{emial}}", "did you mean 'email'"],
    ),
    (
        "env-missing",
        VALID_HEAD + "secrets:\n  card: ${AUDITOR_TEST_UNSET_CARD}\nsteps: [{goto: /}]\n",
        4,
        ["secrets.card", "AUDITOR_TEST_UNSET_CARD"],
    ),
    ("yaml-syntax", VALID_HEAD + "steps:\n  - goto: /\n   - click: x\n", 5, ["not valid YAML"]),
    ("two-documents", VALID_HEAD + "steps: [{goto: /}]\n---\nname: b\n", 4, ["more than one YAML document"]),
    ("top-level-list", "- goto: /\n", 1, ["mapping"]),
    (
        "browser-unknown",
        VALID_HEAD + "browser:\n  viewprt: {width: 800, height: 600}\nsteps: [{goto: /}]\n",
        4,
        ["browser.viewprt", "did you mean 'viewport'"],
    ),
    (
        "connectif-mode",
        VALID_HEAD + "connectif:\n  mode: block\nsteps: [{goto: /}]\n",
        4,
        ["connectif.mode", "intercept"],
    ),
    (
        "modifier-twice",
        VALID_HEAD + "steps:\n  - click: {selector: '#a', optional: true}\n    optional: false\n",
        5,
        ["steps[0].optional", "twice"],
    ),
    (
        "frame-empty-list",
        VALID_HEAD + "steps:\n  - click: {selector: '#a', frame: []}\n",
        4,
        ["steps[0].click"],
    ),
]


@pytest.mark.parametrize(("case", "text", "line", "fragments"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_scenario_is_refused_with_location(
    tmp_path: Path, case: str, text: str, line: int, fragments: list[str]
) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    status, output = run_validate(path)
    assert status == 2, output
    assert f"{path.name}:{line}" in output, output
    for fragment in fragments:
        assert fragment in output, output
    assert "Traceback" not in output


def test_there_are_at_least_thirty_distinct_malformed_cases() -> None:
    assert len({text for _, text, _, _ in MALFORMED}) >= 30


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(
        b"name: x\nbase_url: http://x.test/\nsteps:\n  - fill: {selector: '#n', value: 'Jos\xe9'}\n"
    )
    status, output = run_validate(path)
    assert status == 2
    assert "latin1.yaml:4" in output and "UTF-8" in output


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(VALID_HEAD + "steps:\n" + "  - goto: /\n" * 100_000, encoding="utf-8")
    status, output = run_validate(path)
    assert status == 2
    assert "big.yaml" in output and "at most 1,048,576" in output


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        bomb.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text(VALID_HEAD + "\n".join(bomb) + "\nsteps: [{goto: /}]\n", encoding="utf-8")
    status, output = run_validate(path)
    assert status == 2
    assert "bomb.yaml:" in output and "10,000 YAML nodes" in output


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(VALID_HEAD + "loop: &l [*l]\nsteps: [{goto: /}]\n", encoding="utf-8")
    status, output = run_validate(path)
    assert status == 2 and "loop.yaml:" in output and "refers to itself" in output


def test_python_tags_are_refused_as_unsafe(tmp_path: Path) -> None:
    path = tmp_path / "unsafe.yaml"
    path.write_text(
        VALID_HEAD + "vars:\n  x: !!python/object/apply:os.system ['true']\nsteps: [{goto: /}]\n",
        encoding="utf-8",
    )
    status, output = run_validate(path)
    assert status == 2 and "unsafe.yaml:4" in output


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(
        VALID_HEAD + "steps:\n  - clik: a\n  - fill: {selector: '#e', valeu: x}\n", encoding="utf-8"
    )
    status, output = run_validate(path)
    assert status == 2
    assert "many.yaml:4" in output and "many.yaml:5" in output


FULL = """\
# yaml-language-server: $schema=../auditor/schema/scenario.schema.json
name: Everything the language has
description: |
  Uses every key of the scenario language.
tags: [smoke, card]
base_url: ${AUDITOR_TEST_SHOP:-http://shop.test:8000}
hosts:
  shop.test: 127.0.0.1
  pay.test: 127.0.0.1
  "*.bank.test": 127.0.0.1
allow_hosts: [cdn.example.test]
timeouts: {step: 10s, navigation: 20s, tracking: 500ms, scenario: 2m}
vars:
  email: audit+{{run_id}}@example.com
secrets:
  card: ${AUDITOR_TEST_CARD}
browser:
  viewport: {width: 1280, height: 800}
  locale: es-ES
  timezone: Europe/Madrid
  user_agent: audit-bot
  device: Pixel 7
  ignore_https_errors: true
connectif:
  mode: intercept
  hosts: ["*.connectif.example.test"]
_common: &add
  click: "text=Add to cart"
steps:
  - goto: /product/keyboard
  - *add
  - goto: {url: /cart, wait_until: domcontentloaded, timeout: 5s}
  - capture: {name: cart_total, selector: "#cart-total", pattern: '[0-9]+[.,][0-9]{2}'}
  - capture: {name: order_ref, selector: "#ref", attribute: data-ref}
  - check: "#terms"
  - uncheck: {selector: "#newsletter", optional: true}
  - select: {selector: "#country", label: España}
  - select: {selector: "#shipping", value: express}
  - press: {selector: "#email", key: Enter}
  - wait_for: "#ready"
  - wait_for: {url: "**/checkout"}
  - wait_for: {text: Checkout, timeout: 3s}
  - expect_text: {selector: h1, text: Checkout}
  - click: "#checkout"
    frame: ["#outer", "#inner"]
    timeout: 2s
  - fill: {selector: "#email", value: "{{email}}"}
  - screenshot: checkout
  - screenshot: {name: full, full_page: true}
  - pay:
      provider: Redsys sandbox
      submit: "#pay"
      hosts: [pay.test, "*.bank.test"]
      popup: false
      steps:
        - fill: {selector: "#card", value: "{{card}}"}
        - fill: {frame: "#challenge", selector: "#otp", value: "123456"}
        - click: "#authorise"
      return:
        timeout: 15s
        click: "text=Volver al comercio"
  - capture: {name: order_id, selector: ".order-number"}
expect:
  confirmation_url: "**/order/confirmation/**"
  return: manual-allowed
  cn_purchase:
    purchase_id: "{{order_id}}"
    total_price: "{{cart_total}}"
    total_quantity: 1
    payment_method: card
    products: 1
  connectif:
    script: required
    purchase_sent: optional
"""


def test_a_scenario_using_every_key_loads(tmp_path: Path) -> None:
    path = tmp_path / "full.yaml"
    path.write_text(FULL.replace("_common: &add", "x_common: &add"), encoding="utf-8")
    # unknown top-level keys are errors, so the anchor holder itself is refused...
    status, output = run_validate(path, env={"AUDITOR_TEST_CARD": "4548812049400004"})
    assert status == 2 and "x_common" in output


def test_anchors_reuse_steps(tmp_path: Path) -> None:
    text = FULL.replace('_common: &add\n  click: "text=Add to cart"\n', "").replace(
        "  - goto: /product/keyboard\n  - *add\n", "  - &add\n    goto: /product/keyboard\n  - *add\n"
    )
    path = tmp_path / "full.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path, env={"AUDITOR_TEST_CARD": "4548812049400004"})
    assert scenario.steps[0] == scenario.steps[1]
    assert scenario.steps[0].args.url == "/product/keyboard"
    assert scenario.base_url == "http://shop.test:8000"
    assert scenario.secrets == {"card": "4548812049400004"}
    assert scenario.timeouts.tracking == 500 and scenario.timeouts.scenario == 120_000
    assert scenario.connectif.mode == "intercept"
    pay = scenario.pay_steps()[0]
    assert pay.hosts == ("pay.test", "*.bank.test")
    assert pay.return_.timeout == 15_000 and pay.return_.click is not None
    assert pay.steps[1].args.frame == ("#challenge",)
    click = scenario.steps[14]
    assert click.action == "click" and click.args.frame == ("#outer", "#inner") and click.args.timeout == 2000
    assert scenario.expect.return_ == "manual-allowed"
    assert scenario.expect.cn_purchase == {
        "purchase_id": "{{order_id}}",
        "total_price": "{{cart_total}}",
        "total_quantity": 1,
        "payment_method": "card",
        "products": 1,
    }
    assert scenario.browser.viewport is not None and scenario.browser.viewport.width == 1280


def test_env_substitution_happens_after_parsing_and_keeps_strings(tmp_path: Path) -> None:
    path = tmp_path / "env.yaml"
    path.write_text(
        "name: x\nbase_url: ${URL:-http://d.test/}\nsecrets:\n  card: ${CARD}\n"
        "vars:\n  literal: $${NOT_ENV}\nsteps: [{goto: /}]\n",
        encoding="utf-8",
    )
    scenario = load_scenario(path, env={"CARD": "0012"})
    assert scenario.secrets["card"] == "0012"  # a string, leading zeros kept
    assert scenario.base_url == "http://d.test/"
    assert scenario.vars["literal"] == "${NOT_ENV}"


def test_base_url_option_overrides_and_supplies(tmp_path: Path) -> None:
    path = tmp_path / "nobase.yaml"
    path.write_text("name: x\nsteps: [{goto: /}]\n", encoding="utf-8")
    status, output = run_validate(path, "--base-url", "http://staging.test/")
    assert status == 0, output
    assert load_scenario(path, base_url="http://o.test/").base_url == "http://o.test/"


def test_folder_validation_lists_every_file(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yml"):
        (tmp_path / name).write_text(VALID_HEAD + "steps: [{goto: /}]\n", encoding="utf-8")
    status, output = run_validate(tmp_path)
    assert status == 0
    assert "a.yaml" in output and "b.yml" in output and "2 scenario(s) valid" in output
