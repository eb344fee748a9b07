"""connectif.purchase_recorded on recorded lookups, and the judging around it: no browser, no network."""

from __future__ import annotations

from typing import Any

from auditor.checks import CHECKS, Expectations, run_checks
from auditor.checks.judge import build_result, run_error
from auditor.errors import ErrorKind
from auditor.observation import ConnectifApiLookup, ConnectifApiRecord, Navigation, Observation
from auditor.results import CheckResult, ScenarioStatus, Status
from tests.checks.test_checks import (
    SENT,
    SHOP,
    TRACK_URL,
    make,
    no_tags,
    script_request,
    tracking,
)

ID = "ORDER-42"
API = "https://api.connectif.cloud"
STORED = {
    "id": "6650f0c2a1",
    "purchaseId": ID,
    "totalPrice": 180.75,
    "totalQuantity": 3,
    "products": [{"id": "p-1", "productId": "kb-1", "quantity": 3, "price": 180.75}],
}
ON = {"api": True, "purchase_recorded": "required"}


def record(*statuses: int | None, purchase: dict[str, Any] | None = None, **kw: Any) -> ConnectifApiRecord:
    """The lookups that answered `statuses`, one a second from 6 s on; the last finds `purchase`."""
    lookups = [ConnectifApiLookup(at_ms=6000 + 1000 * i, status=s) for i, s in enumerate(statuses)]
    fields: dict[str, Any] = {"purchase_id": ID, "url": API, "policy": "required", "wait_ms": 5000}
    if purchase is not None:
        fields["found_ms"] = lookups[-1].at_ms
    fields.update(kw)
    return ConnectifApiRecord(lookups=lookups, purchase=purchase, **fields)


def judged(obs: Observation, **exp: Any) -> CheckResult:
    found = CHECKS["connectif.purchase_recorded"](obs, Expectations(**{**ON, **exp}))
    assert found.id == "connectif.purchase_recorded"
    if found.status is Status.PASS:
        assert found.remedy is None
    elif found.status is not Status.SKIP:
        assert found.remedy
    return found


def test_it_comes_right_after_purchase_sent() -> None:
    ids = list(CHECKS)
    assert ids.index("connectif.purchase_recorded") == ids.index("connectif.purchase_sent") + 1


def test_not_judged_without_connectif_api() -> None:
    found = CHECKS["connectif.purchase_recorded"](
        make(connectif_api=record(200, purchase=STORED)), Expectations()
    )
    assert found.status is Status.SKIP and "connectif.api is not set" in found.message


def test_not_judged_under_intercept_unless_given() -> None:
    found = judged(make(), purchase_recorded=None, intercept=True)
    assert found.status is Status.SKIP and "intercept" in found.message
    assert "expect.connectif.purchase_recorded" in found.message


def test_not_judged_without_a_purchase_id() -> None:
    found = judged(no_tags(connectif_requests=[script_request()]))
    assert found.status is Status.SKIP and "no purchase id" in found.message


def test_stored_with_the_tags_values_passes() -> None:
    found = judged(make(connectif_api=record(404, 200, purchase=STORED)))
    assert found.status is Status.PASS
    assert "found at 7.0 s, lookup 2" in found.message
    assert "totalPrice 180.75, totalQuantity 3, products 1 agree with the tag" in found.message
    assert found.evidence["lookups"] == [{"at_ms": 6000, "status": 404}, {"at_ms": 7000, "status": 200}]
    assert found.evidence["stored"] == STORED


def test_stored_with_other_values_fails_and_names_them() -> None:
    stored = {**STORED, "totalPrice": 185.70}
    found = judged(make(connectif_api=record(200, purchase=stored)))
    assert found.status is Status.FAIL
    assert "totalPrice 185.7 (in the tag: 180.75)" in found.message
    assert [d["key"] for d in found.evidence["differences"]] == ["totalPrice"]
    assert "one path only" in (found.remedy or "")
    # optional softens it to a warning, like purchase_sent
    assert judged(make(connectif_api=record(200, purchase=stored)), purchase_recorded="optional").status is (
        Status.WARN
    )


