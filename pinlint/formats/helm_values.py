"""Helm values files: image references at any depth.

Three shapes name an image:

* ``image: <ref>``, a string under a key named ``image``;
* ``<something>Image: <ref>`` (``initImage``, ``sidecarImage``), only when the
  value looks like a reference (holds ``/``, ``:`` or ``@``), since such keys
  also hold flags and names;
* the split map ``{registry, repository, tag, digest}`` that most charts
  (Bitnami's ``common.images.image`` and its many copies) assemble into
  ``registry/repository:tag@digest``.  It is reported at ``repository``
  (SPEC §2) with the span of every field, so fix mode can fill ``digest`` or
  rewrite ``tag``.  An empty or null ``tag`` means "the chart's appVersion"
  (``.tag | default .Chart.AppVersion``): without a digest the map is marked, and
  ``crossfile`` gives it the ``appVersion`` of the ``Chart.yaml`` beside the
  values file; without one the reference is the repository alone.  A map
  directly under ``images:`` (or ``*Images:``) is what a set of images shares
  (a registry prefix), not an image.  ``digest`` is written
  ``sha256:<hex>`` by most charts and as bare hex by some (Grafana's and the
  Prometheus operator's ``sha:``); bare hex gets its algorithm prefix.

A map counts as a split map when it has a string ``repository`` that is not a
URL and either a ``tag``/``digest``/``sha`` key or a parent key containing
``image`` (any case), which keeps chart-dependency and Git ``repository:``
settings out.  Nothing here renders templates: ``{{ … }}`` values are
located and come out templated.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pinlint.formats.edits import PlannedFix, exact_plan, pinned_text, split_tag
from pinlint.formats.yamlrefs import scalar_ref, scalar_span
from pinlint.model import Edit, LocatedRef, Span
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YSeq, YStr, is_null

KIND = "helm-values"

# The fields of a split map in the order they are assembled; ``sha`` is the
# bare-hex digest field of the Grafana and kube-prometheus-stack charts.
_SPLIT_FIELDS = ("registry", "repository", "tag", "digest", "sha")
_REF_CHARS = ("/", ":", "@")
_BARE_DIGEST = re.compile(r"[0-9a-f]{64}|[0-9a-f]{128}")
# The field marking a split map whose ``tag`` is written empty or null.
APP_VERSION_TAG = "tag-app-version"


def locate(path: str, source: SourceText, docs: Sequence[object]) -> list[LocatedRef]:
    refs: list[LocatedRef] = []
    seen: set[tuple[int, str]] = set()
    for doc in docs:
        for ref in _walk(path, source, doc):
            if (ref.span.start, ref.text) not in seen:  # anchors reach one node twice
                seen.add((ref.span.start, ref.text))
                refs.append(ref)
    return refs


def _walk(path: str, source: SourceText, doc: object) -> Iterator[LocatedRef]:
    """Every reference below ``doc`` in document order, without recursion
    (values files nest deeply)."""
    visited: set[int] = set()
    stack = [_entries(doc, "", "")]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        node, where, key, in_map = entry
        if isinstance(node, YStr):
            ref = _string_ref(path, source, key, node, where) if in_map else None
        elif isinstance(node, (YMap, YSeq)) and id(node) not in visited:
            visited.add(id(node))  # an alias reaches the same container again
            ref = _split_ref(path, source, node, where, key, in_map) if isinstance(node, YMap) else None
            stack.append(_entries(node, where, key))
        else:
            continue
        if ref:
            yield ref


def _entries(node: object, where: str, key: str) -> Iterator[tuple[object, str, str, bool]]:
    """The children of a container: (child, path, key, whether the child is
    a mapping value).  A sequence's items inherit the key it is under, so
    ``images: [{repository: …}]`` is still under an image key."""
    if isinstance(node, YMap):
        for child_key, value in node.items():
            yield value, f"{where}.{child_key}" if where else str(child_key), str(child_key), True
    elif isinstance(node, YSeq):
        for n, item in enumerate(node):
            yield item, f"{where}[{n}]", key, False


def _string_ref(path: str, source: SourceText, key: str, value: YStr, where: str) -> LocatedRef | None:
    if key == "image":
        return scalar_ref(path, KIND, source, value, where)
    if key.endswith("Image") and any(c in value for c in _REF_CHARS):
        return scalar_ref(path, KIND, source, value, where)
    return None


def _is_split_map(node: YMap, repository: YStr, parent_key: str) -> bool:
    if not repository or "://" in repository:
        return False
    return "image" in parent_key.lower() or any(k in node for k in ("tag", "digest", "sha"))


def _value(node: YMap, key: str) -> YStr | None:
    """A field's string, ``None`` when absent, null or not a string."""
    value = node.get(key)
    if isinstance(value, YStr) and not is_null(value):
        return value
    return None


def _is_image_set(parent_key: str, in_map: bool) -> bool:
    """``images: {repository: registry.example/project, tag: ""}``: the map
    directly under a plural key holds what a set of images shares (the
    templates write ``{{ .Values.images.repository }}/<name>:<tag>``), a
    registry prefix and not one image.  Items of an ``images:`` list are
    images."""
    return in_map and (parent_key == "images" or parent_key.endswith("Images"))


