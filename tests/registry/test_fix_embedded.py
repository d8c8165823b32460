"""``pinlint --fix`` on references embedded in block scalars and on Helm
template lines (issue 12, items 3 and 4): the real CLI against the real
local registry, in a real git repository.  Only the bytes of each reference
change; the fixer's re-locate check passes (the file is written) and a
second run finds nothing left to fix."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from server import RunningRegistry

from tests.gitbuild import Repo

ROOT = Path(__file__).resolve().parents[2]


def lint(cwd: Path, *args: str) -> tuple[int, dict[str, Any]]:
    env = os.environ.copy()
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("CI", None)
    proc = subprocess.run([sys.executable, "-m", "pinlint", "--no-progress", "--format", "json", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=180, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.strip(), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [base]
patches:
  - target: {{kind: Deployment}}
    patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata: {{name: web}}   # ünïcode
      spec:
        template:
          spec:
            containers:
              - name: app
                image: {a}   # ratchet:keep
              - {{name: side, image: "{b}"}}
"""

WORKFLOW = """\
apiVersion: tekton.dev/v1
kind: Task
metadata: {{name: deploy}}
spec:
  steps:
    - name: apply
      image: {a}
      script: |
        kubectl apply -f - <<'EOF'
        apiVersion: v1
        kind: Pod
        spec:
          containers:
            - name: a
              image: {b}
        EOF
"""

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: web}}
spec:
  source:
    helm:
      values: |
        image:
          repository: {repo}
          tag: v1
"""

TEMPLATE = """\
apiVersion: v1
kind: Pod
metadata: {{name: {{{{ .Release.Name }}}}}}
spec:
  containers:
    - image: "{a}"  # literal
      name: a
    - name: b
      image: {{{{ .Values.image }}}}
"""


def test_fix_pins_embedded_references_and_template_lines_byte_exactly(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    v1 = registry.pusher.image(repo, "v1", content="v1")
    v2 = registry.pusher.image(repo, "v2", content="v2")
    name = f"{host}/{repo}"
    t1, t2 = f"{name}:v1", f"{name}:v2"
    p1, p2 = f"{name}:v1@{v1.digest}", f"{name}:v2@{v2.digest}"
    before = {
        "overlay/kustomization.yaml": KUSTOMIZATION.format(a=t1, b=t2).replace("\n", "\r\n").encode(),
        "tekton/task.yaml": WORKFLOW.format(a=t1, b=t2),
        "argocd/app.yaml": APPLICATION.format(repo=name),
        "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "chart/templates/pod.yaml": TEMPLATE.format(a=t2),
    }
    after = {
        "overlay/kustomization.yaml": KUSTOMIZATION.format(a=p1, b=p2).replace("\n", "\r\n").encode(),
        "tekton/task.yaml": WORKFLOW.format(a=p1, b=p2),
        "argocd/app.yaml": APPLICATION.format(repo=name).replace("tag: v1", f'tag: "v1@{v1.digest}"'),
        "chart/Chart.yaml": before["chart/Chart.yaml"],
        "chart/templates/pod.yaml": TEMPLATE.format(a=p2),
    }
    git = Repo.init(tmp_path / "gitops")
    git.commit("initial import", {".pinlint.yaml": f'registries:\n  insecure: ["{host}"]\n', **before})
    root = git.path

    code, report = lint(root, "--fix")

    assert (code, report["findings"], report["summary"]["fixed"]) == (0, [], 6), report
    for path, want in after.items():
        got = (root / path).read_bytes()
        assert got == (want if isinstance(want, bytes) else want.encode()), path
    code, report = lint(root, "--fix")
    assert (code, report["summary"]["fixed"]) == (0, 0)
