"""A webhook receiver on loopback for the tests: records every POST; answers 200, 500, or never."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """The running receiver: its base URL and what it got."""

    base: str
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    got: threading.Condition = field(default_factory=threading.Condition)

    def url(self, mode: str, token: str) -> str:
        """A webhook URL: `ok` answers 200, `fail` 500, `hang` never; `redirect` sends to `ok`."""
        return f"{self.base}/{mode}/{token}?secret={token}"

    def posts(self, mode: str) -> list[Received]:
        with self.got:
            return [r for r in self.requests if r.path.startswith(f"/{mode}/")]


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """Start a receiver on a free loopback port; stop it (and release hanging answers) afterwards."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.got:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                receiver.got.notify_all()
            mode = self.path.split("/")[1]
            if mode == "hang":
                receiver.release.wait(60)  # never answers while the test runs
                return
            if mode == "redirect":
                self.send_response(307)
                self.send_header("Location", self.path.replace("/redirect/", "/ok/", 1))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 200 if mode == "ok" else 500
            answer = b"ok" if status == 200 else b"internal error"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test output is for the test

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(base=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)
