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
from typing import NamedTuple, Protocol

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


class Sink(Protocol):
    """Told of each file as a walk finds it (``discover(sink=...)``), so work
    on it can start before the walk ends.  ``folder`` is called when a folder
    has been listed, with what its parent carries and whether the folder's
    own ``.gitlab-ci.yml`` is a candidate (told before anything else of the
    folder); what it returns is carried by the folder's files and subfolders."""

    def start(self) -> object: ...

    def folder(self, rel: str, carried: object, has_pipeline: bool) -> object: ...

    def file(self, candidate: Candidate, carried: object) -> None: ...


def discover(root: str, paths: Iterable[str], classifier: Classifier, exclude: list[str],
             include: list[str], sink: Sink | None = None) -> tuple[list[Candidate], list[FileProblem]]:
    real_root = os.path.realpath(root)
    files: dict[str, Candidate] = {}
    problems: list[FileProblem] = []
    walker = _Walker(root, real_root, classifier, exclude, include, files, problems, sink)
    for path in paths:
        apath = os.path.abspath(path)
        rel = relative(root, apath)
        if rel.startswith("../"):
            problems.append(FileProblem("PIN901", rel, "outside the repository: not read"))
            continue
        if os.path.isdir(apath) and not os.path.islink(apath):
            walker.walk_dir(apath, "" if rel == "." else rel, carried=walker.start)
        elif os.path.lexists(apath):
            walker.file(apath, rel, walker.start, explicit=True)
        else:
            problems.append(FileProblem("PIN901", rel, "no such file"))
    return sorted(files.values()), problems


class _Walker:
    def __init__(self, root: str, real_root: str, classifier: Classifier, exclude: list[str], include: list[str],
                 files: dict[str, Candidate], problems: list[FileProblem], sink: Sink | None = None) -> None:
        self.sink = sink
        self.start = sink.start() if sink is not None else None
        self.root = root
        self.real_root = real_root
        self.classifier = classifier
        self.exclude = globs.compile_any(exclude)
        self.include = globs.compile_any(include)
        self.files = files
        self.problems = problems
        self.seen_dirs: set[str] = set()
        self.links: list[tuple[str, str, object]] | None = None  # symlinks found by the walk, read after it

    def _kind(self, rel: str) -> str | None:
        kind = self.classifier.kind(rel)
        if kind is None and self.include and self.include.match(rel):
            return "kubernetes"
        return kind

    def file(self, apath: str, rel: str, carried: object, explicit: bool = False, link: bool | None = None) -> None:
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
        candidate = self.files[rel] = Candidate(rel, apath, kind)
        if self.sink is not None:
            self.sink.file(candidate, carried)

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

    def walk_dir(self, apath: str, rel: str, real: str | None = None, carried: object = None) -> None:
        # Each folder's real path, for loop detection: the start's is asked of
        # the file system once; a subfolder reached through a directory entry
        # that is not a symlink is its parent's real path plus its name, so
        # walking costs no lstat per path component of every folder.
        outermost = self.links is None
        if outermost:
            self.links = []
        try:
            self._walk(apath, rel, real, carried)
            # Symlinks last: a folder reached both by its own path and through a
            # link is read under its own path (where includes and ignores name it).
            while outermost and self.links:
                self._symlink(*self.links.pop(0))
        finally:
            if outermost:
                self.links = None

    def _walk(self, apath: str, rel: str, real: str | None, carried: object) -> None:
        stack = [(apath, rel, real or os.path.realpath(apath), carried)]
        while stack:
            dpath, drel, real, carried = stack.pop()
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
            if self.sink is not None:  # the folder's pipeline first: it may say what its other files are
                pipeline = next((e for e in entries if e.name == ".gitlab-ci.yml"), None)
                if pipeline is not None:
                    entries.remove(pipeline)
                    self._entry(pipeline, rel_prefix, real_prefix, carried, stack)
                carried = self.sink.folder(drel, carried, rel_prefix + ".gitlab-ci.yml" in self.files)
            for entry in entries:
                self._entry(entry, rel_prefix, real_prefix, carried, stack)

    def _entry(self, entry: os.DirEntry[str], rel_prefix: str, real_prefix: str, carried: object,
               stack: list[tuple[str, str, str, object]]) -> None:
        name = entry.name
        erel = rel_prefix + name
        if entry.is_dir(follow_symlinks=False):
            if name not in SKIP_DIRS and not (self.exclude and self.exclude.match(erel + "/")):
                stack.append((entry.path, erel, real_prefix + name, carried))
        elif entry.is_symlink():
            assert self.links is not None  # inside walk_dir
            self.links.append((entry.path, erel, carried))
        else:
            self.file(entry.path, erel, carried, link=False)

    def _symlink(self, apath: str, rel: str, carried: object) -> None:
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
            elif _inside(os.path.realpath(os.path.dirname(apath)), target):
                self.problems.append(
                    FileProblem("PIN901", rel, "symlink loop (points at a folder that contains it): not read")
                )
            elif target in self.seen_dirs:
                pass  # a folder already read under its own path: not read twice
            else:
                self.walk_dir(apath, rel, target, carried)
        else:
            self.file(apath, rel, carried)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
