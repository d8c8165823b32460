"""An HTTP session that cannot be talked into reaching a forbidden address.

The check happens where the socket is opened, on the addresses actually
connected to, so neither a DNS answer that changes between the policy check
and the connection nor a redirect (blob stores redirect) can reach a
loopback, link-local or private address the configuration does not name.
The session also puts a timeout on every request and drops credentials
whenever a redirect leaves the origin (scheme, host and port).
"""
from __future__ import annotations

import socket
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


class _Guard(HTTPConnection):
    """Mixed in before urllib3's HTTP(S)Connection: opens the socket only to
    addresses the policy allows."""

    policy: HostPolicy  # set on the concrete subclasses built per policy

    def _new_conn(self) -> socket.socket:
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

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        # Credentials belong to the origin they were meant for: any change of
        # scheme, host or port drops them, and nothing (netrc) adds new ones.
        original = response.request.url or ""
        if _origin(original) != _origin(prepared_request.url or ""):
            prepared_request.headers.pop("Authorization", None)
