"""Scenario files against the lab, written by tests with the switches each one needs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.lab import Lab

CARD = "4000 0025 0000 3155"  # the secret every scenario types; no output may contain it

STRIPE = """\
name: {name}
tags: [{tags}]
base_url: {base}
hosts: {hosts}
timeouts: {{step: {step}, navigation: {navigation}, scenario: {scenario}, tracking: 3s}}
secrets:
  card: "{card}"
steps:
  - goto: /?platform=stripe&fault={fault}&key={key}&samesite=unset
  - goto: /product/keyboard
  - click: "#add-to-cart"
  - wait_for: {{url: "**/cart"}}
  - goto: /checkout
  - fill: {{selector: "#email", value: "buyer@example.com"}}
  - pay:
      provider: Stripe Checkout
      submit: "#pay"
      hosts: [checkout.stripe.test]
      steps:
        - fill: {{selector: "#cardNumber", value: "{{{{card}}}}"}}
        - fill: {{selector: "#billingName", value: "Ada Lovelace"}}
        - screenshot: card-typed
        - click: "#submit"
  - capture: {{name: order_id, selector: .order-number}}
expect:
  confirmation_url: "**/order/confirmation/**"
  cn_purchase: {{purchase_id: "{{{{order_id}}}}", products: 1}}
"""


def stripe_scenario(
    folder: Path,
    lab: Lab,
    name: str,
    *,
    fault: str = "none",
    key: str = "default",
    tags: str = "lab",
    step: str = "10s",
    navigation: str = "15s",
    scenario: str = "60s",
) -> Path:
    """Write a Stripe-Checkout scenario with the given lab fault; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(
        STRIPE.format(
            name=name,
            tags=tags,
            base=lab.url("shop.test").rstrip("/"),
            hosts=json.dumps(lab.hosts),
            fault=fault,
            key=key,
            card=CARD,
            step=step,
            navigation=navigation,
            scenario=scenario,
        ),
        encoding="utf-8",
    )
    return path


def held_on_platform_ms(timeline: Sequence[Mapping[str, Any]], platform: str) -> int:
    """From the commit of the platform's last page to the commit of the next page, off the platform (a
    results.json timeline). A platform's return timer runs on that page, so this is at least its delay."""
    last = max((n for n in timeline if n["host"] == platform), key=lambda n: n["at_ms"])
    back = min(n["at_ms"] for n in timeline if n["host"] != platform and n["at_ms"] >= last["at_ms"])
    return int(back - last["at_ms"])
