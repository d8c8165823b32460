"""The rule files follow their schema (checked here, not on every start)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pinlint import rulebook


def test_every_rule_file_follows_the_rule_schema() -> None:
    assert rulebook.problems() == []
    assert len(rulebook.load()) >= 17


def test_a_rule_file_off_its_schema_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(rulebook.default_rules_dir(), folder)
    path = folder / "PIN001-mutable-tag.yaml"
    path.write_text(path.read_text().replace("severity: error", "severity: fatal", 1))
    (found,) = rulebook.problems(str(folder))
    assert found.startswith("PIN001-mutable-tag.yaml: severity: 'fatal' is not one of"), found


def test_a_rule_file_named_after_another_rule_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(rulebook.default_rules_dir(), folder)
    (folder / "PIN001-mutable-tag.yaml").rename(folder / "PIN001-mutable.yaml")
    with pytest.raises(rulebook.RuleDefinitionError, match="file name must be PIN001-mutable-tag.yaml"):
        rulebook.load(str(folder))
