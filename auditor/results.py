"""The result model and results.json: the one truth every output is drawn from."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor.errors import AuditorError, ErrorKind
from auditor.observation import ConsoleError, Navigation, StepRecord

RESULTS_VERSION = 1


class Status(StrEnum):
    """A check's verdict."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


class ScenarioStatus(StrEnum):
    """A scenario's verdict: `error` when the auditor could not finish it."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"


class Model(BaseModel):
    # defer_build: a model's validator is built on its first use; a run uses about a third of them.
    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)


class CheckResult(Model):
    """One check: id, verdict, what was seen, what to do."""

    id: str
    status: Status
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remedy: str | None = None


class PaymentResult(Model):
    """How the customer went through the payment platform and came back."""

    provider: str | None = None
    left_shop: bool
    # "return" is a Python keyword: the attribute is return_, the JSON key stays "return".
    return_: str = Field(alias="return")
    mechanism: str | None = None
    time_on_platform_ms: int | None = None
    return_ms: int | None = None

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True, defer_build=True)


class ConnectifRequest(Model):
    """A request to Connectif seen in the browser."""

    url: str
    method: str
    status: int | None
    kind: str
    events: list[dict[str, Any]] = Field(default_factory=list)


class ConnectifApiLookupResult(Model):
    """One lookup of the purchase in Connectif's API: its HTTP status (None: no answer) and when."""

    status: int | None
    at_ms: int


class ConnectifApiResult(Model):
    """What Connectif's API said about this purchase: the lookups and the stored purchase, or null."""

    purchase_id: str
    lookups: list[ConnectifApiLookupResult] = Field(default_factory=list)
    purchase: dict[str, Any] | None = None
    url: str | None = None  # connectif.api.url
    wait_ms: int | None = None  # connectif.api.wait
    found_ms: int | None = None  # when the lookup that found it was asked
    error: str | None = None  # why the API gave no usable answer (a refused key, an unreachable API)


class JourneyStop(Model):
    """One shop page of the scenario: its cart and contact tags as Connectif's script read them, its events.

    Also carries `at_ms`, `page` ("main" or "popup"), `tags` (the Connectif tags it carried) and
    `loaded` (whether it reached its load event, when the tags are read).
    """

    url: str
    cn_cart: dict[str, Any] | None = None  # the tag's fields as read, with "products"
    cn_client_info: dict[str, str] | None = None  # class → first text (primary_key is the e-mail)
    events: list[str] = Field(default_factory=list)  # the event types its tracking requests carried


class Screenshot(Model):
    """A screenshot file, relative to the run's output folder."""

    name: str
    file: str
    step: str | None = None  # the step index it belongs to; None for the failure screenshot
    at_failure: bool = False


class ScenarioResult(Model):
    """One scenario's outcome, as results.json carries it.

    The first block is the contract of scenario-language.md; the rest are additions for the
    reports (steps, timeline, screenshots, ...).
    """

    name: str
    file: str
    status: ScenarioStatus
    error: str | None = None
    error_kind: ErrorKind | None = None  # why it ended in error, from a closed set
    duration_ms: int
    checks: list[CheckResult] = Field(default_factory=list)
    payment: PaymentResult | None = None
    cn_purchase: dict[str, Any] | None = None
    connectif_requests: list[ConnectifRequest] = Field(default_factory=list)
    connectif_api: ConnectifApiResult | None = None  # Connectif's own record; null when not asked
    journey: list[JourneyStop] = Field(default_factory=list)  # every shop page of the scenario, in order

    id: str = ""  # stable slug of the file (and matrix combination), for links and artefact folders
    matrix: dict[str, str] = Field(default_factory=dict)  # matrix name → label, for a matrix combination
    combination: int | None = None  # its place among its file's combinations, so merged shards keep the order
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    started: str | None = None
    attempts: int = 1
    flaky: bool = False  # failed, then passed on a retry
    confirmation_url: str | None = None
    steps: list[StepRecord] = Field(default_factory=list)
    timeline: list[Navigation] = Field(default_factory=list)
    console_errors: list[ConsoleError] = Field(default_factory=list)
    screenshots: list[Screenshot] = Field(default_factory=list)
    undeclared_hosts: list[str] = Field(default_factory=list)
    shop_hosts: list[str] = Field(default_factory=list)
    artefacts: dict[str, str] = Field(default_factory=dict)  # "trace" / "video" → file in the output folder
    notes: list[str] = Field(default_factory=list)  # what the auditor could not do (a failed capture, …)


class ChangeKind(StrEnum):
    """How a scenario's verdict moved against the baseline run."""

    NEW_FAILURE = "new-failure"  # passed in the baseline, does not pass now
    STILL_FAILING = "still-failing"  # did not pass then, does not pass now
    FIXED = "fixed"  # did not pass then, passes now
    UNCHANGED = "unchanged"  # passed then, passes now
    NEW = "new"  # not in the baseline


class Change(Model):
    """One scenario of this run against the same scenario (same file and name) in the baseline."""

    name: str
    file: str
    change: ChangeKind
    was: ScenarioStatus | None  # None: not in the baseline
    now: ScenarioStatus


