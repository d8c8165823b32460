from __future__ import annotations

import pytest

from pinlint.yamldoc import Limits, YamlError, YMap, YSeq, YStr, is_null, load_all


def test_scalars_carry_positions_and_stay_strings() -> None:
    text = 'a: 1.10\nb:\n  - "x y"   # c\n  - {k: v}\n'
    (doc,) = load_all(text)
    assert isinstance(doc, YMap) and doc["a"] == "1.10"
    item = doc["b"][0]
    assert isinstance(item, YStr) and (item.line, item.col, item.style) == (3, 5, '"')
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
