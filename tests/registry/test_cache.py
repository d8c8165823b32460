"""The on-disk cache: XDG location, concurrent processes, corrupt entries."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers import by_ref, config, run_check

from pinlint.registry.cache import MAX_PACKS, PACK_MAX_BYTES, SHARDS, DiskCache

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


DIGEST = "sha256:" + hashlib.sha256(b"m").hexdigest()
PACK_NAME = "1700000000000000000-42-0badf00d.json"  # named as a flush names a pack
posix_owner = pytest.mark.skipif(not hasattr(os, "getuid"), reason="no owner check without os.getuid")


def _shard_key(shard: str = "0") -> str:
    return next(k for k in (f"r/a:{i}" for i in range(1000)) if DiskCache._name(k)[0] == shard)


def _pack(key: str) -> str:
    entry = {"kind": "tag", "key": key, "stored": 1, "digest": DIGEST, "media_type": "",
             "proof": "manifest-bytes"}
    return json.dumps({"pack": 1, "entries": [entry]})


def _packs(tmp_path: Path) -> Path:
    folder = tmp_path / "c" / "registry" / "v1" / "packs"
    folder.mkdir(parents=True)
    return folder


def _in_time(call, seconds: float = 10):
    """``call()``'s answer, failing (not hanging) if it blocks."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the cache read blocked"
    return out[0]


def test_a_symlinked_pack_folder_is_neither_read_nor_cleaned(tmp_path, capsys):
    key = _shard_key()
    outside = tmp_path / "outside"
    outside.mkdir()
    mine = {"notes.json": "[1, 2]", PACK_NAME: "not json", "1-2-00000000.json": _pack(key)}
    for name, text in mine.items():
        (outside / name).write_text(text)
    (_packs(tmp_path) / "0").symlink_to(outside)

    cache = DiskCache(str(tmp_path / "c"))
    assert cache.get_tag(key, 10**13) is None  # the planted pack is not read
    cache.put_tag(key, DIGEST, "")
    cache.flush()

    assert {p.name: p.read_text() for p in outside.iterdir()} == mine  # nothing deleted, nothing added
    assert capsys.readouterr().err == ""


def test_a_symlinked_pack_file_is_not_read_and_only_pinlint_names_are_removed(tmp_path):
    key = _shard_key()
    folder = _packs(tmp_path) / "0"
    folder.mkdir()
    outside = tmp_path / "outside.json"
    outside.write_text("[1, 2]")
    planted = tmp_path / "planted.json"
    planted.write_text(_pack(key))
    (folder / PACK_NAME).symlink_to(outside)  # damaged if followed: would be removed
    (folder / "1-2-00000000.json").symlink_to(planted)
    (folder / "notes.json").write_text("[1]")  # not named like a pack: left alone
    (folder / "2-2-00000000.json").write_text("[1]")  # a damaged pack of pinlint's: removed

    assert DiskCache(str(tmp_path / "c")).get_tag(key, 10**13) is None

    assert sorted(p.name for p in folder.iterdir()) == ["1-2-00000000.json", PACK_NAME, "notes.json"]
    assert (folder / PACK_NAME).is_symlink() and outside.read_text() == "[1, 2]"


def test_a_fifo_a_device_link_and_an_oversized_file_are_no_cached_fact(tmp_path, capsys):
    key = _shard_key()
    folder = _packs(tmp_path) / "0"
    folder.mkdir()
    os.mkfifo(folder / PACK_NAME)  # open() without O_NONBLOCK would wait for a writer forever
    (folder / "1-2-00000000.json").symlink_to("/dev/zero")  # read whole: MemoryError
    big = folder / "2-2-00000000.json"
    big.write_bytes(_pack(key).encode() + b" " * PACK_MAX_BYTES)  # whole JSON, past the cap
    legacy = DiskCache(str(tmp_path / "c"))._path("tag", key)
    os.makedirs(os.path.dirname(legacy))
    os.mkfifo(legacy)  # the old layout is read the same way

    cache = DiskCache(str(tmp_path / "c"))
    assert _in_time(lambda: cache.get_tag(key, 10**13)) is None
    assert _in_time(lambda: cache.get_tag(_shard_key("1"), 10**13)) is None

    assert sorted(p.name for p in folder.iterdir()) == ["1-2-00000000.json", PACK_NAME, "2-2-00000000.json"]
    assert big.stat().st_size > PACK_MAX_BYTES  # skipped, not removed
    assert capsys.readouterr().err == ""


