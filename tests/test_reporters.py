from __future__ import annotations

import io
import json
import pathlib
import re
from typing import Any

import jsonschema
import pytest

from pinlint import reporters
from pinlint.model import Change, Edit, Finding, LocatedRef, Report, RuleInfo, Span, Summary
from pinlint.reporters import concise, github, json_report, markdown, sarif, text

DATA = pathlib.Path(__file__).parent / "data"
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64

RULES = (
    RuleInfo("PIN001", "mutable-tag", "error", "error", "offline", "yes", "No digest.", "Tags move.", "Pin it."),
    RuleInfo("PIN002", "unresolved-placeholder", "error", "error", "offline", "yes", "Placeholder.", "Why.", "Fix."),
    RuleInfo("PIN004", "templated-reference", "off", "warning", "offline", "no", "Templated.", "Why.", "How."),
    RuleInfo("PIN010", "digest-not-found", "error", "error", "registry", "no", "Gone.", "Why.", "How."),
    RuleInfo("PIN011", "tag-digest-mismatch", "error", "error", "registry", "refresh", "Moved.", "Why.", "How."),
    RuleInfo("PIN021", "provenance-missing", "warning", "warning", "git", "no", "No provenance.", "Why.", "How."),
    RuleInfo("PIN900", "unparseable-file", "error", "error", "file", "no", "Unparseable.", "Why.", "How."),
)
NAMES = {rule.id: rule.name for rule in RULES}


# -- builders ---------------------------------------------------------------


def located(path: str, ref: str, line: int, column: int, start: int = 0, **kw: Any) -> LocatedRef:
    kind = kw.pop("kind", "kubernetes")
    return LocatedRef(path, kind, ref, Span(start, start + len(ref.encode()), line, column), **kw)


def finding(rule: str, ref: LocatedRef, message: str, severity: str = "error", fix: str | None = None) -> Finding:
    span = ref.span
    edits = (Edit(span.start, span.end, fix),) if fix and ref.exact and not ref.templated else ()
    return Finding(rule, NAMES.get(rule, rule.lower()), severity, ref.path, span.line, span.column, message, ref, fix,
                   edits)


def make_report(
    findings: tuple[Finding, ...] = (),
    refs: tuple[LocatedRef, ...] = (),
    skipped: tuple[str, ...] = (),
    fixed: int | None = None,
    changes: tuple[Change, ...] = (),
    root: str = ".",
) -> Report:
    files = len({r.path for r in refs} | {f.path for f in findings})
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    summary = Summary(files, len(refs), errors, warnings, skipped, fixed)
    return Report(findings, refs, summary, RULES, root, changes)


APP = located("k8s/app.yaml", "nginx:1.25", 12, 16, start=200)
PLACEHOLDER = located("k8s/app.yaml", "ghcr.io/acme/app@git:HEAD", 20, 18, start=400)
DOCKER = located("Dockerfile", "alpine:3.20", 1, 6, start=5, kind="dockerfile")
PINNED = located("Dockerfile", f"alpine:3.20@{D1}", 7, 6, start=90, kind="dockerfile")
TYPICAL = make_report(
    findings=(
        finding("PIN001", DOCKER, "alpine:3.20 has no digest", fix=f"alpine:3.20@{D1}"),
        finding("PIN001", APP, "nginx:1.25 has no digest", fix=f"nginx:1.25@{D2}"),
        finding("PIN002", PLACEHOLDER, "placeholder ghcr.io/acme/app@git:HEAD is not resolved", "warning"),
    ),
    refs=(DOCKER, PINNED, APP, PLACEHOLDER),
    skipped=("PIN010", "PIN011"),
)


def rendered(render: Any, report: Report, **kw: Any) -> str:
    out = io.StringIO()
    render(report, out, **kw)
    return out.getvalue()


# -- registry ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["text", "json", "sarif", "github", "markdown"])
def test_every_format_renders(name: str) -> None:
    assert rendered(reporters.get(name), TYPICAL).endswith("\n")


