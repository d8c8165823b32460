"""``--format json``: the versioned, stable report of SPEC §6.

The shape is a contract; keys appear in the order the spec lists them and
nothing else is added but the optional ones: a finding's ``object`` when its
reference sits in a named object, a ref's ``"built": true`` when it is an
image the repository builds itself (listed, never judged), a ref's
``tag_from`` when its tag was read from another file (a Helm chart's
``appVersion``), ``summary.fixed`` only after ``--fix``.
"""
from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii  # the C function
from typing import Any, TextIO

from pinlint import reference
from pinlint.model import Finding, LocatedRef, Report, Summary

VERSION = 1


def render(report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None:
    """What ``json.dumps(document(report), indent=2)`` prints, plus a newline,
    written a finding and a reference at a time: the indenting encoder of the
    standard library is pure Python (0.4 s for a 20,000-reference report) and
    would also hold the whole text, then a copy of it, in memory."""
    doc = document(report)
    out.write("{")
    for n, (key, value) in enumerate(doc.items()):
        out.write(("," if n else "") + "\n  " + encode_basestring_ascii(key) + ": ")
        if isinstance(value, list) and value:
            out.write("[")
            for i, item in enumerate(value):
                flat = type(item) is dict and item and _SCALARS.issuperset(map(type, item.values()))
                out.write(("," if i else "") + "\n    " + (_flat_item(item) if flat else _encode(item, 2)))
            out.write("\n  ]")
        else:
            out.write(_encode(value, 1))
    out.write("\n}\n")


_SCALARS = frozenset((str, int, bool, type(None)))
# A list item that is a mapping of scalars (every finding and reference) is
# written by the standard library's C encoder, its item separator carrying
# the newline and indentation that ``indent=2`` writes at that depth.  The
# encoder is made once (``JSONEncoder.encode`` would make one per item).
_ITEM_INDENT = "\n      "
_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
if _c_encoder is not None:
    _c_encoder = _c_encoder(None, None, encode_basestring_ascii, None, ": ", "," + _ITEM_INDENT, False, False, True)


def _flat_item(item: dict[str, Any]) -> str:
    """``_encode(item, 2)`` of a non-empty mapping of scalars."""
    if _c_encoder is None:
        return _encode(item, 2)
    return "{" + _ITEM_INDENT + "".join(_c_encoder(item, 0))[1:-1] + "\n    }"


def _encode(value: Any, level: int) -> str:
    """``json.dumps(value, indent=2)`` for a value nested ``level`` deep."""
    if isinstance(value, str):
        return str(encode_basestring_ascii(value))
    if value is True or value is False or value is None:
        return "true" if value else ("false" if value is False else "null")
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return json.dumps(value)
    inner = "\n" + "  " * (level + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (encode_basestring_ascii(str(k)) + ": " + _encode(v, level + 1) for k, v in value.items())
        return "{" + inner + ("," + inner).join(items) + "\n" + "  " * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[" + inner + ("," + inner).join(_encode(v, level + 1) for v in value) + "\n" + "  " * level + "]"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def document(report: Report) -> dict[str, Any]:
    return {
        "version": VERSION,
        "findings": [finding_dict(f) for f in report.findings],
        "refs": [ref_dict(r) for r in report.refs],
        "summary": summary_dict(report.summary),
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    out = {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "ref": finding.ref_text,
        "message": finding.message,
        "fix": finding.fix,
    }
    if finding.object:  # optional keys are set after, not unpacked: a report has tens of thousands of items
        out["object"] = finding.object
    return out


def ref_dict(ref: LocatedRef) -> dict[str, Any]:
    normalized, pinned, templated = _judge(ref)
    span = ref.span
    out = {
        "path": ref.path,
        "line": span.line,
        "column": span.column,
        "kind": ref.kind,
        "ref": ref.text,
        "normalized": normalized,
        "pinned": pinned,
        "templated": templated,
    }
    if ref.built:
        out["built"] = True
    if ref.tag_from:
        out["tag_from"] = ref.tag_from
    return out


def _judge(ref: LocatedRef) -> tuple[str | None, bool, bool]:
    """``(normalized, pinned, templated)`` for one inventory entry.

    A placeholder is never pinned; its ``normalized`` is the name part
    normalized (``app@git:HEAD`` -> ``docker.io/library/app``, a written tag
    kept, no implicit ``latest`` added), or null when that name is invalid.
    """
    parsed = ref.parsed
    if ref.templated:
        return None, False, True
    if isinstance(parsed, reference.ImageRef):
        return parsed.normalized, parsed.pinned, False
    if isinstance(parsed, reference.Placeholder) and parsed.image is not None:
        image = parsed.image
        return image.name + (f":{image.tag}" if image.tag else ""), False, False
    return None, False, False


def summary_dict(summary: Summary) -> dict[str, Any]:
    out: dict[str, Any] = {
        "files": summary.files,
        "refs": summary.refs,
        "errors": summary.errors,
        "warnings": summary.warnings,
        "skipped_checks": list(summary.skipped_checks),
    }
    if summary.fixed is not None:
        out["fixed"] = summary.fixed
    return out
