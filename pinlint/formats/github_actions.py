"""GitHub Actions workflows: job containers, service containers and
``docker://`` steps; and actions' metadata (``action.yml``).

* ``jobs.<id>.container``: a string, or a mapping with ``image``;
* ``jobs.<id>.services.<name>``: a mapping with ``image``, or a string (the
  workflow schema, ``services-container``, accepts both);
* ``jobs.<id>.steps[].uses: docker://<ref>``: the span leaves the scheme out;
* in an action's ``action.yml``: ``runs.image: docker://<ref>`` of a Docker
  action (``runs.image: Dockerfile`` is built, not pulled) and
  ``runs.steps[].uses: docker://<ref>`` of a composite action.

``${{ matrix.image }}`` and other expressions are located as templated refs.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

from pinlint.formats.yamlrefs import parse_path, scalar_ref, string_or_field, walk
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YStr

KIND = "github-actions"
DOCKER_SCHEME = "docker://"

_JOBS = parse_path("jobs.*")
_SERVICES = parse_path("services.*")
_STEP_USES = parse_path("steps[].uses")


def locate(path: str, source: SourceText, docs: Sequence[object]) -> list[LocatedRef]:
    refs: list[LocatedRef] = []
    for doc in docs:
        for job, where in walk(doc, _JOBS):
            refs.extend(_job(path, source, job, where))
        runs = doc.get("runs") if isinstance(doc, YMap) else None
        if isinstance(runs, YMap):
            for uses, where in (*walk(runs, ("image",)), *walk(runs, _STEP_USES)):
                ref = _docker(path, source, uses, f"runs.{where}")
                if ref:
                    refs.append(ref)
    return refs


def _job(path: str, source: SourceText, job: object, where: str) -> Iterator[LocatedRef]:
    if not isinstance(job, YMap):
        return
    if "container" in job:
        ref = _container(path, source, job["container"], f"{where}.container")
        if ref:
            yield ref
    for service, service_where in walk(job, _SERVICES):
        ref = _container(path, source, service, f"{where}.{service_where}")
        if ref:
            yield ref
    for uses, uses_where in walk(job, _STEP_USES):
        ref = _docker(path, source, uses, f"{where}.{uses_where}")
        if ref:
            yield ref


def _docker(path: str, source: SourceText, node: object, where: str) -> LocatedRef | None:
    """A ``docker://<ref>`` value; the span leaves the scheme out."""
    if isinstance(node, YStr) and node.startswith(DOCKER_SCHEME):
        return scalar_ref(path, KIND, source, node, where, skip=len(DOCKER_SCHEME))
    return None


def _container(path: str, source: SourceText, node: object, where: str) -> LocatedRef | None:
    """A container given as a string, or as a mapping with ``image``."""
    return string_or_field(path, KIND, source, node, where, "image")