def test_unknown_format_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid formats are: text, concise, json, sarif, github, markdown"):
        reporters.get("xml")


# -- json -------------------------------------------------------------------


def test_json_shape_key_by_key() -> None:
    doc = json.loads(rendered(json_report.render, TYPICAL))
    assert list(doc) == ["version", "findings", "refs", "summary"]
    assert doc["version"] == 1
    assert doc["findings"][1] == {
        "rule": "PIN001",
        "name": "mutable-tag",
        "severity": "error",
        "path": "k8s/app.yaml",
        "line": 12,
        "column": 16,
        "ref": "nginx:1.25",
        "message": "nginx:1.25 has no digest",
        "fix": f"nginx:1.25@{D2}",
    }
    assert list(doc["findings"][1]) == ["rule", "name", "severity", "path", "line", "column", "ref", "message", "fix"]
    assert doc["findings"][2]["fix"] is None
    assert doc["refs"][2] == {
        "path": "k8s/app.yaml",
        "line": 12,
        "column": 16,
        "kind": "kubernetes",
        "ref": "nginx:1.25",
        "normalized": "docker.io/library/nginx:1.25",
        "pinned": False,
        "templated": False,
    }
    assert list(doc["refs"][2]) == ["path", "line", "column", "kind", "ref", "normalized", "pinned", "templated"]
    assert doc["summary"] == {"files": 2, "refs": 4, "errors": 2, "warnings": 1, "skipped_checks": ["PIN010", "PIN011"]}
    assert list(doc["summary"]) == ["files", "refs", "errors", "warnings", "skipped_checks"]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        pytest.param(located("a.yaml", "nginx:1.25", 1, 1), ("docker.io/library/nginx:1.25", False, False), id="tag"),
        pytest.param(
            located("a.yaml", "nginx", 1, 1), ("docker.io/library/nginx:latest", False, False), id="implicit-latest"
        ),
        pytest.param(
            located("a.yaml", f"ghcr.io/acme/app:1.0@{D1}", 1, 1),
            (f"ghcr.io/acme/app:1.0@{D1}", True, False),
            id="tag-and-digest",
        ),
        pytest.param(
            located("a.yaml", f"redis@{D1}", 1, 1), (f"docker.io/library/redis@{D1}", True, False), id="digest-only"
        ),
        pytest.param(
            located("a.yaml", "ghcr.io/acme/app@git:HEAD", 1, 1), ("ghcr.io/acme/app", False, False), id="placeholder"
        ),
        pytest.param(
            located("a.yaml", "app:dev@git:main", 1, 1),
            ("docker.io/library/app:dev", False, False),
            id="placeholder-tag",
        ),
        pytest.param(located("a.yaml", "Acme/App@git:main", 1, 1), (None, False, False), id="placeholder-invalid-name"),
        pytest.param(located("a.yaml", "nginx@sha256:abc", 1, 1), (None, False, False), id="invalid"),
        pytest.param(located("a.yaml", "{{ .Values.image }}", 1, 1), (None, False, True), id="template"),
        pytest.param(located("a.yaml", "nginx:1", 1, 1, templated=True), (None, False, True), id="flagged-templated"),
    ],
)
def test_json_ref_inventory(ref: LocatedRef, expected: tuple[str | None, bool, bool]) -> None:
    entry = json.loads(rendered(json_report.render, make_report(refs=(ref,))))["refs"][0]
    assert (entry["normalized"], entry["pinned"], entry["templated"]) == expected


@pytest.mark.parametrize(
    ("fixed", "expected"),
    [pytest.param(None, None, id="lint"), pytest.param(0, 0, id="fix-nothing"), pytest.param(3, 3, id="fix-three")],
)
def test_json_summary_fixed_only_after_fix(fixed: int | None, expected: int | None) -> None:
    summary = json.loads(rendered(json_report.render, make_report(fixed=fixed)))["summary"]
    assert summary.get("fixed", None) == expected
    assert ("fixed" in summary) is (fixed is not None)


