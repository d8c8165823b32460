"""Manifests and Helm values embedded in other documents (issue 12, item 3):
Kustomize inline patches, Argo Workflows ``resource.manifest``, Argo CD
``helm.values``/``valuesObject``, Flux ``HelmRelease`` ``spec.values`` and
``kubectl apply -f -`` heredocs in scripts.

Every reference found is checked against the file's bytes: its line and
column are where its span starts, and an exact span holds the reference
text, so a fix can edit it.  The fix tests pin one embedded reference
through ``formats.plan_pin`` + ``model.apply_edits`` and require every other
byte to be unchanged and the edited file to re-locate as planned.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinlint import engine, formats, yamldoc
from pinlint.config import Config
from pinlint.discovery import Candidate
from pinlint.formats import embedded
from pinlint.model import LocatedRef, apply_edits
from pinlint.scan import ScanSettings, scan_bytes
from pinlint.sourcetext import SourceText
from pinlint.yamldoc import Limits
from tests.helpers import make_repo
from tests.test_hostile_input import POD, assert_bounded, assert_good_pod_reported, rules_at, run_cli

LOCATORS = tuple(engine.compile_locators(Config()))
KEYWORDS = formats.kubernetes_keywords(LOCATORS)
SETTINGS = ScanSettings(LOCATORS, Limits(), 10 * 1024 * 1024)
DIGEST = "sha256:" + "5e1f" * 16


def scan(text: str | bytes, kind: str = "kubernetes", relpath: str = "f.yaml",
         settings: ScanSettings = SETTINGS) -> tuple[bytes, list[LocatedRef]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    scanned = scan_bytes(Candidate(relpath, "/nonexistent/" + relpath, kind), data, settings, KEYWORDS)
    assert not scanned.problems, scanned.problems
    for ref in scanned.refs:
        before = data[: ref.span.start].decode("utf-8").removeprefix("\ufeff")
        assert (ref.span.line, ref.span.column) == (before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1), ref
        if ref.exact:
            assert data[ref.span.start : ref.span.end].decode("utf-8") == ref.text, ref
    return data, list(scanned.refs)


def found(text: str | bytes, kind: str = "kubernetes") -> list[tuple[int, int, str, str]]:
    return [(r.span.line, r.span.column, r.kind, r.text) for r in scan(text, kind)[1]]


def pin_each(text: str | bytes, kind: str = "kubernetes") -> int:
    """Pin every exact reference of the file, one at a time; each fix must
    change only that reference's bytes and re-locate as planned."""
    data, refs = scan(text, kind)
    pinned = 0
    for n, ref in enumerate(refs):
        plan = formats.plan_pin(ref, DIGEST, "tag-and-digest")
        if plan is None:
            continue
        after = apply_edits(data, plan.edits)
        (edit,) = plan.edits
        assert after[: edit.start] == data[: edit.start]
        assert after[edit.start + len(edit.replacement.encode()) :] == data[edit.end :]
        again = scan(after, kind)[1]
        assert len(again) == len(refs)
        assert again[n].text == plan.text and again[n].span.line == ref.span.line
        assert [(r.text, r.span.line, r.span.column) for i, r in enumerate(again) if i != n] == [
            (r.text, r.span.line, r.span.column) for i, r in enumerate(refs) if i != n
        ]
        pinned += 1
    return pinned


# --------------------------------------------------------------------------- Kustomize

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [base]
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        template:
          spec:
            containers:
              - name: app
                image: nginx:1.25   # the new version
  - path: other-patch.yaml
  - patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: redis:7.2
patchesStrategicMerge:
  - sidecar.yaml
  - |
    apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers: [{name: a, image: "alpine:3.20"}]
