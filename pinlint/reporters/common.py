"""Small pieces the reporters share: counting phrases and skipped-check lines."""
from __future__ import annotations

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
