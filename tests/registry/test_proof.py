"""A pass needs proof (SPEC §7): manifest bytes that hash to the pinned digest.
A registry's word (HEAD 200, a ``Docker-Content-Digest`` header) proves
nothing, is never cached, and a header that differs from the bytes is PIN019
naming the host.  Every attack goes through the real CLI."""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from faultproxy import Rule
from hostile import Liar, requested_digest
from test_cli import deployment, make_repo, pinlint

from pinlint.registry.cache import DiskCache

NOWHERE = "sha256:" + "5e" * 32  # pushed nowhere
FORGED = "sha256:" + "66" * 32
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": "sha256:" + "77" * 32, "size": 2},
                       "layers": []}).encode()


@pytest.fixture
def liar_factory():
    made: list[Liar] = []

    def make(answer):
        made.append(Liar(answer))
        return made[-1]

    yield make
    for liar in made:
        liar.close()


def _run(tmp_path: Path, images: list[str], host: str, *args: str):
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(*images)}, f'registries:\n  insecure: ["{host}"]\n')
    result = pinlint(gitops, "--format", "json", *args, ".")
    return result, (json.loads(result.stdout)["findings"] if result.stdout.strip().startswith(b"{") else None)


def _cache_entries(isolated_env: Path, kind: str) -> list[dict]:
    """Every cached entry of ``kind``: in packs, and in the one-file-per-entry layout of earlier versions."""
    root = isolated_env / "cache" / "pinlint" / "registry" / "v1"
    entries = [json.loads(p.read_text()) for p in (root / kind).rglob("*.json")] if (root / kind).exists() else []
    for pack in (root / "packs").rglob("*.json") if (root / "packs").exists() else ():
        entries += [e for e in json.loads(pack.read_text())["entries"] if e["kind"] == kind]
    return entries


def _assert_only_proven(isolated_env: Path) -> None:
    """Every cached manifest hashes to the digest it is stored under, and
    nothing cached names the digest that was never served."""
    for entry in _cache_entries(isolated_env, "manifest"):
        digest = entry["key"].rsplit("@", 1)[1]
        assert "sha256:" + hashlib.sha256(base64.b64decode(entry["data"])).hexdigest() == digest
    for kind in ("manifest", "tag", "exists"):
        assert not [e for e in _cache_entries(isolated_env, kind) if NOWHERE in json.dumps(e)], kind


def test_a_server_that_says_yes_to_everything_passes_nothing(tmp_path, liar_factory, isolated_env):
    # HEAD 200 without a digest header, GET 200 with a body that is no manifest at all
    liar = liar_factory(lambda method, path: (200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
                                              b"" if method == "HEAD" else b"{}"))
    images = [f"{liar.address}/acme/web@{NOWHERE}", f"{liar.address}/acme/web:v1@{NOWHERE}"]

    for run in (1, 2):  # the lie is not cached: the second run asks again and still fails
        before = liar.count()
        result, findings = _run(tmp_path / str(run), images, liar.address)
        assert result.returncode == 3, result.stderr
        assert [f["rule"] for f in findings] == ["PIN019", "PIN019"]
        assert all(liar.address in f["message"] for f in findings)
        assert liar.count() > before
    assert liar.count(method="HEAD") == 0
    assert _cache_entries(isolated_env, "exists") == []
    _assert_only_proven(isolated_env)


def test_a_server_echoing_the_requested_digest_passes_nothing(tmp_path, liar_factory, isolated_env):
    def echo(method: str, path: str):
        said = requested_digest(path) or FORGED  # a tag "names" the forged digest
        return 200, {"Docker-Content-Digest": said,
                     "Content-Type": "application/vnd.oci.image.manifest.v1+json"}, MANIFEST

    liar = liar_factory(echo)
    images = [f"{liar.address}/acme/web@{NOWHERE}", f"{liar.address}/acme/web:v1@{FORGED}"]

    result, findings = _run(tmp_path, images, liar.address)

    assert result.returncode == 3, result.stderr
    assert [f["rule"] for f in findings] == ["PIN019", "PIN019"]
    for f in findings:
        assert liar.address in f["message"]
        assert "does not match the digest" in f["message"] or "differs from the digest of its bytes" in f["message"]
    _assert_only_proven(isolated_env)
    assert not [e for e in _cache_entries(isolated_env, "tag") if FORGED in json.dumps(e)]


