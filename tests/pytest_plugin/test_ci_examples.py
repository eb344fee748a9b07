"""examples/ci/: the CI files parse, keep the report, publish JUnit, and call the real command line."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from auditor.cli.main import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ci"
STAGING = "https://staging.example.test"
DUMMIES = {"STAGING_URL": STAGING}
OPERATORS = {"&&", "||", ";", "|", "(", ")", "{", "}"}
KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!"}


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
    positional: list[str] = []  # what `set -- …` last made "$@"
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] = []
        for token in [*lexer, ";"]:
            if token in OPERATORS or token.startswith(">"):
                while command and command[0] in KEYWORDS:  # `then set -- …`: the command is `set`
                    command.pop(0)
                if command[:2] == ["set", "--"]:
                    positional = command[2:]
                if command:
                    yield command
                command = []
            elif token == "$@":
                command.extend(positional)
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


def github_steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = load("github-actions.yml")["jobs"]["audit"]["steps"]
    return steps


def step_named(name: str) -> dict[str, Any]:
    return next(s for s in github_steps() if s.get("name") == name)


def test_github_workflow_audits_nightly_against_the_previous_run_and_keeps_it_for_the_next() -> None:
    workflow = load("github-actions.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "workflow_dispatch" in triggers and [t["cron"] for t in triggers["schedule"]] == ["30 5 * * *"]
    assert workflow["concurrency"]["cancel-in-progress"] is False  # two runs would race for the baseline
    steps = github_steps()
    audit = next(s for s in steps if "checkout-auditor run" in s.get("run", ""))
    assert audit["env"]["STAGING_URL"] == "${{ secrets.STAGING_URL }}"
    assert audit["env"]["AUDITOR_NOTIFY"] == "${{ secrets.AUDIT_WEBHOOK }}"  # the webhook from a secret
    assert "if" not in audit  # a failed audit fails the job
    assert any("playwright install --with-deps chromium" in s.get("run", "") for s in steps)
    # The baseline: restored before the audit from the newest cache entry, saved after it whatever the
    # outcome, under a key the next run's restore-keys prefix finds.
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore@"))
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    keep = step_named("Keep this run's results as the next baseline")
    assert restore["with"]["path"] == save["with"]["path"] == "baseline"
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert save["if"] == keep["if"] == "always()"
    assert "cp audit-report/results.json baseline/" in keep["run"]
    assert steps.index(restore) < steps.index(audit) < steps.index(keep) < steps.index(save)
    [run_args] = [a for a in auditor_invocations(iter([audit["run"]])) if a[0] == "run"]
    assert run_args[-2:] == ["--baseline", "baseline"]  # what `set --` passes when a baseline was restored
    fallback = step_named("Summary when the audit could not run")
    assert fallback["if"] == "failure()" and "GITHUB_STEP_SUMMARY" in fallback["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    paths = upload["with"]["path"].split()
    assert {"audit-report/report.html", "audit-report/junit.xml", "audit-report/summary.md"} <= set(paths)


def run_step(step: dict[str, Any], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A `run:` step as GitHub runs it on Linux: `bash -e` with the step's env (secrets given in env)."""
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.browser
def test_the_github_steps_for_real_two_nights_against_the_lab(tmp_path: Path) -> None:
    """The workflow's own shell steps, run twice: the second night compares, notifies and summarises."""
    from auditor.lab import Lab
    from tests.engine.labscenario import stripe_scenario
    from tests.webhook_receiver import webhook_receiver

    summary = tmp_path / "step-summary.md"
    token = "hookT0KEN"
    bin_dir = str(Path(sys.executable).parent)  # checkout-auditor, as pip installs it
    with Lab() as lab, webhook_receiver() as receiver:
        env = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "STAGING_URL": lab.url("shop.test").rstrip("/"),
            "AUDITOR_NOTIFY": receiver.url("ok", token),
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        results = []
        for fault in ("none", "tag-absent"):  # night 1 passes, night 2 loses the tag
            shutil.rmtree(tmp_path / "audit-report", ignore_errors=True)
            stripe_scenario(tmp_path / "scenarios", lab, "card", fault=fault)
            audit = run_step(step_named("Audit staging"), tmp_path, env)
            results.append(audit)
            keep = run_step(step_named("Keep this run's results as the next baseline"), tmp_path, env)
            assert keep.returncode == 0, keep.stderr
            assert (tmp_path / "baseline" / "results.json").read_bytes() == (
                tmp_path / "audit-report" / "results.json"
            ).read_bytes()
        posts = receiver.posts("ok")
    first, second = results
    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 1, second.stdout + second.stderr
    assert "comparing with baseline/results.json" in second.stdout and "comparing" not in first.stdout
    # Night 1 passed: no notification (--notify-on failure); night 2 failed: one POST.
    assert len(posts) == 1 and posts[0].json()["baseline"]["changes"][0]["change"] == "new-failure"
    text = summary.read_text(encoding="utf-8")
    assert text.count("## Checkout audit") == 2
    night2 = text.split("## Checkout audit")[2]
    assert night2.startswith(": 1 of 1 scenario did not pass")
    assert "| 🔴 new failure | card | pass | fail |" in night2
    assert "#### ✗ card" in night2
    for output in (first.stdout, first.stderr, second.stdout, second.stderr, text):
        assert token not in output


def test_gitlab_job_audits_with_the_variable_and_publishes_junit_and_the_report() -> None:
    job = load("gitlab-ci.yml")["checkout-audit"]
    assert any("checkout-auditor run" in line and '"$STAGING_URL"' in line for line in job["script"])
    assert any("apt-get install" in line and "chromium" in line for line in job["before_script"])
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"  # kept when the audit fails too
    assert artifacts["reports"]["junit"] == "audit-report/junit.xml"
    assert "audit-report/report.html" in artifacts["paths"] and "audit-report/junit.xml" in artifacts["paths"]
    assert "audit-report/summary.md" in artifacts["paths"]
    assert "allow_failure" not in job  # the audit's exit status gates the pipeline
