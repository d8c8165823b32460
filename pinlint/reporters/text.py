"""``--format text``: the human report, grouped by file.

Colour only on a terminal (or when asked for); ``NO_COLOR`` turns it off.
Off a terminal the console is wide and soft-wrapped so CI logs keep one
finding per line.  Without colour (CI logs, pre-commit hooks, pipes) lines are
written directly, without rich: the same text, without paying for importing
rich on every run; rich renders the coloured report only.
"""
from __future__ import annotations

import itertools
import os
from typing import TYPE_CHECKING, TextIO

from pinlint import inert
from pinlint.model import Change, Finding, Report
from pinlint.reporters.common import counts_phrase, plural, scope_phrase, skipped_lines

if TYPE_CHECKING:
    from rich.console import Console

_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow"}
_WIDE = 10_000

Part = str | tuple[str, str]  # text, or (text, style)


class _Lines:
    """Where the report's lines go: each line is parts of text with a style."""

    def __init__(self, out: TextIO, color: bool | None) -> None:
        self.console: Console | None = make_console(out, color) if use_color(out, color) else None
        self.out = out

    def line(self, *parts: Part) -> None:
        text = "".join(p if isinstance(p, str) else p[0] for p in parts)
        if self.console is None and "\t" in text:
            # rich expands tabs by terminal cells (a wide character is two):
            # a tab, rare in a report, is left to rich so the text stays the same
            self.console = make_console(self.out, False)
        if self.console is not None:
            from rich.text import Text

            self.console.print(Text.assemble(*parts))
            return
        self.out.write(text + "\n")


def render(report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None:
    """Each finding starts with ``path:line:col:``, then the object it sits in,
    the source line with a caret under the reference, and the fix."""
    console = _Lines(out, color)
    for path, findings in itertools.groupby(report.findings, key=lambda f: f.path):
        _print_file(console, path, list(findings))
    if report.changes:
        _print_changes(console, report.changes)
    if not quiet:
        _print_summary(console, report)


def use_color(out: TextIO, color: bool | None) -> bool:
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    return _isatty(out)


def make_console(out: TextIO, color: bool | None) -> Console:
    from rich.console import Console

    colored = use_color(out, color)
    terminal = _isatty(out)
    return Console(
        file=out,
        force_terminal=colored,
        no_color=not colored,
        color_system=("auto" if terminal else "standard") if colored else None,
        width=None if terminal else _WIDE,
        soft_wrap=True,
        highlight=False,
        markup=False,
        emoji=False,
    )


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def _print_file(console: _Lines, path: str, findings: list[Finding]) -> None:
    for f in findings:
        _print_finding(console, f)


def location(f: Finding) -> str:
    """``path:line:col:``, what editors and terminals turn into a link."""
    return inert.text(f"{f.path}:{f.line}:{f.column}:")


def _print_finding(console: _Lines, f: Finding) -> None:
    console.line(
        (location(f), "bold"),
        " ",
        (f.severity, _SEVERITY_STYLES.get(f.severity, "")),
        " ",
        (f.rule, "bold"),
        " ",
        (f.name, "cyan"),
        "  ",
        inert.text(f.message),
    )
    gutter = " " * max(len(str(f.line)), 1)
    if f.object:
        console.line(f"{gutter} | ", ("in ", "dim"), inert.text(f.object))
    if f.source_line:
        line = inert.text(f.source_line.expandtabs(1))
        console.line((f"{f.line} | ", "dim"), line)
        console.line((f"{gutter} | ", "dim"), " " * (f.column - 1), ("^" * _caret(f), "bold red"))
    if f.fix:
        console.line(f"{gutter} = ", ("fix: ", "dim"), (inert.text(f.fix), "green"))
    console.line()


def _caret(f: Finding) -> int:
    """How many characters of the source line the reference covers (at least one)."""
    ref = f.ref
    if ref is None or not f.source_line or ref.span.line != f.line:
        return 1
    rest = f.source_line[f.column - 1 :]
    want, size, n = ref.span.end - ref.span.start, 0, 0
    for ch in rest:
        if size >= want:
            break
        size += len(ch.encode("utf-8"))
        n += 1
    return max(n, 1)


def _print_changes(console: _Lines, changes: tuple[Change, ...]) -> None:
    console.line(("fixed", "bold underline"))
    for change in changes:
        console.line(
                "  ",
                (inert.text(f"{change.path}:{change.line}:{change.column}"), "dim"),
                "  ",
                (change.rule, "bold"),
                "  ",
                inert.text(change.old),
                " -> ",
                (inert.text(change.new), "green"),
        )
    console.line()


def _by_rule(report: Report) -> str:
    """`` (PIN001: 2, PIN030: 1)`` when the findings are of several rules."""
    counts: dict[str, int] = {}
    for f in report.findings:
        counts[f.rule] = counts.get(f.rule, 0) + 1
    if len(counts) < 2:
        return ""
    return " (" + ", ".join(f"{rule}: {n}" for rule, n in sorted(counts.items())) + ")"


def _extra(report: Report) -> str:
    """``; 2 fixable with `pinlint --fix`; 1 suppressed``."""
    parts = []
    fixable = sum(1 for f in report.findings if f.fix)
    if fixable:
        parts.append(f"{fixable} fixable with `pinlint --fix`")
    if report.summary.suppressed:
        parts.append(f"{report.summary.suppressed} suppressed")
    return "".join(f"; {p}" for p in parts)


def _print_summary(console: _Lines, report: Report) -> None:
    summary = report.summary
    style = "bold red" if summary.errors else ("yellow" if summary.warnings else "bold green")
    headline = counts_phrase(summary) if summary.errors or summary.warnings else "no problems"
    console.line((headline, style), _by_rule(report), f" in {scope_phrase(summary)}", _extra(report))
    if summary.fixed is not None:
        console.line(f"fixed {plural(summary.fixed, 'reference')}")
    for line in skipped_lines(report):
        console.line((inert.text(line), "dim"))
