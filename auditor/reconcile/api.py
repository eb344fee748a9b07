"""Order ids looked up in Connectif's REST API: bounded concurrency, 429 honoured, answers kept in a cache.

Each answer (found or not) is appended to `connectif-lookups.jsonl` beside the outputs as it comes, so
a run that is interrupted (Ctrl-C, a kill, a lost connection) asks only the rest when it is run again
with the same `--out`.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from auditor.connectif.api import ApiRefused, ApiUnreachable, ConnectifApi, ConnectifApiError, Lookup
from auditor.errors import AuditorError

CACHE_NAME = "connectif-lookups.jsonl"
CACHE_VERSION = 1
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32
MAX_ATTEMPTS = 5  # server errors or lost connections for one id before the run stops
RETRY_AFTER_DEFAULT_S = 1.0  # a 429 without Retry-After
Progress = Callable[[int, int], None]  # (answered so far, total)


@dataclass(frozen=True, kw_only=True)
class ApiSource:
    """Where and how to ask: the API's address, the key, how many lookups at once, the cache file."""

    url: str
    key: str
    concurrency: int = DEFAULT_CONCURRENCY
    cache: Path | None = None


@dataclass(frozen=True, kw_only=True)
class ApiLookups:
    """What the lookups found, and how they went (reconcile.json's `connectif_api`)."""

    url: str
    ids: int  # distinct order ids looked up
    found: int
    asked: int  # lookups answered in this run (the rest came from the cache)
    from_cache: int
    rate_limited: int  # 429 answers honoured
    cache: str | None


class LookupCache:
    """connectif-lookups.jsonl: a header line naming the API, then one `{"id", "status"}` a line."""

    def __init__(self, path: Path, url: str):
        self.path = path
        self.url = url
        self._lock = threading.Lock()
        self._file: IO[str] | None = None

    def load(self) -> dict[str, int]:
        """The answers kept by an earlier run (id → 200 or 404); a half-written last line is dropped."""
        if not self.path.exists():
            return {}
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise AuditorError(f"cannot read {self.path}: {exc.strerror}") from None
        complete = raw[: raw.rfind(b"\n") + 1]  # a run killed mid-line leaves a partial last line
        if len(complete) != len(raw):
            with self.path.open("r+b") as handle:
                handle.truncate(len(complete))
        answers: dict[str, int] = {}
        for number, line in enumerate(complete.decode("utf-8", "replace").splitlines(), start=1):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            if number == 1 and "connectif_lookups" in entry:
                if entry.get("url") != self.url:
                    raise AuditorError(
                        f"{self.path} holds the answers of another Connectif API ({entry.get('url')})",
                        tip="use another --out folder, or delete the file to ask every order again",
                    )
                continue
            if isinstance(entry.get("id"), str) and entry.get("status") in (200, 404):
                answers[entry["id"]] = entry["status"]
        return answers

    def open(self) -> None:
        """Open for appending; a new file starts with its header."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists() or self.path.stat().st_size == 0
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise AuditorError(
                f"cannot write {self.path}: {exc.strerror}", tip="choose another --out"
            ) from None
        if new:
            self._write({"connectif_lookups": CACHE_VERSION, "url": self.url})

    def _write(self, entry: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()  # in the OS's hands at once: a killed run keeps every answer it got

    def add(self, purchase_id: str, status: int) -> None:
        """Keep one answer."""
        with self._lock:
            self._write({"id": purchase_id, "status": status})

    def close(self) -> None:
        """Flush to disk and close."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None


