"""Writing fixes: the findings' byte edits applied to their files (SPEC §8).

For each file with fixable findings, after every reference of the run has
been resolved:

1. the file is read again; if its bytes no longer hash to what was scanned,
   it is left alone (it changed meanwhile) and its findings say so;
2. the edits of all its findings are applied together (one fix per
   reference; overlapping edits are refused);
3. the result is located again with the same locators and must hold the
   same references in the same order, each fixed one reading as planned and
   pinned, every other one unchanged; otherwise nothing is written;
4. it is written once, through the atomic writer (mode kept, never through a
   symlink out of the repository) — or, with ``--diff``, only described.

Which findings are fixed: PIN001 and PIN002 always; PIN011 and PIN013 with
``--refresh``.  A finding that cannot be fixed stays in the report with the
reason; the other references of its file are still fixed.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Sequence
from typing import NamedTuple

from pinlint.discovery import Candidate
from pinlint.errors import PinlintError
from pinlint.model import Change, Edit, Finding, LocatedRef, ScannedFile, apply_edits
from pinlint.reference import ImageRef, Placeholder
from pinlint.scan import ScanSettings, scan_bytes

ALWAYS = frozenset(("PIN001", "PIN002"))
WITH_REFRESH = frozenset(("PIN011", "PIN013"))


class FixResult(NamedTuple):
    findings: tuple[Finding, ...]  # what remains: unfixed findings, with reasons added
    changes: tuple[Change, ...]  # what was (or, with --diff, would be) rewritten
    diff: str  # unified diff of every file, for --diff


def fixable(finding: Finding, refresh: bool) -> bool:
    return bool(finding.edits) and (finding.rule in ALWAYS or (refresh and finding.rule in WITH_REFRESH))


def apply(
    findings: Sequence[Finding],
    scanned: Sequence[ScannedFile],
    root: str,
    settings: ScanSettings,
    k8s_keywords: tuple[str, ...],
    *,
    refresh: bool = False,
    write: bool = True,
) -> FixResult:
    by_path = {f.path: f for f in scanned}
    chosen: dict[str, list[Finding]] = {}
    for f in findings:
        if fixable(f, refresh):
            chosen.setdefault(f.path, []).append(f)
    fixed: set[Finding] = set()
    notes: dict[Finding, str] = {}
    changes: list[Change] = []
    diffs: list[str] = []
    for path in sorted(chosen):
        outcome = _fix_file(path, chosen[path], by_path.get(path), root, settings, k8s_keywords, write)
        if isinstance(outcome, str):
            for f in chosen[path]:
                notes[f] = outcome
            continue
        done, file_changes, diff, skipped = outcome
        fixed.update(done)
        notes.update(skipped)
        changes.extend(file_changes)
        diffs.append(diff)
    # A finding about a reference that was rewritten judged the old text
    # (a PIN010 about the digest a refresh replaced): it goes with the fix.
    rewritten = {(f.path, f.ref.span.start) for f in fixed if f.ref is not None}
    remaining = tuple(
        f._replace(message=f"{f.message} (not fixed: {notes[f]})") if f in notes else f
        for f in findings
        if f not in fixed and (f.ref is None or (f.path, f.ref.span.start) not in rewritten)
    )
    return FixResult(remaining, tuple(changes), "".join(diffs))


def _fix_file(
    path: str,
    findings: list[Finding],
    scanned: ScannedFile | None,
    root: str,
    settings: ScanSettings,
    k8s_keywords: tuple[str, ...],
    write: bool,
) -> str | tuple[list[Finding], list[Change], str, dict[Finding, str]]:
    """The file fixed, or why it was left alone."""
    if scanned is None or not scanned.sha256 or scanned.kind is None:
        return "the file was not scanned"
    abspath = os.path.join(root, *path.split("/"))
    try:
        with open(abspath, "rb") as fh:
            before = fh.read(settings.max_size + 1)
    except OSError as e:
        return f"cannot read it again: {e.strerror}"
    if hashlib.sha256(before).hexdigest() != scanned.sha256:
        return "the file changed after it was scanned"
    edits: list[Edit] = []
    taken: list[Finding] = []
    skipped: dict[Finding, str] = {}
    seen_refs: set[tuple[int, int]] = set()
    for f in sorted(findings, key=lambda f: (f.rule not in ALWAYS, f.line, f.column)):
        assert f.ref is not None
        key = (f.ref.span.start, f.ref.span.end)
        if key in seen_refs:
            continue  # one fix per reference: PIN001/PIN002 first, then a refresh
        new = [mine for mine in f.edits if mine not in edits]  # one ARG default shared by two FROMs
        if any(_overlaps(e, mine) for e in edits for mine in new):
            skipped[f] = "its edit overlaps another fix in the same file"
            continue
        seen_refs.add(key)
        edits.extend(new)
        taken.append(f)
    if not taken:
        return [], [], "", skipped
    after = apply_edits(before, edits)
    problem = _verify(path, scanned, after, taken, root, settings, k8s_keywords)
    if problem is not None:
        return f"the edited file would not read as planned ({problem}); nothing was written"
    if write:
        from pinlint.atomicwrite import write_bytes

        try:
            write_bytes(abspath, after, root=root)
        except PinlintError as e:
            return str(e)
    changes = [_change(f) for f in taken]
    return taken, changes, _diff(path, before, after), skipped


def _overlaps(a: Edit, b: Edit) -> bool:
    """Whether two edits touch the same bytes; an insertion also collides with
    another edit at its own point (their order would be undefined)."""
    return (a.start < b.end and b.start < a.end) or a.start == b.start


def _verify(
    path: str,
    scanned: ScannedFile,
    after: bytes,
    taken: list[Finding],
    root: str,
    settings: ScanSettings,
    k8s_keywords: tuple[str, ...],
) -> str | None:
    assert scanned.kind is not None
    candidate = Candidate(path, os.path.join(root, path), scanned.kind)
    again = scan_bytes(candidate, after, settings, k8s_keywords)
    if again.problems:
        return again.problems[0].message
    if len(again.refs) != len(scanned.refs):
        return f"{len(again.refs)} references instead of {len(scanned.refs)}"
    planned = {(f.ref.span.start, f.ref.text): f.fix for f in taken if f.ref is not None}
    for old, new in zip(scanned.refs, again.refs, strict=True):
        want = planned.get((old.span.start, old.text))
        if want is None:
            if new.text != old.text:
                return f"{old.text} became {new.text}"
        elif new.text != want or not new.pinned:
            return f"{old.text} reads {new.text}, not {want}"
    return None


def _digest(ref: LocatedRef | None) -> str | None:
    parsed = ref.parsed if ref is not None else None
    return parsed.digest if isinstance(parsed, ImageRef) else None


def _change(f: Finding) -> Change:
    assert f.ref is not None and f.fix is not None
    old_digest = None if isinstance(f.ref.parsed, Placeholder) else _digest(f.ref)
    new_digest = f.fix.rpartition("@")[2] or None
    return Change(f.path, f.line, f.column, f.ref.text, f.fix, f.rule, old_digest, new_digest)


# Control characters other than tab and line ends (terminal escapes among
# them) are shown as \xNN: the diff prints file content a pull request wrote.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _inert(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def _diff(path: str, before: bytes, after: bytes) -> str:
    old = before.decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    name = _inert(path)
    lines = difflib.unified_diff(old, new, f"a/{name}", f"b/{name}")
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        shown = _inert(body) + ("\n" if ending else "\n\\ No newline at end of file\n")
        out.append(shown)
    return "".join(out)
