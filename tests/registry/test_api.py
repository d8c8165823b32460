"""The resolution API that fix mode and the source-commit checks build on."""
from __future__ import annotations

import base64
import json

import pytest
from faultproxy import Rule
from helpers import config, resolver

from pinlint.registry import NotFound
from pinlint.registry.credentials import DockerCredentials
from pinlint.registry.manifests import DOCKER_LIST, OCI_INDEX, OCI_MANIFEST

REV = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def r(proxy):
    with resolver(config(insecure=[proxy.address])) as res:
        yield res


def test_resolve_tag_gives_digest_and_media_type(r, proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    index, _ = registry.pusher.multiarch(repo, "multi")
    name = f"{proxy.address}/{repo}"
    assert r.resolve_tag(name, "v1") == (img.digest, OCI_MANIFEST)
    tag = r.resolve_tag(f"{name}:multi")
    assert tag.digest == index.digest and tag.is_index
    with pytest.raises(NotFound):
        r.resolve_tag(name, "nope")


def test_fresh_tag_lookup_bypasses_the_tag_cache(r, proxy, registry, repo):
    registry.pusher.image(repo, "v1", content="a")
    name = f"{proxy.address}/{repo}"
    r.resolve_tag(name, "v1")
    moved = registry.pusher.image(repo, "v1", content="b")
    assert r.resolve_tag(name, "v1", fresh=True).digest == moved.digest


def test_manifest_of_index_lists_platforms(r, proxy, registry, repo):
    index, platforms = registry.pusher.multiarch(repo, "multi", docker=True)
    found = r.manifest(f"{proxy.address}/{repo}", index.digest)
    assert found.is_index and found.media_type == DOCKER_LIST
    assert [(str(d.platform), d.digest) for d in found.manifests] == [
        (p, pushed.digest) for p, pushed in platforms.items()]
    assert r.platform_manifests(f"{proxy.address}/{repo}", index.digest) == found.manifests


def test_revision_from_annotations_and_config_labels(r, proxy, registry, repo):
    img = registry.pusher.image(repo, "v1", labels={"org.opencontainers.image.revision": REV},
                                annotations={"org.opencontainers.image.revision": REV})
    index = registry.pusher.index(repo, "multi", {"linux/amd64": img},
                                  annotations={"org.opencontainers.image.revision": REV})
    name = f"{proxy.address}/{repo}"
    assert r.manifest(name, img.digest).annotations == {"org.opencontainers.image.revision": REV}
    assert r.labels(name, img.digest) == {"org.opencontainers.image.revision": REV}
    assert r.manifest(name, index.digest).annotations["org.opencontainers.image.revision"] == REV
    assert r.manifest(name, index.digest).media_type == OCI_INDEX
    with pytest.raises(ValueError):
        r.image_config(name, index.digest)


def test_tags_pointing_at_a_digest(r, proxy, registry, repo):
    img = registry.pusher.image(repo, f"git-{REV}")
    registry.pusher.manifest(repo, "latest", img.body, img.media_type)
    registry.pusher.image(repo, "git-" + "f" * 40, content="other")
    name = f"{proxy.address}/{repo}"
    assert sorted(r.list_tags(name)) == sorted([f"git-{REV}", "git-" + "f" * 40, "latest"])
    assert r.tags_pointing_at(name, img.digest, "git-*") == (f"git-{REV}",)


def test_manifests_and_configs_come_from_the_disk_cache_next_run(proxy, registry, repo):
    img = registry.pusher.image(repo, "v1", labels={"a": "b"})
    name = f"{proxy.address}/{repo}"
    with resolver(config(insecure=[proxy.address])) as first:
        first.labels(name, img.digest)
    proxy.reset()
    with resolver(config(insecure=[proxy.address])) as second:
        assert second.labels(name, img.digest) == {"a": "b"}
        assert second.exists(name, img.digest)
    assert proxy.count() == 0


def test_tag_resolves_when_the_registry_sends_no_digest_header(r, proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("drop-header", match="/manifests/v1", header="Docker-Content-Digest"))
    assert r.resolve_tag(f"{proxy.address}/{repo}", "v1").digest == img.digest
    assert proxy.count("/manifests/v1", "GET") == 1  # HEAD did not say: fetched and hashed


def test_docker_hub_credentials_are_found_under_their_legacy_key(tmp_path):
    secret = base64.b64encode(b"hubuser:hubtoken").decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": secret}}}))
    creds = DockerCredentials(str(tmp_path))
    found = creds.lookup("registry-1.docker.io")
    assert found is not None and (found.username, found.secret) == ("hubuser", "hubtoken")
    assert "hubtoken" not in repr(found)
    assert creds.lookup("ghcr.io") is None
