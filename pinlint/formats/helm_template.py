"""Helm chart templates: literal ``image:`` lines.

A chart's ``templates/`` are Go templates, not YAML, and are never parsed.
But a line whose value is written out, not rendered, is deployed exactly as
written, so it is a reference: the line is ``image: <value>`` (the key may be
quoted: ``"image": <value>``), optionally a list item (``- image: …``), the
value plain, ``"double"`` or ``'single'`` quoted, optionally followed by a
``#`` comment, and *the line holds no* ``{{``; or an ``image:`` key of a flow
mapping on such a line (``- {name: a, image: "redis:7"}``).  A line with a
template expression anywhere is not a reference, not even a templated one
(what it renders to is the values file's business, where ``helm-values``
finds it).  Lines inside a template comment
(``{{/* … */}}`` over several lines) are skipped, and so is a quoted value
with an escape (``\\``, ``''``), since its characters are not the
reference's.  The span is the value's characters, so a fix replaces them.
"""
from __future__ import annotations

import re

from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText

KIND = "helm-template"

_LINE = re.compile(
    r"[ \t]*(?:-[ \t]+)?(?:image|\"image\"|'image')[ \t]*:[ \t]+"
    r"(?:\"(?P<dq>[^\"\\]+)\"|'(?P<sq>[^']+)'|(?P<plain>[^\s\"'#,\[\]{}&*!|>%@`][^\s#]*))"
    r"[ \t]*(?:#.*)?\r?"
)
# An image key inside a flow mapping on such a line (``- {name: a, image: "redis:7"}``):
# the value ends where the flow mapping goes on (``,``) or closes (``}``).
_FLOW = re.compile(
    r"[{,][ \t]*(?:image|\"image\"|'image')[ \t]*:[ \t]+"
    r"(?:\"(?P<dq>[^\"\\]+)\"|'(?P<sq>[^']+)'|(?P<plain>[^\s\"'#,\[\]{}&*!|>%@`][^\s#,\[\]{}]*))"
    r"[ \t]*(?=[,}])"
)
_COMMENT_OPEN = re.compile(r"\{\{-?\s*/\*")
_COMMENT_CLOSE = re.compile(r"\*/\s*-?\}\}")


def locate(path: str, source: SourceText) -> list[LocatedRef]:
    refs: list[LocatedRef] = []
    text = source.text
    at = 0
    line_no = 0
    in_comment = False
    while at < len(text):
        nl = text.find("\n", at)
        end = len(text) if nl == -1 else nl
        line = text[at:end]
        line_no += 1
        start = at
        at = end + 1
        if "{{" in line or "*/" in line:
            in_comment = _still_in_comment(line, in_comment)
            continue
        if in_comment or "image" not in line:
            continue
        m = _LINE.fullmatch(line)
        for found in [m] if m is not None else _FLOW.finditer(line) if "{" in line else ():
            group = "dq" if found["dq"] is not None else "sq" if found["sq"] is not None else "plain"
            s, e = start + found.start(group), start + found.end(group)
            # a plain value in a flow mapping cannot take a digest as it is (its ":" would end it): not rewritten
            exact = m is not None or group != "plain"
            refs.append(LocatedRef(path, KIND, found[group], source.span(s, e, line_no, found.start(group) + 1),
                                   exact, False, (), "image"))
    return refs


def _still_in_comment(line: str, in_comment: bool) -> bool:
    """Whether a template comment is open after ``line``."""
    pos = 0
    while True:
        if in_comment:
            m = _COMMENT_CLOSE.search(line, pos)
            if m is None:
                return True
            in_comment, pos = False, m.end()
        else:
            m = _COMMENT_OPEN.search(line, pos)
            if m is None:
                return False
            in_comment, pos = True, m.end()