def test_json_is_deterministic_and_ends_with_newline() -> None:
    first = rendered(json_report.render, TYPICAL)
    assert first == rendered(json_report.render, TYPICAL)
    assert first.endswith("}\n")
    assert json.loads(first) == json_report.document(TYPICAL)


# -- sarif ------------------------------------------------------------------

_URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI_CHARS.match(value) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value))


@FORMATS.checks("uri-reference")
def _is_uri_reference(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI_CHARS.match(value))


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=FORMATS)


def test_vendored_schema_is_the_full_official_one() -> None:
    raw = (DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    schema = json.loads(raw)
    assert len(raw) == 112_768
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert len(schema["definitions"]) == 52
    assert schema["definitions"]["region"]["anyOf"][0] == {"required": ["startLine"]}
    assert schema["definitions"]["replacement"]["required"] == ["deletedRegion"]
    assert schema["definitions"]["result"]["properties"]["level"]["enum"] == ["none", "note", "warning", "error"]


def _weird_path_report() -> Report:
    ref = located("deploy/my app/välues,1.yaml", "nginx", 3, 10)
    return make_report(findings=(finding("PIN001", ref, "nginx has no digest", fix=f"nginx:latest@{D1}"),), refs=(ref,))


def _no_span_report() -> Report:
    problem = Finding(
        "PIN900", "unparseable-file", "error", "broken.yaml", 4, 1, "invalid YAML: mapping values are not allowed"
    )
    return make_report(findings=(problem,))


def _unknown_rule_report() -> Report:
    return make_report(findings=(finding("PIN777", APP, "a rule this build does not list", "warning"),), refs=(APP,))


def _real_rules_report() -> Report:
    from pinlint import rulebook

    return TYPICAL._replace(rules=rulebook.load())


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: make_report(), id="empty"),
        pytest.param(lambda: TYPICAL, id="typical"),
        pytest.param(lambda: TYPICAL._replace(summary=TYPICAL.summary._replace(fixed=2)), id="after-fix"),
        pytest.param(_weird_path_report, id="spaces-and-non-ascii-path"),
        pytest.param(_no_span_report, id="file-problem-without-span"),
        pytest.param(_unknown_rule_report, id="rule-not-in-catalog"),
        pytest.param(_real_rules_report, id="shipped-rule-catalog"),
    ],
)
def test_sarif_validates_against_official_schema(build: Any, sarif_validator: jsonschema.Draft4Validator) -> None:
    doc = json.loads(rendered(sarif.render, build()))
    errors = sorted(sarif_validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_sarif_lists_every_rule_with_help_and_level() -> None:
    driver = sarif.document(TYPICAL)["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("pinlint", __import__("pinlint").__version__)
    assert [r["id"] for r in driver["rules"]] == [rule.id for rule in RULES]
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels == {
        "PIN001": "error",
        "PIN002": "error",
        "PIN004": "none",
        "PIN010": "error",
        "PIN011": "error",
        "PIN021": "warning",
        "PIN900": "error",
    }
    first = driver["rules"][0]
    assert first["name"] == "mutable-tag"
    assert first["shortDescription"] == {"text": "No digest."}
    assert first["fullDescription"] == {"text": "Tags move."}
    for key in ("text", "markdown"):
        assert "Tags move." in first["help"][key] and "Pin it." in first["help"][key]


def test_sarif_result_points_at_rule_and_relative_location() -> None:
    run = sarif.document(TYPICAL._replace(root="/srv/repo"))["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///srv/repo/"}}
    result = run["results"][1]
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"] == "PIN001"
    assert result["level"] == "error"
    assert run["results"][2]["level"] == "warning"
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "k8s/app.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 12, "startColumn": 16, "endLine": 12, "endColumn": 26},
            }
        }
    ]


def test_sarif_uri_is_percent_encoded() -> None:
    result = sarif.document(_weird_path_report())["runs"][0]["results"][0]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "deploy/my%20app/v%C3%A4lues%2C1.yaml"


