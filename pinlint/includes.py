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
    return [
        c._replace(kind="gitlab-ci")
        if c.kind != "dockerfile" and not c.relpath.endswith(".gitlab-ci.yml") and included.match(c.relpath)
        else c
        for c in candidates
    ]


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
