"""The change under review in ``--base`` mode: what ``REF...HEAD`` touches.

Committed changes from the merge base (what a pull request changes; see
``GitRepo.changed_paths``).  The engine judges references only in the files
it lists; the git check asks it whether a reference is a new or edited pin
and whether the change also edits an image's source paths (PIN031).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from pinlint.git import GitRepo, GitTree, norm_path
from pinlint.model import LocatedRef

MAX_BASE_FILE = 10 * 1024 * 1024


class BaseChange(NamedTuple):
    repo: GitRepo
    base: str  # the ref as the user wrote it
    merge_base: GitTree  # the files as the change found them
    paths: frozenset[str]  # every path the change adds, modifies or deletes

    @classmethod
    def between(cls, repo: GitRepo, base: str, head: str = "HEAD") -> BaseChange:
        paths = frozenset(repo.changed_paths(base, head))
        fork = repo.merge_base(base, head)
        return cls(repo, base, GitTree(repo, fork), paths)

    def judged(self, relpath: str) -> bool:
        return relpath in self.paths

    def edits_pin(self, ref: LocatedRef) -> bool:
        """Whether the change adds or edits this reference: its file changed
        and the file as the change found it does not hold the reference text."""
        if ref.path not in self.paths:
            return False
        try:
            before = self.merge_base.read(ref.path, MAX_BASE_FILE)
        except ValueError:
            return True
        return before is None or ref.text.encode("utf-8") not in before

    def touched(self, sources: Iterable[str]) -> list[str]:
        """The changed paths at or under any of ``sources`` (``""``: the whole repository)."""
        roots = [norm_path(s) for s in sources]
        return sorted(p for p in self.paths if any(not r or p == r or p.startswith(r + "/") for r in roots))

    def touches(self, sources: Iterable[str]) -> bool:
        return bool(self.touched(list(sources)))
