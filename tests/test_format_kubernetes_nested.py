"""Issue 12 items 1, 2 and 5: pod templates nested in lists of custom
resources, operator resources whose image is a scalar field (named locators
and the general fallback, without machine images), and Tekton bundles.

Every reference is checked span-exact: the file's bytes at the span are the
reference text, at the expected line and column; a pin edits only those bytes.
"""
from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import jsonschema
import pytest

from pinlint import engine, formats
from pinlint.config import Config
from pinlint.formats import kubernetes
from pinlint.formats.yamlrefs import parse_path, walk
from pinlint.locators import compile_all
from pinlint.model import LocatedRef, apply_edits
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import load_all
from tests.helpers import DIGEST, make_repo, refs_at, run_cli, run_json

LOCATORS = engine.compile_locators(Config())
SCHEMA = json.loads((Path(__file__).parent.parent / "pinlint/schemas/locator.schema.json").read_text())


def located(text: str) -> list[LocatedRef]:
    data = text.encode()
    source = SourceText.from_bytes(data)
    refs = kubernetes.locate("f.yaml", source, load_all(source.text), LOCATORS)
    for ref in refs:
        assert ref.exact, ref
        assert data[ref.span.start:ref.span.end].decode() == ref.text
        line_start = data.rfind(b"\n", 0, ref.span.start) + 1
        assert data[:line_start].count(b"\n") + 1 == ref.span.line
        assert len(data[line_start:ref.span.start].decode()) + 1 == ref.span.column
    return refs


def locate(text: str) -> list[tuple[int, int, str]]:
    return [(r.span.line, r.span.column, r.text) for r in located(text)]


def y(text: str) -> str:
    """A fixture written with '|' as the left margin (keeps the indentation readable)."""
    return "".join(line.split("|", 1)[1] + "\n" for line in text.splitlines() if line.strip())


def _pipeline() -> str:
    """PIPELINE_RUN's embedded pipeline as a Pipeline of its own."""
    head, _, body = PIPELINE_RUN.replace("kind: PipelineRun", "kind: Pipeline").partition("  pipelineSpec:\n")
    return head + "".join(line[2:] + "\n" for line in body.splitlines())


ANALYSIS = y("""
    |apiVersion: argoproj.io/v1alpha1
    |kind: {kind}
    |metadata: {{name: smoke}}
    |spec:
    |  metrics:
    |  - name: http
    |    provider: {{web: {{url: "http://x"}}}}
    |  - name: job
    |    provider:
    |      job:
    |        spec:
    |          template:
    |            spec:
    |              containers:
    |              - name: t
    |                image: busybox:1.36
    |              initContainers:
    |              - {{name: i, image: "alpine:3.19"}}
""")

WORKFLOW = y("""
    |apiVersion: argoproj.io/v1alpha1
    |kind: WorkflowTemplate
    |metadata: {name: w}
    |spec:
    |  templateDefaults:
    |    container: {image: 'defaults:1'}
    |  executorPlugins:
    |  - spec:
    |      sidecar:
    |        container:
    |          image: plugin:1
    |  templates:
    |  - name: dag
    |    dag:
    |      tasks:
    |      - name: a
    |        inline:
    |          container:
    |            image: inline-dag:1
    |      - name: nested
    |        inline:
    |          steps:
    |          - - name: deeper
    |              inline:
    |                script: {image: 'deep:2'}
    |  - name: steps
    |    steps:
    |    - - name: b
    |        inline:
    |          script:
    |            image: inline-steps:1
    |      - name: c
    |        inline:
    |          containerSet:
    |            containers:
    |            - name: one
    |              image: set:1
""")

