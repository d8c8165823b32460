"""A real loopback HTTP proxy in front of a real registry, injecting faults.

Requests are forwarded to the upstream registry over a real socket; before
that, the first matching ``Rule`` may delay, answer by itself (429 with
``Retry-After``, 500, 503, a redirect, garbage), reset the connection,
accept and never answer, or forward and drop or rewrite one response header.
Every request and every accepted connection is counted so tests and the
benchmark can assert on what reached the wire.

Optionally the proxy also plays a bearer-token registry front
(``bearer=True``): it demands ``Authorization: Bearer`` tokens scoped to the
repository, and serves anonymous tokens from ``/token``, like Docker Hub.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit


class Seen(NamedTuple):
    method: str
    path: str
    headers: dict


class Rule(NamedTuple):
    """What to do with requests whose path contains ``match`` (and method, when
    given).  ``times`` limits how often the rule fires (None: always)."""

    action: str  # "status" | "reset" | "hang" | "redirect" | "garbage" | "delay" | "drop-header" | "set-header"
    match: str = ""
    method: str | None = None
    status: int = 503
    headers: tuple[tuple[str, str], ...] = ()
    location: str = ""
    delay: float = 0.0
    times: int | None = None
    header: str = ""  # for "drop-header": the response header the registry "forgets"
    value: str = ""  # for "set-header": what the forwarded answer's ``header`` says instead


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        *,
        host: str = "127.0.0.1",
        latency: float = 0.0,
        bearer: bool = False,
    ) -> None:
        self.upstream = upstream  # "127.0.0.1:5000"
        self.latency = latency
        self.bearer = bearer
        self.rules: list[Rule] = []
        self._fired: dict[int, int] = {}
        self.seen: list[Seen] = []
        self.accepts = 0
        self.tokens_issued = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        proxy = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

            def handle_error(self, request, client_address) -> None:  # type: ignore[override]
                pass  # resets and hangs are on purpose

            def get_request(self):  # type: ignore[override]
                conn, addr = super().get_request()
                with proxy._lock:
                    proxy.accepts += 1
                return conn, addr

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self)

            do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        self.server = Server((host, 0), Handler)
        self.host = host
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    # -- test API ---------------------------------------------------------------
    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def reset(self) -> None:
        with self._lock:
            self.rules.clear()
            self._fired.clear()
            self.seen.clear()
            self.accepts = 0
            self.tokens_issued = 0

    def count(self, match: str = "", method: str | None = None) -> int:
        with self._lock:
            return sum(
                1 for s in self.seen if match in s.path and (method is None or s.method == method)
            )

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    # -- serving ------------------------------------------------------------------
    def _rule_for(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for i, rule in enumerate(self.rules):
                if rule.match not in path or (rule.method and rule.method != method):
                    continue
                fired = self._fired.get(i, 0)
                if rule.times is not None and fired >= rule.times:
                    continue
                self._fired[i] = fired + 1
                return rule
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        method, path = h.command, h.path
        headers = {k.lower(): v for k, v in h.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = h.rfile.read(length) if length else b""
        with self._lock:
            self.seen.append(Seen(method, path, headers))
        if self.latency:
            time.sleep(self.latency)
        rule = self._rule_for(method, path)
        if rule is not None:
            if rule.action == "delay":
                time.sleep(rule.delay)
            elif rule.action == "hang":
                self._stop.wait()
                h.close_connection = True
                return
            elif rule.action == "reset":
                sock = h.connection
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
                h.close_connection = True
                return
            elif rule.action == "status":
                self._answer(h, rule.status, dict(rule.headers), json.dumps(
                    {"errors": [{"code": "UNAVAILABLE", "message": "injected fault"}]}).encode())
                return
            elif rule.action == "redirect":
                self._answer(h, 307, {"Location": rule.location}, b"")
                return
            elif rule.action == "garbage":
                self._answer(h, 200, {"Content-Type": "application/vnd.oci.image.index.v1+json",
                                      "Docker-Content-Digest": "sha256:" + "0" * 64}, b"\x00\xffnot json{{")
                return
        if self.bearer and not self._bearer_ok(h, path, headers):
            return
        drop = rule.header.lower() if rule is not None and rule.action in ("drop-header", "set-header") else ""
        extra = {rule.header: rule.value} if rule is not None and rule.action == "set-header" else {}
        self._forward(h, method, path, list(h.headers.items()), body, drop, extra)

    def _bearer_ok(self, h: BaseHTTPRequestHandler, path: str, headers: dict) -> bool:
        parts = urlsplit(path)
        if parts.path == "/token":
            scope = parse_qs(parts.query).get("scope", [""])[0]
            with self._lock:
                self.tokens_issued += 1
            self._answer(h, 200, {"Content-Type": "application/json"},
                         json.dumps({"token": f"anon|{scope}", "expires_in": 300}).encode())
            return False
        repo = parts.path[len("/v2/"):].split("/manifests/")[0].split("/blobs/")[0].split("/tags/")[0]
        scope = f"repository:{repo}:pull" if parts.path != "/v2/" else ""
        if headers.get("authorization") == f"Bearer anon|{scope}":
            return True
        challenge = f'Bearer realm="http://{self.address}/token",service="faultproxy"'
        if scope:
            challenge += f',scope="{scope}"'
        self._answer(h, 401, {"WWW-Authenticate": challenge, "Content-Type": "application/json"},
                     b'{"errors":[{"code":"UNAUTHORIZED"}]}')
        return False

    def _answer(self, h: BaseHTTPRequestHandler, status: int, headers: dict, body: bytes) -> None:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    def _forward(self, h: BaseHTTPRequestHandler, method: str, path: str,
                 headers: list[tuple[str, str]], body: bytes, drop: str = "",
                 extra: dict[str, str] | None = None) -> None:
        host, _, port = self.upstream.rpartition(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", self.upstream)
            for k, v in headers:  # repeated headers (several Accept lines) kept as sent
                if k.lower() in ("host", "connection") or (k.lower() == "authorization" and self.bearer):
                    continue
                conn.putheader(k, v)
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            h.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() in ("connection", "transfer-encoding", "content-length", "keep-alive", drop):
                    continue
                h.send_header(k, v)
            for k, v in (extra or {}).items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)) if method != "HEAD" else
                          resp.getheader("Content-Length", "0"))
            h.end_headers()
            if method != "HEAD":
                h.wfile.write(data)
        finally:
            conn.close()


class Recorder:
    """A bare listening socket that records accepted connections (and, when
    asked, serves one fixed HTTP answer and records the request headers)."""

    def __init__(self, host: str = "127.0.0.1", answer: Callable[[bytes], bytes] | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.accepts = 0
        self.requests: list[bytes] = []
        self._answer = answer
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._loop, daemon=True).start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _loop(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepts += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                return
            with self._lock:
                self.requests.append(data)
            if self._answer is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(self._answer(data))

    def close(self) -> None:
        self._closed = True
        self.sock.close()