def test_a_different_number_of_products_fails() -> None:
    stored = {**STORED, "products": [*STORED["products"], {"productId": "gift"}]}
    found = judged(make(connectif_api=record(200, purchase=stored)))
    assert found.status is Status.FAIL and "products 2 (in the tag: 1)" in found.message


def test_without_a_tag_the_expected_values_are_compared() -> None:
    obs = no_tags(connectif_requests=[script_request()], connectif_api=record(200, purchase=STORED))
    agree = judged(obs, purchase_id=ID, cn_purchase={"total_price": "180,75", "products": 1})
    assert agree.status is Status.PASS and "agree with the expected values" in agree.message
    differ = judged(obs, purchase_id=ID, cn_purchase={"total_price": "19,99"})
    assert (
        differ.status is Status.FAIL and "totalPrice 180.75 (in the expected values: 19.99)" in differ.message
    )


def test_sent_but_never_stored_names_the_domain_and_the_store() -> None:
    www = "http://www.shop.test:8000/order/confirmation/42"
    obs = make(
        confirmation_url=www,
        navigations=[Navigation(at_ms=3200, url=www, host="www.shop.test")],
        connectif_requests=[script_request(page_url=www), tracking(SENT, page_url=www)],
        connectif_api=record(404, 404, 404, 404, 404, 404),
    )
    found = judged(obs)
    assert found.status is Status.FAIL
    assert found.message.startswith(f"The browser sent purchase {ID} to Connectif (HTTP 200 at 3.6 s)")
    assert "after 5 s (6 lookups, answered 404)" in found.message
    assert "the domain www.shop.test is not among the web channel's authorised domains" in found.message
    assert "store store-1" in found.message and "server sync" in found.message
    assert "list www.shop.test" in (found.remedy or "")
    assert found.evidence["sent_from"] == "www.shop.test"
    assert found.evidence["store_ids"] == {"confirmation_page": ["store-1"], "other_pages": []}


def test_another_stores_script_on_the_confirmation_page_comes_first() -> None:
    other_script = "https://cdn.connectif.cloud/eu8/client-script/store-2"
    other_tracking = TRACK_URL.replace("store-1", "store-2")
    cart = f"{SHOP}/cart"
    obs = make(
        connectif_requests=[
            script_request(at_ms=50, page_url=cart),
            script_request(url=other_script),
            tracking(SENT, url=other_tracking),
        ],
        connectif_api=record(404, 404),
    )
    found = judged(obs)
    assert found.status is Status.FAIL
    reasons = found.message.split("Usually: ", 1)[1]
    assert reasons.startswith(
        "another store's script: the confirmation page ran Connectif's script for store store-2, while the "
        "shop's other pages use store store-1"
    )
    assert found.evidence["store_ids"] == {"confirmation_page": ["store-2"], "other_pages": ["store-1"]}


def test_never_sent_and_never_stored_points_at_the_server_sync() -> None:
    obs = no_tags(connectif_requests=[script_request(), tracking()], connectif_api=record(404, 404))
    found = judged(obs, purchase_id=ID)
    assert found.status is Status.FAIL
    assert found.message.startswith(f"The browser sent no purchase event for {ID}")
    assert "no server sync stored it either" in found.message
    assert "server" in (found.remedy or "") and found.evidence["sent_by_browser"] is False


def test_a_failed_tracking_request_is_not_called_sent() -> None:
    obs = make(connectif_requests=[script_request(), tracking(SENT, status=None, failure="net::ERR_FAILED")])
    found = judged(obs.model_copy(update={"connectif_api": record(404)}))
    assert "tried to send purchase ORDER-42 to Connectif, but the request failed (net::ERR_FAILED)" in (
        found.message
    )


def test_optional_missing_is_a_warning() -> None:
    found = judged(make(connectif_api=record(404, 404)), purchase_recorded="optional")
    assert found.status is Status.WARN


