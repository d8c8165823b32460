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
cache (a symlinked folder out of the cache is never written through).

The cache folder is not trusted blindly (a planted tag entry would steer
``--fix``): it is used only when it, ``registry`` and ``registry/v1`` are
owned by the user and writable by nobody else (otherwise one warning, and the
run keeps its facts in memory only); a folder below them is read, written or
cleaned only if it is a real folder (not a symlink) of the same kind whose
real path is inside the cache; a pack is opened without following a symlink
and without blocking (a FIFO), and read only if it is a regular file of the
same kind no larger than ``PACK_MAX_BYTES``.  Only files named like pinlint's
own packs and entries are ever removed.  Packs
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
import re
import shutil
import stat
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from pinlint import inert
from pinlint.atomicwrite import write_text
from pinlint.errors import WriteError
from pinlint.registry.manifests import matches_digest

_VERSION = "v1"
_PROOF = "manifest-bytes"  # how a tag entry's digest was learnt: hashing what the tag served
_PACK = 1  # the pack format
SHARDS = "0123456789abcdef"
MAX_PACKS = 8  # packs a shard may hold before a flush merges them
_LEGACY_KINDS = ("manifest", "blob", "tag")
PACK_MAX_BYTES = 4 * 1024 * 1024  # a pack (or old entry file) larger than this is damaged: skipped, never read
_PACK_NAME = re.compile(r"[0-9]{1,20}-[0-9]{1,10}-[0-9a-f]{8}\.json")  # what ``_flush_shard`` names a pack
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.json")  # an entry file of the old layout
_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))

Entry = dict[str, Any]


