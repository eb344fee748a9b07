"""Secrets in a recording: which typed values are never written, and the names they get instead.

The browser-side script decides first (it sees the field's name, id, autocomplete and type) and sends
the kind of secret instead of the value; these rules are applied again here to every value that does
arrive, so that a card number the page-side rules missed is still never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("card_number", "security_code", "expiry", "password")
LABELS = {
    "card_number": "card number",
    "security_code": "security code",
    "expiry": "card expiry date",
    "password": "password",
}
# kind → the scenario variable (a `{{name}}`) and the environment variable that supplies it
_VARIABLE = {"card_number": "card_number", "security_code": "security_code", "expiry": "card_expiry"}


def luhn_valid(value: str) -> bool:
    """13 to 19 digits (spaces and dashes allowed between them) that pass the Luhn check."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"[0-9]{13,19}", digits):
        return False
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def site_of(host: str) -> str:
    """A short name for a host's site: `sandbox.paypal.com` → `paypal`, `shop.test` → `shop`."""
    labels = [label for label in host.lower().split(".") if label]
    if len(labels) >= 2:
        name = labels[-2]
    elif labels:
        name = labels[0]
    else:
        name = "site"
    name = re.sub(r"[^a-z0-9]+", "_", name).strip("_") or "site"
    return name if name[0].isalpha() else f"site_{name}"


@dataclass(frozen=True, kw_only=True)
class SecretName:
    """The names a secret goes by: `{{variable}}` in the steps, `${env}` in `secrets:`."""

    variable: str
    env: str
    kind: str
    host: str

    def describe(self) -> str:
        """What a person typed there, in words."""
        return f"the {LABELS.get(self.kind, self.kind)} typed on {self.host}"


class SecretNames:
    """Hands out one name per kind of secret (per site, for passwords), in the order they were typed."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], SecretName] = {}

    def name_for(self, kind: str, host: str) -> SecretName:
        """The name for this kind of secret typed on this host; the same one each time it is asked."""
        site = site_of(host)
        key = (kind, site if kind == "password" else "")
        found = self._by_key.get(key)
        if found is not None:
            return found
        variable = f"{site}_password" if kind == "password" else _VARIABLE.get(kind, kind)
        taken = {n.variable for n in self._by_key.values()}
        base, n = variable, 2
        while variable in taken:
            variable = f"{base}_{n}"
            n += 1
        name = SecretName(variable=variable, env=variable.upper(), kind=kind, host=host)
        self._by_key[key] = name
        return name

    def all(self) -> list[SecretName]:
        """Every name handed out, in order."""
        return list(self._by_key.values())
