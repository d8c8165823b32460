from __future__ import annotations

import pytest

from pinlint.yamldoc import Limits, YamlError, YMap, YSeq, YStr, is_null, load_all, position


def test_scalars_carry_positions_and_stay_strings() -> None:
    text = 'a: 1.10\nb:\n  - "x y"   # c\n  - {k: v}\n'
    (doc,) = load_all(text)
    assert isinstance(doc, YMap) and doc["a"] == "1.10"
    item = doc["b"][0]
    assert isinstance(item, YStr) and (position(text, item.start), item.style) == ((3, 5), '"')
    assert text[item.start:item.end] == '"x y"'
    assert isinstance(doc["b"], YSeq) and doc["b"][1]["k"] == "v"


def test_multi_document_and_nulls() -> None:
    docs = load_all("a: ~\n---\n---\nb: null\n")
    assert len(docs) == 3 and is_null(docs[1])
    assert is_null(docs[0]["a"]) and is_null(docs[2]["b"])
    assert not is_null(load_all("a: 'null'\n")[0]["a"])


def test_merge_keys_explicit_wins() -> None:
    (doc,) = load_all("base: &b {image: a, x: 1}\nsvc:\n  <<: *b\n  x: 2\n")
    assert doc["svc"]["image"] == "a" and doc["svc"]["x"] == "2"


def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_rejected_with_position() -> None:
    with pytest.raises(YamlError, match="alias expansion past 10,000 nodes") as err:
        load_all(_bomb(9))
    assert err.value.line > 1


def test_aliases_within_budget_load() -> None:
    (doc,) = load_all(_bomb(3))
    assert len(doc["a2"]) == 10


def test_recursive_alias_is_rejected() -> None:
    with pytest.raises(YamlError, match="recursive alias"):
        load_all("a: &a [1, *a]\n")


@pytest.mark.parametrize(
    "text", ["a: " + "[" * 1500 + "]" * 1500 + "\n", "".join("  " * i + "k:\n" for i in range(1200)) + "\n"]
)
def test_nesting_limit(text: str) -> None:
    with pytest.raises(YamlError, match="nesting deeper than 1,000 levels"):
        load_all(text)
    load_all(text, Limits(max_depth=5000))


def test_syntax_error_position() -> None:
    with pytest.raises(YamlError) as err:
        load_all("a: b\n- c\n")
    assert (err.value.line, err.value.column) == (2, 1)
    assert err.value.message.startswith("invalid YAML")


# --------------------------------------------------------------------------- C and pure-Python composition
#
# With ruamel.yaml.clib, composition runs on builders swapped into the C
# parser's module while a document is composed (see ``yamldoc``); without it,
# ruamel.yaml's pure-Python events are converted into the same shapes.  Both
# must give the same documents, positions included, and the swap must never
# be left in place.

import io  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import ruamel.yaml  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from ruamel.yaml import events as ruamel_events  # noqa: E402

from pinlint import yamldoc  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EVENT_CLASSES = (
    "StreamStartEvent", "StreamEndEvent", "DocumentStartEvent", "DocumentEndEvent", "ScalarEvent",
    "MappingStartEvent", "SequenceStartEvent", "MappingEndEvent", "SequenceEndEvent", "AliasEvent",
)


def _dump(node: object, seen: dict[int, int] | None = None) -> object:
    """Everything a locator can read of a node: values, positions, styles,
    key nodes, and which nodes are the same object (aliases)."""
    seen = {} if seen is None else seen
    if node is None:
        return None
    assert isinstance(node, (YStr, YMap, YSeq))
    pos = (node.start, node.end)  # lines and columns come from the text (``position``), not the nodes
    if isinstance(node, YStr):
        return ("str", str(node), node.style, _where(str(node), node.style, pos))
    if not node:  # empty collections share one node, with no position
        return ("seq" if isinstance(node, YSeq) else "map", node.flow, None, [])
    if id(node) in seen:
        return ("same as", seen[id(node)])
    seen[id(node)] = len(seen)
    if isinstance(node, YSeq):
        return ("seq", node.flow, pos, [_dump(item, seen) for item in node])
    keys = node.keynodes
    return ("map", node.flow, pos, [(_dump(keys[k], seen), _dump(v, seen)) for k, v in node.items()])


