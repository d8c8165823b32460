"""``--format markdown``: a summary to paste into (or post as) a pull-request
body: the counts, a table of findings, and what ``--fix`` changed.

Manifests in a pull request are untrusted: every cell is escaped so a
reference cannot break the table, inject HTML or @-mention anyone.
"""
from __future__ import annotations

import re
from typing import TextIO

from pinlint import inert
from pinlint.model import Change, Finding, Report
from pinlint.reporters.common import counts_phrase, plural, scope_phrase, skipped_lines

MAX_ROWS = 50
NONE = "\u2014"  # em dash: "no digest before"
_DIGEST_HEX_SHOWN = 12
_ESCAPED = "\\`*_{}[]<>|#!"


def render(report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None:
    out.write("\n".join(lines(report)) + "\n")


def lines(report: Report) -> list[str]:
    out = ["## pinlint", "", _headline(report)]
    out += [f"- {_text(line)}" for line in skipped_lines(report)]
    if report.findings:
        out += ["", "### Findings", ""] + _findings_table(report.findings)
    if report.changes:
        out += ["", "### Changes", ""] + _changes_table(report.changes)
    return out


def _headline(report: Report) -> str:
    summary = report.summary
    found = f"**{counts_phrase(summary)}**" if summary.errors or summary.warnings else "**No problems**"
    text = f"{found} in {scope_phrase(summary)}."
    if summary.fixed is not None:
        text += f" Fixed {plural(summary.fixed, 'reference')}."
    return text


def _findings_table(findings: tuple[Finding, ...]) -> list[str]:
    rows = ["| Rule | Location | Reference | Message |", "|---|---|---|---|"]
    for f in findings[:MAX_ROWS]:
        rule = f"{_code(f.rule)} {_text(f.name)} ({f.severity})"
        ref = _code(f.ref.text) if f.ref else NONE
        rows.append(f"| {rule} | {_code(f'{f.path}:{f.line}')} | {ref} | {_text(f.message)} |")
    return rows + _more(len(findings), "finding")


def _changes_table(changes: tuple[Change, ...]) -> list[str]:
    rows = ["| Location | Reference | Old digest | New digest | Rule |", "|---|---|---|---|---|"]
    for c in changes[:MAX_ROWS]:
        cells = (
            _code(f"{c.path}:{c.line}"),
            _code(_without(c.new, c.new_digest)),
            _digest_cell(c.old_digest),
            _digest_cell(c.new_digest),
            _code(c.rule),
        )
        rows.append("| " + " | ".join(cells) + " |")
    return rows + _more(len(changes), "change")


def _without(text: str, digest: str | None) -> str:
    """``name:tag@sha256:…`` -> ``name:tag``, given the digest it ends with."""
    if digest and text.endswith(f"@{digest}"):
        return text[: -len(digest) - 1]
    return text


def _more(total: int, word: str) -> list[str]:
    if total <= MAX_ROWS:
        return []
    return ["", f"_… and {plural(total - MAX_ROWS, 'more ' + word)}; see the full report._"]


def _digest_cell(digest: str | None) -> str:
    """``sha256:0123456789ab…``: enough to tell digests apart in a review."""
    if not digest:
        return NONE
    algo, _, hexpart = digest.partition(":")
    short = hexpart[:_DIGEST_HEX_SHOWN] + ("\u2026" if len(hexpart) > _DIGEST_HEX_SHOWN else "")
    return _code(f"{algo}:{short}")


def _code(text: str) -> str:
    """An inline code span that survives a table cell: its fence is longer
    than any run of backticks inside, so nothing can close it early (and
    inside a code span nothing renders: no HTML, image, link or mention)."""
    text = inert.text(_one_line(text)).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _text(text: str) -> str:
    """Plain text with Markdown/HTML specials escaped and @-mentions defused."""
    out = "".join(f"\\{ch}" if ch in _ESCAPED else ch for ch in inert.text(_one_line(text)))
    return out.replace("@", "@\u200b")


def _one_line(text: str) -> str:
    return " ".join(text.split())
