"""Kustomize ``images:`` overrides: ``name``, ``newName``, ``newTag``, ``digest``.

The reference is assembled (``newName or name`` + ``:newTag`` + ``@digest``)
and reported at ``newName``, else ``name``.  An entry that only names an
image (nothing to override) is not a reference.
"""
from __future__ import annotations

from typing import Sequence

from pinlint.formats.yamlrefs import get_str, scalar_span
from pinlint.model import LocatedRef
from pinlint.reference import is_templated
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YSeq


def locate(path: str, source: SourceText, docs: Sequence[object]) -> list[LocatedRef]:
    refs = []
    for doc in docs:
        images = doc.get("images") if isinstance(doc, YMap) else None
        if not isinstance(images, YSeq):
            continue
        for n, entry in enumerate(images):
            ref = _entry(path, source, entry, f"images[{n}]")
            if ref:
                refs.append(ref)
    return refs


def _entry(path: str, source: SourceText, entry: object, where: str) -> LocatedRef | None:
    name, new_name = get_str(entry, "name"), get_str(entry, "newName")
    tag, digest = get_str(entry, "newTag"), get_str(entry, "digest")
    repo = new_name or name
    if repo is None or (new_name is None and tag is None and digest is None):
        return None
    text = str(repo) + (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest is not None else "")
    fields = []
    for field, node in (("name", name), ("newName", new_name), ("newTag", tag), ("digest", digest)):
        if node is not None:
            fields.append((field, scalar_span(source, node)[0]))
    span, exact = scalar_span(source, repo)
    exact = exact and tag is None and digest is None
    field = "newName" if new_name is not None else "name"
    return LocatedRef(path, "kustomize", text, span, exact, is_templated(text), tuple(fields), f"{where}.{field}")
