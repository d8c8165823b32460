"""pinlint's registry layer (SPEC §7), built on oras-py.

``Resolver`` is the resolution API (tag -> digest, digest -> existence,
manifest, index, config, labels, tags); ``verify`` judges pinned references
for the registry check.  See ``resolver.py`` for the API in one screen.
"""
from __future__ import annotations

from pinlint.registry.errors import NotAllowed, NotFound, RegistryError, Unavailable
from pinlint.registry.manifests import Descriptor, Manifest, Platform
from pinlint.registry.resolver import Resolver, TagInfo
from pinlint.registry.settings import Settings, from_config

__all__ = [
    "Descriptor",
    "Manifest",
    "NotAllowed",
    "NotFound",
    "Platform",
    "RegistryError",
    "Resolver",
    "Settings",
    "TagInfo",
    "Unavailable",
    "from_config",
]
