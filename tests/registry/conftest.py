"""Real registries for the registry tests.

``registry`` is Debian's ``docker-registry`` (the CNCF distribution server)
on 127.0.0.1 with a throwaway storage directory; ``auth_registry`` is a
second instance behind htpasswd basic auth (bcrypt hash generated here with
the ``bcrypt`` package).  ``proxy`` puts a fresh fault-injecting proxy in
front of ``registry`` for each test.  Every test gets its own empty cache
(``XDG_CACHE_HOME``) and docker config (``DOCKER_CONFIG``).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, NamedTuple

import pytest
import requests

sys.path.insert(0, os.path.dirname(__file__))

from faultproxy import FaultProxy  # noqa: E402
from pushing import Pusher  # noqa: E402

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"
AUTH_USER = "ci-bot"
AUTH_PASSWORD = "s3cr3t-Pa55word-never-printed"


class RunningRegistry(NamedTuple):
    address: str  # 127.0.0.1:PORT
    pusher: Pusher
    storage: Path

    @property
    def url(self) -> str:
        return f"http://{self.address}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp: Path, auth: tuple[str, str] | None) -> Iterator[RunningRegistry]:
    if not os.path.exists(REGISTRY_BIN):
        pytest.fail("docker-registry is not installed: apt-get install docker-registry")
    port = _free_port()
    storage = tmp / "storage"
    storage.mkdir()
    auth_block = ""
    if auth:
        import bcrypt

        hashed = bcrypt.hashpw(auth[1].encode(), bcrypt.gensalt(rounds=4)).decode()
        (tmp / "htpasswd").write_text(f"{auth[0]}:{hashed}\n")
        auth_block = f"auth:\n  htpasswd:\n    realm: pinlint-test\n    path: {tmp / 'htpasswd'}\n"
    config = tmp / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
        + auth_block
    )
    log = open(tmp / "registry.log", "wb")
    proc = subprocess.Popen([REGISTRY_BIN, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    try:
        for _ in range(200):
            if proc.poll() is not None:
                pytest.fail(f"docker-registry exited: {(tmp / 'registry.log').read_text()[-2000:]}")
            try:
                r = requests.get(f"http://{address}/v2/", timeout=1, auth=auth)
                if r.status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        else:
            pytest.fail("docker-registry did not come up")
        yield RunningRegistry(address, Pusher(f"http://{address}", auth=auth), storage)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    yield from _start(tmp_path_factory.mktemp("registry"), None)


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    yield from _start(tmp_path_factory.mktemp("auth-registry"), (AUTH_USER, AUTH_PASSWORD))


@pytest.fixture
def proxy(registry: RunningRegistry) -> Iterator[FaultProxy]:
    p = FaultProxy(registry.address)
    yield p
    p.close()


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache and docker config per test; never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    docker = tmp_path / "docker"
    docker.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def repo() -> str:
    """A fresh repository name per use, so tests sharing a registry never collide."""
    return f"acme/app{next(_counter)}-{os.getpid()}"
