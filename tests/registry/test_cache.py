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

from pinlint.registry.cache import MAX_PACKS, SHARDS, DiskCache

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
    forged = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                         "manifests": []}).encode()
    packs = _entries(isolated_env / "cache" / "pinlint" / "registry" / "v1" / "packs")
    assert packs
    for f in packs:  # every cached manifest's bytes replaced, its key kept
        pack = json.loads(f.read_text())
        for entry in pack["entries"]:
            if entry["kind"] == "manifest":
                entry["data"] = base64.b64encode(forged).decode()
        f.write_text(json.dumps(pack))
    proxy.reset()

    assert [h.rule for h in run_check([text], cfg)] == ["PIN013"]
    assert proxy.count("/manifests/2.0", "GET") == 1  # the index, hashed: the forged one is not used
    assert proxy.count(f"/manifests/{amd}", "GET") == 1  # its forged entry is not proof either


def test_proven_facts_are_written_in_one_batch_when_flushed(tmp_path):
    cache = DiskCache(str(tmp_path / "c"))
    digests = ["sha256:" + hashlib.sha256(str(i).encode()).hexdigest() for i in range(200)]
    for i, digest in enumerate(digests):
        cache.put_content("manifest", f"r/a@{digest}", str(i).encode(), "application/x")
        cache.put_tag(f"r/a:{i}", digest, "application/x")
    assert _entries(tmp_path / "c") == []  # nothing written yet
    assert cache.get_content("manifest", f"r/a@{digests[0]}", digests[0]) == (b"0", "application/x")
    cache.flush()
    files = _entries(tmp_path / "c")
    assert 1 <= len(files) <= len(SHARDS)  # 400 facts, one pack per shard
    assert not [f for f in files if f.name.startswith(".")] and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    fresh = DiskCache(str(tmp_path / "c"))
    for i, digest in enumerate(digests):
        assert fresh.get_content("manifest", f"r/a@{digest}", digest) == (str(i).encode(), "application/x")
        assert fresh.get_tag(f"r/a:{i}", 60) == (digest, "application/x")


def test_packs_are_merged_without_losing_another_process_facts(tmp_path):
    root = str(tmp_path / "c")
    digest = "sha256:" + hashlib.sha256(b"m").hexdigest()
    keys = [k for k in (f"r/a:{i}" for i in range(2000)) if DiskCache._name(k)[0] == "0"]
    assert len(keys) > 3 * MAX_PACKS + 1
    late, keys = keys[0], keys[1:3 * MAX_PACKS + 1]
    other = DiskCache(root)  # a process that read the shard before the others wrote
    assert other.get_tag(late, 60) is None
    folder = tmp_path / "c" / "registry" / "v1" / "packs" / "0"
    for key in keys:  # one process after another, each adding a fact to the same shard
        cache = DiskCache(root)
        cache.put_tag(key, digest, "")
        cache.flush()
        assert 1 <= len(os.listdir(folder)) <= MAX_PACKS
    other.put_tag(late, digest, "")
    other.flush()
    fresh = DiskCache(root)
    assert all(fresh.get_tag(key, 60) == (digest, "") for key in [*keys, late])


def test_a_flush_never_writes_through_a_symlink_out_of_the_cache(tmp_path):
    cache = DiskCache(str(tmp_path / "c"))
    outside = tmp_path / "outside"
    outside.mkdir()
    packs = tmp_path / "c" / "registry" / "v1" / "packs"
    packs.mkdir(parents=True)
    for shard in SHARDS:
        (packs / shard).symlink_to(outside)  # every shard's folder leaves the cache
    digest = "sha256:" + hashlib.sha256(b"m").hexdigest()
    cache.put_content("manifest", f"r/a@{digest}", b"m", "")
    cache.put_tag("r/a:1", digest, "")
    cache.flush()
    assert list(outside.iterdir()) == []
