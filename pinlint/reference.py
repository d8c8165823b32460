"""Image references: the distribution reference grammar, normalization,
``@git:REV`` placeholders and template expressions (SPEC §3).

``parse(text)`` never raises: it returns an ``ImageRef``, a ``Placeholder``,
a ``Templated`` or an ``Invalid`` naming what is wrong, so callers can turn
each outcome into the right rule without exception handling.
"""
from __future__ import annotations

import re
from typing import NamedTuple

DEFAULT_REGISTRY = "docker.io"
_LEGACY_REGISTRIES = {"index.docker.io", "registry-1.docker.io"}

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_COMPONENT_RE = re.compile(rf"^{_COMPONENT}$")
_DOMAIN_RE = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]+)?$"
)
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST_HEX = {"sha256": 64, "sha512": 128}
_HEX_RE = re.compile(r"^[0-9a-f]+$")
_TEMPLATE_RE = re.compile(r"\{\{|\$\{|\$\(|\$\[|\$[A-Za-z_]")
_PLACEHOLDER_RE = re.compile(r"^(?P<name>[^@\s]+)@git:(?P<rev>\S*)$")
_MAX_NAME = 255


class ImageRef(NamedTuple):
    """A valid reference. ``registry`` and ``repository`` are normalized."""

    text: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        return self.digest is not None

    @property
    def name(self) -> str:
        """``registry/repository``, the normalized name without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def normalized(self) -> str:
        out = self.name
        if self.tag is not None:
            out += f":{self.tag}"
        elif self.digest is None:
            out += ":latest"
        if self.digest is not None:
            out += f"@{self.digest}"
        return out

    @property
    def effective_tag(self) -> str | None:
        """The tag a puller would use: the written one, or ``latest`` if neither tag nor digest."""
        if self.tag is None and self.digest is None:
            return "latest"
        return self.tag


class Placeholder(NamedTuple):
    """``name@git:REV``: the image built from REV, to be resolved by ``--fix``."""

    text: str
    name: str  # as written, e.g. ghcr.io/acme/app or app:ignored-tag
    rev: str
    image: ImageRef | None  # the name parsed, when it is valid


class Templated(NamedTuple):
    text: str


class Invalid(NamedTuple):
    text: str
    reason: str


Parsed = ImageRef | Placeholder | Templated | Invalid


def is_templated(text: str) -> bool:
    """Whether ``text`` holds a template or variable expression."""
    return bool(_TEMPLATE_RE.search(text))


def parse(text: str) -> Parsed:
    """Parse one reference as written in a manifest.  The same text gives the
    same (immutable) object: a repository names the same images again and
    again, and results then share it (fewer objects to move between processes)."""
    text = str(text)  # a YAML node's text: its position is not part of the result
    parsed = _PARSED.get(text)
    if parsed is None:
        parsed = _parse(text)
        if len(text) <= _CACHED_LENGTH:  # the cache stays small whatever a file holds
            if len(_PARSED) >= _CACHED_TEXTS:
                _PARSED.clear()
            _PARSED[text] = parsed
    return parsed


_PARSED: dict[str, Parsed] = {}
_CACHED_TEXTS = 4096
_CACHED_LENGTH = 600  # longer than any valid reference (name 255, tag 128, sha512 digest 135)


def _parse(text: str) -> Parsed:
    if is_templated(text):
        return Templated(text)
    m = _PLACEHOLDER_RE.match(text)
    if m:
        name = m["name"]
        rev = m["rev"]
        image = _parse_plain(name)
        if not rev:
            return Invalid(text, "placeholder has no revision after '@git:'")
        return Placeholder(text, name, rev, image if isinstance(image, ImageRef) else None)
    return _parse_plain(text)


def _parse_plain(text: str) -> ImageRef | Invalid:
    if not text:
        return Invalid(text, "empty reference")
    if text.split() != [text]:  # str.split and str.isspace agree on what whitespace is
        return Invalid(text, "reference contains whitespace")
    rest, digest = text, None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        problem = digest_problem(digest)
        if problem:
            return Invalid(text, problem)
    tag = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG_RE.match(tag):
            return Invalid(text, f"invalid tag {tag!r}")
    if not rest:
        return Invalid(text, "missing repository name")
    if len(rest) > _MAX_NAME:
        return Invalid(text, f"repository name longer than {_MAX_NAME} characters")
    parts = rest.split("/")
    registry = DEFAULT_REGISTRY
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts.pop(0)
        if not _DOMAIN_RE.match(registry):
            return Invalid(text, f"invalid registry host {registry!r}")
        if registry in _LEGACY_REGISTRIES:
            registry = DEFAULT_REGISTRY
    for part in parts:
        if not _COMPONENT_RE.match(part):
            if _COMPONENT_RE.match(part.lower()):
                return Invalid(text, f"repository name must be lowercase: {part!r}")
            return Invalid(text, f"invalid repository name component {part!r}")
    if registry == DEFAULT_REGISTRY and len(parts) == 1:
        parts.insert(0, "library")
    return ImageRef(text, registry, "/".join(parts), tag, digest)


def digest_problem(digest: str) -> str | None:
    """Why ``digest`` is not a valid ``sha256:``/``sha512:`` digest, or None."""
    algo, sep, hexpart = digest.partition(":")
    if not sep:
        return f"invalid digest {digest!r}: expected 'sha256:<64 hex>'"
    if algo not in _DIGEST_HEX:
        return f"unsupported digest algorithm {algo!r} (sha256 or sha512)"
    want = _DIGEST_HEX[algo]
    if not _HEX_RE.match(hexpart):
        if _HEX_RE.match(hexpart.lower()):
            return f"{algo} digest must be lowercase hex"
        return f"{algo} digest is not hexadecimal"
    if len(hexpart) != want:
        return f"{algo} digest has {len(hexpart)} hex characters, expected {want}"
    return None
