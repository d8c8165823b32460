"""An HTTP session that cannot be talked into reaching a forbidden address.

The check happens where the socket is opened, on the addresses actually
connected to, so neither a DNS answer that changes between the policy check
and the connection nor a redirect (blob stores redirect) can reach a
loopback, link-local or private address the configuration does not name.
The session also puts a timeout on every request and drops credentials
whenever a redirect leaves the origin (scheme, host and port).

A socket timeout bounds each ``recv``, not a request: a server that drips
one byte every few seconds resets it for ever.  ``Deadline`` is the
wall-clock limit on one exchange (connect, request, headers, body, and any
redirects it follows): every socket the guarded connections open or use on
the thread while a ``Deadline`` is active is registered with it, and when it
passes they are shut down, so the blocked call returns at once.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as u3connection

from pinlint.registry.errors import BlockedAddress
from pinlint.registry.hosts import HostPolicy, non_public

_current = threading.local()


class Deadline:
    """``with Deadline(seconds) as d:`` - the exchanges made on this thread
    inside the block are cut off after ``seconds``; ``d.expired`` says
    whether that happened.  The sockets are watched through duplicates of
    their descriptors, closed when the block ends, so a closed-and-reused
    descriptor is never shut down by mistake."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.0, seconds)
        self.expired = False
        self._watched: list[socket.socket] = []
        self._fds: set[int] = set()
        self._done = False
        self._lock = threading.Lock()
        self._outer: Deadline | None = None

    def __enter__(self) -> Deadline:
        self._outer = getattr(_current, "deadline", None)
        _current.deadline = self
        _WATCHDOG.add(time.monotonic() + self.seconds, self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _current.deadline = self._outer
        with self._lock:
            self._done = True
            watched, self._watched = self._watched, []
        for sock in watched:
            sock.close()

    def watch(self, sock: socket.socket) -> None:
        try:
            fd = sock.fileno()
        except OSError:
            return
        if fd < 0:
            return
        with self._lock:
            if self._done or fd in self._fds:
                return
            try:
                dup = socket.socket(sock.family, sock.type, sock.proto, fileno=os.dup(fd))
            except OSError:
                return
            self._fds.add(fd)
            self._watched.append(dup)
            if self.expired:
                _shut(dup)

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return  # the exchange ended in time; its sockets are closed already
            self.expired = True
            for sock in self._watched:
                _shut(sock)


class _Watchdog:
    """The one thread that expires every ``Deadline`` of the process when it is
    due (a ``threading.Timer`` per exchange started a thread per request:
    about a fifth of the CPU time of verifying 500 references).  It sleeps
    until the earliest deadline; a deadline whose block has ended is dropped
    when it comes up."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, due: float, deadline: Deadline) -> None:
        with self._cond:
            heapq.heappush(self._heap, (due, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():  # first use (or after a fork)
                self._thread = threading.Thread(target=self._run, name="pinlint-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._cond.notify()  # earlier than what the thread sleeps towards

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][0] <= now or self._heap[0][2]._done):
                    _, _, deadline = heapq.heappop(self._heap)
                    deadline._expire()
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


_WATCHDOG = _Watchdog()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer: nothing to cut
        sock.shutdown(socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


class _Guard(HTTPConnection):
    """Mixed in before urllib3's HTTP(S)Connection: opens the socket only to
    addresses the policy allows."""

    policy: HostPolicy  # set on the concrete subclasses built per policy

    def _new_conn(self) -> socket.socket:
        sock = self._open()
        _watch(sock)  # before any TLS handshake, which a server can drip too
        return sock

    def getresponse(self) -> Any:  # a kept-alive connection is watched by this exchange's deadline
        _watch(self.sock)
        return super().getresponse()

    def _open(self) -> socket.socket:
        conn = self
        host = conn._dns_host.strip("[]")
        port = conn.port
        if self.policy.trusted(host, port):
            return super()._new_conn()
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise NameResolutionError(conn.host, conn, e) from e
        for info in infos:
            if non_public(str(info[4][0])):
                raise BlockedAddress(conn.host, str(info[4][0]))
        err: OSError | None = None
        for info in infos:
            address = str(info[4][0])
            try:
                return u3connection.create_connection(
                    (address, port),
                    conn.timeout,
                    source_address=conn.source_address,
                    socket_options=conn.socket_options,
                )
            except TimeoutError as e:
                raise ConnectTimeoutError(
                    conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
                ) from e
            except OSError as e:
                err = e
        raise NewConnectionError(conn, f"Failed to establish a new connection: {err}")


class GuardedAdapter(HTTPAdapter):
    """An adapter whose connection pools open sockets only where ``policy`` allows."""

    def __init__(self, policy: HostPolicy, **kwargs: Any) -> None:
        self._policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        policy = self._policy
        http_conn = type("GuardedHTTPConnection", (_Guard, HTTPConnection), {"policy": policy})
        https_conn = type("GuardedHTTPSConnection", (_Guard, HTTPSConnection), {"policy": policy})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
        }


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class GuardedSession(requests.Session):
    """A ``requests.Session`` with default timeouts, strict credential
    stripping on redirects and guarded connection pools."""

    def __init__(
        self, policy: HostPolicy, *, connect_timeout: float, read_timeout: float, pool_size: int
    ) -> None:
        super().__init__()
        self.timeout = (connect_timeout, read_timeout)
        self.max_redirects = 5
        adapter = GuardedAdapter(policy, pool_connections=32, pool_maxsize=pool_size)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        # the environment's proxies and CA bundle for an origin, looked up once
        # (requests reads and parses the proxy variables on every request)
        self._environment: dict[tuple[str, str, object, object, object], dict[str, Any]] = {}

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)

    def merge_environment_settings(
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        """``requests``' own answer, remembered per origin: which proxy applies
        (``*_PROXY``, ``NO_PROXY``) depends only on the scheme, host and port."""
        if proxies:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        try:
            key = (parts.scheme, parts.netloc, stream, verify, cert)
            known = self._environment.get(key)
        except TypeError:  # an unhashable setting: ask requests
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if known is None:
            known = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._environment[key] = known
        return dict(known, proxies=dict(known["proxies"]))

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        # Credentials belong to the origin they were meant for: any change of
        # scheme, host or port drops them, and nothing (netrc) adds new ones.
        original = response.request.url or ""
        if _origin(original) != _origin(prepared_request.url or ""):
            prepared_request.headers.pop("Authorization", None)
