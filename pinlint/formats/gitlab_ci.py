"""GitLab CI: ``image`` and ``services`` at top level, under ``default:`` and
in every job, and the local includes that make other files GitLab CI too.

``image`` is a string or a mapping with ``name``; ``services`` is a list of
strings or mappings with ``name``.  A job is any top-level mapping that is not
a global keyword; hidden jobs (``.base``) and ``extends`` templates count,
since they are YAML that names images (inheritance is not resolved: each
reference is reported where it is written).  ``!reference [job, key]`` tags
are pointers to other jobs' values, not images, and are skipped.  The
``spec:`` header document of a CI/CD component is just another document
without images.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

from pinlint.formats.yamlrefs import string_or_field
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YSeq, YStr, is_null

KIND = "gitlab-ci"

# Top-level keys that are not jobs.  ``image``/``services`` are read at the
# top level directly; ``cache``, ``before_script``, ``after_script`` and
# ``types`` are the deprecated global forms of ``default:`` and ``stages``.
_GLOBAL_KEYWORDS = frozenset((
    "default", "include", "stages", "variables", "workflow", "image", "services",
    "cache", "before_script", "after_script", "types", "spec",
))
_REFERENCE_TAG = "!reference"


def locate(path: str, source: SourceText, docs: Sequence[object]) -> list[LocatedRef]:
    refs: list[LocatedRef] = []
    seen: set[tuple[int, str]] = set()
    for doc in docs:
        if not isinstance(doc, YMap):
            continue
        for ref in sorted(_document(path, source, doc), key=lambda ref: ref.span.start):
            if (ref.span.start, ref.text) not in seen:  # merge keys reach one node twice
                seen.add((ref.span.start, ref.text))
                refs.append(ref)
    return refs


def _document(path: str, source: SourceText, doc: YMap) -> Iterator[LocatedRef]:
    yield from _images(path, source, doc, "")
    for key, value in doc.items():
        if key in _GLOBAL_KEYWORDS and key != "default":
            continue
        if isinstance(value, YMap):
            yield from _images(path, source, value, f"{key}.")


def _images(path: str, source: SourceText, section: YMap, prefix: str) -> Iterator[LocatedRef]:
    """``image`` and ``services`` of the top level, ``default:`` or a job."""
    ref = _named(path, source, section.get("image"), f"{prefix}image")
    if ref:
        yield ref
    services = section.get("services")
    if isinstance(services, YSeq) and not _is_reference(source, services):
        for n, service in enumerate(services):
            ref = _named(path, source, service, f"{prefix}services[{n}]")
            if ref:
                yield ref


def _named(path: str, source: SourceText, node: object, where: str) -> LocatedRef | None:
    """An image given as a string or as a mapping with ``name``."""
    return string_or_field(path, KIND, source, node, where, "name")


def _is_reference(source: SourceText, node: YSeq) -> bool:
    return source.text.startswith(_REFERENCE_TAG, node.start)


def local_includes(docs: Sequence[object]) -> list[str]:
    """The local include patterns of a ``.gitlab-ci.yml``, root-relative
    (the leading ``/`` GitLab allows is dropped).  ``include:`` is a string,
    a ``{local: …}`` mapping or a list of either; remote URLs, ``project``,
    ``template`` and ``component`` includes name no file of this repository,
    and a path holding a variable cannot be resolved offline."""
    patterns: list[str] = []
    for doc in docs:
        include = doc.get("include") if isinstance(doc, YMap) else None
        for entry in include if isinstance(include, YSeq) else (include,):
            pattern = _local_pattern(entry)
            if pattern and pattern not in patterns:
                patterns.append(pattern)
    return patterns


def _local_pattern(entry: object) -> str | None:
    if isinstance(entry, YMap):
        entry = entry.get("local")
    if not isinstance(entry, YStr) or is_null(entry):
        return None
    text = entry.strip()
    if "://" in text or "$" in text:
        return None
    return text.lstrip("/") or None
