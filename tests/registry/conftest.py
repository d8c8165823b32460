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
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from faultproxy import FaultProxy  # noqa: E402
from server import RegistryUnavailable, RunningRegistry, running_registry  # noqa: E402

AUTH_USER = "ci-bot"
AUTH_PASSWORD = "s3cr3t-Pa55word-never-printed"


def _start(tmp: Path, auth: tuple[str, str] | None) -> Iterator[RunningRegistry]:
    try:
        with running_registry(tmp, auth) as running:
            yield running
    except RegistryUnavailable as e:
        pytest.fail(str(e))


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


SERVER_FIXTURES = frozenset({"registry", "auth_registry", "proxy"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs a real registry server (started once per session, a
    few seconds) is ``slow``: ``pytest -m "not slow"`` leaves it out."""
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def repo() -> str:
    """A fresh repository name per use, so tests sharing a registry never collide."""
    return f"acme/app{next(_counter)}-{os.getpid()}"
