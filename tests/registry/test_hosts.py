"""registries.allow, registries.insecure, registries.mirrors and the rule that
unlisted loopback, link-local and private addresses are never contacted."""
from __future__ import annotations

import pytest
from faultproxy import Recorder, Rule
from helpers import by_ref, config, resolver, run_check

from pinlint.reference import parse
from pinlint.registry import NotAllowed, Resolver
from pinlint.registry.hosts import HostPolicy
from pinlint.registry.settings import Settings
from pinlint.registry.verify import host_refusals

DIGEST = "sha256:" + "ef" * 32


@pytest.fixture
def listener():
    """A socket on 127.0.0.2 that counts every connection it accepts."""
    rec = Recorder("127.0.0.2")
    yield rec
    rec.close()


def test_unlisted_loopback_registry_is_pin012_and_never_contacted(listener, registry):
    texts = [f"{listener.address}/acme/app@{DIGEST}", f"{listener.address}/acme/app:v1@{DIGEST}",
             f"{listener.address}/acme/app:v1"]
    # another host is listed: listing one private host does not open the others
    hits = run_check(texts, config(insecure=[registry.address]))

    assert by_ref(hits) == {t: ["PIN012"] for t in texts}
    assert "non-public address" in hits[0].message and listener.address in hits[0].message
    assert listener.accepts == 0


def test_name_resolving_to_loopback_is_pin012_and_never_contacted(listener):
    rec = Recorder("127.0.0.1")
    try:
        text = f"localhost:{rec.port}/acme/app@{DIGEST}"
        hits = run_check([text], config())
        assert [h.rule for h in hits] == ["PIN012"]
        assert "resolves to non-public address 127.0.0.1" in hits[0].message
        assert rec.accepts == 0
    finally:
        rec.close()


