"""``--format github``: GitHub Actions workflow commands, one annotation per
finding (``::error file=…,line=…,col=…,title=PIN001::message``).

Escaping follows actions/toolkit ``command.ts``: data escapes ``%``, CR and
LF; property values additionally escape ``:`` and ``,``.
"""
from __future__ import annotations

from typing import TextIO

from pinlint import inert
from pinlint.model import Finding, Report
from pinlint.reporters.common import counts_phrase, scope_phrase, skipped_lines

_COMMANDS = {"error": "error", "warning": "warning"}


def render(report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None:
    for finding in report.findings:
        out.write(annotation(finding) + "\n")
    if quiet:
        return
    for line in skipped_lines(report):
        out.write(f"::notice title=pinlint::{escape_data(line)}\n")
    out.write(f"pinlint: {counts_phrase(report.summary)} ({scope_phrase(report.summary)})\n")


def annotation(finding: Finding) -> str:
    command = _COMMANDS.get(finding.severity, "notice")
    props = {
        "file": finding.path,
        "line": str(finding.line),
        "col": str(finding.column),
        "title": finding.rule,
    }
    prop_text = ",".join(f"{key}={escape_property(value)}" for key, value in props.items())
    message = f"{finding.name}: {finding.message}"
    if finding.fix:
        message += f"\nfix: {finding.fix}"
    return f"::{command} {prop_text}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """Workflow-command data: ``%``, CR and LF escaped (so no text starts a
    line of its own), then every other control character shown escaped (so
    no ANSI sequence recolours the log)."""
    return inert.text(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
