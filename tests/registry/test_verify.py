"""PIN010, PIN011 and PIN013 against a real registry (through a counting proxy)."""
from __future__ import annotations

import pytest
from helpers import by_ref, config, run_check


def _cfg(proxy, **extra):
    return config(insecure=[proxy.address], **extra)


def test_tag_that_still_names_the_pin_is_clean_with_one_get(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    ref = f"{proxy.address}/{repo}:v1@{img.digest}"

    assert run_check([ref], _cfg(proxy)) == []
    assert proxy.count("/manifests/v1", "GET") == 1  # the tag's bytes hash to the pin: both proven
    assert proxy.count("/manifests/") == 1


def test_digest_only_pin_that_exists_is_clean(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    assert run_check([f"{proxy.address}/{repo}@{img.digest}"], _cfg(proxy)) == []
    assert proxy.count(f"/manifests/{img.digest}", "GET") == 1  # bytes that hash to the pin
    assert proxy.count("/manifests/") == 1


def test_missing_digest_is_pin010_naming_the_host(proxy, registry, repo):
    registry.pusher.image(repo, "v1")
    missing = "sha256:" + "ab" * 32
    hits = run_check([f"{proxy.address}/{repo}@{missing}"], _cfg(proxy))

    assert [h.rule for h in hits] == ["PIN010"]
    assert missing in hits[0].message and proxy.address in hits[0].message
    assert hits[0].fix is None


def test_digest_from_another_repository_is_pin010(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    other = repo + "-other"
    registry.pusher.image(other, "v1", content="something else")
    hits = run_check([f"{proxy.address}/{other}@{img.digest}"], _cfg(proxy))
    assert [h.rule for h in hits] == ["PIN010"]


def test_moved_tag_is_pin011_with_both_digests_and_refresh_fix(proxy, registry, repo):
    old = registry.pusher.image(repo, "v1", content="old")
    new = registry.pusher.image(repo, "v1", content="new")
    text = f"{proxy.address}/{repo}:v1@{old.digest}"
    hits = run_check([text], _cfg(proxy))

    assert [h.rule for h in hits] == ["PIN011"]
    assert old.digest in hits[0].message and new.digest in hits[0].message
    assert hits[0].fix == f"{proxy.address}/{repo}:v1@{new.digest}"


def test_deleted_digest_with_moved_tag_is_both_pin010_and_pin011(proxy, registry, repo):
    new = registry.pusher.image(repo, "v1")
    gone = "sha256:" + "cd" * 32
    hits = run_check([f"{proxy.address}/{repo}:v1@{gone}"], _cfg(proxy))
    assert sorted(h.rule for h in hits) == ["PIN010", "PIN011"]
    pin011 = next(h for h in hits if h.rule == "PIN011")
    assert pin011.fix == f"{proxy.address}/{repo}:v1@{new.digest}"


def test_deleted_tag_is_pin011_without_fix(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    hits = run_check([f"{proxy.address}/{repo}:v0@{img.digest}"], _cfg(proxy))
    assert [h.rule for h in hits] == ["PIN011"]
    assert "v0 no longer exists" in hits[0].message and hits[0].fix is None


@pytest.mark.parametrize("docker", [False, True], ids=["oci-index", "docker-manifest-list"])
def test_platform_manifest_of_the_tags_index_is_pin013(proxy, registry, repo, docker):
    index, platforms = registry.pusher.multiarch(repo, "2.0", docker=docker)
    arm = platforms["linux/arm64/v8"].digest
    hits = run_check([f"{proxy.address}/{repo}:2.0@{arm}"], _cfg(proxy))

    assert [h.rule for h in hits] == ["PIN013"]
    assert "linux/arm64/v8" in hits[0].message and index.digest in hits[0].message
    assert hits[0].fix == f"{proxy.address}/{repo}:2.0@{index.digest}"


@pytest.mark.parametrize("docker", [False, True], ids=["oci-index", "docker-manifest-list"])
def test_index_and_platform_digests_both_exist(proxy, registry, repo, docker):
    index, platforms = registry.pusher.multiarch(repo, "2.0", docker=docker)
    texts = [f"{proxy.address}/{repo}:2.0@{index.digest}", f"{proxy.address}/{repo}@{index.digest}"]
    texts += [f"{proxy.address}/{repo}@{p.digest}" for p in platforms.values()]
    assert run_check(texts, _cfg(proxy)) == []


def test_platform_manifest_of_an_unrelated_index_is_pin011(proxy, registry, repo):
    _, platforms = registry.pusher.multiarch(repo, "old", content="a")
    index, _ = registry.pusher.multiarch(repo, "2.0", content="b")
    pinned = platforms["linux/amd64"].digest
    hits = run_check([f"{proxy.address}/{repo}:2.0@{pinned}"], _cfg(proxy))
    assert [h.rule for h in hits] == ["PIN011"]
    assert hits[0].fix == f"{proxy.address}/{repo}:2.0@{index.digest}"


def test_same_digest_pinned_in_many_files_is_looked_up_once(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    texts = [f"{proxy.address}/{repo}@{img.digest}"] * 7 + [f"{proxy.address}/{repo}:v1@{img.digest}"] * 5
    hits = run_check(texts, _cfg(proxy, **{"tag-cache-ttl": 0}))

    assert hits == []
    assert proxy.count(f"/manifests/{img.digest}") <= 1
    assert proxy.count("/manifests/v1") == 1


def test_every_reference_gets_its_own_hit(proxy, registry, repo):
    old = registry.pusher.image(repo, "v1", content="old")
    registry.pusher.image(repo, "v1", content="new")
    text = f"{proxy.address}/{repo}:v1@{old.digest}"
    hits = run_check([text, text, text], _cfg(proxy))
    assert [h.ref.span.line for h in hits] == [1, 2, 3]
    assert proxy.count("/manifests/") == 1 + proxy.count(f"/manifests/{old.digest}")


def test_unpinned_templated_and_invalid_references_are_not_looked_up(proxy, registry, repo):
    registry.pusher.image(repo, "v1")
    texts = [f"{proxy.address}/{repo}:v1", f"{proxy.address}/{repo}", "${IMAGE}",
             f"{proxy.address}/{repo}@git:HEAD", f"{proxy.address}/{repo}@sha256:abc"]
    assert run_check(texts, _cfg(proxy)) == []
    assert proxy.count() == 0


def test_warm_cache_sends_no_request_for_digest_pinned_references(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    index, platforms = registry.pusher.multiarch(repo, "2.0")
    texts = [f"{proxy.address}/{repo}@{img.digest}", f"{proxy.address}/{repo}:v1@{img.digest}",
             f"{proxy.address}/{repo}@{index.digest}", f"{proxy.address}/{repo}:2.0@{index.digest}",
             f"{proxy.address}/{repo}:2.0@{platforms['linux/amd64'].digest}"]
    first = run_check(texts, _cfg(proxy))
    assert proxy.count() > 0
    proxy.reset()

    second = run_check(texts, _cfg(proxy))

    assert by_ref(second) == by_ref(first)
    assert by_ref(second) == {texts[4]: ["PIN013"]}
    assert proxy.count() == 0


def test_tag_cache_expires_but_digest_cache_does_not(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    texts = [f"{proxy.address}/{repo}:v1@{img.digest}", f"{proxy.address}/{repo}@{img.digest}"]
    run_check(texts, _cfg(proxy, **{"tag-cache-ttl": 0}))
    proxy.reset()

    registry.pusher.image(repo, "v1", content="moved")
    hits = run_check(texts, _cfg(proxy, **{"tag-cache-ttl": 0}))

    assert by_ref(hits) == {texts[0]: ["PIN011"]}
    assert proxy.count("/manifests/v1") == 1
    assert proxy.count(f"/manifests/{img.digest}") == 0


def test_cache_can_be_disabled(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    texts = [f"{proxy.address}/{repo}@{img.digest}"]
    run_check(texts, _cfg(proxy, cache=False))
    run_check(texts, _cfg(proxy, cache=False))
    assert proxy.count(f"/manifests/{img.digest}") == 2
