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
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from pinlint.formats.yamlrefs import parse_path

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
        words = {p[-1].removesuffix("[]") for p in self.images}
        if self.podspecs:
            words.add("image")
        return words


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


def find(locators: Iterable[Locator], api_version: str, kind: str) -> list[Locator]:
    return [loc for loc in locators if loc.matches(api_version, kind)]
