"""``--format concise``: one line per finding, ``path:line:col: RULE message``
(what editors' problem matchers and grep want), then the summary line."""
from __future__ import annotations

from typing import TextIO

from pinlint import inert
from pinlint.model import Report
from pinlint.reporters.common import counts_phrase, scope_phrase


def render(report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None:
    for f in report.findings:
        out.write(inert.text(f"{f.path}:{f.line}:{f.column}: {f.rule} [{f.severity}] {f.message}") + "\n")
    if not quiet:
        out.write(f"{counts_phrase(report.summary)} in {scope_phrase(report.summary)}\n")
