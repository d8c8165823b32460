"""Kubernetes, Kustomize, compose and Argo CD references: found without
configuration, at the right line and column, with exact spans."""
from __future__ import annotations

from pathlib import Path

import pytest

from pinlint import engine, formats
from pinlint.config import Config
from pinlint.formats import Classifier, kubernetes, kustomize
from pinlint.model import apply_edits
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import load_all
from tests.helpers import DIGEST, make_repo, refs_at, run_json

LOCATORS = engine.compile_locators(Config())


def locate(text: str, kind: str = "kubernetes") -> list[tuple[int, int, str]]:
    data = text.encode()
    source = SourceText.from_bytes(data)
    docs = load_all(source.text)
    refs = (
        kubernetes.locate("f.yaml", source, docs, LOCATORS)
        if kind == "kubernetes"
        else kustomize.locate("k.yaml", source, docs)
    )
    for ref in refs:
        if ref.exact:
            assert data[ref.span.start:ref.span.end].decode() == ref.text
    return sorted((r.span.line, r.span.column, r.text) for r in refs)


POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: nginx:1.25\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(POD, [(7, 14, "nginx:1.25")], id="pod"),
        pytest.param(
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
            "      initContainers:\n      - {name: i, image: 'busybox:1'}\n"
            "      containers:\n      - name: a\n        image: \"app:2\"\n"
            "      ephemeralContainers:\n      - name: d\n        image: debug\n",
            [(7, 27, "busybox:1"), (10, 17, "app:2"), (13, 16, "debug")],
            id="deployment-all-container-lists",
        ),
        *[
            pytest.param(
                f"apiVersion: apps/v1\nkind: {kind}\nspec:\n  template:\n    spec:\n      containers:\n"
                f"      - image: x:{kind.lower()}\n",
                [(7, 16, f"x:{kind.lower()}")],
                id=kind,
            )
            for kind in ("StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job")
        ],
        pytest.param(
            "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
            "          containers:\n          - image: cron:1\n",
            [(9, 20, "cron:1")],
            id="cronjob",
        ),
        pytest.param(
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  template:\n    spec:\n      containers:\n"
            "      - image: r:1\n",
            [(7, 16, "r:1")],
            id="argo-rollout",
        ),
        pytest.param(
            "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nspec:\n  template:\n    spec:\n"
            "      containers:\n      - image: oc:1\n",
            [(7, 16, "oc:1")],
            id="openshift-deploymentconfig",
        ),
        pytest.param(
            "apiVersion: v1\nkind: List\nitems:\n- " + POD.replace("\n", "\n  ").rstrip() + "\n",
            [(10, 16, "nginx:1.25")],
            id="list",
        ),
        pytest.param(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n  - name: a\n"
            "    container: {image: 'alpine:3'}\n"
            "  - name: b\n    script:\n      image: python:3\n  - name: c\n    sidecars:\n    - image: side:1\n",
            [(6, 25, "alpine:3"), (9, 14, "python:3"), (12, 14, "side:1")],
            id="argo-workflow",
        ),
        pytest.param(
            "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nspec:\n  workflowSpec:\n    templates:\n"
            "    - container:\n        image: cw:1\n",
            [(7, 16, "cw:1")],
            id="argo-cronworkflow",
        ),
        pytest.param(
            "apiVersion: tekton.dev/v1\nkind: Task\nspec:\n  steps:\n  - name: s\n    image: golang:1.22\n  sidecars:\n"
            "  - image: redis:7\n",
            [(6, 12, "golang:1.22"), (8, 12, "redis:7")],
            id="tekton-task",
        ),
        pytest.param(
            "apiVersion: tekton.dev/v1\nkind: Pipeline\nspec:\n  tasks:\n  - name: t\n    taskSpec:\n      steps:\n"
            "      - image: t:1\n",
            [(8, 16, "t:1")],
            id="tekton-pipeline",
        ),
        pytest.param(
            "apiVersion: serving.knative.dev/v1\nkind: Service\nspec:\n  template:\n    spec:\n      containers:\n"
            "      - image: kn:1\n",
            [(7, 16, "kn:1")],
            id="knative",
        ),
        pytest.param(
            "apiVersion: acme.io/v1\nkind: Unknown\nspec:\n  runner:\n    pod:\n      containers:\n"
            "      - image: crd:1\n",
            [(7, 16, "crd:1")],
            id="unknown-crd-podspec-fallback",
        ),
        pytest.param(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    kustomize:\n      images:\n"
            "      - gcr.io/heptio-images/ks-guestbook-demo:0.2\n      - app=ghcr.io/acme/app:1.0\n",
            [(7, 9, "gcr.io/heptio-images/ks-guestbook-demo:0.2"), (8, 13, "ghcr.io/acme/app:1.0")],
            id="argocd-application",
        ),
        pytest.param(
            "apiVersion: v1\nkind: Service\nspec:\n  ports: [{port: 80}]\n", [], id="service-has-none"
        ),
        pytest.param("# héllo wörld\n" + POD, [(8, 14, "nginx:1.25")], id="non-ascii-before"),
    ],
)
def test_kubernetes_locations(text: str, expected: list) -> None:
    assert locate(text) == expected


