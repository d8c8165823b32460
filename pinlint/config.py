"""``.pinlint.yaml``: find it, load it, validate it against the shipped JSON
Schema, and turn it into a typed ``Config`` (SPEC §5).

This module is the one place defaults live: every field of ``Config`` and
its parts has the working default the spec promises; the JSON Schema only
says what is allowed, and the registry layer builds its settings from
``RegistryConfig``.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from pinlint import inert
from pinlint.errors import ConfigError
from pinlint.imagemap import ImageMapping
from pinlint.yamldoc import Limits, YamlError, load_all

CONFIG_NAMES = (".pinlint.yaml", ".pinlint.yml")
MAX_CONFIG_BYTES = 1024 * 1024
# No valid policy nests deeper than about six levels; past 32 a config is
# refused before it reaches the recursive code that types and validates it
# (ruamel.yaml's constructor, jsonschema), where it would end in a RecursionError.
CONFIG_LIMITS = Limits(max_depth=32)


class RulesConfig(NamedTuple):
    ignore: tuple[str, ...] = ()  # ids, names or id prefixes, as --ignore takes
    severity: tuple[tuple[str, str], ...] = ()  # (rule id or name, error|warning|off)
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, rules)


class RegistryConfig(NamedTuple):
    allow: tuple[str, ...] | None = None  # None: any public host
    insecure: tuple[str, ...] = ()
    mirrors: tuple[tuple[str, str], ...] = ()  # (registry, mirror host)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    budget: float = 120.0  # seconds for the whole run
    connections_per_host: int = 32  # at most this many requests in flight to one registry host
    tag_cache_ttl: float = 60.0  # seconds; 0 disables the tag cache
    cache: bool = True  # digest facts on disk under $XDG_CACHE_HOME/pinlint


class FixConfig(NamedTuple):
    style: str = "tag-and-digest"  # or "digest-only"


class LimitsConfig(NamedTuple):
    max_file_size: int = 10 * 1024 * 1024
    max_depth: int = 1000
    max_alias_nodes: int = 10_000


class Config(NamedTuple):
    """The effective configuration of a run; ``Config()`` is the defaults."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    kinds: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (format, globs)
    rules: RulesConfig = RulesConfig()
    registries: RegistryConfig = RegistryConfig()
    images: tuple[ImageMapping, ...] = ()
    locators: tuple[Mapping[str, Any], ...] = ()  # user locators, validated
    fix: FixConfig = FixConfig()
    limits: LimitsConfig = LimitsConfig()
    path: str | None = None  # the file it was read from; None: defaults only


def find(root: str) -> str | None:
    for name in CONFIG_NAMES:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            return path
    return None


def load(path: str | None, known_rules: Iterable[str] = ()) -> Config:
    """The effective configuration; ``path`` None means defaults only."""
    if path is None:
        return Config()
    shown = _shown(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"invalid config: {shown}: cannot read: {exc.strerror}") from None
    return from_bytes(data, shown, known_rules)._replace(path=path)


def _shown(path: str) -> str:
    """The config's path as a user typed it: relative to the working folder when inside it."""
    cwd = os.getcwd()
    absolute = os.path.abspath(path)
    return os.path.relpath(absolute, cwd) if absolute.startswith(cwd + os.sep) else path


def from_bytes(data: bytes, where: str, known_rules: Iterable[str] = ()) -> Config:
    """A config from a file's bytes (a working-tree file, or the base ref's blob)."""
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"invalid config: {where}: larger than {MAX_CONFIG_BYTES // 1024} KB")
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")  # "utf-8-sig", without importing its codec
    except UnicodeDecodeError:
        raise ConfigError(f"invalid config: {where}: not UTF-8 text") from None
    return from_data(_parse(text, where), where, known_rules)


_DIRECTIVE = re.compile(r"^%YAML", re.MULTILINE)


def _plain_error(exc: BaseException) -> str:
    """The first line of what went wrong, escaped and short (it can quote the config)."""
    said = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return inert.text(said if len(said) <= 200 else said[:199] + "\u2026")


def _parse(text: str, where: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        # The alias limit of manifests holds for the policy too (an alias bomb
        # would otherwise be expanded by validation: the config is PR input),
        # and a tighter depth limit (CONFIG_LIMITS).  What
        # passes them is read again with YAML typing, by libyaml when
        # ruamel.yaml.clib is there (the same values as its Python parser,
        # which a start pays 2 ms more for: tests/test_config_typing.py).
        load_all(text, CONFIG_LIMITS)
        # libyaml's loader types every file as YAML 1.2; a `%YAML 1.1` directive
        # (yes/no, 010 octal) is honoured by the Python parser only
        return YAML(typ="safe", pure=_DIRECTIVE.search(text) is not None).load(text)
    except YamlError as exc:
        problem = exc.message.replace("invalid YAML: ", "not valid YAML: ", 1)
        raise ConfigError(f"invalid config: {where} (line {exc.line}, column {exc.column}): {problem}") from None
    except (ValueError, KeyError, OverflowError) as exc:  # a value its tag or form cannot be: 2024-02-30, !!int x
        raise ConfigError(f"invalid config: {where}: a value YAML cannot read: {_plain_error(exc)}") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"invalid config: {where}{at}: not valid YAML: {problem}") from None


