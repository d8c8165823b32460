"""The values that flow through pinlint: files -> located references -> findings.

Everything here is an immutable NamedTuple so results can cross process
boundaries (the scanner runs on every core) and be compared in tests.
"""
from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """Where a piece of text sits in the original file.

    ``start``/``end`` are byte offsets into the file as stored on disk (a BOM
    included), ``line``/``column`` are 1-based and count characters, the way
    editors and SARIF do.
    """

    start: int
    end: int
    line: int
    column: int


class LocatedRef(NamedTuple):
    """One image reference found in a file.

    ``text`` is the reference as it reads after assembly (a Kustomize entry or
    a split Helm map is joined into one string, a Dockerfile ARG is
    substituted).  ``span`` covers the characters that name it in the file;
    ``exact`` says whether ``file[span] == text`` so a fix may replace the
    span directly.  ``fields`` gives the span of every field an assembled
    reference was built from (``("tag", span)``, ``("arg-default", span)``),
    which is what fix mode edits when ``exact`` is false.
    """

    path: str
    kind: str
    text: str
    span: Span
    exact: bool = True
    templated: bool = False
    fields: tuple[tuple[str, Span], ...] = ()
    where: str = ""


class Finding(NamedTuple):
    rule: str
    name: str
    severity: str  # "error" | "warning"
    path: str
    line: int
    column: int
    message: str
    ref: str | None = None
    fix: str | None = None
    span: Span | None = None


class FileProblem(NamedTuple):
    """A file that could not be read (PIN901) or parsed (PIN900)."""

    rule: str
    path: str
    message: str
    line: int = 1
    column: int = 1


class Suppression(NamedTuple):
    """An inline ``# pinlint: ignore[...]`` comment."""

    path: str
    line: int  # the line the comment is on
    column: int
    rules: tuple[str, ...]  # ids or names; empty means every rule
    until: str | None  # ISO date after which it stops suppressing
    covers: tuple[int, ...]  # the lines it applies to


class ScannedFile(NamedTuple):
    """What the scanner learned about one file."""

    path: str
    kind: str | None
    refs: tuple[LocatedRef, ...]
    problems: tuple[FileProblem, ...]
    suppressions: tuple[Suppression, ...]


class RuleInfo(NamedTuple):
    """A rule's metadata, loaded from ``rules/<ID>-<name>.yaml``."""

    id: str
    name: str
    severity: str  # default severity: "error" | "warning" | "off"
    enabled_severity: str  # the severity it takes when selected while off by default
    needs: str  # "offline" | "registry" | "git" | "file"
    fix: str  # "yes" | "no" | "refresh"
    summary: str
    rationale: str
    remediation: str


class Summary(NamedTuple):
    files: int
    refs: int
    errors: int
    warnings: int
    skipped_checks: tuple[str, ...] = ()
    fixed: int | None = None  # set only by --fix


class Change(NamedTuple):
    """One reference rewritten by ``--fix`` (what the markdown report lists)."""

    path: str
    line: int
    column: int
    old: str
    new: str
    rule: str  # the finding the change fixed: PIN001, PIN002, PIN011, PIN013


class Report(NamedTuple):
    """Everything a reporter renders.  ``findings`` are sorted by path, line,
    column; ``rules`` holds every known rule (SARIF lists them)."""

    findings: tuple[Finding, ...]
    refs: tuple[LocatedRef, ...]
    summary: Summary
    rules: tuple[RuleInfo, ...]
    root: str = "."
    changes: tuple[Change, ...] = ()
