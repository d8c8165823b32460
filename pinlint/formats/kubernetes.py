"""Kubernetes manifests: PodSpecs of every workload kind (through the
declarative locators), ``List`` items, Argo CD Applications, skaffold
configurations (``formats.skaffold``), a PodSpec-shaped fallback for CRDs
no locator knows, and a scalar-image fallback for operator resources
(``scalar_images``)."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from pinlint import reference
from pinlint.formats import kustomize, objects, skaffold
from pinlint.formats.yamlrefs import (
    Memo,
    Where,
    descendants,
    path_words,
    scalar_ref,
    scalar_span,
    short,
    walk,
    where_text,
)
from pinlint.locators import CONTAINER_LISTS, Locator, find
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YSeq, YStr

# The scalar-image fallback (``scalar_images``): which documents, keys and values.
# Kinds that hold data or schemas, not workloads.
_NOT_WORKLOADS = frozenset(("ConfigMap", "Secret", "CustomResourceDefinition"))
# API groups (suffixes) where ``image`` names a virtual-machine or disk image:
# Cluster API providers, Crossplane and its providers, Config Connector, AWS
# Controllers for Kubernetes, Azure Service Operator, KubeVirt.
_VM_GROUPS = (
    "cluster.x-k8s.io", "crossplane.io", "upbound.io", "cnrm.cloud.google.com",
    "services.k8s.aws", "azure.com", "kubevirt.io",
)
# Words that make a ``<words>Image`` key name a machine image (vmImage,
# machineImage, osImage, bootDiskImage, defaultVmImage ...).
_VM_WORDS = frozenset(("vm", "vhd", "machine", "os", "boot", "disk", "node", "ami", "cloud"))
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


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


def locate_document(
    path: str, source: SourceText, doc: object, locators: Sequence[Locator], bounds: tuple[int, int] | None = None
) -> Iterator[LocatedRef]:
    """``bounds``: the text of the YAML document ``doc`` is part of (a ``List``
    item's aliases may name anchors in earlier items)."""
    if not isinstance(doc, YMap):
        return
    bounds = bounds or (doc.start, doc.end)
    kind = doc.get("kind")
    api_version = doc.get("apiVersion")
    if not isinstance(kind, YStr) or not isinstance(api_version, YStr):
        return
    label = _label(doc, kind)
    if kind == "List" or (kind.endswith("List") and isinstance(doc.get("items"), YSeq)):
        for item in doc.get("items") or ():
            yield from locate_document(path, source, item, locators, bounds)
        return
    if kind in ("Application", "ApplicationSet") and api_version.startswith("argoproj.io/"):
        yield from _argocd(path, source, doc, label)
        return
    if api_version.startswith(skaffold.API_PREFIX):  # build outputs, not PodSpecs: its own format
        yield from skaffold.locate_document(path, source, doc, label)
        return
    matched = find(locators, api_version, kind)
    found: set[int] = set()
    memo: Memo = {}  # what ``**`` found, shared by every path over this document
    if matched:
        for loc in matched:
            for ref in _apply(path, source, doc, loc, label, memo, bounds):
                found.add(ref.span.start)
                yield ref
    elif not _without_pods(api_version, kind):
        for ref in _fallback(path, source, doc, label):
            found.add(ref.span.start)
            yield ref
    for images_path in _FLUX_IMAGES.get(kind, ()) if api_version.startswith(_FLUX_GROUPS) else ():
        yield from _flux_images(path, source, doc, label, images_path)
    if _scalar_fallback_applies(api_version, kind):
        yield from scalar_images(path, source, doc, label, found, memo)


# Flux's image overrides are Kustomize ``images:`` entries (name, newName,
# newTag, digest): what a Flux Kustomization applies, and what a
# HelmRelease's kustomize post-renderer writes into the rendered chart.
_FLUX_GROUPS = ("kustomize.toolkit.fluxcd.io/", "helm.toolkit.fluxcd.io/")
_FLUX_IMAGES: dict[str, tuple[tuple[str, ...], ...]] = {
    "Kustomization": (("spec", "images"),),
    "HelmRelease": (("spec", "postRenderers[]", "kustomize", "images"),),
}


def _flux_images(path: str, source: SourceText, doc: YMap, label: str, images_path: tuple[str, ...],
                 ) -> Iterator[LocatedRef]:
    for images, where in walk(doc, images_path):
        if isinstance(images, YSeq):
            for n, entry in enumerate(images):
                ref = kustomize.image_entry(path, source, entry, f"{label} {where}[{n}]")
                if ref:
                    yield ref


def _label(doc: YMap, kind: str) -> str:
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, YMap) else None
    return f"{short(kind)}/{short(name)}" if isinstance(name, str) else short(str(kind))


