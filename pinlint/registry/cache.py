"""The on-disk cache: immutable digest results across runs, tags briefly.

What a run proves (``put_content``, ``put_tag``) is gathered in memory and
written by ``flush`` (the resolver's ``close``) in a few batch files, "packs",
under ``<cache dir>/registry/v1/packs/<shard>/``: the entries whose key hashes
to one of 16 shards go into one new pack of that shard, so a run that proves
a thousand facts writes at most 16 files instead of a thousand (creating a
file costs the kernel ~0.2-0.5 ms: that was a fifth of a cold run's CPU).
A pack holds each entry with its key, is written once to a unique temporary
file created exclusively (``O_EXCL | O_NOFOLLOW``) readable by the user only,
renamed into place and never changed, so concurrent pinlint processes only
ever see whole packs, and two processes flushing at once each add their own
pack: neither loses the other's facts.  When a shard holds ``MAX_PACKS``
packs, the flush merges them (and what it adds) into one new pack and then
removes the packs it read; a pack another process adds meanwhile is not
touched, and a reader that misses a pack removed under it fetches that fact
again, nothing worse.  A folder is used only once its real path is inside the
cache (a symlinked folder out of the cache is never written through).  Packs
are not fsynced: an entry is a hint that is checked when read - a pack that
does not parse is removed, an entry of the wrong shape is skipped, and a
content entry that does not hash to its digest is ignored.  A run that ends
without ``flush`` (killed) only loses facts that the next run fetches again.
Only positive answers are stored: a digest that is missing today may be
pushed tomorrow.

Earlier versions wrote one JSON file per entry under ``<kind>/<xx>/``
(``write`` still does, for the tests); those are still read when no pack has
the key, and a flush removes the old file of each key it packs.

Only what bytes prove is stored (SPEC §7): manifests and blobs under the
digest they hash to, and a tag's digest (for a short time) as the hash of the
bytes it served.  Earlier versions also recorded "exists" entries taken from
a HEAD answer and tags taken from a ``Docker-Content-Digest`` header; those
prove nothing, so the ``exists`` folder is removed when the cache is opened
and tag entries without ``proof`` are ignored.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any

from pinlint.atomicwrite import write_text
from pinlint.errors import WriteError
from pinlint.registry.manifests import matches_digest

_VERSION = "v1"
_PROOF = "manifest-bytes"  # how a tag entry's digest was learnt: hashing what the tag served
_PACK = 1  # the pack format
SHARDS = "0123456789abcdef"
MAX_PACKS = 8  # packs a shard may hold before a flush merges them
_LEGACY_KINDS = ("manifest", "blob", "tag")

Entry = dict[str, Any]


class DiskCache:
    def __init__(self, root: str, *, clock: Callable[[], float] = time.time) -> None:
        self.root = os.path.join(root, "registry", _VERSION)
        self._clock = clock
        self._made: set[str] = set()  # folders made and found inside the cache
        self._pending: dict[tuple[str, str], Entry] = {}  # (kind, key) -> entry
        self._lock = threading.Lock()
        self._shard_locks = {s: threading.Lock() for s in SHARDS}
        self._index: dict[str, dict[tuple[str, str], Entry]] = {}  # shard -> what its packs hold
        self._real_root: str | None = None
        # unproven "exists" entries of earlier versions (a HEAD's word): never read, removed
        shutil.rmtree(os.path.join(self.root, "exists"), ignore_errors=True)
        self._legacy = any(os.path.isdir(os.path.join(self.root, kind)) for kind in _LEGACY_KINDS)

    # -- primitives ----------------------------------------------------------
    @staticmethod
    def _name(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def _path(self, kind: str, key: str) -> str:
        """Where an earlier version kept the entry, one file per entry."""
        name = self._name(key)
        return os.path.join(self.root, kind, name[:2], f"{name}.json")

    def _pack_folder(self, shard: str) -> str:
        return os.path.join(self.root, "packs", shard)

    def read(self, kind: str, key: str) -> Entry | None:
        with self._lock:
            pending = self._pending.get((kind, key))
        if pending is not None:
            return pending
        packed = self._shard(self._name(key)[0]).get((kind, key))
        if packed is not None:
            return packed
        if not self._legacy:
            return None
        try:
            with open(self._path(kind, key), "rb") as f:
                entry = json.loads(f.read())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        return entry

    def write(self, kind: str, key: str, value: dict[str, Any]) -> None:
        """Write one entry now, in the one-file-per-entry layout of earlier
        versions (what the resolver proves goes through ``put_*`` and ``flush``)."""
        path = self._path(kind, key)
        directory = os.path.dirname(path)
        entry = dict(value, key=key, stored=self._clock())
        try:
            if directory not in self._made:
                os.makedirs(directory, exist_ok=True)
                self._made.add(directory)
            write_text(path, json.dumps(entry), root=self.root, new_file_mode=0o600, durable=False)
            self._legacy = True
        except (OSError, WriteError):
            pass  # a cache that cannot be written is only a slower run

    # -- packs ---------------------------------------------------------------
    def _shard(self, shard: str) -> dict[tuple[str, str], Entry]:
        """What the packs of one shard hold, read once per run."""
        index = self._index.get(shard)
        if index is not None:
            return index
        with self._shard_locks[shard]:
            index = self._index.get(shard)
            if index is None:
                index, _ = self._load(shard)
                self._index[shard] = index
            return index

    def _load(self, shard: str) -> tuple[dict[tuple[str, str], Entry], list[str]]:
        """(entries by (kind, key), the pack files read) of one shard; a pack
        that is not a JSON object is removed (packs are whole once they have
        their name, so it can only be damaged), one of another format is left
        alone, an entry of the wrong shape is skipped."""
        folder = self._pack_folder(shard)
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".json") and not n.startswith("."))
        except OSError:
            return {}, []
        index: dict[tuple[str, str], Entry] = {}
        read: list[str] = []
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as f:
                    doc = json.loads(f.read())
            except OSError:
                continue  # gone meanwhile (merged by another process), or unreadable
            except ValueError:
                doc = None
            if not isinstance(doc, dict):  # damaged: removed
                with contextlib.suppress(OSError):
                    os.unlink(path)
                continue
            entries = doc.get("entries") if doc.get("pack") == _PACK else None
            if not isinstance(entries, list):
                continue  # another format (a later version's?): left alone
            read.append(path)
            for entry in entries:
                if not isinstance(entry, dict):
                    continue
                kind, key, stored = entry.get("kind"), entry.get("key"), entry.get("stored")
                if not isinstance(kind, str) or not isinstance(key, str) or not isinstance(stored, (int, float)):
                    continue
                if self._name(key)[0] != shard:
                    continue
                known = index.get((kind, key))
                if known is None or known["stored"] <= stored:
                    index[(kind, key)] = entry
        return index, read

    def _defer(self, kind: str, key: str, value: dict[str, Any]) -> None:
        entry = dict(value, kind=kind, key=key, stored=self._clock())
        with self._lock:
            self._pending[(kind, key)] = entry

    def flush(self) -> None:
        """Write every entry gathered since the last flush: one new pack per
        shard touched (merging the shard's packs once it holds ``MAX_PACKS``)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        by_shard: dict[str, list[Entry]] = {}
        for (_kind, key), entry in pending.items():
            by_shard.setdefault(self._name(key)[0], []).append(entry)
        for shard, entries in sorted(by_shard.items()):
            with contextlib.suppress(OSError):  # a cache that cannot be written is only a slower run
                self._flush_shard(shard, entries)
        if self._legacy:  # the packed facts supersede their files of the old layout
            for kind, key in pending:
                with contextlib.suppress(OSError):
                    os.unlink(self._path(kind, key))

    def _flush_shard(self, shard: str, entries: list[Entry]) -> None:
        folder = self._pack_folder(shard)
        if folder not in self._made and not self._inside(folder):
            return
        self._shard(shard)  # read once if this run has not (which removes damaged packs)
        with self._shard_locks[shard]:
            try:
                count = sum(1 for n in os.listdir(folder) if n.endswith(".json") and not n.startswith("."))
            except OSError:
                count = 0
            merged: list[str] = []
            if count + 1 > MAX_PACKS:
                index, merged = self._load(shard)  # read again now: other processes may have added packs
                for entry in entries:
                    index[(entry["kind"], entry["key"])] = entry
                entries = list(index.values())
                self._index[shard] = index
            name = f"{time.time_ns()}-{os.getpid()}-{os.urandom(4).hex()}.json"
            self._replace(os.path.join(folder, name), json.dumps({"pack": _PACK, "entries": entries}).encode())
            for path in merged:  # only once the merged pack has its name
                with contextlib.suppress(OSError):
                    os.unlink(path)

    def _inside(self, directory: str) -> bool:
        """Make ``directory`` and say whether its real path is inside the cache."""
        os.makedirs(directory, exist_ok=True)
        if self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        real = os.path.realpath(directory)
        if os.path.commonpath([self._real_root, real]) != self._real_root:
            return False
        self._made.add(directory)
        return True

    @staticmethod
    def _replace(path: str, data: bytes) -> None:
        """``data`` at ``path``, whole or not at all: a new file renamed into place."""
        directory, name = os.path.split(path)
        tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    # -- what the resolver stores ----------------------------------------------
    def get_content(self, kind: str, key: str, digest: str) -> tuple[bytes, str] | None:
        """Cached bytes (and media type) whose hash is ``digest``."""
        entry = self.read(kind, key)
        if entry is None:
            return None
        try:
            data = base64.b64decode(entry["data"], validate=True)
        except (KeyError, TypeError, ValueError):
            return None
        if not matches_digest(data, digest):
            return None
        return data, str(entry.get("media_type") or "")

    def put_content(self, kind: str, key: str, data: bytes, media_type: str) -> None:
        self._defer(kind, key, {"data": base64.b64encode(data).decode("ascii"), "media_type": media_type})

    def get_tag(self, key: str, ttl: float) -> tuple[str, str] | None:
        """(digest, media type) for a tag looked up less than ``ttl`` seconds ago."""
        if ttl <= 0:
            return None
        entry = self.read("tag", key)
        if entry is None or entry.get("proof") != _PROOF:
            return None
        stored, digest = entry.get("stored"), entry.get("digest")
        if not isinstance(stored, (int, float)) or not isinstance(digest, str):
            return None
        age = self._clock() - stored
        if age < 0 or age >= ttl:
            return None
        return digest, str(entry.get("media_type") or "")

    def put_tag(self, key: str, digest: str, media_type: str) -> None:
        """Record a tag's digest: the hash of the manifest bytes it served."""
        self._defer("tag", key, {"digest": digest, "media_type": media_type, "proof": _PROOF})
