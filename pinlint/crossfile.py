"""What a file's references take from other files of the repository.

Two facts live outside the file that holds the reference:

* a split Helm map with an empty (or null) ``tag`` renders the chart's
  ``appVersion``, read from the ``Chart.yaml`` beside the values file;
* an Azure Pipelines job's ``container: linux_x64`` is the alias of a
  container resource that a template in another file declares.

Locators mark such references (``helm_values.APP_VERSION_TAG``,
``azure_pipelines.ALIAS_CANDIDATE``); after the scan, ``gather`` reads what
they need through the run's ``Tree`` (bounded in size, with the scan's YAML
limits; a file that cannot be read or parsed contributes nothing) and
``apply`` rewrites the marked references.  ``apply`` also runs inside
``scan.scan_bytes`` with the facts kept in ``ScanSettings.cross``, so the
fixer's re-reading of an edited file locates what the run located.

Nothing is read unless a marked reference needs it: a run without such
references costs nothing.  Aliases are collected from every Azure Pipelines
file of the repository, also when only one file was named (pre-commit), the
way ``includes`` reads the root ``.gitlab-ci.yml``: the repository is walked
for them only then, and only when a job names a container the way an alias
is written.
"""
from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from pinlint.formats import azure_pipelines, helm_values
from pinlint.model import LocatedRef, ScannedFile
from pinlint.sourcetext import DecodeError, SourceText
from pinlint.tree import Tree
from pinlint.yamldoc import Limits, YamlError, YMap, YStr, is_null, iter_documents

# An appVersion is a version string; a longer one is not used (as if absent).
MAX_APP_VERSION = 128
# A Chart.yaml is a few KB; one larger than this is not read for its appVersion.
MAX_CHART_BYTES = 256 * 1024

_NO_VERSIONS: Mapping[str, str] = MappingProxyType({})


class CrossFile(NamedTuple):
    """``app_versions``: chart folder -> ``appVersion`` (only charts that have
    one); ``azure_aliases``: every container alias the repository declares."""

    app_versions: Mapping[str, str] = _NO_VERSIONS
    azure_aliases: frozenset[str] = frozenset()


def gather(
    tree: Tree, scanned: Sequence[ScannedFile], azure_files: Callable[[], Iterable[str]], max_size: int,
    limits: Limits,
) -> CrossFile:
    charts = sorted({posixpath.dirname(r.path) for r in _marked(scanned, helm_values.APP_VERSION_TAG)})
    versions = {d: v for d in charts if (v := _app_version(tree, d, limits))}
    aliases: set[str] = set()
    if any(True for _ in _marked(scanned, azure_pipelines.ALIAS_CANDIDATE)):
        for relpath in azure_files():
            aliases |= _aliases(tree, relpath, max_size, limits)
    return CrossFile(MappingProxyType(versions) if versions else _NO_VERSIONS, frozenset(aliases))


def _marked(scanned: Sequence[ScannedFile], marker: str) -> Iterable[LocatedRef]:
    return (r for f in scanned for r in f.refs if r.field(marker) is not None)


def apply(refs: Sequence[LocatedRef], cross: CrossFile) -> tuple[LocatedRef, ...]:
    """``refs`` with the facts of other files applied: empty Helm tags given
    their chart's appVersion, Azure aliases declared elsewhere dropped."""
    out = []
    for ref in refs:
        if cross.app_versions and ref.field(helm_values.APP_VERSION_TAG) is not None:
            chart = posixpath.dirname(ref.path)
            version = cross.app_versions.get(chart)
            if version is not None:
                ref = helm_values.with_app_version(ref, version, posixpath.join(chart, "Chart.yaml"))
        elif ref.text in cross.azure_aliases and ref.field(azure_pipelines.ALIAS_CANDIDATE) is not None:
            continue
        out.append(ref)
    return tuple(out)


def apply_all(scanned: Sequence[ScannedFile], cross: CrossFile) -> list[ScannedFile]:
    if not cross.app_versions and not cross.azure_aliases:
        return list(scanned)
    return [f._replace(refs=apply(f.refs, cross)) if f.refs else f for f in scanned]


def _load(tree: Tree, relpath: str, max_size: int, limits: Limits, needle: bytes) -> list[object]:
    """The documents of one file read through ``tree``; none when it cannot be
    read or parsed, or its bytes do not hold ``needle``."""
    try:
        data = tree.read(relpath, max_size)
        if data is None or needle not in data:
            return []
        return list(iter_documents(SourceText.from_bytes(data).text, limits))
    except (OSError, ValueError, DecodeError, YamlError):
        return []


def _app_version(tree: Tree, chart: str, limits: Limits) -> str | None:
    docs = _load(tree, posixpath.join(chart, "Chart.yaml"), MAX_CHART_BYTES, limits, b"appVersion")
    doc = docs[0] if docs else None
    value = doc.get("appVersion") if isinstance(doc, YMap) else None
    if isinstance(value, YStr) and not is_null(value) and 0 < len(value.strip()) <= MAX_APP_VERSION:
        return str(value).strip()
    return None  # absent, empty, or too long to be a version (it would be copied into every reference)


def _aliases(tree: Tree, relpath: str, max_size: int, limits: Limits) -> set[str]:
    out: set[str] = set()
    for doc in _load(tree, relpath, max_size, limits, b"containers"):
        out |= azure_pipelines.declared_aliases(doc)
    return out
