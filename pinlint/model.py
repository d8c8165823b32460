"""The values that flow through pinlint: files -> located references -> findings.

Everything here is an immutable NamedTuple so results can cross process
boundaries (the scanner runs on every core) and be compared in tests.
"""
from __future__ import annotations

from typing import NamedTuple

from pinlint.reference import ImageRef, Parsed, Templated, parse


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


class Edit(NamedTuple):
    """Replace the file bytes ``[start, end)`` with ``replacement`` (UTF-8).

    An insertion has ``start == end``.  Offsets are into the file as stored
    (a BOM included), like ``Span``; edits of one fix never overlap.
    """

    start: int
    end: int
    replacement: str


def apply_edits(data: bytes, edits: tuple[Edit, ...] | list[Edit]) -> bytes:
    """``data`` with every edit applied (offsets refer to the original bytes)."""
    out = []
    at = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < at or edit.end < edit.start or edit.end > len(data):
            raise ValueError(f"overlapping or out-of-range edit {edit}")
        out.append(data[at : edit.start])
        out.append(edit.replacement.encode("utf-8"))
        at = edit.end
    out.append(data[at:])
    return b"".join(out)


class _LocatedRefFields(NamedTuple):
    path: str
    kind: str
    text: str
    span: Span
    exact: bool = True
    templated: bool = False
    fields: tuple[tuple[str, Span], ...] = ()
    where: str = ""
    parsed: Parsed | None = None
    object: str = ""  # the object it sits in: "Deployment/web container app", "service db"
    built: bool = False  # an image the repository builds itself: listed, never judged
    tag_from: str = ""  # the file the tag was read from (a Helm chart's appVersion), when not this one


class LocatedRef(_LocatedRefFields):
    """One image reference found in a file.

    ``text`` is the reference as it reads after assembly (a Kustomize entry or
    a split Helm map is joined into one string, a Dockerfile ARG is
    substituted).  ``span`` covers the characters that name it in the file;
    ``exact`` says whether ``file[span] == text`` so a fix may replace the
    span directly.  ``fields`` gives the span of every field an assembled
    reference was built from (``("tag", span)``, ``("arg-default", span)``)
    and the insertion points a fix may use (``("digest-insert", span)``);
    ``formats.edits`` turns them into ``Edit``s.  ``where`` is the key path
    of the reference inside its document.

    ``object`` names what it sits in (``formats.objects``).

    ``built`` marks an image the repository builds itself (a compose service
    with ``build:``, a skaffold artifact): it is listed in the inventory and
    never judged.  ``tag_from`` names the file a tag not written in this one
    came from (a split Helm map's empty ``tag`` is its chart's ``appVersion``,
    read from the ``Chart.yaml`` beside it).

    ``parsed`` is ``reference.parse(text)``, computed once when the reference
    is located (pass it to skip that); ``templated`` is also true whenever the
    text parses as a template expression.  Nothing downstream parses the text
    again: use ``parsed``, ``image`` and ``pinned``.
    """

    __slots__ = ()

    def __new__(
        cls,
        path: str,
        kind: str,
        text: str,
        span: Span,
        exact: bool = True,
        templated: bool = False,
        fields: tuple[tuple[str, Span], ...] = (),
        where: str = "",
        parsed: Parsed | None = None,
        object: str = "",
        built: bool = False,
        tag_from: str = "",
    ) -> LocatedRef:
        if parsed is None:
            parsed = parse(text)
            text = parsed.text  # the same string (``parse`` shares results): pickled once
        templated = templated or isinstance(parsed, Templated)
        return super().__new__(cls, path, kind, text, span, exact, templated, fields, where, parsed, object,
                               built, tag_from)

    @property
    def image(self) -> ImageRef | None:
        """The parsed reference when it is a valid, non-templated image reference."""
        parsed = self.parsed
        return parsed if isinstance(parsed, ImageRef) and not self.templated else None

    @property
    def pinned(self) -> bool:
        image = self.image
        return image is not None and image.pinned

    def field(self, name: str) -> Span | None:
        for key, span in self.fields:
            if key == name:
                return span
        return None


class Finding(NamedTuple):
    """A rule's verdict on one reference (``ref`` set) or one file (``ref`` None).

    ``fix`` is the reference as it reads after ``edits`` are applied: what
    ``--fix`` would write, shown in reports (JSON ``fix``, SARIF ``fixes``).
    """

    rule: str
    name: str
    severity: str  # "error" | "warning"
    path: str
    line: int
    column: int
    message: str
    ref: LocatedRef | None = None
    fix: str | None = None
    edits: tuple[Edit, ...] = ()
    source_line: str = ""  # the text of the finding's line (text reports show it with a caret)

    @property
    def object(self) -> str:
        return self.ref.object if self.ref is not None else ""

    @property
    def span(self) -> Span | None:
        return self.ref.span if self.ref is not None else None

    @property
    def ref_text(self) -> str | None:
        return self.ref.text if self.ref is not None else None


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
    """What the scanner learned about one file.

    ``sha256`` is the hash of the bytes that were read, so a writer can tell
    the file changed since; it is computed only when the scan is asked for it
    (``ScanSettings.digests``: ``--fix`` does) and is empty otherwise, and
    when the file could not be read.
    """

    path: str
    kind: str | None
    refs: tuple[LocatedRef, ...]
    problems: tuple[FileProblem, ...]
    suppressions: tuple[Suppression, ...]
    sha256: str = ""


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
    suppressed: int = 0  # findings hidden by inline suppressions (text reports say so)


class Change(NamedTuple):
    """One reference rewritten by ``--fix`` (what the markdown report lists).
    ``old_digest``/``new_digest`` are the digests before and after (None:
    there was none), so reporters only format."""

    path: str
    line: int
    column: int
    old: str
    new: str
    rule: str  # the finding the change fixed: PIN001, PIN002, PIN011, PIN013
    old_digest: str | None = None
    new_digest: str | None = None


class Report(NamedTuple):
    """Everything a reporter renders.  ``findings`` are sorted by path, line,
    column; ``rules`` holds every known rule (SARIF lists them)."""

    findings: tuple[Finding, ...]
    refs: tuple[LocatedRef, ...]
    summary: Summary
    rules: tuple[RuleInfo, ...]
    root: str = "."
    changes: tuple[Change, ...] = ()
