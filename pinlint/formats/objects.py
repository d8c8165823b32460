"""The object a reference sits in, named the way its format's users name it:
``Deployment/web container app``, ``service db``, ``job test``, ``stage
build`` (what text reports print beside a finding; JSON ``object``, SARIF
logical locations).

Derived from the reference's ``where`` key path; for Kubernetes documents
the container's own ``name`` is read from the document.
"""
from __future__ import annotations

import re

from pinlint.yamldoc import YMap, YSeq, YStr

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# Kubernetes-shaped lists whose items are named things, and what to call an item.
_ITEMS = {
    "containers": "container",
    "initContainers": "init container",
    "ephemeralContainers": "ephemeral container",
    "sidecars": "sidecar",
    "steps": "step",
    "templates": "template",
    "tasks": "task",
    "finally": "finally task",
}


def _steps(path: str) -> list[str | int]:
    return [m[1] if m[1] is not None else int(m[2]) for m in _STEP.finditer(path)]


def kubernetes(where: str, doc: object) -> str:
    """``Deployment/web container app`` for ``Deployment/web spec…containers[0].image``."""
    label, _, path = where.partition(" ") if " " in where else ("", "", where)
    node: object = doc
    named = ""
    steps = _steps(path)
    for i, step in enumerate(steps):
        if isinstance(step, int):
            if not isinstance(node, YSeq) or step >= len(node):
                break
            node = node[step]
            what = _ITEMS.get(str(steps[i - 1])) if i else None
            name = node.get("name") if isinstance(node, YMap) else None
            if what is not None:
                named = f"{what} {name}" if isinstance(name, YStr) and name else f"{what} {step}"
        else:
            if not isinstance(node, YMap) or step not in node:
                break
            node = node[step]
    return " ".join(part for part in (label, named) if part)


def describe(kind: str, where: str) -> str:
    """The object of a reference of a non-Kubernetes format, from its key path."""
    steps = _steps(where)
    first = str(steps[0]) if steps else ""
    if kind == "compose" and first == "services" and len(steps) > 1:
        return f"service {steps[1]}"
    if kind == "github-actions" and first == "runs":  # an action's metadata (action.yml)
        return f"action step {steps[2]}" if len(steps) > 2 and steps[1] == "steps" else "action"
    if kind == "github-actions" and first == "jobs" and len(steps) > 1:
        out = f"job {steps[1]}"
        if len(steps) > 3 and steps[2] == "services":
            out += f" service {steps[3]}"
        elif len(steps) > 3 and steps[2] == "steps":
            out += f" step {steps[3]}"
        return out
    if kind == "gitlab-ci":
        job = "." + where[1:].split(".", 1)[0] if where.startswith(".") else first  # hidden jobs: ".base"
        if job == "default":
            return "default"
        return "top level" if job in ("image", "services") else f"job {job}"
    if kind == "azure-pipelines":
        return where.rsplit(".", 1)[0] if "." in where else where
    if kind == "dockerfile":
        m = re.match(r"FROM \(stage (.+)\)", where)
        if m:
            return f"stage {m[1]}"
        return "syntax directive" if where == "# syntax" else where
    if kind == "kustomize":
        return where.rsplit(".", 1)[0]
    if kind == "helm-values":
        parent = where.rsplit(".", 1)[0] if where.endswith((".repository", ".image")) else where
        return f"values {parent}"
    if kind == "argocd":
        return where.partition(" ")[0]
    return ""