def test_listing_a_private_host_in_allow_lets_it_be_contacted(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    text = f"{proxy.address}/{repo}:v1@{img.digest}"
    cfg = config(allow=["127.0.0.1:*"], insecure=[proxy.address])
    assert run_check([text], cfg) == []
    assert proxy.count() == 1


def test_private_address_listed_only_in_insecure_is_contacted_over_http(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    assert run_check([f"{proxy.address}/{repo}@{img.digest}"], config(insecure=[proxy.address])) == []
    assert proxy.count() == 1


def test_allow_list_refuses_other_hosts_without_contacting_them(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    texts = [f"{proxy.address}/{repo}@{img.digest}", f"quay.io/acme/app@{DIGEST}", "quay.io/acme/app:v1"]
    hits = run_check(texts, config(allow=["ghcr.io", "*.example.com"], insecure=[proxy.address]))

    assert by_ref(hits) == {texts[1]: ["PIN012"], texts[2]: ["PIN012"]}
    assert "quay.io is not allowed by registries.allow (ghcr.io, *.example.com)" in hits[0].message
    assert proxy.count() == 1  # the insecure-listed host is thereby allowed


def test_empty_allow_list_allows_nothing(registry):
    hits = run_check([f"ghcr.io/acme/app@{DIGEST}"], config(allow=[]))
    assert [h.rule for h in hits] == ["PIN012"]


def test_mirror_gets_the_lookups_and_reports_keep_the_references_name(proxy, registry, repo):
    old = registry.pusher.image(repo, "v1", content="old")
    new = registry.pusher.image(repo, "v1", content="new")
    text = f"registry.example.com/{repo}:v1@{old.digest}"
    cfg = config(mirrors={"registry.example.com": proxy.address}, insecure=[proxy.address],
                 allow=["ghcr.io"])
    hits = run_check([text], cfg)

    assert [h.rule for h in hits] == ["PIN011"]
    assert hits[0].fix == f"registry.example.com/{repo}:v1@{new.digest}"
    assert proxy.count("/manifests/v1") == 1


def test_unreachable_mirror_is_named_in_pin019(repo):
    dead = Recorder("127.0.0.1")
    dead.close()
    cfg = config(mirrors={"docker.io": dead.address}, insecure=[dead.address])
    hits = run_check([f"nginx@{DIGEST}"], cfg)
    assert [h.rule for h in hits] == ["PIN019"]
    assert f"{dead.address} (mirror of docker.io)" in hits[0].message


def test_redirect_to_an_unlisted_private_address_is_not_followed(proxy, registry, repo, listener):
    img = registry.pusher.image(repo, "v1", labels={"org.opencontainers.image.revision": "abc"})
    proxy.add(Rule("redirect", match="/blobs/", location=f"http://{listener.address}/blob"))
    with resolver(config(insecure=[proxy.address])) as r, pytest.raises(NotAllowed) as err:
        r.labels(f"{proxy.address}/{repo}", img.digest)
    assert listener.address.split(":")[0] in str(err.value)
    assert listener.accepts == 0


def test_link_local_and_private_answers_are_refused_by_the_policy():
    answers = {"metadata.example": ["169.254.169.254"], "office.example": ["10.1.2.3"],
               "mixed.example": ["93.184.216.34", "192.168.0.7"], "public.example": ["93.184.216.34"],
               "v6.example": ["::1"], "mapped.example": ["::ffff:127.0.0.1"]}
    policy = HostPolicy(Settings(), resolve=lambda host, port: answers[host])
    for host in ("metadata.example", "office.example", "mixed.example", "v6.example", "mapped.example"):
        assert "non-public address" in (policy.refusal(host) or ""), host
    assert policy.refusal("public.example") is None
    for literal in ("10.0.0.1", "169.254.169.254:80", "[::1]:5000", "172.16.0.1", "100.64.0.1"):
        assert "non-public address" in (policy.refusal(literal) or ""), literal
    assert policy.refusal("93.184.216.34:5000") is None

    listed = HostPolicy(Settings(insecure=("10.0.0.1:5000",), allow=("*.corp.example", "ghcr.io")),
                        resolve=lambda host, port: ["10.9.9.9"])
    assert listed.refusal("10.0.0.1:5000") is None
    assert listed.refusal("registry.corp.example") is None
    assert listed.refusal("10.0.0.1:6000") is not None  # another port is another host
    assert listed.endpoint("10.0.0.1:5000").scheme == "http"
    assert listed.endpoint("ghcr.io").scheme == "https"
    assert listed.endpoint("docker.io").host == "registry-1.docker.io"


def test_hosts_of_unpinned_references_are_judged_without_dns():
    asked: list[str] = []
    policy = HostPolicy(Settings(), resolve=lambda host, port: asked.append(host) or ["10.0.0.1"])
    images = [parse("internal.example/app:v1"), parse(f"pinned.example/app@{DIGEST}"),
              parse("internal.example/app:v2"), parse("10.0.0.9/app:v1")]
    with Resolver(Settings(), policy=policy) as r:
        verdicts = host_refusals(r, images)
    assert asked == ["pinned.example"]
    assert verdicts["internal.example"] is None
    assert "non-public address 10.0.0.1" in verdicts["pinned.example"]
    assert "non-public address" in verdicts["10.0.0.9"]


def test_environment_proxies_are_still_honoured_per_origin(monkeypatch):
    import requests

    from pinlint.registry.netguard import GuardedSession

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")
    session = GuardedSession(HostPolicy(Settings()), connect_timeout=1, read_timeout=1, pool_size=1)
    plain = requests.Session()
    for url in ("https://ghcr.io/v2/a/manifests/1", "https://ghcr.io/v2/b/manifests/2",
                "https://direct.example/v2/a/manifests/1", "http://ghcr.io/v2/"):
        for _ in range(2):  # asked, then remembered
            got = session.merge_environment_settings(url, {}, True, None, None)
            assert got == plain.merge_environment_settings(url, {}, True, None, None)
    got = session.merge_environment_settings("https://ghcr.io/v2/", {}, True, None, None)
    got["proxies"]["https"] = "changed"  # a caller's copy, not the remembered answer
    assert session.merge_environment_settings("https://ghcr.io/v2/", {}, True, None, None)["proxies"][
        "https"] == "http://proxy.example:3128"