"""


def test_kustomize_inline_patches_are_read_at_their_place() -> None:
    assert found(KUSTOMIZATION, "kustomize") == [
        (15, 24, "kubernetes", "nginx:1.25"),
        (20, 16, "kubernetes", "redis:7.2"),  # a JSON 6902 operation (see below)
        (28, 38, "kubernetes", "alpine:3.20"),
    ]
    refs = scan(KUSTOMIZATION, "kustomize")[1]
    assert refs[0].object == "Deployment/web container app (in Kustomization patches[0].patch)"
    assert refs[1].object == "Kustomization patches[2].patch"  # no target: only where it is
    assert pin_each(KUSTOMIZATION, "kustomize") == 3


def test_a_patch_only_kustomization_is_not_skipped_by_the_keyword_fast_path() -> None:
    text = "patches:\n  - patch: |\n      kind: Pod\n      apiVersion: v1\n      spec:\n        containers:\n" \
           "          - {name: a, image: busybox}\n"
    assert found(text, "kustomize") == [(7, 30, "kubernetes", "busybox")]


@pytest.mark.parametrize("header", ["|", "|-", "|+", "|2", "|2-", "|+2", "|-  # a comment"])
def test_every_literal_header_maps_its_lines(header: str) -> None:
    extra = "  " if "2" in header else ""  # an indentation indicator: the content is indented past it
    body = "".join(f"      {extra}{line}\n" for line in (
        "apiVersion: v1", "kind: Pod", "metadata: {name: p}", "spec:", "  containers:",
        "    - name: a", "      image: redis:7",
    ))
    text = f"patches:\n  - patch: {header}\n{body}\n\n"
    assert found(text, "kustomize") == [(9, 20 + len(extra), "kubernetes", "redis:7")]
    assert pin_each(text, "kustomize") == 1


def test_crlf_bom_non_ascii_and_tabs_map_to_file_bytes() -> None:
    text = (
        "\ufeff# déploiement — patched\n"
        "patches:\n"
        "  - patch: |\n"
        "      # ünïcode in the patch, a\ttab inside a line\n"
        "      apiVersion: apps/v1\n"
        "      kind: Deployment\n"
        "      metadata: {name: wéb}\n"
        "      spec:\n"
        "        template:\n"
        "          spec:\n"
        "            containers:\n"
        "\n"
        "              - name: ä\n"
        "                image: \"ghcr.io/acme/web:1\"\t# tab before the comment\n"
        "              - {name: b, image: 'quay.io/x/y:2'}\n"
    ).replace("\n", "\r\n").encode("utf-8")
    assert found(text, "kustomize") == [
        (14, 25, "kubernetes", "ghcr.io/acme/web:1"),
        (15, 35, "kubernetes", "quay.io/x/y:2"),
    ]
    assert pin_each(text, "kustomize") == 2


def test_nothing_outside_literal_blocks_or_that_does_not_parse_is_read_and_nothing_fails() -> None:
    text = (
        "patches:\n"
        "  - patch: >\n"  # folded: its characters are not its value
        "      apiVersion: v1\n      kind: Pod\n      spec: {containers: [{name: a, image: 'folded:1'}]}\n"
        "  - patch: \"apiVersion: v1\\nkind: Pod\\nspec: {containers: [{name: a, image: 'quoted:1'}]}\"\n"
        "  - patch: |\n"
        "      apiVersion: v1\n      kind: Pod\n      spec: {containers: [{name: a, image: 'broken:1'}\n"
        "  - patch: |\n"
        "      apiVersion: v1\n      kind: Pod\n      spec: {containers: [{name: a, image: 'fine:1'}]}\n"
    )
    assert found(text, "kustomize") == [(14, 45, "kubernetes", "fine:1")]


def test_embedding_is_followed_one_level_deep() -> None:
    text = (
        "patches:\n"
        "  - patch: |\n"
        "      apiVersion: argoproj.io/v1alpha1\n"
        "      kind: Workflow\n"
        "      spec:\n"
        "        templates:\n"
        "          - name: c\n"
        "            container: {image: 'outer:1'}\n"
        "          - name: r\n"
        "            resource:\n"
        "              manifest: |\n"
        "                apiVersion: v1\n"
        "                kind: Pod\n"
        "                spec: {containers: [{name: a, image: 'nested:1'}]}\n"
    )
    assert [r[3] for r in found(text, "kustomize")] == ["outer:1"]


def test_embedded_blocks_spend_the_files_alias_budget() -> None:
    """Each patch expands 40 nodes through an alias; with a limit of 100 the
    third goes past the file's budget. Skipping it would hide its image, so the
    file is PIN900 at that patch's first line (a text that merely does not
    parse is still skipped quietly)."""
    patch = (
        "  - patch: |\n"
        "      apiVersion: v1\n      kind: Pod\n      metadata:\n"
        "        labels: &l {" + ", ".join(f"k{i}: v" for i in range(19)) + "}\n"
        "        annotations: *l\n"
        "      spec: {{containers: [{{name: a, image: 'img{n}:1'}}]}}\n"
    )
    text = "patches:\n" + "".join(patch.replace("{{", "{").replace("}}", "}").replace("{n}", str(n))
                                  for n in range(3))
    settings = SETTINGS._replace(limits=Limits(max_alias_nodes=100))
    scanned = scan_bytes(Candidate("k.yaml", "/nonexistent/k.yaml", "kustomize"), text.encode(), settings, KEYWORDS)
    [problem] = scanned.problems
    assert problem.rule == "PIN900" and (problem.line, problem.column) == (17, 7)  # the third patch
    assert problem.message.startswith("alias expansion past 100 nodes") and "embedded" in problem.message
    assert scanned.refs == ()
    two = "patches:\n" + "".join(patch.replace("{{", "{").replace("}}", "}").replace("{n}", str(n)) for n in range(2))
    assert [r.text for r in scan(two, "kustomize", settings=settings)[1]] == ["img0:1", "img1:1"]


# --------------------------------------------------------------------------- Argo Workflows

WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: jobs}
spec:
  templates:
    - name: make-job
      resource:
        action: create
        manifest: |
          apiVersion: batch/v1
          kind: Job
          metadata: {generateName: pi-}
          spec:
            template:
              spec:
                containers:
                  - name: pi
                    image: perl:5.34
                restartPolicy: Never
"""


