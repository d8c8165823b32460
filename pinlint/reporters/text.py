"""``--format text``: the human report, grouped by file.

Colour only on a terminal (or when asked for); ``NO_COLOR`` turns it off.
Off a terminal the console is wide and soft-wrapped so CI logs keep one
finding per line.
"""
from __future__ import annotations

import itertools
import os
from typing import TextIO

from rich.console import Console
from rich.text import Text

from pinlint import inert
from pinlint.model import Change, Finding, Report
from pinlint.reporters.common import counts_phrase, plural, scope_phrase, skipped_lines

_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow"}
_WIDE = 10_000


def render(report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None:
    console = make_console(out, color)
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


def _print_file(console: Console, path: str, findings: list[Finding]) -> None:
    console.print(Text(inert.text(path), style="bold underline"))
    width = max(len(_position(f)) for f in findings)
    for f in findings:
        console.print(_finding_line(f, width))
        if f.fix:
            console.print(Text.assemble(" " * (width + 4), ("fix: ", "dim"), (inert.text(f.fix), "green")))
    console.print()


def _position(f: Finding) -> str:
    return f"{f.line}:{f.column}"


def _finding_line(f: Finding, width: int) -> Text:
    return Text.assemble(
        "  ",
        (_position(f).ljust(width), "dim"),
        "  ",
        (f.severity.ljust(7), _SEVERITY_STYLES.get(f.severity, "")),
        "  ",
        (f.rule, "bold"),
        " ",
        (f.name, "cyan"),
        "  ",
        inert.text(f.message),
    )


def _print_changes(console: Console, changes: tuple[Change, ...]) -> None:
    console.print(Text("fixed", style="bold underline"))
    for change in changes:
        console.print(
            Text.assemble(
                "  ",
                (inert.text(f"{change.path}:{change.line}:{change.column}"), "dim"),
                "  ",
                (change.rule, "bold"),
                "  ",
                inert.text(change.old),
                " -> ",
                (inert.text(change.new), "green"),
            )
        )
    console.print()


def _print_summary(console: Console, report: Report) -> None:
    summary = report.summary
    style = "bold red" if summary.errors else ("yellow" if summary.warnings else "bold green")
    headline = counts_phrase(summary) if summary.errors or summary.warnings else "no problems"
    console.print(Text.assemble((headline, style), f" in {scope_phrase(summary)}"))
    if summary.fixed is not None:
        console.print(f"fixed {plural(summary.fixed, 'reference')}")
    for line in skipped_lines(report):
        console.print(Text(inert.text(line), style="dim"))
