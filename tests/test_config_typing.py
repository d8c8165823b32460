"""``.pinlint.yaml`` is typed by ruamel.yaml's libyaml loader: the same values
as its pure-Python loader gives (YAML 1.2: ``yes`` stays a string, ``010`` is
ten), which costs every start 2 ms more."""
from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from pinlint import config
from pinlint.yamldoc import YamlError, load_all
from tests.helpers import doc_blocks

SCALARS = (
    "a: [yes, no, on, off, y, n, true, True, TRUE, false, ~, null, '', 010, 0o10, 0x1F, 0b11, 1_000, +12, 1e3,"
    " 1.5, .inf, -.inf, .nan, 2027-01-01, 2001-12-14t21:59:43.10-05:00, !!str 1, \"x\", 'y']\n"
    "b: {c: 1, <<: {d: 2, c: 3}}\n"
    "c: &x [PIN001, {k: v}]\n"
    "d: *x\n"
    "e: |\n  text\n  block\n"
)


def _yaml_blocks() -> list[str]:
    return [text for _, _, text in doc_blocks("yaml")]


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


def test_a_yaml_1_1_directive_is_honoured() -> None:
    """libyaml's loader types every file as YAML 1.2; a config that says
    ``%YAML 1.1`` is typed by the Python parser, as before."""
    text = "%YAML 1.1\n---\nregistries:\n  cache: yes\n  connections-per-host: 010\n"
    assert config._parse(text, ".pinlint.yaml") == {"registries": {"cache": True, "connections-per-host": 8}}
    assert config.from_bytes(text.encode(), ".pinlint.yaml").registries.connections_per_host == 8


@pytest.mark.parametrize("text", [
    "include: 2024-02-30\n", "2024-13-01: x\n", "include: !!int x\n", "include: !!bool x\n", "x: !!float y\n",
    "x: " + "1" * 5000 + "\n",
])
def test_a_value_yaml_cannot_read_is_an_invalid_config(text: str) -> None:
    from pinlint.errors import ConfigError

    with pytest.raises(ConfigError, match=r"invalid config: \.pinlint\.yaml: a value YAML cannot read: "):
        config._parse(text, ".pinlint.yaml")
