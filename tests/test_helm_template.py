"""Helm chart templates (issue 12, item 4): never parsed as YAML, but a line
``image: <literal>`` without a template expression is a deployed reference,
found line by line with an exact span (so a fix can pin it)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pinlint import formats
from pinlint.formats import Classifier, helm_template
from pinlint.model import apply_edits
from pinlint.sourcetext import SourceText

from .helpers import make_repo, run_json

DIGEST = "sha256:" + "7c2d" * 16

TEMPLATE = """\
{{- if .Values.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
spec:
  template:
    spec:
      initContainers:
        - image: busybox:1.36   # waits for the db
          name: wait
        - name: migrate
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
      containers:
        - name: web
          image: {{ .Values.image | quote }}
        - name: proxy
          image: "envoyproxy/envoy:v1.30"
        - name: cache
          image: 'redis:7.2@sha256:0000000000000000000000000000000000000000000000000000000000000000'
        - name: logs
          image: fluent/fluent-bit:3.0 {{- /* a trailing expression makes the line a template */}}
{{/*
        - name: old
          image: commented-out:1
*/}}
        - name: escaped
          image: "a\\u0062c:1"
        - name: nested
          image:
            repository: not/a-line-reference
      # image: a-yaml-comment:1
{{- end }}
"""


def located(text: str | bytes) -> list[tuple[int, int, str]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    source = SourceText.from_bytes(data)
    refs = helm_template.locate("chart/templates/t.yaml", source)
    for ref in refs:
        assert ref.kind == "helm-template" and ref.exact
        assert data[ref.span.start:ref.span.end].decode() == ref.text
        before = data[:ref.span.start].decode().removeprefix("\ufeff")
        assert (ref.span.line, ref.span.column) == (before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1)
    return [(r.span.line, r.span.column, r.text) for r in refs]


WANT = [
    (10, 18, "busybox:1.36"),
    (18, 19, "envoyproxy/envoy:v1.30"),
    (20, 19, "redis:7.2@sha256:" + "0" * 64),
]


def test_literal_image_lines_are_references_and_template_lines_are_not() -> None:
    assert located(TEMPLATE) == WANT


def test_crlf_and_bom() -> None:
    data = b"\xef\xbb\xbf" + TEMPLATE.replace("\n", "\r\n").encode()
    assert located(data) == WANT


def test_pinning_a_template_line_changes_only_its_value() -> None:
    data = TEMPLATE.encode()
    ref = helm_template.locate("t.yaml", SourceText.from_bytes(data))[0]
    plan = formats.plan_pin(ref, DIGEST, "tag-and-digest")
    assert plan is not None
    after = apply_edits(data, plan.edits)
    assert after == TEMPLATE.replace("busybox:1.36 ", f"busybox:1.36@{DIGEST} ", 1).encode()
    assert located(after)[0] == (10, 18, f"busybox:1.36@{DIGEST}")


@pytest.mark.parametrize(("relpath", "kind"), [
    ("chart/templates/deployment.yaml", "helm-template"),
    ("chart/templates/tests/test-connection.yml", "helm-template"),
    ("chart/templates/_helpers.tpl", None),
    ("other/templates/deployment.yaml", "kubernetes"),  # no Chart.yaml: not a chart
])
def test_classification(tmp_path: Path, relpath: str, kind: str | None) -> None:
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "Chart.yaml").write_text("name: c\n")
    assert Classifier(str(tmp_path)).kind(relpath) == kind


def test_inventory_and_findings_through_the_cli(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "image: {repository: ghcr.io/acme/web, tag: '1.0'}\n",
        "chart/templates/deployment.yaml": TEMPLATE,
    })
    code, report, _ = run_json("--offline", str(repo))
    refs = [(r["path"], r["line"], r["kind"], r["ref"]) for r in report["refs"]]
    assert ("chart/templates/deployment.yaml", 10, "helm-template", "busybox:1.36") in refs
    assert len([r for r in refs if r[2] == "helm-template"]) == 3
    rules = {(f["rule"], f["line"]) for f in report["findings"] if f["path"] == "chart/templates/deployment.yaml"}
    assert rules == {("PIN001", 10), ("PIN001", 18)}
    assert code == 1


def test_a_quoted_image_key_is_still_a_literal_line() -> None:
    # YAML reads "image": and 'image': as the key image: the line deploys its value as written
    text = ('spec:\n  containers:\n    - name: a\n      "image": busybox:latest\n'
            "    - name: b\n      'image': \"redis:7\"\n    - \"image\": nginx:1\n")
    assert located(text) == [(4, 16, "busybox:latest"), (6, 17, "redis:7"), (7, 16, "nginx:1")]


def test_an_image_key_in_a_flow_mapping_is_a_literal_line() -> None:
    text = (
        "spec:\n  containers:\n"
        "    - {name: b, image: \"redis:latest\"}\n"
        "    - {image: 'envoy:1.30', name: e}\n"
        "    - {name: p, image: busybox, ports: [{containerPort: 80}]}\n"
        "    - {name: t, image: {{ .Values.image | quote }}}\n"  # a template expression: not a reference
        "    - {name: s, imageTag: x, sidecarImage: y}\n"
    )
    assert located(text.replace("image: busybox", "image: 'busybox'")) == [
        (3, 25, "redis:latest"), (4, 16, "envoy:1.30"), (5, 25, "busybox")]
    refs = helm_template.locate("t.yaml", SourceText.from_bytes(text.encode()))
    # plain in a flow mapping: found where it is, but not rewritten (a digest's ":" would end the value there)
    assert [(r.span.line, r.span.column, r.text, r.exact) for r in refs][2] == (5, 24, "busybox", False)