PIPELINE_RUN = y("""
    |apiVersion: tekton.dev/v1
    |kind: PipelineRun
    |metadata: {name: pr}
    |spec:
    |  pipelineSpec:
    |    tasks:
    |    - name: a
    |      taskRef:
    |        resolver: bundles
    |        params:
    |        - name: bundle
    |          value: ghcr.io/acme/tasks:1
    |        - name: name
    |          value: build
    |    - name: b
    |      taskSpec:
    |        steps:
    |        - image: step:1
    |        sidecars:
    |        - image: side:1
    |        stepTemplate:
    |          image: tpl:1
    |    - name: git
    |      taskRef:
    |        resolver: git
    |        params:
    |        - {name: bundle, value: 'not-a-bundle:1'}
    |    - name: inner
    |      pipelineSpec:
    |        tasks:
    |        - name: x
    |          taskSpec:
    |            steps:
    |            - image: inner:1
    |    finally:
    |    - name: f
    |      taskSpec:
    |        steps:
    |        - image: fin:1
    |        - name: remote
    |          ref:
    |            resolver: bundles
    |            params:
    |            - name: bundle
    |              value: "ghcr.io/acme/steps:2"
    |        sidecars:
    |        - image: fin-side:1
""")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[
            pytest.param(
                ANALYSIS.format(kind=kind), [(16, 24, "busybox:1.36"), (18, 35, "alpine:3.19")], id=kind
            )
            for kind in ("AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun")
        ],
        pytest.param(
            y("""
                |apiVersion: argoproj.io/v1alpha1
                |kind: Experiment
                |spec:
                |  templates:
                |  - name: baseline
                |    template:
                |      spec:
                |        containers:
                |        - image: base:1
            """),
            [(9, 18, "base:1")],
            id="argo-experiment",
        ),
        pytest.param(
            WORKFLOW,
            [
                (6, 25, "defaults:1"), (11, 18, "plugin:1"), (19, 20, "inline-dag:1"),
                (25, 34, "deep:2"), (31, 20, "inline-steps:1"), (37, 22, "set:1"),
            ],
            id="argo-workflow-inline-and-plugins",
        ),
        pytest.param(
            WORKFLOW.replace("kind: WorkflowTemplate", "kind: CronWorkflow").replace(
                "spec:\n  templateDefaults", "spec:\n workflowSpec:\n  templateDefaults", 1
            ),
            [
                (7, 25, "defaults:1"), (12, 18, "plugin:1"), (20, 20, "inline-dag:1"),
                (26, 34, "deep:2"), (32, 20, "inline-steps:1"), (38, 22, "set:1"),
            ],
            id="argo-cronworkflow-inline",
        ),
        pytest.param(
            "apiVersion: argoproj.io/v1alpha1\nkind: ExecutorPlugin\nmetadata: {name: hello}\nspec:\n"
            "  sidecar:\n    container:\n      image: python:alpine3.6\n",
            [(7, 14, "python:alpine3.6")],
            id="argo-executor-plugin",
        ),
        pytest.param(
            PIPELINE_RUN,
            [
                (12, 18, "ghcr.io/acme/tasks:1"), (18, 18, "step:1"), (20, 18, "side:1"), (22, 18, "tpl:1"),
                (34, 22, "inner:1"), (39, 18, "fin:1"), (45, 23, "ghcr.io/acme/steps:2"),
                (47, 18, "fin-side:1"),
            ],
            id="tekton-pipelinerun-embedded-finally-bundles",
        ),
        pytest.param(
            _pipeline(),
            [
                (11, 16, "ghcr.io/acme/tasks:1"), (17, 16, "step:1"), (19, 16, "side:1"), (21, 16, "tpl:1"),
                (33, 20, "inner:1"), (38, 16, "fin:1"), (44, 21, "ghcr.io/acme/steps:2"),
                (46, 16, "fin-side:1"),
            ],
            id="tekton-pipeline",
        ),
        pytest.param(
            "apiVersion: tekton.dev/v1beta1\nkind: TaskRun\nspec:\n  taskRef:\n    bundle: gcr.io/acme/b:v1\n"
            "---\napiVersion: tekton.dev/v1beta1\nkind: PipelineRun\nspec:\n  pipelineRef:\n"
            "    name: p\n    bundle: 'gcr.io/acme/p:v2'\n",
            [(5, 13, "gcr.io/acme/b:v1"), (12, 14, "gcr.io/acme/p:v2")],
            id="tekton-bundle-fields",
        ),
        pytest.param(
            "apiVersion: tekton.dev/v1\nkind: PipelineRun\nspec:\n  pipelineRef:\n    resolver: bundles\n"
            "    params:\n    - name: bundle\n      value: reg.io/p@" + DIGEST + "\n",
            [(8, 14, "reg.io/p@" + DIGEST)],
            id="tekton-bundles-resolver-pipelineref",
        ),
        pytest.param(
            "apiVersion: tekton.dev/v1\nkind: TaskRun\nspec:\n  taskSpec:\n    steps:\n    - image: tr:1\n"
            "    sidecars:\n    - image: trs:1\n",
            [(6, 14, "tr:1"), (8, 14, "trs:1")],
            id="tekton-taskrun",
        ),
        pytest.param(
            "apiVersion: tekton.dev/v1alpha1\nkind: Condition\nmetadata: {name: c}\nspec:\n  check:\n"
            "    image: alpine:3.19\n    script: 'test -f x'\n",
            [(6, 12, "alpine:3.19")],
            id="tekton-condition",
        ),
        pytest.param(
            "apiVersion: tekton.dev/v1beta1\nkind: StepAction\nmetadata: {name: s}\nspec:\n"
            "  image: ghcr.io/acme/git:2.44\n  script: echo\n",
            [(5, 10, "ghcr.io/acme/git:2.44")],
            id="tekton-stepaction",
        ),
        pytest.param(
            y("""
                |apiVersion: triggers.tekton.dev/v1beta1
                |kind: TriggerTemplate
                |spec:
                |  resourcetemplates:
                |  - apiVersion: tekton.dev/v1
                |    kind: PipelineRun
                |    spec:
                |      pipelineRef:
                |        bundle: reg.io/pipe:1
                |      pipelineSpec:
                |        tasks:
                |        - taskSpec:
                |            steps:
                |            - image: trig:1
            """),
            [(9, 17, "reg.io/pipe:1"), (14, 22, "trig:1")],
            id="tekton-triggertemplate",
        ),
        pytest.param(
            y("""
                |apiVersion: acme.io/v1
                |kind: Unknown
                |spec:
                |  stages:
                |  - - jobs:
                |      - a:
                |          b:
                |          - c:
                |              d:
                |                e:
                |                  f:
                |                    g:
                |                      pod:
                |                        containers:
                |                        - image: deep:1
            """),
            [(15, 34, "deep:1")],
            id="podspec-fallback-lists-at-any-depth",
        ),
    ],
)
def test_nested_pod_templates(text: str, expected: list) -> None:
    assert sorted(locate(text)) == sorted(expected)


