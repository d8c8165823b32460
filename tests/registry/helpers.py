"""Running the registry check the way the engine does, without the engine."""
from __future__ import annotations

import os

from pinlint.checks import Hit, RunContext, Services
from pinlint.checks.registry import CHECK
from pinlint.config import from_data
from pinlint.model import LocatedRef, Span
from pinlint.registry import Resolver
from pinlint.registry.settings import from_config
from pinlint.tree import WorkTree


def located(text: str, path: str = "k8s/app.yaml", line: int = 1) -> LocatedRef:
    return LocatedRef(path, "kubernetes", text, Span(0, len(text), line, 1))


def config(*, insecure=(), allow=None, mirrors=None, **extra) -> dict:
    registries = {"insecure": list(insecure), "mirrors": dict(mirrors or {})}
    if allow is not None:
        registries["allow"] = allow
    registries.update(extra)
    return {"registries": registries}


def run_check(texts, cfg: dict) -> list[Hit]:
    refs = [located(t, line=i + 1) for i, t in enumerate(texts)]
    config = from_data(cfg, "<test>")
    with Services(config, WorkTree(".")) as services:
        ctx = RunContext(config=config, root=".", services=services, jobs=2, progress=False)
        return list(CHECK.run(refs, ctx))


def by_ref(hits: list[Hit]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for hit in hits:
        out.setdefault(hit.ref.text, []).append(hit.rule)
    return out


def resolver(cfg: dict) -> Resolver:
    return Resolver(from_config(cfg, os.environ))
