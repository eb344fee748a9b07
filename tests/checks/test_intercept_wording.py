"""Under connectif.mode: intercept no check says that Connectif was sent (or got) anything.

The auditor answers the tracking requests itself: Connectif's script sent the purchase, the auditor
answered it, Connectif never received it. Every check is run on recorded journeys whose tracking
requests were intercepted (the contact identified, anonymous or another one, a cart left open, a
duplicate, values that differ, a purchase Connectif's API has from a server sync).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from auditor.checks import CHECKS, Expectations
from auditor.observation import Observation
from auditor.results import Status
from tests.checks.test_checks import EMAIL, make, script_request, tracking
from tests.checks.test_journey import CART_PAGE, page, sent_with, tagged, with_journey
from tests.checks.test_record import ID, STORED, record

# What a text may not claim under intercept: that Connectif was sent, got or received something.
CLAIMS = re.compile(
    r"Connectif was sent|sent (?:it |purchase \S+ )?to Connectif|Connectif (?:got|received|was told)", re.I
)
NOT_RECEIVED = "Connectif did not receive"


def intercepted(obs: Observation) -> Observation:
    """The same facts, with every tracking request answered by the auditor."""
    requests = [r.model_copy(update={"intercepted": r.kind == "tracking"}) for r in obs.connectif_requests]
    return obs.model_copy(update={"connectif_requests": requests})


ANONYMOUS = [script_request(), tracking(sent_with(), entity_info={"trackerId": "t"})]
JOURNEYS: dict[str, tuple[Observation, dict[str, Any]]] = {
    "identified": (make(), {}),
    "another contact": (make(), {"contact_email": "grace@example.com"}),
    "anonymous": (with_journey(page(CART_PAGE, 100), connectif_requests=ANONYMOUS), {"contact": "required"}),
    "cart left open": (make(**tagged(None)), {}),
    "duplicate": (
        make(connectif_requests=[script_request(), tracking(sent_with(), sent_with())]),
        {"duplicates": "fail"},
    ),
    "values differ": (make(connectif_requests=[script_request(), tracking(sent_with(totalPrice=99.0))]), {}),
    "stored by a server sync": (
        make(connectif_api=record(200, purchase=STORED)),
        {"api": True, "purchase_recorded": "required"},
    ),
}


@pytest.mark.parametrize("journey", list(JOURNEYS))
def test_no_check_says_connectif_was_sent_what_the_auditor_answered(journey: str) -> None:
    obs, exp = JOURNEYS[journey]
    for check in CHECKS.values():
        found = check(intercepted(obs), Expectations(intercept=True, **exp))
        for text in (found.message, found.remedy or ""):
            assert not CLAIMS.search(text), f"{found.id}: {text}"


@pytest.mark.parametrize(
    ("journey", "check_id", "status", "said"),
    [
        (
            "identified",
            "contact.identified",
            Status.PASS,
            f"Connectif's script sent purchase {ID} for the contact",
        ),
        ("another contact", "contact.identified", Status.FAIL, f"for the contact {EMAIL}, not for grace@"),
        (
            "anonymous",
            "contact.identified",
            Status.FAIL,
            f"Connectif's script sent purchase {ID} for an anonymous",
        ),
        (
            "cart left open",
            "cn_cart.closed",
            Status.FAIL,
            "would not let Connectif close the cart just paid for",
        ),
        (
            "duplicate",
            "connectif.purchase_sent",
            Status.FAIL,
            f"Connectif's script sent purchase {ID} 2 times",
        ),
        ("values differ", "connectif.purchase_sent", Status.FAIL, "but with values that differ from the tag"),
        ("stored by a server sync", "connectif.purchase_recorded", Status.PASS, "came by another path"),
    ],
)
def test_under_intercept_the_texts_say_the_script_sent_it_and_connectif_did_not_receive_it(
    journey: str, check_id: str, status: Status, said: str
) -> None:
    obs, exp = JOURNEYS[journey]
    found = CHECKS[check_id](intercepted(obs), Expectations(intercept=True, **exp))
    assert found.status is status, found.message
    assert said in found.message, found.message
    if check_id == "connectif.purchase_recorded":
        assert "answered by the auditor (connectif.mode: intercept)" in found.message
        assert found.evidence["intercepted"] is True
    else:
        assert NOT_RECEIVED in found.message and "connectif.mode: intercept" in found.message, found.message
    # Let through (connectif.mode: observe), the same facts say what they always said.
    observed = CHECKS[check_id](obs, Expectations(**exp))
    assert observed.status is status
    assert NOT_RECEIVED not in observed.message and "intercept" not in observed.message


def test_a_duplicate_under_intercept_speaks_of_those_requests() -> None:
    first, second = tracking(sent_with(), at_ms=3600), tracking(sent_with(), at_ms=3900)
    obs = intercepted(make(connectif_requests=[script_request(), first, second]))
    found = CHECKS["connectif.purchase_sent"](obs, Expectations(intercept=True))
    assert found.status is Status.WARN
    assert "in 2 request(s)" in found.message
    assert "The auditor answered those requests itself (connectif.mode: intercept)" in found.message
    assert found.message.endswith("Connectif did not receive them.")