def _where(value: str, style: str, pos: tuple[int, int]) -> tuple[int, int] | None:
    """A scalar's position, as compared: a plain null item shares one node
    with no position, and libyaml puts an empty plain value where its key's
    line ends while ruamel.yaml's Python parser puts it at the next token."""
    return None if style == "" and value in ("", "~", "null", "Null", "NULL") else pos


def _ruamel_dump(node: object, seen: dict[int, int]) -> object:
    """``_dump`` of a node composed by ruamel.yaml's own composer: an
    independent reading of the same events."""
    start, end = node.start_mark, node.end_mark  # type: ignore[attr-defined]
    pos = (start.index, end.index)
    value = node.value  # type: ignore[attr-defined]
    if isinstance(node, ruamel.yaml.nodes.ScalarNode):
        style = node.style or ""
        return ("str", value, style, _where(value, style, pos))
    flow = bool(node.flow_style)  # type: ignore[attr-defined]
    name = "seq" if isinstance(node, ruamel.yaml.nodes.SequenceNode) else "map"
    if not value:
        return (name, flow, None, [])
    if id(node) in seen:
        return ("same as", seen[id(node)])
    seen[id(node)] = len(seen)
    if name == "seq":
        return (name, flow, pos, [_ruamel_dump(item, seen) for item in value])
    return (name, flow, pos, [(_ruamel_dump(k, seen), _ruamel_dump(v, seen)) for k, v in value])


def _compose(text: str, pure: bool) -> object:
    saved = yamldoc._SWAP, yamldoc.CParser
    if pure:
        yamldoc._SWAP, yamldoc.CParser = None, None
    try:
        return [_dump(doc) for doc in yamldoc.iter_documents(text)]
    except YamlError as exc:
        return ("error", type(exc).__name__, exc.message, exc.line, exc.column)
    finally:
        yamldoc._SWAP, yamldoc.CParser = saved


def _parser_globals() -> dict[str, object]:
    return vars(sys.modules[yamldoc.CParser.__module__])


def _assert_real_classes() -> None:
    names = _parser_globals()
    assert all(names[name] is getattr(ruamel_events, name) for name in EVENT_CLASSES)


def test_the_c_parser_events_are_built_by_the_swap() -> None:
    """The fast path is the one that runs: if a new ruamel.yaml.clib makes its
    events differently, composition still works (converted events) but this
    says that it got slower."""
    assert yamldoc.CParser is not None
    assert yamldoc._c_builders() is not None
    _assert_real_classes()


CRAFTED = [
    "a: 1\n",
    "- a\n- 'b'\n- \"c\"\n- |\n  lit\n- >\n  fold\n",
    "k: &x {image: nginx, tag: '1'}\nj: *x\nl: [*x, *x]\n",
    "base: &b {image: a, x: 1}\nsvc:\n  <<: [*b, {y: 2}]\n  x: 2\n",
    "a: ~\n---\n---\nb: null\n...\n--- !t\nc: [~, null, '', {}, [], {a: []}]\n",
    "? [complex, key]\n: value\nrepeat: 1\nrepeat: 2\n",
    "crlf: yes\r\nflow: [a,\r\n  b]\r\n",
    "üñí: çødé\nemoji: \"😀 x\"\n",
    "a: &s scalar\nb: *s\nc: &e []\nd: *e\n",
    "%YAML 1.1\n---\nx: !!str 1\n",
    "",
    "# only a comment\n",
    "a: [1, *nope]\n",
    "a: &a [1, *a]\n",
    "a: b\n- c\n",
    "a: \"unterminated\n",
    "a: " + "[" * 1500 + "]" * 1500 + "\n",
    _bomb(9),
    _bomb(3),
    "spec:\n  !!binary aW1hZ2U=: nginx:latest\n",  # Go's YAML decodes it: the key `image`
    "a: !<tag:yaml.org,2002:binary> eA==\n",
    "%TAG !e! tag:yaml.org,2002:\n---\na: [x, !e!binary eA==]\n",
]


