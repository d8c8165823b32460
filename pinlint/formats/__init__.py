"""Formats: which files hold references (SPEC §2) and the locator for each.

``Classifier.kind(relpath)`` names the format of a file from its path alone
(plus, for Helm, whether a ``Chart.yaml`` sits beside it); ``locate`` runs
that format's locator on a loaded file.
"""
from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from pinlint import globs
from pinlint.formats import kubernetes, objects
from pinlint.formats.edits import PlannedFix, exact_plan
from pinlint.locators import Locator
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText

# The module of each format other than Kubernetes, imported when a file of
# that format is first met: a pre-commit run of one manifest pays for none.
# Each has ``locate(path, source, docs) -> refs`` (a Dockerfile: ``(path, source)``).
MODULES = {
    "kustomize": "kustomize",
    "helm-values": "helm_values",
    "compose": "compose",
    "github-actions": "github_actions",
    "gitlab-ci": "gitlab_ci",
    "azure-pipelines": "azure_pipelines",
    "dockerfile": "dockerfile",
}


def module(kind: str) -> Any:
    """The module of format ``kind`` (one of ``MODULES``)."""
    return importlib.import_module(f"pinlint.formats.{MODULES[kind]}")


# A file of this kind whose text holds none of these words cannot hold a
# reference and is not parsed at all (the fast path for large trees).  A
# text with a backslash or a tag is always parsed: a double-quoted scalar can
# spell any word with escapes (``"\x69mage": nginx``), and a ``!!binary`` one
# in base64 (which ``yamldoc`` refuses), so its bytes prove nothing.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "kustomize": ("images", "patch", "valuesInline"),
    "helm-values": ("image", "repository"),
    "compose": ("image",),
    "github-actions": ("container", "image", "docker://"),
    "gitlab-ci": ("image", "services"),
    "azure-pipelines": ("image", "container"),
}

_DOCKERFILE = re.compile(r"(?:Dockerfile|Containerfile)(?:\..+)?|.+\.(?:Dockerfile|Containerfile)")
_KUSTOMIZATION = frozenset(("kustomization.yaml", "kustomization.yml", "Kustomization"))
_ACTION = frozenset(("action.yml", "action.yaml"))  # a GitHub action's metadata
_COMPOSE = re.compile(r"(?:docker-)?compose[^/]*\.ya?ml")
_AZURE = re.compile(r"azure-pipelines[^/]*\.ya?ml")
_HELM_VALUES = re.compile(r"values[^/]*\.yaml")
_YAML_EXT = (".yaml", ".yml")


class Classifier:
    """Decides the format of each file of a repository rooted at ``root``."""

    def __init__(self, root: str, kind_globs: dict[str, list[str]] | None = None) -> None:
        self.root = root
        self.kind_globs = kind_globs or {}
        self._chart_dirs: dict[str, bool] = {}

    def _is_chart_dir(self, reldir: str) -> bool:
        known = self._chart_dirs.get(reldir)
        if known is None:
            known = os.path.isfile(os.path.join(self.root, reldir, "Chart.yaml"))
            self._chart_dirs[reldir] = known
        return known

    def kind(self, relpath: str) -> str | None:
        """The format of ``relpath`` (``/``-separated, relative to the root), or None."""
        for kind, patterns in self.kind_globs.items():
            if globs.match_any(patterns, relpath):
                return kind
        reldir, _, base = relpath.rpartition("/")
        if _DOCKERFILE.fullmatch(base):
            return "dockerfile"
        if base in _KUSTOMIZATION:
            return "kustomize"
        if not base.endswith(_YAML_EXT):
            return None
        if self._in_chart_templates(reldir):
            return "helm-template"  # Go templates, not YAML: read line by line
        if base in ("Chart.yaml", "Chart.lock", "values.schema.json"):
            return None
        if reldir == ".github/workflows" or reldir.endswith("/.github/workflows") or base in _ACTION:
            return "github-actions"
        if base == ".gitlab-ci.yml":  # files it includes: engine._classify_gitlab_includes
            return "gitlab-ci"
        if _COMPOSE.fullmatch(base):
            return "compose"
        if _AZURE.fullmatch(base) or "/pipelines/" in f"/{reldir}/":
            return "azure-pipelines"
        if _HELM_VALUES.fullmatch(base) and self._is_chart_dir(reldir):
            return "helm-values"
        return "kubernetes"

    def _in_chart_templates(self, reldir: str) -> bool:
        if "templates" not in reldir:  # most files: no folder to look at
            return False
        parts = reldir.split("/")
        return any(part == "templates" and self._is_chart_dir("/".join(parts[:i])) for i, part in enumerate(parts))


def kubernetes_keywords(locators: Sequence[Locator]) -> tuple[str, ...]:
    words = {"image", "images", "Image"}  # "Image": the scalar fallback's ``*Image`` keys
    for loc in locators:
        words |= loc.keywords()
    return ("image", *sorted(words - {"image"}))  # the common one first: most texts are searched once


def may_hold_refs(kind: str, text: str, k8s_keywords: tuple[str, ...]) -> bool:
    words = k8s_keywords if kind == "kubernetes" else KEYWORDS.get(kind, ())
    return "\\" in text or "!" in text or any(w in text for w in words)


def locate_yaml(kind: str, path: str, source: SourceText, docs: Sequence[object],
                locators: Sequence[Locator]) -> list[LocatedRef]:
    if kind == "kubernetes":
        return kubernetes.locate(path, source, docs, locators)
    if kind in ("azure-pipelines", "github-actions") and any(_is_k8s(d) for d in docs):
        # `**/pipelines/**` also catches Tekton and other Kubernetes documents, and a
        # manifest may be called action.yaml
        return kubernetes.locate(path, source, docs, locators)
    located: list[LocatedRef] = module(kind).locate(path, source, docs)
    return [r._replace(object=objects.describe(r.kind, r.where)) for r in located]


def _is_k8s(doc: object) -> bool:
    return isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc


# The formats whose references are assembled from several fields have their
# own fix planner (``plan``); every other reference is fixed by replacing its
# exact span.
_PLANNED = frozenset(("kustomize", "helm-values", "dockerfile"))


def plan_pin(ref: LocatedRef, digest: str, style: str, tag: str | None = None) -> PlannedFix | None:
    """The edits that pin ``ref`` to ``digest`` (``tag``: write that tag, as a
    resolved placeholder does), planned by the reference's format; None when
    the file does not hold the reference in a form that can be rewritten."""
    if ref.templated:
        return None
    planner: Callable[[LocatedRef, str, str, str | None], PlannedFix | None] = (
        module(ref.kind).plan if ref.kind in _PLANNED else exact_plan
    )
    return planner(ref, digest, style, tag)


def locate_dockerfile(path: str, source: SourceText) -> list[LocatedRef]:
    located: list[LocatedRef] = module("dockerfile").locate(path, source)
    return [r._replace(object=objects.describe(r.kind, r.where)) for r in located]
