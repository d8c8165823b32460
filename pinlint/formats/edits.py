"""Planned fixes: what a reference's new text is and which bytes change.

``PlannedFix(text, edits)``: ``text`` is the reference as it will read once
the ``edits`` are applied to the file.  Every format plans its own edits in
its module (``plan`` functions); this module holds the shared pieces: the
new reference text, and the plan for a reference whose span holds exactly
its text (most of them).
"""
from __future__ import annotations

from typing import NamedTuple

from pinlint.model import Edit, LocatedRef
from pinlint.reference import ImageRef, Placeholder


class PlannedFix(NamedTuple):
    text: str
    edits: tuple[Edit, ...]


def pinned_text(ref: LocatedRef, digest: str, style: str, tag: str | None = None) -> str | None:
    """``name:tag@digest`` (implicit ``latest`` made explicit; ``tag`` given:
    that tag, as a resolved placeholder gets) or, ``digest-only``,
    ``name@digest``.  The name is written as it was; None for a reference
    that is neither an image nor a placeholder."""
    parsed = ref.parsed
    if isinstance(parsed, Placeholder):
        base = parsed.name
    elif isinstance(parsed, ImageRef) and not ref.templated:
        base = ref.text.split("@", 1)[0]
    else:
        return None
    name, written_tag = split_tag(base)
    if style == "digest-only":
        return f"{name}@{digest}"
    return f"{name}:{tag or written_tag or 'latest'}@{digest}"


def split_tag(base: str) -> tuple[str, str | None]:
    """``host:5000/app:1.2`` -> (``host:5000/app``, ``1.2``); no tag -> (base, None)."""
    slash, colon = base.rfind("/"), base.rfind(":")
    if colon > slash:
        return base[:colon], base[colon + 1 :]
    return base, None


def exact_plan(ref: LocatedRef, digest: str, style: str, tag: str | None = None) -> PlannedFix | None:
    """The whole span replaced by the pinned text, when the span holds exactly the reference."""
    text = pinned_text(ref, digest, style, tag)
    if text is None or not ref.exact:
        return None
    return PlannedFix(text, (Edit(ref.span.start, ref.span.end, text),))