def test_crlf_and_bom_spans_are_byte_exact() -> None:
    data = b"\xef\xbb\xbf" + POD.replace("\n", "\r\n").replace("nginx:1.25", '"nginx:1.25"').encode()
    source = SourceText.from_bytes(data)
    (ref,) = kubernetes.locate("f.yaml", source, load_all(source.text), LOCATORS)
    assert data[ref.span.start:ref.span.end] == b"nginx:1.25"
    assert (ref.span.line, ref.span.column) == (7, 15)


def test_argocd_refs_have_their_own_kind() -> None:
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  template:\n    spec:\n"
        "      sources:\n      - kustomize:\n          images: ['a:1']\n"
    )
    source = SourceText.from_bytes(text.encode())
    (ref,) = kubernetes.locate("f.yaml", source, load_all(source.text), LOCATORS)
    assert (ref.kind, ref.text, ref.span.line, ref.span.column) == ("argocd", "a:1", 8, 21)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("images:\n- name: nginx\n  newTag: 1.25\n", [(2, 9, "nginx:1.25")], id="name-newtag"),
        pytest.param(
            f"images:\n- name: nginx\n  newName: ghcr.io/acme/nginx\n  newTag: '1.25'\n  digest: {DIGEST}\n",
            [(3, 12, f"ghcr.io/acme/nginx:1.25@{DIGEST}")],
            id="reported-at-newName",
        ),
        pytest.param("images:\n- name: nginx\n", [], id="name-only-overrides-nothing"),
    ],
)
def test_kustomize(text: str, expected: list) -> None:
    assert locate(text, "kustomize") == expected


@pytest.mark.parametrize(
    ("relpath", "kind"),
    [
        ("k8s/app.yaml", "kubernetes"),
        ("overlays/prod/kustomization.yaml", "kustomize"),
        ("base/Kustomization", "kustomize"),
        ("docker-compose.yml", "compose"),
        ("compose.prod.yaml", "compose"),
        ("Dockerfile", "dockerfile"),
        ("build/api.Dockerfile", "dockerfile"),
        ("Dockerfile.dev", "dockerfile"),
        ("Containerfile", "dockerfile"),
        (".github/workflows/ci.yml", "github-actions"),
        (".gitlab-ci.yml", "gitlab-ci"),
        ("azure-pipelines.yml", "azure-pipelines"),
        ("ci/pipelines/build.yaml", "azure-pipelines"),
        ("chart/values.yaml", "helm-values"),
        ("chart/values-prod.yaml", "helm-values"),
        ("chart/templates/deployment.yaml", "helm-template"),
        ("chart/Chart.yaml", None),
        ("notes.txt", None),
    ],
)
def test_classification(tmp_path: Path, relpath: str, kind: str | None) -> None:
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "Chart.yaml").write_text("name: c\n")
    assert Classifier(str(tmp_path)).kind(relpath) == kind


def test_user_locator_from_config(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {
        ".pinlint.yaml": "locators:\n  - id: acme\n    match: {apiVersion: 'acme.io/*', kind: Batch}\n"
                         "    images: ['spec.steps[].image', 'spec.tools.*.image']\n",
        "batch.yaml": "apiVersion: acme.io/v1\nkind: Batch\nspec:\n"
                      "  steps:\n  - image: step:1\n  tools:\n    lint: {image: 'lint:2'}\n",
    })
    code, report, _ = run_json("--offline", str(repo))
    assert refs_at(report) == [
        ("batch.yaml", 5, 12, "kubernetes", "step:1"),
        ("batch.yaml", 7, 20, "kubernetes", "lint:2"),
    ]
    assert code == 1


