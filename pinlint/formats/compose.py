"""docker-compose files: ``services.*.image``."""
from __future__ import annotations

from collections.abc import Sequence

from pinlint.formats.yamlrefs import scalar_ref, walk
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText

_IMAGE = ("services", "*", "image")


def locate(path: str, source: SourceText, docs: Sequence[object]) -> list[LocatedRef]:
    refs = []
    for doc in docs:
        for node, where in walk(doc, _IMAGE):
            ref = scalar_ref(path, "compose", source, node, where)
            if ref:
                refs.append(ref)
    return refs