def test_a_flush_never_writes_a_pack_no_reader_would_read(tmp_path):
    cache = DiskCache(str(tmp_path / "c"))
    blob = os.urandom(PACK_MAX_BYTES // 8)
    keys = [k for k in (f"r/a@{i}" for i in range(400)) if DiskCache._name(k)[0] == "0"][:8]
    for key in keys:
        cache.put_content("blob", key, blob, "")
    cache.flush()
    files = _entries(tmp_path / "c")
    assert len(files) == 1 and files[0].stat().st_size <= PACK_MAX_BYTES
    fresh = DiskCache(str(tmp_path / "c"))
    assert 1 <= sum(fresh.read("blob", key) is not None for key in keys) < len(keys)  # the newest that fit


@posix_owner
@pytest.mark.parametrize("folder", ["", "registry", "registry/v1", "registry/v1/packs"])
def test_a_cache_folder_others_can_write_is_not_used(tmp_path, capsys, folder):
    key = _shard_key()
    root = tmp_path / "c\x1b[2J"
    shard = root / "registry" / "v1" / "packs" / "0"
    shard.mkdir(parents=True, mode=0o700)
    (shard / PACK_NAME).write_text(_pack(key))  # a planted answer
    (root / folder).chmod(0o777)

    cache = DiskCache(str(root))
    assert cache.get_tag(key, 10**13) is None
    cache.put_tag(_shard_key("1"), DIGEST, "")
    assert cache.get_tag(_shard_key("1"), 60) == (DIGEST, "")  # the run's own facts, in memory
    cache.flush()
    assert cache.get_tag(key, 10**13) is None

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not using the registry cache" in err and "writable by group or others" in err
    assert str(root / folder).replace("\x1b", "\\x1b") in err and "\x1b" not in err  # named, escaped
    assert sorted(p.name for p in shard.iterdir()) == [PACK_NAME]
    assert not (root / "registry" / "v1" / "packs" / "1").exists()  # nothing written


@posix_owner
def test_a_cache_folder_of_another_user_is_not_used(tmp_path, capsys):
    if os.getuid() != 0:
        pytest.skip("needs root to give a folder to another user")
    key = _shard_key()
    root = tmp_path / "c"
    shard = root / "registry" / "v1" / "packs" / "0"
    shard.mkdir(parents=True, mode=0o700)
    (shard / PACK_NAME).write_text(_pack(key))
    assert DiskCache(str(root)).get_tag(key, 10**13) == (DIGEST, "")  # the user's own: used
    os.chown(root / "registry", 12345, 12345)
    capsys.readouterr()

    assert DiskCache(str(root)).get_tag(key, 10**13) is None
    assert "owned by another user" in capsys.readouterr().err


@posix_owner
def test_a_pack_or_shard_folder_others_can_write_is_skipped(tmp_path, capsys):
    key, other = _shard_key("0"), _shard_key("1")
    packs = _packs(tmp_path)
    for shard, k in (("0", key), ("1", other)):
        (packs / shard).mkdir(mode=0o700)
        (packs / shard / PACK_NAME).write_text(_pack(k))
    (packs / "0" / PACK_NAME).chmod(0o666)  # a pack others can write
    (packs / "1").chmod(0o777)  # a shard folder others can write
    (packs / "1" / "1-2-00000000.json").write_text("[1]")  # damaged, but in a folder not trusted: kept

    cache = DiskCache(str(tmp_path / "c"))
    assert cache.get_tag(key, 10**13) is None and cache.get_tag(other, 10**13) is None
    assert sorted(p.name for p in (packs / "1").iterdir()) == ["1-2-00000000.json", PACK_NAME]
    assert capsys.readouterr().err == ""


def test_new_cache_folders_are_the_user_s_only(tmp_path):
    old = os.umask(0o002)
    try:
        cache = DiskCache(str(tmp_path / "c"))
        cache.put_tag(_shard_key(), DIGEST, "")
        cache.flush()
    finally:
        os.umask(old)
    folders = [tmp_path / "c", *(p for p in (tmp_path / "c").rglob("*") if p.is_dir())]
    assert len(folders) == 5 and all(f.stat().st_mode & 0o077 == 0 for f in folders)
    assert DiskCache(str(tmp_path / "c")).get_tag(_shard_key(), 60) == (DIGEST, "")