def _apply(
    path: str, source: SourceText, doc: YMap, loc: Locator, label: str, memo: Memo, bounds: tuple[int, int]
) -> Iterator[LocatedRef]:
    text, (start, end) = source.text, bounds
    for spec_path in loc.podspecs:
        if not _may_match(text, start, end, spec_path):
            continue
        for podspec, where in walk(doc, spec_path, memo):
            yield from _podspec(path, source, podspec, f"{label} {where}", loc.report_kind)
    for image_path in loc.images:
        if not _may_match(text, start, end, image_path):
            continue
        for node, where in walk(doc, image_path, memo):
            ref = scalar_ref(path, loc.report_kind, source, node, f"{label} {where}")
            if ref:
                yield ref


def _may_match(text: str, start: int, end: int, path: tuple[str, ...]) -> bool:
    """Whether every literal word of ``path`` is in the document's text (a
    ``**`` path over a document that cannot match costs a few searches).  A
    document with a backslash may match whatever its bytes say: a
    double-quoted key can spell any word with escapes (``"\\x74emplate"``)."""
    if text.find("\\", start, end) >= 0:
        return True
    return all(text.find(word, start, end) >= 0 for word in path_words(path))


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


# Built-in kinds that hold no pod template: the API server drops any field
# their schema does not have, so a container list written into one is never
# run, and the PodSpec fallback does not walk them (most of a large tree's
# documents that no locator knows are these).
_NO_PODS = frozenset((
    "Service", "ConfigMap", "Secret", "ServiceAccount", "Namespace", "PersistentVolumeClaim", "PersistentVolume",
    "Endpoints", "EndpointSlice", "LimitRange", "ResourceQuota", "Ingress", "IngressClass", "NetworkPolicy",
    "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    "PriorityClass", "StorageClass", "CustomResourceDefinition", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration", "Lease", "CSIDriver", "VolumeAttachment", "RuntimeClass",
))
_BUILT_IN_GROUPS = frozenset(("", "apps", "autoscaling", "policy", "batch"))


def _without_pods(api_version: str, kind: str) -> bool:
    group = api_version.rpartition("/")[0]
    return kind in _NO_PODS and (group in _BUILT_IN_GROUPS or group.endswith(".k8s.io"))


def _fallback(path: str, source: SourceText, doc: YMap, label: str) -> Iterator[LocatedRef]:
    """A document no locator knows: any PodSpec-shaped mapping (a container
    list whose items have ``image``) at any depth, inside lists too."""
    seen: set[int] = set()
    stack: list[tuple[object, Where]] = [(doc, None)]
    while stack:
        node, where = stack.pop()
        if id(node) in seen:  # an alias reaches the same node again
            continue
        seen.add(id(node))
        below: list[tuple[object, Where]]
        if isinstance(node, YMap):
            if any(isinstance(node.get(k), YSeq) for k in CONTAINER_LISTS):
                yield from _podspec(path, source, node, f"{label} {where_text(where)}".rstrip(), "kubernetes")
                continue
            below = [(v, (where, str(k))) for k, v in node.items() if isinstance(v, (YMap, YSeq))]
        elif isinstance(node, YSeq):
            below = [(v, (where, n)) for n, v in enumerate(node) if isinstance(v, (YMap, YSeq))]
        else:
            continue
        stack.extend(reversed(below))


