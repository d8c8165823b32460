"""Fail-safe behaviour: every fault comes from the real proxy in front of the
real registry, and every outcome is PIN019 naming the host, never a hang or
a traceback."""
from __future__ import annotations

import socket
import time

from faultproxy import Rule
from helpers import config, run_check

from pinlint.reference import parse
from pinlint.registry import Resolver
from pinlint.registry.client import RunState
from pinlint.registry.settings import from_config
from pinlint.registry.verify import verify_all


def _cfg(proxy, **extra):
    return config(insecure=[proxy.address], **extra)


class RecordingSleep:
    """Really sleeps, and remembers what the retry logic asked for."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(seconds)


def _resolver(cfg: dict, sleep=None) -> Resolver:
    settings = from_config(cfg)
    state = RunState(settings, sleep=sleep) if sleep else None
    return Resolver(settings, state=state)


def test_429_with_retry_after_is_honoured_then_succeeds(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("status", match="/manifests/", status=429, headers=(("Retry-After", "1"),), times=1))
    sleep = RecordingSleep()
    with _resolver(_cfg(proxy), sleep) as r:
        assert r.exists(f"{proxy.address}/{repo}", img.digest)
    assert sleep.calls == [1.0]
    assert proxy.count("/manifests/") == 2


def test_retry_after_longer_than_30s_gives_up_at_once(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("status", match="/manifests/", status=429, headers=(("Retry-After", "120"),)))
    sleep = RecordingSleep()
    refs = [f"{proxy.address}/{repo}@{img.digest}", f"{proxy.address}/{repo}:v1@{img.digest}"]
    refs += [f"{proxy.address}/{repo}@sha256:{i}" + "0" * 63 for i in range(5)]
    with _resolver(_cfg(proxy, **{"connections-per-host": 1}), sleep) as r:
        verdicts = verify_all(r, [parse(t) for t in refs])

    assert [[p.rule for p in v] for v in verdicts.values()] == [["PIN019"]] * len(refs)
    message = verdicts[parse(refs[0])][0].message
    assert proxy.address in message and "120" in message
    assert sleep.calls == []
    assert proxy.count() == 1  # the host is marked unavailable after the first answer


def test_503_is_retried_three_times_then_pin019(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("status", match="/manifests/", status=503))
    hits = run_check([f"{proxy.address}/{repo}@{img.digest}"], _cfg(proxy))

    assert [h.rule for h in hits] == ["PIN019"]
    assert proxy.address in hits[0].message and "503" in hits[0].message
    assert proxy.count("/manifests/") == 3


def test_500_once_is_retried(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("status", match="/manifests/", status=500, times=1))
    assert run_check([f"{proxy.address}/{repo}@{img.digest}"], _cfg(proxy)) == []
    assert proxy.count("/manifests/") == 2


def test_connection_reset_once_is_retried(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("reset", match="/manifests/", times=1))
    assert run_check([f"{proxy.address}/{repo}@{img.digest}"], _cfg(proxy)) == []
    assert proxy.count("/manifests/") == 2


def test_connection_reset_every_time_is_pin019_after_three_attempts(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("reset", match="/manifests/"))
    hits = run_check([f"{proxy.address}/{repo}@{img.digest}"], _cfg(proxy))
    assert [h.rule for h in hits] == ["PIN019"]
    assert "reset" in hits[0].message and proxy.address in hits[0].message
    assert proxy.count("/manifests/") == 3


def test_server_that_never_answers_costs_one_timeout_not_one_per_reference(proxy, registry, repo):
    refs = [f"{proxy.address}/{repo}@sha256:{i:064x}" for i in range(20)]
    proxy.add(Rule("hang"))
    cfg = _cfg(proxy, **{"read-timeout": 0.5, "connections-per-host": 2})
    hits = run_check(refs, cfg)

    assert sorted(h.ref.text for h in hits) == sorted(refs)
    assert {h.rule for h in hits} == {"PIN019"}
    assert all(proxy.address in h.message for h in hits)
    assert any("no answer within 0.5 s" in h.message for h in hits)
    assert proxy.count() <= 2  # only the requests in flight when it was found dead


def test_refused_connection_is_pin019_naming_the_host(repo):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
    digest = "sha256:" + "12" * 32
    hits = run_check([f"{dead}/{repo}@{digest}", f"{dead}/{repo}:v1@{digest}"], config(insecure=[dead]))
    assert [h.rule for h in hits] == ["PIN019", "PIN019"]
    assert all(dead in h.message and "refused" in h.message for h in hits)


def test_garbage_index_is_pin019_not_a_traceback(proxy, registry, repo):
    index, _ = registry.pusher.multiarch(repo, "2.0")
    proxy.add(Rule("garbage", match=f"/manifests/{index.digest}", method="GET"))
    hits = run_check([f"{proxy.address}/{repo}@{index.digest}"], _cfg(proxy))
    assert [h.rule for h in hits] == ["PIN019"]
    assert proxy.address in hits[0].message and "does not match the digest" in hits[0].message


def test_garbage_digest_header_is_pin019(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("garbage", match="/manifests/"))
    hits = run_check([f"{proxy.address}/{repo}@{img.digest}"], _cfg(proxy))
    assert [h.rule for h in hits] == ["PIN019"]
    assert proxy.address in hits[0].message


def test_run_budget_bounds_the_whole_verification(proxy, registry, repo):
    refs = [f"{proxy.address}/{repo}@sha256:{i:064x}" for i in range(12)]
    proxy.latency = 0.3
    cfg = _cfg(proxy, budget=1, **{"connections-per-host": 1})
    hits = run_check(refs, cfg)

    budget_hits = [h for h in hits if "time budget" in h.message]
    assert sorted(h.ref.text for h in hits) == sorted(refs)  # each judged once: 404 or out of time
    assert {h.rule for h in hits} <= {"PIN010", "PIN019"}
    assert len(budget_hits) >= 6
    assert proxy.count() <= 6
