"""first_line: the one line of an exception that every output repeats."""

from __future__ import annotations

from auditor.errors import first_line


def test_control_characters_are_shown_as_escapes_never_sent_to_a_terminal() -> None:
    # A selector from a var holding ESC [31m, repeated by Playwright's own message.
    error = RuntimeError("waiting for locator('#nope \x1b[31mANSI\x07')\n  call log: …")
    line = first_line(error)
    assert line == "waiting for locator('#nope \\x1b[31mANSI\\x07')"
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in line)
    assert first_line("a\tb") == "a\tb"  # a tab is white space, kept
