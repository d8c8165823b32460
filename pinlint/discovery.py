"""Which files a run looks at.

Directories are walked (``.git`` and dependency folders skipped, as is a
folder that is another repository's checkout, ``exclude`` globs applied);
files named on the command line are taken as given, which is what pre-commit
does.  Symlinks are followed only inside the repository: a
link out of it, or a loop, becomes a PIN901 finding instead of being read.
"""
from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from typing import NamedTuple

from pinlint import globs
from pinlint.formats import Classifier
from pinlint.model import FileProblem

SKIP_DIRS = frozenset((".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", "__pycache__"))


class Candidate(NamedTuple):
    relpath: str  # relative to the root, "/"-separated
    abspath: str
    kind: str


def find_root(start: str) -> str:
    """The repository containing ``start`` (the nearest folder with ``.git``), else ``start``."""
    path = os.path.abspath(start)
    if os.path.isfile(path):
        path = os.path.dirname(path)
    probe = path
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return path
        probe = parent


def relative(root: str, path: str) -> str:
    rel = os.path.relpath(os.path.abspath(path), root)
    return rel.replace(os.sep, "/")


def discover(root: str, paths: Iterable[str], classifier: Classifier, exclude: list[str],
             include: list[str]) -> tuple[list[Candidate], list[FileProblem]]:
    real_root = os.path.realpath(root)
    files: dict[str, Candidate] = {}
    problems: list[FileProblem] = []
    walker = _Walker(root, real_root, classifier, exclude, include, files, problems)
    for path in paths:
        apath = os.path.abspath(path)
        rel = relative(root, apath)
        if rel.startswith("../"):
            problems.append(FileProblem("PIN901", rel, "outside the repository: not read"))
            continue
        if os.path.isdir(apath) and not os.path.islink(apath):
            walker.walk_dir(apath, "" if rel == "." else rel)
        elif os.path.lexists(apath):
            walker.file(apath, rel, explicit=True)
        else:
            problems.append(FileProblem("PIN901", rel, "no such file"))
    return sorted(files.values()), problems


class _Walker:
    def __init__(self, root: str, real_root: str, classifier: Classifier, exclude: list[str], include: list[str],
                 files: dict[str, Candidate], problems: list[FileProblem]) -> None:
        self.root = root
        self.real_root = real_root
        self.classifier = classifier
        self.exclude = globs.compile_any(exclude)
        self.include = globs.compile_any(include)
        self.files = files
        self.problems = problems
        self.seen_dirs: set[str] = set()

    def _kind(self, rel: str) -> str | None:
        kind = self.classifier.kind(rel)
        if kind is None and self.include and self.include.match(rel):
            return "kubernetes"
        return kind

    def file(self, apath: str, rel: str, explicit: bool = False, link: bool | None = None) -> None:
        """``link``: whether ``apath`` is a symlink, when the caller knows (a
        walked directory entry says so without another ``lstat``)."""
        if self.exclude and self.exclude.match(rel):
            return
        kind = self._kind(rel)
        if kind is None:
            return
        # A named file may sit under a folder symlink (``ext/x.yaml`` with
        # ``ext -> ../elsewhere``): check where it really is, not only the
        # last component.  Walked files come from folders already checked.
        if explicit or (os.path.islink(apath) if link is None else link):
            problem = self._link_problem(apath)
            if problem:
                self.problems.append(FileProblem("PIN901", rel, problem))
                return
        self.files[rel] = Candidate(rel, apath, kind)

    def _link_problem(self, apath: str) -> str | None:
        try:
            target = os.path.realpath(apath, strict=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "symlink loop: not read"
            return "symlink to a missing file: not read"
        if not _inside(target, self.real_root):
            return "symlink leads out of the repository: not read"
        return None

    def walk_dir(self, apath: str, rel: str, real: str | None = None) -> None:
        # Each folder's real path, for loop detection: the start's is asked of
        # the file system once; a subfolder reached through a directory entry
        # that is not a symlink is its parent's real path plus its name, so
        # walking costs no lstat per path component of every folder.
        stack = [(apath, rel, real or os.path.realpath(apath))]
        while stack:
            dpath, drel, real = stack.pop()
            if real in self.seen_dirs:
                continue
            self.seen_dirs.add(real)
            try:
                entries = list(os.scandir(dpath))
            except OSError as exc:
                self.problems.append(FileProblem("PIN901", drel or ".", f"cannot list directory: {exc.strerror}"))
                continue
            if drel != rel and ".git" in [e.name for e in entries]:
                continue  # another repository checked out inside this one (git does not track it either)
            rel_prefix = drel + "/" if drel else ""
            real_prefix = real if real.endswith(os.sep) else real + os.sep
            for entry in entries:
                name = entry.name
                erel = rel_prefix + name
                if entry.is_dir(follow_symlinks=False):
                    if name not in SKIP_DIRS and not (self.exclude and self.exclude.match(erel + "/")):
                        stack.append((entry.path, erel, real_prefix + name))
                elif entry.is_symlink():
                    self._symlink(entry.path, erel)
                else:
                    self.file(entry.path, erel, link=False)

    def _symlink(self, apath: str, rel: str) -> None:
        if self.exclude and self.exclude.match(rel):
            return
        try:
            target = os.path.realpath(apath, strict=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self.problems.append(FileProblem("PIN901", rel, "symlink loop: not read"))
            elif self._kind(rel):
                self.problems.append(FileProblem("PIN901", rel, "symlink to a missing file: not read"))
            return
        if os.path.isdir(target):
            if not _inside(target, self.real_root):
                self.problems.append(FileProblem("PIN901", rel, "symlink leads out of the repository: not read"))
            elif target in self.seen_dirs or _inside(os.path.realpath(os.path.dirname(apath)), target):
                self.problems.append(
                    FileProblem("PIN901", rel, "symlink loop (points at a folder that contains it): not read")
                )
            else:
                self.walk_dir(apath, rel, target)
        else:
            self.file(apath, rel)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