def test_argo_workflows_resource_manifest() -> None:
    assert found(WORKFLOW) == [(18, 28, "kubernetes", "perl:5.34")]
    ref = scan(WORKFLOW)[1][0]
    assert ref.object == "Job container pi (in WorkflowTemplate/jobs spec.templates[0].resource.manifest)"
    assert pin_each(WORKFLOW) == 1


# --------------------------------------------------------------------------- Argo CD and Flux: Helm values

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web}
spec:
  source:
    repoURL: https://charts.example.com
    chart: web
    helm:
      values: |
        image:
          repository: ghcr.io/acme/web
          tag: "1.4"
        worker:
          image: ghcr.io/acme/worker:2.0
      valuesObject:
        sidecar:
          image: envoyproxy/envoy:v1.30
  sources:
    - repoURL: https://charts.example.com
      helm:
        values: |-
          metrics: {image: {repository: prom/exporter, tag: v1, digest: ""}}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: many}
spec:
  template:
    spec:
      source:
        helm:
          valuesObject: {image: "redis:7"}
"""


def test_argocd_helm_values_and_values_object_are_helm_values() -> None:
    assert found(APPLICATION) == [
        (11, 23, "helm-values", "ghcr.io/acme/web:1.4"),
        (14, 18, "helm-values", "ghcr.io/acme/worker:2.0"),
        (17, 18, "helm-values", "envoyproxy/envoy:v1.30"),
        (22, 41, "helm-values", "prom/exporter:v1"),
        (32, 34, "helm-values", "redis:7"),
    ]
    data, refs = scan(APPLICATION)
    split = refs[0]
    assert {name: data[s.start:s.end].decode() for name, s in split.fields if not name.endswith("-plain")} == {
        "repository": "ghcr.io/acme/web", "tag": "1.4"}
    assert refs[0].object == "values image (in Application/web spec.source.helm.values)"
    assert pin_each(APPLICATION) == 5  # the split maps through the Helm planner: tag or digest field


def test_split_map_in_embedded_values_gets_its_digest_field_filled() -> None:
    data, refs = scan(APPLICATION)
    ref = refs[3]
    plan = formats.plan_pin(ref, DIGEST, "tag-and-digest")
    assert plan is not None
    after = apply_edits(data, plan.edits).decode()
    assert f'metrics: {{image: {{repository: prom/exporter, tag: v1, digest: "{DIGEST}"}}}}' in after
    assert scan(after)[1][3].text == f"prom/exporter:v1@{DIGEST}"


HELMRELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: apps}
spec:
  chart:
    spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}
  values:
    image:
      repository: ghcr.io/stefanprodan/podinfo
      tag: 6.5.0
    redis: {image: "redis:7.2"}
"""


