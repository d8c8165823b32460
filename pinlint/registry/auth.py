"""Answering a registry's authentication challenge.

Basic challenges get the host's docker credentials; Bearer challenges get a
token from the realm the registry names, with the credentials when there are
some (or the docker ``identitytoken`` as an OAuth2 refresh token) and
anonymously otherwise.  Tokens are cached per scope (oras-py's own
``TokenAuth`` keeps one token for every repository of a host, which the
registry then refuses), and once a host is known to want Basic or Bearer the
header is sent up front, saving a 401 round trip per request.

Credentials are sent to the registry itself and to its token realm only over
HTTPS, or plain HTTP to a host the configuration lists as insecure.

Token requests go through the ``Fetch`` the host client hands in, so they
are counted and bounded like every other exchange (deadline, run budget) and
follow no redirect.
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import urlsplit

from pinlint.registry.credentials import Credential, DockerCredentials

if TYPE_CHECKING:
    from pinlint.registry.client import Reply


class Fetch(Protocol):
    """One bounded exchange that follows no redirect (``HostClient._fetch``)."""

    def __call__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Reply: ...


_CHALLENGE = re.compile(r'([A-Za-z][A-Za-z0-9_-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)')
_TOKEN_SLACK = 10.0


class Challenge(NamedTuple):
    scheme: str  # "basic" | "bearer" | other, lower case
    params: dict[str, str]


def parse_challenge(header: str) -> Challenge | None:
    """The first Basic or Bearer challenge in a ``WWW-Authenticate`` header."""
    header = header.strip()
    m = re.match(r"([A-Za-z]+)\s*(.*)", header, re.S)
    if not m:
        return None
    params = {k.lower(): v[1:-1] if v.startswith('"') else v for k, v in _CHALLENGE.findall(m[2])}
    return Challenge(m[1].lower(), params)


def scope_for(url: str) -> str:
    """``repository:<name>:pull`` for a ``/v2/<name>/(manifests|blobs|tags)/…`` URL."""
    path = urlsplit(url).path
    m = re.match(r"^/v2/(.+?)/(?:manifests|blobs|tags)/", path)
    return f"repository:{m[1]}:pull" if m else ""


class RegistryAuth:
    """Per-host auth state, shared by the threads talking to that host.
    Token requests go through ``fetch`` (the host client's bounded exchange)."""

    def __init__(
        self,
        host: str,
        fetch: Fetch,
        credentials: DockerCredentials,
        may_send_secret: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self._fetch = fetch
        self._credentials = credentials
        self._may_send_secret = may_send_secret
        self._clock = clock
        self._scheme: str | None = None
        self._challenge: dict[str, str] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._scope_locks: dict[str, threading.Lock] = {}

    @property
    def credential(self) -> Credential | None:
        return self._credentials.lookup(self.host)

    def header(self, scope: str, url: str) -> dict[str, str]:
        """The Authorization header to send up front, when the scheme is known."""
        if self._scheme == "basic":
            return self._basic(url)
        if self._scheme == "bearer" and scope:
            token = self._token(scope)
            if token:
                return {"Authorization": f"Bearer {token}"}
        return {}

    def authenticate_request(
        self, www_authenticate: str, url: str, headers: dict[str, str] | None = None
    ) -> tuple[dict[str, str], bool]:
        """Answer the challenge a 401 for ``url`` carried: the headers to send
        again, and whether sending them again makes sense."""
        headers = dict(headers or {})
        challenge = parse_challenge(www_authenticate)
        if challenge is None:
            return headers, False
        if challenge.scheme == "basic":
            self._scheme = "basic"
            basic = self._basic(url)
            if not basic or headers.get("Authorization") == basic["Authorization"]:
                return headers, False
            headers.update(basic)
            return headers, True
        if challenge.scheme == "bearer" and challenge.params.get("realm"):
            with self._lock:
                self._scheme = "bearer"
                self._challenge = {k: challenge.params[k] for k in ("realm", "service") if k in challenge.params}
            scope = challenge.params.get("scope") or scope_for(url)
            stale = headers.get("Authorization")
            token = self._token(scope, force=True) if stale else self._token(scope)
            if not token or stale == f"Bearer {token}":
                return headers, False
            headers["Authorization"] = f"Bearer {token}"
            return headers, True
        return headers, False

    # internals -------------------------------------------------------------
    def _basic(self, url: str) -> dict[str, str]:
        cred = self.credential
        if cred is None or cred.identity_token or not self._may_send_secret(url):
            return {}
        raw = f"{cred.username}:{cred.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}

    def _token(self, scope: str, force: bool = False) -> str | None:
        with self._lock:
            lock = self._scope_locks.setdefault(scope, threading.Lock())
        with lock:
            cached = self._tokens.get(scope)
            if cached and not force and cached[1] > self._clock():
                return cached[0]
            token, lifetime = self._fetch_token(scope)
            if token:
                self._tokens[scope] = (token, self._clock() + max(lifetime - _TOKEN_SLACK, 1.0))
            return token

    def _fetch_token(self, scope: str) -> tuple[str | None, float]:
        realm = self._challenge.get("realm", "")
        if not realm.startswith(("https://", "http://")):
            return None, 0.0
        params = {"service": self._challenge.get("service", "")}
        if scope:
            params["scope"] = scope
        params = {k: v for k, v in params.items() if v}
        cred = self.credential if self._may_send_secret(realm) else None
        if cred is not None and cred.identity_token:
            form = dict(params, grant_type="refresh_token", refresh_token=cred.secret, client_id="pinlint")
            response = self._fetch("POST", realm, {}, data=form)
        else:
            headers = {}
            if cred is not None:
                raw = f"{cred.username}:{cred.secret}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
            response = self._fetch("GET", realm, headers, params=params)
        if response.status_code != 200:
            return None, 0.0
        try:
            data: Any = json.loads(response.content)
            token = data.get("token") or data.get("access_token")
            lifetime = float(data.get("expires_in") or 60)
        except (ValueError, AttributeError, TypeError):
            return None, 0.0
        return (token if isinstance(token, str) and token else None), lifetime