OPERATORS = y("""
    |apiVersion: monitoring.coreos.com/v1
    |kind: Prometheus
    |metadata: {name: k8s}
    |spec:
    |  image: quay.io/prometheus/prometheus:v2.53.0
    |  baseImage: quay.io/prometheus/prometheus
    |  version: v2.53.0
    |  thanos:
    |    image: "quay.io/thanos/thanos:v0.35.1"
    |  containers:
    |  - name: config-reloader
    |    image: reloader:1
    |  - name: prometheus
    |    resources: {}
    |---
    |apiVersion: monitoring.coreos.com/v1
    |kind: Alertmanager
    |spec:
    |  image: quay.io/prometheus/alertmanager
    |---
    |apiVersion: monitoring.coreos.com/v1
    |kind: ThanosRuler
    |spec:
    |  image: 'quay.io/thanos/thanos:v0.35.1'
    |---
    |apiVersion: postgresql.cnpg.io/v1
    |kind: Cluster
    |spec:
    |  instances: 3
    |  imageName: ghcr.io/cloudnative-pg/postgresql:16.3
    |---
    |apiVersion: postgresql.cnpg.io/v1
    |kind: ClusterImageCatalog
    |spec:
    |  images:
    |  - major: 16
    |    image: ghcr.io/cloudnative-pg/postgresql:16.3
""")


def test_operator_locators() -> None:
    assert sorted(locate(OPERATORS)) == [
        (5, 10, "quay.io/prometheus/prometheus:v2.53.0"),
        (9, 13, "quay.io/thanos/thanos:v0.35.1"),
        (12, 12, "reloader:1"),
        # a named locator reports what its field holds, tag or not
        (19, 10, "quay.io/prometheus/alertmanager"),
        (24, 11, "quay.io/thanos/thanos:v0.35.1"),
        (30, 14, "ghcr.io/cloudnative-pg/postgresql:16.3"),
        (37, 12, "ghcr.io/cloudnative-pg/postgresql:16.3"),
    ]


