"""Images a repository builds itself (issue 12 item 7): a compose service with
``build:`` beside ``image:``, skaffold ``build.artifacts[].image``.  They are
listed in the inventory with ``"built": true``, at their exact span, and never
judged: no finding in any format.  What skaffold pulls is judged as usual."""
from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import make_repo, run_cli, run_json

COMPOSE = """\
services:
  app:
    build:
      context: ./app
    image: "acme/app:dev"
  worker:
    build: ./worker
    image: acme/worker
  db:
    image: postgres:16
  cache:
    image: redis:7
    build:
"""

SKAFFOLD = """\
apiVersion: skaffold/v4beta6
kind: Config
metadata:
  name: app
build:
  artifacts:
  - image: emailservice
    context: src/email
  - image: 'gcr.io/acme/front'
    ko:
      fromImage: cgr.dev/chainguard/static:latest
manifests:
  rawYaml: [k8s/*.yaml]
verify:
- name: smoke
  container:
    name: smoke
    image: alpine:3.19
customActions:
- name: seed
  containers:
  - name: seed
    image: busybox:1.36
profiles:
- name: gcb
  build:
    artifacts:
    - image: other
      buildpacks:
        builder: paketobuildpacks/builder:base
        runImage: paketobuildpacks/run:base
---
apiVersion: skaffold/v3
kind: Config
build:
  artifacts:
  - image: loadgenerator
"""

# Not a skaffold document: an operator's Config with the same shape is not "built".
OTHER_CONFIG = """\
apiVersion: example.com/v1
kind: Config
build:
  artifacts:
  - image: notbuilt:1
"""


def _repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", {"compose.yaml": COMPOSE, "deploy/skaffold.yaml": SKAFFOLD})


def _span_text(root: Path, path: str, line: int, column: int, text: str) -> str:
    """The characters of the file at (line, column), as long as ``text``."""
    return (root / path).read_text().splitlines()[line - 1][column - 1 : column - 1 + len(text)]


def test_inventory_lists_built_images_at_their_span(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    code, doc, _ = run_json("--offline", "--no-progress", ".", cwd=root)
    got = [(r["path"], r["line"], r["column"], r["kind"], r["ref"], r.get("built", False)) for r in doc["refs"]]
    assert got == [
        ("compose.yaml", 5, 13, "compose", "acme/app:dev", True),
        ("compose.yaml", 8, 12, "compose", "acme/worker", True),
        ("compose.yaml", 10, 12, "compose", "postgres:16", False),
        ("compose.yaml", 12, 12, "compose", "redis:7", False),  # a bare `build:` builds nothing
        ("deploy/skaffold.yaml", 7, 12, "skaffold", "emailservice", True),
        ("deploy/skaffold.yaml", 9, 13, "skaffold", "gcr.io/acme/front", True),
        ("deploy/skaffold.yaml", 11, 18, "skaffold", "cgr.dev/chainguard/static:latest", False),
        ("deploy/skaffold.yaml", 18, 12, "skaffold", "alpine:3.19", False),
        ("deploy/skaffold.yaml", 23, 12, "skaffold", "busybox:1.36", False),
        ("deploy/skaffold.yaml", 28, 14, "skaffold", "other", True),
        ("deploy/skaffold.yaml", 30, 18, "skaffold", "paketobuildpacks/builder:base", False),
        ("deploy/skaffold.yaml", 31, 19, "skaffold", "paketobuildpacks/run:base", False),
        ("deploy/skaffold.yaml", 37, 12, "skaffold", "loadgenerator", True),
    ]
    for path, line, column, _, text, _ in got:
        assert _span_text(root, path, line, column, text) == text
    # "built" appears only on built refs; the rest of the shape is unchanged
    assert list(doc["refs"][0]) == ["path", "line", "column", "kind", "ref", "normalized", "pinned", "templated",
                                    "built"]
    assert "built" not in doc["refs"][2]
    assert doc["summary"]["refs"] == 13


def test_built_images_are_not_judged(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    code, doc, _ = run_json("--offline", "--no-progress", "--select", "PIN", ".", cwd=root)
    assert code == 1
    flagged = {(f["path"], f["line"]) for f in doc["findings"]}
    assert flagged == {("compose.yaml", 10), ("compose.yaml", 12), ("deploy/skaffold.yaml", 11),
                       ("deploy/skaffold.yaml", 18), ("deploy/skaffold.yaml", 23), ("deploy/skaffold.yaml", 30),
                       ("deploy/skaffold.yaml", 31)}
    objects = {f["line"]: f.get("object") for f in doc["findings"] if f["path"] == "deploy/skaffold.yaml"}
    assert objects[11] == "Config/app artifact gcr.io/acme/front"
    assert objects[18] == "Config/app verify smoke"
    assert objects[30] == "Config/app profile gcb artifact other"


def test_only_built_images_pass_in_every_format(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {
        "compose.yaml": "services:\n  app:\n    build: .\n    image: acme/app:dev\n",
        "skaffold.yaml": "apiVersion: skaffold/v2beta29\nkind: Config\nbuild:\n  artifacts:\n  - image: app\n",
    })
    text = run_cli("--offline", "--no-progress", ".", cwd=root)
    assert text.returncode == 0, text.stdout
    assert "PIN001" not in text.stdout
    sarif = run_cli("--offline", "--no-progress", "--format", "sarif", ".", cwd=root)
    assert sarif.returncode == 0
    assert json.loads(sarif.stdout)["runs"][0]["results"] == []
    refs = run_cli("refs", ".", cwd=root)
    assert refs.stdout.splitlines() == ["compose.yaml:4:12\tcompose\tacme/app:dev\tbuilt",
                                        "skaffold.yaml:5:12\tskaffold\tapp\tbuilt"]


def test_only_skaffold_documents_are_skaffold(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"config.yaml": OTHER_CONFIG})
    _, doc, _ = run_json("--offline", "--no-progress", ".", cwd=root)
    assert all(r["kind"] != "skaffold" and not r.get("built") for r in doc["refs"])
