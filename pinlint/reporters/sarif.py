"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning.

One run; the driver lists every known rule (so an alert can show the rule's
help even when nothing fired) and each result points at its rule by id and
index.  Paths are relative to ``%SRCROOT%``, which ``originalUriBaseIds``
maps to the repository root.  Columns count Unicode code points, as pinlint's
spans do.

``partialFingerprints`` hashes rule, path and reference text (not the line),
so an alert survives lines being added above it; a repeated reference in the
same file gets an occurrence number.  A ``fixes`` entry holds exactly the
byte edits ``--fix`` would make (the finding's ``edits``), so applying it
gives the same file.
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import urllib.parse
from typing import Any, TextIO

import pinlint
from pinlint.model import Finding, Report, RuleInfo

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pinlint/v1"

_LEVELS = {"error": "error", "warning": "warning", "off": "none"}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "off": "recommendation"}


def render(report: Report, out: TextIO, *, color: bool | None = None, quiet: bool = False) -> None:
    out.write(json.dumps(document(report), indent=2) + "\n")


def document(report: Report) -> dict[str, Any]:
    rules = _all_rules(report)
    index = {rule.id: i for i, rule in enumerate(rules)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": _driver(rules)},
                "invocations": [_invocation(report)],
                "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(report.root)}},
                "columnKind": "unicodeCodePoints",
                "results": _results(report.findings, index),
            }
        ],
    }


def _all_rules(report: Report) -> tuple[RuleInfo, ...]:
    """Every known rule, plus a stub for any finding whose rule is not listed."""
    known = {rule.id for rule in report.rules}
    extra: dict[str, RuleInfo] = {}
    for f in report.findings:
        if f.rule not in known and f.rule not in extra:
            extra[f.rule] = RuleInfo(f.rule, f.name, f.severity, f.severity, "offline", "no", f.name, "", "")
    return report.rules + tuple(extra.values())


def _driver(rules: tuple[RuleInfo, ...]) -> dict[str, Any]:
    return {
        "name": "pinlint",
        "version": pinlint.__version__,
        "semanticVersion": pinlint.__version__,
        "rules": [_descriptor(rule) for rule in rules],
    }


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    full = rule.rationale or rule.summary
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {
            "text": _join(f"{rule.id} {rule.name}: {rule.summary}", rule.rationale, _labelled("Fix", rule.remediation)),
            "markdown": _join(
                f"**{rule.id} {rule.name}**: {rule.summary}",
                rule.rationale,
                _labelled("**Fix**", rule.remediation),
            ),
        },
        "defaultConfiguration": {"level": _LEVELS.get(rule.severity, "warning")},
        "properties": {
            "tags": ["containers", "supply-chain"],
            "precision": "very-high",
            "problem.severity": _PROBLEM_SEVERITY.get(rule.severity, "warning"),
            "needs": rule.needs,
            "fix": rule.fix,
        },
    }


def _join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)


def _labelled(label: str, text: str) -> str:
    return f"{label}: {text}" if text else ""


def _invocation(report: Report) -> dict[str, Any]:
    out: dict[str, Any] = {"executionSuccessful": True}
    if report.summary.skipped_checks:
        out["toolExecutionNotifications"] = [
            {
                "level": "note",
                "message": {"text": f"{rule_id} was not run"},
                "descriptor": {"id": rule_id},
            }
            for rule_id in report.summary.skipped_checks
        ]
    return out


def _root_uri(root: str) -> str:
    uri = pathlib.Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _results(findings: tuple[Finding, ...], index: dict[str, int]) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    results = []
    for f in findings:
        key = _fingerprint(f)
        seen[key] = seen.get(key, 0) + 1
        results.append(_result(f, index[f.rule], f"{key}:{seen[key]}"))
    return results


def _result(f: Finding, rule_index: int, fingerprint: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(f.severity, "note"),
        "message": {"text": f.message + (f"\nFix: {f.fix}" if f.fix else "")},
        "locations": [_location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    fix = _fix(f)
    if fix:
        result["fixes"] = [fix]
    return result


def _location(f: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": _artifact(f.path), "region": _region(f)}}
    if f.object:
        location["logicalLocations"] = [{"name": f.object, "kind": "object"}]
    return location


def _artifact(path: str) -> dict[str, str]:
    return {"uri": urllib.parse.quote(path.replace(os.sep, "/"), safe="/"), "uriBaseId": SRCROOT}


def _region(f: Finding) -> dict[str, int]:
    region = {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)}
    length = _single_line_length(f)
    if length:
        region["endLine"] = region["startLine"]
        region["endColumn"] = region["startColumn"] + length
    return region


def _single_line_length(f: Finding) -> int | None:
    """Characters the finding's span covers, when the span is the reference
    text itself on one line (its byte length is that text's UTF-8 length)."""
    ref = f.ref
    if ref is None or "\n" in ref.text or "\r" in ref.text:
        return None
    if (ref.span.line, ref.span.column) != (f.line, f.column):
        return None
    if ref.span.end - ref.span.start != len(ref.text.encode("utf-8")):
        return None
    return len(ref.text)


def _fix(f: Finding) -> dict[str, Any] | None:
    """The finding's edits as one SARIF fix.  An edit of exactly the
    reference's span also carries its line and column region; every other
    edit (a field of an assembled reference, an inserted line) is placed by
    byte offset, which SARIF allows on its own."""
    if not f.fix or not f.edits or f.ref is None:
        return None
    span, length = f.ref.span, _single_line_length(f)
    replacements = []
    for edit in sorted(f.edits):
        deleted: dict[str, int] = {}
        if length and f.ref.exact and (edit.start, edit.end) == (span.start, span.end):
            deleted.update(_region(f))
        deleted.update(byteOffset=edit.start, byteLength=edit.end - edit.start)
        replacements.append({"deletedRegion": deleted, "insertedContent": {"text": edit.replacement}})
    return {
        "description": {"text": f"Replace {f.ref.text} with {f.fix}"},
        "artifactChanges": [{"artifactLocation": _artifact(f.path), "replacements": replacements}],
    }


def _fingerprint(f: Finding) -> str:
    material = "\0".join((f.rule, f.path, f.ref_text or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]
