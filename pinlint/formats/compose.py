"""docker-compose files: ``services.*.image``.

A service that also has ``build:`` names the image its build produces (compose
tags the build result with ``image``): that is not a reference to pull, so it
is located with ``built`` set, listed in the inventory and never judged.
"""
from __future__ import annotations

from collections.abc import Sequence

from pinlint.formats.yamlrefs import scalar_ref, walk
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import YMap, is_null

_SERVICES = ("services", "*")


def locate(path: str, source: SourceText, docs: Sequence[object]) -> list[LocatedRef]:
    refs = []
    for doc in docs:
        for service, where in walk(doc, _SERVICES):
            if not isinstance(service, YMap):
                continue
            ref = scalar_ref(path, "compose", source, service.get("image"), f"{where}.image")
            if ref:
                refs.append(ref._replace(built=True) if not is_null(service.get("build", None)) else ref)
    return refs
