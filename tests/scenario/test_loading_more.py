"""More mistakes in scenario files that loaded silently or were said badly (found by a tester).

Each is a load error that names the file, the line and the key, with a tip: a `{{name}}` with one brace
too few, an unclosed `{{` beside the file's other problems, `cn_purchase` mistakes in the pytest
fixture, a misspelt scheme in --base-url, a `{{var}}` in a host list, more than 50 problems, an empty
section, and a key that only holds YAML anchors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError, Problem
from auditor.scenario.load import MAX_PROBLEMS, load_scenario, load_scenarios
from tests.pytest_plugin.pluginrun import run_pytest
from tests.scenario.test_loader import run_validate

HEAD = (
    "name: A scenario\nbase_url: http://shop.test:8000\nhosts: {shop.test: 127.0.0.1}\n"
    "vars: {email: a@example.com}\n"
)


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_scenarios(path, env={})
    return caught.value.problems


def refused(path: Path, *extra: str) -> str:
    """What `validate` prints for a file that must not load: exit status 2, no traceback."""
    status, output = run_validate(path, *extra, env={})
    assert status == 2, output
    assert "Traceback" not in output and path.name in output
    return output


def one(found: list[Problem], key: str) -> Problem:
    matching = [p for p in found if p.key == key]
    assert len(matching) == 1, [p.render() for p in found]
    return matching[0]


# ---------------------------------------------------------------- 1. a brace too few


@pytest.mark.parametrize(
    ("written", "meant", "said"),
    [
        ("{email}}", "email", "opens with one brace"),
        ("Hi {email}}!", "email", "opens with one brace"),
        ("{ {email}}", "email", "has a space between the braces of {{"),
        ("{ email }}", "email", "opens with one brace"),
        ("audit+{run_id}}@example.com", "run_id", "opens with one brace"),
        ("{order_id}}", "order_id", "opens with one brace"),  # a capture's name counts too
    ],
)
def test_a_reference_with_one_opening_brace_is_a_load_error(
    tmp_path: Path, written: str, meant: str, said: str
) -> None:
    text = HEAD + (
        "steps:\n  - goto: /\n"
        "  - capture: {name: order_id, selector: '#order'}\n"
        f"  - fill: {{selector: '#e', value: '{written}'}}\n"  # line 8
    )
    path = write(tmp_path, text)
    found = one(problems(path), "steps[2].fill.value")
    assert found.line == 8 and said in found.message and "literal text" in found.message
    assert found.tip == f"did you mean {{{{{meant}}}}}?"
    assert "s.yaml:8:" in refused(path)


def test_a_brace_too_few_in_a_matrix_file_names_the_matrix_value(tmp_path: Path) -> None:
    text = (
        HEAD + "matrix:\n  card: [{label: visa, number: '4111'}]\nsteps:\n  - goto: '/pay/{card.number}}'\n"
    )
    found = one(problems(write(tmp_path, text)), "steps[0].goto")
    assert found.line == 8 and found.tip == "did you mean {{card.number}}?"
    assert "(in " not in found.message  # every combination has it: said once


def test_braces_that_are_no_reference_still_load(tmp_path: Path) -> None:
    # Selectors, JSON, CSS and regular expressions have braces of their own; an unknown name is never
    # taken for a misspelt reference, nor a `{{name}}` next to a brace.
    values = [
        '{"email": {"a": 1}}',
        "a{color:red}}",
        "{unknown}}",
        "{{{email}}}",
        "x{ {{email}}",
        "{email}",
    ]
    steps = "".join(f"  - fill: {{selector: ':is(#a, #b)', value: '{v}'}}\n" for v in values)
    steps += r"  - capture: {name: code, selector: '#c', pattern: '\d{3}}'}" + "\n"
    scenario = load_scenario(write(tmp_path, HEAD + "steps:\n  - goto: /\n" + steps), env={})
    assert [s.args.value for s in scenario.steps[1:-1]] == values


def test_a_brace_too_few_in_a_secret_does_not_repeat_the_secret(tmp_path: Path) -> None:
    output = refused(write(tmp_path, HEAD + "secrets:\n  pin: 'K9x{email}}'\nsteps: [{goto: /}]\n"))
    assert "secrets.pin" in output and "one brace" in output and "tip:" in output
    assert "K9x" not in output


# ---------------------------------------------------------------- 2. an unclosed {{ among other problems


def test_an_unclosed_reference_is_reported_with_the_files_type_errors(tmp_path: Path) -> None:
    text = HEAD + (
        "timeouts: {step: abc}\n"  # 5
        "steps:\n  - goto: /\n"
        "  - fill: {selector: '#e', value: '{{email'}\n"  # 8
        "  - click: 5\n"  # 9
        "expect:\n  cn_purchase: {purchase_id: 'x{email}}'}\n"  # 11
    )
    path = write(tmp_path, text)
    found = problems(path)
    assert {p.key: p.line for p in found} == {
        "timeouts.step": 5,
        "steps[1].fill.value": 8,
        "steps[2].click.selector": 9,
        "expect.cn_purchase.purchase_id": 11,
    }, [p.render() for p in found]
    assert one(found, "steps[1].fill.value").tip == "close it with }}: {{email}}"
    assert "4 problems" in refused(path)


def test_an_unclosed_reference_is_reported_with_a_broken_matrix(tmp_path: Path) -> None:
    text = HEAD + "matrix: {card: [visa], device: 3}\nsteps:\n  - goto: '/pay/{{card'\n"
    found = problems(write(tmp_path, text))
    assert [p.key for p in found] == ["matrix.device", "steps[0].goto"], [p.render() for p in found]


# ---------------------------------------------------------------- 3. the pytest fixture lists every mistake

USAGE = """
import json
import os
from pathlib import Path

