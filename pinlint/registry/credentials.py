"""Registry credentials the way docker and oras users already have them.

``$DOCKER_CONFIG/config.json`` (default ``~/.docker/config.json``):
``credHelpers`` (per-host ``docker-credential-<name>``), then ``credsStore``
(one helper for every host), then inline ``auths`` entries (``auth`` base64
``user:password``, or ``username``/``password``, or ``identitytoken``).
Secrets never appear in ``repr``, logs or error messages.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import subprocess
import threading
from typing import Any, NamedTuple

log = logging.getLogger("pinlint.registry")

HELPER_TIMEOUT = 10.0
_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")


class Credential(NamedTuple):
    username: str
    secret: str
    source: str  # where it came from, for messages: "credHelpers (pass)", "auths"

    @property
    def identity_token(self) -> bool:
        """A refresh token for the registry's token server (docker's
        ``identitytoken``, or a helper's ``<token>`` user)."""
        return self.username in ("", "<token>")

    def __repr__(self) -> str:
        return f"Credential(username={self.username!r}, secret='***', source={self.source!r})"

    def __str__(self) -> str:
        return repr(self)


def _hostname(key: str) -> str:
    """docker's ConvertToHostname: drop the scheme and any path."""
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key.split("/", 1)[0].lower()


def _server_keys(host: str) -> tuple[str, ...]:
    """The names a host may be stored under, most specific first."""
    if host in ("docker.io", "registry-1.docker.io", "index.docker.io"):
        return _HUB_KEYS
    return (host,)


class DockerCredentials:
    """Looks up credentials per registry host, once per host per run."""

    def __init__(self, config_dir: str | None = None) -> None:
        self.config_dir = config_dir or os.environ.get("DOCKER_CONFIG") or os.path.join(
            os.path.expanduser("~"), ".docker"
        )
        self._config: dict[str, Any] | None = None
        self._cache: dict[str, Credential | None] = {}
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        return os.path.join(self.config_dir, "config.json")

    def _load(self) -> dict[str, Any]:
        if self._config is None:
            try:
                with open(self.path, encoding="utf-8") as f:
                    data = json.load(f)
                self._config = data if isinstance(data, dict) else {}
            except FileNotFoundError:
                self._config = {}
            except (OSError, ValueError) as e:
                log.warning("ignoring docker config %s: %s", self.path, type(e).__name__)
                self._config = {}
        return self._config

    def lookup(self, host: str) -> Credential | None:
        """Credentials for ``host`` (``host[:port]``), or None for anonymous."""
        host = host.lower()
        with self._lock:
            if host in self._cache:
                return self._cache[host]
            found = self._find(host)
            self._cache[host] = found
            return found

    def _find(self, host: str) -> Credential | None:
        config = self._load()
        keys = _server_keys(host)
        helpers = config.get("credHelpers") or {}
        if isinstance(helpers, dict):
            for name, helper in helpers.items():
                if _hostname(str(name)) in keys and isinstance(helper, str) and helper:
                    return self._from_helper(helper, str(name))
        store = config.get("credsStore")
        if isinstance(store, str) and store:
            found = self._from_helper(store, keys[0])
            if found is not None:
                return found
        auths = config.get("auths") or {}
        if isinstance(auths, dict):
            for key in keys:
                for name, entry in auths.items():
                    if _hostname(str(name)) == _hostname(key) and isinstance(entry, dict):
                        found = _from_entry(entry)
                        if found is not None:
                            return found
        return None

    def _from_helper(self, helper: str, server: str) -> Credential | None:
        binary = f"docker-credential-{helper}"
        source = f"docker-credential-{helper}"
        try:
            proc = subprocess.run(
                [binary, "get"],
                input=server.encode(),
                capture_output=True,
                timeout=HELPER_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            log.warning("credential helper %s is not on PATH; looking up %s anonymously", binary, server)
            return None
        except (OSError, subprocess.TimeoutExpired) as e:
            log.warning("credential helper %s failed for %s: %s", binary, server, type(e).__name__)
            return None
        if proc.returncode != 0:
            # "credentials not found in native keychain" is the normal anonymous case
            return None
        try:
            payload: Any = json.loads(proc.stdout)
            username, secret = str(payload.get("Username", "")), str(payload["Secret"])
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("credential helper %s returned an unreadable answer for %s", binary, server)
            return None
        if not secret:
            return None
        return Credential(username, secret, source)


def _from_entry(entry: dict[str, Any]) -> Credential | None:
    token = entry.get("identitytoken")
    if isinstance(token, str) and token:
        return Credential("<token>", token, "auths (identitytoken)")
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            user, sep, password = base64.b64decode(auth, validate=False).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            log.warning("ignoring an undecodable 'auth' entry in the docker config")
            return None
        if sep:
            return Credential(user, password, "auths")
    name, given = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(given, str) and name and given:
        return Credential(name, given, "auths")
    return None
