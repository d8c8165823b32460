"""The rule catalog: ``rules/<ID>-<name>.yaml`` files, which follow
``schemas/rule.schema.json`` (``problems`` checks; the tests run it).  In a
wheel the top-level ``rules/`` folder is shipped as ``pinlint/_rules``; from
a source checkout it is read in place."""
from __future__ import annotations

import functools
import os
from typing import Any

from pinlint import yamldoc
from pinlint.model import RuleInfo


def default_rules_dir() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    shipped = os.path.join(here, "_rules")
    if os.path.isdir(shipped):
        return shipped
    return os.path.join(os.path.dirname(here), "rules")


class RuleDefinitionError(Exception):
    """A built-in rule file is malformed: a bug in pinlint, not user input."""


def read(path: str) -> Any:
    """One of pinlint's own YAML files as plain data.  Their schemas ask for
    strings only, so they are composed by ``yamldoc`` (libyaml, no typing):
    every start reads them, and a constructor's typing cost a few
    milliseconds of it."""
    with open(path, encoding="utf-8") as f:
        return yamldoc.plain(yamldoc.load_all(f.read())[0])


@functools.cache
def load(rules_dir: str | None = None) -> tuple[RuleInfo, ...]:
    """The rules.  Their files are pinlint's own, checked against the rule
    schema by ``problems`` in the tests, not on every start (which would load
    json and the schema for nothing)."""
    rules = []
    for name, data in _files(rules_dir or default_rules_dir()):
        if name != f"{data['id']}-{data['name']}.yaml":
            raise RuleDefinitionError(f"{name}: file name must be {data['id']}-{data['name']}.yaml")
        rules.append(_info(data))
    return tuple(rules)


def problems(rules_dir: str | None = None) -> list[str]:
    """Every rule file's violations of ``schemas/rule.schema.json``, as ``FILE: problem``."""
    from pinlint import schemas

    return [f"{name}: {problem}" for name, data in _files(rules_dir or default_rules_dir())
            for problem in schemas.problems("rule", data)]


def _files(rules_dir: str) -> list[tuple[str, Any]]:
    return [(name, read(os.path.join(rules_dir, name))) for name in sorted(os.listdir(rules_dir))
            if name.startswith("PIN") and name.endswith(".yaml")]


def _info(data: dict[str, Any]) -> RuleInfo:
    severity = data["severity"]
    return RuleInfo(
        id=data["id"],
        name=data["name"],
        severity=severity,
        enabled_severity=data.get("enabled-severity", severity if severity != "off" else "warning"),
        needs=data["needs"],
        fix=data["fix"],
        summary=data["summary"].strip(),
        rationale=data["rationale"].strip(),
        remediation=data["remediation"].strip(),
    )


@functools.cache
def examples(rules_dir: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Rule id -> its documented examples (the tests run them)."""
    return {data["id"]: data.get("examples", []) for _, data in _files(rules_dir or default_rules_dir())}


def by_key(rules: tuple[RuleInfo, ...]) -> dict[str, RuleInfo]:
    """Rules by id and by name."""
    out = {r.id: r for r in rules}
    out.update({r.name: r for r in rules})
    return out