def test_compose_with_merge_key_reports_anchor(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {
        "compose.yaml": "x-base: &base\n  image: redis:7\nservices:\n  a:\n    <<: *base\n  b:\n    image: 'nginx'\n",
    })
    _, report, _ = run_json("--offline", str(repo))
    assert refs_at(report) == [
        ("compose.yaml", 2, 10, "compose", "redis:7"),
        ("compose.yaml", 7, 13, "compose", "nginx"),
    ]


# A locator path is tried only when its words are in the document's text, but
# a double-quoted key can spell any word with escapes: such a document is
# walked whatever its bytes say.

@pytest.mark.parametrize("text", [
    'apiVersion: apps/v1\nkind: Deployment\nspec:\n  "\\x74emplate":\n    spec:\n'
    '      containers: [{name: a, image: "nginx:latest"}]\n',
    'apiVersion: batch/v1\nkind: CronJob\nspec:\n  "jobTem\\u0070late":\n    spec:\n      template:\n'
    '        spec:\n          containers: [{name: a, image: "nginx:latest"}]\n',
])
def test_an_escaped_key_on_a_locator_path_does_not_hide_a_reference(text: str) -> None:
    assert [ref for _, _, ref in locate(text)] == ["nginx:latest"]


# Flux image overrides: a Kustomization's spec.images and a HelmRelease's
# kustomize post-renderer are Kustomize images: entries, applied by Flux.

FLUX = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  images:
    - name: ghcr.io/acme/web
      newTag: latest
    - name: nginx
      newName: registry.example.com/nginx
      digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
    - name: only-a-name
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo}
spec:
  postRenderers:
    - kustomize:
        images:
          - {name: ghcr.io/stefanprodan/podinfo, newTag: "6.5"}
---
apiVersion: example.com/v1
kind: Kustomization
spec:
  images: [{name: not-flux, newTag: "1"}]
"""


def test_flux_image_overrides_are_kustomize_entries() -> None:
    from tests.test_embedded import found, scan

    assert found(FLUX) == [
        (8, 13, "kustomize", "ghcr.io/acme/web:latest"),
        (11, 16, "kustomize", "registry.example.com/nginx@sha256:" + "0" * 64),
        (22, 20, "kustomize", "ghcr.io/stefanprodan/podinfo:6.5"),
    ]
    assert [r.object for r in scan(FLUX)[1]] == ["Kustomization/apps", "Kustomization/apps", "HelmRelease/podinfo"]
    data, refs = scan(FLUX)
    for n, ref in enumerate(refs):  # each fixed as a kustomization.yaml entry is: its digest written or added
        plan = formats.plan_pin(ref, DIGEST, "tag-and-digest")
        assert plan is not None
        again = scan(apply_edits(data, plan.edits))[1]
        assert [r.text for r in again] == [plan.text if i == n else r.text for i, r in enumerate(refs)]
        assert plan.text.endswith("@" + DIGEST)


def test_cli_judges_a_flux_override(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"clusters/prod/apps.yaml": FLUX})
    code, report, _ = run_json("--offline", str(repo))
    assert code == 1
    assert [(f["rule"], f["line"], f["ref"]) for f in report["findings"]] == [
        ("PIN001", 8, "ghcr.io/acme/web:latest"), ("PIN001", 22, "ghcr.io/stefanprodan/podinfo:6.5")]


def test_built_in_kinds_without_pods_are_not_walked_for_container_lists() -> None:
    """The API server drops fields a built-in kind does not have, so a
    container list written into a Service or ConfigMap is never run; the same
    list in a kind it does not know is (the PodSpec fallback)."""
    body = ("metadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n"
            "          image: nginx:1\n")
    for api_version, kind in (("v1", "Service"), ("v1", "ConfigMap"), ("networking.k8s.io/v1", "Ingress"),
                              ("autoscaling/v2", "HorizontalPodAutoscaler")):
        assert locate(f"apiVersion: {api_version}\nkind: {kind}\n{body}") == [], kind
    for api_version, kind in (("acme.io/v1", "Service"), ("v1", "Widget"), ("apps/v1", "Gadget")):
        assert locate(f"apiVersion: {api_version}\nkind: {kind}\n{body}") == [(9, 18, "nginx:1")], kind
