"""Load YAML into plain Python containers that remember where they came from.

libyaml (through ruamel.yaml.clib) scans and parses; without the C extension
ruamel.yaml's pure-Python parser produces the same events, only slower.  This
module composes the event stream into ``YMap`` (a dict), ``YSeq`` (a list) and ``YStr`` (a str)
that carry their source position.  Locators can then walk documents like
ordinary data and still know the exact characters of every scalar.

Composition is iterative and enforces the limits of SPEC §4 as it goes:
nesting depth and alias expansion.  A billion-laughs document is rejected
after a bounded amount of work, and 10,000-deep nesting never recurses.
All scalars stay strings (no implicit typing): ``tag: 1.10`` is ``"1.10"``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeAlias, final

import ruamel.yaml
from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError, YAMLError

# libyaml's parser, as ruamel.yaml exports it (``ruamel.yaml.CParser``, None
# without ruamel.yaml.clib).  Read with getattr: ruamel.yaml imports the name
# from its C extension without listing it in ``__all__``, so mypy --strict
# does not count it as exported.
CParser: Any = getattr(ruamel.yaml, "CParser", None)


class YStr(str):
    """A scalar.  ``start``/``end`` are character offsets of the whole token
    (quotes included); ``line``/``col`` are 1-based; ``style`` is ``""`` for
    plain, or one of ``'"|>``."""

    __slots__ = ("start", "end", "line", "col", "style")
    start: int
    end: int
    line: int
    col: int
    style: str


@final
class YMap(dict[str, "Node"]):
    """A mapping; ``keynodes`` maps each key to its ``YStr`` key node.  Keys are
    ``YStr`` (typed ``str`` so that lookups with a plain string type-check)."""

    __slots__ = ("start", "end", "line", "col", "keynodes", "flow")
    start: int
    end: int
    line: int
    col: int
    keynodes: dict[str, YStr]
    flow: bool


@final
class YSeq(list["Node"]):
    __slots__ = ("start", "end", "line", "col", "flow")
    start: int
    end: int
    line: int
    col: int
    flow: bool


Node: TypeAlias = YStr | YMap | YSeq

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


def is_null(node: object) -> bool:
    return node is None or (isinstance(node, YStr) and node.style == "" and node in _NULLS)


class Limits(NamedTuple):
    max_depth: int = 1000
    max_alias_nodes: int = 10_000