def test_flux_helmrelease_values_are_helm_values() -> None:
    assert found(HELMRELEASE) == [
        (9, 19, "helm-values", "ghcr.io/stefanprodan/podinfo:6.5.0"),
        (11, 21, "helm-values", "redis:7.2"),
    ]
    assert pin_each(HELMRELEASE) == 2


def test_values_of_other_kinds_are_not_helm_values() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  values: |\n    image: nginx:1\n"
    assert found(text) == []


# --------------------------------------------------------------------------- kubectl heredocs

TEKTON = """\
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: deploy}
spec:
  steps:
    - name: apply
      image: bitnami/kubectl:1.30
      script: |
        #!/bin/sh
        set -e
        kubectl apply -f - <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: a
              image: busybox:1.36
        EOF
        cat <<'YAML' | kubectl -n x create -f -
          apiVersion: batch/v1
          kind: Job
          spec:
            template:
              spec:
                containers: [{name: j, image: "perl:5.34"}]
        YAML
        cat <<EOF > not-applied.yaml
        apiVersion: v1
        kind: Pod
        spec: {containers: [{name: a, image: 'written-only:1'}]}
        EOF
        kubectl apply -f - <<EOF
        image: no-kind:1
        EOF
        kubectl apply -f - <<NEVER
        apiVersion: v1
        kind: Pod
        spec: {containers: [{name: a, image: 'unterminated:1'}]}
"""


def test_kubectl_heredocs_in_a_step_script() -> None:
    assert found(TEKTON) == [
        (7, 14, "kubernetes", "bitnami/kubectl:1.30"),
        (18, 22, "kubernetes", "busybox:1.36"),
        (26, 48, "kubernetes", "perl:5.34"),
    ]
    refs = scan(TEKTON)[1]
    assert refs[1].object == "Pod/p container a (in Task/deploy spec.steps[0].script heredoc 1)"
    assert pin_each(TEKTON) == 3


def test_heredoc_with_tab_stripping_in_a_gitlab_script_list() -> None:
    text = (
        "deploy:\n"
        "  image: bitnami/kubectl:1.30\n"
        "  script:\n"
        "    - echo start\n"
        "    - |\n"
        "      kubectl apply -f- <<-\"EOF\"\n"
        "      \t\tapiVersion: v1\n"
        "      \t\tkind: Pod\n"
        "      \t\tspec:\n"
        "      \t\t  containers:\n"
        "      \t\t    - {name: a, image: 'alpine:3.20'}\n"
        "      \tEOF\n"
    ).replace("\n", "\r\n")
    assert found(text, "gitlab-ci") == [
        (2, 10, "gitlab-ci", "bitnami/kubectl:1.30"),
        (11, 33, "kubernetes", "alpine:3.20"),
    ]
    assert pin_each(text, "gitlab-ci") == 2


