"""Tool errors: the auditor could not do its job (exit status 2).

Findings about the shop (a failed check) are never raised; they are results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a scenario ended in `error`: a closed set, so no output needs to parse a message."""

    STEP_FAILED = "step-failed"  # a step could not do what it says
    TIMEOUT = "timeout"  # the scenario passed timeouts.scenario
    INTERRUPTED = "interrupted"  # Ctrl-C while it ran
    NOT_RUN = "not-run"  # never started: Ctrl-C before it, or its worker stopped
    BROWSER_CRASHED = "browser-crashed"  # the browser died or disconnected during the scenario
    BROWSER_UNAVAILABLE = "browser-unavailable"  # no browser could be started (binary, display)
    REMOTE_UNREACHABLE = "remote-unreachable"  # --connect / --cdp / --grid did not answer or refused
    SCENARIO_INVALID = "scenario-invalid"  # the scenario is wrong in a way only the run shows
    HOST_UNREACHABLE = "host-unreachable"  # a host the browser could not resolve or connect to
    LIVE_PAYMENT = "live-payment"  # stopped before a real payment
    AUDITOR_CRASHED = "auditor-crashed"  # a defect of the auditor itself
    CONNECTIF_API_REFUSED = "connectif-api-refused"  # connectif.api.key refused (401, 403)
    # Connectif's API could not be reached, or gave no usable answer (5xx, 429) until connectif.api.wait
    CONNECTIF_API_UNREACHABLE = "connectif-api-unreachable"

    @property
    def tool_failure(self) -> bool:
        """The auditor could not do its job at all (no browser to audit with): exit status 2."""
        return self in (ErrorKind.BROWSER_UNAVAILABLE, ErrorKind.REMOTE_UNREACHABLE)

    @property
    def not_the_shop(self) -> bool:
        """Nothing was learnt about the shop: the tool, the scenario or the network stood in the way."""
        return self.tool_failure or self in (ErrorKind.SCENARIO_INVALID, ErrorKind.HOST_UNREACHABLE)

    @property
    def advice(self) -> str:
        """What to do about a scenario that ended this way, for the outputs' "What to do" line (the
        error's own message names the place: the step's line, the key, the host)."""
        return _ERROR_ADVICE[self]


_ERROR_ADVICE = {
    ErrorKind.STEP_FAILED: "look at the page where the step stopped (the report has it): if the element is "
    "there under another selector, mend the step at the line the error names; if it is missing, the shop's "
    "page changed.",
    ErrorKind.TIMEOUT: "the report's timeline shows the slow step; raise timeouts.scenario if the shop is "
    "only slow.",
    ErrorKind.INTERRUPTED: "the run was interrupted while this scenario ran: run it again.",
    ErrorKind.NOT_RUN: "this scenario never started (the run was interrupted, or its browser's worker "
    "stopped): run it again.",
    ErrorKind.BROWSER_CRASHED: "the browser went away during the scenario: run it again; if it happens "
    "again, run fewer --workers or give the machine more memory.",
    ErrorKind.BROWSER_UNAVAILABLE: "no browser could be started: `checkout-auditor doctor` says which one "
    "the auditor would use and why it does not start.",
    ErrorKind.REMOTE_UNREACHABLE: "the remote browser (--connect, --cdp or --grid) did not answer or "
    "refused: check its URL and that it is running.",
    ErrorKind.SCENARIO_INVALID: "the scenario is wrong, not the shop: mend the key the error names.",
    ErrorKind.HOST_UNREACHABLE: "the browser could not reach a host: add or correct its hosts: entry, check "
    "DNS or the VPN, or start the server the error names.",
    ErrorKind.LIVE_PAYMENT: "the auditor stopped before a real payment: point the scenario at the "
    "platform's sandbox (or run with --allow-live-payments if a real payment is meant).",
    ErrorKind.AUDITOR_CRASHED: "a defect of the auditor itself: please report it with this run's "
    "results.json (secrets are masked in it).",
    ErrorKind.CONNECTIF_API_REFUSED: "Connectif's API refused connectif.api.key: mend the key at the line "
    "the error names.",
    ErrorKind.CONNECTIF_API_UNREACHABLE: "Connectif's API could not be reached or did not answer usefully: "
    "check connectif.api.url at the line the error names and the network, or run it again later.",
}


# Control characters (a terminal's escape sequences among them) other than the tab: an error message
# repeats selectors and page text, which must not colour or move a terminal's cursor.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def first_line(error: BaseException | str, limit: int = 300) -> str:
    """The first non-empty line of an error message (its type's name when it has none), cut to `limit`,
    with control characters shown as escapes (ESC as \\x1b)."""
    text = str(error).strip()
    if not text:
        return type(error).__name__ if isinstance(error, BaseException) else ""
    line = text.splitlines()[0][:limit]
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", line)


class AuditorError(Exception):
    """The auditor could not audit: bad input, no browser, a bad option."""

    exit_status = 2

    def __init__(self, headline: str, *, tip: str | None = None, details: list[str] | None = None):
        super().__init__(headline)
        self.headline = headline
        self.tip = tip
        self.details = details or []

    def render(self) -> str:
        """The message a person reads: headline, details, tip."""
        lines = [self.headline, *(f"  {d}" for d in self.details)]
        if self.tip:
            lines.append(f"  tip: {self.tip}")
        return "\n".join(lines)


class GridError(AuditorError):
    """No browser from the grid: it cannot be reached, refused the session, or gave one without DevTools.

    Here rather than in engine/grid.py, so that a run without --grid can catch it without importing the
    grid client (urllib.request and http.client, a few milliseconds of every run).
    """

    def one_line(self) -> str:
        """The headline and the tip in one line, for a scenario's error field."""
        return f"{self.headline}; {self.tip}" if self.tip else self.headline


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong in an input file, located precisely."""

    file: str
    line: int | None
    column: int | None
    key: str
    message: str
    tip: str | None = None

    def where(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        return place

    def render(self) -> str:
        text = (
            f"{self.where()}: {self.key}: {self.message}" if self.key else (f"{self.where()}: {self.message}")
        )
        if self.tip:
            text += f"\n    tip: {self.tip}"
        return text


class InputError(AuditorError):
    """One or more problems in input files (scenarios, CSV exports)."""

    def __init__(self, problems: list[Problem], *, truncated: bool = False):
        """`truncated`: the last problem only says that more were found and are not shown."""
        self.problems = problems
        self.truncated = truncated
        files = sorted({p.file for p in problems})
        if truncated:
            counted = f"more than {len(problems) - 1} problems"
        else:
            counted = f"{len(problems)} {'problem' if len(problems) == 1 else 'problems'}"
        super().__init__(f"{counted} in {', '.join(files)}")

    def render(self) -> str:
        return "\n".join([self.headline, *(p.render() for p in self.problems)])