class YamlError(Exception):
    """The text is not YAML pinlint can use; carries a 1-based position."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


_SCALAR = ev.ScalarEvent
_ALIAS = ev.AliasEvent
_MAP_START = ev.MappingStartEvent
_MAP_END = ev.MappingEndEvent
_SEQ_START = ev.SequenceStartEvent
_SEQ_END = ev.SequenceEndEvent
_DOC_END = ev.DocumentEndEvent
_STREAM_END = ev.StreamEndEvent


DEFAULT_LIMITS = Limits()


def load_all(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Node | None]:
    """Every document of a YAML stream; raises ``YamlError``."""
    try:
        return list(_compose(text, limits))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is not None:
            raise YamlError(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
        raise YamlError(f"invalid YAML: {problem}") from None
    except YAMLError as exc:  # reader errors: control characters and the like
        raise YamlError(f"invalid YAML: {str(exc).splitlines()[0]}") from None


def _event_source(text: str) -> Callable[[], Any]:
    """A function returning the next parser event of ``text``.  Without the C
    extension, ruamel.yaml's pure-Python parser gives the same events and marks
    (character offsets), and composition below enforces the same limits."""
    get: Callable[[], Any] = (
        CParser(text).get_event if CParser is not None else YAML(typ="safe", pure=True).parse(text).__next__
    )
    return get


def _compose(text: str, limits: Limits) -> Iterator[Node | None]:
    get = _event_source(text)
    get()  # StreamStart
    max_depth = limits.max_depth
    max_alias = limits.max_alias_nodes
    while True:
        event = get()
        if type(event) is _STREAM_END:
            return
        # DocumentStart
        anchors: dict[str, Node] = {}
        sizes: dict[int, int] = {}
        open_anchors: set[str] = set()
        # stack entries (lists, not objects: one per container, on the hot path):
        # [container: YMap | YSeq, pending key: YStr | None, anchor: str | None,
        #  node count at start: int, merges: list[Node] | None]
        stack: list[list[Any]] = []
        node: Node
        container: YMap | YSeq
        parent: YMap | YSeq
        key: YStr
        root: Node | None = None
        created = 0  # nodes built from events
        expanded = 0  # nodes reached again through aliases
        while True:
            event = get()
            cls = type(event)
            if cls is _DOC_END:
                break
            if cls is _SCALAR:
                node = YStr(event.value)
                sm = event.start_mark
                node.start = sm.index
                node.end = event.end_mark.index
                node.line = sm.line + 1
                node.col = sm.column + 1
                node.style = event.style or ""
                created += 1
                if event.anchor is not None:
                    anchors[event.anchor] = node
                    sizes[id(node)] = 1
            elif cls is _ALIAS:
                name = event.anchor
                if name in open_anchors:
                    m = event.start_mark
                    raise YamlError(f"recursive alias *{name}", m.line + 1, m.column + 1)
                if name not in anchors:
                    m = event.start_mark
                    raise YamlError(f"invalid YAML: unknown alias *{name}", m.line + 1, m.column + 1)
                node = anchors[name]
                expanded += sizes.get(id(node), 1)
                if expanded > max_alias:
                    m = event.start_mark
                    raise YamlError(
                        f"alias expansion past {max_alias:,} nodes (a YAML alias bomb?)", m.line + 1, m.column + 1
                    )
            elif cls is _MAP_START or cls is _SEQ_START:
                if len(stack) >= max_depth:
                    m = event.start_mark
                    raise YamlError(f"nesting deeper than {max_depth:,} levels", m.line + 1, m.column + 1)
                sm = event.start_mark
                if cls is _MAP_START:
                    container = YMap()
                    container.keynodes = {}
                else:
                    container = YSeq()
                container.start = sm.index
                container.line = sm.line + 1
                container.col = sm.column + 1
                container.flow = bool(event.flow_style)
                created += 1
                if event.anchor is not None:
                    anchors[event.anchor] = container
                    open_anchors.add(event.anchor)
                stack.append([container, None, event.anchor, created + expanded, None])
                continue
            elif cls is _MAP_END or cls is _SEQ_END:
                frame = stack.pop()
                node = container = frame[0]
                container.end = event.end_mark.index
                if frame[4] and type(container) is YMap:  # only mappings collect merges
                    _apply_merges(container, frame[4])
                if frame[2] is not None:
                    open_anchors.discard(frame[2])
                    sizes[id(node)] = created + expanded - frame[3] + 1
            else:
                continue
            # attach `node` to its parent
            if not stack:
                root = node
                continue
            frame = stack[-1]
            parent = frame[0]
            if type(parent) is YSeq:
                parent.append(node)
            elif frame[1] is None:
                frame[1] = node if isinstance(node, YStr) else _complex_key(node)
            else:
                key = frame[1]
                frame[1] = None
                if key == "<<" and key.style == "":
                    if frame[4] is None:
                        frame[4] = []
                    frame[4].append(node)
                else:
                    parent[key] = node
                    parent.keynodes[key] = key
        yield root


def _apply_merges(node: YMap, merges: list[Node]) -> None:
    """YAML merge keys (``<<: *base``): explicit keys win, earlier merges win."""
    for merged in merges:
        for item in merged if isinstance(merged, YSeq) else (merged,):
            if isinstance(item, YMap):
                for key, value in item.items():
                    if key not in node:
                        node[key] = value
                        node.keynodes[key] = item.keynodes[key]


def _complex_key(node: Node) -> YStr:
    key = YStr(f"<complex key at line {node.line}>")
    key.start, key.end, key.line, key.col, key.style = node.start, node.start, node.line, node.col, "?"
    return key