def test_heredoc_in_container_args() -> None:
    text = (
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: seed}\nspec:\n  template:\n    spec:\n"
        "      containers:\n"
        "        - name: k\n"
        "          image: bitnami/kubectl:1.30\n"
        "          command: [sh, -c]\n"
        "          args:\n"
        "            - |\n"
        "              kubectl apply -f - <<EOF\n"
        "              apiVersion: apps/v1\n"
        "              kind: DaemonSet\n"
        "              metadata: {name: agent}\n"
        "              spec: {template: {spec: {containers: [{name: a, image: 'agent:3'}]}}}\n"
        "              EOF\n"
    )
    assert found(text)[1] == (17, 71, "kubernetes", "agent:3")
    assert pin_each(text) == 2


# --------------------------------------------------------------------------- hostile input


def test_thousands_of_embedded_alias_bombs_cost_one_file_budget(tmp_path: Path) -> None:
    """3,000 inline patches, each expanding 9,300 nodes through aliases (each
    under the 10,000 limit on its own) into a document the PodSpec fallback
    walks: the file's one budget is spent by the first, the second makes the
    file PIN900 (nothing hidden), and the run stays bounded."""
    bomb = (
        "  - patch: |\n"
        "      apiVersion: acme.io/v1\n      kind: Thing\n      spec:\n"
        "        a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        "        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "        d: [*c, *c, *c, *c, *c, *c]\n"
        "        containers: [{name: a, image: 'thing:1'}]\n"
    )
    repo = make_repo(tmp_path / "r", {
        "overlay/kustomization.yaml": "patches:\n" + bomb * 3000,
        "apps/good.yaml": POD,
    })
    run = run_cli(repo)
    assert_bounded(run)
    assert_good_pod_reported(run)
    [(rule, line, message)] = rules_at(run, "overlay/kustomization.yaml")
    assert rule == "PIN900" and line == 12 and "alias expansion past 10,000 nodes" in message, message


# --------------------------------------------------------------------------- the mapping itself


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.text(alphabet=" \tab:é-#x", max_size=12), min_size=1, max_size=8),
    indent=st.integers(1, 6),
    header=st.sampled_from(["|", "|-", "|+", "|2", "|-2", "|+1"]),
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_every_character_of_a_literal_block_maps_to_the_same_character_of_the_file(
    lines: list[str], indent: int, header: str, crlf: bool, bom: bool
) -> None:
    digit = next((int(c) for c in header if c.isdigit()), None)
    pad = " " * (2 + (digit if digit is not None else indent))  # the key sits at column 3
    lines = [ln.rstrip(" \t") if not ln.strip(" \t") else ln for ln in lines]
    if digit is None and not any(ln.strip(" ") for ln in lines):
        return  # no content line to detect the indentation from
    if digit is None and lines[next(i for i, ln in enumerate(lines) if ln.strip(" "))].startswith(" "):
        return  # auto-detected indentation would take the extra spaces
    text = "a:\n  key: " + header + "\n" + "".join((pad + ln if ln else "") + "\n" for ln in lines) + "b: 1\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    try:
        doc = yamldoc.load_all(SourceText.from_bytes(data).text)[0]
    except yamldoc.YamlError:
        return  # not YAML (a tab where indentation is read, say): nothing to map
    source = SourceText.from_bytes(data)
    assert isinstance(doc, yamldoc.YMap)
    node = doc["a"]["key"]  # type: ignore[index]
    block = embedded.literal_block(source, node)  # type: ignore[arg-type]
    if not str(node).strip(" \n"):
        return  # an empty block embeds nothing
    assert block is not None
    for i, char in enumerate(block.text):
        span = block.span(i, i + 1)
        assert data[span.start:span.end].decode() == char
        assert source.text[block.to_root(i)] == char


