"""Webhooks: the JSON and its `text`, escaping by the receiver's rules, delivery to a real local server."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from auditor.compare import compare_runs
from auditor.errors import AuditorError
from auditor.notify import (
    MAX_ATTEMPTS,
    NotifyOn,
    check_url,
    mask_url,
    notify,
    post,
    should_notify,
    url_secrets,
)
from auditor.reports.summary import ZWSP
from auditor.reports.webhook import Flavour, flavour_of, message_text, payload, slack_text
from auditor.results import CheckResult, RunResult, ScenarioResult, ScenarioStatus, Status
from tests.reports.sample import HOSTILE
from tests.webhook_receiver import Receiver, webhook_receiver

TOKEN = "T0KEN7f3a9c"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def sc(name: str, status: str, *, failed: str | None = None) -> ScenarioResult:
    checks = [CheckResult(id=failed, status=Status.FAIL, message="m")] if failed else []
    return ScenarioResult(name=name, file=f"{name[:20]}.yaml", status=status, duration_ms=1, checks=checks)


def a_run(*scenarios: ScenarioResult) -> RunResult:
    return RunResult(
        started="2026-05-01T10:00:00+00:00", finished="2026-05-01T10:01:00+00:00", scenarios=list(scenarios)
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/•••"),
        (
            "https://example.webhook.office.com/webhookb2/abc@def/IncomingWebhook/x/y",
            "https://example.webhook.office.com/•••",
        ),
        ("http://127.0.0.1:8123/hook?token=abc", "http://127.0.0.1:8123/•••"),
        ("https://user:pass@host.example/", "https://host.example/•••"),
        ("https://host.example/", "https://host.example/"),
        ("https://host.example", "https://host.example/"),
    ],
)
def test_a_webhook_url_shows_only_scheme_host_and_port(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    for secret in url_secrets(url):
        assert secret not in mask_url(url)


@pytest.mark.parametrize(
    "url", ["ftp://host/x", "file:///etc/passwd", "hooks.slack.com/services/x", "https:///x"]
)
def test_only_http_urls_with_a_host_are_webhooks(url: str) -> None:
    with pytest.raises(AuditorError) as caught:
        check_url(url)
    assert "is not a webhook URL" in caught.value.headline
    assert "passwd" not in caught.value.headline and "services" not in caught.value.headline


def test_flavour_follows_the_receivers_host() -> None:
    assert flavour_of("https://hooks.slack.com/services/x") is Flavour.SLACK
    assert flavour_of("https://contoso.webhook.office.com/webhookb2/x") is Flavour.TEAMS
    assert flavour_of("https://prod-12.westeurope.logic.azure.com/workflows/x") is Flavour.TEAMS
    assert flavour_of("https://mattermost.example/hooks/x") is Flavour.SLACK
    assert flavour_of("https://evil-office.com.example/x") is Flavour.SLACK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel> now", "&lt;!channel&gt; now"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<http://evil.example|your bank>", "&lt;http://evil.example|your bank&gt;"),
        ("<@U123> look", "&lt;@U123&gt; look"),
        ("@here and @channel and @everyone", f"@{ZWSP}here and @{ZWSP}channel and @{ZWSP}everyone"),
        ("Fish & Chips", "Fish &amp; Chips"),
        ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),  # an entity stays literal, not a way around
        ("line\nbreak", "line break"),
    ],
)
def test_slack_text_cannot_mention_or_link(text: str, expected: str) -> None:
    assert slack_text(text) == expected


def test_the_text_holds_counts_changes_and_escaped_names_for_each_receiver() -> None:
    old = a_run(sc("Card", "pass"), sc("PayPal", "fail", failed="payment.return"))
    new = a_run(
        sc("<!channel> Card", "pass"), sc("Card", "fail", failed="cn_purchase.present"), sc("PayPal", "pass")
    )
    new = new.model_copy(update={"baseline": compare_runs(old, new, baseline_file="old.json")})
    slack = message_text(new, Flavour.SLACK, {})
    assert slack.splitlines() == [
        "Checkout audit: 1 of 3 scenarios did not pass (2 passed, 1 failed, 0 errored).",
        "Since the baseline: 1 new failure, 1 fixed, 1 new.",
        "• new failure: Card",
        "• fixed: PayPal",
        "• FAIL Card: cn_purchase.present",
    ]
    hostile = a_run(
        *(sc(h, "fail", failed="page.errors") for h in ["[x](http://evil.example)", "@here", *HOSTILE])
    )
    strings = ["[x](http://evil.example)", "@here", *HOSTILE]
    for flavour in Flavour:
        for one in strings:  # one scenario a time: the text lists ten at most
            text = message_text(a_run(sc(one, "fail", failed="page.errors")), flavour, {})
            assert "<" not in text and ">" not in text  # no Slack link or mention, no HTML for Teams
            assert "@here" not in text
    teams = message_text(hostile, Flavour.TEAMS, {})
    assert "\\[x\\]\\(http\u200b://evil.example\\)" in teams  # Markdown-escaped for Teams
    assert "\n\n" in teams  # Teams joins single line breaks


def test_the_ci_run_is_linked_by_our_own_link_only() -> None:
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "shop/audit", "GITHUB_RUN_ID": "9"}
    run = a_run(sc("x", "fail", failed="payment.return"))
    assert message_text(run, Flavour.SLACK, env).endswith(
        "Report: <https://github.com/shop/audit/actions/runs/9|the CI run>"
    )
    assert message_text(run, Flavour.TEAMS, env).endswith(
        "Report: [the CI run](https://github.com/shop/audit/actions/runs/9)"
    )


def test_payload_carries_counts_failures_and_changes() -> None:
    old = a_run(sc("a", "pass"))
    new = a_run(sc("a", "error"))
    new = new.model_copy(update={"baseline": compare_runs(old, new, baseline_file="old.json")})
    body = payload(new, Flavour.SLACK, {})
    assert body["counts"] == {"pass": 0, "fail": 0, "error": 1, "flaky": 0, "total": 1}
    assert body["failing"] == [
        {"name": "a", "file": "a.yaml", "status": "error", "failed_checks": [], "error": None}
    ]
    assert body["baseline"]["changes"] == [
        {"name": "a", "file": "a.yaml", "change": "new-failure", "was": "pass", "now": "error"}
    ]
    assert json.loads(json.dumps(body)) == body


def test_when_to_notify() -> None:
    passing = a_run(sc("a", "pass"))
    failing = a_run(sc("a", "fail"))
    assert should_notify(passing, NotifyOn.FAILURE)[0] is False
    assert should_notify(failing, NotifyOn.FAILURE)[0] is True
    assert should_notify(passing, NotifyOn.ALWAYS)[0] is True
    assert should_notify(failing, NotifyOn.CHANGE) == (False, "no baseline to compare with")
    same = failing.model_copy(update={"baseline": compare_runs(failing, failing, baseline_file="x")})
    assert should_notify(same, NotifyOn.CHANGE)[0] is False
    fixed = passing.model_copy(update={"baseline": compare_runs(failing, passing, baseline_file="x")})
    assert should_notify(fixed, NotifyOn.CHANGE)[0] is True
    assert should_notify(fixed, NotifyOn.FAILURE)[0] is False


def test_one_post_with_the_json(receiver: Receiver) -> None:
    run = a_run(sc("a", "fail", failed="payment.return"))
    [delivery] = notify([receiver.url("ok", TOKEN)], run, env={})
    assert delivery.ok and delivery.status == 200 and delivery.attempts == 1
    assert TOKEN not in delivery.url
    [got] = receiver.posts("ok")
    assert got.headers["Content-Type"] == "application/json"
    assert got.json()["counts"]["fail"] == 1
    assert got.json()["text"].startswith("Checkout audit: 1 of 1 scenario did not pass")


def test_a_user_and_password_in_the_url_are_sent_as_basic_authentication(receiver: Receiver) -> None:
    url = receiver.url("ok", TOKEN).replace("http://", "http://hook%40ci:pa55%3Aword@", 1)
    delivery = post(url, b"{}", deadline_s=10)
    assert delivery.ok and delivery.status == 200, delivery.problem
    assert "pa55" not in delivery.url and "hook" not in delivery.url
    [got] = receiver.posts("ok")
    assert got.headers["Authorization"] == "Basic " + base64.b64encode(b"hook@ci:pa55:word").decode()


def test_a_500_is_retried_with_back_off_then_given_up(receiver: Receiver) -> None:
    started = time.monotonic()
    delivery = post(receiver.url("fail", TOKEN), b"{}", deadline_s=20)
    elapsed = time.monotonic() - started
    assert not delivery.ok and delivery.status == 500 and delivery.attempts == MAX_ATTEMPTS
    assert len(receiver.posts("fail")) == MAX_ATTEMPTS
    assert delivery.problem == f"HTTP 500 Internal Server Error after {MAX_ATTEMPTS} attempts"
    assert elapsed >= 0.5 + 1 + 2  # it backed off between the attempts, doubling
    assert TOKEN not in (delivery.problem or "") + delivery.url


def test_the_deadline_bounds_the_retries(receiver: Receiver) -> None:
    delivery = post(receiver.url("fail", TOKEN), b"{}", deadline_s=1.0)
    assert not delivery.ok and delivery.attempts == 2  # 0 s, then 0.5 s; the next back-off would pass it
    assert len(receiver.posts("fail")) == 2


def test_a_webhook_that_never_answers_is_given_up_at_the_deadline(receiver: Receiver) -> None:
    started = time.monotonic()
    delivery = post(receiver.url("hang", TOKEN), b"{}", deadline_s=1.5)
    elapsed = time.monotonic() - started
    assert not delivery.ok and delivery.status is None
    assert delivery.problem == "no answer within 1.5 s"
    assert len(receiver.posts("hang")) == 1  # a request that may have arrived is not sent twice
    assert elapsed < 10  # bounded: the deadline, not the server, ends it


def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    delivery = post(receiver.url("redirect", TOKEN), b"{}", deadline_s=5)
    assert not delivery.ok and delivery.status == 307
    assert "not followed" in (delivery.problem or "")
    assert receiver.posts("ok") == []


def test_a_refused_connection_is_retried_and_reported_without_the_token() -> None:
    with socket.socket() as probe:  # a free port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = post(f"http://127.0.0.1:{port}/hook/{TOKEN}", b"{}", deadline_s=2)
    assert not delivery.ok and delivery.attempts >= 2
    assert (delivery.problem or "").startswith("cannot connect")
    assert delivery.url == f"http://127.0.0.1:{port}/•••"


def test_a_stop_ends_the_back_off_at_once(receiver: Receiver) -> None:
    stop = threading.Event()
    stop.set()
    delivery = post(receiver.url("fail", TOKEN), b"{}", deadline_s=30, stop=stop)
    assert delivery.attempts == 1 and len(receiver.posts("fail")) == 1


def test_errors_scenarios_count_as_not_passing_in_the_text() -> None:
    run = a_run(
        ScenarioResult(
            name="x", file="x.yaml", status=ScenarioStatus.ERROR, duration_ms=1, error="boom <!here>"
        )
    )
    assert message_text(run, Flavour.SLACK, {}).splitlines()[-1] == "• ERROR x: error: boom &lt;!here&gt;"
