"""`checkout-auditor record URL` and `checkout-auditor open URL|SCENARIO`."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from auditor.cli.options import browser_path_option, host_option
from auditor.errors import AuditorError
from auditor.hosts import host_mapping, host_pattern

if TYPE_CHECKING:
    from auditor.recorder.model import ShopHosts

BROWSER_CLOSE_S = 60.0


def parse_hosts(values: tuple[str, ...]) -> dict[str, str]:
    """`--host NAME=IP` values as a mapping (by a scenario's `hosts:` rules), or an AuditorError."""
    hosts: dict[str, str] = {}
    for value in values:
        try:
            name, address = host_mapping(value)
        except ValueError as exc:
            raise AuditorError(f"--host: {exc}", tip="write it like --host shop.test=127.0.0.1") from None
        hosts[name] = address
    return hosts


def _default_out() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = Path("scenarios") / f"recorded-{stamp}.yaml"
    n = 2
    while candidate.exists():
        candidate = Path("scenarios") / f"recorded-{stamp}-{n}.yaml"
        n += 1
    return candidate


def _until_done(wait: Callable[[float], bool], interrupt: Callable[[], None]) -> None:
    """Wait for a browser thread; Ctrl-C (or SIGTERM) asks it to stop, a second one stops waiting."""
    previous = signal.getsignal(signal.SIGTERM)

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        stopping = False
        while True:
            try:
                if wait(0.2 if not stopping else 10.0) or stopping:
                    return
            except KeyboardInterrupt:
                if stopping:
                    return
                stopping = True
                interrupt()
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Progress:
    """One line per action as it is recorded (the kind and the selector, never a value), and where the
    browser goes when it leaves the shop or comes back."""

    def __init__(self, shop: ShopHosts) -> None:
        self.shop = shop
        self.navigations = 0
        self.away = False

    def __call__(self, event: object) -> None:
        from auditor.recorder.model import Action, Nav

        if isinstance(event, Action):
            where = f" in {' > '.join(event.frame)}" if event.frame else ""
            secret = f"  (secret: {event.secret.replace('_', ' ')})" if event.secret else ""
            window = "" if event.page == "main" else f" [{event.page}]"
            click.echo(f"  {event.kind:<7} {event.selector}{where}{window}{secret}")
        elif isinstance(event, Nav):
            if event.page == "main":
                self.navigations += 1
                if self.navigations > 1 and event.cause.value == "typed":  # the first is the recorder's own
                    click.echo(f"  goto    {event.url}")
            if self.shop.is_platform(event.host) and not self.away:
                self.away = True
                click.echo(f"  -> left the shop for {event.host}")
            elif event.page == "main" and self.shop.is_shop(event.host) and self.away:
                self.away = False
                click.echo(f"  <- back on {event.host}")


@click.command("record")
@click.argument("url")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Scenario file to write (default: scenarios/recorded-<timestamp>.yaml).",
)
@host_option("Resolve NAME to IP in the browser (repeatable).")
@click.option(
    "--shop-host",
    "shop_hosts",
    multiple=True,
    metavar="NAME",
    help="Another host of the shop itself, never a payment platform (repeatable; *.name for subdomains).",
)
@click.option("--name", help="The scenario's name (default: the first page's title).")
@click.option("--headless", is_flag=True, help="No window: drive the browser over --remote-debugging-port.")
@click.option(
    "--remote-debugging-port",
    type=click.IntRange(0, 65535),
    help="Let another program drive the browser over the DevTools protocol (0: any free port).",
)
@browser_path_option
def record(
    url: str,
    out: Path | None,
    hosts: tuple[str, ...],
    shop_hosts: tuple[str, ...],
    name: str | None,
    headless: bool,
    remote_debugging_port: int | None,
    browser_path: str | None,
) -> None:
    """Write a scenario by doing the checkout once in a browser; close the window (or Ctrl-C) to finish."""
    from auditor.recorder.record import Recorder, RecordOptions
    from auditor.reports.console import print_error

    if headless and remote_debugging_port is None:
        raise AuditorError(
            "--headless opens no window: nothing could do the checkout in it",
            tip="add --remote-debugging-port PORT for the program that drives it, or drop --headless",
        )
    target = out or _default_out()
    if out is not None and out.exists():
        raise AuditorError(f"{out} already exists", tip="choose another --out, or move that file away first")
    for value in shop_hosts:
        try:
            host_pattern(value)
        except ValueError as exc:
            raise AuditorError(
                f"--shop-host: {exc}", tip="write it like --shop-host pay.shop.example"
            ) from None
    options = RecordOptions(
        url=url,
        out=target,
        hosts=parse_hosts(hosts),
        shop_hosts=tuple(v.strip().lower() for v in shop_hosts),
        name=name,
        headless=headless,
        remote_debugging_port=remote_debugging_port,
        browser_path=browser_path,
    )
    recorder = Recorder(options, on_event=_Progress(options.shop()))
    recorder.start()
    _until_done(lambda timeout: recorder.ready.wait(timeout), recorder.interrupt)
    recorder.started()
    if not recorder.stop.is_set():
        click.echo(f"recording {url}")
        if recorder.devtools:
            click.echo(f"DevTools: {recorder.devtools}")
        click.echo("do the checkout in the browser; close its window (or press Ctrl-C) when you are done")
        _until_done(recorder.wait, recorder.interrupt)
    recorded = recorder.finish()
    draft = recorded.draft
    steps = len(draft.steps)
    pay = (
        f"; pay on {', '.join(draft.pay_hosts)}, return {draft.returned}"
        + (f" ({draft.mechanism})" if draft.mechanism else "")
        if draft.returned is not None
        else "; no payment platform visited"
    )
    click.echo(f"wrote {recorded.path} ({steps} steps{pay})")
    if draft.secrets:
        click.echo("set these variables to the values you typed before running it (they were not written):")
        width = max(len(s.env) for s in draft.secrets)
        for secret in draft.secrets:
            click.echo(f"  {secret.env:<{width}}  {secret.describe()}")
    click.echo("replay it with:")
    click.echo(f"  checkout-auditor run {shlex.quote(str(recorded.path))}")
    status = 0
    if recorded.problem is not None:
        print_error(AuditorError("the recorded file does not load (a bug in the recorder: please report it)"))
        print_error(recorded.problem)
        status = 2
    _leave(recorder.wait, status)