def test_absent_passes_while_missing_and_fails_when_stored() -> None:
    missing = judged(make(connectif_api=record(404, 404, policy="absent")), purchase_recorded="absent")
    assert missing.status is Status.PASS
    assert (
        missing.message == f"Connectif has not stored purchase {ID}, as expected (asked at 6.0 s and 7.0 s)."
    )
    stored = judged(
        make(connectif_api=record(200, purchase=STORED, policy="absent")), purchase_recorded="absent"
    )
    assert stored.status is Status.FAIL and "where no purchase should be recorded" in stored.message


def test_a_refused_key_is_an_error_and_the_browser_checks_still_count() -> None:
    refusal = (
        "Connectif's API at https://api.connectif.cloud refused the key (HTTP 401 Unauthorized): check …"
    )
    obs = make(connectif_api=record(401, error=refusal, refused=True))
    checks = run_checks(obs, Expectations(**ON, confirmation_url="**/order/confirmation/**"))
    statuses = {c.id: c.status for c in checks}
    assert statuses.pop("connectif.purchase_recorded") is Status.SKIP
    assert set(statuses.values()) == {Status.PASS}  # what the browser recorded is judged as ever
    assert run_error(obs, None) == (refusal, ErrorKind.CONNECTIF_API_REFUSED)
    unreachable = make(connectif_api=record(None, error="could not be reached: [Errno 111]"))
    assert run_error(unreachable, None)[1] is ErrorKind.CONNECTIF_API_UNREACHABLE
    # the browser's own error wins: it is the first reason
    assert run_error(obs.model_copy(update={"error": "step 3 failed"}), ErrorKind.STEP_FAILED) == (
        "step 3 failed",
        ErrorKind.STEP_FAILED,
    )


def test_interrupted_lookups_are_an_interruption() -> None:
    obs = make(connectif_api=record(404, interrupted=True))
    assert judged(obs).status is Status.SKIP
    assert run_error(obs, None)[1] is ErrorKind.INTERRUPTED


def test_the_result_carries_connectif_api_and_masks_the_key(tmp_path: Any) -> None:
    from pathlib import Path

    from auditor.scenario.load import LoadedScenario
    from auditor.scenario.model import Scenario

    key = "keyid-1:s3cr3t-value"
    scenario = Scenario.model_validate(
        {
            "name": "x",
            "base_url": SHOP,
            "steps": [{"action": "goto", "args": {"url": "/"}}],
            "connectif": {"api": {"key": key}},
        }
    )
    loaded = LoadedScenario(scenario=scenario, file=Path("x.yaml"), id="x")
    refusal = f"refused the key {key} (HTTP 401)"  # as if a message had leaked it: masking still hides it
    obs = make(connectif_api=record(401, error=refusal, refused=True))
    checks = run_checks(obs, Expectations(**ON))
    result = build_result(
        loaded,
        obs,
        checks,
        error_kind=None,
        screenshots=[],
        artefacts={},
        notes=[],
        attempt=1,
        secret_values=scenario.masked_values(),
    )
    assert result.status is ScenarioStatus.ERROR and result.error_kind is ErrorKind.CONNECTIF_API_REFUSED
    assert key not in result.model_dump_json() and "•••" in (result.error or "")
    assert result.connectif_api is not None
    data = result.model_dump(mode="json")["connectif_api"]
    assert data["purchase_id"] == ID and data["purchase"] is None
    assert data["lookups"] == [{"status": 401, "at_ms": 6000}]
    found = build_result(
        loaded,
        make(connectif_api=record(404, 200, purchase=STORED), duration_ms=6500),
        [],
        error_kind=None,
        screenshots=[],
        artefacts={},
        notes=[],
        attempt=1,
        secret_values=[],
    )
    assert found.connectif_api is not None and found.connectif_api.purchase == STORED
    assert found.duration_ms == 7000  # the verdict waited for the last lookup


def test_no_lookup_record_on_an_errored_run_is_a_stopped_skip() -> None:
    found = judged(make(error="step 7 timed out", error_step="7"))
    assert found.status is Status.SKIP and "the run stopped" in found.message
