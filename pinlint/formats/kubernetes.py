"""Kubernetes manifests: PodSpecs of every workload kind (through the
declarative locators), ``List`` items, Argo CD Applications, skaffold
configurations (``formats.skaffold``), and a PodSpec-shaped fallback for
CRDs no locator knows."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from pinlint.formats import objects, skaffold
from pinlint.formats.yamlrefs import scalar_ref, walk
from pinlint.locators import CONTAINER_LISTS, Locator, find
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YSeq, YStr

_FALLBACK_DEPTH = 12


def locate(path: str, source: SourceText, docs: Sequence[object], locators: Sequence[Locator]) -> list[LocatedRef]:
    refs: list[LocatedRef] = []
    for doc in docs:
        refs.extend(r._replace(object=_object(r, doc)) for r in locate_document(path, source, doc, locators))
    return refs


def _object(ref: LocatedRef, doc: object) -> str:
    """What ``ref`` sits in: its document (or the ``List`` item it came from) and container."""
    if ref.kind == "argocd":
        return objects.describe("argocd", ref.where)
    if ref.kind == skaffold.KIND:
        return ref.object
    label = ref.where.partition(" ")[0] if " " in ref.where else ""
    todo = [doc]
    while todo:
        node = todo.pop(0)
        if not isinstance(node, YMap) or not isinstance(node.get("kind"), YStr):
            continue
        if _label(node, str(node["kind"])) == label:
            return objects.kubernetes(ref.where, node)
        items = node.get("items")
        if isinstance(items, YSeq):
            todo.extend(items)
    return label


def locate_document(path: str, source: SourceText, doc: object, locators: Sequence[Locator]) -> Iterator[LocatedRef]:
    if not isinstance(doc, YMap):
        return
    kind = doc.get("kind")
    api_version = doc.get("apiVersion")
    if not isinstance(kind, YStr) or not isinstance(api_version, YStr):
        return
    label = _label(doc, kind)
    if kind == "List" or (kind.endswith("List") and isinstance(doc.get("items"), YSeq)):
        for item in doc.get("items") or ():
            yield from locate_document(path, source, item, locators)
        return
    if kind in ("Application", "ApplicationSet") and api_version.startswith("argoproj.io/"):
        yield from _argocd(path, source, doc, label)
        return
    if api_version.startswith(skaffold.API_PREFIX):  # build outputs, not PodSpecs: its own format
        yield from skaffold.locate_document(path, source, doc, label)
        return
    matched = find(locators, api_version, kind)
    if matched:
        for loc in matched:
            yield from _apply(path, source, doc, loc, label)
    else:
        yield from _fallback(path, source, doc, label)


def _label(doc: YMap, kind: str) -> str:
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, YMap) else None
    return f"{kind}/{name}" if isinstance(name, str) else str(kind)


def _apply(path: str, source: SourceText, doc: YMap, loc: Locator, label: str) -> Iterator[LocatedRef]:
    for spec_path in loc.podspecs:
        for podspec, where in walk(doc, spec_path):
            yield from _podspec(path, source, podspec, f"{label} {where}", loc.report_kind)
    for image_path in loc.images:
        for node, where in walk(doc, image_path):
            ref = scalar_ref(path, loc.report_kind, source, node, f"{label} {where}")
            if ref:
                yield ref


def _podspec(path: str, source: SourceText, podspec: object, where: str, kind: str) -> Iterator[LocatedRef]:
    if not isinstance(podspec, YMap):
        return
    for key in CONTAINER_LISTS:
        containers = podspec.get(key)
        if not isinstance(containers, YSeq):
            continue
        for n, container in enumerate(containers):
            if isinstance(container, YMap):
                ref = scalar_ref(path, kind, source, container.get("image"), f"{where}.{key}[{n}].image")
                if ref:
                    yield ref


def _fallback(path: str, source: SourceText, doc: YMap, label: str) -> Iterator[LocatedRef]:
    """A document no locator knows: any PodSpec-shaped mapping (a container
    list whose items have ``image``) within a bounded depth."""
    stack: list[tuple[object, str, int]] = [(doc, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > _FALLBACK_DEPTH:
            continue
        if isinstance(node, YMap):
            if any(isinstance(node.get(k), YSeq) for k in CONTAINER_LISTS):
                yield from _podspec(path, source, node, f"{label} {where}".rstrip(), "kubernetes")
                continue
            for key, value in node.items():
                if isinstance(value, (YMap, YSeq)):
                    stack.append((value, f"{where}.{key}" if where else str(key), depth + 1))
        elif isinstance(node, YSeq):
            for n, value in enumerate(node):
                if isinstance(value, (YMap, YSeq)):
                    stack.append((value, f"{where}[{n}]", depth + 1))


def _argocd(path: str, source: SourceText, doc: YMap, label: str) -> Iterator[LocatedRef]:
    """``spec.source(s).kustomize.images`` (and an ApplicationSet's template):
    each entry is ``ref`` or ``alias=ref``; the span covers ``ref``."""
    roots: Iterable[tuple[object, str]] = list(walk(doc, ("spec",))) + list(walk(doc, ("spec", "template", "spec")))
    for spec, where in roots:
        if not isinstance(spec, YMap):
            continue
        sources: list[tuple[object, str]] = [(spec.get("source"), f"{where}.source")]
        if isinstance(spec.get("sources"), YSeq):
            sources += [(s, f"{where}.sources[{n}]") for n, s in enumerate(spec["sources"])]
        for src, src_where in sources:
            for node, img_where in walk(src, ("kustomize", "images[]")):
                if not isinstance(node, YStr):
                    continue
                skip = node.index("=") + 1 if "=" in node else 0
                ref = scalar_ref(path, "argocd", source, node, f"{label} {src_where}.{img_where}", skip=skip)
                if ref:
                    yield ref
