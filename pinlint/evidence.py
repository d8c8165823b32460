"""Build-commit evidence of one pinned image, through the shared ``Resolver``
(SPEC §4 "Build commit of a digest").

    found = build_commit(resolver, ref, tag_template=mapping.tag_template)
    found.commit           # the build commit (full, or a 7+ hex prefix), or None
    found.source           # where it came from, for messages ("manifest annotation", …)
    found.disagreements    # PIN020 messages
    found.notes            # revision values that are not commits (for PIN021)

Order: the manifest annotation ``org.opencontainers.image.revision``, else
the image config label of the same name, else a tag of the template's form
(``git-{sha}``) that points at the digest — the reference's own tag first (one
look-up), else every such tag the registry lists.  For a multi-platform
index: the index annotation, else every platform manifest's revision
(annotation, else label; attestation manifests are skipped).

Every piece of evidence found is cross-checked, and each contradiction is a
PIN020 fact: an image manifest's annotation against its label; platforms
against each other and against the index annotation; the reference's own
``git-<sha>`` tag against the revision metadata; and the registry's
``git-<revision>`` tag, which must point at the pinned digest (or at the
index that holds it).  That last check is skipped when the reference itself
carries that tag: a tag that moved is PIN011's finding, not a second one.

Registry errors propagate as the Resolver's exceptions (``NotAllowed``,
``Unavailable``, ``NotFound`` for the pinned digest itself): the caller turns
them into PIN012/PIN019/PIN010.  A short revision (or a ``{short}`` tag)
gives a prefix; the caller resolves it with ``GitRepo.resolve_short``.
Everything here is registry text: values are validated as hex before use and
quoted, truncated, in messages.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from pinlint.imagemap import DEFAULT_TEMPLATE, parse_tag, render_tag, tag_glob
from pinlint.reference import ImageRef
from pinlint.registry.errors import NotFound
from pinlint.registry.manifests import Descriptor, Manifest
from pinlint.registry.resolver import Resolver

REVISION = "org.opencontainers.image.revision"
_COMMITISH = re.compile(r"^[0-9a-f]{7,64}$")
_FULL = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


class Evidence(NamedTuple):
    commit: str | None  # lowercase hex: a full commit id or a 7+ character prefix
    source: str  # "manifest annotation", "config label", "index annotation",
    #              "platform manifests (annotation)", "tag git-<sha>"; "" when none
    disagreements: tuple[str, ...] = ()  # each a PIN020 message
    notes: tuple[str, ...] = ()  # revision values that are not commit ids
    also: tuple[str, ...] = ()  # other commits whose tags point at the same digest (identical builds)

    @property
    def missing(self) -> bool:
        """No evidence at all and nothing contradicting: PIN021 when mapped."""
        return self.commit is None and not self.disagreements


def _show(value: str) -> str:
    value = value if len(value) <= 80 else value[:79] + "…"
    return repr(value)


def _agree(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


class _Found(NamedTuple):
    commit: str
    where: str  # "annotation" or "label"


class _Collector:
    def __init__(self, resolver: Resolver, image: ImageRef) -> None:
        self.resolver = resolver
        self.image = image
        self.disagreements: list[str] = []
        self.notes: list[str] = []

    def commitish(self, value: object, what: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        text = value.strip().lower()
        if _COMMITISH.match(text):
            return text
        self.notes.append(f"{what} {REVISION}={_show(value)} is not a commit id")
        return None

    def image_revision(self, manifest: Manifest, label: str) -> _Found | None:
        """An image manifest's revision: its annotation, else its config label;
        both are read, and must agree."""
        annotation = self.commitish(manifest.annotations.get(REVISION), f"{label}annotation")
        labels = self.resolver.labels(self.image, manifest.digest) if manifest.config is not None else {}
        from_label = self.commitish(labels.get(REVISION), f"{label}config label")
        if annotation and from_label and not _agree(annotation, from_label):
            self.disagreements.append(
                f"the {label}manifest annotation {REVISION} names commit {annotation} "
                f"but the {label}image config label names {from_label}"
            )
        if annotation:
            return _Found(annotation, "annotation")
        if from_label:
            return _Found(from_label, "label")
        return None

    def index_revision(self, index: Manifest) -> tuple[str | None, str]:
        annotation = self.commitish(index.annotations.get(REVISION), "index annotation")
        platforms: list[tuple[str, _Found]] = []
        for entry in index.manifests:
            if _is_attestation(entry):
                continue
            child = self.resolver.manifest(self.image, entry.digest)
            if child.is_index:
                continue  # a nested index is not a platform
            name = str(entry.platform) if entry.platform else entry.digest
            found = self.image_revision(child, f"{name} ")
            if found:
                platforms.append((name, found))
        if annotation:
            for name, found in platforms:
                if not _agree(annotation, found.commit):
                    self.disagreements.append(
                        f"the index annotation {REVISION} names commit {annotation} "
                        f"but the {name} manifest's {found.where} names {found.commit}"
                    )
            return annotation, "index annotation"
        if not platforms:
            return None, ""
        distinct = _distinct([f.commit for _, f in platforms])
        if len(distinct) > 1:
            listed = ", ".join(f"{name} {f.commit} ({f.where})" for name, f in platforms)
            self.disagreements.append(f"the platform manifests of the index name different commits: {listed}")
            return None, ""
        wheres = sorted({f.where for _, f in platforms})
        return distinct[0], f"platform manifests ({', '.join(wheres)})"

    def points_at(self, tag: str, digest: str) -> tuple[bool, str | None]:
        """Whether ``tag`` names ``digest`` (or an index holding it); the digest
        it names, None when the registry has no such tag."""
        try:
            info = self.resolver.resolve_tag(self.image, tag)
        except NotFound:
            return False, None
        if info.digest == digest:
            return True, info.digest
        if info.is_index and self.resolver.manifest(self.image, info.digest).child(digest) is not None:
            return True, info.digest
        return False, info.digest


def _distinct(commits: list[str]) -> list[str]:
    """Commits that do not agree with one another (a prefix agrees with its full id);
    the longest spelling of each."""
    out: list[str] = []
    for commit in sorted(commits, key=len, reverse=True):
        if not any(_agree(commit, kept) for kept in out):
            out.append(commit)
    return out


def _is_attestation(entry: Descriptor) -> bool:
    """buildx's provenance/SBOM manifests in an index: ``unknown/unknown``."""
    if entry.annotations.get("vnd.docker.reference.type") == "attestation-manifest":
        return True
    return entry.platform is not None and entry.platform.os == "unknown" and entry.platform.architecture == "unknown"


