"""Where a run's files come from: the ``Tree`` seam.

``WorkTree(root)`` is the working tree on disk (what every lint reads).
``GitTree(repo, rev)`` (in ``pinlint.git``) is a commit's tree, read through
git: the base ref's policy in ``--base`` mode and the source paths the git
checks compare.  Paths are relative to the repository root, ``/``-separated.
"""
from __future__ import annotations

import os
from typing import Protocol


class Tree(Protocol):
    """Read-only access to one version of a repository's files."""

    @property
    def label(self) -> str:
        """How messages name this tree: a folder, or ``REV`` for a commit."""
        ...

    def read(self, relpath: str, max_bytes: int) -> bytes | None:
        """The file's bytes, or None when it is absent or not a regular file.

        Raises ``ValueError`` when it is larger than ``max_bytes``.
        """
        ...


class WorkTree:
    """The files on disk under ``root``; never follows a symlink out of it."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._real_root = os.path.realpath(self.root)

    @property
    def label(self) -> str:
        return self.root

    def read(self, relpath: str, max_bytes: int) -> bytes | None:
        path = os.path.realpath(os.path.join(self.root, *relpath.split("/")))
        if not path.startswith(self._real_root + os.sep) or not os.path.isfile(path):
            return None
        if os.path.getsize(path) > max_bytes:
            raise ValueError(f"{relpath} is larger than {max_bytes} bytes")
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValueError(f"{relpath} is larger than {max_bytes} bytes")
        return data