@pytest.mark.parametrize("text", CRAFTED)
def test_c_and_pure_python_composition_agree(text: str) -> None:
    c_result = _compose(text, pure=False)
    if c_result and c_result[0] == "error" and "invalid YAML" in str(c_result[2]):
        # libyaml and ruamel.yaml's Python parser word syntax errors differently
        pure = _compose(text, pure=True)
        assert pure[0] == "error"
    else:
        assert c_result == _compose(text, pure=True)
    _assert_real_classes()


def _repository_yaml() -> Iterator[Path]:
    for folder in ("examples", "rules", "tests"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix in (".yaml", ".yml") and path.is_file():
                yield path


def test_every_yaml_file_of_the_repository_composes_alike() -> None:
    paths = list(_repository_yaml())
    assert len(paths) > 30
    for path in paths:
        text = path.read_bytes().decode("utf-8", "replace")
        c_result = _compose(text, pure=False)
        if c_result and c_result[0] == "error":
            continue  # a file the tests keep broken on purpose
        assert c_result == _compose(text, pure=True), path


# NEL, U+2028/9 and a lone CR are line breaks to libyaml and not to
# ruamel.yaml's Python parser (``SourceText`` corrects the line numbers)
_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x85\u2028\u2029\r"), max_size=8
)
_leaf = st.one_of(
    _text,
    st.sampled_from(["", "~", "null", "nginx:1.25", "yes", "1.10", "- x", "a: b", "#", "*x", "&a"]),
)
_data = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_text.filter(lambda key: key != "<<"), inner, max_size=4),  # no merge keys (see below)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(docs=st.lists(_data, min_size=1, max_size=3), flow=st.sampled_from([None, True, False]),
       share=st.booleans())
def test_generated_documents_compose_alike(docs: list[object], flow: bool | None, share: bool) -> None:
    """Documents written by ruamel.yaml's emitter in every flow style, with
    anchors and aliases where one object is used twice."""
    if share:
        docs = [{"first": d, "again": d, "list": [d, d]} for d in docs]
    yaml = ruamel.yaml.YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    yaml.allow_unicode = True
    out = io.StringIO()
    yaml.dump_all(docs, out)
    text = out.getvalue()
    c_result = _compose(text, pure=False)
    # libyaml is stricter than ruamel.yaml's Python parser on some plain
    # scalars in flow style ("[a:1]"): what neither composes is not compared
    assume(not (c_result and c_result[0] == "error" and "invalid YAML" in str(c_result[2])))
    assert c_result == _compose(text, pure=True)
    # and as ruamel.yaml's own composer reads the same text (the
    # documents have no merge keys and no repeated keys)
    composed = ruamel.yaml.YAML(typ="safe", pure=True).compose_all(text)
    assert c_result == [_ruamel_dump(doc, {}) for doc in composed]
    _assert_real_classes()


def test_the_real_event_classes_are_back_whatever_happens() -> None:
    text = "a: [b]\n---\nc: d\n---\ne: f\n"
    documents = yamldoc.iter_documents(text)
    first = next(documents)  # a document handed over mid-stream
    assert first == {"a": ["b"]}
    _assert_real_classes()
    # another stream composed meanwhile (embedded manifests are), then the first goes on
    assert load_all("x: [y]\n") == [{"x": ["y"]}]
    assert next(documents) == {"c": "d"}
    documents.close()  # abandoned
    _assert_real_classes()
    for broken in ("a: &a [*a]\n", "a: [1, *nope]\n", "a: b\n- c\n", "a: " + "[" * 1500 + "]" * 1500):
        with pytest.raises(YamlError):
            load_all(broken)
        _assert_real_classes()
    # ruamel.yaml's own event API still gives its own events
    events = list(ruamel.yaml.YAML(typ="safe").parse("a: [b]\n"))
    assert [type(e).__name__ for e in events][:3] == ["StreamStartEvent", "DocumentStartEvent", "MappingStartEvent"]


