"""Verification of pinned references (PIN010, PIN011, PIN012, PIN013, PIN019).

``verify(resolver, image)`` judges one unique pinned reference and returns
``Problem``s; ``verify_all`` does it for many, concurrently.  A pass is a
proof: the registry served manifest bytes that hash to the pinned digest.
For ``name:tag@digest`` the tag's manifest is fetched first (one GET): when
its bytes hash to the pin, that proves both that the digest exists and that
the tag still names it, so the common case costs one request, or none with a
warm cache; otherwise the digest is fetched by itself.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import NamedTuple

from pinlint.reference import ImageRef
from pinlint.registry.errors import NotAllowed, NotFound, RegistryError
from pinlint.registry.resolver import Resolver, TagInfo

log = logging.getLogger("pinlint.registry")


class Problem(NamedTuple):
    rule: str
    message: str
    digest: str | None = None  # the digest a --refresh fix re-pins to (PIN011, PIN013)


def _pinned(image: ImageRef) -> str:
    return f"{image.name}:{image.tag}" if image.tag else image.name


def verify(resolver: Resolver, image: ImageRef) -> list[Problem]:
    """Problems with one pinned reference; never raises for registry trouble."""
    label = image.registry
    try:
        label = resolver.endpoint(image.registry).label
        return _verify(resolver, image)
    except NotAllowed as e:
        return [Problem("PIN012", e.message)]
    except RegistryError as e:
        return [Problem("PIN019", f"could not verify {image.text}: {e.message}")]
    except Exception as e:  # a registry that answers garbage must not crash the run
        log.debug("verifying %s failed", image.text, exc_info=True)
        return [Problem("PIN019", f"could not verify {image.text}: "
                                  f"unexpected answer from registry {label} ({type(e).__name__})")]


def _verify(resolver: Resolver, image: ImageRef) -> list[Problem]:
    refusal = resolver.refusal(image.registry)
    if refusal:
        return [Problem("PIN012", refusal)]
    digest = image.digest
    assert digest is not None
    label = resolver.endpoint(image.registry).label
    missing = Problem(
        "PIN010",
        f"{digest} does not exist in {image.name}: registry {label} has no manifest with that digest",
    )
    if image.tag is None:
        return [] if resolver.exists(image, digest) else [missing]
    try:
        tag: TagInfo | None = resolver.resolve_tag(image, image.tag)
    except NotFound:
        tag = None
    if tag is not None and resolver.same_manifest(image, tag.digest, digest):
        return []
    problems = []
    exists = resolver.exists(image, digest)
    if not exists:
        problems.append(missing)
    if tag is None:
        problems.append(Problem(
            "PIN011",
            f"tag {image.tag} no longer exists in {image.name} (registry {label}); the pin names {digest}",
        ))
        return problems
    if exists and (tag.is_index or not tag.media_type):
        index = resolver.manifest(image, tag.digest)
        child = index.child(digest) if index.is_index else None
        if child is not None:
            platform = str(child.platform) if child.platform else "one platform"
            problems.append(Problem(
                "PIN013",
                f"{digest} is the {platform} manifest inside the multi-platform index {tag.digest} "
                f"that {_pinned(image)} names: the pin runs on {platform} only",
                tag.digest,
            ))
            return problems
    problems.append(Problem(
        "PIN011",
        f"tag {image.tag} of {image.name} now resolves to {tag.digest}, not the pinned {digest}",
        tag.digest,
    ))
    return problems


def verify_all(
    resolver: Resolver,
    images: Iterable[ImageRef],
    on_done: Callable[[], None] | None = None,
) -> dict[ImageRef, list[Problem]]:
    """Verify unique pinned references concurrently."""
    todo = list(dict.fromkeys(images))
    results = resolver.run_all(verify, todo, on_done=on_done)
    out: dict[ImageRef, list[Problem]] = {}
    for image, result in zip(todo, results, strict=True):
        if isinstance(result, BaseException):  # verify() catches everything; belt and braces
            result = [Problem("PIN019", f"could not verify {image.text}: {type(result).__name__}")]
        out[image] = result
    return out


def host_refusals(resolver: Resolver, images: Iterable[ImageRef]) -> dict[str, str | None]:
    """The PIN012 verdict for each registry host, concurrently.  Hosts of
    pinned references (which will be contacted) have their names resolved;
    hosts named only by unpinned references are judged without DNS."""
    pinned: dict[str, bool] = {}
    for image in images:
        pinned[image.registry] = pinned.get(image.registry, False) or image.digest is not None
    hosts = list(pinned)
    results = resolver.run_all(lambda r, host: r.refusal(host, resolve=pinned[host]), hosts)
    return {h: (None if isinstance(v, BaseException) else v) for h, v in zip(hosts, results, strict=True)}


__all__ = ["Problem", "verify", "verify_all", "host_refusals"]