def build_commit(
    resolver: Resolver, image: ImageRef, digest: str | None = None, *, tag_template: str = DEFAULT_TEMPLATE
) -> Evidence:
    """The build-commit evidence of ``image`` pinned at ``digest`` (default:
    the reference's own digest).  See the module documentation for the order
    and the cross-checks.  ``ValueError`` when there is no digest."""
    digest = digest or image.digest
    if not digest:
        raise ValueError(f"{image.text} is not pinned to a digest")
    c = _Collector(resolver, image)
    manifest = resolver.manifest(image, digest)
    commit: str | None
    if manifest.is_index:
        commit, source = c.index_revision(manifest)
    else:
        found = c.image_revision(manifest, "")
        commit = found.commit if found else None
        source = "" if found is None else "manifest annotation" if found.where == "annotation" else "config label"

    own_tag = image.tag
    own_commit = parse_tag(tag_template, own_tag) if own_tag else None
    also: tuple[str, ...] = ()
    if commit is not None:
        if own_tag and own_commit and not _agree(own_commit, commit):
            c.disagreements.append(
                f"the reference's tag {own_tag} names commit {own_commit} but the image's {source} names {commit}"
            )
        fields_fit = "{sha}" not in tag_template or _FULL.match(commit)
        if fields_fit and ("{sha}" in tag_template or "{short}" in tag_template):
            expected = render_tag(tag_template, commit)
            if expected != own_tag:
                ok, named = c.points_at(expected, digest)
                if not ok and named is not None:
                    c.disagreements.append(
                        f"the registry's tag {expected} for the image's revision {commit} "
                        f"points at {named}, not at the pinned {digest}"
                    )
    elif not c.disagreements:
        if own_tag and own_commit and c.points_at(own_tag, digest)[0]:
            commit, source = own_commit, f"tag {own_tag}"
        elif "{sha}" in tag_template or "{short}" in tag_template:
            by_tag: dict[str, str] = {}
            for tag in sorted(resolver.tags_pointing_at(image, digest, tag_glob(tag_template))):
                parsed = parse_tag(tag_template, tag)
                if parsed is not None and parsed not in by_tag:
                    by_tag[parsed] = tag
            if by_tag:
                first = next(iter(by_tag))
                commit, source = first, f"tag {by_tag[first]}"
                also = tuple(k for k in by_tag if k != first)
    return Evidence(commit, source, tuple(c.disagreements), tuple(c.notes), also)