class NotRun(Model):
    """A scenario of the baseline that this run did not have (removed, filtered out, another shard)."""

    name: str
    file: str
    was: ScenarioStatus


class NotCompared(Model):
    """A scenario of a merged part run without --baseline, when the other parts' baselines differ."""

    name: str
    file: str
    part: str  # the part's folder, as merge was given it


class Baseline(Model):
    """The run this one was compared with, and every scenario's change."""

    file: str
    changes: list[Change] = Field(default_factory=list)
    not_run: list[NotRun] = Field(default_factory=list)
    # merge: the parts run without --baseline (their folders), and their scenarios that could not be
    # compared because the other parts were compared with different baselines
    parts_without_baseline: list[str] = Field(default_factory=list)
    not_compared: list[NotCompared] = Field(default_factory=list)


class RunResult(Model):
    """A whole run."""

    version: int = RESULTS_VERSION
    started: str
    finished: str
    scenarios: list[ScenarioResult] = Field(default_factory=list)
    interrupted: bool = False  # stopped by Ctrl-C: some scenarios are marked interrupted or not run
    baseline: Baseline | None = None  # run --baseline: what changed against an earlier run
    fail_on_warn: bool = False  # run --fail-on-warn: a check that warned fails the run (exit 1)
    merged_from: list[str] | None = None  # merge: the folders it joined, relative to its own

    def counts(self) -> dict[str, int]:
        """Scenarios per status."""
        counts = {s.value: 0 for s in ScenarioStatus}
        for scenario in self.scenarios:
            counts[scenario.status.value] += 1
        return counts

    def exit_status(self, *, fail_on_warn: bool = False) -> int:
        """0 when every scenario passed; 2 when the auditor had no browser for some (a tool error), or when no
        scenario could be audited (each stopped by its own mistake or an unreachable host); else 1.

        With fail_on_warn, a check that warned counts as a failure (exit 1).
        """
        if any(s.error_kind is not None and s.error_kind.tool_failure for s in self.scenarios):
            return 2
        if self.scenarios and all(
            s.error_kind is not None and s.error_kind.not_the_shop for s in self.scenarios
        ):
            return 2  # nothing was audited: every scenario was stopped by its own mistake or the network
        if not all(s.status is ScenarioStatus.PASS for s in self.scenarios):
            return 1
        if fail_on_warn and any(c.status is Status.WARN for s in self.scenarios for c in s.checks):
            return 1
        return 0


def to_json(run: RunResult) -> str:
    """results.json text."""
    return run.model_dump_json(by_alias=True, indent=2) + "\n"


def new_file_mode() -> int:
    """The mode a new file gets here (0o666 less the umask), the umask read without changing it on Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # os has no getter: set one and put the old one back at once
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never half of it.

    The file gets the mode any new file gets (0644 under the usual umask), not mkstemp's private 0600:
    reports are published from CI by other users and web servers.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, new_file_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable(folder: Path, names: Sequence[str], what: str, *, create: bool = True) -> None:
    """AuditorError unless `folder` can be created and written, and none of `names` in it is a folder.

    Checked before the work starts: outputs that cannot be written are work lost. `create=False`
    leaves a folder that does not exist yet uncreated (the work may still fail on its input) and
    checks the closest folder above it that does.
    """
    try:
        if not create and not folder.exists():
            above = next((p for p in folder.parents if p.exists()), Path("."))
            if not above.is_dir():
                raise NotADirectoryError(20, "Not a directory", str(above))
            if not os.access(above, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied", str(above))
            return
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            if (folder / name).is_dir():
                raise IsADirectoryError(21, "a folder is where the file goes", str(folder / name))
        probe = folder / f".checkout-auditor-probe-{os.getpid()}"
        os.close(os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        raise unwritable(folder, exc, what) from None


def unwritable(folder: Path, exc: OSError, what: str) -> AuditorError:
    return AuditorError(
        f"{exc.filename or folder}: cannot write {what} ({exc.strerror or exc})",
        tip="choose another folder with --out",
    )


def write_results(run: RunResult, path: Path) -> None:
    """Write results.json atomically."""
    write_atomic(path, to_json(run))


def read_results(path: Path) -> RunResult:
    """Load a results.json, or raise an AuditorError that says what is wrong with it."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditorError(f"{path}: no such file", tip="give the results.json of a run") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AuditorError(f"{path}: not a results.json ({exc})") from None
    version = raw.get("version") if isinstance(raw, dict) else None
    if isinstance(raw, dict) and (type(version) is not int or version != RESULTS_VERSION):
        given = "no version" if version is None else f"version {version!r}"
        raise AuditorError(
            f"{path}: not a results.json of this version ({given}; this checkout-auditor reads "
            f"version {RESULTS_VERSION})",
            tip="re-run the audit with this version of checkout-auditor",
        )
    try:
        return RunResult.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise AuditorError(
            f"{path}: not a results.json of this version: {key}: {first['msg']}",
            tip="re-run the audit with this version of checkout-auditor",
        ) from None
