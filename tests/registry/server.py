"""Start Debian's ``docker-registry`` (the CNCF distribution server) on
127.0.0.1 with a throwaway storage directory, optionally behind htpasswd
basic auth (bcrypt hash made with the ``bcrypt`` package).  Shared by the
test fixtures and the benchmark."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import requests
from pushing import Pusher

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"


class RegistryUnavailable(RuntimeError):
    pass


class RunningRegistry(NamedTuple):
    address: str  # 127.0.0.1:PORT
    pusher: Pusher
    storage: Path

    @property
    def url(self) -> str:
        return f"http://{self.address}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp: Path, port: int, storage: Path, auth: tuple[str, str] | None) -> Path:
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
    return config


@contextlib.contextmanager
def running_registry(tmp: Path, auth: tuple[str, str] | None = None) -> Iterator[RunningRegistry]:
    if not os.path.exists(REGISTRY_BIN):
        raise RegistryUnavailable("docker-registry is not installed: apt-get install docker-registry")
    port = free_port()
    storage = tmp / "storage"
    storage.mkdir()
    config = _config(tmp, port, storage, auth)
    address = f"127.0.0.1:{port}"
    with open(tmp / "registry.log", "wb") as log:
        proc = subprocess.Popen([REGISTRY_BIN, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(200):
                if proc.poll() is not None:
                    raise RegistryUnavailable(f"docker-registry exited: {(tmp / 'registry.log').read_text()[-2000:]}")
                try:
                    if requests.get(f"http://{address}/v2/", timeout=1, auth=auth).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                time.sleep(0.05)
            else:
                raise RegistryUnavailable("docker-registry did not come up")
            yield RunningRegistry(address, Pusher(f"http://{address}", auth=auth), storage)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
