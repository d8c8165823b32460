"""The registry check: PIN010, PIN011, PIN012, PIN013, PIN019 (SPEC §4, §7).

Pinned references are verified against their registry, each unique reference
once, through the run's shared ``Resolver``; every image reference's registry
host is checked against ``registries.allow`` and the private-address rule
(PIN012).  Registry trouble is a PIN019 hit naming the host, never an
exception.  A hit that ``--fix --refresh`` can repair carries the edits its
format plans.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from pinlint import formats
from pinlint.checks import Check, Hit, RunContext
from pinlint.model import LocatedRef
from pinlint.reference import ImageRef
from pinlint.registry.progress import progress_bar
from pinlint.registry.verify import host_refusals, verify_all


def _images(refs: Sequence[LocatedRef]) -> list[tuple[LocatedRef, ImageRef]]:
    return [(ref, ref.image) for ref in refs if ref.image is not None]


def run(refs: Sequence[LocatedRef], ctx: RunContext) -> Iterable[Hit]:
    located = _images(refs)
    if not located:
        return []
    resolver = ctx.services.resolver
    hits: list[Hit] = []
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
            planned = None
            if problem.digest is not None:
                planned = formats.plan_pin(ref, problem.digest, ctx.fix_style)
            if planned is None:
                hits.append(Hit(problem.rule, ref, problem.message))
            else:
                hits.append(Hit(problem.rule, ref, problem.message, planned.text, planned.edits))
    return hits


CHECK = Check(
    name="registry",
    needs="registry",
    rules=("PIN010", "PIN011", "PIN012", "PIN013", "PIN019"),
    run=run,
)
