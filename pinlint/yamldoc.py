"""Load YAML into plain Python containers that remember where they came from.

libyaml (through ruamel.yaml.clib) scans and parses; without the C extension
ruamel.yaml's pure-Python parser produces the same events, only slower.  This
module composes the event stream into ``YMap`` (a dict), ``YSeq`` (a list) and ``YStr`` (a str)
that carry their source position.  Locators can then walk documents like
ordinary data and still know the exact characters of every scalar.

Composition is iterative and enforces the limits of SPEC §4 as it goes:
nesting depth and alias expansion.  A billion-laughs document is rejected
after a bounded amount of work, and 10,000-deep nesting never recurses; the
alias budget is the file's, not each document's, so thousands of documents
each just under it are rejected too.  All scalars stay strings (no implicit
typing): ``tag: 1.10`` is ``"1.10"``.

Memory is bounded by what can hold a reference: ``iter_documents`` hands
documents over one at a time; positions are one packed int per node; an
empty collection (as an item or a value) and a plain null item are one
shared node without a position (offsets 0), so a 10 MB flow sequence
of ``{}`` costs a pointer per item.
"""
from __future__ import annotations

import _thread
import sys
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeAlias, TypeVar, cast, final

import ruamel.yaml
from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from pinlint.sourcetext import position

# libyaml's parser, as ruamel.yaml exports it (``ruamel.yaml.CParser``, None
# without ruamel.yaml.clib).  Read with getattr: ruamel.yaml imports the name
# from its C extension without listing it in ``__all__``, so mypy --strict
# does not count it as exported.
CParser: Any = getattr(ruamel.yaml, "CParser", None)


# Positions are packed into one int per node (a flag in the low bits, then
# the start and end character offsets, 40 bits each): a file of millions of
# small nodes then costs one small int per node instead of two, and fewer
# slots.  Character offsets stay far below 2**40.  Lines and columns are not
# kept: the few nodes that become references or messages get theirs from the
# text (``SourceText.position``), and packing two more fields per node was a
# tenth of composing.
_BITS = 40
_MASK = (1 << _BITS) - 1
_START, _END = 3, 3 + _BITS
_STYLES = ("", "'", '"', "|", ">", "?")  # "?": a complex key's placeholder
_STYLE_CODE: dict[str | None, int] = {None: 0, **{style: code for code, style in enumerate(_STYLES)}}


def _pack(start: int, end: int, flag: int) -> int:
    return flag | start << _START | end << _END


class _Located:
    """The position properties of every node (a mixin; the slot is ``_pos``)."""

    __slots__ = ()
    _pos: int

    @property
    def start(self) -> int:
        return self._pos >> _START & _MASK

    @property
    def end(self) -> int:
        return self._pos >> _END


class YStr(_Located, str):
    """A scalar.  ``start``/``end`` are character offsets of the whole token
    (quotes included); ``style`` is ``""`` for plain, or one of ``'"|>``."""

    __slots__ = ("_pos",)

    @property
    def style(self) -> str:
        return _STYLES[self._pos & 7]


@final
class YMap(_Located, dict[str, "Node"]):
    """A mapping; ``keynodes`` maps each key to its ``YStr`` key node.  Keys are
    ``YStr`` (typed ``str`` so that lookups with a plain string type-check)."""

    __slots__ = ("_pos", "_keys")
    _keys: dict[str, YStr] | None  # key nodes that are not the stored key object

    @property
    def flow(self) -> bool:
        return bool(self._pos & 1)

    @property
    def keynodes(self) -> dict[str, YStr]:
        """Each key's node: the key object the dict stores (a ``YStr``), or
        for a repeated key the later node, as a parser that assigns in order
        would see it.  Built on demand: most mappings are never asked."""
        nodes = {key: cast(YStr, key) for key in self}
        if self._keys:
            nodes.update(self._keys)
        return nodes

    def _keynode(self, key: str) -> YStr:
        """The node of ``key``, a key object this mapping stores."""
        node = self._keys.get(key) if self._keys else None
        return node if node is not None else cast(YStr, key)

    def _set(self, key: str, value: Node, keynode: YStr) -> None:
        """``self[key] = value``, remembering ``keynode`` as the key's node."""
        stored = key in self
        self[key] = value
        if stored or keynode is not key:
            if self._keys is None:
                self._keys = {}
            self._keys[key] = keynode
        elif self._keys and key in self._keys:
            del self._keys[key]


