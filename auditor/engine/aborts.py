"""Why a scenario stops early: one exception per ErrorKind, so results never carry a message prefix."""

from __future__ import annotations

from typing import ClassVar

from auditor.errors import ErrorKind


class ScenarioAbort(Exception):
    """The scenario cannot go on; `kind` is what results.json's `error_kind` says."""

    kind: ClassVar[ErrorKind] = ErrorKind.AUDITOR_CRASHED


class StepFailed(ScenarioAbort):
    """A step could not do what it says (an element that never appears, a page that does not load)."""

    kind = ErrorKind.STEP_FAILED


class ScenarioTimeout(ScenarioAbort):
    """The scenario's own deadline passed."""

    kind = ErrorKind.TIMEOUT


class Interrupted(ScenarioAbort):
    """The run was stopped (Ctrl-C): the scenario ends at the next step boundary or wait."""

    kind = ErrorKind.INTERRUPTED


class BrowserGone(ScenarioAbort):
    """The customer's window or the whole browser went away in the middle of a scenario."""

    kind = ErrorKind.BROWSER_CRASHED


class LivePaymentStopped(ScenarioAbort):
    """Stopped before a real payment: a production payment endpoint or a live key."""

    kind = ErrorKind.LIVE_PAYMENT


class ScenarioInvalid(ScenarioAbort):
    """The scenario itself is wrong in a way only the run can show (a value never captured, …)."""

    kind = ErrorKind.SCENARIO_INVALID


class HostUnreachable(ScenarioAbort):
    """The browser could not resolve or connect to a host (no `hosts:` entry, a typo, DNS, a server down)."""

    kind = ErrorKind.HOST_UNREACHABLE
