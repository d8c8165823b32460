"""Skaffold configurations (``apiVersion: skaffold/v*``, ``kind: Config``).

Skaffold builds images: ``build.artifacts[].image`` names what a build
produces (often a bare name that skaffold prefixes with the default repo).
Those are located with ``built`` set: listed in the inventory, never judged.
The images skaffold pulls are references like any other:

* ``build.artifacts[].ko.fromImage`` (ko's base image),
  ``build.artifacts[].buildpacks.builder`` and ``.runImage``;
* ``verify[].container.image`` (verification test containers);
* ``customActions[].containers[].image``.

Every one of these is also read under each ``profiles[]`` entry.  Anything
else naming an artifact (``test[].image``, ``requires``, ``deploy.docker.images``)
repeats an artifact's name and is not located again.  Manifests that skaffold
deploys are files of their own, found where they are.
"""
from __future__ import annotations

from collections.abc import Iterator

from pinlint.formats.yamlrefs import parse_path, scalar_ref, walk
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YStr

KIND = "skaffold"
API_PREFIX = "skaffold/"

_BUILT = parse_path("build.artifacts[].image")
_PULLED = tuple(parse_path(p) for p in (
    "build.artifacts[].ko.fromImage",
    "build.artifacts[].buildpacks.builder",
    "build.artifacts[].buildpacks.runImage",
    "verify[].container.image",
    "customActions[].containers[].image",
))

_SECTIONS = {"build.artifacts": "artifact", "verify": "verify", "customActions": "custom action"}


def is_skaffold(doc: YMap) -> bool:
    api_version = doc.get("apiVersion")
    return isinstance(api_version, YStr) and api_version.startswith(API_PREFIX)


def locate_document(path: str, source: SourceText, doc: YMap, label: str) -> Iterator[LocatedRef]:
    """The references of one skaffold document, in document order."""
    roots: list[tuple[object, str]] = [(doc, "")]
    roots += [(profile, where) for profile, where in walk(doc, ("profiles[]",))]
    refs: list[LocatedRef] = []
    for root, prefix in roots:
        for node, where in _prefixed(root, _BUILT, prefix):
            ref = scalar_ref(path, KIND, source, node, where)
            if ref:
                refs.append(ref._replace(built=True, object=_object(label, root, where)))
        for pulled in _PULLED:
            for node, where in _prefixed(root, pulled, prefix):
                ref = scalar_ref(path, KIND, source, node, where)
                if ref:
                    refs.append(ref._replace(object=_object(label, root, where)))
    yield from sorted(refs, key=lambda r: r.span.start)


def _prefixed(root: object, path: tuple[str, ...], prefix: str) -> Iterator[tuple[object, str]]:
    for node, where in walk(root, path):
        yield node, f"{prefix}.{where}" if prefix else where


def _object(label: str, root: object, where: str) -> str:
    """``Config/app artifact gcr.io/acme/front``, ``Config/app profile gcb
    verify smoke``: the section and its item's name (an artifact is named by
    its image)."""
    parts = [label]
    if where.startswith("profiles["):
        name = root.get("name") if isinstance(root, YMap) else None
        parts.append(f"profile {name}" if isinstance(name, YStr) else "profile")
        where = where.split(".", 1)[1]
    head = where.split("]", 1)[0] + "]"  # build.artifacts[1]
    section = head.split("[", 1)[0]
    what = _SECTIONS.get(section, section)
    name = None
    for item, item_where in walk(root, parse_path(f"{section}[]")):
        if item_where == head and isinstance(item, YMap):
            name = item.get("image" if section.endswith("artifacts") else "name")
    parts.append(f"{what} {name}" if isinstance(name, YStr) and name else what)
    return " ".join(parts)
