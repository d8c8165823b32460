"""Manifests and Helm values embedded in other YAML documents.

Some documents carry YAML inside a string, or Helm values inside a mapping:

* Kustomize ``patches[].patch`` and inline ``patchesStrategicMerge`` entries,
  Argo Workflows ``resource.manifest``: Kubernetes manifests in a string;
* Argo CD ``Application``/``ApplicationSet`` ``spec.source(s).helm.values``
  (a string) and ``helm.valuesObject`` (a mapping), Flux ``HelmRelease``
  ``spec.values`` (a mapping): Helm values;
* a ``kubectl apply -f -`` (or ``create``/``replace``) heredoc, ``<<EOF`` …
  ``EOF`` (also ``<<'EOF'``, ``<<"EOF"``, ``<<-EOF``), in a script held by a
  block scalar under ``script``, ``args``, ``command``, ``source`` or
  ``run``, whose body is a Kubernetes document.

A mapping is already part of the outer document: its references are
located with the outer file's text.  A string is parsed as YAML of its own,
and its references are reported at their exact position in the outer file:
only a *literal* block scalar (``|``, ``|-``, ``|+``, with or without an
indentation indicator) holds its lines verbatim, each at the block's
indentation, so ``EmbeddedText`` maps every character of the inner text to
the outer file's character (then byte) offset line by line.  The inner text
is built from the outer file's own characters (its CRLF line ends, tabs
inside lines and non-ASCII text kept), and is used only after checking that
it reads as the parser's value of the scalar; anything else (folded ``>``
or quoted strings, whose characters are not the value's, a block that does
not check out) is skipped, as is an embedded text that does not parse: no
PIN900 for an embedded block, unless it goes past a limit (``LimitError``:
the file's alias budget, nesting), which is the file's PIN900.  A heredoc body is a range of lines of its
script (for ``<<-`` without its leading tabs, as the shell strips them),
mapped the same way.

Bounds: an embedded text is part of the file, so its size is bounded by the
file's; its aliases spend the file's one alias budget (``yamldoc.Budget``);
its nesting has the same depth limit.  Embedding is followed one level deep:
a manifest embedded in an embedded manifest is not read.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from pinlint.formats import helm_values, kubernetes, objects
from pinlint.formats.yamlrefs import Where, scalar_ref, walk, where_text
from pinlint.locators import Locator
from pinlint.model import LocatedRef, Span
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import Budget, LimitError, Limits, YamlError, YMap, YSeq, YStr, is_null, iter_documents

_SCRIPT_KEYS = frozenset(("script", "args", "command", "source", "run"))
_MAX_DEPTH = 64  # how deep a block scalar is searched for in a document
# ``kubectl … apply|create|replace … -f -`` with a heredoc on the same line
# (``kubectl apply -f - <<EOF`` or ``cat <<EOF | kubectl apply -f -``).
# Three linear searches, each from where the last matched, instead of one
# pattern with two ``.*``: that one backtracks in cubic time on a line that
# repeats ``kubectl apply`` without ``-f -`` (an attacker's line in a script).
_KUBECTL_WORD = re.compile(r"\bkubectl\b")
_KUBECTL_VERB = re.compile(r"\b(?:apply|create|replace)\b")
_STDIN_FILE = re.compile(r"(?:-f\s*-|--filename[=\s]+-)(?![\w-])")


def _pipes_to_kubectl(line: str) -> bool:
    """``kubectl … apply|create|replace … -f -`` somewhere on ``line``, in linear time."""
    word = _KUBECTL_WORD.search(line)
    verb = _KUBECTL_VERB.search(line, word.end()) if word else None
    return verb is not None and _STDIN_FILE.search(line, verb.end()) is not None
_HEREDOC = re.compile(r"<<(-?)[ \t]*(?:'(\w+)'|\"(\w+)\"|\\?(\w+))")


class EmbeddedText(SourceText):
    """Text embedded in a file, whose spans are in the file.

    ``text`` is the inner text; character offsets and ``position`` are the
    inner text's (what a locator works with), ``span`` and ``byte_offset``
    are the outer file's.  The inner text is pieces of the file's text, one
    per line: piece ``k`` starts at inner offset ``inner[k]`` and at the file's
    character offset ``outer[k]``."""

    __slots__ = ("root", "_inner", "_outer")

    def __init__(self, text: str, root: SourceText, inner: list[int], outer: list[int]) -> None:
        super().__init__(text, root.bom)
        self.root = root
        self._inner = inner
        self._outer = outer

    def to_root(self, offset: int, *, end: bool = False) -> int:
        """The file's character offset of inner ``offset``; ``end``: of the
        character before it, plus one (an end at a piece's start stays at the
        end of the previous piece, not after the next line's indentation)."""
        if end and offset > 0:
            return self.to_root(offset - 1) + 1
        k = bisect.bisect_right(self._inner, offset) - 1
        return self._outer[k] + offset - self._inner[k]

    def byte_offset(self, char_offset: int) -> int:
        return self.root.byte_offset(self.to_root(char_offset))

    def span(self, start: int, end: int, line: int | None = None, column: int | None = None) -> Span:
        at = self.to_root(start)
        until = self.to_root(end, end=True) if end > start else at
        root_line, root_column = self.root.position(at)
        if line is not None and column is not None:
            # a caller naming another line/column than ``start``'s (an insertion
            # point's indentation) keeps the difference
            inner_line, inner_column = self.position(start)
            root_line += line - inner_line
            root_column += column - inner_column
        return Span(self.root.byte_offset(at), self.root.byte_offset(until), root_line, root_column)


def _embed(parent: SourceText, pieces: list[tuple[int, int]]) -> EmbeddedText:
    """The text made of ``parent.text[start:end]`` for each piece, mapped
    into the file (through ``parent`` when it is itself embedded; each piece
    lies within one line of it)."""
    text = parent.text
    inner: list[int] = []
    outer: list[int] = []
    parts: list[str] = []
    at = 0
    for start, end in pieces:
        inner.append(at)
        outer.append(parent.to_root(start) if isinstance(parent, EmbeddedText) else start)
        parts.append(text[start:end])
        at += end - start
    root = parent.root if isinstance(parent, EmbeddedText) else parent
    return EmbeddedText("".join(parts), root, inner or [0], outer or [0])


def _lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of ``text[start:end]``, its line end included."""
    while start < end:
        nl = text.find("\n", start, end)
        stop = end if nl == -1 else nl + 1
        yield start, stop
        start = stop


def literal_block(source: SourceText, node: YStr) -> EmbeddedText | None:
    """The text of a literal block scalar as it stands in the file, mapped;
    None when ``node`` is not one or its lines do not read as its value."""
    if node.style != "|" or isinstance(source, EmbeddedText):
        return None  # one level deep
    text = source.text
    header_end = text.find("\n", node.start, node.end)
    if header_end == -1:
        return None
    lines = list(_lines(text, header_end + 1, node.end))
    value = str(node)
    first = next((ln for ln in value.split("\n") if ln.strip(" ")), None)
    if first is None:
        return None
    body = next((s for s, e in lines if text[s:e].strip(" \r\n")), None)
    if body is None:
        return None
    indent = (len(text[body:]) - len(text[body:].lstrip(" "))) - (len(first) - len(first.lstrip(" ")))
    if indent < 0:
        return None
    pieces = []
    for start, end in lines:
        line = text[start:end]
        spaces = len(line) - len(line.lstrip(" "))
        pieces.append((start + min(indent, spaces), end))
    inner = _embed(source, pieces)
    # YAML 1.1 (libyaml) reads a lone CR and NEL as line breaks and normalizes them to LF in the value
    # (U+2028 and U+2029 break lines too but stay in the value): one character each in the file and in
    # the value, so the mapping stays exact
    if _NORMALIZED_BREAKS.sub("\n", inner.text.replace("\r\n", "\n")).rstrip(" \n") != value.rstrip(" \n"):
        return None
    return inner


_NORMALIZED_BREAKS = re.compile("[\r\x85]")
_ODD_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")  # a CRLF file's line ends are not odd


def _unmappable(source: SourceText, node: object) -> None:
    """A literal block that should be read but cannot be mapped byte-exactly
    because of line breaks other than ``\\n`` is the file's PIN900: skipping it
    would hide what it holds."""
    if (isinstance(node, YStr) and node.style == "|" and node.strip()
            and _ODD_BREAKS.search(source.text, node.start, node.end)):
        at = source.span(node.start, node.start)
        raise LimitError("a literal block with a line break other than \\n (a lone CR, NEL, U+2028 or U+2029) "
                         "that pinlint cannot read exactly; use plain newlines", at.line, at.column)


def heredocs(block: EmbeddedText) -> Iterator[EmbeddedText]:
    """The bodies of the ``kubectl … -f -`` heredocs of a script."""
    text = block.text
    lines = list(_lines(text, 0, len(text)))
    i = 0
    while i < len(lines):
        start, end = lines[i]
        line = text[start:end]
        i += 1
        match = _HEREDOC.search(line) if "<<" in line else None
        if match is None or not _pipes_to_kubectl(line):
            continue
        strip_tabs = match[1] == "-"
        word = match[2] or match[3] or match[4]
        pieces = []
        while i < len(lines):
            s, e = lines[i]
            i += 1
            body = text[s:e]
            if strip_tabs:
                tabs = len(body) - len(body.lstrip("\t"))
                s, body = s + tabs, body[tabs:]
            if body.rstrip("\r\n") == word:
                break
            pieces.append((s, e))
        else:
            continue  # never closed: not a heredoc the shell would run
        if pieces:
            yield _embed(block, pieces)


def _parse(text: EmbeddedText, limits: Limits, budget: Budget) -> list[object] | None:
    """The documents of an embedded text; None when it is not YAML (skipped
    quietly).  Past a limit (the file's alias budget, nesting) it is the
    file's PIN900, at the embedded text's first line: skipping it would hide
    whatever references it holds."""
    try:
        return [doc for doc in iter_documents(text.text, limits, budget) if not is_null(doc)]
    except LimitError as exc:
        at = text.span(0, 0)
        raise LimitError(f"{exc.message}, in the YAML embedded here", at.line, at.column) from None
    except YamlError:
        return None


def _kubernetes_refs(
    path: str, text: EmbeddedText, docs: Sequence[object], locators: Sequence[Locator], where: str, outer: str
) -> Iterator[LocatedRef]:
    for ref in kubernetes.locate(path, text, docs, locators):
        yield ref._replace(where=f"{where}: {ref.where}", object=_within(ref.object, outer))


def _helm_refs(path: str, source: SourceText, docs: Sequence[object], where: str, outer: str) -> Iterator[LocatedRef]:
    for ref in helm_values.locate(path, source, docs):
        inner = objects.describe(ref.kind, ref.where)
        yield ref._replace(where=f"{where}: {ref.where}", object=_within(inner, outer))


# JSON 6902 operations (a Kustomize patch that is a list of ``op``s) that
# write an image: a value at a path ending in ``/image`` (outside
# ``metadata``), a container at ``…/containers/N`` (or ``/-``), or a list of
# containers.
_CONTAINER_PATH = re.compile(r".*/(?:containers|initContainers|ephemeralContainers)(?P<item>/(?:\d+|-))?")


def _operation_refs(path: str, text: SourceText, docs: Sequence[object], where: str, outer: str,
                    ) -> Iterator[LocatedRef]:
    for ops in docs:
        if not isinstance(ops, YSeq):
            continue
        for n, op in enumerate(ops):
            if not isinstance(op, YMap) or op.get("op") not in ("add", "replace"):
                continue
            target, value = op.get("path"), op.get("value")
            if not isinstance(target, YStr):
                continue
            at = f"{where}: [{n}].value"
            found: list[tuple[object, str]] = []
            container = _CONTAINER_PATH.fullmatch(target)
            if target.endswith("/image") and "/metadata/" not in target:  # not a label or annotation
                found.append((value, at))
            elif container and container["item"] and isinstance(value, YMap):
                found.append((value.get("image"), f"{at}.image"))
            elif container and not container["item"] and isinstance(value, YSeq):
                found += [(item.get("image"), f"{at}[{i}].image") for i, item in enumerate(value)
                          if isinstance(item, YMap)]
            for node, node_where in found:
                ref = scalar_ref(path, "kubernetes", text, node, node_where)
                if ref:
                    yield ref._replace(object=outer)


def _target(target: object) -> str:
    """``Deployment/web`` for a patch's ``target: {kind: Deployment, name: web}``."""
    if not isinstance(target, YMap) or not isinstance(target.get("kind"), YStr):
        return ""
    name = target.get("name")
    return f"{target['kind']}/{name}" if isinstance(name, YStr) else str(target["kind"])


def _within(inner: str, outer: str) -> str:
    return f"{inner} (in {outer})" if inner else outer


def _label(doc: YMap) -> str:
    kind = doc.get("kind")
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, YMap) else None
    if not isinstance(kind, YStr):
        return ""
    return f"{kind}/{name}" if isinstance(name, YStr) else str(kind)


class Triggers(NamedTuple):
    """Which kinds of embedding a file's text can hold at all (asked once per file)."""

    patch: bool
    helm: bool
    manifest: bool
    heredoc: bool

    @property
    def any(self) -> bool:
        return self.patch or self.helm or self.manifest or self.heredoc


_ALL = Triggers(True, True, True, True)


def triggers(text: str) -> Triggers:
    if "\\" in text:  # a double-quoted scalar can spell any of the words below with escapes
        return _ALL
    return Triggers("patch" in text, "values" in text, "manifest" in text, "kubectl" in text and "<<" in text)


def locate(
    kind: str, path: str, source: SourceText, doc: object, locators: Sequence[Locator],
    limits: Limits, budget: Budget, found: Triggers,
) -> list[LocatedRef]:
    """The references embedded in one document of a file of ``kind``
    (``found``: ``triggers(source.text)``)."""
    if not isinstance(doc, YMap):
        return []
    refs: list[LocatedRef] = []
    api_version, doc_kind = doc.get("apiVersion"), doc.get("kind")
    label = _label(doc)
    is_object = isinstance(api_version, YStr) and isinstance(doc_kind, YStr)

    def manifest(node: object, where: str, patch: YMap | None = None) -> None:
        """``patch``: the Kustomize patch entry ``node`` is the text of (it
        may be JSON 6902 operations on the entry's ``target``)."""
        block = literal_block(source, node) if isinstance(node, YStr) else None
        if block is None:
            _unmappable(source, node)
        docs = _parse(block, limits, budget) if block is not None else None
        if block is not None and docs:
            desc = f"{label} {where}".strip()
            refs.extend(_kubernetes_refs(path, block, docs, locators, where, desc))
            if patch is not None:
                refs.extend(_operation_refs(path, block, docs, where, _within(_target(patch.get("target")), desc)))

    def values(node: object, where: str) -> None:
        desc = f"{label} {where}".strip()
        if isinstance(node, YMap):
            refs.extend(_helm_refs(path, source, (node,), where, desc))
            return
        block = literal_block(source, node) if isinstance(node, YStr) else None
        if block is None:
            _unmappable(source, node)
        docs = _parse(block, limits, budget) if block is not None else None
        if block is not None and docs:
            refs.extend(_helm_refs(path, block, docs, where, desc))

    def patches(holder: object, at: str = "") -> None:
        """The ``patches`` and ``patchesJson6902`` entries under ``holder`` (a
        kustomization, a Flux Kustomization's ``spec``, a post-renderer's
        ``kustomize``): a patch's text is read as manifests and operations, a
        list of operations written as YAML (a post-renderer's) where it is."""
        for field in ("patches[]", "patchesJson6902[]"):
            for entry, where in walk(holder, (field,)):
                if not isinstance(entry, YMap) or "patch" not in entry:
                    continue
                where = f"{at}.{where}.patch" if at else f"{where}.patch"
                if isinstance(entry["patch"], YSeq):
                    outer = _within(_target(entry.get("target")), f"{label} {where}".strip())
                    refs.extend(_operation_refs(path, source, (entry["patch"],), where, outer))
                else:
                    manifest(entry["patch"], where, entry)

    if kind == "kustomize" or (is_object and str(api_version).startswith("kustomize.config.k8s.io/")):
        if found.patch:
            patches(doc)
            for node, where in walk(doc, ("patchesStrategicMerge[]",)):
                if isinstance(node, YStr) and "\n" in node:  # a one-line entry is a file name
                    manifest(node, where)
        if found.helm:  # the Helm values a kustomization renders a chart with
            for node, where in walk(doc, ("helmCharts[]", "valuesInline")):
                values(node, where)
    elif is_object and str(api_version).startswith("argoproj.io/"):
        if doc_kind in ("Application", "ApplicationSet"):
            if found.helm:
                for spec, where in (*walk(doc, ("spec",)), *walk(doc, ("spec", "template", "spec"))):
                    for helm, at in (*walk(spec, ("source", "helm")), *walk(spec, ("sources[]", "helm"))):
                        if isinstance(helm, YMap):
                            base = f"{where}.{at}"
                            if "values" in helm:
                                values(helm["values"], f"{base}.values")
                            if "valuesObject" in helm:
                                values(helm["valuesObject"], f"{base}.valuesObject")
        elif found.manifest:
            for node, where in _find(doc, lambda m: isinstance(m.get("resource"), YMap)):
                assert isinstance(node, YMap)
                resource = node["resource"]
                assert isinstance(resource, YMap)
                manifest(resource.get("manifest"), f"{where}.resource.manifest".lstrip("."))
    elif is_object and doc_kind == "HelmRelease" and str(api_version).startswith("helm.toolkit.fluxcd.io/"):
        if found.helm:
            for node, where in walk(doc, ("spec", "values")):
                values(node, where)
        if found.patch:  # what the kustomize post-renderer patches into the rendered chart
            for kustomize, at in walk(doc, ("spec", "postRenderers[]", "kustomize")):
                patches(kustomize, at)
    elif (found.patch and is_object and doc_kind == "Kustomization"
          and str(api_version).startswith("kustomize.toolkit.fluxcd.io/")):
        patches(doc.get("spec"), "spec")
    if found.heredoc:
        for node, where in _scripts(doc):
            block = literal_block(source, node)
            if block is None:
                if "kubectl" in node:
                    _unmappable(source, node)
                continue
            for n, body in enumerate(heredocs(block)):
                docs = _parse(body, limits, budget)
                if docs:
                    at = f"{where} heredoc {n + 1}"
                    refs.extend(_kubernetes_refs(path, body, docs, locators, at, f"{label} {at}".strip()))
    return refs


def _find(doc: YMap, want: Callable[[YMap], bool]) -> Iterator[tuple[object, str]]:
    """Every mapping below ``doc`` (within a bounded depth) for which ``want(m)``
    is true, with its key path, in document order.  Paths are kept as links
    (``yamlrefs.Where``) and become text only for what is yielded, and only
    collections are stacked: a deep document with long keys costs a link per
    node, not a string per child."""
    stack: list[tuple[object, Where, int]] = [(doc, None, 0)]
    seen: set[int] = set()
    while stack:
        node, where, depth = stack.pop()
        if depth > _MAX_DEPTH or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, YMap):
            if want(node):
                yield node, where_text(where)
            children: list[tuple[object, Where, int]] = [
                (v, (where, str(k)), depth + 1) for k, v in node.items() if isinstance(v, (YMap, YSeq))]
        elif isinstance(node, YSeq):
            children = [(v, (where, n), depth + 1) for n, v in enumerate(node) if isinstance(v, (YMap, YSeq))]
        else:
            continue
        children.reverse()
        stack.extend(children)


def _scripts(doc: YMap) -> Iterator[tuple[YStr, str]]:
    """Literal block scalars that may hold a ``kubectl`` heredoc: the value
    of a script-like key, or an item of a sequence under one."""
    for node, where in _find(doc, lambda m: any(k in m for k in _SCRIPT_KEYS)):
        assert isinstance(node, YMap)
        for key in _SCRIPT_KEYS:
            value = node.get(key)
            at = f"{where}.{key}" if where else key
            items = list(enumerate(value)) if isinstance(value, YSeq) else [(-1, value)]
            for n, item in items:
                if isinstance(item, YStr) and item.style == "|" and "kubectl" in item and "<<" in item:
                    yield item, at if n < 0 else f"{at}[{n}]"