def test_digest_header_that_differs_from_the_bytes_is_pin019_naming_the_host(tmp_path, proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("set-header", match="/manifests/", header="Docker-Content-Digest", value=FORGED))
    images = [f"{proxy.address}/{repo}@{img.digest}", f"{proxy.address}/{repo}:v1@{img.digest}"]

    result, findings = _run(tmp_path, images, proxy.address)

    assert result.returncode == 3, result.stderr
    assert [f["rule"] for f in findings] == ["PIN019", "PIN019"]
    for f in findings:
        assert proxy.address in f["message"] and FORGED in f["message"] and "differs" in f["message"]


def test_unproven_entries_of_earlier_versions_are_not_believed(tmp_path, proxy, registry, repo, isolated_env):
    img = registry.pusher.image(repo, "v1")
    name = f"{proxy.address}/{repo}"
    old = DiskCache(str(isolated_env / "cache" / "pinlint"))
    old.write("exists", f"{name}@{NOWHERE}", {"media_type": "application/vnd.oci.image.manifest.v1+json"})
    old.write("tag", f"{name}:v1", {"digest": NOWHERE, "media_type": ""})  # a HEAD's header, no proof
    assert _cache_entries(isolated_env, "exists")

    result, findings = _run(tmp_path, [f"{name}@{NOWHERE}", f"{name}:v1@{NOWHERE}"], proxy.address)

    assert result.returncode == 1, result.stderr
    assert sorted((f["line"], f["rule"]) for f in findings) == [(10, "PIN010"), (12, "PIN010"), (12, "PIN011")]
    assert img.digest in next(f["message"] for f in findings if f["rule"] == "PIN011")
    assert _cache_entries(isolated_env, "exists") == []  # removed, not just ignored
    assert [e["digest"] for e in _cache_entries(isolated_env, "tag")] == [img.digest]


def test_proven_facts_are_cached_and_a_warm_run_sends_no_digest_request(tmp_path, proxy, registry, repo, isolated_env):
    img = registry.pusher.image(repo, "v1")
    images = [f"{proxy.address}/{repo}@{img.digest}", f"{proxy.address}/{repo}:v1@{img.digest}"]
    result, findings = _run(tmp_path / "1", images, proxy.address)
    assert (result.returncode, findings) == (0, []), result.stderr
    assert proxy.count(method="HEAD") == 0
    _assert_only_proven(isolated_env)

    proxy.reset()
    result, findings = _run(tmp_path / "2", images, proxy.address)
    assert (result.returncode, findings) == (0, [])
    assert proxy.count("/manifests/sha256:") == 0


def _fix(tmp_path: Path, image: str, host: str):
    text = deployment(image)
    gitops = make_repo(tmp_path, {"k8s/web.yaml": text}, f'registries:\n  insecure: ["{host}"]\n')
    result = pinlint(gitops, "--fix", "--format", "json", ".")
    return result, (gitops / "k8s" / "web.yaml").read_text(), text


def test_fix_never_writes_a_digest_taken_from_a_header(tmp_path, proxy, registry, repo):
    registry.pusher.image(repo, "v1")
    proxy.add(Rule("set-header", match="/manifests/v1", header="Docker-Content-Digest", value=FORGED))

    result, after, before = _fix(tmp_path, f"{proxy.address}/{repo}:v1", proxy.address)

    assert after == before  # nothing written
    assert FORGED not in after
    assert result.returncode == 3, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert any(f["rule"] == "PIN019" and proxy.address in f["message"] for f in findings)


def test_fix_writes_the_hash_of_the_tags_bytes(tmp_path, proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("drop-header", match="/manifests/v1", header="Docker-Content-Digest"))

    result, after, _ = _fix(tmp_path, f"{proxy.address}/{repo}:v1", proxy.address)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{proxy.address}/{repo}:v1@{img.digest}" in after
    assert proxy.count("/manifests/v1", "HEAD") == 0
