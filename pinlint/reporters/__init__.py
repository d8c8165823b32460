"""Reporters: a ``Report`` rendered as text, json, sarif, github or markdown.

Each reporter is a function ``render(report, out, *, color=None, quiet=False)``;
``quiet`` leaves out everything but the findings (summary, skipped checks) in
the human formats, and changes nothing in the machine-readable ones.  The
modules are imported when first used, so a ``--format json`` run in a
pre-commit hook does not pay for importing rich.
"""
from __future__ import annotations

import importlib
from typing import Protocol, TextIO

from pinlint.model import Report


class Renderer(Protocol):
    def __call__(self, report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None: ...


def _lazy(module: str) -> Renderer:
    def render(report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None:
        importlib.import_module(f"pinlint.reporters.{module}").render(report, out, color=color, quiet=quiet)

    render.__name__ = render.__qualname__ = f"{module}.render"
    return render


REPORTERS: dict[str, Renderer] = {
    "text": _lazy("text"),
    "concise": _lazy("concise"),
    "json": _lazy("json_report"),
    "sarif": _lazy("sarif"),
    "github": _lazy("github"),
    "markdown": _lazy("markdown"),
}


def get(name: str) -> Renderer:
    """The reporter called ``name``; ValueError naming the valid ones otherwise."""
    try:
        return REPORTERS[name]
    except KeyError:
        valid = ", ".join(REPORTERS)
        raise ValueError(f"unknown report format {name!r}, valid formats are: {valid}") from None
