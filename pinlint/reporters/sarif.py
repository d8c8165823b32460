"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning.

One run; the driver lists every known rule (so an alert can show the rule's
help even when nothing fired) and each result points at its rule by id and
index.  Paths are relative to ``%SRCROOT%``, which ``originalUriBaseIds``
maps to the repository root.  Columns count Unicode code points, as pinlint's
spans do.

``partialFingerprints`` hashes rule, path and reference text (not the line),
so an alert survives lines being added above it; a repeated reference in the
same file gets an occurrence number.  A ``fixes`` entry is written only when
the reference's span holds exactly the reference text, so replacing that
region with the fix is the edit ``--fix`` would make.
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import urllib.parse
from typing import Any, TextIO

import pinlint
from pinlint.model import Finding, LocatedRef, Report, RuleInfo

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/pinlint/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pinlint/v1"

_LEVELS = {"error": "error", "warning": "warning", "off": "none"}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "off": "recommendation"}


def render(report: Report, out: TextIO, *, color: bool | None = None) -> None:
    out.write(json.dumps(document(report), indent=2) + "\n")


def document(report: Report) -> dict[str, Any]:
    rules = _all_rules(report)
    index = {rule.id: i for i, rule in enumerate(rules)}
    exact = _exact_refs(report.refs)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": _driver(rules)},
                "invocations": [_invocation(report)],
                "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(report.root)}},
                "columnKind": "unicodeCodePoints",
                "results": _results(report.findings, index, exact),
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
        "informationUri": INFORMATION_URI,
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


def _exact_refs(refs: tuple[LocatedRef, ...]) -> dict[tuple[str, int, int], LocatedRef]:
    """Refs whose span holds exactly their text, by (path, start, end)."""
    return {(r.path, r.span.start, r.span.end): r for r in refs if r.exact and not r.templated}


def _results(
    findings: tuple[Finding, ...],
    index: dict[str, int],
    exact: dict[tuple[str, int, int], LocatedRef],
) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    results = []
    for f in findings:
        key = _fingerprint(f)
        seen[key] = seen.get(key, 0) + 1
        results.append(_result(f, index[f.rule], f"{key}:{seen[key]}", exact))
    return results


def _result(
    f: Finding, rule_index: int, fingerprint: str, exact: dict[tuple[str, int, int], LocatedRef]
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(f.severity, "note"),
        "message": {"text": f.message + (f"\nFix: {f.fix}" if f.fix else "")},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(f.path), "region": _region(f)}}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    fix = _fix(f, exact)
    if fix:
        result["fixes"] = [fix]
    return result


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
    if f.span is None or not f.ref or "\n" in f.ref or "\r" in f.ref:
        return None
    if (f.span.line, f.span.column) != (f.line, f.column):
        return None
    if f.span.end - f.span.start != len(f.ref.encode("utf-8")):
        return None
    return len(f.ref)


def _fix(f: Finding, exact: dict[tuple[str, int, int], LocatedRef]) -> dict[str, Any] | None:
    if not f.fix or f.span is None:
        return None
    ref = exact.get((f.path, f.span.start, f.span.end))
    length = _single_line_length(f)
    if ref is None or ref.text != f.ref or not length:
        return None
    deleted = {
        **_region(f),
        "byteOffset": f.span.start,
        "byteLength": f.span.end - f.span.start,
    }
    return {
        "description": {"text": f"Replace {f.ref} with {f.fix}"},
        "artifactChanges": [
            {
                "artifactLocation": _artifact(f.path),
                "replacements": [{"deletedRegion": deleted, "insertedContent": {"text": f.fix}}],
            }
        ],
    }


def _fingerprint(f: Finding) -> str:
    material = "\0".join((f.rule, f.path, f.ref or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]