@final
class YSeq(_Located, list["Node"]):
    __slots__ = ("_pos",)

    @property
    def flow(self) -> bool:
        return bool(self._pos & 1)


Node: TypeAlias = YStr | YMap | YSeq
_T = TypeVar("_T", YStr, YMap, YSeq)

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


def is_null(node: object) -> bool:
    return node is None or (isinstance(node, YStr) and node.style == "" and node in _NULLS)


class Limits(NamedTuple):
    max_depth: int = 1000
    max_alias_nodes: int = 10_000


class Budget:
    """What a file may still spend on alias expansion, shared by every YAML
    stream read from it: its documents and the manifests embedded in their
    block scalars (``formats.embedded``), so embedding cannot multiply the
    file's limit."""

    __slots__ = ("aliases",)

    def __init__(self) -> None:
        self.aliases = 0  # nodes reached again through aliases so far


class YamlError(Exception):
    """The text is not YAML pinlint can use; carries a 1-based position."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class LimitError(YamlError):
    """The text went past a limit (alias expansion, nesting): hostile, not merely
    not YAML, so a caller that skips what does not parse must not skip this."""


class _At(Exception):
    """A ``YamlError`` (or ``LimitError``) found at a character offset while
    composing; ``_compose``, which has the text, raises it with its line and column."""

    def __init__(self, error: type[YamlError], message: str, offset: int) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.offset = offset


DEFAULT_LIMITS = Limits()


def load_all(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Node | None]:
    """Every document of a YAML stream; raises ``YamlError``."""
    return list(iter_documents(text, limits))


def plain(node: Node | None) -> Any:
    """A composed node as plain ``dict``/``list``/``str`` (every scalar a
    string, as composed): for pinlint's own files, whose schemas ask for
    strings, read without a constructor's typing and its start-up cost."""
    if isinstance(node, YMap):
        return {str(key): plain(value) for key, value in node.items()}
    if isinstance(node, YSeq):
        return [plain(item) for item in node]
    return None if node is None else str(node)


def _plain_words(exc: MarkedYAMLError) -> tuple[str, Any]:
    """libyaml's complaint said the way a person would, at the line where the
    problem starts (an unterminated quote is reported where it opens, not at
    the end of the file)."""
    problem = str(exc.problem or exc.context or "invalid YAML")
    context = str(exc.context or "")
    start = exc.context_mark
    if "end of stream" in problem and "quoted scalar" in context and start is not None:
        return f"unterminated quoted string: the quote opened here is never closed ({problem})", start
    if "tab character" in problem:
        return "a tab is used for indentation: YAML indents with spaces only", exc.problem_mark
    if context.startswith(("while parsing a flow sequence", "while parsing a flow mapping")) and start is not None:
        opener = "[" if "sequence" in context else "{"
        return f"the {opener} opened here is not closed ({problem})", start
    if "mapping values are not allowed" in problem:
        return ("': ' inside a plain value (or a key at the wrong indentation): quote the value, "
                f"or fix the indentation ({problem})"), exc.problem_mark
    return problem, exc.problem_mark or start


def iter_documents(
    text: str, limits: Limits = DEFAULT_LIMITS, budget: Budget | None = None
) -> Iterator[Node | None]:
    """The documents of a YAML stream, one at a time: a document is composed
    only when the previous one has been handed over, so a caller that keeps
    what it needs from each holds one document in memory, never the stream.
    The alias budget covers the whole stream (and every other stream given
    the same ``budget``).  Raises ``YamlError`` (possibly after some
    documents were yielded)."""
    try:
        yield from _compose(text, limits, budget or Budget())
    except MarkedYAMLError as exc:
        problem, mark = _plain_words(exc)
        if mark is not None:  # its offset, not libyaml's line: that also ends at a lone CR, NEL, U+2028/U+2029
            raise YamlError(f"invalid YAML: {problem}", *position(text, mark.index)) from None
        raise YamlError(f"invalid YAML: {problem}") from None
    except YAMLError as exc:  # reader errors: control characters and the like
        raise YamlError(f"invalid YAML: {str(exc).splitlines()[0]}") from None


