"""Hostile servers on 127.0.0.1 for the proof, not-a-registry and stall tests.

``Liar`` is a real ``http.server`` whose every answer comes from a function
of (method, path): it can play a registry that says "yes" to everything, a
web server or captive portal answering 404 pages, or a token service.
``Dripper`` is a bare socket server that answers each request one byte at a
time, ``interval`` seconds apart, for ever: each byte resets a per-read
timeout, so only a wall-clock deadline ends the request.  Both record what
they saw.
"""
from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

Answer = tuple[int, dict[str, str], bytes]


class Request(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]


class Liar:
    def __init__(self, answer: Callable[[str, str], Answer], host: str = "127.0.0.1") -> None:
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        liar = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with liar._lock:
                    liar.requests.append(Request(self.command, self.path,
                                                 {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = answer(self.command, self.path)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_HEAD = do_POST = do_GET

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:  # type: ignore[override]
                pass

        self.server = Server((host, 0), Handler)
        self.host = host
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def count(self, match: str = "", method: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if match in r.path and (method is None or r.method == method))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def requested_digest(path: str) -> str:
    m = re.search(r"(sha256:[0-9a-f]{64})", path)
    return m[1] if m else ""


class Dripper:
    """Answers ``HTTP/1.1 200 OK`` and then one header byte every ``interval``
    seconds, never finishing.  ``honest`` lets the paths it names through to a
    plain, immediate ``answer`` instead (a registry whose token service drips)."""

    def __init__(
        self,
        interval: float = 0.2,
        host: str = "127.0.0.1",
        honest: Callable[[str], bytes | None] | None = None,
    ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.interval = interval
        self.accepts = 0
        self.paths: list[str] = []
        self.dripping = 0  # connections still being dripped to
        self._honest = honest
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._loop, daemon=True).start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _loop(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepts += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            buf = b""
            try:
                while True:
                    while b"\r\n\r\n" not in buf:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    path = head.split(b" ", 2)[1].decode("latin-1") if b" " in head else ""
                    with self._lock:
                        self.paths.append(path)
                    reply = self._honest(path) if self._honest else None
                    if reply is None:
                        break
                    conn.sendall(reply)
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                with self._lock:
                    self.dripping += 1
                try:
                    while not self._closed.wait(self.interval):
                        conn.sendall(b"X")  # an endless header name, one byte at a time
                finally:
                    with self._lock:
                        self.dripping -= 1
            except OSError:
                return

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Whether every dripped-to connection was closed by the client."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if self.dripping == 0:
                    return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._closed.set()
        self.sock.close()
