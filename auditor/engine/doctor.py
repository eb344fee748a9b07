"""`checkout-auditor doctor`: can this machine run audits? Each line ok, or the fix."""

from __future__ import annotations

import http.server
import platform
import threading
from dataclasses import dataclass
from importlib import metadata

from auditor.engine.browser import find_browser, launch_args
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
                executable_path=choice.executable,
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