GENERAL = y("""
    |apiVersion: apps.acme.io/v1
    |kind: Gateway
    |metadata:
    |  name: g
    |  annotations:
    |    acme.io/proxyImage: ghcr.io/acme/proxy:1
    |spec:
    |  image: ghcr.io/acme/gateway:2.1
    |  imageName: "docker.io/library/redis:7.2"
    |  sidecarImage: 'ghcr.io/acme/sidecar@{digest}'
    |  exporter:
    |    agentImage: ghcr.io/acme/agent:3
    |  plugins:
    |  - name: a
    |    image: ghcr.io/acme/plugin-a:1
    |  - - {{image: "nested-list:4"}}
    |  untagged:
    |    image: ghcr.io/acme/untagged
    |  bare:
    |    image: alpine
    |  templated:
    |    image: "${{IMAGE}}"
    |  url:
    |    image: https://example.com/x:1
    |  prose:
    |    image: not an image
    |  invalid:
    |    image: UPPER/Case:1
    |  vmImage: ubuntu/ubuntu:22.04
    |  osImage: flatcar/stable:3815
    |  defaultVmImage: ubuntu/ubuntu:22.04
    |  bootDiskImage: debian-cloud/debian:12
    |  imagePullPolicy: IfNotPresent
    |  placeholder:
    |    image: ghcr.io/acme/app@git:main
    |status:
    |  image: ghcr.io/acme/gateway:2.0
""").format(digest=DIGEST)


def test_scalar_image_fallback() -> None:
    assert locate(GENERAL) == [
        (8, 10, "ghcr.io/acme/gateway:2.1"),
        (9, 15, "docker.io/library/redis:7.2"),
        (10, 18, f"ghcr.io/acme/sidecar@{DIGEST}"),
        (12, 17, "ghcr.io/acme/agent:3"),
        (15, 12, "ghcr.io/acme/plugin-a:1"),
        (16, 16, "nested-list:4"),
        (35, 12, "ghcr.io/acme/app@git:main"),
    ]
    refs = located(GENERAL)
    assert {r.kind for r in refs} == {"kubernetes"}
    assert refs[0].where == "Gateway/g spec.image"
    assert refs[5].where == "Gateway/g spec.plugins[1][0].image"


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        pytest.param("v1", "ConfigMap", id="configmap"),
        pytest.param("v1", "Secret", id="secret"),
        pytest.param("apiextensions.k8s.io/v1", "CustomResourceDefinition", id="crd"),
        pytest.param("acme.io/v1", "ConfigMap", id="configmap-named-kind"),
        pytest.param("skaffold/v4beta11", "Config", id="dotless-group-tool-config"),
        pytest.param("v1", "Service", id="core"),
        pytest.param("kustomize.config.k8s.io/v1beta1", "Kustomization", id="built-in-k8s-io-group"),
        pytest.param("infrastructure.cluster.x-k8s.io/v1beta1", "OpenStackCluster", id="cluster-api"),
        pytest.param("controlplane.cluster.x-k8s.io/v1beta1", "Anything", id="cluster-api-any-group"),
        pytest.param("compute.gcp.upbound.io/v1beta1", "Instance", id="crossplane-provider"),
        pytest.param("apiextensions.crossplane.io/v1", "Composition", id="crossplane"),
        pytest.param("compute.cnrm.cloud.google.com/v1beta1", "ComputeInstance", id="config-connector"),
        pytest.param("ec2.services.k8s.aws/v1alpha1", "Instance", id="aws-ack"),
        pytest.param("compute.azure.com/v1api20220301", "VirtualMachine", id="azure-service-operator"),
        pytest.param("kubevirt.io/v1", "VirtualMachineInstance", id="kubevirt"),
        pytest.param("acme.io/v1", "AcmeMachineTemplate", id="machine-template-kind"),
        pytest.param("machine.openshift.io/v1beta1", "MachineSet", id="machine-kind"),
    ],
)
def test_scalar_image_fallback_leaves_out(api_version: str, kind: str) -> None:
    text = (
        f"apiVersion: {api_version}\nkind: {kind}\nspec:\n  template:\n    spec:\n"
        "      image: ubuntu/jammy:22.04\n      nodeImage: kindest/node:v1.30.0\n"
        "data:\n  image: ghcr.io/acme/app:1\n"
    )
    assert locate(text) == []


