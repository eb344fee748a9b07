"""examples/ci/: the CI files parse, keep the report, publish JUnit, and call the real command line."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from auditor.cli import cli
from auditor.reports.junit import write_junit
from auditor.results import CheckResult, RunResult, ScenarioResult, ScenarioStatus, Status

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ci"
STAGING = "https://staging.example.test"
DUMMIES = {"STAGING_URL": STAGING}
OPERATORS = {"&&", "||", ";", "|", "(", ")", "{", "}"}


def load(name: str) -> Any:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def github_scripts(workflow: Any) -> Iterator[str]:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                yield step["run"]


def gitlab_scripts(config: Any) -> Iterator[str]:
    for job in config.values():
        if isinstance(job, dict):
            for key in ("before_script", "script", "after_script"):
                yield from job.get(key, [])


def shell_commands(script: str) -> Iterator[list[str]]:
    """Simple commands of a shell script, with $VARS and ${{ expressions }} replaced by dummy values."""
    script = re.sub(r"\\\n", " ", script)
    script = re.sub(r"<<-?\s*'?(\w+)'?\n.*?\n\s*\1\n", "\n", script + "\n", flags=re.DOTALL)  # heredocs
    script = re.sub(r"\$\{\{[^}]*\}\}", "dummy", script)
    script = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: DUMMIES.get(m.group(1), "dummy"), script)
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] = []
        for token in [*lexer, ";"]:
            if token in OPERATORS or token.startswith(">"):
                if command:
                    yield command
                command = []
            else:
                command.append(token)


def auditor_invocations(scripts: Iterator[str]) -> list[list[str]]:
    found = []
    for script in scripts:
        for command in shell_commands(script):
            words = [w for w in command if not re.match(r"^[A-Za-z_]\w*=", w)]  # VAR=value prefixes
            if words[:1] == ["checkout-auditor"]:
                found.append(words[1:])
            elif words[:3] in (["python", "-m", "auditor"], ["python3", "-m", "auditor"]):
                found.append(words[3:])
    return found


def parse_with_the_real_cli(args: list[str]) -> click.Context:
    """Parse a command line as `checkout-auditor` would, without running it; raises click's usage errors."""
    root = click.Context(cli, info_name="checkout-auditor")
    name = args[0]
    command = cli.get_command(root, name)
    assert command is not None, f"checkout-auditor has no command {name!r}"
    return command.make_context(name, args[1:], parent=root)


def test_the_real_cli_refuses_what_it_does_not_know() -> None:
    # The check below is only worth something if a wrong command line really fails it.
    with pytest.raises(click.NoSuchOption):
        parse_with_the_real_cli(["run", "scenarios/", "--base-urll", STAGING])
    with pytest.raises(click.BadParameter):
        parse_with_the_real_cli(["run", "scenarios/", "--retries", "many"])


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_every_checkout_auditor_command_is_accepted_by_the_cli(name: str) -> None:
    config = load(name)
    scripts = github_scripts(config) if name.startswith("github") else gitlab_scripts(config)
    invocations = auditor_invocations(scripts)
    assert invocations, f"{name} never calls checkout-auditor"
    runs = []
    for args in invocations:
        ctx = parse_with_the_real_cli(args)
        if ctx.command.name == "run":
            runs.append(ctx.params)
    assert runs, f"{name} never runs an audit"
    for params in runs:
        assert params["base_url"] == STAGING  # the staging URL comes from the secret
        assert params["out"] == Path("audit-report")


def test_github_workflow_audits_with_the_secret_and_keeps_the_report_even_on_failure() -> None:
    workflow = load("github-actions.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "workflow_dispatch" in triggers and "schedule" in triggers
    steps = workflow["jobs"]["audit"]["steps"]
    audit = next(s for s in steps if "checkout-auditor run" in s.get("run", ""))
    assert audit["env"]["STAGING_URL"] == "${{ secrets.STAGING_URL }}"
    assert "if" not in audit  # a failed audit fails the job
    assert any("playwright install --with-deps chromium" in s.get("run", "") for s in steps)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    paths = upload["with"]["path"].split()
    assert "audit-report/report.html" in paths and "audit-report/junit.xml" in paths
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "always()" and "audit-report/junit.xml" in summary["run"]
    assert steps.index(audit) < steps.index(summary) < steps.index(upload)


def test_github_summary_script_lists_the_failed_scenarios(tmp_path: Path) -> None:
    workflow = load("github-actions.yml")
    run = next(
        s["run"] for s in workflow["jobs"]["audit"]["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", "")
    )
    script = re.search(r"<<'EOF'\n(.*?)\nEOF", run, re.DOTALL)
    assert script is not None
    failed = CheckResult(id="payment.return", status=Status.FAIL, message="came back only by | a click")
    scenarios = [
        ScenarioResult(
            name="Card", file="card.yaml", status=ScenarioStatus.FAIL, duration_ms=1, checks=[failed]
        ),
        ScenarioResult(name="PayPal", file="paypal.yaml", status=ScenarioStatus.PASS, duration_ms=1),
    ]
    junit = write_junit(RunResult(started="s", finished="f", scenarios=scenarios), tmp_path / "junit.xml")

    def summary(path: Path) -> str:
        proc = subprocess.run(
            [sys.executable, "-", str(path)],
            input=script.group(1),
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout

    text = summary(junit)
    assert "1 of 2 scenarios passed." in text
    assert "| Card | payment.return: came back only by \\| a click |" in text
    assert "could not run" in summary(tmp_path / "missing.xml")


def test_gitlab_job_audits_with_the_variable_and_publishes_junit_and_the_report() -> None:
    job = load("gitlab-ci.yml")["checkout-audit"]
    assert any("checkout-auditor run" in line and '"$STAGING_URL"' in line for line in job["script"])
    assert any("apt-get install" in line and "chromium" in line for line in job["before_script"])
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"  # kept when the audit fails too
    assert artifacts["reports"]["junit"] == "audit-report/junit.xml"
    assert "audit-report/report.html" in artifacts["paths"] and "audit-report/junit.xml" in artifacts["paths"]
    assert "allow_failure" not in job  # the audit's exit status gates the pipeline
