"""Inline suppressions: ``# pinlint: ignore[PIN001,mutable-tag] reason until=2027-03-31``.

A comment covers its own line and the line below, so it works both as a
trailing comment and on the line above a reference.  Only real comments
count: in YAML a ``#`` at the start of a line or after whitespace, outside
every scalar (a ``#`` inside a quoted or block scalar is data, which a
generator or an attacker may control); in a Dockerfile a line whose first
character other than whitespace is ``#`` (Docker has no trailing comments).  Without brackets it
covers every rule.  After ``until`` it no longer suppresses, and the finding
says the suppression expired.
"""
from __future__ import annotations

import bisect
import datetime
import re
from collections.abc import Iterable, Sequence

from pinlint.model import Finding, Suppression
from pinlint.sourcetext import SourceText

# Within one line: ``\s`` would let a bare ``#`` at the end of a line reach a
# ``pinlint: ignore`` key on the next.  After ``ignore`` (or its ``[…]``) comes
# whitespace or the end of the line: ``ignore-PIN021``, ``ignored`` or an
# unclosed ``ignore[PIN021`` are not read as "every rule".
_COMMENT = re.compile(r"#[ \t]*pinlint:[ \t]*ignore(?:\[(?P<rules>[^\]\n]*)\])?(?P<rest>(?:[ \t\r][^\n]*)?)(?=\n|$)")
_UNTIL = re.compile(r"\buntil=(\d{4}-\d{2}-\d{2})\b")


def parse(
    path: str, source: SourceText, scalars: Sequence[tuple[int, int]] = (), *, full_line: bool = False
) -> tuple[Suppression, ...]:
    """The suppressions of a file.  ``scalars`` are the character ranges of
    the YAML scalars (a match inside one is not a comment); ``full_line``
    takes only comments on a line of their own (Dockerfiles)."""
    text = source.text
    if "pinlint:" not in text:
        return ()
    starts = sorted(scalars)
    found = []
    for m in _COMMENT.finditer(text):
        at = m.start()
        line_start = text.rfind("\n", 0, at) + 1
        before = text[line_start:at]
        if full_line and before.strip():
            continue
        if before and not before[-1].isspace():
            continue  # "a#b" is not a comment
        i = bisect.bisect_right(starts, (at, len(text) + 1)) - 1
        if i >= 0 and starts[i][0] <= at < starts[i][1]:
            continue  # inside a scalar: data, not a comment
        line, column = source.position(at)
        rules = tuple(r.strip() for r in (m["rules"] or "").split(",") if r.strip())
        if (m["rules"] is not None and not rules) or m["rest"].lstrip().startswith("["):
            continue  # ``ignore[]`` or ``ignore [PIN021]``: not "every rule"; unread, it suppresses nothing
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


def apply(
    findings: Iterable[Finding],
    sups: Iterable[Suppression],
    today: datetime.date,
    unused: tuple[str, str, str] | None = None,
    judged: frozenset[str] | None = None,
) -> list[Finding]:
    """``findings`` without the suppressed ones; a finding whose only
    suppression has expired says so.  With ``unused`` = (id, name, severity)
    of PIN903, a live suppression that suppressed nothing becomes a finding —
    unless none of the rules it names was judged in this run (``judged``: the
    ids and names of the rules that ran), since it may well suppress them.
    """
    by_line: dict[tuple[str, int], list[Suppression]] = {}
    every = list(sups)
    for s in every:
        for line in s.covers:
            by_line.setdefault((s.path, line), []).append(s)
    used: set[Suppression] = set()
    out = []
    for f in findings:
        matching = [s for s in by_line.get((f.path, f.line), ()) if applies(s, f)]
        live = [s for s in matching if not expired(s, today)]
        if live:
            used.update(live)
            continue
        if matching:
            f = f._replace(message=f"{f.message} (suppression expired {matching[0].until})")
        out.append(f)
    if unused is not None:
        rule, name, severity = unused
        for s in every:
            if judged is not None and not any(r in judged for r in (s.rules or judged - {rule, name})):
                continue  # e.g. --select PIN903 alone, or the registry rules under --offline
            if s not in used and not expired(s, today):
                what = ", ".join(s.rules) or "every rule"
                out.append(Finding(rule, name, severity, s.path, s.line, s.column,
                                   f"suppression of {what} suppresses nothing"))
    return out