import pytest

from auditor.fixture import AuditUsageError


def test_expectations(page, checkout_audit):
    with pytest.raises(AuditUsageError) as raised:
        checkout_audit.expect(
            cn_purchase={
                "purchaseid": "X1",
                "total_price": "abc",
                "products": -1,
                "items": [{"nme": "Keyboard"}],
            }
        )
    Path(os.environ["KEEP"]).write_text(str(raised.value), encoding="utf-8")
    pytest.skip("the mistakes were said")  # nothing to audit: the page never left about:blank
"""


@pytest.mark.browser
def test_the_fixture_names_every_mistake_of_an_expected_cn_purchase(tmp_path: Path) -> None:
    (tmp_path / "test_usage.py").write_text(USAGE, encoding="utf-8")
    keep = tmp_path / "said.txt"
    run = run_pytest(tmp_path, "test_usage.py", "-rA", env_extra={"KEEP": str(keep)}, timeout=300)
    assert "1 skipped" in run.output, run.output
    said = keep.read_text(encoding="utf-8")
    assert said.startswith("checkout_audit.expect(): cn_purchase.purchaseid: "), said
    for part in [
        "cn_purchase.purchaseid: cn_purchase has no field 'purchaseid' (did you mean 'purchase_id'?)",
        "cn_purchase.total_price: ",
        "cn_purchase.products: ",
        "cn_purchase.items[0].nme: a basket item has no field 'nme' (did you mean 'name'?)",
    ]:
        assert part in said, said


# ---------------------------------------------------------------- 4. --base-url with a misspelt scheme


@pytest.mark.parametrize(
    ("given", "meant"),
    [("htps://shop.test", "https://shop.test"), ("http:/shop.test:8000/", "http://shop.test:8000/")],
)
def test_a_misspelt_base_url_option_says_what_it_meant(tmp_path: Path, given: str, meant: str) -> None:
    path = write(tmp_path, "name: x\nsteps: [{goto: /}]\n")
    status, output = run_validate(path, "--base-url", given, env={})
    assert status == 2 and "Traceback" not in output, output
    assert f"--base-url: {given!r} is not an http(s) URL" in output
    assert f"tip: did you mean --base-url {meant}?" in output


# ---------------------------------------------------------------- 5. {{var}} in a host list


def test_a_var_in_pay_hosts_says_only_matrix_values_are_filled_in_there(tmp_path: Path) -> None:
    text = HEAD.replace("vars: {email: a@example.com}", "vars: {platform: pay.test}") + (
        "matrix: {bank: [sis-t.redsys.test, pay.test]}\n"
        "steps:\n  - pay:\n      submit: '#pay'\n      hosts: ['{{bank}}', '{{platform}}']\n"  # 9
    )
    path = write(tmp_path, text)
    found = one(problems(path), "steps[0].pay.hosts[1]")
    assert found.line == 9
    assert found.message.startswith("{{platform}} is never filled in here: pay.hosts is read when the file")
    assert "only a matrix value is filled in there" in found.message
    assert found.tip == "write the host name itself; allowed here: the matrix's values ({{bank}})"
    assert "s.yaml:9:" in refused(path)


def test_a_var_in_a_host_list_of_a_file_without_a_matrix(tmp_path: Path) -> None:
    text = HEAD + "allow_hosts: ['{{email}}']\nsteps: [{goto: /}]\n"
    found = one(problems(write(tmp_path, text)), "allow_hosts[0]")
    assert "allow_hosts is read when the file is loaded" in found.message
    assert (
        found.tip == "write the host name itself; allowed here: a matrix value, and this file has no matrix"
    )


def test_a_var_in_connectif_hosts_is_refused_not_taken_as_a_pattern(tmp_path: Path) -> None:
    # The model takes any text as a host pattern: `{{email}}` would have matched no request, silently.
    text = HEAD + "connectif:\n  hosts: ['{{email}}']\nsteps: [{goto: /}]\n"
    found = one(problems(write(tmp_path, text)), "connectif.hosts[0]")
    assert found.line == 6 and "connectif.hosts is read when the file is loaded" in found.message


# ---------------------------------------------------------------- 6. more than 50 problems


def test_more_than_the_limit_of_problems_is_said_truthfully(tmp_path: Path) -> None:
    steps = "".join("  - clik: '#a'\n" for _ in range(MAX_PROBLEMS + 10))
    path = write(tmp_path, HEAD + "steps:\n" + steps)
    output = refused(path)
    assert output.startswith(f"error: more than {MAX_PROBLEMS} problems in "), output
    assert f"{MAX_PROBLEMS + 1} problems" not in output
    assert output.count("unknown action 'clik'") == MAX_PROBLEMS
    assert f"s.yaml:{6 + MAX_PROBLEMS}:5: more problems from here on are not shown" in output
    assert f"only the first {MAX_PROBLEMS} of a file are listed" in output


def test_more_than_the_limit_in_one_of_two_files(tmp_path: Path) -> None:
    many = write(tmp_path, HEAD + "steps:\n" + "  - clik: '#a'\n" * (MAX_PROBLEMS + 1), "many.yaml")
    few = write(tmp_path, HEAD + "steps:\n  - clik: '#a'\n  - clak: '#b'\n", "few.yaml")
    status, output = run_validate(tmp_path, env={})
    assert status == 2 and str(many) in output and str(few) in output, output
    # 50 + 2 shown, and at least one more in many.yaml
    assert output.startswith(f"error: more than {MAX_PROBLEMS + 2} problems in "), output


# ---------------------------------------------------------------- 7. an empty section


@pytest.mark.parametrize(
    ("body", "line", "key", "message", "tip"),
    [
        ("steps:\n", 5, "steps", "steps is empty: nothing follows `steps:`", "at least one step"),
        ("steps: []\n", 5, "steps", "must not be empty", "at least one step"),
        (
            "steps: [{goto: /}]\nexpect:\n",
            6,
            "expect",
            "expect is empty: nothing follows `expect:`",
            "without expect, every default applies",
        ),
        (
            "steps: [{goto: /}]\nexpect:\n  cn_purchase:\n",
            7,
            "expect.cn_purchase",
            "cn_purchase is empty",
            "`cn_purchase: present` (the default) or `absent`",
        ),
        (
            "secrets:\nsteps: [{goto: /}]\n",
            5,
            "secrets",
            "secrets is empty",
            "indent its keys under `secrets:`",
        ),
        ("timeouts:\nsteps: [{goto: /}]\n", 5, "timeouts", "timeouts is empty", "or remove the line"),
        ("tags:\nsteps: [{goto: /}]\n", 5, "tags", "tags is empty", "each starting with `- `"),
        (
            "steps:\n  - pay:\n      submit: '#pay'\n      hosts: []\n",
            8,
            "steps[0].pay.hosts",
            "must not be empty",
            "`hosts: [pay.example.com]`",
        ),
        (
            "steps:\n  - pay:\n      submit: '#pay'\n      hosts: [pay.test]\n      steps:\n",
            9,
            "steps[0].pay.steps",
            "steps is empty",
            "remove `steps:` when they do nothing there",
        ),
    ],
)
def test_an_empty_section_says_what_to_write(
    tmp_path: Path, body: str, line: int, key: str, message: str, tip: str
) -> None:
    path = write(tmp_path, HEAD + body)
    found = one(problems(path), key)
    assert found.line == line and message in found.message, found.render()
    assert tip in (found.tip or ""), found.render()
    assert f"s.yaml:{line}:" in refused(path)


def test_an_empty_vars_section_is_named_with_the_file_s_other_problems(tmp_path: Path) -> None:
    text = HEAD.replace("vars: {email: a@example.com}\n", "vars:\n") + "steps:\n"
    found = problems(write(tmp_path, text))
    assert [(p.key, p.line) for p in found] == [("vars", 4), ("steps", 5)]
    assert found[0].tip == "indent its keys under `vars:` (`  name: value`), or remove the line"


def test_sections_written_empty_on_purpose_still_load(tmp_path: Path) -> None:
    text = HEAD + (
        "secrets: {}\ntags: []\nallow_hosts: []\nexpect: {}\n"
        "steps:\n  - pay:\n      submit: '#pay'\n      hosts: [pay.test]\n      steps: []\n"
    )
    scenario = load_scenario(write(tmp_path, text), env={})
    assert scenario.secrets == {} and scenario.tags == () and scenario.pay_steps()[0].steps == ()


# ---------------------------------------------------------------- 8. a key that holds anchors


@pytest.mark.parametrize(
    "holder",
    [
        "x-fields: &card {selector: '#card', value: '4111'}\n",
        ".common:\n  card: &card {selector: '#card', value: '4111'}\n",
        "shared:\n  - &card {selector: '#card', value: '4111'}\n",
    ],
)
def test_a_key_that_holds_anchors_says_where_anchors_go(tmp_path: Path, holder: str) -> None:
    text = HEAD + holder + "steps:\n  - goto: /\n  - fill: *card\n"
    path = write(tmp_path, text)
    key = holder.split(":")[0]
    found = one(problems(path), key)
    assert found.line == 5 and found.message == f"unknown key {key!r}"
    assert "no key to keep anchors in" in (found.tip or "")
    assert "put the anchor where its value is first used" in (found.tip or "")
    assert "tip: a scenario has no key to keep anchors in" in refused(path)


def test_a_misspelt_key_still_gets_its_did_you_mean(tmp_path: Path) -> None:
    found = one(problems(write(tmp_path, HEAD + "stpes: [{goto: /}]\nsteps: [{goto: /}]\n")), "stpes")
    assert found.tip == "did you mean 'steps'?"


def test_an_anchor_at_its_first_use_loads(tmp_path: Path) -> None:
    text = HEAD + (
        "steps:\n  - goto: /\n  - fill: &card {selector: '#card', value: '4111'}\n"
        "  - fill: *card\n  - fill: {<<: *card, selector: '#again'}\n"
    )
    steps = load_scenario(write(tmp_path, text), env={}).steps
    assert [s.args.selector for s in steps[1:]] == ["#card", "#card", "#again"]