def from_data(data: Any, where: str, known_rules: Iterable[str] = ()) -> Config:
    from pinlint import schemas

    if data is None:
        data = {}
    found = list(schemas.problems("config", data))
    found += _unknown_rules(data, set(known_rules))
    if found:
        raise ConfigError(f"invalid config: {where}:\n" + "\n".join(f"  {p}" for p in found))
    return _typed(data, None if where.startswith("<") else where)


def _unknown_rules(data: Any, known: set[str]) -> list[str]:
    """Rule keys that name no rule: an id, a name, or a prefix of ids (``PIN0``)."""
    if not known or not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        return []

    def unknown(rule: object, prefix_ok: bool) -> bool:
        if not isinstance(rule, str) or rule in known:
            return False
        return not (prefix_ok and rule.startswith("PIN") and any(k.startswith(rule) for k in known))

    rules = data["rules"]
    out = []
    # Only well-typed values are looked into: the schema already reports a
    # string where a list belongs, once, not one "unknown rule" per character.
    ignore = rules.get("ignore")
    for n, rule in enumerate(ignore if isinstance(ignore, list) else []):
        if unknown(rule, True):
            out.append(f"rules.ignore[{n}]: unknown rule {inert.excerpt(rule)}")
    severity = rules.get("severity")
    for rule in severity if isinstance(severity, dict) else {}:
        if unknown(rule, False):
            out.append(f"rules.severity.{inert.text(str(rule))}: unknown rule {inert.excerpt(rule)}")
    per_path = rules.get("per-path-ignores")
    for glob, ids in (per_path if isinstance(per_path, dict) else {}).items():
        for n, rule in enumerate(ids if isinstance(ids, list) else []):
            if unknown(rule, True):
                out.append(f"rules.per-path-ignores.{inert.text(str(glob))}[{n}]: unknown rule {inert.excerpt(rule)}")
    return out


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def _source_path(path: str) -> str:
    """``apps/web/`` -> ``apps/web``; ``.``, ``./`` and ``/`` -> ``""``, the whole repository."""
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    path = path.strip("/")
    return "" if path == "." else path


def _typed(data: Mapping[str, Any], path: str | None) -> Config:
    rules = data.get("rules") or {}
    reg = data.get("registries") or {}
    limits = data.get("limits") or {}
    fix = data.get("fix") or {}
    d_reg, d_limits, d_fix, d_image = RegistryConfig(), LimitsConfig(), FixConfig(), ImageMapping("")
    allow = reg.get("allow")
    return Config(
        include=_strs(data.get("include")),
        exclude=_strs(data.get("exclude")),
        kinds=tuple((str(k), _strs(v)) for k, v in (data.get("kinds") or {}).items()),
        rules=RulesConfig(
            ignore=_strs(rules.get("ignore")),
            severity=tuple((str(k), str(v)) for k, v in (rules.get("severity") or {}).items()),
            per_path_ignores=tuple((str(g), _strs(ids)) for g, ids in (rules.get("per-path-ignores") or {}).items()),
        ),
        registries=RegistryConfig(
            allow=None if allow is None else _strs(allow),
            insecure=_strs(reg.get("insecure")),
            mirrors=tuple((str(k), str(v)) for k, v in (reg.get("mirrors") or {}).items()),
            connect_timeout=float(reg.get("connect-timeout", d_reg.connect_timeout)),
            read_timeout=float(reg.get("read-timeout", d_reg.read_timeout)),
            budget=float(reg.get("budget", d_reg.budget)),
            connections_per_host=int(reg.get("connections-per-host", d_reg.connections_per_host)),
            tag_cache_ttl=float(reg.get("tag-cache-ttl", d_reg.tag_cache_ttl)),
            cache=bool(reg.get("cache", d_reg.cache)),
        ),
        images=tuple(
            ImageMapping(
                repository=str(image["repository"]),
                source=tuple(_source_path(str(s)) for s in image.get("source") or ()),
                tag_template=str(image.get("tag-template", d_image.tag_template)),
                require_provenance=bool(image.get("require-provenance", d_image.require_provenance)),
            )
            for image in data.get("images") or ()
        ),
        locators=tuple(data.get("locators") or ()),
        fix=FixConfig(style=str(fix.get("style", d_fix.style))),
        limits=LimitsConfig(
            max_file_size=int(limits.get("max-file-size", d_limits.max_file_size)),
            max_depth=int(limits.get("max-depth", d_limits.max_depth)),
            max_alias_nodes=int(limits.get("max-alias-nodes", d_limits.max_alias_nodes)),
        ),
        path=path,
    )
