"""Small pieces the reporters share: counting phrases, skipped-check lines,
digest extraction."""
from __future__ import annotations

from pinlint import reference
from pinlint.model import Report, Summary

# What a rule's ``needs`` means when its check is skipped.
_SKIP_REASONS = {
    "registry": "registry checks skipped (--offline)",
    "git": "git checks skipped",
}


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def counts_phrase(summary: Summary) -> str:
    """``2 errors, 1 warning``."""
    return f"{plural(summary.errors, 'error')}, {plural(summary.warnings, 'warning')}"


def scope_phrase(summary: Summary) -> str:
    """``3 files, 10 references``."""
    return f"{plural(summary.files, 'file')}, {plural(summary.refs, 'reference')}"


def skipped_lines(report: Report) -> list[str]:
    """One line per kind of skipped check: ``registry checks skipped (--offline): PIN010, PIN011``."""
    needs = {rule.id: rule.needs for rule in report.rules}
    groups: dict[str, list[str]] = {}
    for rule_id in report.summary.skipped_checks:
        label = _SKIP_REASONS.get(needs.get(rule_id, ""), "checks skipped")
        groups.setdefault(label, []).append(rule_id)
    return [f"{label}: {', '.join(ids)}" for label, ids in groups.items()]


def digest_of(text: str) -> str | None:
    """The ``sha256:…`` digest written in a reference, or None."""
    parsed = reference.parse(text)
    if isinstance(parsed, reference.ImageRef):
        return parsed.digest
    if isinstance(parsed, reference.Placeholder):
        return None
    _, sep, digest = text.rpartition("@")
    return digest if sep and digest.startswith("sha") else None


def without_digest(text: str) -> str:
    """``name:tag@sha256:…`` -> ``name:tag``; a placeholder keeps its text."""
    if isinstance(reference.parse(text), reference.Placeholder):
        return text
    name, sep, digest = text.rpartition("@")
    return name if sep and digest.startswith("sha") else text
