"""Inline suppressions: ``# pinlint: ignore[PIN001,mutable-tag] reason until=2027-03-31``.

A comment covers its own line and the line below, so it works both as a
trailing comment and on the line above a reference.  Without brackets it
covers every rule.  After ``until`` it no longer suppresses, and the finding
says the suppression expired.
"""
from __future__ import annotations

import datetime
import re

from pinlint.model import Finding, Suppression
from pinlint.sourcetext import SourceText

_COMMENT = re.compile(r"#\s*pinlint:\s*ignore(?:\[(?P<rules>[^\]]*)\])?(?P<rest>[^\n]*)")
_UNTIL = re.compile(r"\buntil=(\d{4}-\d{2}-\d{2})\b")


def parse(path: str, source: SourceText) -> tuple[Suppression, ...]:
    text = source.text
    if "pinlint:" not in text:
        return ()
    found = []
    for m in _COMMENT.finditer(text):
        line, column = source.position(m.start())
        rules = tuple(r.strip() for r in (m["rules"] or "").split(",") if r.strip())
        until = _UNTIL.search(m["rest"])
        found.append(Suppression(path, line, column, rules, until[1] if until else None, (line, line + 1)))
    return tuple(found)


def applies(s: Suppression, finding: Finding) -> bool:
    if finding.path != s.path or finding.line not in s.covers:
        return False
    return not s.rules or finding.rule in s.rules or finding.name in s.rules


def expired(s: Suppression, today: datetime.date) -> bool:
    if s.until is None:
        return False
    try:
        return datetime.date.fromisoformat(s.until) < today
    except ValueError:
        return True  # an unreadable date never silences anything