def _fingerprints(report: Report) -> list[str]:
    return [r["partialFingerprints"]["pinlint/v1"] for r in sarif.document(report)["runs"][0]["results"]]


def test_sarif_fingerprint_survives_moved_lines_and_counts_repeats() -> None:
    here = located("a.yaml", "nginx:1", 3, 10, start=30)
    moved = located("a.yaml", "nginx:1", 9, 12, start=90)
    other = located("a.yaml", "redis:7", 3, 10, start=30)
    [at_here] = _fingerprints(make_report(findings=(finding("PIN001", here, "m"),)))
    [at_moved] = _fingerprints(make_report(findings=(finding("PIN001", moved, "m"),)))
    [at_other] = _fingerprints(make_report(findings=(finding("PIN001", other, "m"),)))
    assert at_here == at_moved != at_other
    twice = _fingerprints(make_report(findings=(finding("PIN001", here, "m"), finding("PIN001", moved, "m"))))
    assert [f.rsplit(":", 1)[1] for f in twice] == ["1", "2"]
    assert len(set(twice)) == 2


def test_sarif_fix_replaces_exactly_the_reference_span() -> None:
    result = sarif.document(TYPICAL)["runs"][0]["results"][1]
    [fix] = result["fixes"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "k8s/app.yaml", "uriBaseId": "%SRCROOT%"}
    assert change["replacements"] == [
        {
            "deletedRegion": {
                "startLine": 12,
                "startColumn": 16,
                "endLine": 12,
                "endColumn": 26,
                "byteOffset": 200,
                "byteLength": 10,
            },
            "insertedContent": {"text": f"nginx:1.25@{D2}"},
        }
    ]


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param(located("kustomization.yaml", "nginx", 4, 11, kind="kustomize", exact=False), id="assembled"),
        pytest.param(located("values.yaml", "nginx", 4, 11, kind="helm-values", templated=True), id="templated"),
    ],
)
def test_sarif_no_fix_when_span_is_not_the_reference_text(ref: LocatedRef) -> None:
    report = make_report(findings=(finding("PIN001", ref, "no digest", fix=f"nginx:latest@{D1}"),), refs=(ref,))
    assert "fixes" not in sarif.document(report)["runs"][0]["results"][0]


def test_sarif_region_end_counts_characters_not_bytes() -> None:
    ref = located("a.yaml", "registry.example.com/ünï:1", 2, 8)
    region = sarif._region(finding("PIN003", ref, "invalid"))
    assert region == {"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 8 + 26}


def test_sarif_region_has_no_end_when_span_is_another_field() -> None:
    ref = LocatedRef("k.yaml", "kustomize", "nginx:1.25", Span(10, 15, 3, 11), exact=False)
    assert sarif._region(finding("PIN001", ref, "m")) == {"startLine": 3, "startColumn": 11}


def test_sarif_reports_skipped_checks_as_notifications() -> None:
    [invocation] = sarif.document(TYPICAL)["runs"][0]["invocations"]
    notes = invocation["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["PIN010", "PIN011"]


# -- github -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        pytest.param("plain text", "plain text", "plain text", id="plain"),
        pytest.param("100% sure", "100%25 sure", "100%25 sure", id="percent"),
        pytest.param("one\r\ntwo\nthree", "one%0D%0Atwo%0Athree", "one%0D%0Atwo%0Athree", id="newlines"),
        pytest.param("a:b,c", "a:b,c", "a%3Ab%2Cc", id="colon-comma"),
        pytest.param("%0A", "%250A", "%250A", id="already-escaped-looking"),
    ],
)
def test_github_escaping(raw: str, data: str, prop: str) -> None:
    assert github.escape_data(raw) == data
    assert github.escape_property(raw) == prop


