"""Planning the fixes that need the registry: PIN001 pins, PIN002
placeholders, and the race guard over every fix (SPEC §3, §8).

Runs after the checks whenever the registry may be consulted, so a lint
run's JSON ``fix`` already holds what ``--fix`` would write:

- **PIN001** ``name:tag`` (or implicit ``latest``): the digest the tag names
  now (the multi-platform index when it names one), looked up through the
  mirror when one is configured; the written reference keeps its own name.
- **PIN002** ``name@git:REV``: REV resolved in the local repository; the
  build commit is the newest commit at or before REV that changed the
  image's ``source`` paths (REV itself without a mapping or paths); the
  mapping's tag template (default ``git-{sha}``) applied to it; that tag
  looked up; written ``name:<tag>@<digest>``.  A tag that does not exist yet
  leaves the placeholder as it is, and the finding says which commit's image
  is not published.
- **The race guard**: a fix of a mapped image (``images[]``) is refused when
  the digest it would write was built from source that differs from HEAD
  (PIN030's verdict on that digest); the finding keeps its place and says why
  and which commits changed the source.  PIN011/PIN013 refresh fixes planned
  by the registry check pass the same guard.

A registry that cannot be consulted leaves the finding without a fix and adds
a PIN019 at the same reference, so the run exits 3 when that is all that
stands in the way.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from pinlint import formats, imagemap
from pinlint.checks import Hit, RunContext
from pinlint.checks.git import judge, stale
from pinlint.git import GitError, UnknownCommit
from pinlint.imagemap import DEFAULT_TEMPLATE, ImageMapping
from pinlint.reference import ImageRef, Placeholder
from pinlint.registry.errors import NotAllowed, NotFound, RegistryError

PLANNED = frozenset(("PIN001", "PIN002"))
GUARDED = frozenset(("PIN001", "PIN002", "PIN011", "PIN013"))


class _Outcome(NamedTuple):
    hit: Hit
    extra: tuple[Hit, ...] = ()


def plan(hits: Sequence[Hit], ctx: RunContext) -> list[Hit]:
    """``hits`` with registry-backed fixes planned and guarded."""
    todo = [h for h in hits if (h.rule in PLANNED and not h.edits) or (h.rule in GUARDED and h.edits)]
    if not todo:
        return list(hits)
    resolver = ctx.services.resolver
    results = resolver.run_all(lambda _r, hit: _plan_one(hit, ctx), list(dict.fromkeys(todo)), workers=16)
    planned: dict[Hit, _Outcome] = {}
    for hit, result in zip(dict.fromkeys(todo), results, strict=True):
        if isinstance(result, BaseException):
            note = f"{hit.message} (no fix: {type(result).__name__}: {result})"
            planned[hit] = _Outcome(hit._replace(message=note))
        else:
            planned[hit] = result
    out: list[Hit] = []
    for hit in hits:
        outcome = planned.get(hit)
        if outcome is None:
            out.append(hit)
        else:
            out.append(outcome.hit)
            out.extend(outcome.extra)
    return out


def _plan_one(hit: Hit, ctx: RunContext) -> _Outcome:
    ref = hit.ref
    try:
        if hit.rule == "PIN002":
            return _placeholder(hit, ctx)
        if hit.rule == "PIN001":
            image = ref.image
            if image is None:
                return _Outcome(hit)
            digest = ctx.services.resolver.resolve_tag(image).digest
            planned = formats.plan_pin(ref, digest, ctx.fix_style)
            if planned is None:
                return _Outcome(hit._replace(message=f"{hit.message} (no fix: the file does not hold this reference "
                                                      "in a form pinlint can rewrite)"))
            hit = hit._replace(fix=planned.text, edits=planned.edits)
        return _guard(hit, ctx)
    except NotFound as e:
        return _Outcome(hit._replace(message=f"{hit.message} (no fix: {e.message})"))
    except NotAllowed:
        return _Outcome(hit)  # PIN012 says why
    except RegistryError as e:
        return _Outcome(hit, (Hit("PIN019", ref, f"cannot plan the fix of {ref.text}: {e.message}"),))


def _mapping(ctx: RunContext, image: ImageRef) -> ImageMapping | None:
    return imagemap.find(ctx.config.images, image.name)


def _guard(hit: Hit, ctx: RunContext) -> _Outcome:
    """Refuse a fix that would pin a stale build of a mapped image."""
    image = hit.ref.image
    if image is None or not hit.fix or not hit.edits:
        return _Outcome(hit)
    digest = hit.fix.rpartition("@")[2]
    mapping = _mapping(ctx, image)
    repo = ctx.services.git
    if mapping is None or not mapping.source or repo is None:
        return _Outcome(hit)
    head = repo.resolve("HEAD")
    if head is None:
        return _Outcome(hit)
    pinned = image._replace(digest=digest)
    for verdict in judge(repo, head, ctx, pinned, mapping):
        if verdict.rule == "PIN030":
            return _Outcome(_refused(hit, verdict.message))
    return _Outcome(hit)


def _refused(hit: Hit, reason: str) -> Hit:
    return hit._replace(message=f"{hit.message}; fix to {hit.fix} refused (race guard): {reason}",
                        fix=None, edits=())


def _placeholder(hit: Hit, ctx: RunContext) -> _Outcome:
    ref = hit.ref
    parsed = ref.parsed
    if not isinstance(parsed, Placeholder) or parsed.image is None:
        return _Outcome(hit)
    image = parsed.image
    repo = ctx.services.git
    if repo is None:
        return _Outcome(hit._replace(message=f"{hit.message} (no fix: resolving @git:{parsed.rev} needs the git "
                                              "repository, and this is not one)"))
    mapping = _mapping(ctx, image)
    template = mapping.tag_template if mapping else DEFAULT_TEMPLATE
    sources = mapping.source if mapping else ()
    try:
        rev = repo.resolve(parsed.rev)
        if rev is None:
            return _Outcome(hit._replace(message=f"{hit.message} (no fix: {parsed.rev!r} names no commit, branch "
                                                  "or tag in this repository)"))
        build = repo.newest_commit_touching(sources, rev) if sources else rev
        if build is None:
            return _Outcome(hit._replace(message=f"{hit.message} (no fix: no commit at or before {parsed.rev} "
                                                  f"changed {', '.join(sources)})"))
        tag = imagemap.render_tag(template, build)
        try:
            digest = ctx.services.resolver.resolve_tag(image, tag).digest
        except NotFound:
            return _Outcome(hit._replace(
                message=f"{hit.message}: the image of commit {build[:12]} is not published yet "
                        f"({image.name}:{tag} not found); build and push it, then run pinlint --fix again"))
        planned = formats.plan_pin(ref, digest, ctx.fix_style, tag=tag)
        if planned is None:
            return _Outcome(hit._replace(message=f"{hit.message} (no fix: the file does not hold this "
                                                  "placeholder in a form pinlint can rewrite)"))
        hit = hit._replace(fix=planned.text, edits=planned.edits)
        head = repo.resolve("HEAD")
        if mapping is None or not sources or head is None:
            return _Outcome(hit)
        verdict = stale(repo, head, build, mapping, image._replace(digest=digest), f"placeholder's @git:{parsed.rev}")
        return _Outcome(_refused(hit, verdict.message) if verdict is not None else hit)
    except (UnknownCommit, GitError) as e:
        return _Outcome(hit._replace(message=f"{hit.message} (no fix: git: {e})"))