# libyaml's events reach Python through ruamel.yaml.clib, whose parser makes
# each one by calling a class of ``ruamel.yaml.events`` that it looks up, at
# call time, among its module's globals.  Those classes are general (three
# levels of ``__init__`` and comment bookkeeping each), and making them was a
# third of the time a large tree took.  So while a document is composed,
# those globals name the builders below instead, and the parser's events
# arrive ready to use: a scalar as its finished ``YStr``, a collection start
# as the empty ``YMap``/``YSeq``, a collection end as the offset where it ends
# (an int).  The real classes are put back before a document is handed over,
# and when composing fails, so no other code meets the builders: ruamel.yaml's
# own loaders compose in C without events, and a lock keeps composition to one
# document at a time per process.  When the C extension is missing, or makes its events some
# other way (``_c_builders`` checks once), ruamel.yaml's events are converted
# into the same shapes, so composition is the same code either way.


class _Anchored(NamedTuple):
    """A node start that names an anchor (``&name``)."""

    anchor: str
    node: YStr | YMap | YSeq


class _Alias(NamedTuple):
    anchor: str
    offset: int  # where it is, in characters


class _Marker:
    """A stream or document boundary."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_STREAM_START: _Marker = _Marker("stream start")
_STREAM_END: _Marker = _Marker("stream end")
_DOC_START: _Marker = _Marker("document start")
_DOC_END: _Marker = _Marker("document end")

_Event: TypeAlias = "YStr | YMap | YSeq | int | _Anchored | _Alias | _Marker"


_BINARY = "tag:yaml.org,2002:binary"


def _scalar(anchor: str | None, tag: Any, implicit: Any, value: str, sm: Any, em: Any, style: Any) -> _Event:
    if tag is not None and tag == _BINARY:
        # Go's YAML (kubectl, Helm, kustomize) decodes it: `!!binary aW1hZ2U=` is the key `image`.
        # Hostile, not merely unusual: an embedded block that holds one is not skipped either.
        raise _At(LimitError, "a !!binary scalar, which YAML tools decode and pinlint does not read", sm.index)
    node = YStr(value)
    node._pos = _STYLE_CODE[style] | sm.index << _START | em.index << _END
    return node if anchor is None else _Anchored(anchor, node)


def _map_start(anchor: str | None, tag: Any, implicit: Any, sm: Any, em: Any, flow: Any) -> _Event:
    node = YMap()
    node._keys = None
    # ``end`` is added when the collection ends
    node._pos = (1 if flow else 0) | sm.index << _START
    return node if anchor is None else _Anchored(anchor, node)


def _seq_start(anchor: str | None, tag: Any, implicit: Any, sm: Any, em: Any, flow: Any) -> _Event:
    node = YSeq()
    node._pos = (1 if flow else 0) | sm.index << _START
    return node if anchor is None else _Anchored(anchor, node)


def _end(sm: Any, em: Any) -> int:
    index: int = em.index
    return index


def _alias(anchor: str, sm: Any, em: Any) -> _Alias:
    return _Alias(anchor, sm.index)


_BUILDERS: dict[str, Callable[..., Any]] = {
    "StreamStartEvent": lambda *_: _STREAM_START,
    "StreamEndEvent": lambda *_: _STREAM_END,
    "DocumentStartEvent": lambda *_: _DOC_START,
    "DocumentEndEvent": lambda *_: _DOC_END,
    "ScalarEvent": _scalar,
    "MappingStartEvent": _map_start,
    "SequenceStartEvent": _seq_start,
    "MappingEndEvent": _end,
    "SequenceEndEvent": _end,
    "AliasEvent": _alias,
}


def _convert(event: Any) -> _Event:
    """A ruamel.yaml event as the builders above would have made it."""
    cls = type(event)
    if cls is ev.ScalarEvent:
        return _scalar(event.anchor, event.tag, None, event.value, event.start_mark, event.end_mark, event.style)
    if cls is ev.MappingStartEvent or cls is ev.SequenceStartEvent:
        start = _map_start if cls is ev.MappingStartEvent else _seq_start
        return start(event.anchor, None, None, event.start_mark, event.end_mark, event.flow_style)
    if cls is ev.MappingEndEvent or cls is ev.SequenceEndEvent:
        return _end(event.start_mark, event.end_mark)
    if cls is ev.AliasEvent:
        return _alias(event.anchor, event.start_mark, event.end_mark)
    if cls is ev.DocumentStartEvent:
        return _DOC_START
    if cls is ev.DocumentEndEvent:
        return _DOC_END
    return _STREAM_END if cls is ev.StreamEndEvent else _STREAM_START


class _Swap(NamedTuple):
    """The C parser's module globals and its real event classes:
    ``globals.update(_BUILDERS)`` swaps the builders in, ``globals.update(originals)``
    puts the classes back (see above)."""

    globals: dict[str, Any]
    originals: dict[str, Any]


def _c_builders() -> _Swap | None:
    """The swap for the C parser, if it makes its events the way the swap
    relies on: by calling the classes its module globals name, with the
    arguments the builders take.  Checked on a small stream that has every
    kind of event."""
    names = getattr(sys.modules.get(getattr(CParser, "__module__", "")), "__dict__", {})
    if CParser is None or not all(name in names for name in _BUILDERS):
        return None
    swap = _Swap(names, {name: names[name] for name in _BUILDERS})
    swap.globals.update(_BUILDERS)
    try:
        get = CParser("a: &x [b]\nc: *x\n").get_event
        events = [get() for _ in range(12)]
    except Exception:  # noqa: BLE001 - any surprise means: do not swap
        return None
    finally:
        swap.globals.update(swap.originals)
    shapes = [type(e) for e in events]
    expected = [_Marker, _Marker, YMap, YStr, _Anchored, YStr, int, YStr, _Alias, int, _Marker, _Marker]
    works = shapes == expected and events[:2] == [_STREAM_START, _DOC_START] and events[-2:] == [_DOC_END, _STREAM_END]
    return swap if works and events[3] == "a" and events[3].end == 1 and events[6] == 9 else None


_SWAP: _Swap | None | bool = False  # False: not probed yet


# One document at a time per process: the builders are in the C parser's
# module while a document is composed (or the probe runs), so two threads
# composing at once would each put the real classes back under the other.
_COMPOSING = _thread.RLock()


def _event_source(text: str) -> tuple[Callable[[], Any], _Swap | None]:
    """A function returning the next event of ``text``, and the swap to
    install around calling it (None: its events come converted)."""
    global _SWAP
    if _SWAP is False:
        with _COMPOSING:
            if _SWAP is False:
                _SWAP = _c_builders()
    swap = cast("_Swap | None", _SWAP)
    if swap is not None:
        return CParser(text).get_event, swap
    raw: Callable[[], Any] = (
        CParser(text).get_event if CParser is not None else YAML(typ="safe", pure=True).parse(text).__next__
    )
    return (lambda: _convert(raw())), None


def _compose(text: str, limits: Limits, budget: Budget) -> Iterator[Node | None]:
    get, swap = _event_source(text)
    while True:
        with _COMPOSING:
            if swap is not None:
                swap.globals.update(_BUILDERS)
            try:
                root = _compose_document(get, limits, budget, text)
            except _At as at:
                raise at.error(at.message, *position(text, at.offset)) from None
            finally:
                if swap is not None:
                    # dict.update directly, not through a method: a KeyboardInterrupt
                    # would otherwise find a Python frame to land in before it runs
                    swap.globals.update(swap.originals)
        if root is _STREAM_END:
            return
        yield cast("Node | None", root)


def _compose_document(get: Callable[[], Any], limits: Limits, budget: Budget, text: str) -> Node | None | _Marker:
    """The next document of the stream (``_STREAM_END`` after the last)."""
    first: object = get()
    if first is _STREAM_START:
        first = get()
    if first is _STREAM_END:
        return _STREAM_END
    # first is _DOC_START
    max_depth = limits.max_depth
    max_alias = limits.max_alias_nodes
    anchors: dict[str, Node] = {}
    sizes: dict[int, int] = {}  # id(anchored node) -> the nodes it stands for
    open_anchors: set[str] = set()
    # one frame per open collection (a list, not an object: this is the hot path):
    # [container: YMap | YSeq, pending key: YStr | None, anchor: str | None,
    #  node count at start: int, merges: list[(value, keys set before it, the << key)] | None]
    stack: list[list[Any]] = []
    node: Node
    container: YMap | YSeq
    parent: YMap | YSeq
    key: YStr
    root: Node | None = None
    created = 0  # nodes built from events
    expanded = 0  # nodes reached again through aliases (for anchor sizes; the limit is on `budget`)
    while True:
        event = get()
        cls = type(event)
        if cls is YStr:  # a scalar without an anchor: most events, so attached here (the attach below, inlined)
            created += 1
            if not stack:
                root = event
                continue
            frame = stack[-1]
            parent = frame[0]
            if type(parent) is YSeq:
                # a null item holds no reference: one shared node
                parent.append(_SHARED_NULLS[event] if not event._pos & 7 and event in _NULLS else event)
            elif frame[1] is None:
                frame[1] = event
            else:
                key = frame[1]
                frame[1] = None
                if key in parent or key == "<<":
                    _set_value(frame, key, event)
                else:
                    parent[key] = event
            continue
        if cls is int:  # a collection ends here
            frame = stack.pop()
            node = container = frame[0]
            container._pos |= event << _END
            if frame[4] and type(container) is YMap:  # only mappings collect merges
                _apply_merges(container, frame[4])
            if frame[2] is not None:
                open_anchors.discard(frame[2])
                sizes[id(node)] = created + expanded - frame[3] + 1
            elif not container and stack and (type(stack[-1][0]) is YSeq or stack[-1][1] is not None):
                # An empty collection, as an item or a value, holds no
                # reference: share one node instead of keeping millions.
                node = _EMPTY_MAP if type(container) is YMap else _EMPTY_SEQ
        elif cls is _Anchored and type(event.node) is YStr:
            anchor, node = event
            created += 1
            anchors[anchor] = node
            sizes[id(node)] = 1
        elif cls is YMap or cls is YSeq or cls is _Anchored:  # a collection starts
            anchor = None
            if cls is _Anchored:
                anchor, event = event
                anchors[anchor] = event
                open_anchors.add(anchor)
            container = event
            if len(stack) >= max_depth:
                raise _At(LimitError, f"nesting deeper than {max_depth:,} levels", container.start)
            created += 1
            stack.append([container, None, anchor, created + expanded, None])
            continue
        elif cls is _Alias:
            name = event.anchor
            if name in open_anchors:
                raise _At(YamlError, f"recursive alias *{name}", event.offset)
            if name not in anchors:
                raise _At(YamlError, f"invalid YAML: unknown alias *{name}", event.offset)
            node = anchors[name]
            size = sizes.get(id(node), 1)
            expanded += size
            budget.aliases += size
            if budget.aliases > max_alias:
                raise _At(
                    LimitError,
                    f"alias expansion past {max_alias:,} nodes in this file "
                    "(limits.max-alias-nodes; a YAML alias bomb?)",
                    event.offset,
                )
        elif event is _DOC_END:
            return root
        else:  # a real ruamel.yaml event: the builders were taken away mid-document
            raise RuntimeError(f"yamldoc: the parser made a {type(event).__name__} while composing")
        # attach `node` (a collection that ended, an anchored scalar, an alias) to its parent
        if not stack:
            root = node
            continue
        frame = stack[-1]
        parent = frame[0]
        if type(parent) is YSeq:
            parent.append(node)
        elif frame[1] is None:
            frame[1] = node if type(node) is YStr else _complex_key(node, text)
        else:
            key = frame[1]
            frame[1] = None
            _set_value(frame, key, node)


def _set_value(frame: list[Any], key: YStr, node: Node) -> None:
    """``node`` as the value of ``key`` in the frame's mapping (a merge key's
    value is kept for when the mapping ends, with how many keys were set
    before it)."""
    if key == "<<":
        if key.style != "":
            # Ruby's YAML (GitLab CI) merges a quoted "<<", Go's (kubectl, Helm) keeps it as a key
            raise _At(LimitError, 'a quoted "<<" key, which some YAML tools merge and others keep as a key', key.start)
        if frame[4] is None:
            frame[4] = []
        frame[4].append((node, len(frame[0]), key))
    elif key in frame[0]:
        frame[0]._set(key, node, key)  # a repeated key: remember the later key node
    else:
        frame[0][key] = node


def _shared(node: _T) -> _T:
    node._pos = _pack(0, 0, 0 if isinstance(node, YStr) else 1)  # "" style; flow
    if isinstance(node, YMap):
        node._keys = None
    return node


# What an empty collection (as a sequence item or a mapping value) and a plain
# null sequence item are composed into: one shared node each, with no
# position (offsets 0), since such a node cannot hold a reference.  A
# flow sequence of millions of ``{}`` then costs a pointer per item.  Never
# mutated: merges only write into the mapping being composed.
_EMPTY_MAP = _shared(YMap())
_EMPTY_SEQ = _shared(YSeq())
_SHARED_NULLS = {value: _shared(YStr(value)) for value in _NULLS}


def _apply_merges(node: YMap, merges: list[tuple[Node, int, YStr]]) -> None:
    """YAML merge keys (``<<: *base``): explicit keys win, earlier merges win.

    That is the YAML merge rule (and kustomize's), but Go's YAML v2 (kubectl,
    Helm, Argo CD) and Ruby's (GitLab CI) merge where the ``<<`` stands: a
    merge after a key overrides it.  So a merge that would give a key set
    before it another value is refused: which value is deployed depends on
    the tool that reads the file.  So is a second ``<<`` key of the mapping
    that gives a key an earlier one set another value: they apply each
    ``<<`` in turn, the later overriding (within one ``<<: [*a, *b]`` list,
    the earlier wins for every tool)."""
    explicit = list(node)  # in the order they were set: merges are applied after them
    merged_by: dict[str, int] | None = {} if len(merges) > 1 else None  # a key a merge set: which ``<<``
    for n, (merged, before, merge_key) in enumerate(merges):
        earlier = set(explicit[:before])
        for item in merged if isinstance(merged, YSeq) else (merged,):
            if isinstance(item, YMap):
                for key, value in item.items():
                    if key not in node:
                        node._set(key, value, item._keynode(key))
                        if merged_by is not None:
                            merged_by[key] = n
                    elif key in earlier and not _same(node[key], value):
                        raise _At(
                            LimitError,
                            f"a merge (<<) after {_short(key)!r} gives it another value: Go's and Ruby's YAML "
                            "(kubectl, Helm, GitLab) take the merged value, the YAML merge rule the one written; "
                            "write the key after the merge",
                            merge_key.start,
                        )
                    elif merged_by is not None and merged_by.get(key, n) < n and not _same(node[key], value):
                        raise _At(
                            LimitError,
                            f"a second merge (<<) gives {_short(key)!r} another value than an earlier one: Go's "
                            "and Ruby's YAML (kubectl, Helm, GitLab) take the later merge's value, the YAML merge "
                            "rule the earlier one; merge once, with a list (<<: [*a, *b]: the earlier wins)",
                            merge_key.start,
                        )


def _same(a: Node, b: Node) -> bool:
    """Whether two values are the same for the merge check: one node, or equal strings."""
    return a is b or (type(a) is YStr and type(b) is YStr and str(a) == str(b))


def _short(key: str) -> str:
    return key if len(key) <= 64 else key[:61] + "..."


def _complex_key(node: Node, text: str) -> YStr:
    key = YStr(f"<complex key at line {position(text, node.start)[0]}>")
    key._pos = _pack(node.start, node.start, _STYLE_CODE["?"])
    return key