def _split_ref(
    path: str, source: SourceText, node: YMap, where: str, parent_key: str, in_map: bool = True
) -> LocatedRef | None:
    repository = _value(node, "repository")
    if repository is None or not _is_split_map(node, repository, parent_key) or _is_image_set(parent_key, in_map):
        return None
    registry, tag = _value(node, "registry"), _value(node, "tag")
    digest = _value(node, "digest") or _value(node, "sha")
    text = f"{registry}/{repository}" if registry else str(repository)
    if tag:
        text += f":{tag}"
    if digest:
        text += f"@{_with_algorithm(digest)}"
    span, exact = scalar_span(source, repository)
    fields = _fields(source, node)
    if "tag" in node and not tag and not digest:
        fields += ((APP_VERSION_TAG, span),)  # `tag: ""` / `tag:`: the chart's appVersion (``crossfile``)
    return LocatedRef(
        path, KIND, text, span, exact and text == repository, False,
        fields, f"{where}.repository" if where else "repository",
    )


def with_app_version(ref: LocatedRef, version: str, chart: str) -> LocatedRef:
    """A split map whose ``tag`` is empty, given its chart's ``appVersion``
    (read from ``chart``): what Helm's ``.tag | default .Chart.AppVersion``
    renders.  Reported at ``repository`` as before, not exact (the file does
    not hold the tag); a fix writes ``tag: "<appVersion>@<digest>"``."""
    name, at, digest = ref.text.partition("@")
    text = f"{name}:{version}{at}{digest}"
    fields = tuple(f for f in ref.fields if f[0] != APP_VERSION_TAG)
    return LocatedRef(ref.path, ref.kind, text, ref.span, False, ref.templated, fields, ref.where, None, ref.object,
                      ref.built, chart)


def _with_algorithm(digest: str) -> str:
    """``sha256:<hex>`` as written, or bare hex given its algorithm."""
    if _BARE_DIGEST.fullmatch(digest):
        return f"sha{256 if len(digest) == 64 else 512}:{digest}"
    return digest


def _fields(source: SourceText, node: YMap) -> tuple[tuple[str, Span], ...]:
    """The span of every split-map field written with a value token
    (``tag: ""`` and ``digest: ~`` included, a bare ``digest:`` not: it has
    no characters a fix could replace).  A field whose token does not hold its
    value verbatim (escapes, block scalars) is named with a ``~`` suffix; a
    plain (unquoted) ``tag`` is also recorded as ``tag-plain``, so a fix
    writing ``tag@digest`` there knows to add quotes."""
    fields = []
    for name in _SPLIT_FIELDS:
        value = node.get(name)
        if isinstance(value, YStr) and value.end > value.start:
            span, exact = scalar_span(source, value)
            fields.append((name if exact else f"{name}~", span))
            if exact and value.style == "" and name in ("tag", "digest", "sha"):
                fields.append((f"{name}-plain", span))
    if node.flow:
        fields.append(("flow", scalar_span(source, node["repository"])[0]))  # type: ignore[arg-type]
    return tuple(fields)


def plan(ref: LocatedRef, digest: str, style: str, tag: str | None = None) -> PlannedFix | None:
    """A split map gets its ``digest`` (or bare-hex ``sha``) value filled when
    the map has one, else its tag written as ``tag: "<tag>@<digest>"``; an
    ``image:`` string is replaced as written.  ``text`` is what the map reads
    once fixed (the chart assembles ``registry/repository[:tag]@digest``, so
    ``style`` does not drop a written tag)."""
    if not ref.fields:
        return exact_plan(ref, digest, style, tag)
    if pinned_text(ref, digest, style, tag) is None:
        return None
    tag_span = ref.field("tag")
    name, current = split_tag(ref.text.split("@", 1)[0])
    shown_tag = tag or current
    text = f"{name}:{shown_tag}@{digest}" if shown_tag else f"{name}@{digest}"
    quote = ref.field("flow") is not None  # a plain sha256:… would not parse inside a flow map
    edits: list[Edit] = []
    if tag is not None:
        if tag_span is None:
            return None
        edits.append(Edit(tag_span.start, tag_span.end, f'"{tag}"' if ref.field("tag-plain") else tag))
    for name_, value in (("digest", digest), ("sha", digest.partition(":")[2])):
        span = ref.field(name_)
        if span is not None:
            plain = ref.field(f"{name_}-plain") is not None
            written = f'"{value}"' if quote and plain else value
            filled = span.end > span.start  # the digest key already holds a value
            tag_has_digest = ref.text.count("@") >= (2 if filled else 1)
            if tag is None and tag_span is not None and current and tag_has_digest:
                # `tag: "1.25@sha256:old"` beside the digest key: the tag keeps only the tag
                edits.append(Edit(tag_span.start, tag_span.end, f'"{current}"' if ref.field("tag-plain") else current))
            return PlannedFix(text, (*edits, Edit(span.start, span.end, written)))
    if tag is not None or tag_span is None or not current:
        return None  # no tag to carry the digest: the chart's appVersion is not in the file
    value = f"{current}@{digest}"
    replacement = f'"{value}"' if ref.field("tag-plain") else value
    return PlannedFix(text, (Edit(tag_span.start, tag_span.end, replacement),))