def test_github_annotations() -> None:
    out = rendered(github.render, TYPICAL)
    assert out.splitlines() == [
        "::error file=Dockerfile,line=1,col=6,title=PIN001::"
        f"mutable-tag: alpine:3.20 has no digest%0Afix: alpine:3.20@{D1}",
        "::error file=k8s/app.yaml,line=12,col=16,title=PIN001::"
        f"mutable-tag: nginx:1.25 has no digest%0Afix: nginx:1.25@{D2}",
        "::warning file=k8s/app.yaml,line=20,col=18,title=PIN002::"
        "unresolved-placeholder: placeholder ghcr.io/acme/app@git:HEAD is not resolved",
        "::notice title=pinlint::registry checks skipped (--offline): PIN010, PIN011",
        "pinlint: 2 errors, 1 warning (2 files, 4 references)",
    ]


def test_github_escapes_hostile_path_and_message() -> None:
    ref = located("a,b:c.yaml", "nginx", 1, 1)
    line = github.annotation(finding("PIN001", ref, "50% done\n::error::injected"))
    assert line == "::error file=a%2Cb%3Ac.yaml,line=1,col=1,title=PIN001::mutable-tag: 50%25 done%0A::error::injected"
    assert "\n" not in line


# -- text -------------------------------------------------------------------


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_finding_starts_with_its_location_without_color() -> None:
    assert rendered(text.render, TYPICAL) == (
        "Dockerfile:1:6: error PIN001 mutable-tag  alpine:3.20 has no digest\n"
        f"  = fix: alpine:3.20@{D1}\n"
        "\n"
        "k8s/app.yaml:12:16: error PIN001 mutable-tag  nginx:1.25 has no digest\n"
        f"   = fix: nginx:1.25@{D2}\n"
        "\n"
        "k8s/app.yaml:20:18: warning PIN002 unresolved-placeholder  placeholder ghcr.io/acme/app@git:HEAD is not"
        " resolved\n"
        "\n"
        "2 errors, 1 warning (PIN001: 2, PIN002: 1) in 2 files, 4 references; 2 fixable with `pinlint --fix`\n"
        "registry checks skipped (--offline): PIN010, PIN011\n"
    )


def test_text_shows_the_object_and_the_source_line_with_a_caret() -> None:
    ref = located("k8s/app.yaml", "ünï:1.25", 9, 16, object="Deployment/web container app")
    f = finding("PIN001", ref, "no digest")._replace(source_line="        image: ünï:1.25  # comment")
    out = rendered(text.render, make_report(findings=(f,), refs=(ref,)))
    assert out.splitlines()[:4] == [
        "k8s/app.yaml:9:16: error PIN001 mutable-tag  no digest",
        "  | in Deployment/web container app",
        "9 |         image: ünï:1.25  # comment",
        "  |                ^^^^^^^^",
    ]


def test_concise_is_one_line_per_finding() -> None:
    assert rendered(concise.render, TYPICAL).splitlines() == [
        "Dockerfile:1:6: PIN001 [error] alpine:3.20 has no digest",
        "k8s/app.yaml:12:16: PIN001 [error] nginx:1.25 has no digest",
        "k8s/app.yaml:20:18: PIN002 [warning] placeholder ghcr.io/acme/app@git:HEAD is not resolved",
        "2 errors, 1 warning in 2 files, 4 references",
    ]


