"""``.pinlint.yaml`` is typed by ruamel.yaml's libyaml loader: the same values
as its pure-Python loader gives (YAML 1.2: ``yes`` stays a string, ``010`` is
ten), which costs every start 2 ms more."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from pinlint import config
from pinlint.yamldoc import YamlError, load_all

REPO = Path(__file__).resolve().parent.parent

SCALARS = (
    "a: [yes, no, on, off, y, n, true, True, TRUE, false, ~, null, '', 010, 0o10, 0x1F, 0b11, 1_000, +12, 1e3,"
    " 1.5, .inf, -.inf, .nan, 2027-01-01, 2001-12-14t21:59:43.10-05:00, !!str 1, \"x\", 'y']\n"
    "b: {c: 1, <<: {d: 2, c: 3}}\n"
    "c: &x [PIN001, {k: v}]\n"
    "d: *x\n"
    "e: |\n  text\n  block\n"
)


def _yaml_blocks() -> list[str]:
    blocks = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        blocks += re.findall(r"```ya?ml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    return blocks


@pytest.mark.parametrize("text", [SCALARS, *_yaml_blocks()])
def test_the_libyaml_loader_types_values_as_the_python_loader(text: str) -> None:
    try:
        load_all(text)  # what config._parse checks first
    except YamlError:
        return
    c_loaded = YAML(typ="safe").load(text)
    assert c_loaded == YAML(typ="safe", pure=True).load(text)
    assert config._parse(text, ".pinlint.yaml") == c_loaded


def test_documentation_holds_config_blocks() -> None:
    assert sum("rules:" in block or "registries:" in block for block in _yaml_blocks()) >= 3