def test_pinlint_own_files_read_as_a_typing_loader_reads_them() -> None:
    """Rule and locator files are read without a constructor (``rulebook.read``):
    every value must be a string to it, so they must read the same as with
    YAML typing (a bare ``true`` or ``3`` would not)."""
    from pinlint import rulebook

    paths = sorted((REPO / "rules").rglob("*.yaml"))
    assert len(paths) > 15
    typed = ruamel.yaml.YAML(typ="safe")
    for path in paths:
        assert rulebook.read(str(path)) == typed.load(path.read_text(encoding="utf-8")), path


def test_threads_composing_at_once_get_their_own_documents() -> None:
    """The builders are swapped in per document; composition in several
    threads at once is serialized, so each gets exactly what one thread alone gets."""
    import threading

    texts = [f"---\na{i}: &x [b{i}, {{c: d}}]\nrepeat: *x\n---\n- {i}\n- [x, y]\n" * 20 for i in range(6)]
    expected = [_compose(text, pure=False) for text in texts]
    assert all(len(e) == 40 for e in expected)
    results: dict[int, object] = {}

    def work(i: int) -> None:
        for _ in range(15):
            got = [_dump(doc) for doc in yamldoc.iter_documents(texts[i])]
            if got != expected[i]:
                results[i] = got
                return
        results.setdefault(i, "ok")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == dict.fromkeys(range(len(texts)), "ok")
    _assert_real_classes()


