"""The on-disk cache: immutable digest results across runs, tags briefly.

One small JSON file per entry under ``<cache dir>/registry/v1/<kind>/``,
named by a hash of its key and holding the key itself.  What a run proves
(``put_content``, ``put_tag``) is gathered in memory and written in one
batch by ``flush`` (the resolver's ``close``), off the run's hot path: each
entry goes to a unique temporary file in its own folder, created exclusively
(``O_EXCL | O_NOFOLLOW``) readable by the user only, and renamed into place,
so concurrent pinlint processes only ever see whole entries, and two
processes writing the same entry both write a proven fact (the last rename
wins).  A folder is used only once its real path is inside the cache (a
symlinked folder out of the cache is never written through); a symlink at
an entry's own name is replaced by the rename, not followed.  Entries are not
fsynced: an entry is a hint that is checked when read, and an entry that
does not parse, names another key, or (for content) does not hash to its
digest is ignored and overwritten.  A run that ends without ``flush`` (killed)
only loses facts that the next run fetches again.  Only positive answers are
stored: a digest that is missing today may be pushed tomorrow.

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


class DiskCache:
    def __init__(self, root: str, *, clock: Callable[[], float] = time.time) -> None:
        self.root = os.path.join(root, "registry", _VERSION)
        self._clock = clock
        self._made: set[str] = set()  # folders made and found inside the cache
        self._pending: dict[str, tuple[str, str, dict[str, Any]]] = {}  # path -> (kind, key, entry)
        self._lock = threading.Lock()
        self._real_root: str | None = None
        # unproven "exists" entries of earlier versions (a HEAD's word): never read, removed
        shutil.rmtree(os.path.join(self.root, "exists"), ignore_errors=True)

    # -- primitives ----------------------------------------------------------
    def _path(self, kind: str, key: str) -> str:
        name = hashlib.sha256(key.encode()).hexdigest()
        return os.path.join(self.root, kind, name[:2], f"{name}.json")

    def read(self, kind: str, key: str) -> dict[str, Any] | None:
        path = self._path(kind, key)
        with self._lock:
            pending = self._pending.get(path)
        if pending is not None:
            return pending[2]
        try:
            with open(path, "rb") as f:
                entry = json.loads(f.read())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        return entry

    def write(self, kind: str, key: str, value: dict[str, Any]) -> None:
        """Write one entry now (``put_*`` batch theirs until ``flush``)."""
        path = self._path(kind, key)
        directory = os.path.dirname(path)
        entry = dict(value, key=key, stored=self._clock())
        try:
            if directory not in self._made:
                os.makedirs(directory, exist_ok=True)
                self._made.add(directory)
            write_text(path, json.dumps(entry), root=self.root, new_file_mode=0o600, durable=False)
        except (OSError, WriteError):
            pass  # a cache that cannot be written is only a slower run

    def _defer(self, kind: str, key: str, value: dict[str, Any]) -> None:
        entry = dict(value, key=key, stored=self._clock())
        with self._lock:
            self._pending[self._path(kind, key)] = (kind, key, entry)

    def flush(self) -> None:
        """Write every entry gathered since the last flush, atomically each."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for path, (_kind, _key, entry) in pending.items():
            directory = os.path.dirname(path)
            try:
                if directory not in self._made and not self._inside(directory):
                    continue
                self._replace(path, json.dumps(entry).encode())
            except OSError:
                pass  # a cache that cannot be written is only a slower run

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
        directory, name = os.path.split(path)
        tmp = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
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