def test_a_line_repeating_kubectl_apply_without_stdin_costs_linear_time(tmp_path: Path) -> None:
    """The heredoc detector once backtracked in cubic time (35 KB: 22 s); 350 KB now takes well
    under the hostile-input timeout, and a real heredoc on the next step is still read."""
    line = "cat <<EOF " + "kubectl apply " * 25_000
    workflow = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n    - run: |\n        " + line
        + "\n        EOF\n    - run: |\n        kubectl apply -f - <<EOF\n" + "\n".join(
            "        " + row for row in POD.splitlines()) + "\n        EOF\n"
    )
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": workflow})
    run = run_cli(repo)
    assert run.code == 1 and run.seconds < 20, run.stderr
    assert [r for r, _, _ in rules_at(run, ".github/workflows/ci.yml")] == ["PIN001"]


@pytest.mark.parametrize("odd", ["\x85", "\u2028", "\u2029"], ids=["NEL", "LS", "PS"])
def test_a_patch_with_yaml_line_breaks_other_than_newline_is_read_not_hidden(odd: str) -> None:
    """NEL, U+2028 and U+2029 end a line for YAML: a patch holding one at the end of a line (once a way
    to make pinlint drop the whole patch, image and all) is read, at the reference's exact bytes."""
    text = ("patches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n"
            f"      metadata: {{name: web}} # c{odd}\n      spec:\n        template:\n          spec:\n"
            "            containers:\n              - name: app\n                image: evil/backdoor:latest\n")
    data, refs = scan(text, "kustomize", relpath="kustomization.yaml")
    assert [(r.text, r.span.line, r.span.column) for r in refs] == [("evil/backdoor:latest", 11, 24)]


def test_an_empty_patch_in_a_crlf_file_is_still_skipped_quietly() -> None:
    text = "patches:\r\n  - patch: |\r\n\r\n  - patch: |\r\n      apiVersion: v1\r\n      kind: Pod\r\n" \
           "      spec: {containers: [{name: a, image: 'nginx:1'}]}\r\n"
    assert [r.text for r in scan(text, "kustomize", relpath="kustomization.yaml")[1]] == ["nginx:1"]


# The keyword fast paths read the raw text, but a double-quoted scalar can
# spell any key or value with escapes: such a file is parsed like any other.

@pytest.mark.parametrize(("text", "kind", "want"), [
    ('kind: Pod\napiVersion: v1\nspec:\n  containers:\n    - name: a\n      "\\x69mage": nginx:1\n',
     "kubernetes", [(6, 19, "kubernetes", "nginx:1")]),
    ('kind: Pod\napiVersion: v1\nspec:\n  containers:\n    - name: a\n      ? "ima\\\n        ge"\n      : nginx:1\n',
     "kubernetes", [(8, 9, "kubernetes", "nginx:1")]),
    ('"\\u0069mages":\n  - name: redis\n    newTag: "7"\n', "kustomize", [(2, 11, "kustomize", "redis:7")]),
    ('services:\n  web:\n    "\\x69mage": postgres:16\n', "compose", [(3, 17, "compose", "postgres:16")]),
    ('apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n    - name: r\n      resource:\n'
     '        "m\\x61nifest": |\n          apiVersion: v1\n          kind: Pod\n'
     '          spec: {containers: [{name: a, image: busybox}]}\n', "kubernetes", [(10, 48, "kubernetes", "busybox")]),
])
def test_an_escaped_keyword_does_not_hide_a_reference(text: str, kind: str, want: list[tuple[int, int, str, str]],
                                                      ) -> None:
    assert found(text, kind) == want


def test_cli_reports_a_reference_whose_key_is_escaped(tmp_path: Path) -> None:
    hidden = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      "\\x69mage": nginx:latest\n'
    run = run_cli(make_repo(tmp_path / "r", {"pod.yaml": hidden}))
    assert run.code == 1
    assert [(r, line) for r, line, _ in rules_at(run, "pod.yaml")] == [("PIN001", 6)]


# --------------------------------------------------------------------------- JSON 6902 patches

