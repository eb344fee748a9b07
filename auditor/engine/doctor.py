"""`checkout-auditor doctor`: can this machine run audits? Each line ok, or the fix."""

from __future__ import annotations

import http.server
import platform
import threading
from dataclasses import dataclass
from importlib import metadata

from auditor.engine.browser import find_browser, launch_args
from auditor.engine.grid import GridError, GridSettings, grid_status, open_session
from auditor.errors import AuditorError, first_line


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One line of the doctor's report."""

    label: str
    ok: bool
    detail: str
    fix: str | None = None


class _Page(http.server.BaseHTTPRequestHandler):
    body = b"<!doctype html><title>doctor</title><h1 id=ok>checkout-auditor</h1>"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


def examine(browser_path: str | None = None) -> list[Finding]:
    """Check Python, Playwright, the browser choice and a real launch that loads a page."""
    findings = [Finding(label="python", ok=True, detail=platform.python_version())]
    try:
        pw_version = metadata.version("playwright")
        findings.append(Finding(label="playwright", ok=True, detail=pw_version))
    except metadata.PackageNotFoundError:
        findings.append(
            Finding(
                label="playwright",
                ok=False,
                detail="not installed",
                fix="pip install playwright (make setup does it)",
            )
        )
        return findings
    try:
        choice = find_browser(browser_path)
    except AuditorError as exc:
        findings.append(Finding(label="browser", ok=False, detail=exc.headline, fix=exc.tip))
        return findings
    findings.append(Finding(label="browser", ok=True, detail=choice.describe()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        from playwright.sync_api import Error, sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=choice.executable_for(headless=True),
                args=launch_args({"doctor.test": "127.0.0.1"}),
                timeout=30_000,
            )
            try:
                findings.append(Finding(label="browser version", ok=True, detail=browser.version))
                page = browser.new_page()
                url = f"http://doctor.test:{server.server_address[1]}/"
                page.goto(url, timeout=15_000)
                text = page.locator("#ok").inner_text(timeout=5_000)
                loaded = text == "checkout-auditor"
                findings.append(
                    Finding(
                        label="launch",
                        ok=loaded,
                        detail=f"headless launch loaded {url} (a .test host mapped to 127.0.0.1)"
                        if loaded
                        else f"the page loaded but showed {text!r}",
                        fix=None if loaded else "report this as a bug",
                    )
                )
            finally:
                browser.close()
    except Error as exc:
        findings.append(
            Finding(
                label="launch",
                ok=False,
                detail=first_line(exc, 500),
                fix="check the browser runs: `<path> --headless --dump-dom about:blank`; "
                "on Debian `apt-get install -y chromium` brings its libraries",
            )
        )
    finally:
        server.shutdown()
        server.server_close()
    return findings


def _slots(status: dict[str, object]) -> tuple[int, int, list[str]]:
    """Slots in all, slots free, and the browsers the nodes offer (from their stereotypes)."""
    total = free = 0
    offered: set[str] = set()
    nodes = status.get("nodes")
    for node in nodes if isinstance(nodes, list) else []:
        slots = node.get("slots") if isinstance(node, dict) else None
        for slot in slots if isinstance(slots, list) else []:
            if not isinstance(slot, dict):
                continue
            total += 1
            free += slot.get("session") is None
            stereotype = slot.get("stereotype")
            if isinstance(stereotype, dict) and stereotype.get("browserName"):
                offered.add(str(stereotype["browserName"]))
    return total, free, sorted(offered)


def _node_of(status: dict[str, object], session_id: str) -> str | None:
    """The URI of the node that holds a session, from the grid's status."""
    nodes = status.get("nodes")
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict):
            continue
        for slot in node.get("slots") or []:
            session = slot.get("session") if isinstance(slot, dict) else None
            if isinstance(session, dict) and session.get("sessionId") == session_id:
                return str(node.get("uri"))
    return None


def examine_grid(settings: GridSettings) -> list[Finding]:
    """Check the grid answers, take one session from it, drive a page in it, and give the session back."""
    from playwright.sync_api import Error, sync_playwright

    where = settings.display_url
    findings = [Finding(label="python", ok=True, detail=platform.python_version())]
    try:
        status = grid_status(settings)
    except GridError as exc:
        return [*findings, Finding(label="grid", ok=False, detail=exc.headline, fix=exc.tip)]
    total, free, offered = _slots(status)
    versions = sorted(
        {str(n.get("version", "?")).split(" ")[0] for n in status.get("nodes") or [] if isinstance(n, dict)}
    )
    ready = bool(status.get("ready"))
    message = str(status.get("message") or ("ready" if ready else "not ready")).rstrip(".")
    findings.append(
        Finding(
            label="grid",
            ok=ready,
            detail=f"{where}: {message}; "
            f"Selenium {', '.join(versions) or '?'}; {total} slot(s), {free} free; "
            f"browsers: {', '.join(offered) or 'none'}",
            fix=None if ready else "the grid has no node that is up: start a node, or see its log",
        )
    )
    if not ready:
        return findings
    try:
        with sync_playwright() as p:
            session = open_session(p.chromium, settings, {"doctor.test": "127.0.0.1"})
            try:
                node = _node_of(grid_status(settings), session.id)
                findings.append(
                    Finding(
                        label="grid session",
                        ok=True,
                        detail=f"{session.describe()}" + (f", node {node}" if node else ""),
                    )
                )
                page = session.browser.new_page()
                page.goto("chrome://version", timeout=15_000)
                command_line = page.locator("#command_line").inner_text(timeout=5_000)
                mapped = "--host-resolver-rules=MAP doctor.test 127.0.0.1" in command_line
                findings.append(
                    Finding(
                        label="switches",
                        ok=mapped,
                        detail="the host mapping and the auditor's switches reached the node's Chromium"
                        if mapped
                        else "the node's Chromium started without the auditor's --host-resolver-rules",
                        fix=None
                        if mapped
                        else "the node replaces goog:chromeOptions.args: check its stereotype and config",
                    )
                )
                page.goto("about:blank", timeout=15_000)  # chrome:// pages refuse document.write
                page.set_content(_Page.body.decode(), timeout=15_000)
                text = page.locator("#ok").inner_text(timeout=5_000)
                findings.append(
                    Finding(
                        label="launch",
                        ok=text == "checkout-auditor",
                        detail="a page rendered in the grid's Chromium over its DevTools endpoint"
                        if text == "checkout-auditor"
                        else f"the page showed {text!r}",
                        fix=None if text == "checkout-auditor" else "report this as a bug",
                    )
                )
            finally:
                session.close()
    except GridError as exc:
        findings.append(Finding(label="grid session", ok=False, detail=exc.headline, fix=exc.tip))
    except Error as exc:
        first = first_line(exc)
        findings.append(
            Finding(label="launch", ok=False, detail=settings.redact(first), fix="see the node's log")
        )
    return findings
