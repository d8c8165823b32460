"""OCI / Docker manifests and indexes as plain data.

Parsing is strict about shape (a registry that answers garbage gets a clear
error, not a traceback) and lenient about optional fields.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from pinlint.registry.orasadapter import DOCKER_LIST as DOCKER_LIST
from pinlint.registry.orasadapter import DOCKER_MANIFEST as DOCKER_MANIFEST
from pinlint.registry.orasadapter import MANIFEST_TYPES
from pinlint.registry.orasadapter import OCI_INDEX as OCI_INDEX
from pinlint.registry.orasadapter import OCI_MANIFEST as OCI_MANIFEST

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
ACCEPT = ", ".join(MANIFEST_TYPES)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # the distribution spec's recommended limit


class BadManifest(ValueError):
    """The bytes are not a manifest or index."""


class Platform(NamedTuple):
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


class Descriptor(NamedTuple):
    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: dict[str, Any] = {}


class Manifest(NamedTuple):
    """A manifest or an index.  ``manifests`` is non-empty only for an index;
    ``config`` is None for an index."""

    digest: str
    media_type: str
    annotations: dict[str, Any]
    config: Descriptor | None
    layers: tuple[Descriptor, ...]
    manifests: tuple[Descriptor, ...]

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    def child(self, digest: str) -> Descriptor | None:
        """The platform manifest with ``digest`` inside this index, if any."""
        for entry in self.manifests:
            if entry.digest == digest:
                return entry
        return None


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def matches_digest(data: bytes, digest: str) -> bool:
    algorithm = digest.split(":", 1)[0]
    if algorithm not in ("sha256", "sha512"):
        return False
    return digest_of(data, algorithm) == digest


def _descriptor(raw: Any) -> Descriptor:
    if not isinstance(raw, dict) or not isinstance(raw.get("digest"), str):
        raise BadManifest("descriptor without a digest")
    platform = None
    p = raw.get("platform")
    if isinstance(p, dict):
        platform = Platform(str(p.get("os", "")), str(p.get("architecture", "")), str(p.get("variant", "") or ""))
    annotations = raw.get("annotations")
    size = raw.get("size", 0)
    return Descriptor(
        str(raw.get("mediaType", "")),
        raw["digest"],
        size if isinstance(size, int) else 0,
        platform,
        annotations if isinstance(annotations, dict) else {},
    )


def parse(digest: str, body: bytes, content_type: str | None = None) -> Manifest:
    """Parse manifest bytes fetched for ``digest``."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadManifest(f"not JSON ({e.__class__.__name__})") from None
    if not isinstance(doc, dict):
        raise BadManifest("not a JSON object")
    media_type = doc.get("mediaType")
    if not isinstance(media_type, str) or not media_type:
        media_type = (content_type or "").split(";", 1)[0].strip()
    if not media_type or media_type in ("application/json", "application/octet-stream"):
        media_type = OCI_INDEX if "manifests" in doc else OCI_MANIFEST
    if "manifests" in doc and "layers" in doc:
        raise BadManifest("ambiguous document with both 'manifests' and 'layers'")
    annotations = doc.get("annotations")
    manifests_raw = doc.get("manifests") or []
    layers_raw = doc.get("layers") or []
    if not isinstance(manifests_raw, list) or not isinstance(layers_raw, list):
        raise BadManifest("'manifests' or 'layers' is not a list")
    has_config = media_type not in INDEX_TYPES and "config" in doc
    config = _descriptor(doc["config"]) if has_config else None
    return Manifest(
        digest,
        media_type,
        annotations if isinstance(annotations, dict) else {},
        config,
        tuple(_descriptor(x) for x in layers_raw),
        tuple(_descriptor(x) for x in manifests_raw),
    )
