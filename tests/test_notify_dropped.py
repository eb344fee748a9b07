"""`--notify-on change` when a scenario of the baseline is not in the new run: the webhook's text names it.

The scenario going away is what made the run notify (compare.changed), so a text that said "no change"
and named nothing left the channel guessing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from auditor.compare import compare_runs
from auditor.notify import NotifyOn, notify, should_notify
from auditor.reports.webhook import MAX_LISTED, Flavour, message_text
from auditor.results import CheckResult, RunResult, ScenarioResult, ScenarioStatus, Status
from tests.webhook_receiver import Receiver, webhook_receiver


def sc(name: str, status: str, file: str | None = None) -> ScenarioResult:
    checks = (
        [CheckResult(id="cn_purchase.present", status=Status.FAIL, message="m")] if status == "fail" else []
    )
    return ScenarioResult(
        name=name,
        file=file or f"scenarios/{name}.yaml",
        status=ScenarioStatus(status),
        duration_ms=1,
        checks=checks,
    )


def compared(old: RunResult, new: RunResult) -> RunResult:
    return new.model_copy(update={"baseline": compare_runs(old, new, baseline_file="prev/results.json")})


def a_run(*scenarios: ScenarioResult) -> RunResult:
    return RunResult(
        started="2026-05-01T10:00:00+00:00", finished="2026-05-01T10:01:00+00:00", scenarios=list(scenarios)
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def test_a_dropped_scenario_is_named_with_its_file_in_the_text_that_is_posted(receiver: Receiver) -> None:
    run = compared(
        a_run(sc("card", "pass"), sc("paypal", "fail", "flows/paypal.yaml")), a_run(sc("card", "pass"))
    )
    post, why = should_notify(run, NotifyOn.CHANGE)
    assert post, why  # the scenario going away is the change
    [delivery] = notify([receiver.url("ok", "t0ken")], run, env={})
    assert delivery.ok
    [got] = receiver.posts("ok")
    assert got.json()["text"].splitlines() == [
        "Checkout audit: all 1 scenario passed (1 passed, 0 failed, 0 errored).",
        "Since the baseline: 1 not run this time.",
        "• not run this time: paypal (flows/paypal.yaml, was fail)",
    ]


def test_dropped_scenarios_come_after_the_moved_ones_and_are_escaped_for_each_receiver() -> None:
    old = a_run(sc("card", "pass"), sc("<!channel> gone", "pass", "a&b/<x>.yaml"))
    run = compared(old, a_run(sc("card", "fail"), sc("new", "pass")))
    slack = message_text(run, Flavour.SLACK, {}).splitlines()
    assert slack[1:4] == [
        "Since the baseline: 1 new failure, 1 new, 1 not run this time.",
        "• new failure: card",
        "• not run this time: &lt;!channel&gt; gone (a&amp;b/&lt;x&gt;.yaml, was pass)",
    ]
    teams = message_text(run, Flavour.TEAMS, {})
    assert "• not run this time: &lt;\\!channel&gt; gone (a&amp;b/&lt;x&gt;.yaml, was pass)" in teams


def test_at_most_ten_dropped_scenarios_are_named() -> None:
    gone = [sc(f"gone{i:02}", "pass") for i in range(MAX_LISTED + 3)]
    run = compared(a_run(sc("card", "pass"), *gone), a_run(sc("card", "pass")))
    lines = message_text(run, Flavour.SLACK, {}).splitlines()
    named = [line for line in lines if line.startswith("• not run this time: ")]
    assert (
        len(named) == MAX_LISTED
        and named[0] == "• not run this time: gone00 (scenarios/gone00.yaml, was pass)"
    )
    assert lines[-1] == "…and 3 more not run this time."
    assert lines[1] == f"Since the baseline: {MAX_LISTED + 3} not run this time."
