"""``.pinlint.yaml``: find it, load it, validate it against the shipped JSON
Schema, fill in defaults.  Everything has a working default (SPEC §5)."""
from __future__ import annotations

import os
from typing import Any, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from pinlint import schemas
from pinlint.errors import ConfigError
from pinlint.yamldoc import YamlError, load_all

CONFIG_NAMES = (".pinlint.yaml", ".pinlint.yml")

DEFAULTS: dict[str, Any] = {
    "include": [],
    "exclude": [],
    "kinds": {},
    "rules": {"ignore": [], "severity": {}, "per-path-ignores": {}},
    "registries": {"allow": None, "insecure": [], "mirrors": {}},
    "images": [],
    "locators": [],
    "fix": {"style": "tag-and-digest"},
    "limits": {"max-file-size": 10 * 1024 * 1024, "max-depth": 1000, "max-alias-nodes": 10_000},
}


def find(root: str) -> str | None:
    for name in CONFIG_NAMES:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            return path
    return None


def load(path: str | None, known_rules: Iterable[str] = ()) -> dict[str, Any]:
    """The effective configuration; ``path`` None means defaults only."""
    data: Any = {}
    if path is not None:
        data = _read(path)
    return from_data(data, path or "<defaults>", known_rules)


def from_data(data: Any, where: str, known_rules: Iterable[str] = ()) -> dict[str, Any]:
    if data is None:
        data = {}
    found = list(schemas.problems("config", data))
    found += _unknown_rules(data, set(known_rules))
    if found:
        raise ConfigError(f"invalid config: {where}:\n" + "\n".join(f"  {p}" for p in found))
    return _with_defaults(data)


def _read(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # The limits of manifests hold for the policy too: an alias bomb would
        # otherwise be expanded by validation (the config is PR input).
        load_all(text)
        return YAML(typ="safe", pure=True).load(text)
    except YamlError as exc:
        problem = exc.message.replace("invalid YAML: ", "not valid YAML: ", 1)
        raise ConfigError(f"invalid config: {path} (line {exc.line}, column {exc.column}): {problem}") from None
    except OSError as exc:
        raise ConfigError(f"invalid config: {path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"invalid config: {path}: not UTF-8 text") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"invalid config: {path}{where}: not valid YAML: {problem}") from None


def _unknown_rules(data: Any, known: set[str]) -> list[str]:
    if not known or not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        return []
    rules = data["rules"]
    out = []
    for n, rule in enumerate(rules.get("ignore") or []):
        if isinstance(rule, str) and rule not in known:
            out.append(f"rules.ignore[{n}]: unknown rule {rule!r}")
    for rule in rules.get("severity") or {}:
        if isinstance(rule, str) and rule not in known:
            out.append(f"rules.severity.{rule}: unknown rule {rule!r}")
    for glob, ids in (rules.get("per-path-ignores") or {}).items():
        for n, rule in enumerate(ids if isinstance(ids, list) else []):
            if isinstance(rule, str) and rule not in known:
                out.append(f"rules.per-path-ignores.{glob}[{n}]: unknown rule {rule!r}")
    return out


def _with_defaults(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        value = data.get(key)
        if isinstance(default, dict):
            merged = dict(default)
            merged.update(value or {})
            out[key] = merged
        else:
            out[key] = value if value is not None else default
    for image in out["images"]:
        image.setdefault("source", [])
        image.setdefault("tag-template", "git-{sha}")
        image.setdefault("require-provenance", False)
    return out
