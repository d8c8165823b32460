"""Declarative locators: where image references live inside Kubernetes
documents, including CRDs.  The built-in ones are YAML files in ``rules/locators/``
and users add their own under ``locators:`` in ``.pinlint.yaml``; both are
validated against ``schemas/locator.schema.json``.

A locator matches documents by ``apiVersion``/``kind`` globs and names
``podspecs`` (paths to PodSpec-shaped mappings: their ``containers``,
``initContainers`` and ``ephemeralContainers`` images are references) and
``images`` (paths to scalar references).
"""
from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from pinlint.formats.yamlrefs import parse_path, path_words, selector_values

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


class Locator(NamedTuple):
    id: str
    api_versions: tuple[re.Pattern[str], ...]  # empty: any
    kinds: frozenset[str]  # empty: any
    podspecs: tuple[tuple[str, ...], ...]
    images: tuple[tuple[str, ...], ...]
    report_kind: str

    def matches(self, api_version: str, kind: str) -> bool:
        if self.kinds and kind not in self.kinds:
            return False
        return not self.api_versions or any(p.match(api_version) for p in self.api_versions)

    def keywords(self) -> set[str]:
        """Keys whose presence in a file's text means it may hold a reference."""
        words = {word for p in self.images if (word := _keyword(p))}
        if self.podspecs:
            words.add("image")
        return words


def _keyword(path: tuple[str, ...]) -> str:
    """One word that the text of a document matching ``path`` must hold: the
    last selector value (``bundle`` of ``params[name=bundle]``), else the
    last literal key."""
    values = [w for text in path for w in selector_values(text)]
    keys = path_words(path)
    return values[-1] if values else keys[-1] if keys else ""


@functools.cache
def _builtin_specs() -> tuple[dict[str, Any], ...]:
    return tuple(_read_builtin_specs())


def builtin_specs() -> list[dict[str, Any]]:
    """The shipped locators (read once per process; each call gets copies)."""
    return [dict(spec) for spec in _builtin_specs()]


def _read_builtin_specs() -> list[dict[str, Any]]:
    """The shipped locators, ``rules/locators/*.yaml`` (``pinlint/_rules`` in a wheel)."""
    from pinlint.rulebook import default_rules_dir, read

    folder = os.path.join(default_rules_dir(), "locators")
    out: list[dict[str, Any]] = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".yaml"):
            out.extend(read(os.path.join(folder, name))["locators"])
    return out


def compile_all(user_specs: Iterable[Mapping[str, Any]]) -> list[Locator]:
    """The built-in locators followed by the user's (already validated) ones."""
    return [compile_locator(dict(spec)) for spec in [*builtin_specs(), *user_specs]]


def compile_locator(spec: dict[str, Any]) -> Locator:
    match = spec.get("match", {})
    return Locator(
        id=spec["id"],
        api_versions=tuple(re.compile(fnmatch.translate(g)) for g in _as_list(match.get("apiVersion"))),
        kinds=frozenset(_as_list(match.get("kind"))),
        podspecs=tuple(parse_path(p) for p in spec.get("podspecs", ())),
        images=tuple(parse_path(p) for p in spec.get("images", ())),
        report_kind=spec.get("report-kind", "kubernetes"),
    )


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def find(locators: Sequence[Locator], api_version: str, kind: str) -> list[Locator]:
    """The locators of a document's apiVersion and kind.  A tree has few
    distinct pairs and thousands of documents, so each pair's answer is kept
    (up to ``_FOUND_MAX`` pairs: the strings are the repository's)."""
    key = (id(locators), api_version, kind)
    hit = _found.get(key)
    if hit is not None and hit[0] is locators:
        return list(hit[1])
    matched = [loc for loc in locators if loc.matches(api_version, kind)]
    if len(_found) >= _FOUND_MAX:
        _found.clear()
    _found[key] = (locators, tuple(matched))
    return matched


_FOUND_MAX = 1024
_found: dict[tuple[int, str, str], tuple[Sequence[Locator], tuple[Locator, ...]]] = {}
