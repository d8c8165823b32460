"""Files a ``.gitlab-ci.yml`` includes locally are GitLab CI files too.

The root pipeline is read even when only the included file was named (as
pre-commit does); a nested ``.gitlab-ci.yml`` (a sub-project, or the
bundled examples) resolves its includes against its own folder.  Pipelines
are read through the run's ``Tree`` with the same guards as scanning (a
regular file inside the repository, within the size limit); one that cannot
be read or parsed includes nothing here and is reported when it is scanned.
Its documents are read one at a time, and the patterns are compiled once
(``globs.compile_any``): they are pull-request text, matched in linear time.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from pinlint import globs
from pinlint.discovery import Candidate
from pinlint.formats import gitlab_ci
from pinlint.sourcetext import DecodeError, SourceText
from pinlint.tree import Tree
from pinlint.yamldoc import Limits, YamlError, iter_documents


def classify(tree: Tree, candidates: list[Candidate], max_size: int, limits: Limits) -> list[Candidate]:
    pipelines = {""} | {c.relpath.rpartition("/")[0] for c in candidates if c.relpath.endswith(".gitlab-ci.yml")}
    included = globs.compile_any(p for folder in sorted(pipelines) for p in _includes(tree, folder, max_size, limits))
    if not included:
        return candidates
    return [_classified(c, (included,)) for c in candidates]


def _classified(c: Candidate, included: Sequence[globs.Matcher]) -> Candidate:
    path = c.relpath
    if c.kind != "dockerfile" and not path.endswith(".gitlab-ci.yml") and any(m.match(path) for m in included):
        return c._replace(kind="gitlab-ci")
    return c


class Streamed:
    """``classify`` for a walk that is still going (a ``discovery.Sink``):
    each file is classified when it is found, and handed to ``take``.

    A pipeline's includes are resolved against its own folder, so they can
    only name files below it; a walk lists a folder's pipeline before its
    other files and its subfolders, so when a file is found, every pipeline
    that can include it has been read (the root's first of all): ``classify``
    on the whole list gives the same kinds.  ``found``: the files, classified."""

    def __init__(self, tree: Tree, max_size: int, limits: Limits, take: Callable[[Candidate], object]) -> None:
        self.tree, self.max_size, self.limits, self.take = tree, max_size, limits, take
        self.found: list[Candidate] = []

    def _matchers(self, folder: str, carried: tuple[globs.Matcher, ...]) -> tuple[globs.Matcher, ...]:
        included = globs.compile_any(_includes(self.tree, folder, self.max_size, self.limits))
        return carried + (included,) if included else carried

    def start(self) -> object:
        return self._matchers("", ())

    def folder(self, rel: str, carried: object, has_pipeline: bool) -> object:
        return self._matchers(rel, cast("tuple[globs.Matcher, ...]", carried)) if rel and has_pipeline else carried

    def file(self, candidate: Candidate, carried: object) -> None:
        c = _classified(candidate, cast("tuple[globs.Matcher, ...]", carried))
        self.found.append(c)
        self.take(c)


def _includes(tree: Tree, folder: str, max_size: int, limits: Limits) -> list[str]:
    relpath = f"{folder}/.gitlab-ci.yml" if folder else ".gitlab-ci.yml"
    try:
        data = tree.read(relpath, max_size)
        if data is None:
            return []
        text = SourceText.from_bytes(data).text
        patterns = [p for doc in iter_documents(text, limits) for p in gitlab_ci.local_includes((doc,))]
    except (OSError, ValueError, DecodeError, YamlError):
        return []
    prefix = f"/{folder}/" if folder else "/"
    return [prefix + p.lstrip("/") for p in patterns]