class _Gate:
    """When the next lookup may start: a 429's Retry-After holds every worker, not just the one told."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open_at = 0.0

    def hold(self, seconds: float) -> None:
        """No lookup starts for `seconds`."""
        with self._cond:
            self._open_at = max(self._open_at, time.monotonic() + seconds)
            self._cond.notify_all()

    def wake(self) -> None:
        """Wake every waiter (to see `stop`)."""
        with self._cond:
            self._cond.notify_all()

    def wait_open(self, stop: threading.Event) -> bool:
        """Block until lookups may start (True) or the run stops (False)."""
        with self._cond:
            while not stop.is_set():
                delay = self._open_at - time.monotonic()
                if delay <= 0:
                    return True
                self._cond.wait(delay)
            return False


class _Run:
    """One pass over the ids: shared state of the worker threads."""

    def __init__(self, api: Lookup, ids: Sequence[str], cache: LookupCache | None, progress: Progress | None):
        self.api = api
        self.todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        for purchase_id in ids:
            self.todo.put(purchase_id)
        self.total = len(ids)
        self.cache = cache
        self.progress = progress
        self.stop = threading.Event()
        self.gate = _Gate()
        self.lock = threading.Lock()
        self.found: set[str] = set()
        self.answered = 0
        self.rate_limited = 0
        self.fatal: AuditorError | None = None

    def fail(self, error: AuditorError) -> None:
        with self.lock:
            if self.fatal is None:
                self.fatal = error
        self.halt()

    def halt(self) -> None:
        self.stop.set()
        self.gate.wake()

    def answer(self, purchase_id: str, status: int) -> None:
        if self.cache is not None:
            self.cache.add(purchase_id, status)
        with self.lock:
            self.answered += 1
            if status == 200:
                self.found.add(purchase_id)
            done = self.answered
        if self.progress is not None:
            self.progress(done, self.total)

    def work(self) -> None:
        """Take ids until none is left or the run stops."""
        while not self.stop.is_set():
            try:
                purchase_id = self.todo.get_nowait()
            except queue.Empty:
                return
            if not self._one(purchase_id):
                return

    def _one(self, purchase_id: str) -> bool:
        """Ask until there is an answer about this id; False when the run stops."""
        attempts = 0
        while self.gate.wait_open(self.stop):
            try:
                reply = self.api.get_purchase(purchase_id)
            except ApiRefused as exc:
                self.fail(
                    AuditorError(exc.message, tip="set CONNECTIF_API_KEY to a key of this store's account")
                )
                return False
            except ApiUnreachable as exc:
                attempts += 1
                with self.lock:
                    nothing_yet = self.answered == 0
                if nothing_yet or attempts >= MAX_ATTEMPTS:
                    self.fail(self._stopped(exc.message))
                    return False
                if self.stop.wait(min(2.0**attempts, 30.0)):
                    return False
                continue
            if reply.found or reply.missing:
                self.answer(purchase_id, reply.status)
                return True
            if reply.status == 429:
                with self.lock:
                    self.rate_limited += 1
                self.gate.hold(
                    reply.retry_after_s if reply.retry_after_s is not None else RETRY_AFTER_DEFAULT_S
                )
                continue
            attempts += 1
            if not reply.retryable or attempts >= MAX_ATTEMPTS:
                self.fail(
                    self._stopped(f"Connectif's API answered {reply.reason} for order id {purchase_id!r}")
                )
                return False
            if self.stop.wait(max(reply.retry_after_s or 0.0, min(2.0**attempts, 30.0))):
                return False
        return False

    def _stopped(self, why: str) -> AuditorError:
        kept = f"; the answers so far are kept in {self.cache.path}" if self.cache else ""
        return AuditorError(
            f"{why}{kept}",
            tip="run the same command again (same --out) to ask only the rest"
            if self.cache
            else "check --connectif-api-url and the network",
        )


def look_up(
    ids: Sequence[str],
    source: ApiSource,
    *,
    progress: Progress | None = None,
    client: Lookup | None = None,
) -> tuple[set[str], ApiLookups]:
    """The ids Connectif has a purchase for, asking only those the cache does not answer.

    Raises AuditorError for a refused key, an API that cannot be reached, or Ctrl-C (the answers so far
    stay in the cache).
    """
    cache = LookupCache(source.cache, source.url) if source.cache is not None else None
    known = cache.load() if cache is not None else {}
    distinct = list(dict.fromkeys(ids))
    todo = [i for i in distinct if i not in known]
    found = {i for i in distinct if known.get(i) == 200}
    own_client = client is None
    try:
        api: Lookup = client or ConnectifApi(
            source.url,
            source.key,
            connections=min(MAX_CONCURRENCY, max(1, source.concurrency)),
            url_source="--connectif-api-url",
            key_source="$CONNECTIF_API_KEY",
        )
    except ConnectifApiError as exc:  # a key that cannot travel in a header, a URL that is none
        raise AuditorError(exc.message, tip="check $CONNECTIF_API_KEY and --connectif-api-url") from None
    run = _Run(api, todo, cache, None)
    offset = len(distinct) - len(todo)
    if progress is not None:
        progress(offset, len(distinct))
        run.progress = lambda done, _total: progress(offset + done, len(distinct))
    try:
        if cache is not None:
            cache.open()
        if todo:
            _drive(run, min(MAX_CONCURRENCY, max(1, source.concurrency), len(todo)))
    finally:
        if cache is not None:
            cache.close()
        if own_client and isinstance(api, ConnectifApi):
            api.close()
    if run.fatal is not None:
        raise run.fatal
    summary = ApiLookups(
        url=source.url,
        ids=len(distinct),
        found=len(found | run.found),
        asked=run.answered,
        from_cache=offset,
        rate_limited=run.rate_limited,
        cache=str(source.cache) if source.cache is not None else None,
    )
    return found | run.found, summary


def _drive(run: _Run, workers: int) -> None:
    """Run the workers; Ctrl-C stops them after their current lookup and keeps what was answered."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="connectif-lookup")
    futures = [pool.submit(run.work) for _ in range(workers)]
    try:
        pending = set(futures)
        while pending:
            _, pending = concurrent.futures.wait(pending, timeout=0.5)
    except KeyboardInterrupt:
        run.halt()
        pool.shutdown(wait=True)
        where = f"; they are kept in {run.cache.path}" if run.cache else ""
        raise AuditorError(
            f"interrupted: {run.answered:,} of {run.total:,} order ids were looked up{where}",
            tip="run the same command again (same --out) to ask only the rest",
        ) from None
    pool.shutdown(wait=True)
    for future in futures:
        future.result()  # a crash in a worker is a crash, not a quiet gap in the answers
