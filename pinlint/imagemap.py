"""``images[]`` of ``.pinlint.yaml``: which repository images are built from
which source paths of this repository (SPEC §5).

    mapping = find(mappings, ref.name)          # ref.name: "ghcr.io/acme/web"
    render_tag(mapping.tag_template, sha)       # "git-<sha>"
    parse_tag(mapping.tag_template, ref.tag)    # the commit a tag of that form names

Patterns are matched against the normalized name, host included: ``*`` and
``?`` stay within one path component, ``**`` crosses ``/`` (``**/web``,
``ghcr.io/acme/**``).  A pattern whose first component is not a host (no
``.`` or ``:``, not ``localhost``, no glob) is normalized the way a reference
is, so ``nginx`` means ``docker.io/library/nginx`` and ``acme/*`` means
``docker.io/acme/*``.  Matching ignores case (hosts are case-insensitive and
repository names are lowercase anyway).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import NamedTuple

DEFAULT_TEMPLATE = "git-{sha}"
SHORT_LEN = 7
_FIELD = re.compile(r"\{(sha|short)\}")


class ImageMapping(NamedTuple):
    repository: str  # glob on the normalized name, host included (* within a component, ** across /)
    source: tuple[str, ...] = ()  # paths in this repository, "/"-separated
    tag_template: str = "git-{sha}"  # {sha} full commit, {short} a 7+ character prefix
    require_provenance: bool = False


def normalize_pattern(pattern: str) -> str:
    """The pattern with the default registry (and ``library/``) filled in, as
    ``reference`` does for names; a pattern starting with a host or a glob is
    left as written."""
    parts = pattern.split("/")
    first = parts[0]
    if any(c in first for c in "*?") or "." in first or ":" in first or first == "localhost":
        return pattern
    if len(parts) == 1:
        return f"docker.io/library/{pattern}"
    return f"docker.io/{pattern}"


@functools.lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    pattern = normalize_pattern(pattern)
    out = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**", i):
            j = i + 2
            at_start = i == 0 or pattern[i - 1] == "/"
            if at_start and pattern.startswith("/", j):
                out.append("(?:.*/)?")  # "**/" : zero or more whole components
                j += 1
            else:
                out.append(".*")
            i = j
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def match(pattern: str, normalized_name: str) -> bool:
    """Whether the normalized image name (``registry/repository``, no tag or
    digest) matches the ``repository`` glob of a mapping."""
    return _compile(pattern).fullmatch(normalized_name) is not None


def find(mappings: Iterable[ImageMapping], image_name: str) -> ImageMapping | None:
    """The mapping for a normalized image name: the FIRST one in configuration
    order whose pattern matches (so list specific patterns before catch-alls),
    or None when the image is not built from this repository."""
    for mapping in mappings:
        if match(mapping.repository, image_name):
            return mapping
    return None


def render_tag(template: str, sha: str) -> str:
    """The tag a build of commit ``sha`` gets: ``{sha}`` is the full commit id,
    ``{short}`` its first 7 characters (docker/metadata-action's ``sha-<short>``)."""
    return _FIELD.sub(lambda m: sha if m[1] == "sha" else sha[:SHORT_LEN], template)


def tag_glob(template: str) -> str:
    """An ``fnmatch`` glob for the tags of this template's form (``git-*``),
    to list candidate tags; ``parse_tag`` decides."""
    return _FIELD.sub("*", template)


@functools.lru_cache(maxsize=256)
def _tag_re(template: str) -> re.Pattern[str] | None:
    if not _FIELD.search(template):
        return None
    out: list[str] = []
    pos = 0
    seen: set[str] = set()
    for m in _FIELD.finditer(template):
        out.append(re.escape(template[pos : m.start()]))
        field = m[1]
        if field in seen:
            out.append(f"(?P={field})")
        else:
            seen.add(field)
            hexes = "[0-9a-f]{40}|[0-9a-f]{64}" if field == "sha" else "[0-9a-f]{7,40}"
            out.append(f"(?P<{field}>{hexes})")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out))


def parse_tag(template: str, tag: str) -> str | None:
    """The commit a tag of the template's form names: the full id (40 or 64
    lowercase hex) for ``{sha}``, a 7-40 character prefix for ``{short}``
    (to be resolved to exactly one commit); None when the tag is not of that
    form, or the template has neither field.  With both fields, the short one
    must be a prefix of the full one."""
    pattern = _tag_re(template)
    m = pattern.fullmatch(tag) if pattern else None
    if m is None:
        return None
    found = m.groupdict()
    sha, short = found.get("sha"), found.get("short")
    if sha is not None:
        return sha if short is None or sha.startswith(short) else None
    return short
