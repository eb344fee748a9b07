"""Id normalisation: only what is asked for, plus what is always safe."""

from __future__ import annotations

import pytest

from auditor.reconcile.normalise import Normalisation, make_normaliser, near_misses


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("1001", "1001"),
        ("  1001\t", "1001"),
        ("#1001", "1001"),
        ("# 1001", "1001"),
        ("ABC-12x", "abc-12x"),
        ("\u00a01001 ", "1001"),  # a non-breaking space from a spreadsheet
        ("0001001", "0001001"),  # leading zeros are kept unless asked
        ("", ""),
    ],
)
def test_default_rules(raw: str, key: str) -> None:
    assert make_normaliser(Normalisation())(raw) == key


def test_prefixes_are_repeatable_case_insensitive_and_longest_first() -> None:
    normalise = make_normaliser(Normalisation(prefixes=("WEB-", "web-es-", "PS")))
    assert normalise("WEB-1001") == "1001"
    assert normalise("web-es-1001") == "1001"
    assert normalise("#ps1001") == "1001"
    assert normalise("1001") == "1001"
    # Only at the start, and only once.
    assert normalise("1001-WEB-") == "1001-web-"
    assert normalise("WEB-WEB-1") == "web-1"


def test_leading_zeros_only_on_request_and_only_for_numbers() -> None:
    normalise = make_normaliser(Normalisation(strip_leading_zeros=True))
    assert normalise("0001001") == "1001"
    assert normalise("0000") == "0"
    assert normalise("00A1") == "00a1"


def test_keeps_digits_is_false_when_a_rule_can_change_a_number() -> None:
    assert Normalisation().keeps_digits()
    assert Normalisation(prefixes=("WEB-",)).keeps_digits()
    assert not Normalisation(prefixes=("20",)).keeps_digits()
    assert not Normalisation(strip_leading_zeros=True).keeps_digits()


def test_describe_lists_every_rule() -> None:
    rules = Normalisation(prefixes=("WEB-",), strip_leading_zeros=True).describe()
    assert "prefix 'WEB-' removed" in rules
    assert "leading zeros of numeric ids removed" in rules
    assert "case ignored" in rules


def test_near_misses_find_leading_zeros_and_a_common_prefix() -> None:
    lost = {"1001", "1002", "1003", "2001"}
    unknown = {"001001", "web-1002", "web-1003", "9999"}
    found = near_misses(lost, unknown)
    assert found.leading_zeros == 1
    assert found.prefix == "web-"
    assert found.prefix_matches == 2


def test_no_near_misses_when_nothing_is_close() -> None:
    found = near_misses({"1001"}, {"2002"})
    assert (found.leading_zeros, found.prefix, found.prefix_matches) == (0, None, 0)