def test_scalar_fallback_never_double_reports_a_located_reference() -> None:
    text = y("""
        |apiVersion: acme.io/v1
        |kind: Runner
        |spec:
        |  pod:
        |    containers:
        |    - name: a
        |      image: ghcr.io/acme/runner:1
        |  helperImage: ghcr.io/acme/helper:1
    """)
    assert locate(text) == [(7, 14, "ghcr.io/acme/runner:1"), (8, 16, "ghcr.io/acme/helper:1")]
    # a named locator's field and the fallback see the same node: reported once
    assert [r.text for r in located(OPERATORS)].count("quay.io/prometheus/prometheus:v2.53.0") == 1


def test_helm_release_values_are_left_to_the_helm_values_reader(tmp_path: Path) -> None:
    text = y("""
        |apiVersion: helm.toolkit.fluxcd.io/v2
        |kind: HelmRelease
        |metadata: {name: r}
        |spec:
        |  chart:
        |    spec: {chart: podinfo}
        |  values:
        |    image: ghcr.io/stefanprodan/podinfo:6.5.0
        |    sidecarImage: ghcr.io/acme/side:1
        |  postRenderers:
        |  - kustomize:
        |      images:
        |      - {name: x, newTag: '1'}
    """)
    # The scalar fallback reads nothing of it: the values are Helm values, and
    # the post-renderer's images: entry is a Kustomize one (see test_format_kubernetes).
    source = SourceText.from_bytes(text.encode())
    found = kubernetes.locate("f.yaml", source, load_all(source.text), LOCATORS)
    assert [(r.span.line, r.span.column, r.kind, r.text) for r in found] == [(13, 16, "kustomize", "x:1")]
    repo = make_repo(tmp_path / "r", {"release.yaml": text})
    _, report, _ = run_json("--offline", str(repo))
    assert refs_at(report) == [
        ("release.yaml", 8, 12, "helm-values", "ghcr.io/stefanprodan/podinfo:6.5.0"),
        ("release.yaml", 9, 19, "helm-values", "ghcr.io/acme/side:1"),
        ("release.yaml", 13, 16, "kustomize", "x:1"),
    ]


def test_anchors_are_walked_once_at_any_depth() -> None:
    """``**`` and the fallbacks visit each node once, so aliases that fan out
    (a small billion-laughs) cost what the document's nodes cost."""
    lines = ["apiVersion: tekton.dev/v1", "kind: Pipeline", "spec:", "  a0: &a0 {steps: [{image: 'x:1'}]}"]
    lines += [f"  a{n}: &a{n} [*a{n - 1}, *a{n - 1}]" for n in range(1, 10)]
    text = "\n".join(lines) + "\n"
    started = time.monotonic()
    refs = located(text)
    assert [r.text for r in refs] == ["x:1"]
    assert time.monotonic() - started < 5


def test_list_item_aliases_reach_anchors_in_earlier_items() -> None:
    text = y("""
        |apiVersion: v1
        |kind: List
        |items:
        |- apiVersion: tekton.dev/v1
        |  kind: Task
        |  metadata: {name: t}
        |  spec:
        |    steps: &steps
        |    - image: shared:1
        |- apiVersion: tekton.dev/v1
        |  kind: TaskRun
        |  metadata: {name: r}
        |  spec:
        |    taskSpec:
        |      steps: *steps
    """)
    refs = located(text)
    assert [(r.span.line, r.span.column, r.text) for r in refs] == [(9, 14, "shared:1")] * 2
    assert [r.where for r in refs] == ["Task/t spec.steps[0].image", "TaskRun/r spec.taskSpec.steps[0].image"]