def _foreign(st: os.stat_result) -> str | None:
    """Why a file or folder may hold what someone else wrote (None: it cannot).
    Platforms without ``os.getuid`` have no such check."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return None
    if st.st_uid != getuid():
        return "owned by another user"
    if st.st_mode & 0o022:
        return "writable by group or others"
    return None


def _read_file(path: str) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a symlink, FIFO or
    device) only the user can write, at most ``PACK_MAX_BYTES`` long; None
    otherwise or on any error."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or _foreign(st) or st.st_size > PACK_MAX_BYTES:
            return None
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, PACK_MAX_BYTES + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
            if total > PACK_MAX_BYTES:  # grew since fstat: damaged
                return None
    except (OSError, ValueError, MemoryError):
        return None
    finally:
        os.close(fd)


class DiskCache:
    def __init__(self, root: str, *, clock: Callable[[], float] = time.time) -> None:
        self.base = root
        self.root = os.path.join(root, "registry", _VERSION)
        self._clock = clock
        self._made: set[str] = set()  # folders made and found inside the cache
        self._pending: dict[tuple[str, str], Entry] = {}  # (kind, key) -> entry
        self._lock = threading.Lock()
        self._shard_locks = {s: threading.Lock() for s in SHARDS}
        self._index: dict[str, dict[tuple[str, str], Entry]] = {}  # shard -> what its packs hold
        self._real_root: str | None = None
        self._safe: set[str] = set()  # folders found safe to read (see ``_folder_ok``)
        self._legacy = False
        self._usable: bool | None = None  # None: the cache folder not checked yet

    # -- trust -----------------------------------------------------------------
    def usable(self) -> bool:
        """Whether the disk cache may be used this run: checked once (then
        the old layout's leftovers are looked at); when not, one warning."""
        if self._usable is not None:
            return self._usable
        with self._lock:
            if self._usable is None:
                problem = self._untrusted()
                if problem is not None:
                    folder, why = problem
                    sys.stderr.write(f"pinlint: warning: not using the registry cache: {inert.text(folder)} is "
                                     f"{why}; facts are kept for this run only\n")
                    self._usable = False
                else:
                    self._setup()
                    self._usable = True
            return self._usable

    def _untrusted(self) -> tuple[str, str] | None:
        """(folder, why) if the cache folder or the ``registry/v1`` folders
        pinlint reads could hold what someone else wrote."""
        path = self.base
        for part in ("", "registry", _VERSION, "packs"):
            path = os.path.join(path, part) if part else path
            try:
                st = os.stat(path) if not part else os.lstat(path)  # the cache folder itself may be a link
            except FileNotFoundError:
                return None  # made by this run (user-only), when it writes
            except OSError as exc:
                return path, f"unreadable ({exc.strerror})"
            if stat.S_ISLNK(st.st_mode):
                return path, "a symlink"
            if not stat.S_ISDIR(st.st_mode):
                return path, "not a folder"
            why = _foreign(st)
            if why is not None:
                return path, why
        return None

    def _setup(self) -> None:
        # unproven "exists" entries of earlier versions (a HEAD's word): never read, removed
        exists = os.path.join(self.root, "exists")
        if self._folder_ok(exists):
            shutil.rmtree(exists, ignore_errors=True)
        self._legacy = any(self._folder_ok(os.path.join(self.root, kind)) for kind in _LEGACY_KINDS)

    def _folder_ok(self, folder: str) -> bool:
        """Whether ``folder`` (under ``root``) and each folder between are real
        folders (no symlink) only the user can write, inside the real cache."""
        if folder in self._safe:
            return True
        rel = os.path.relpath(folder, self.root)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
            return False
        path = self.root
        for part in ([] if rel == os.curdir else rel.split(os.sep)):
            path = os.path.join(path, part)
            try:
                st = os.lstat(path)
            except (OSError, ValueError):
                return False
            if not stat.S_ISDIR(st.st_mode) or _foreign(st) is not None:  # a symlink is not S_ISDIR by lstat
                return False
        try:
            if self._real_root is None:
                self._real_root = os.path.realpath(self.root)
            real = os.path.realpath(folder)
            if os.path.commonpath([self._real_root, real]) != self._real_root:
                return False
        except (OSError, ValueError):
            return False
        self._safe.add(folder)
        return True

    def _mkdirs(self, folder: str) -> None:
        """Make ``folder``: the cache's own folders readable by the user only."""
        parent = os.path.dirname(os.path.abspath(self.base))
        os.makedirs(parent, exist_ok=True)
        path = self.base
        rel = os.path.relpath(folder, self.base)
        for part in ["", *rel.split(os.sep)]:
            path = os.path.join(path, part) if part else path
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)

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
        if not self.usable():
            return None
        packed = self._shard(self._name(key)[0]).get((kind, key))
        if packed is not None:
            return packed
        if not self._legacy:
            return None
        path = self._path(kind, key)
        if not self._folder_ok(os.path.dirname(path)):
            return None
        data = _read_file(path)
        if data is None:
            return None
        try:
            entry = json.loads(data)
        except (ValueError, MemoryError, RecursionError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        return entry

    def write(self, kind: str, key: str, value: dict[str, Any]) -> None:
        """Write one entry now, in the one-file-per-entry layout of earlier
        versions (what the resolver proves goes through ``put_*`` and ``flush``)."""
        if not self.usable():
            return
        path = self._path(kind, key)
        directory = os.path.dirname(path)
        entry = dict(value, key=key, stored=self._clock())
        try:
            if directory not in self._made:
                self._mkdirs(directory)
                if not self._folder_ok(directory):
                    return
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
        if not self._folder_ok(folder):  # missing, a symlink, out of the cache or writable by others
            return {}, []
        try:
            names = sorted(n for n in os.listdir(folder) if _PACK_NAME.fullmatch(n))
        except (OSError, ValueError):
            return {}, []
        index: dict[tuple[str, str], Entry] = {}
        read: list[str] = []
        for name in names:
            path = os.path.join(folder, name)
            data = _read_file(path)
            if data is None:
                continue  # gone meanwhile (merged by another process), unreadable, too large, not ours
            try:
                doc = json.loads(data)
            except (ValueError, MemoryError, RecursionError):
                doc = None
            if not isinstance(doc, dict):  # damaged (a regular file of ours, in the real cache): removed
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
        if not self.usable():
            return  # the facts stay in memory
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
                path = self._path(kind, key)
                if self._folder_ok(os.path.dirname(path)):
                    with contextlib.suppress(OSError):
                        os.unlink(path)

    def _flush_shard(self, shard: str, entries: list[Entry]) -> None:
        folder = self._pack_folder(shard)
        if folder not in self._made and not self._inside(folder):
            return
        self._shard(shard)  # read once if this run has not (which removes damaged packs)
        with self._shard_locks[shard]:
            try:
                count = sum(1 for n in os.listdir(folder) if _PACK_NAME.fullmatch(n))
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
            self._replace(os.path.join(folder, name), self._pack_bytes(entries))
            for path in merged:  # only once the merged pack has its name
                with contextlib.suppress(OSError):
                    os.unlink(path)

    @staticmethod
    def _pack_bytes(entries: list[Entry]) -> bytes:
        """A pack of ``entries``; past ``PACK_MAX_BYTES`` (which no reader
        would read) the newest entries that fit, the others dropped."""
        data = json.dumps({"pack": _PACK, "entries": entries}).encode()
        if len(data) <= PACK_MAX_BYTES:
            return data
        kept: list[Entry] = []
        size = 64
        for entry in sorted(entries, key=lambda e: e["stored"], reverse=True):
            size += len(json.dumps(entry).encode()) + 2
            if size > PACK_MAX_BYTES:
                break
            kept.append(entry)
        return json.dumps({"pack": _PACK, "entries": kept}).encode()

    def _inside(self, directory: str) -> bool:
        """Make ``directory`` and say whether it is a real folder of the
        user's inside the cache (``_folder_ok``)."""
        self._mkdirs(directory)
        if not self._folder_ok(directory):
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
