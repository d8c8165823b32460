"""Turning YAML scalars into located references, shared by the YAML formats."""
from __future__ import annotations

from collections.abc import Iterator

from pinlint.model import LocatedRef, Span
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, YSeq, YStr, is_null


def scalar_span(source: SourceText, node: YStr, skip: int = 0) -> tuple[Span, bool]:
    """The span of a scalar's value text, and whether it is exact.

    Exact means the file holds the value verbatim (plain or quoted without
    escapes or folding), so fix mode may replace exactly those characters.
    Otherwise the span covers the whole token, quotes included.  ``skip``
    drops a known prefix (``docker://``) from the span.
    """
    start, end = node.start, node.end
    if node.style in ('"', "'"):
        start, end = start + 1, end - 1
    elif node.style != "":
        return source.span(node.start, node.end, node.line, node.col), False
    if source.text[start:end] != node:
        return source.span(node.start, node.end, node.line, node.col), False
    start += skip
    return source.span(start, end, node.line, node.col + (start - node.start)), True


def scalar_ref(
    path: str, kind: str, source: SourceText, node: object, where: str, *, skip: int = 0
) -> LocatedRef | None:
    """A reference from one scalar value; None when the value is empty or not a string."""
    if not isinstance(node, YStr) or is_null(node):
        return None
    text = str(node)[skip:]
    if not text:
        return None
    span, exact = scalar_span(source, node, skip)
    return LocatedRef(path, kind, text, span, exact, False, (), where)


def string_or_field(
    path: str, kind: str, source: SourceText, node: object, where: str, key: str
) -> LocatedRef | None:
    """A reference written as a string, or as a mapping holding it under ``key``
    (GitHub's ``container: {image: …}``, GitLab's ``image: {name: …}``)."""
    if isinstance(node, YMap):
        return scalar_ref(path, kind, source, node.get(key), f"{where}.{key}")
    return scalar_ref(path, kind, source, node, where)


def walk(node: object, path: tuple[str, ...]) -> Iterator[tuple[object, str]]:
    """Follow a locator path: keys, ``*`` for any key, ``[]`` suffix for every
    item of a sequence.  Yields (node, dotted path with indexes)."""
    yield from _walk(node, path, 0, "")


def _walk(node: object, path: tuple[str, ...], i: int, where: str) -> Iterator[tuple[object, str]]:
    if i == len(path):
        yield node, where
        return
    step = path[i]
    items = step.endswith("[]")
    key = step[:-2] if items else step
    children: list[tuple[object, str]]
    if key:
        if not isinstance(node, YMap):
            return
        if key == "*":
            children = [(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()]
        elif key in node:
            children = [(node[key], f"{where}.{key}" if where else key)]
        else:
            return
    else:
        children = [(node, where)]
    for child, child_where in children:
        if items:
            if isinstance(child, YSeq):
                for n, item in enumerate(child):
                    yield from _walk(item, path, i + 1, f"{child_where}[{n}]")
        else:
            yield from _walk(child, path, i + 1, child_where)


def parse_path(text: str) -> tuple[str, ...]:
    """``spec.templates[].container.image`` -> ("spec", "templates[]", "container", "image")."""
    return tuple(part for part in text.split(".") if part)


def get_str(node: object, key: str) -> YStr | None:
    if isinstance(node, YMap):
        value = node.get(key)
        if isinstance(value, YStr) and not is_null(value):
            return value
    return None