JSON6902 = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deploy.yaml]
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: nginx:1.27
      - op: add
        path: /spec/template/spec/initContainers/-
        value: {name: init, image: "busybox:1.36"}
      - op: add
        path: /spec/template/spec/containers
        value:
          - name: side
            image: 'envoy:1.30'
      - op: remove
        path: /spec/template/spec/containers/1/image
      - op: replace
        path: /metadata/labels/image
        value: "a label: not an image"
  - target: {kind: CronJob}
    patch: |
      [{"op": "replace", "path": "/spec/jobTemplate/spec/template/spec/containers/0/image", "value": "redis:7"}]
patchesJson6902:
  - target: {group: apps, version: v1, kind: StatefulSet, name: db}
    patch: |
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: postgres:16
"""


def test_json6902_operations_that_write_an_image_are_references() -> None:
    assert found(JSON6902, "kustomize") == [
        (9, 16, "kubernetes", "nginx:1.27"),
        (12, 37, "kubernetes", "busybox:1.36"),
        (17, 21, "kubernetes", "envoy:1.30"),
        (25, 103, "kubernetes", "redis:7"),
        (31, 16, "kubernetes", "postgres:16"),
    ]
    refs = scan(JSON6902, "kustomize")[1]
    assert refs[0].object == "Deployment/web (in Kustomization patches[0].patch)"
    assert refs[3].object == "CronJob (in Kustomization patches[1].patch)"
    assert refs[0].where == "patches[0].patch: [0].value"
    assert pin_each(JSON6902, "kustomize") == 5  # each pinned in place, inside the block


def test_kustomize_helm_charts_inline_values_are_helm_values() -> None:
    text = (
        "helmCharts:\n"
        "  - name: podinfo\n"
        "    repo: https://stefanprodan.github.io/podinfo\n"
        "    version: 6.5.0\n"
        "    valuesInline:\n"
        "      image:\n"
        "        repository: ghcr.io/stefanprodan/podinfo\n"
        "        tag: 6.5.0\n"
        "      sidecarImage: ghcr.io/acme/side:1\n"
    )
    assert found(text, "kustomize") == [
        (7, 21, "helm-values", "ghcr.io/stefanprodan/podinfo:6.5.0"),
        (9, 21, "helm-values", "ghcr.io/acme/side:1"),
    ]
    assert [r.object for r in scan(text, "kustomize")[1]] == [
        "values image (in helmCharts[0].valuesInline)", "values sidecarImage (in helmCharts[0].valuesInline)"]


FLUX_PATCHES = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps}
spec:
  patches:
    - target: {kind: Deployment, name: web}
      patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers:
                - {name: web, image: "evil:latest"}
    - patch: |
        - op: replace
          path: /spec/template/spec/containers/0/image
          value: evil:2
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo}
spec:
  postRenderers:
    - kustomize:
        patches:
          - target: {kind: Deployment}
            patch: |
              - op: replace
                path: /spec/template/spec/containers/0/image
                value: evil:3
        patchesJson6902:
          - target: {kind: Deployment, name: podinfo}
            patch:
              - op: replace
                path: /spec/template/spec/containers/0/image
                value: evil:4
"""


def test_flux_patches_are_read_like_kustomize_patches() -> None:
    """A Flux Kustomization's spec.patches and a HelmRelease's kustomize
    post-renderer (patches, and patchesJson6902 written as YAML) change the
    images Flux deploys."""
    assert found(FLUX_PATCHES) == [
        (15, 39, "kubernetes", "evil:latest"),
        (19, 18, "kubernetes", "evil:2"),
        (32, 24, "kubernetes", "evil:3"),
        (38, 24, "kubernetes", "evil:4"),
    ]
    assert [r.object for r in scan(FLUX_PATCHES)[1]] == [
        "Deployment/web container web (in Kustomization/apps spec.patches[0].patch)",
        "Kustomization/apps spec.patches[1].patch",
        "Deployment (in HelmRelease/podinfo spec.postRenderers[0].kustomize.patches[0].patch)",
        "Deployment/podinfo (in HelmRelease/podinfo spec.postRenderers[0].kustomize.patchesJson6902[0].patch)",
    ]
    assert pin_each(FLUX_PATCHES) == 4