def _leave(wait: Callable[[float], bool], status: int) -> None:
    """Exit once the browser thread has closed Chromium, without the interpreter's shutdown.

    The file is written and the browser closed by then; what is left is Python tearing down a thread
    that ran Playwright's greenlets, which crashed now and then after Ctrl-C on a loaded machine
    (SIGSEGV, seen as exit status -11). A browser that will not close must not hold the exit either.
    """
    wait(BROWSER_CLOSE_S)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@click.command("open")
@click.argument("target")
@host_option("Resolve NAME to IP (repeatable; adds to the scenario's hosts:).")
@click.option("--headless", is_flag=True, help="No window (to inspect it over --remote-debugging-port).")
@click.option(
    "--remote-debugging-port",
    type=click.IntRange(0, 65535),
    help="Also listen for the DevTools protocol on this port (0: any free port).",
)
@browser_path_option
def open_(
    target: str,
    hosts: tuple[str, ...],
    headless: bool,
    remote_debugging_port: int | None,
    browser_path: str | None,
) -> None:
    """Open a URL, or a scenario's base_url with its hosts: mapping, in Chromium to inspect its pages."""
    from auditor.recorder.record import open_browser_on, open_target
    from auditor.recorder.session import BrowserSettings

    found = open_target(target, parse_hosts(hosts))
    settings = BrowserSettings(
        hosts=found.hosts,
        headless=headless,
        remote_debugging_port=remote_debugging_port,
        browser_path=browser_path,
    )
    stop = threading.Event()
    ended = threading.Event()  # not Thread.is_alive: see Recorder.ended
    errors: list[BaseException] = []

    def shown(devtools: str | None) -> None:
        mapped = ", ".join(f"{h}={ip}" for h, ip in found.hosts.items()) or "none"
        click.echo(f"opened {found.url} (hosts: {mapped})")
        if devtools:
            click.echo(f"DevTools: {devtools}")
        click.echo("close the window (or press Ctrl-C) to quit")

    def work() -> None:
        try:
            open_browser_on(found, settings, stop, shown)
        except BaseException as exc:  # handed to the main thread, which prints it
            errors.append(exc)
        finally:
            ended.set()

    threading.Thread(target=work, name="open", daemon=True).start()
    _until_done(ended.wait, stop.set)
    if errors:
        raise errors[0]
    _leave(ended.wait, 0)
