"""The registry check: PIN010, PIN011, PIN012, PIN013, PIN019 (SPEC §4, §7).

Pinned references (``ImageRef`` with a digest) are verified against their
registry, each unique reference once; every image reference's registry host
is checked against ``registries.allow`` and the private-address rule
(PIN012).  Registry trouble is a PIN019 hit naming the host, never an
exception.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from pinlint import reference
from pinlint.checks import Check, Hit, RunContext
from pinlint.model import LocatedRef
from pinlint.reference import ImageRef
from pinlint.registry import settings as registry_settings
from pinlint.registry.progress import progress_bar
from pinlint.registry.resolver import Resolver
from pinlint.registry.verify import host_refusals, verify_all


def _images(refs: Sequence[LocatedRef]) -> list[tuple[LocatedRef, ImageRef]]:
    out = []
    for ref in refs:
        if ref.templated:
            continue
        parsed = reference.parse(ref.text)
        if isinstance(parsed, ImageRef):
            out.append((ref, parsed))
    return out


def run(refs: Sequence[LocatedRef], ctx: RunContext) -> Iterable[Hit]:
    located = _images(refs)
    if not located:
        return []
    settings = registry_settings.from_config(ctx.config)
    hits: list[Hit] = []
    with Resolver(settings) as resolver:
        refusals = host_refusals(resolver, (image for _, image in located))
        pinned = [image for _, image in located if image.digest and not refusals.get(image.registry)]
        unique = list(dict.fromkeys(pinned))
        with progress_bar(ctx.progress, len(unique), "Verifying pinned digests") as advance:
            verdicts = verify_all(resolver, unique, on_done=advance)
    for ref, image in located:
        refusal = refusals.get(image.registry)
        if refusal:
            hits.append(Hit("PIN012", ref, refusal))
            continue
        for problem in verdicts.get(image, ()):
            fix = None
            if problem.digest is not None:
                fix = reference.with_digest(ref.text, problem.digest, style=ctx.fix_style)
            hits.append(Hit(problem.rule, ref, problem.message, fix))
    return hits


CHECK = Check(
    name="registry",
    needs="registry",
    rules=("PIN010", "PIN011", "PIN012", "PIN013", "PIN019"),
    run=run,
)
