"""Turning YAML scalars into located references, shared by the YAML formats."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import NamedTuple, TypeAlias

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
        return source.span(node.start, node.end), False
    if source.text[start:end] != node:
        return source.span(node.start, node.end), False
    start += skip
    return source.span(start, end), True


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


# A key path built without copying: (parent, step) links from the root
# (None); a step is a key or an index.  Only what is yielded becomes text, so
# deep documents with long keys cost one link per node, not a string each.
Where: TypeAlias = "tuple[Where, str | int] | None"
Memo = dict[tuple[int, str], list[tuple[object, Where]]]


# A name or key longer than Kubernetes allows any name to be (253) is cut in
# labels and key paths: they are copied into every reference and message of
# the object, so a 1 MB name would cost a megabyte per reference.
MAX_LABEL = 253


def short(text: str, limit: int = MAX_LABEL) -> str:
    """``text``, or its first ``limit - 1`` characters and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def where_text(where: Where) -> str:
    """``spec.templates[0].container`` for the links of that path."""
    parts: list[str] = []
    while where is not None:
        where, step = where
        parts.append(f"[{step}]" if isinstance(step, int) else f".{short(step)}")
    text = "".join(reversed(parts))
    return text[1:] if text.startswith(".") else text


def walk(node: object, path: tuple[str, ...], memo: Memo | None = None) -> Iterator[tuple[object, str]]:
    """Follow a locator path (see ``parse_path``).  Yields (node, dotted path
    with indexes).  ``memo`` keeps what ``**`` found below each node, for
    several paths walked over one document."""
    for found, where in _walk(node, path, 0, None, {} if memo is None else memo):
        yield found, where_text(where)


class _Step(NamedTuple):
    key: str  # "" (the node itself), a key, "*" any key, "**" any depth
    selectors: tuple[tuple[str, str] | None, ...]  # None: every item; (k, v): items whose k is v


_SELECTOR = re.compile(r"\[([^\]=]*)(?:=([^\]]*))?\]")


@functools.cache
def _step(text: str) -> _Step:
    bracket = text.find("[")
    key, rest = (text, "") if bracket < 0 else (text[:bracket], text[bracket:])
    selectors: list[tuple[str, str] | None] = []
    for m in _SELECTOR.finditer(rest):
        selectors.append((m[1], m[2]) if m[2] is not None else None)
    return _Step(key, tuple(selectors))


def _walk(node: object, path: tuple[str, ...], i: int, where: Where, memo: Memo) -> Iterator[tuple[object, Where]]:
    if i == len(path):
        yield node, where
        return
    step = _step(path[i])
    key = step.key
    children: list[tuple[object, Where]]
    if key == "**":
        memo_key = (id(node), where_text(where))
        below = memo.get(memo_key)
        if below is None:
            below = memo[memo_key] = list(descendants(node, where))
        after = _step(path[i + 1]).key if i + 1 < len(path) else ""
        for child, child_where in below:
            if after in ("", "*", "**") or (isinstance(child, YMap) and after in child):
                yield from _walk(child, path, i + 1, child_where, memo)
        return
    if key:
        if not isinstance(node, YMap):
            return
        if key == "*":
            children = [(v, (where, str(k))) for k, v in node.items()]
        elif key in node:
            children = [(node[key], (where, key))]
        else:
            return
    else:
        children = [(node, where)]
    for selector in step.selectors:
        children = list(_select(children, selector))
    for child, child_where in children:
        yield from _walk(child, path, i + 1, child_where, memo)


def _select(
    children: list[tuple[object, Where]], selector: tuple[str, str] | None
) -> Iterator[tuple[object, Where]]:
    """``[]``: every item of a sequence; ``[k=v]``: the items of a sequence
    (or a mapping itself) whose ``k`` is the string ``v``."""
    for child, where in children:
        if isinstance(child, YSeq):
            for n, item in enumerate(child):
                if selector is None or _has(item, selector):
                    yield item, (where, n)
        elif selector is not None and _has(child, selector):
            yield child, where


def _has(node: object, selector: tuple[str, str]) -> bool:
    if not isinstance(node, YMap):
        return False
    value = node.get(selector[0])
    return isinstance(value, YStr) and str(value) == selector[1]


def descendants(node: object, where: Where = None) -> Iterator[tuple[object, Where]]:
    """``node`` and every mapping or sequence below it, each once, in
    document order, without recursion (documents nest deeply)."""
    seen: set[int] = set()
    stack: list[tuple[object, Where]] = [(node, where)]
    while stack:
        current, at = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current, at
        below: list[tuple[object, Where]] = []
        if isinstance(current, YMap):
            below = [(v, (at, str(k))) for k, v in current.items() if isinstance(v, (YMap, YSeq))]
        elif isinstance(current, YSeq):
            below = [(v, (at, n)) for n, v in enumerate(current) if isinstance(v, (YMap, YSeq))]
        stack.extend(reversed(below))


def parse_path(text: str) -> tuple[str, ...]:
    """A locator path as its steps, split at the dots outside brackets:
    ``spec.**.taskRef[resolver=bundles].params[name=bundle].value`` ->
    ("spec", "**", "taskRef[resolver=bundles]", "params[name=bundle]", "value").

    A step is a key (``*``: any key; ``**``: this node and every mapping or
    sequence below it, at any depth) followed by selectors: ``[]`` every item
    of a sequence (``[][]`` for a list of lists), ``[k=v]`` the items of a
    sequence, or the mapping itself, whose key ``k`` holds the string ``v``."""
    steps: list[str] = []
    current, depth = "", 0
    for ch in text:
        if ch == "." and depth == 0:
            if current:
                steps.append(current)
            current = ""
            continue
        depth += 1 if ch == "[" else -1 if ch == "]" else 0
        current += ch
    if current:
        steps.append(current)
    return tuple(steps)


def selector_values(step: str) -> list[str]:
    """The values of a step's ``[k=v]`` selectors."""
    return [sel[1] for sel in _step(step).selectors if sel is not None and sel[1]]


@functools.cache
def path_words(path: tuple[str, ...]) -> tuple[str, ...]:
    """The literal keys and selector values of a path: every one of them is
    in the text of a document the path matches."""
    words: list[str] = []
    for text in path:
        step = _step(text)
        if step.key not in ("", "*", "**"):
            words.append(step.key)
        for selector in step.selectors:
            if selector is not None:
                words.extend(w for w in selector if w)
    return tuple(words)


def get_str(node: object, key: str) -> YStr | None:
    if isinstance(node, YMap):
        value = node.get(key)
        if isinstance(value, YStr) and not is_null(value):
            return value
    return None
