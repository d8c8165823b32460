"""Locators of the CI and Helm values formats: Helm values, GitHub Actions,
GitLab CI, Azure Pipelines.

Every case checks the 1-based line and column where a reference starts and,
for exact references, that the bytes of the file under the span are the
reference text: fix mode replaces exactly those bytes.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from pinlint import yamldoc
from pinlint.formats import azure_pipelines, github_actions, gitlab_ci, helm_values
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText
from tests.helpers import make_repo, run_json

Locate = Callable[[str, SourceText, Sequence[object]], "list[LocatedRef]"]

DIGEST = "sha256:" + "3f0c" * 16
HEX = "9a1b" * 16


def run(locate: Locate, text: str | bytes) -> tuple[bytes, list[LocatedRef]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    source = SourceText.from_bytes(data)
    refs = locate("f.yaml", source, yamldoc.load_all(source.text))
    for ref in refs:
        before = data[:ref.span.start].decode("utf-8").removeprefix("\ufeff")
        assert (ref.span.line, ref.span.column) == (before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1)
        if ref.exact:
            assert data[ref.span.start:ref.span.end].decode("utf-8") == ref.text, ref
    return data, refs


def located(locate: Locate, text: str | bytes) -> list[tuple[int, int, str]]:
    return [(r.span.line, r.span.column, r.text) for r in run(locate, text)[1]]


def field_texts(data: bytes, ref: LocatedRef) -> dict[str, str]:
    return {name: data[span.start:span.end].decode("utf-8") for name, span in ref.fields}


# --------------------------------------------------------------------------- Helm values

HELM_CASES = [
    pytest.param("image: nginx:1.25\n", [(1, 8, "nginx:1.25")], id="plain-string"),
    pytest.param('image: "nginx:1.25"\n', [(1, 9, "nginx:1.25")], id="double-quoted"),
    pytest.param("app:\n  deep:\n    image: 'ghcr.io/a/b:1'\n", [(3, 13, "ghcr.io/a/b:1")], id="any-depth"),
    pytest.param(
        "sidecars:\n  - name: envoy\n    image: envoyproxy/envoy:v1.30\n",
        [(3, 12, "envoyproxy/envoy:v1.30")],
        id="in-list",
    ),
    pytest.param("initImage: busybox:1.36\n", [(1, 12, "busybox:1.36")], id="image-suffix-key"),
    pytest.param("waitImage: enabled\nuseImage: true\n", [], id="image-suffix-not-a-ref"),
    pytest.param("image:\n  repository: nginx\n  tag: 1.25\n", [(2, 15, "nginx:1.25")], id="split"),
    pytest.param(
        "image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.25.3-debian-12-r0\n  digest: \"\"\n",
        [(3, 15, "docker.io/bitnami/nginx:1.25.3-debian-12-r0")],
        id="bitnami-empty-digest",
    ),
    pytest.param(
        f"image:\n  registry: ghcr.io\n  repository: acme/api\n  tag: v2\n  digest: {DIGEST}\n",
        [(3, 15, f"ghcr.io/acme/api:v2@{DIGEST}")],
        id="split-digest",
    ),
    pytest.param(
        f"image:\n  repository: acme/api\n  digest: {HEX}\n",
        [(2, 15, f"acme/api@sha256:{HEX}")],
        id="bare-hex-digest",
    ),
    pytest.param(
        f"image:\n  repository: grafana/grafana\n  tag: 11.0.0\n  sha: \"{HEX}\"\n",
        [(2, 15, f"grafana/grafana:11.0.0@sha256:{HEX}")],
        id="grafana-sha-field",
    ),
    pytest.param('image:\n  repository: nginx\n  tag: ""\n', [(2, 15, "nginx")], id="empty-tag-appversion"),
    pytest.param("image:\n  repository: nginx\n  tag:\n", [(2, 15, "nginx")], id="null-tag"),
    pytest.param("image: {repository: nginx, tag: '1.25'}\n", [(1, 21, "nginx:1.25")], id="flow-map"),
    pytest.param("backend:\n  repository: acme/api\n  tag: v1\n", [(2, 15, "acme/api:v1")], id="split-any-key"),
    pytest.param("mainImage:\n  repository: acme/api\n", [(2, 15, "acme/api")], id="parent-key-names-image"),
    pytest.param(
        "dependencies:\n  - name: redis\n    repository: https://charts.bitnami.com/bitnami\n    version: 18.0.0\n",
        [],
        id="chart-dependency-not-an-image",
    ),
    pytest.param("git:\n  repository: acme/config\n  branch: main\n", [], id="repository-without-tag"),
    pytest.param(
        "chart:\n  repository: oci://ghcr.io/acme/charts\n  tag: 1.0.0\n", [], id="url-repository-not-an-image"
    ),
    pytest.param(
        'image:\n  repository: "{{ .Values.global.registry }}/api"\n  tag: "{{ .Chart.AppVersion }}"\n',
        [(2, 16, "{{ .Values.global.registry }}/api:{{ .Chart.AppVersion }}")],
        id="templated-split",
    ),
    pytest.param("# pinned ✓ — é\nimage: nginx:1.25 # ünïcode\n", [(2, 8, "nginx:1.25")], id="non-ascii-comment"),
    pytest.param(b"a: 1\r\nimage: nginx:1.25\r\nb: 2\r\n", [(2, 8, "nginx:1.25")], id="crlf"),
    pytest.param(b"\xef\xbb\xbfimage: nginx:1.25\n", [(1, 8, "nginx:1.25")], id="bom"),
    pytest.param(
        "base: &img\n  repository: acme/api\n  tag: v1\nweb:\n  image: *img\nworker:\n  image: *img\n",
        [(2, 15, "acme/api:v1")],
        id="anchor-reported-once",
    ),
    pytest.param(
        "defaults: &d\n  repository: acme/api\n  tag: v1\nweb:\n  image:\n    <<: *d\n    tag: v2\n",
        [(2, 15, "acme/api:v1"), (2, 15, "acme/api:v2")],
        id="merge-key-override",
    ),
    pytest.param("---\nimage: a:1\n---\nimage: b:2\n", [(2, 8, "a:1"), (4, 8, "b:2")], id="multi-document"),
    pytest.param('image: ""\nimage2: ~\n', [], id="empty"),
]


@pytest.mark.parametrize(("text", "expected"), HELM_CASES)
def test_helm_values(text: str | bytes, expected: list[tuple[int, int, str]]) -> None:
    assert located(helm_values.locate, text) == expected


def test_helm_split_fields_and_exactness() -> None:
    text = "image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: '1.25'\n  digest: \"\"\n"
    data, (ref,) = run(helm_values.locate, text)
    assert ref.kind == "helm-values"
    assert not ref.exact
    assert ref.where == "image.repository"
    assert field_texts(data, ref) == {
        "registry": "docker.io", "repository": "bitnami/nginx", "tag": "1.25", "digest": ""
    }
    digest_span = dict(ref.fields)["digest"]
    assert data[digest_span.start - 1:digest_span.end + 1] == b'""'  # fix mode fills between the quotes


def test_helm_repository_alone_is_exact() -> None:
    data, (ref,) = run(helm_values.locate, 'image:\n  repository: nginx\n  tag: ""\n')
    assert ref.exact and ref.text == "nginx"
    # the empty tag is marked: crossfile gives it the chart's appVersion when there is one
    assert [name for name, _ in ref.fields] == ["repository", "tag", helm_values.APP_VERSION_TAG]


def test_helm_bare_digest_field_is_omitted() -> None:
    _, (ref,) = run(helm_values.locate, "image:\n  repository: nginx\n  tag: '1'\n  digest:\n")
    assert [name for name, _ in ref.fields] == ["repository", "tag"]


def test_helm_escaped_scalar_is_not_exact() -> None:
    data, (ref,) = run(helm_values.locate, 'image: "nginx\\x3a1.25"\n')
    assert ref.text == "nginx:1.25" and not ref.exact
    assert data[ref.span.start:ref.span.end] == b'"nginx\\x3a1.25"'  # the whole token, quotes included


def test_helm_templated() -> None:
    _, (plain, templated) = run(helm_values.locate, "a:\n  image: x:1\nb:\n  image: \"{{ .Values.img }}\"\n")
    assert not plain.templated and templated.templated
    assert templated.where == "b.image"


def test_helm_deep_nesting_does_not_recurse() -> None:
    depth = 900
    text = "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + f"{'  ' * depth}image: nginx:1\n"
    assert located(helm_values.locate, text) == [(depth + 1, 2 * depth + 8, "nginx:1")]


# --------------------------------------------------------------------------- GitHub Actions

GHA_CASES = [
    pytest.param(
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    container: node:20\n",
        [(4, 16, "node:20")],
        id="container-string",
    ),
    pytest.param(
        "jobs:\n  build:\n    container:\n      image: 'node:20'\n      options: --cpus 1\n",
        [(4, 15, "node:20")],
        id="container-mapping",
    ),
    pytest.param(
        "jobs:\n  t:\n    services:\n      db:\n        image: postgres:16\n      cache: redis:7\n",
        [(5, 16, "postgres:16"), (6, 14, "redis:7")],
        id="services-mapping-and-string",
    ),
    pytest.param(
        "jobs:\n  t:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: docker://alpine:3.19\n",
        [(5, 24, "alpine:3.19")],
        id="docker-step-skips-scheme",
    ),
    pytest.param(
        'jobs:\n  t:\n    steps:\n      - uses: "docker://ghcr.io/a/b:1"\n',
        [(4, 25, "ghcr.io/a/b:1")],
        id="docker-step-quoted",
    ),
    pytest.param(
        "jobs:\n  t:\n    strategy:\n      matrix:\n        image: ['a:1', 'b:2']\n"
        "    container: ${{ matrix.image }}\n",
        [(6, 16, "${{ matrix.image }}")],
        id="matrix-expression",
    ),
    pytest.param(
        "jobs: {t: {container: {image: 'node:20'}, services: {db: {image: \"postgres:16\"}}}}\n",
        [(1, 32, "node:20"), (1, 67, "postgres:16")],
        id="flow-style",
    ),
    pytest.param(
        "# déploiement ✓\njobs:\n  t:\n    container: node:20 # ünïcode\n",
        [(4, 16, "node:20")],
        id="non-ascii-comment",
    ),
    pytest.param(b"on: push\r\njobs:\r\n  t:\r\n    container: node:20\r\n", [(4, 16, "node:20")], id="crlf"),
    pytest.param(
        "jobs:\n  call:\n    uses: acme/wf/.github/workflows/build.yml@main\n", [], id="reusable-workflow-not-an-image"
    ),
    pytest.param("on:\n  push:\n    container: x:1\nenv:\n  image: y:2\n", [], id="outside-jobs"),
]


@pytest.mark.parametrize(("text", "expected"), GHA_CASES)
def test_github_actions(text: str | bytes, expected: list[tuple[int, int, str]]) -> None:
    assert located(github_actions.locate, text) == expected


def test_github_actions_where_and_templated() -> None:
    text = (
        "jobs:\n  b:\n    container: {image: 'node:20'}\n    services:\n      db: {image: 'postgres:16'}\n"
        "    steps:\n      - run: make\n      - uses: docker://alpine:3\n  m:\n    container: ${{ matrix.c }}\n"
    )
    _, refs = run(github_actions.locate, text)
    assert [r.where for r in refs] == [
        "jobs.b.container.image",
        "jobs.b.services.db.image",
        "jobs.b.steps[1].uses",
        "jobs.m.container",
    ]
    assert [r.templated for r in refs] == [False, False, False, True]
    assert {r.kind for r in refs} == {"github-actions"}


# --------------------------------------------------------------------------- GitLab CI

GITLAB_CASES = [
    pytest.param("image: ruby:3.3\n", [(1, 8, "ruby:3.3")], id="top-level-image"),
    pytest.param(
        "services:\n  - postgres:16\n  - name: redis:7\n    alias: cache\n",
        [(2, 5, "postgres:16"), (3, 11, "redis:7")],
        id="top-level-services",
    ),
    pytest.param(
        "default:\n  image:\n    name: 'alpine:3.19'\n    entrypoint: ['']\n",
        [(3, 12, "alpine:3.19")],
        id="default-image-name",
    ),
    pytest.param(
        "test:\n  image: python:3.12\n  services: ['postgres:16']\n  script: [pytest]\n",
        [(2, 10, "python:3.12"), (3, 15, "postgres:16")],
        id="job",
    ),
    pytest.param(".base:\n  image: golang:1.22\n", [(2, 10, "golang:1.22")], id="hidden-job"),
    pytest.param(
        "build:\n  script: [make]\nimage: ruby:3.3\n", [(3, 8, "ruby:3.3")], id="top-level-after-jobs"
    ),
    pytest.param(
        "variables:\n  image: not-an-image\nworkflow:\n  image: x\ninclude:\n  - local: a.yml\nstages: [build]\n",
        [],
        id="global-keywords-skipped",
    ),
    pytest.param(
        ".base: &base\n  image: node:20\njob1:\n  <<: *base\n  script: [x]\njob2:\n  <<: *base\n",
        [(2, 10, "node:20")],
        id="merge-key-reported-once",
    ),
    pytest.param(
        ".base:\n  image: node:20\n  services: ['redis:7']\nj:\n  image: !reference [.base, image]\n"
        "  services: !reference [.base, services]\n",
        [(2, 10, "node:20"), (3, 15, "redis:7")],
        id="reference-tags-skipped",
    ),
    pytest.param(
        "j:\n  image: $CI_REGISTRY_IMAGE/builder:$CI_COMMIT_SHA\n",
        [(2, 10, "$CI_REGISTRY_IMAGE/builder:$CI_COMMIT_SHA")],
        id="variables-templated",
    ),
    pytest.param(
        "spec:\n  inputs:\n    image:\n      default: node:20\n---\nj:\n  image: $[[ inputs.image ]]\n",
        [(7, 10, "$[[ inputs.image ]]")],
        id="component-spec-header",
    ),
    pytest.param("# ✓ été\nj:\n  image: node:20 # ünïcode\n", [(3, 10, "node:20")], id="non-ascii-comment"),
    pytest.param(b"j:\r\n  image: \"node:20\"\r\n", [(2, 11, "node:20")], id="crlf-quoted"),
]


@pytest.mark.parametrize(("text", "expected"), GITLAB_CASES)
def test_gitlab_ci(text: str | bytes, expected: list[tuple[int, int, str]]) -> None:
    assert located(gitlab_ci.locate, text) == expected


def test_gitlab_ci_where() -> None:
    text = "image: a:1\ndefault:\n  services: ['b:2']\nj:\n  image: {name: 'c:3'}\n  services:\n    - name: d:4\n"
    _, refs = run(gitlab_ci.locate, text)
    assert [r.where for r in refs] == ["image", "default.services[0]", "j.image.name", "j.services[0].name"]
    assert {r.kind for r in refs} == {"gitlab-ci"}


INCLUDE_CASES = [
    pytest.param("include: /ci/jobs.yml\n", ["ci/jobs.yml"], id="string"),
    pytest.param("include:\n  - ci/a.yml\n  - /ci/b.yml\n", ["ci/a.yml", "ci/b.yml"], id="list"),
    pytest.param("include:\n  local: /ci/*.yml\n", ["ci/*.yml"], id="local-map"),
    pytest.param(
        "include:\n  - local: ci/a.yml\n    rules: [{if: $X}]\n  - remote: https://example.com/x.yml\n"
        "  - https://example.com/y.yml\n  - project: acme/ci\n    file: /t.yml\n"
        "  - template: Auto-DevOps.gitlab-ci.yml\n"
        "  - component: gitlab.com/acme/c/build@1.0\n",
        ["ci/a.yml"],
        id="only-local",
    ),
    pytest.param("include:\n  - local: ci/$ENV.yml\n", [], id="variable-path"),
    pytest.param("include:\n  - a.yml\n  - local: /a.yml\n", ["a.yml"], id="deduplicated"),
    pytest.param("stages: [build]\n", [], id="none"),
]


@pytest.mark.parametrize(("text", "expected"), INCLUDE_CASES)
def test_gitlab_local_includes(text: str, expected: list[str]) -> None:
    assert gitlab_ci.local_includes(yamldoc.load_all(text)) == expected


# --------------------------------------------------------------------------- Azure Pipelines

AZURE_RESOURCES = "resources:\n  containers:\n  - container: linux\n    image: ubuntu:22.04\n"

AZURE_CASES = [
    pytest.param(AZURE_RESOURCES, [(4, 12, "ubuntu:22.04")], id="resource"),
    pytest.param(
        AZURE_RESOURCES + "jobs:\n- job: a\n  container: linux\n", [(4, 12, "ubuntu:22.04")], id="alias-not-a-ref"
    ),
    pytest.param(
        AZURE_RESOURCES + "jobs:\n- job: a\n  container: node:20\n",
        [(4, 12, "ubuntu:22.04"), (7, 14, "node:20")],
        id="job-container-ref",
    ),
    pytest.param(
        "stages:\n- stage: s\n  jobs:\n  - deployment: d\n    container:\n      image: 'ghcr.io/a/b:1'\n",
        [(6, 15, "ghcr.io/a/b:1")],
        id="deployment-job-mapping",
    ),
    pytest.param(
        "pool: {vmImage: ubuntu-latest}\ncontainer: ubuntu:22.04\nsteps:\n- script: make\n",
        [(2, 12, "ubuntu:22.04")],
        id="single-job-root",
    ),
    pytest.param(
        AZURE_RESOURCES + "services:\n  os: linux\n  db: postgres:16\n",
        [(4, 12, "ubuntu:22.04"), (7, 7, "postgres:16")],
        id="services",
    ),
    pytest.param(
        "jobs:\n- job: a\n  container: $[ variables['image'] ]\n- job: b\n  container: ${{ parameters.image }}\n"
        "- job: c\n  container: $(image)\n",
        [(3, 14, "$[ variables['image'] ]"), (5, 14, "${{ parameters.image }}"), (7, 14, "$(image)")],
        id="templated",
    ),
    pytest.param(
        "stages:\n- stage: s\n  jobs:\n  - job: a\n    steps:\n    - script: x\n      target: linux\n", [],
        id="step-target-not-a-ref",
    ),
    pytest.param(
        "# ünïcode ✓\njobs:\n- job: a\n  container: node:20 # é\n", [(4, 14, "node:20")], id="non-ascii-comment"
    ),
    pytest.param(b"jobs:\r\n- job: a\r\n  container: 'node:20'\r\n", [(3, 15, "node:20")], id="crlf-quoted"),
]


@pytest.mark.parametrize(("text", "expected"), AZURE_CASES)
def test_azure_pipelines(text: str | bytes, expected: list[tuple[int, int, str]]) -> None:
    assert located(azure_pipelines.locate, text) == expected


def test_azure_where_and_templated() -> None:
    text = (
        AZURE_RESOURCES
        + "stages:\n- stage: s\n  jobs:\n  - job: a\n    container: {image: 'node:20'}\n"
        + "    services: {db: 'postgres:16'}\n  - job: b\n    container: $[ variables['c'] ]\n"
    )
    _, refs = run(azure_pipelines.locate, text)
    assert [r.where for r in refs] == [
        "resources.containers[0].image",
        "stages[0].jobs[0].container.image",
        "stages[0].jobs[0].services.db",
        "stages[0].jobs[1].container",
    ]
    assert [r.templated for r in refs] == [False, False, False, True]
    assert {r.kind for r in refs} == {"azure-pipelines"}


# An action's metadata (action.yml): a Docker action pulls runs.image, a
# composite action runs docker:// steps.

DOCKER_ACTION = "name: lint\nruns:\n  using: docker\n  image: docker://ghcr.io/acme/lint:2\n  args: [x]\n"
BUILT_ACTION = "name: build\nruns:\n  using: docker\n  image: Dockerfile\n"
COMPOSITE_ACTION = (
    "name: both\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n"
    "    - uses: docker://alpine:3.20\n    - uses: actions/checkout@v4\n"
)


def test_action_metadata() -> None:
    assert located(github_actions.locate, DOCKER_ACTION) == [(4, 19, "ghcr.io/acme/lint:2")]
    assert located(github_actions.locate, BUILT_ACTION) == []
    assert located(github_actions.locate, COMPOSITE_ACTION) == [(7, 22, "alpine:3.20")]
    _, refs = run(github_actions.locate, COMPOSITE_ACTION)
    assert refs[0].where == "runs.steps[1].uses"


def test_cli_reads_action_metadata_and_a_manifest_called_action_yaml(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {
        "action.yml": DOCKER_ACTION,
        "actions/both/action.yaml": COMPOSITE_ACTION,
        "deploy/action.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                              "  containers:\n    - {name: a, image: 'nginx:1'}\n",
    })
    _, report, _ = run_json("--offline", "--no-progress", str(repo))
    assert [(r["path"], r["line"], r["column"], r["kind"], r["ref"]) for r in report["refs"]] == [
        ("action.yml", 4, 19, "github-actions", "ghcr.io/acme/lint:2"),
        ("actions/both/action.yaml", 7, 22, "github-actions", "alpine:3.20"),
        ("deploy/action.yaml", 6, 25, "kubernetes", "nginx:1"),
    ]
    assert [f.get("object") for f in report["findings"] if f["path"].startswith("action")] == [
        "action", "action step 1"]
