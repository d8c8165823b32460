"""Attacker text made inert for a terminal or a log: file names, references,
registry answers and commit subjects are written by whoever opened the pull
request (SPEC §10).

``text(s)`` shows every control character (ESC, CR, LF, NUL, C1 and the
Unicode line/paragraph separators and bidi overrides) as ``\\xNN`` /
``\\uNNNN``, so nothing can move the cursor, recolour a log or start a new
line that looks like pinlint's own; ``excerpt(value)`` is a short, escaped
quote of a value for an error message.
"""
from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text(value: str) -> str:
    """``value`` with every control character shown escaped (tabs kept)."""
    return _UNSAFE.sub(_escape, value) if _UNSAFE.search(value) else value


def excerpt(value: object, limit: int = 60) -> str:
    """A quoted, escaped, shortened rendering of ``value`` for a message."""
    shown = repr(value)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "\u2026"
    return text(shown)
