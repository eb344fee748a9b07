"""Under connectif.mode: intercept the auditor answers the tracking request: Connectif never got it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.checks import CHECKS, Expectations
from auditor.lab import Lab
from auditor.results import Status
from tests.checks.test_checks import SENT, make, script_request, tracking
from tests.checks.test_record import ID, record

ROOT = Path(__file__).resolve().parents[2]
INTERCEPTED = [script_request(), tracking(SENT, intercepted=True)]


def test_recorded_under_intercept_does_not_say_connectif_got_it() -> None:
    obs = make(connectif_requests=INTERCEPTED, connectif_api=record(404, 404, 404))
    exp = Expectations(api=True, purchase_recorded="required", intercept=True)
    found = CHECKS["connectif.purchase_recorded"](obs, exp)
    assert found.status is Status.FAIL
    assert "answered by the auditor under connectif.mode: intercept" in found.message
    assert "never reached Connectif" in found.message and "only a server sync" in found.message
    assert f"The browser sent purchase {ID} to Connectif" not in found.message
    assert "authorised domains" not in found.message
    remedy = found.remedy or ""
    assert "Authorized domains" not in remedy and "client-script" not in remedy
    assert "drop connectif.mode: intercept" in remedy and "expect.connectif.purchase_recorded" in remedy
    assert found.evidence["intercepted"] is True
    optional = Expectations(api=True, purchase_recorded="optional", intercept=True)
    assert CHECKS["connectif.purchase_recorded"](obs, optional).status is Status.WARN


def test_sent_under_intercept_says_the_auditor_answered() -> None:
    found = CHECKS["connectif.purchase_sent"](
        make(connectif_requests=INTERCEPTED), Expectations(intercept=True)
    )
    assert found.status is Status.PASS
    assert not found.message.startswith("Connectif was sent")
    assert "answered by the auditor under connectif.mode: intercept" in found.message
    assert "Connectif never got it" in found.message
    let_through = CHECKS["connectif.purchase_sent"](make(), Expectations())  # observe: unchanged
    assert let_through.status is Status.PASS and let_through.message.startswith(
        f"Connectif was sent purchase {ID}"
    )


@pytest.mark.browser
def test_the_lab_under_intercept_blames_the_scenario_not_connectif(tmp_path: Path) -> None:
    # The bundled happy path, with connectif.mode: intercept: the lab's API stand-in never gets the purchase.
    text = (ROOT / "scenarios" / "connectif-api-recorded.yaml").read_text(encoding="utf-8")
    text = text.replace("connectif:\n  api:", "connectif:\n  mode: intercept\n  api:", 1)
    text = text.replace("    wait: 15s\n", "    wait: 3s\n", 1).replace(
        "api_delay_ms=2500", "api_delay_ms=0", 1
    )
    assert "mode: intercept" in text
    scenario = tmp_path / "intercepted.yaml"
    scenario.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    with Lab() as lab:
        env = {
            **os.environ,
            "SHOP_URL": lab.url("shop.test").rstrip("/"),
            "CONNECTIF_API_URL": lab.api_url,
            "CONNECTIF_API_KEY": lab.api_key,
        }
        proc = subprocess.run(
            [sys.executable, "-m", "auditor", "run", str(scenario), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    checks = {c["id"]: c for c in results["scenarios"][0]["checks"]}
    sent, recorded = checks["connectif.purchase_sent"], checks["connectif.purchase_recorded"]
    assert sent["status"] == "pass" and "answered by the auditor" in sent["message"], sent
    assert not sent["message"].startswith("Connectif was sent")
    assert recorded["status"] == "fail", recorded
    assert "connectif.mode: intercept" in recorded["message"] and "only a server sync" in recorded["message"]
    assert "authorised domains" not in recorded["message"]
    assert "Authorized domains" not in recorded["remedy"]
