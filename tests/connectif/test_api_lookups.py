"""The lookups' schedule (`lookups`) on scripted answers and a clock that only moves when waited on.

No network and no real waiting: the client answers from a script, and `stop.wait(t)` advances the
clock by `t`, so each test asserts exactly when each lookup would have been asked.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from auditor.connectif.api import (
    MIN_INTERVAL_S,
    Answer,
    ApiRefused,
    ApiUnreachable,
    ConnectifApiError,
    lookups,
    parse_retry_after,
    purchase_path,
)

FOUND = {"purchaseId": "A-1", "totalPrice": 10.0, "totalQuantity": 1, "products": []}


class Clock:
    """Time that passes only when someone waits; `stop_at` makes a wait report Ctrl-C."""

    def __init__(self, stop_at: float | None = None) -> None:
        self.now = 100.0
        self.stop_at = stop_at

    def __call__(self) -> float:
        return self.now

    def is_set(self) -> bool:
        return self.stop_at is not None and self.now >= self.stop_at

    def wait(self, timeout: float | None = None) -> bool:
        target = self.now + (timeout or 0.0)
        if self.stop_at is not None and target >= self.stop_at:
            self.now = self.stop_at
            return True
        self.now = target
        return False


class Scripted:
    """A client that answers from a list (the last answer repeats) and notes when it was asked."""

    url = "http://api.test"

    def __init__(self, clock: Clock, *answers: Answer | ConnectifApiError) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.asked: list[float] = []

    def get_purchase(self, purchase_id: str) -> Answer:
        assert purchase_id == "A-1"
        self.asked.append(self.clock.now - 100.0)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, ConnectifApiError):
            raise answer
        return answer


MISSING = Answer(status=404)
HERE = Answer(status=200, purchase=FOUND)


def run(client: Scripted, clock: Clock, policy: str = "required", wait_ms: int = 5000):  # type: ignore[no-untyped-def]
    return lookups(
        client,
        "A-1",
        policy=policy,
        wait_ms=wait_ms,
        started=90.0,
        stop=clock,
        clock=clock,  # type: ignore[arg-type]
    )


def test_asks_once_a_second_until_found() -> None:
    clock = Clock()
    client = Scripted(clock, MISSING, MISSING, HERE)
    record = run(client, clock)
    assert client.asked == [0.0, 1.0, 2.0]
    assert [x.status for x in record.lookups] == [404, 404, 200]
    assert [x.at_ms for x in record.lookups] == [10_000, 11_000, 12_000]  # from the scenario's start
    assert record.purchase == FOUND and record.found_ms == 12_000 and record.error is None


def test_still_missing_at_the_end_of_wait_asks_at_the_end() -> None:
    clock = Clock()
    client = Scripted(clock, MISSING)
    record = run(client, clock, wait_ms=3500)
    assert client.asked == [0.0, 1.0, 2.0, 3.0, 3.5]
    assert record.purchase is None and record.error is None and not record.interrupted


def test_never_faster_than_once_a_second() -> None:
    clock = Clock()
    client = Scripted(clock, MISSING)
    run(client, clock, wait_ms=10_000)
    gaps = [b - a for a, b in itertools.pairwise(client.asked)]
    assert gaps and min(gaps) >= MIN_INTERVAL_S


def test_retry_after_is_honoured() -> None:
    clock = Clock()
    client = Scripted(clock, Answer(status=429, retry_after_s=3.0), MISSING, HERE)
    record = run(client, clock)
    assert client.asked == [0.0, 3.0, 4.0]
    assert record.lookups[0].retry_after_ms == 3000 and record.purchase == FOUND


def test_a_retry_after_beyond_wait_keeps_what_was_answered() -> None:
    clock = Clock()
    client = Scripted(clock, MISSING, Answer(status=429, retry_after_s=30.0), HERE)
    record = run(client, clock)
    assert client.asked == [0.0, 1.0]  # never asked again: the API said not before 31 s
    assert record.purchase is None and record.error is None


def test_only_429s_until_the_end_is_no_answer() -> None:
    clock = Clock()
    client = Scripted(clock, Answer(status=429, retry_after_s=2.0, reason="HTTP 429 Too Many Requests"))
    record = run(client, clock)
    assert record.error is not None and "HTTP 429 Too Many Requests" in record.error
    assert "connectif.api.wait (5 s)" in record.error and not record.refused


def test_server_errors_are_asked_again() -> None:
    clock = Clock()
    client = Scripted(
        clock, Answer(status=503, reason="HTTP 503"), Answer(status=500, reason="HTTP 500"), HERE
    )
    assert run(client, clock).purchase == FOUND and client.asked == [0.0, 1.0, 2.0]


def test_absent_asks_at_the_start_and_at_the_end() -> None:
    clock = Clock()
    client = Scripted(clock, MISSING)
    record = run(client, clock, policy="absent", wait_ms=8000)
    assert client.asked == [0.0, 8.0]
    assert record.purchase is None and record.policy == "absent"


def test_absent_that_is_found_at_once_stops_there() -> None:
    clock = Clock()
    client = Scripted(clock, HERE)
    assert run(client, clock, policy="absent").purchase == FOUND and client.asked == [0.0]


def test_a_refused_key_ends_at_once() -> None:
    clock = Clock()
    client = Scripted(clock, ApiRefused("refused the key (HTTP 401 Unauthorized)", status=401))
    record = run(client, clock)
    assert client.asked == [0.0] and record.refused and record.error is not None
    assert record.lookups[0].status == 401


def test_unreachable_at_first_ends_at_once_but_a_later_lost_connection_is_asked_again() -> None:
    clock = Clock()
    first = Scripted(clock, ApiUnreachable("could not be reached: [Errno 111] Connection refused"))
    record = run(first, clock)
    assert first.asked == [0.0] and record.error and not record.refused
    clock = Clock()
    later = Scripted(clock, MISSING, ApiUnreachable("connection reset"), HERE)
    record = run(later, clock)
    assert later.asked == [0.0, 1.0, 2.0] and record.purchase == FOUND
    assert record.lookups[1].status is None and record.lookups[1].error == "connection reset"


def test_an_answer_that_is_not_about_the_purchase_is_an_error() -> None:
    clock = Clock()
    client = Scripted(clock, Answer(status=400, reason="HTTP 400 Bad Request"))
    record = run(client, clock)
    assert client.asked == [0.0] and record.error is not None and "connectif.api.url" in record.error


def test_stop_interrupts_the_wait() -> None:
    clock = Clock(stop_at=102.5)
    client = Scripted(clock, MISSING)
    record = run(client, clock)
    assert client.asked == [0.0, 1.0, 2.0] and record.interrupted


def test_zero_wait_asks_once() -> None:
    clock = Clock()
    client = Scripted(clock, MISSING)
    run(client, clock, wait_ms=0)
    assert client.asked == [0.0]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("99999999", 3600.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2024, 9, 13, 10, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=7), usegmt=True)  # "Fri, 13 Sep 2024 10:00:07 GMT"
    assert parse_retry_after(header, now=now) == 7.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now=now) == 0.0


def test_the_id_is_url_encoded_whole() -> None:
    assert purchase_path("ORD 1/2?x#y") == "/purchases/purchase-id/ORD%201%2F2%3Fx%23y"
    assert purchase_path("Pedido-ñ") == "/purchases/purchase-id/Pedido-%C3%B1"
