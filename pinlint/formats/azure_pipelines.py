"""Azure Pipelines: container resources, job containers and service containers.

* ``resources.containers[].image``;
* a job's ``container:``: a string that is either the alias of a container
  resource (``- container: linux``) or an image reference, or a mapping
  with ``image``.  Aliases of the same document are known here; a name
  declared in another file (large pipelines declare every container once in
  a template) is marked and dropped by ``crossfile``, which collects the
  aliases of every Azure Pipelines file of the repository;
* a job's ``services:``: a map of name -> alias or image reference.

Jobs are the items of ``jobs[]`` and ``stages[].jobs[]`` (``- job:`` and
``- deployment:`` alike), and the pipeline root, which holds the job's keys
when a pipeline has a single implicit job.  Template expressions (``${{ }}``),
macros (``$(var)``) and runtime expressions (``$[ variables['image'] ]``,
the documented way to take a container from a matrix) are templated refs.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pinlint.formats.yamlrefs import get_str, parse_path, scalar_ref, walk
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YStr

KIND = "azure-pipelines"
RUNTIME_EXPRESSION = "$["
# What a container resource's alias may be; a job container written like one
# is marked, and is an alias when a file of the repository declares it.
ALIAS = re.compile(r"[A-Za-z0-9_-]+")
ALIAS_CANDIDATE = "alias-candidate"

_RESOURCE_CONTAINERS = parse_path("resources.containers[]")
_JOB_LISTS = (parse_path("jobs[]"), parse_path("stages[].jobs[]"))


def locate(path: str, source: SourceText, docs: Sequence[object]) -> list[LocatedRef]:
    refs: list[LocatedRef] = []
    for doc in docs:
        if isinstance(doc, YMap):
            refs.extend(sorted(_document(path, source, doc), key=lambda ref: ref.span.start))
    return refs


def declared_aliases(doc: object) -> set[str]:
    """The aliases ``resources.containers[].container`` of one document declares."""
    return {str(alias) for resource, _ in walk(doc, _RESOURCE_CONTAINERS)
            if (alias := get_str(resource, "container")) is not None}


def _document(path: str, source: SourceText, doc: YMap) -> Iterator[LocatedRef]:
    aliases = declared_aliases(doc)
    for resource, where in walk(doc, _RESOURCE_CONTAINERS):
        if isinstance(resource, YMap):
            yield from _ref(path, source, resource.get("image"), f"{where}.image")
    for job, where in _jobs(doc):
        yield from _job(path, source, job, where, aliases)


def _jobs(doc: YMap) -> Iterator[tuple[object, str]]:
    yield doc, ""
    for job_list in _JOB_LISTS:
        yield from walk(doc, job_list)


def _job(path: str, source: SourceText, job: object, where: str, aliases: set[str]) -> Iterator[LocatedRef]:
    if not isinstance(job, YMap):
        return
    prefix = f"{where}." if where else ""
    if "container" in job:
        yield from _container(path, source, job["container"], f"{prefix}container", aliases)
    services = job.get("services")
    if isinstance(services, YMap):
        for name, service in services.items():
            yield from _container(path, source, service, f"{prefix}services.{name}", aliases)


def _container(path: str, source: SourceText, node: object, where: str, aliases: set[str]) -> Iterator[LocatedRef]:
    """A container given as a resource alias (nothing to report), an image
    reference, or a mapping with ``image``."""
    if isinstance(node, YMap):
        yield from _ref(path, source, node.get("image"), f"{where}.image")
    elif not (isinstance(node, YStr) and node in aliases):
        for ref in _ref(path, source, node, where):
            # an alias declared in another file (a template) is dropped by ``crossfile``
            yield ref._replace(fields=((ALIAS_CANDIDATE, ref.span),)) if ALIAS.fullmatch(ref.text) else ref


def _ref(path: str, source: SourceText, node: object, where: str) -> Iterator[LocatedRef]:
    ref = scalar_ref(path, KIND, source, node, where)
    if ref is None:
        return
    if not ref.templated and RUNTIME_EXPRESSION in ref.text:
        ref = ref._replace(templated=True)
    yield ref
