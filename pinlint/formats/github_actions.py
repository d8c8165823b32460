"""GitHub Actions workflows: job containers, service containers and
``docker://`` steps.

* ``jobs.<id>.container``: a string, or a mapping with ``image``;
* ``jobs.<id>.services.<name>``: a mapping with ``image``, or a string (the
  workflow schema, ``services-container``, accepts both);
* ``jobs.<id>.steps[].uses: docker://<ref>``: the span leaves the scheme out.

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
        if isinstance(uses, YStr) and uses.startswith(DOCKER_SCHEME):
            ref = scalar_ref(path, KIND, source, uses, f"{where}.{uses_where}", skip=len(DOCKER_SCHEME))
            if ref:
                yield ref


def _container(path: str, source: SourceText, node: object, where: str) -> LocatedRef | None:
    """A container given as a string, or as a mapping with ``image``."""
    return string_or_field(path, KIND, source, node, where, "image")
