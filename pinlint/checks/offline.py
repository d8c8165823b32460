"""Offline checks: PIN001 mutable-tag, PIN002 unresolved-placeholder,
PIN003 invalid-reference, PIN004 templated-reference.  No network, no git."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

from pinlint.checks import Check, Hit, RunContext
from pinlint.model import LocatedRef
from pinlint.reference import ImageRef, Invalid, Placeholder


def run(refs: Sequence[LocatedRef], ctx: RunContext) -> Iterator[Hit]:
    for ref in refs:
        parsed = ref.parsed
        if ref.templated:
            yield Hit("PIN004", ref, f"{ref.text!r} is a template or variable expression; its pinning cannot be judged")
        elif isinstance(parsed, Placeholder):
            yield Hit("PIN002", ref,
                      f"placeholder {ref.text!r} must be resolved to a digest before merge: build and push the "
                      "image, then run `pinlint --fix`")
        elif isinstance(parsed, Invalid):
            source = f" (the tag is its chart's appVersion, from {ref.tag_from})" if ref.tag_from else ""
            yield Hit("PIN003", ref, f"{ref.text!r} is not a valid image reference: {parsed.reason}{source}")
        elif isinstance(parsed, ImageRef) and not parsed.pinned:
            what = f"tag {parsed.tag!r}" if parsed.tag else "no tag (implicit 'latest')"
            if ref.tag_from:
                what += f" (its chart's appVersion, from {ref.tag_from}: the map's tag is empty)"
            yield Hit("PIN001", ref, f"{ref.text} has {what} and no digest: the image it names can change; "
                                     f"pin it with `pinlint --fix`, or look the digest up with "
                                     f"`crane digest {ref.text}` (or `docker buildx imagetools inspect`, "
                                     f"`skopeo inspect`)")


CHECK = Check(name="offline", needs="offline", rules=("PIN001", "PIN002", "PIN003", "PIN004"), run=run)