def test_deep_documents_with_long_keys_cost_a_link_per_node() -> None:
    """``**`` and the fallbacks keep a key path as links, not a string per
    node (300 levels of 500-character keys would be 20 MB of paths)."""
    lines = ["apiVersion: tekton.dev/v1", "kind: Task", "spec:"]
    lines += [" " * (d + 1) + f"{'k' * 496}{d:04}:" for d in range(300)]
    lines.append(" " * 301 + "steps: [{image: 'deep:1'}]")
    text = "\n".join(lines) + "\n"
    source = SourceText.from_bytes(text.encode())
    docs = load_all(source.text)
    tracemalloc.start()
    try:
        refs = kubernetes.locate("f.yaml", source, docs, LOCATORS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(r.span.line, r.text) for r in refs] == [(304, "deep:1")]
    # each 500-character key is cut at 253 characters in the path (yamlrefs.MAX_LABEL)
    assert refs[0].where.endswith("k" * 252 + "\u2026.steps[0].image")
    assert peak < 5_000_000, peak


# The path syntax.

def test_parse_path_splits_outside_brackets() -> None:
    assert parse_path("spec.**.taskRef[resolver=bundles].params[name=bundle].value") == (
        "spec", "**", "taskRef[resolver=bundles]", "params[name=bundle]", "value",
    )
    assert parse_path("a.b[k=v.w].c") == ("a", "b[k=v.w]", "c")
    assert parse_path("steps[][]") == ("steps[][]",)


def test_walk_any_depth_lists_of_lists_and_selectors() -> None:
    (doc,) = load_all(
        "a:\n  b: [{x: 1}, {x: 2, k: v}]\n  c:\n    - - {x: 3}\n    - - {x: 4, k: v}\n  d: {x: 5, k: v}\n"
    )
    assert [(str(n), w) for n, w in walk(doc, parse_path("**.x"))] == [
        ("1", "a.b[0].x"), ("2", "a.b[1].x"), ("3", "a.c[0][0].x"), ("4", "a.c[1][0].x"), ("5", "a.d.x"),
    ]
    assert [w for _, w in walk(doc, parse_path("a.c[][].x"))] == ["a.c[0][0].x", "a.c[1][0].x"]
    assert [w for _, w in walk(doc, parse_path("a.b[k=v].x"))] == ["a.b[1].x"]
    assert [w for _, w in walk(doc, parse_path("a.d[k=v].x"))] == ["a.d.x"]
    assert [w for _, w in walk(doc, parse_path("a.d[k=w].x"))] == []


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("spec.templates[].container.image", True),
        ("spec.**.steps[].image", True),
        ("spec.stages[][].image", True),
        ("spec.**.taskRef[resolver=bundles].params[name=bundle].value", True),
        ("spec.tools.*.image", True),
        ("spec..image", False),
        ("spec[resolver].image", False),
        ("spec.a b", False),
        ("spec.**[].image", False),
        ("spec.***.image", False),
    ],
)
def test_locator_schema_paths(path: str, valid: bool) -> None:
    spec = {"id": "x", "match": {"kind": "X"}, "images": [path]}
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(spec))
    assert (not errors) == valid, errors


def test_every_builtin_locator_is_valid() -> None:
    from pinlint.locators import builtin_specs

    for spec in builtin_specs():
        jsonschema.validate(spec, SCHEMA)
    ids = [spec["id"] for spec in builtin_specs()]
    assert len(ids) == len(set(ids))


def test_keywords_of_selector_paths() -> None:
    (loc,) = compile_all([{
        "id": "x", "match": {"kind": "X"},
        "images": ["spec.**.taskRef[resolver=bundles].params[name=bundle].value", "spec.steps[][].img"],
    }])[-1:]
    assert loc.keywords() == {"bundle", "img"}


# Through the CLI: found in files whose only hint is a bundle or a *Image key,
# judged like images, and pinned by editing only the reference's bytes.