def test_threads_composing_their_first_documents_at_once_share_one_probe() -> None:
    """The probe that decides whether the builders can be swapped in swaps
    them in too: it runs under the same lock as composition, or a thread's
    probe would put the real classes back under another's document."""
    import threading

    text = "".join(f"k{i}: &a{i} [a, b, {{c: d}}]\nr{i}: *a{i}\n" for i in range(1500))
    expected = _compose(text, pure=False)
    saved, interval = yamldoc._SWAP, sys.getswitchinterval()
    failures: list[object] = []
    sys.setswitchinterval(1e-6)  # threads change as often as they can
    try:
        for _ in range(4):
            yamldoc._SWAP = False  # not probed yet, as in a fresh process
            start = threading.Barrier(8)

            def work(start: threading.Barrier = start) -> None:
                start.wait()
                try:
                    got = [_dump(doc) for doc in yamldoc.iter_documents(text)]
                except Exception as exc:  # noqa: BLE001 - recorded, asserted below
                    failures.append(exc)
                    return
                if got != expected:
                    failures.append(got)

            threads = [threading.Thread(target=work) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        sys.setswitchinterval(interval)
        yamldoc._SWAP = saved
    assert failures == []
    _assert_real_classes()


@pytest.mark.parametrize("text", ["a: [\n", "a: {image: [", "a: [b, "])
def test_an_unfinished_flow_node_is_not_called_a_brace(text: str) -> None:
    with pytest.raises(YamlError) as err:
        load_all(text)
    assert "{ opened here" not in err.value.message and "invalid YAML" in err.value.message


@pytest.mark.parametrize("pure", [False, True], ids=["C", "pure Python"])
def test_a_binary_scalar_is_refused_however_its_tag_is_spelled(pure: bool) -> None:
    """``!!binary`` is decoded by the tools that deploy a manifest, so a
    reference could hide in base64: composing such a document fails, as a
    limit does (an embedded block holding one is not skipped either)."""
    for text, at in (("spec:\n  !!binary aW1hZ2U=: nginx:latest\n", (2, 3)),
                     ("a: !<tag:yaml.org,2002:binary> eA==\n", (1, 4)),
                     ("%TAG !e! tag:yaml.org,2002:\n---\na: [x, !e!binary eA==]\n", (3, 8))):
        assert _compose(text, pure) == ("error", "LimitError", "a !!binary scalar, which YAML tools decode and "
                                        "pinlint does not read", *at)
    other_tags = _compose("a: !!str x\nb: !binary y\n", pure)  # read as their text, as before
    assert [[(k[1], v[1]) for k, v in doc[3]] for doc in other_tags] == [[("a", "x"), ("b", "y")]]
    _assert_real_classes()


# Merge keys are read differently by the tools that deploy a file: the YAML
# merge rule (and kustomize) keep a key written in the mapping, Go's YAML v2
# (kubectl, Helm) and Ruby's (GitLab) let a merge written after it override
# it, and Ruby's also merges a quoted "<<".  Where they would disagree about
# a value, the document is refused.

MERGE_REFUSED = [
    ("image: 'a:1@sha256:x'\n<<: {image: 'a:latest'}\n", (2, 1), "after 'image'"),
    ("k: &b {image: 'a:latest'}\nsvc:\n  image: a:2\n  <<: [{x: 1}, *b]\n", (4, 3), "after 'image'"),
    ("svc:\n  \"<<\": {image: 'a:latest'}\n", (2, 3), 'a quoted "<<" key'),
    ("svc: {'<<': {image: x}}\n", (1, 7), 'a quoted "<<" key'),
    # a second << key: Go's YAML v2 and Ruby's apply each in turn, the later overriding
    ("svc:\n  <<: {image: 'a@sha256:x'}\n  <<: {image: 'a:latest'}\n", (3, 3), "a second merge (<<)"),
    ("p: &p {image: 'a@sha256:x'}\nsvc:\n  <<: [*p]\n  x: 1\n  <<: {image: 'a:latest'}\n", (5, 3),
     "a second merge (<<)"),
]
MERGE_READ = [
    # the merge first: every tool keeps the key written after it
    ("b: &b {image: 'a:latest', x: 1}\nsvc:\n  <<: *b\n  image: a:2\n", {"image": "a:2", "x": "1"}),
    # the same value, or a key the mapping does not set: no disagreement
    ("svc:\n  image: a:2\n  <<: {image: 'a:2', y: 3}\n", {"image": "a:2", "y": "3"}),
    ("b: &i a:2\nsvc:\n  image: *i\n  <<: {image: *i}\n", {"image": "a:2"}),
    # two << keys that set different keys, or the same value; within one list the earlier wins for every tool
    ("svc:\n  <<: {image: 'a:2'}\n  <<: {x: 1, image: 'a:2'}\n", {"image": "a:2", "x": "1"}),
    ("svc:\n  <<: [{image: 'a:2'}, {image: 'a:3', x: 1}]\n", {"image": "a:2", "x": "1"}),
]


@pytest.mark.parametrize("pure", [False, True], ids=["C", "pure Python"])
def test_merges_that_tools_read_differently_are_refused(pure: bool) -> None:
    for text, at, words in MERGE_REFUSED:
        result = _compose(text, pure)
        assert isinstance(result, tuple) and result[:2] == ("error", "LimitError"), (text, result)
        assert words in str(result[2]) and result[3:] == at, (text, result)
    for text, svc in MERGE_READ:
        (doc,) = yamldoc.load_all(text) if not pure else _pure_load(text)
        assert {str(k): str(v) for k, v in doc["svc"].items()} == svc, text
    _assert_real_classes()


def _pure_load(text: str) -> list[object]:
    saved = yamldoc._SWAP, yamldoc.CParser
    yamldoc._SWAP, yamldoc.CParser = None, None
    try:
        return list(yamldoc.iter_documents(text))
    finally:
        yamldoc._SWAP, yamldoc.CParser = saved


def test_syntax_error_position_counts_only_newlines() -> None:
    """A parser error is placed as an editor shows the file (as every other
    position is): libyaml also ends a line at a lone CR, NEL and U+2028/U+2029."""
    text = 'metadata: {name: "a\u2028b\u0085c"}\r\n# x\ry: 1\nz: [\n'
    with pytest.raises(YamlError) as err:
        load_all(text)
    assert (err.value.line, err.value.column) == (4, 1)
