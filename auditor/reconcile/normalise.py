"""Order ids as shops get them wrong: spaces, case, a leading '#', a prefix, leading zeros."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from pydantic import computed_field

Normaliser = Callable[[str], str]

# A prefix worth suggesting: letters and separators before the digits ("WEB-", "es_", "PS").
_PREFIXED = re.compile(r"^([^\d]+?)[-_/. ]?(\d.*)$")


@dataclass(frozen=True, kw_only=True)
class Normalisation:
    """How ids are compared; the defaults are always safe, the rest is opt-in."""

    prefixes: tuple[str, ...] = ()
    strip_leading_zeros: bool = False

    def keeps_digits(self) -> bool:
        """Whether an id made only of digits is its own key (lets the hot loop skip the call)."""
        return not self.strip_leading_zeros and not any(p.strip()[:1].isdigit() for p in self.prefixes)

    # reconcile.json carries the rules in words beside the options that made them.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def rules(self) -> tuple[str, ...]:
        """The rules applied, in words (reconcile.json's `normalisation.rules`)."""
        return tuple(self.describe())

    def describe(self) -> list[str]:
        """The rules applied, in words."""
        rules = ["surrounding spaces removed", "case ignored", "a leading '#' removed"]
        rules += [f"prefix {p!r} removed" for p in self.prefixes]
        if self.strip_leading_zeros:
            rules.append("leading zeros of numeric ids removed")
        return rules


def make_normaliser(rules: Normalisation) -> Normaliser:
    """A fast function from a raw id to the key it is matched on."""
    # Longest first, so "web-es-" wins over "web-" when both are given.
    prefixes = tuple(sorted({p.strip().lower() for p in rules.prefixes if p.strip()}, key=len, reverse=True))
    zeros = rules.strip_leading_zeros

    # Specialised closures: this runs once per row of million-row exports.
    def basic(raw: str) -> str:
        key = raw.strip().lower()
        if key[:1] == "#":
            key = key[1:].lstrip()
        return key

    if not prefixes and not zeros:
        return basic

    def full(raw: str) -> str:
        key = basic(raw)
        for prefix in prefixes:
            if key.startswith(prefix):
                key = key[len(prefix) :].lstrip()
                break
        if zeros and key.isdigit():
            key = key.lstrip("0") or "0"
        return key

    return full


@dataclass(frozen=True, kw_only=True)
class NearMisses:
    """Unmatched ids that would match under a rule the user has not switched on."""

    leading_zeros: int
    prefix: str | None
    prefix_matches: int


def near_misses(lost: Collection[str], unknown: Collection[str]) -> NearMisses:
    """How many lost orders would match an unknown purchase by ignoring zeros or a common prefix."""
    if not lost or not unknown:
        return NearMisses(leading_zeros=0, prefix=None, prefix_matches=0)
    zeros = 0
    # Two different ids that agree without their leading zeros: one of them starts with "0".
    if any(k[:1] == "0" for k in lost) or any(k[:1] == "0" for k in unknown):
        lost_zero = {k.lstrip("0") for k in lost if k.isdigit()}
        zeros = sum(1 for k in unknown if k.isdigit() and k.lstrip("0") in lost_zero)
    prefixes: Counter[str] = Counter()
    prefixes.update(_prefix_hits(unknown, lost))
    prefixes.update(_prefix_hits(lost, unknown))
    if not prefixes:
        return NearMisses(leading_zeros=zeros, prefix=None, prefix_matches=0)
    prefix, count = prefixes.most_common(1)[0]
    return NearMisses(leading_zeros=zeros, prefix=prefix, prefix_matches=count)


def _prefix_hits(ids: Iterable[str], others: Collection[str]) -> Iterable[str]:
    for key in ids:
        if key.isdigit():
            continue  # no prefix; the check is far cheaper than the regex
        match = _PREFIXED.match(key)
        if match and match.group(2) in others:
            yield key[: match.start(2)]
