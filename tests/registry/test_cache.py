"""The on-disk cache: XDG location, concurrent processes, corrupt entries."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import by_ref, config, run_check

WORKER = """
import sys
sys.path.insert(0, {tests!r})
from helpers import run_check, config
texts = sys.argv[2:]
hits = run_check(texts, config(insecure=[sys.argv[1]]))
print(len(hits))
"""


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file())


def test_cache_lives_under_xdg_cache_home(proxy, registry, repo, isolated_env):
    img = registry.pusher.image(repo, "v1")
    run_check([f"{proxy.address}/{repo}@{img.digest}"], config(insecure=[proxy.address]))
    files = _entries(isolated_env / "cache")
    assert files and all(str(f).startswith(str(isolated_env / "cache" / "pinlint")) for f in files)


def test_concurrent_processes_share_the_cache_safely(proxy, registry, repo, isolated_env):
    pushed = [registry.pusher.image(repo, f"v{i}", content=str(i)) for i in range(6)]
    texts = [f"{proxy.address}/{repo}:v{i}@{p.digest}" for i, p in enumerate(pushed)]
    texts += [f"{proxy.address}/{repo}@{p.digest}" for p in pushed]
    code = WORKER.format(tests=str(Path(__file__).parent))
    procs = [subprocess.Popen([sys.executable, "-c", code, proxy.address, *texts],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
             for _ in range(4)]
    outputs = [p.communicate(timeout=60) for p in procs]

    assert [
        (p.returncode, out.strip(), err) for p, (out, err) in zip(procs, outputs, strict=True)
    ] == [(0, b"0", b"")] * 4
    files = _entries(isolated_env / "cache")
    assert files and not [f for f in files if f.name.startswith(".")]  # no temporary file left
    for f in files:
        json.loads(f.read_text())  # every entry is whole
    proxy.reset()
    assert run_check(texts, config(insecure=[proxy.address])) == []
    assert proxy.count() == 0


def test_corrupt_cache_entries_are_ignored_and_rewritten(proxy, registry, repo, isolated_env):
    old = registry.pusher.image(repo, "v1", content="old")
    index, platforms = registry.pusher.multiarch(repo, "2.0")
    texts = [f"{proxy.address}/{repo}@{old.digest}", f"{proxy.address}/{repo}:2.0@{platforms['linux/amd64'].digest}"]
    cfg = config(insecure=[proxy.address])
    expected = by_ref(run_check(texts, cfg))
    assert expected == {texts[1]: ["PIN013"]}

    files = _entries(isolated_env / "cache")
    for i, f in enumerate(files):  # truncated, binary, valid JSON for another key, wrong shape
        f.write_bytes([b'{"key": ', b"\x00\xff\xfe", json.dumps({"key": "other", "data": "eA=="}).encode(),
                       b"[1, 2]"][i % 4])
    proxy.reset()

    assert by_ref(run_check(texts, cfg)) == expected
    assert proxy.count() > 0
    for f in _entries(isolated_env / "cache"):
        assert isinstance(json.loads(f.read_text()), dict)


def test_cached_manifest_that_does_not_match_its_digest_is_not_trusted(proxy, registry, repo, isolated_env):
    index, platforms = registry.pusher.multiarch(repo, "2.0")
    amd = platforms["linux/amd64"].digest
    text = f"{proxy.address}/{repo}:2.0@{amd}"
    cfg = config(insecure=[proxy.address], **{"tag-cache-ttl": 0})
    assert [h.rule for h in run_check([text], cfg)] == ["PIN013"]
    for f in _entries(isolated_env / "cache" / "pinlint" / "registry" / "v1" / "manifest"):
        entry = json.loads(f.read_text())
        forged = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                             "manifests": []}).encode()
        entry["data"] = base64.b64encode(forged).decode()
        f.write_text(json.dumps(entry))
    proxy.reset()

    assert [h.rule for h in run_check([text], cfg)] == ["PIN013"]
    assert proxy.count("/manifests/2.0", "GET") == 1  # the index, hashed: the forged one is not used
    assert proxy.count(f"/manifests/{amd}", "GET") == 1  # its forged entry is not proof either


def test_proven_facts_are_written_in_one_batch_when_flushed(tmp_path):
    from pinlint.registry.cache import DiskCache

    cache = DiskCache(str(tmp_path / "c"))
    digest = "sha256:" + hashlib.sha256(b"m").hexdigest()
    cache.put_content("manifest", f"r/a@{digest}", b"m", "application/x")
    cache.put_tag("r/a:1", digest, "application/x")
    assert _entries(tmp_path / "c" / "registry" / "v1" / "manifest") == []  # nothing written yet
    assert cache.get_content("manifest", f"r/a@{digest}", digest) == (b"m", "application/x")
    cache.flush()
    files = _entries(tmp_path / "c")
    assert len(files) == 2 and not [f for f in files if f.name.startswith(".")]
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    fresh = DiskCache(str(tmp_path / "c"))
    assert fresh.get_content("manifest", f"r/a@{digest}", digest) == (b"m", "application/x")
    assert fresh.get_tag("r/a:1", 60) == (digest, "application/x")


def test_a_flush_never_writes_through_a_symlink_out_of_the_cache(tmp_path):
    from pinlint.registry.cache import DiskCache

    cache = DiskCache(str(tmp_path / "c"))
    outside = tmp_path / "outside"
    outside.mkdir()
    digest = "sha256:" + hashlib.sha256(b"m").hexdigest()
    key = f"r/a@{digest}"
    shard = Path(cache._path("manifest", key)).parent
    shard.parent.mkdir(parents=True)
    shard.symlink_to(outside)  # the entry's folder leaves the cache
    cache.put_content("manifest", key, b"m", "")
    tag_path = Path(cache._path("tag", "r/a:1"))
    tag_path.parent.mkdir(parents=True)
    victim = outside / "victim"
    victim.write_text("keep")
    tag_path.symlink_to(victim)  # the entry itself is a link out of the cache
    cache.put_tag("r/a:1", digest, "")
    cache.flush()
    assert sorted(p.name for p in outside.iterdir()) == ["victim"] and victim.read_text() == "keep"
    assert not tag_path.is_symlink() and json.loads(tag_path.read_text())["digest"] == digest
