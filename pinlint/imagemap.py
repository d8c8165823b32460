"""``images[]`` of ``.pinlint.yaml``: which repository images are built from
which source paths of this repository (SPEC §5)."""
from __future__ import annotations

from typing import NamedTuple


class ImageMapping(NamedTuple):
    repository: str  # glob on the normalized name, host included (* within a component, ** across /)
    source: tuple[str, ...] = ()  # paths in this repository, "/"-separated
    tag_template: str = "git-{sha}"  # {sha} full commit, {short} a 7+ character prefix
    require_provenance: bool = False