@pytest.mark.parametrize(
    ("stream", "color", "no_color", "ansi"),
    [
        pytest.param(io.StringIO, None, None, False, id="pipe"),
        pytest.param(FakeTTY, None, None, True, id="terminal"),
        pytest.param(FakeTTY, None, "1", False, id="terminal-NO_COLOR"),
        pytest.param(FakeTTY, False, None, False, id="terminal-color-off"),
        pytest.param(io.StringIO, True, None, True, id="pipe-color-forced"),
        pytest.param(io.StringIO, True, "1", True, id="forced-beats-NO_COLOR"),
    ],
)
def test_text_color_only_when_wanted(
    stream: type[io.StringIO], color: bool | None, no_color: str | None, ansi: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    out = stream()
    text.render(TYPICAL, out, color=color)
    assert ("\x1b[" in out.getvalue()) is ansi


def test_text_does_not_wrap_long_lines_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    ref = located("a.yaml", "nginx", 1, 1)
    message = "word " * 80
    out = rendered(text.render, make_report(findings=(finding("PIN001", ref, message.strip()),), refs=(ref,)))
    assert out.splitlines()[0] == f"a.yaml:1:1: error PIN001 mutable-tag  {message.strip()}"
    assert all(line == line.rstrip() for line in out.splitlines())


def test_text_keeps_brackets_in_messages() -> None:
    ref = located("a.yaml", "nginx", 1, 1)
    out = rendered(
        text.render, make_report(findings=(finding("PIN001", ref, "see # pinlint: ignore[PIN001] [bold]x"),))
    )
    assert "see # pinlint: ignore[PIN001] [bold]x" in out


def test_text_clean_run_and_fix_summary() -> None:
    change = Change("a.yaml", 3, 10, "nginx:1", f"nginx:1@{D1}", "PIN001", None, D1)
    report = make_report(refs=(APP,), fixed=1, changes=(change,))
    assert rendered(text.render, report) == (
        "fixed\n"
        f"  a.yaml:3:10  PIN001  nginx:1 -> nginx:1@{D1}\n"
        "\n"
        "no problems in 1 file, 1 reference\n"
        "fixed 1 reference\n"
    )


# -- markdown ---------------------------------------------------------------


def test_markdown_change_table() -> None:
    changes = (
        Change("k8s/app.yaml", 12, 16, "nginx:1.25", f"nginx:1.25@{D1}", "PIN001", None, D1),
        Change("k8s/app.yaml", 30, 16, f"redis:7@{D1}", f"redis:7@{D2}", "PIN011", D1, D2),
        Change("k8s/app.yaml", 44, 16, "ghcr.io/acme/app@git:HEAD", f"ghcr.io/acme/app:git-abc123@{D2}", "PIN002",
               None, D2),
    )
    out = rendered(markdown.render, make_report(refs=(APP,), fixed=3, changes=changes))
    assert "**No problems** in 1 file, 1 reference. Fixed 3 references." in out
    table = out.split("### Changes\n\n", 1)[1].splitlines()
    assert table == [
        "| Location | Reference | Old digest | New digest | Rule |",
        "|---|---|---|---|---|",
        "| `k8s/app.yaml:12` | `nginx:1.25` | \u2014 | `sha256:111111111111\u2026` | `PIN001` |",
        "| `k8s/app.yaml:30` | `redis:7` | `sha256:111111111111\u2026` | `sha256:222222222222\u2026` | `PIN011` |",
        "| `k8s/app.yaml:44` | `ghcr.io/acme/app:git-abc123` | \u2014 | `sha256:222222222222\u2026` | `PIN002` |",
    ]


def test_markdown_findings_table_is_capped() -> None:
    refs = tuple(located("a.yaml", f"img{i}:1", i + 1, 10) for i in range(markdown.MAX_ROWS + 7))
    report = make_report(findings=tuple(finding("PIN001", r, "no digest") for r in refs), refs=refs)
    out = rendered(markdown.render, report)
    assert out.count("| `PIN001` mutable-tag (error) |") == markdown.MAX_ROWS
    assert "_… and 7 more findings; see the full report._" in out
    assert "| `PIN001` mutable-tag (error) | `a.yaml:1` | `img0:1` | no digest |" in out


def test_markdown_counts_and_skipped_checks() -> None:
    out = rendered(markdown.render, TYPICAL)
    assert out.startswith("## pinlint\n\n**2 errors, 1 warning** in 2 files, 4 references.\n")
    assert "- registry checks skipped (--offline): PIN010, PIN011\n" in out
    assert "### Changes" not in out


def test_markdown_escapes_untrusted_text() -> None:
    ref = located("a.yaml", "x|y`z", 1, 1)
    out = rendered(
        markdown.render, make_report(findings=(finding("PIN003", ref, "bad <img src=x> | ping @git\nnext"),))
    )
    row = out.splitlines()[-1]
    assert row == (
        "| `PIN003` pin003 (error) | `a.yaml:1` | `` x\\|y`z `` | bad \\<img src=x\\> \\| ping @\u200bgit next |"
    )


def _text_through_rich(report: Report, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> str:
    """The text report as rich renders it without colour (what it was before
    the plain writer): ``_Lines`` is made to use a colourless rich console."""
    out = io.StringIO()
    with monkeypatch.context() as m:
        from rich.console import Console

        m.setattr(text, "use_color", lambda _out, _color: True)
        m.setattr(text, "make_console", lambda o, _color: Console(
            file=o, force_terminal=False, no_color=True, color_system=None, width=10_000, soft_wrap=True,
            highlight=False, markup=False, emoji=False))
        text.render(report, out, **kw)
    return out.getvalue()


def test_plain_text_report_is_what_rich_prints_without_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    odd = located("odd\tdir/ünï 漢字.yaml", "nginx:1\t2", 3, 9, start=40, object="Pod/x\tcontainer 漢")
    tabbed = finding("PIN001", odd, "tab\there, wide 漢字 and a \x1b[31m escape, emoji \U0001f600", fix="x\ty")
    tabbed = tabbed._replace(source_line="\timage: nginx:1\t2  # 漢字")
    changes = (Change("k8s/app.yaml", 12, 16, "PIN001", "nginx:1.25", f"nginx:1.25@{D2}"),)
    reports = [TYPICAL, make_report(), make_report((tabbed,), (odd,), ("PIN010",), fixed=1, changes=changes)]
    for report in reports:
        for quiet in (False, True):
            plain = rendered(text.render, report, quiet=quiet, color=False)
            assert plain == _text_through_rich(report, monkeypatch, quiet=quiet)


def test_json_report_is_exactly_the_standard_indented_encoding() -> None:
    """Findings and references are written field by field: every key, value
    and escape must still be what ``json.dumps(indent=2)`` writes."""
    odd = located("ünï/漢字\t\x1b.yaml", "nginx:1\u00e9\"\\", 3, 9, start=40, object="Pod/\u2028x")
    many = tuple(finding("PIN001", odd if i % 2 else APP, f"m{i} \u00e9\U0001f600") for i in range(5))
    built = located("compose.yaml", "acme/app:dev", 4, 12, kind="compose", built=True)
    tagged = located("charts/a/values.yaml", "{{ .Chart.AppVersion }}", 7, 3, tag_from="charts/a/Chart.yaml")
    placeholder = located("apps/p.yaml", "ghcr.io/acme/app@git:HEAD", 2, 9, object="Pod/p container a")
    pinned = located("apps/d.yaml", "nginx:1@sha256:" + "ab" * 32, 5, 5)
    file_problem = Finding("PIN900", "unparseable-file", "error", "bad.yaml", 3, 1, "invalid YAML: \"x\"\n")
    warned = finding("PIN004", tagged, "templated", severity="warning", fix="x\u2028y")
    mixed = [odd, APP, built, tagged, placeholder, pinned]
    lots = tuple(mixed[i % len(mixed)] for i in range(700))  # more than one batch of writes
    reports = [TYPICAL, make_report(), make_report(many, (odd, APP), ("PIN010", "PIN011"), fixed=3),
               make_report(refs=(odd,)), make_report(findings=many[:1]),
               make_report((file_problem, warned, *many), tuple(mixed)),
               make_report(tuple(finding("PIN001", r, f"m{i}") for i, r in enumerate(lots)) + (file_problem,), lots)]
    for report in reports:
        assert rendered(json_report.render, report) == json.dumps(json_report.document(report), indent=2) + "\n"
    assert json_report._encode({"a": [1.5, {"b": []}, {}], "c": {"d": None}}, 0) == json.dumps(
        {"a": [1.5, {"b": []}, {}], "c": {"d": None}}, indent=2)
