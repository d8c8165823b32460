"""Kustomize ``images:`` overrides: ``name``, ``newName``, ``newTag``, ``digest``.

The reference is assembled (``newName or name`` + ``:newTag`` + ``@digest``)
and reported at ``newName``, else ``name``.  An entry that only names an
image (nothing to override) is not a reference.

Fix plan (``plan``): an entry with a ``digest:`` gets its value replaced; an
entry without one gets a ``digest:`` field.  The locator records where: a
block entry's ``digest-insert`` span is the start of the line after the
entry's last field (its column is the entry's indentation + 1) and ``eol``
covers that field's line ending (empty at the end of a file without one), so
the new line copies the file's own line ending; a flow entry
(``{name: a, newTag: b}``) gets ``, digest: "…"`` right after its last value
(``digest-insert-flow``).  Comments on the last line stay on that line.
"""
from __future__ import annotations

from collections.abc import Sequence

from pinlint.formats.edits import PlannedFix, pinned_text, split_tag
from pinlint.formats.yamlrefs import get_str, scalar_span
from pinlint.model import Edit, LocatedRef, Span
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YSeq, YStr

KIND = "kustomize"


def locate(path: str, source: SourceText, docs: Sequence[object]) -> list[LocatedRef]:
    refs = []
    for doc in docs:
        images = doc.get("images") if isinstance(doc, YMap) else None
        if not isinstance(images, YSeq):
            continue
        for n, entry in enumerate(images):
            ref = image_entry(path, source, entry, f"images[{n}]")
            if ref:
                refs.append(ref)
    return refs


def image_entry(path: str, source: SourceText, entry: object, where: str) -> LocatedRef | None:
    """The reference of one ``images:`` entry (``where``: its key path), or
    None when it overrides nothing; Flux's image overrides are read with it too."""
    name, new_name = get_str(entry, "name"), get_str(entry, "newName")
    tag, digest = get_str(entry, "newTag"), get_str(entry, "digest")
    empty_digest = digest if digest is not None and not str(digest) else None
    if empty_digest is not None:
        digest = None  # `digest: ""` is no digest to Kustomize; its value is where a fix writes one
    repo = new_name or name
    if repo is None or (new_name is None and tag is None and digest is None):
        return None
    assert isinstance(entry, YMap)
    text = str(repo) + (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest is not None else "")
    fields: list[tuple[str, Span]] = []
    for field, node in (("name", name), ("newName", new_name), ("newTag", tag), ("digest", digest or empty_digest)):
        if node is not None:
            span, exact = scalar_span(source, node)
            fields.append((field if exact else f"{field}~", span))
    if digest is None and empty_digest is None:
        if "digest" not in entry:
            fields.extend(_insert_point(source, entry))
        else:
            fields.extend(_null_digest(source, entry))
    span, exact = scalar_span(source, repo)
    exact = exact and tag is None and digest is None
    field = "newName" if new_name is not None else "name"
    return LocatedRef(path, KIND, text, span, exact, False, tuple(fields), f"{where}.{field}")


def _null_digest(source: SourceText, entry: YMap) -> list[tuple[str, Span]]:
    """Where a digest is written over ``digest: ~``/``null``, or after a bare ``digest:``."""
    value = entry.get("digest")
    if isinstance(value, YStr) and value.end > value.start and value.style == "":
        # in a flow entry a plain sha256:… would not parse: the fix writes it quoted
        return [("digest-flow" if entry.flow else "digest", source.span(value.start, value.end))]
    key = entry.keynodes.get("digest")
    if not isinstance(key, YStr):
        return []
    colon = source.text.find(":", key.end)
    if colon == -1 or source.text[key.end:colon].strip(" \t\"'"):
        return []
    return [("digest-after-colon", source.span(colon + 1, colon + 1))]


def _insert_point(source: SourceText, entry: YMap) -> list[tuple[str, Span]]:
    """Where a ``digest:`` field goes in an entry that has none."""
    values = [v for v in entry.values() if isinstance(v, YStr)]
    if not values or len(values) != len(entry):
        return []  # a nested value: no safe place
    last = max(values, key=lambda v: v.end)
    text = source.text
    if entry.flow:
        return [("digest-insert-flow", source.span(last.end, last.end))]
    if last.style in ("|", ">"):
        return []
    keys = [k for k in entry.keynodes.values() if isinstance(k, YStr)]
    indent = min(source.position(k.start)[1] for k in keys) if keys else source.position(entry.start)[1]
    nl = text.find("\n", last.end)
    if nl == -1:  # the last line has no line end: the new line gets the file's own
        end = len(text)
        crlf = text.rfind("\n") > 0 and text[text.rfind("\n") - 1] == "\r"
        return [("digest-insert", source.span(end, end, source.position(end)[0], indent)),
                ("eol-crlf" if crlf else "eol", source.span(end, end))]
    eol_start = nl - 1 if nl > 0 and text[nl - 1] == "\r" else nl
    line = source.position(nl + 1)[0] if nl + 1 <= len(text) else source.position(last.start)[0] + 1
    return [("digest-insert", source.span(nl + 1, nl + 1, line, indent)), ("eol", source.span(eol_start, nl + 1))]


def plan(ref: LocatedRef, digest: str, style: str, tag: str | None = None) -> PlannedFix | None:
    """Fill or add the entry's ``digest`` (Kustomize writes ``name@digest``
    whatever ``newTag`` says, so ``style`` only changes the shown text)."""
    if pinned_text(ref, digest, style, tag) is None:
        return None
    # what the entry reads once fixed: Kustomize assembles name[:newTag]@digest
    name, written_tag = split_tag(ref.text.split("@", 1)[0])
    shown_tag = tag or written_tag
    text = f"{name}:{shown_tag}@{digest}" if shown_tag else f"{name}@{digest}"
    edits: list[Edit] = []
    if tag is not None:
        tag_span = ref.field("newTag")
        if tag_span is None:
            return None  # a placeholder tag must be written; no newTag field to hold it
        edits.append(Edit(tag_span.start, tag_span.end, tag))
    existing = ref.field("digest")
    if existing is not None:
        return PlannedFix(text, (*edits, Edit(existing.start, existing.end, digest)))
    in_flow = ref.field("digest-flow")
    if in_flow is not None:
        return PlannedFix(text, (*edits, Edit(in_flow.start, in_flow.end, f'"{digest}"')))
    after_colon = ref.field("digest-after-colon")
    if after_colon is not None:
        return PlannedFix(text, (*edits, Edit(after_colon.start, after_colon.end, f" {digest}")))
    flow = ref.field("digest-insert-flow")
    if flow is not None:
        # quoted: libyaml rejects a plain ``sha256:…`` inside a flow mapping
        return PlannedFix(text, (*edits, Edit(flow.start, flow.end, f', digest: "{digest}"')))
    at, eol, eof_crlf = ref.field("digest-insert"), ref.field("eol"), ref.field("eol-crlf")
    eol = eol or eof_crlf
    if at is None or eol is None:
        return None
    indent = " " * (at.column - 1)
    ending = "\r\n" if eol.end - eol.start == 2 or eof_crlf is not None else "\n"
    insert = f"{indent}digest: {digest}{ending}" if eol.end > eol.start else f"\n{indent}digest: {digest}"
    return PlannedFix(text, (*edits, Edit(at.start, at.end, insert)))