def _scalar_fallback_applies(api_version: str, kind: str) -> bool:
    """Whether a document is a custom resource that may name an image in a
    scalar field: its API group is a DNS name (CRD groups must have a dot;
    built-in ``*.k8s.io`` groups and ``v1`` carry images only in container
    lists, and tool configs such as ``skaffold/v4`` have no dot), it is not a
    data or schema kind, and it is not an infrastructure API whose images are
    machine images."""
    group = api_version.rpartition("/")[0]
    if "." not in group or group.endswith(".k8s.io") or kind in _NOT_WORKLOADS:
        return False
    if "Machine" in kind:  # Machine, *MachineTemplate, VirtualMachine, MachineSet, ...
        return False
    return not any(group == g or group.endswith("." + g) for g in _VM_GROUPS)


def _is_image_key(key: str) -> bool:
    if key in ("image", "imageName"):
        return True
    prefix = key[:-5]
    if not key.endswith("Image") or not prefix.isalnum() or not prefix[0].islower():
        return False
    return not any(word.lower() in _VM_WORDS for word in _WORD.findall(prefix))


def _image_value(value: YStr) -> reference.Parsed | None:
    """A value the scalar fallback reports: a ``@git:`` placeholder, or a
    valid reference that names a tag or a digest.  An untagged name is left
    out: in an arbitrary field it is as often a repository to watch (Flux's
    ImageRepository), or the repository half of an image assembled from a
    ``tag``/``version`` beside it (the Prometheus operator's ``baseImage``), as
    an image to pull; and a bare word is as often a machine-image name or a
    setting."""
    text = str(value)
    if ":" not in text and "@" not in text:  # neither tag, digest nor placeholder
        return None
    parsed = reference.parse(text)
    if isinstance(parsed, reference.Placeholder):
        return parsed
    if isinstance(parsed, reference.ImageRef) and (parsed.tag is not None or parsed.digest is not None):
        return parsed
    return None


def scalar_images(
    path: str, source: SourceText, doc: YMap, label: str, found: set[int] | None = None, memo: Memo | None = None
) -> Iterator[LocatedRef]:
    """The general rule for operator resources: a key ``image``,
    ``imageName`` or ``<word>Image`` anywhere below the document (lists
    included; the document's ``metadata`` and ``status`` are not read; a
    ``<word>Image`` key is letters and digits only) whose string value
    looks like an image (``_image_value``).  Machine-image keys
    (``vmImage``, ``machineImage``, ``osImage`` ...) are not container images.
    A span in ``found`` (what a locator reported) is skipped, and added to it."""
    found = set() if found is None else found
    memo = {} if memo is None else memo
    skip = _helm_values_nodes(doc)
    for key, top in doc.items():
        if key in ("metadata", "status") or not isinstance(top, (YMap, YSeq)):
            continue
        below = memo.get((id(top), str(key)))
        if below is None:  # what a ``spec.**`` path found is reused
            below = memo[(id(top), str(key))] = list(descendants(top, (None, str(key))))
        for node, where in below:
            if not isinstance(node, YMap) or id(node) in skip:
                continue
            for child_key, value in node.items():
                if isinstance(value, YStr) and value and _is_image_key(str(child_key)):
                    ref = _scalar_image(path, source, value, (where, str(child_key)), label, found)
                    if ref:
                        yield ref


def _helm_values_nodes(doc: YMap) -> set[int]:
    """The nodes of a Flux ``HelmRelease``'s ``spec.values``: Helm values,
    read as such by ``formats.embedded``, not by the scalar fallback."""
    api_version, kind, spec = doc.get("apiVersion"), doc.get("kind"), doc.get("spec")
    if kind != "HelmRelease" or not str(api_version).startswith("helm.toolkit.fluxcd.io/"):
        return set()
    values = spec.get("values") if isinstance(spec, YMap) else None
    return {id(node) for node, _ in descendants(values)} if isinstance(values, (YMap, YSeq)) else set()


def _scalar_image(
    path: str, source: SourceText, value: YStr, where: Where, label: str, found: set[int]
) -> LocatedRef | None:
    span, exact = scalar_span(source, value)
    if span.start in found:  # a locator found it first
        return None
    parsed = _image_value(value)
    if parsed is None:
        return None
    found.add(span.start)
    return LocatedRef(path, "kubernetes", str(value), span, exact, False, (), f"{label} {where_text(where)}", parsed)


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