BUNDLE_ONLY = (
    "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {name: pr}\nspec:\n  pipelineRef:\n"
    "    resolver: bundles\n    params:\n    - name: bundle\n      value: ghcr.io/acme/pipelines:1.0\n"
    "    - name: name\n      value: release\n"
)
IMAGE_KEY_ONLY = "apiVersion: acme.io/v1\nkind: Agent\nspec:\n  sidecarImage: ghcr.io/acme/sidecar:2\n"


def test_cli_finds_and_judges_bundles_and_scalar_images(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"run.yaml": BUNDLE_ONLY, "agent.yaml": IMAGE_KEY_ONLY})
    code, report, _ = run_json("--offline", str(repo))
    assert refs_at(report) == [
        ("agent.yaml", 4, 17, "kubernetes", "ghcr.io/acme/sidecar:2"),
        ("run.yaml", 9, 14, "kubernetes", "ghcr.io/acme/pipelines:1.0"),
    ]
    rules = sorted((f["path"], f["rule"]) for f in report["findings"])
    assert ("run.yaml", "PIN001") in rules and ("agent.yaml", "PIN001") in rules
    assert code == 1


def test_user_locator_with_any_depth_and_selector(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {
        ".pinlint.yaml": "locators:\n  - id: acme\n    match: {apiVersion: 'batch.acme.io/*'}\n"
                         "    images: ['spec.**.tool[kind=oci].ref', 'spec.stages[][].img']\n",
        "b.yaml": "apiVersion: batch.acme.io/v1\nkind: Batch\nspec:\n  a:\n    - tool: {kind: oci, ref: 'x:1'}\n"
                  "    - tool: {kind: git, ref: 'y:1'}\n  stages:\n  - - img: z:1\n",
    })
    _, report, _ = run_json("--offline", str(repo))
    assert refs_at(report) == [("b.yaml", 5, 31, "kubernetes", "x:1"), ("b.yaml", 8, 12, "kubernetes", "z:1")]
    (repo / ".pinlint.yaml").write_text("locators:\n  - id: acme\n    match: {kind: B}\n    images: ['spec[x].a']\n")
    bad = run_cli("--offline", str(repo))
    assert bad.returncode == 2, bad.stderr
    assert "locators[0]" in bad.stderr


@pytest.mark.parametrize(
    ("text", "ref_text"),
    [
        pytest.param(PIPELINE_RUN, "ghcr.io/acme/steps:2", id="bundle-resolver-param-quoted"),
        pytest.param(PIPELINE_RUN, "ghcr.io/acme/tasks:1", id="bundle-resolver-param"),
        pytest.param(WORKFLOW, "deep:2", id="argo-inline-in-inline-flow"),
        pytest.param(GENERAL, "ghcr.io/acme/agent:3", id="scalar-fallback"),
        pytest.param(OPERATORS, "quay.io/thanos/thanos:v0.35.1", id="prometheus-thanos"),
    ],
)
def test_pin_edits_only_the_reference(text: str, ref_text: str) -> None:
    data = text.replace("\n", "\r\n").encode()  # CRLF: nothing may normalize line endings
    source = SourceText.from_bytes(data)
    refs = kubernetes.locate("f.yaml", source, load_all(source.text), LOCATORS)
    ref = next(r for r in refs if r.text == ref_text)
    planned = formats.plan_pin(ref, DIGEST, "tag-and-digest")
    assert planned is not None
    after = apply_edits(data, planned.edits)
    start, end = ref.span.start, ref.span.end
    assert after[:start] == data[:start]
    assert after[len(after) - (len(data) - end):] == data[end:]
    assert after[start:len(after) - (len(data) - end)] == f"{ref_text}@{DIGEST}".encode()
    again = SourceText.from_bytes(after)
    texts = [r.text for r in kubernetes.locate("f.yaml", again, load_all(again.text), LOCATORS)]
    assert texts == [f"{ref_text}@{DIGEST}" if r.text == ref_text and r.span.start == start else r.text for r in refs]


def test_readme_names_the_new_places() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## Where references are found", 1)[1].split("\n## ", 1)[0]
    for word in ("AnalysisTemplate", "inline", "executorPlugins", "finally", "StepAction", "Condition",
                 "bundle", "Prometheus", "imageName", "vmImage", "**", "[k=v]"):
        assert word in section, word
