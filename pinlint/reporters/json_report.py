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
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring_ascii  # the C function
from typing import Any, TextIO, TypeVar

from pinlint import reference
from pinlint.model import Finding, LocatedRef, Report, Summary

VERSION = 1


def render(report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None:
    """What ``json.dumps(document(report), indent=2)`` prints, plus a newline,
    written a few hundred findings or references at a time: the indenting
    encoder of the standard library is pure Python (0.4 s for a
    20,000-reference report) and would also hold the whole text, then a copy
    of it, in memory."""
    out.write('{\n  "version": ' + _encode(VERSION, 1))
    _write_items(out, "findings", report.findings, _finding_item)
    _write_items(out, "refs", report.refs, _ref_item)
    out.write(',\n  "summary": ' + _encode(summary_dict(report.summary), 1) + "\n}\n")


def _write_items(out: TextIO, key: str, items: Sequence[_T], item_text: Callable[[_T], str]) -> None:
    """``"key": [...]`` at the top level, a few hundred items per write."""
    out.write(",\n  " + encode_basestring_ascii(key) + ": ")
    if not items:
        out.write("[]")
        return
    out.write("[")
    for i in range(0, len(items), 256):
        out.write(("," if i else "") + ",".join(map(item_text, items[i : i + 256])))
    out.write("\n  ]")


# Each finding and reference is written field by field, as ``_encode`` writes
# ``finding_dict``/``ref_dict`` (the same keys in the same order, checked by
# tests/test_reporters.py against ``json.dumps(document(report), indent=2)``):
# building a dict per item and encoding it was most of a large report's time.
_T = TypeVar("_T")
_enc = encode_basestring_ascii


def _opt(value: str | None) -> str:
    return "null" if value is None else str(_enc(value))


def _finding_item(f: Finding) -> str:
    text = ('\n    {\n      "rule": ' + _enc(f.rule) + ',\n      "name": ' + _enc(f.name)
            + ',\n      "severity": ' + _enc(f.severity) + ',\n      "path": ' + _enc(f.path)
            + ',\n      "line": ' + str(f.line) + ',\n      "column": ' + str(f.column)
            + ',\n      "ref": ' + _opt(f.ref_text) + ',\n      "message": ' + _enc(f.message)
            + ',\n      "fix": ' + _opt(f.fix))
    if f.object:
        text += ',\n      "object": ' + _enc(f.object)
    return text + "\n    }"


def _ref_item(ref: LocatedRef) -> str:
    normalized, pinned, templated = _judge(ref)
    span = ref.span
    text = ('\n    {\n      "path": ' + _enc(ref.path) + ',\n      "line": ' + str(span.line)
            + ',\n      "column": ' + str(span.column) + ',\n      "kind": ' + _enc(ref.kind)
            + ',\n      "ref": ' + _enc(ref.text) + ',\n      "normalized": ' + _opt(normalized)
            + ',\n      "pinned": ' + ("true" if pinned else "false")
            + ',\n      "templated": ' + ("true" if templated else "false"))
    if ref.built:
        text += ',\n      "built": true'
    if ref.tag_from:
        text += ',\n      "tag_from": ' + _enc(ref.tag_from)
    return text + "\n    }"


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
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "ref": finding.ref_text,
        "message": finding.message,
        "fix": finding.fix,
        **({"object": finding.object} if finding.object else {}),
    }


def ref_dict(ref: LocatedRef) -> dict[str, Any]:
    normalized, pinned, templated = _judge(ref)
    return {
        "path": ref.path,
        "line": ref.span.line,
        "column": ref.span.column,
        "kind": ref.kind,
        "ref": ref.text,
        "normalized": normalized,
        "pinned": pinned,
        "templated": templated,
        **({"built": True} if ref.built else {}),
        **({"tag_from": ref.tag_from} if ref.tag_from else {}),
    }


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
