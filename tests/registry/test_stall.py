"""No stall (SPEC §7, §10): a server that drips one byte at a time - each one
resetting the read timeout - is cut off by the request's wall-clock deadline
(connect + read timeout) or the run's budget, and becomes PIN019 naming the
host; so does a bearer-token service that drips.  Through the real CLI."""
from __future__ import annotations

import json
import time

import pytest
from faultproxy import FaultProxy
from helpers import config, resolver
from hostile import Dripper
from test_cli import deployment, make_repo, pinlint

DIGEST = "sha256:" + "d1" * 32


@pytest.fixture
def dripper():
    made: list[Dripper] = []

    def make(**kwargs):
        made.append(Dripper(**kwargs))
        return made[-1]

    yield make
    for d in made:
        d.close()


def _lint(tmp_path, host: str, settings: str, count: int = 3):
    images = [f"{host}/acme/app{i}@{DIGEST}" for i in range(count)] + [f"{host}/acme/web:v1@{DIGEST}"]
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(*images)},
                       f'registries:\n  insecure: ["{host}"]\n{settings}')
    start = time.monotonic()
    result = pinlint(gitops, "--format", "json", "--no-progress", ".")
    return result, json.loads(result.stdout)["findings"], time.monotonic() - start


def test_dripping_headers_hit_the_request_deadline(tmp_path, dripper):
    slow = dripper(interval=0.1)  # far inside the 1 s read timeout: each byte resets it

    result, findings, elapsed = _lint(tmp_path, slow.address, "  connect-timeout: 0.5\n  read-timeout: 1\n")

    assert result.returncode == 3, result.stderr
    assert [f["rule"] for f in findings] == ["PIN019"] * 4
    assert all(slow.address in f["message"] for f in findings)
    assert any("no complete answer within 1.5 s" in f["message"] for f in findings)
    assert elapsed < 10  # one deadline, then the host is down for every other reference
    assert len(slow.paths) <= 4  # at most the requests in flight when it was found stalling: no retries
    assert slow.wait_idle(), "the dripping connection was left open"


def test_the_run_budget_is_enforced_while_a_server_drips(tmp_path, dripper):
    slow = dripper(interval=0.1)

    result, findings, elapsed = _lint(tmp_path, slow.address, "  budget: 2\n")  # 5 s + 10 s per request

    assert result.returncode == 3, result.stderr
    assert [f["rule"] for f in findings] == ["PIN019"] * 4
    assert any("2 s time budget" in f["message"] for f in findings)
    assert elapsed < 10
    assert slow.wait_idle()


def test_a_dripping_token_service_is_bounded_and_counted(tmp_path, dripper):
    def registry(path: str) -> bytes | None:
        if path.startswith("/token"):
            return None  # drip
        challenge = f'Bearer realm="http://{slow.address}/token",service="drip"'
        return (f"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {challenge}\r\n"
                "Docker-Distribution-API-Version: registry/2.0\r\nContent-Length: 0\r\n\r\n").encode()

    slow = dripper(interval=0.1, honest=registry)

    result, findings, elapsed = _lint(tmp_path, slow.address, "  connect-timeout: 0.5\n  read-timeout: 1\n")

    assert result.returncode == 3, result.stderr
    assert [f["rule"] for f in findings] == ["PIN019"] * 4
    assert any(f"token service {slow.address} sent no complete answer within 1.5 s" in f["message"]
               for f in findings)
    assert elapsed < 10
    assert len([p for p in slow.paths if p.startswith("/token")]) <= 4  # one per scope in flight, no retry
    assert slow.wait_idle()


def test_token_fetches_are_counted_like_every_exchange(registry, repo):
    img = registry.pusher.image(repo, "v1")
    front = FaultProxy(registry.address, bearer=True)
    try:
        with resolver(config(insecure=[front.address])) as r:
            assert r.exists(f"{front.address}/{repo}", img.digest)
            assert r.resolve_tag(f"{front.address}/{repo}", "v1").digest == img.digest
            assert front.tokens_issued == 1
            assert r.state.requests == front.count() == 4  # 401, token, digest, tag (token reused)
    finally:
        front.close()
