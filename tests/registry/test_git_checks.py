"""End to end: the git checks (PIN020, PIN021, PIN030-PIN032) and ``--base``
through the real CLI (``python -m pinlint --format json``), on real git
repositories (``tests/gitbuild.py``) and real images in the real local
registry, labelled and annotated the way docker/metadata-action and
``docker buildx build --provenance=false --annotation …`` write them.

Each test is a monorepo: source under ``apps/``, deploy files under ``k8s/``
and a ``.pinlint.yaml`` that lists the registry as insecure and maps its
image to ``apps/web/``.  "CI" is the test pushing an image whose revision is a
commit of that repository.  Only 127.0.0.1 is ever contacted.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Rule
from pushing import OCI_INDEX, Pushed, Pusher
from server import RunningRegistry

from tests.gitbuild import Repo, colliding_commits

ROOT = Path(__file__).resolve().parents[2]
REVISION = "org.opencontainers.image.revision"
REGISTRY_RULES = ["PIN010", "PIN011", "PIN012", "PIN013", "PIN019"]
GIT_RULES = ["PIN020", "PIN021", "PIN030", "PIN031", "PIN032"]
SOURCE: dict[str, str | bytes | None] = {
    "apps/web/Dockerfile": "FROM scratch\nCOPY main.py /\n",
    "apps/web/main.py": "print('hello')\n",
    "apps/web/requirements.txt": "flask==3.0.0\n",
    "apps/api/main.py": "print('api')\n",
    "docs/README.md": "# monorepo\n",
}
_builds = count(1)


# --- images as CI pushes them ------------------------------------------------------------------------------


def metadata_labels(sha: str, version: str = "main") -> dict[str, str]:
    """The labels docker/metadata-action writes (``steps.meta.outputs.labels``)."""
    url = "https://github.com/acme/monorepo"
    return {
        "org.opencontainers.image.title": "monorepo",
        "org.opencontainers.image.description": "",
        "org.opencontainers.image.url": url,
        "org.opencontainers.image.source": url,
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.created": "2024-05-01T12:00:00.000Z",
        "org.opencontainers.image.revision": sha,
        "org.opencontainers.image.licenses": "MIT",
    }


def buildx_annotations(sha: str) -> dict[str, str]:
    """``docker buildx build --provenance=false --annotation org.opencontainers.image.revision=<sha> …``"""
    return {REVISION: sha, "org.opencontainers.image.source": "https://github.com/acme/monorepo"}


def deployment(*images: str, replicas: int = 1) -> str:
    containers = "".join(f"        - name: c{i}\n          image: {img}\n" for i, img in enumerate(images))
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {replicas}\n"
            "  template:\n    spec:\n      containers:\n" + containers)


def policy(host: str, mappings: Sequence[dict[str, Any]], extra: str = "") -> str:
    out = f'registries:\n  insecure: ["{host}"]\n'
    if mappings:
        out += "images:\n"
    for m in mappings:
        out += f'  - repository: "{m["repository"]}"\n'
        if "source" in m:
            out += f"    source: {json.dumps(m['source'])}\n"
        if "tag-template" in m:
            out += f'    tag-template: "{m["tag-template"]}"\n'
        if "require-provenance" in m:
            out += f"    require-provenance: {str(m['require-provenance']).lower()}\n"
    return out + extra


def _env() -> dict[str, str]:
    env = os.environ.copy()
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("CI", None)
    return env


def run_pinlint(cwd: Path, *args: str) -> tuple[int, dict | None, str]:
    proc = subprocess.run([sys.executable, "-m", "pinlint", "--format", "json", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=180, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, report, proc.stderr


class GitOps:
    """A monorepo whose image ``host/name`` is built from ``apps/web/``."""

    def __init__(self, repo: Repo, host: str, name: str, pusher: Pusher) -> None:
        self.repo, self.host, self.name, self.pusher = repo, host, name, pusher

    @classmethod
    def create(
        cls, tmp_path: Path, host: str, pusher: Pusher, name: str, *,
        mappings: Sequence[dict[str, Any]] | None = None, extra_policy: str = "",
        files: dict[str, str | bytes | None] | None = None, folder: str = "gitops",
    ) -> GitOps:
        repo = Repo.init(tmp_path / folder)
        if mappings is None:
            mappings = [{"repository": f"{host}/{name}", "source": ["apps/web/"]}]
        text = policy(host, mappings, extra_policy)
        repo.commit("initial import", {".pinlint.yaml": text, **SOURCE, **(files or {})})
        return cls(repo, host, name, pusher)

    @property
    def image(self) -> str:
        return f"{self.host}/{self.name}"

    def build(
        self, sha: str, *, tags: Iterable[str] | None = None, labels: bool = True, annotate: bool = False,
        extra_labels: dict[str, str] | None = None,
    ) -> Pushed:
        """CI building ``apps/web`` at ``sha``: metadata-action labels (and buildx
        annotations when ``annotate``), pushed with ``tags`` (default ``git-<sha>``)."""
        tag_list = list([f"git-{sha}"] if tags is None else tags)
        pushed = self.pusher.image(
            self.name, tag_list[0] if tag_list else None, content=f"{self.name} {sha} build {next(_builds)}",
            labels={**(metadata_labels(sha) if labels else {}), **(extra_labels or {})},
            annotations=buildx_annotations(sha) if annotate else None,
        )
        for tag in tag_list[1:]:
            self.tag(pushed, tag)
        return pushed

    def tag(self, pushed: Pushed, tag: str) -> None:
        self.pusher.manifest(self.name, tag, pushed.body, pushed.media_type)

    def ref(self, pushed: Pushed, tag: str | None = None) -> str:
        return f"{self.image}{':' + tag if tag else ''}@{pushed.digest}"

    def pin(self, path: str, *texts: str, message: str | None = None, replicas: int = 1) -> str:
        return self.repo.commit(message or f"deploy: pin {path}", {path: deployment(*texts, replicas=replicas)})

    def change(self, path: str, text: str, message: str) -> str:
        return self.repo.commit(message, {path: text})

    def lint(self, *args: str, cwd: Path | None = None) -> tuple[int, dict, str]:
        code, report, stderr = run_pinlint(cwd or self.repo.path, *args)
        assert report is not None, stderr
        return code, report, stderr


def found(report: dict) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["path"], f["severity"]) for f in report["findings"]]


def message(report: dict, rule: str) -> str:
    [text] = [f["message"] for f in report["findings"] if f["rule"] == rule]
    return text


@pytest.fixture
def ops(tmp_path: Path, registry: RunningRegistry, repo: str) -> GitOps:
    return GitOps.create(tmp_path, registry.address, registry.pusher, repo)


# --- controls: fresh builds pass ----------------------------------------------------------------------------


def test_fresh_build_passes(ops: GitOps) -> None:
    a = ops.repo.head()
    img = ops.build(a, annotate=True)
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))

    code, report, _ = ops.lint()

    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["skipped_checks"] == []
    assert [r["ref"] for r in report["refs"]] == [ops.ref(img, f"git-{a}")]


def test_unrelated_path_change_after_the_build_passes(ops: GitOps) -> None:
    """Post-merge pin: built from A, pinned after main moved to B without touching apps/web."""
    a = ops.repo.head()
    img = ops.build(a)
    ops.change("apps/api/main.py", "print('api v2')\n", "api: v2")
    ops.change("docs/README.md", "# monorepo\n\nmore\n", "docs: more")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [])


def test_change_and_revert_passes(ops: GitOps) -> None:
    a = ops.repo.head()
    img = ops.build(a)
    ops.change("apps/web/main.py", "print('broken')\n", "web: try something")
    ops.repo.git("revert", "--no-edit", "HEAD")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [])


def test_squash_merge_passes_with_the_build_commit_unreachable(ops: GitOps) -> None:
    ops.repo.git("checkout", "-q", "-b", "feature")
    ops.change("apps/web/main.py", "print('hello, world')\n", "web: greet the world")
    tip = ops.change("apps/web/requirements.txt", "flask==3.0.3\n", "web: bump flask")
    img = ops.build(tip, annotate=True)  # CI built the branch
    ops.repo.git("checkout", "-q", "main")
    ops.repo.git("merge", "-q", "--squash", "feature")
    ops.repo.git("commit", "-q", "-m", "web: greet the world (#1)")
    ops.repo.git("branch", "-q", "-D", "feature")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{tip}"))
    assert subprocess.run(["git", "merge-base", "--is-ancestor", tip, "HEAD"], cwd=ops.repo.path,
                          check=False).returncode == 1

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [])


def test_rebase_merge_passes(ops: GitOps) -> None:
    ops.repo.git("checkout", "-q", "-b", "feature")
    built = ops.change("apps/web/main.py", "print('rebased')\n", "web: rebased change")
    img = ops.build(built)
    ops.repo.git("checkout", "-q", "main")
    ops.change("apps/api/main.py", "print('api moved on')\n", "api: meanwhile on main")
    ops.repo.git("checkout", "-q", "feature")
    ops.repo.git("rebase", "-q", "main")
    ops.repo.git("checkout", "-q", "main")
    ops.repo.git("merge", "-q", "--ff-only", "feature")
    ops.repo.git("branch", "-q", "-D", "feature")
    assert ops.repo.head() != built
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{built}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [])


def _pull_request_merge_commit(ops: GitOps) -> str:
    """A PR from ``feature`` into main as GitHub tests it: ``refs/pull/1/merge``,
    the merge of the PR head into the base (what metadata-action records as
    the revision of a pull_request build).  Returns its sha; afterwards main
    merges the PR with a merge commit of its own."""
    ops.repo.git("checkout", "-q", "-b", "feature")
    ops.change("apps/web/main.py", "print('from the PR')\n", "web: PR change")
    ops.repo.git("checkout", "-q", "main")
    ops.change("docs/README.md", "# monorepo (main moved)\n", "docs: main moved")
    ops.repo.git("checkout", "-q", "--detach", "main")
    ops.repo.git("merge", "-q", "--no-ff", "-m", "Merge abc into def", "feature")
    pr_merge = ops.repo.head()
    ops.repo.git("update-ref", "refs/pull/1/merge", pr_merge)
    ops.repo.git("checkout", "-q", "main")
    ops.repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1 from acme/feature", "feature")
    assert ops.repo.head() != pr_merge
    return pr_merge


def test_pull_request_merge_commit_build_passes(ops: GitOps) -> None:
    pr_merge = _pull_request_merge_commit(ops)
    img = ops.build(pr_merge, tags=["pr-1"])  # metadata-action type=ref,event=pr
    ops.pin("k8s/web.yaml", ops.ref(img, "pr-1"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [])


def test_pull_request_merge_commit_not_fetched_is_pin032(tmp_path: Path, ops: GitOps) -> None:
    pr_merge = _pull_request_merge_commit(ops)
    img = ops.build(pr_merge, tags=["pr-1"])
    ops.pin("k8s/web.yaml", ops.ref(img, "pr-1"))
    clone = Repo.clone(ops.repo.path, tmp_path / "clone")  # refs/pull/* are not fetched by a clone

    code, report, _ = ops.lint(cwd=clone.path)

    assert (code, found(report)) == (0, [("PIN032", "k8s/web.yaml", "warning")])
    text = message(report, "PIN032")
    assert pr_merge in text and f"git fetch origin {pr_merge}" in text


def test_multi_platform_index_with_index_annotation_and_attestations_passes(ops: GitOps) -> None:
    """``docker buildx build --platform linux/amd64,linux/arm64 --annotation index:…`` with
    provenance on: an ``unknown/unknown`` attestation manifest beside the platforms."""
    a = ops.repo.head()
    amd = ops.pusher.image(ops.name, content="amd", labels=metadata_labels(a))
    arm = ops.pusher.image(ops.name, content="arm", arch="arm64", labels=metadata_labels(a))
    attestation = ops.pusher.image(ops.name, content="in-toto", arch="unknown")
    entries = [
        {"mediaType": amd.media_type, "digest": amd.digest, "size": len(amd.body),
         "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": arm.media_type, "digest": arm.digest, "size": len(arm.body),
         "platform": {"os": "linux", "architecture": "arm64"}},
        {"mediaType": attestation.media_type, "digest": attestation.digest, "size": len(attestation.body),
         "platform": {"os": "unknown", "architecture": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                         "vnd.docker.reference.digest": amd.digest}},
    ]
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries,
                       "annotations": buildx_annotations(a)}).encode()
    digest = ops.pusher.manifest(ops.name, f"git-{a}", body, OCI_INDEX)
    ops.pin("k8s/web.yaml", f"{ops.image}:git-{a}@{digest}")

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [])


# --- PIN030: stale builds ---------------------------------------------------------------------------------


def test_stale_build_names_the_paths_and_lists_the_commits(ops: GitOps) -> None:
    a = ops.repo.head()
    img = ops.build(a, annotate=True)
    first = ops.change("apps/web/main.py", "print('hello again')\n", "web: say hello again")
    docs = ops.change("docs/README.md", "# docs\n", "docs: rewrite")
    second = ops.change("apps/web/requirements.txt", "flask==3.1.0\n", "web: bump flask to 3.1")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN030", "k8s/web.yaml", "error")])
    text = message(report, "PIN030")
    assert "apps/web" in text
    assert f"{second[:7]}" in text and "web: bump flask to 3.1" in text
    assert f"{first[:7]}" in text and "web: say hello again" in text
    assert text.index("web: bump flask to 3.1") < text.index("web: say hello again")  # newest first
    assert docs[:7] not in text and "docs: rewrite" not in text


def test_stale_build_lists_ten_commits_then_a_count(ops: GitOps) -> None:
    a = ops.repo.head()
    img = ops.build(a)
    shas = [ops.change("apps/web/main.py", f"print({i})\n", f"web: step {i:02d}") for i in range(1, 13)]
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))

    code, report, _ = ops.lint()

    assert code == 1
    text = message(report, "PIN030")
    for i, sha in enumerate(shas, start=1):
        listed = i > 2  # the ten newest
        assert (sha[:7] in text) == listed and (f"web: step {i:02d}" in text) == listed, (i, text)
    assert "and 2 more" in text


def test_the_same_stale_pin_in_two_files_is_judged_once_and_reported_twice(
    tmp_path: Path, proxy: FaultProxy, registry: RunningRegistry, repo: str
) -> None:
    ops = GitOps.create(tmp_path, proxy.address, registry.pusher, repo)
    a = ops.repo.head()
    img = ops.build(a)
    ops.change("apps/web/main.py", "print('newer')\n", "web: newer")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))
    ops.pin("k8s/web-canary.yaml", ops.ref(img, f"git-{a}"))
    proxy.reset()

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN030", "k8s/web-canary.yaml", "error"),
                                          ("PIN030", "k8s/web.yaml", "error")])
    assert proxy.count(f"/blobs/{img.config_digest}") <= 1


def test_renamed_source_folder_is_stale(ops: GitOps) -> None:
    """Content of each configured path, not of whatever it was renamed from:
    the image was built when apps/frontend did not exist."""
    a = ops.repo.head()
    img = ops.build(a)
    ops.repo.git("mv", "apps/web", "apps/frontend")
    text = policy(ops.host, [{"repository": ops.image, "source": ["apps/frontend/"]}])
    moved = ops.change(".pinlint.yaml", text, "web: move to apps/frontend")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN030", "k8s/web.yaml", "error")])
    msg = message(report, "PIN030")
    assert "apps/frontend" in msg and moved[:7] in msg and "web: move to apps/frontend" in msg


def test_single_file_source_paths(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    mapping = {"repository": f"{registry.address}/{repo}",
               "source": ["apps/web/Dockerfile", "libs/proto.txt", "scripts/entrypoint.sh"]}
    ops = GitOps.create(tmp_path, registry.address, registry.pusher, repo, mappings=[mapping],
                        files={"libs/proto.txt": "v1\n", "libs/other.txt": "x\n",
                               "scripts/entrypoint.sh": "#!/bin/sh\n"})
    a = ops.repo.head()
    img = ops.build(a)
    ops.change("libs/other.txt", "y\n", "libs: other")
    ops.change("apps/web/main.py", "print('not a source path')\n", "web: main.py is not listed")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))
    assert found(ops.lint()[1]) == []

    ops.change("libs/proto.txt", "v2\n", "libs: proto v2")
    code, report, _ = ops.lint()
    assert (code, found(report)) == (1, [("PIN030", "k8s/web.yaml", "error")])
    msg = message(report, "PIN030")
    assert "libs/proto.txt" in msg and "libs: proto v2" in msg
    assert "apps/web/Dockerfile" not in msg and "entrypoint" not in msg

    ops.repo.git("revert", "--no-edit", "HEAD")
    ops.repo.git("update-index", "--chmod=+x", "scripts/entrypoint.sh")
    ops.repo.git("commit", "-q", "-m", "scripts: make the entrypoint executable")
    code, report, _ = ops.lint()
    assert (code, found(report)) == (1, [("PIN030", "k8s/web.yaml", "error")])
    assert "scripts/entrypoint.sh" in message(report, "PIN030")


def test_mapping_without_source_is_not_judged_for_staleness_and_first_match_wins(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    exact = {"repository": f"{registry.address}/{repo}", "source": ["apps/web/"]}
    catch_all = {"repository": f"{registry.address}/**"}
    ops = GitOps.create(tmp_path, registry.address, registry.pusher, repo, mappings=[exact, catch_all])
    a = ops.repo.head()
    img = ops.build(a)
    ops.change("apps/web/main.py", "print('newer')\n", "web: newer")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))
    assert found(ops.lint()[1]) == [("PIN030", "k8s/web.yaml", "error")]

    ops.change(".pinlint.yaml", policy(ops.host, [catch_all, exact]), "policy: catch-all first")
    code, report, _ = ops.lint()
    assert (code, found(report)) == (0, [])


def test_unmapped_image_is_not_judged(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    ops = GitOps.create(tmp_path, registry.address, registry.pusher, repo,
                        mappings=[{"repository": f"{registry.address}/{repo}-other", "source": ["apps/web/"]}])
    img = ops.build(ops.repo.head(), labels=False, tags=["v1"])  # no provenance at all
    ops.pin("k8s/web.yaml", ops.ref(img, "v1"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [])


# --- PIN032: the build commit is not here -----------------------------------------------------------------


def test_shallow_clone_is_pin032_with_the_hint_not_pin030(tmp_path: Path, ops: GitOps) -> None:
    a = ops.repo.head()
    img = ops.build(a)
    ops.change("apps/web/main.py", "print('changed: would be PIN030 with history')\n", "web: change")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))
    clone = Repo.clone(ops.repo.path, tmp_path / "shallow", "--depth", "1")
    assert clone.git("rev-parse", "--is-shallow-repository") == "true"

    code, report, _ = ops.lint(cwd=clone.path)

    assert (code, found(report)) == (0, [("PIN032", "k8s/web.yaml", "warning")])
    text = message(report, "PIN032")
    assert a in text and "fetch-depth: 0" in text and "git fetch --unshallow" in text

    clone.git("fetch", "-q", "--unshallow")
    code, report, _ = ops.lint(cwd=clone.path)
    assert (code, found(report)) == (1, [("PIN030", "k8s/web.yaml", "error")])


def test_force_pushed_build_commit_is_pin032_not_pin030(tmp_path: Path, ops: GitOps) -> None:
    origin = ops.repo
    origin.git("checkout", "-q", "-b", "feature")
    built = ops.change("apps/web/main.py", "print('first try')\n", "web: first try")
    img = ops.build(built)  # CI built the branch, then it was rewritten
    origin.git("reset", "-q", "--hard", "main")
    ops.change("apps/web/main.py", "print('second try')\n", "web: second try")  # force-pushed
    origin.git("checkout", "-q", "main")
    origin.git("merge", "-q", "--squash", "feature")
    origin.git("commit", "-q", "-m", "web: second try (#2)")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{built}"))
    clone = Repo.clone(origin.path, tmp_path / "ci")

    code, report, _ = ops.lint(cwd=clone.path)

    assert (code, found(report)) == (0, [("PIN032", "k8s/web.yaml", "warning")])
    text = message(report, "PIN032")
    assert built in text and f"git fetch origin {built}" in text and "--unshallow" not in text


# --- PIN020: evidence that disagrees ----------------------------------------------------------------------


def test_index_whose_platforms_disagree_is_pin020(ops: GitOps) -> None:
    a = ops.repo.head()
    b = ops.change("docs/README.md", "# b\n", "docs: b")
    amd = ops.pusher.image(ops.name, content="amd", annotations=buildx_annotations(a))
    arm = ops.pusher.image(ops.name, content="arm", arch="arm64", labels=metadata_labels(b))
    index = ops.pusher.index(ops.name, "v1", {"linux/amd64": amd, "linux/arm64/v8": arm})
    ops.pin("k8s/web.yaml", ops.ref(index, "v1"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN020", "k8s/web.yaml", "error")])
    text = message(report, "PIN020")
    assert a in text and b in text and "linux/amd64" in text and "linux/arm64/v8" in text


def test_reference_tag_naming_another_commit_than_the_label_is_pin020(ops: GitOps) -> None:
    old = ops.repo.head()
    a = ops.change("docs/README.md", "# later\n", "docs: later")
    img = ops.build(a, tags=[f"git-{old}"])  # built from A, tagged as a build of OLD
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{old}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN020", "k8s/web.yaml", "error")])
    text = message(report, "PIN020")
    assert f"git-{old}" in text and a in text


def test_registry_revision_tag_pointing_at_another_digest_is_pin020(ops: GitOps) -> None:
    a = ops.repo.head()
    pinned = ops.build(a, tags=["v1"])
    rebuilt = ops.build(a)  # git-<a> now names another build of A
    ops.pin("k8s/web.yaml", ops.ref(pinned, "v1"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN020", "k8s/web.yaml", "error")])
    text = message(report, "PIN020")
    assert f"git-{a}" in text and rebuilt.digest in text


def test_several_disagreements_are_one_finding_joined(ops: GitOps) -> None:
    a = ops.repo.head()
    b = ops.change("docs/README.md", "# b\n", "docs: b")
    c = ops.change("docs/README.md", "# c\n", "docs: c")
    # annotation A, label B (metadata-action and a hand-written --annotation out of step), tagged git-C
    img = ops.pusher.image(ops.name, f"git-{c}", content="mixed", labels=metadata_labels(b),
                           annotations=buildx_annotations(a))
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{c}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN020", "k8s/web.yaml", "error")])
    text = message(report, "PIN020")
    assert "; " in text and a in text and b in text and f"git-{c}" in text


# --- PIN021: no provenance --------------------------------------------------------------------------------


def test_no_provenance_is_a_warning(ops: GitOps) -> None:
    img = ops.build(ops.repo.head(), labels=False, tags=["v1"])
    ops.pin("k8s/web.yaml", ops.ref(img, "v1"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [("PIN021", "k8s/web.yaml", "warning")])
    assert ops.lint("--strict")[0] == 1


def test_no_provenance_with_require_provenance_is_an_error(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    mapping = {"repository": f"{registry.address}/{repo}", "source": ["apps/web/"], "require-provenance": True}
    ops = GitOps.create(tmp_path, registry.address, registry.pusher, repo, mappings=[mapping])
    img = ops.build(ops.repo.head(), labels=False, tags=["v1"])
    ops.pin("k8s/web.yaml", ops.ref(img, "v1"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN021", "k8s/web.yaml", "error")])


def test_commit_tag_alone_is_provenance(ops: GitOps) -> None:
    """No label, no annotation: the registry's git-<sha> tag pointing at the digest."""
    a = ops.repo.head()
    img = ops.build(a, labels=False)
    ops.tag(img, "v1")
    ops.pin("k8s/web.yaml", ops.ref(img, "v1"), ops.ref(img))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [])


# --- {short}: docker/metadata-action's sha-<short> tags ----------------------------------------------------


@pytest.fixture
def short_ops(tmp_path: Path, registry: RunningRegistry, repo: str) -> GitOps:
    mapping = {"repository": f"{registry.address}/{repo}", "source": ["apps/web/"], "tag-template": "sha-{short}"}
    return GitOps.create(tmp_path, registry.address, registry.pusher, repo, mappings=[mapping])


def test_metadata_action_sha_tag_with_its_labels_passes(short_ops: GitOps) -> None:
    ops = short_ops
    a = ops.repo.head()
    img = ops.build(a, tags=[f"sha-{a[:7]}", "main"])  # type=sha and type=ref,event=branch
    ops.pin("k8s/web.yaml", ops.ref(img, f"sha-{a[:7]}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [])


def test_short_tag_alone_resolves_to_the_commit(short_ops: GitOps) -> None:
    ops = short_ops
    a = ops.repo.head()
    img = ops.build(a, labels=False, tags=[f"sha-{a[:7]}"])
    ops.pin("k8s/web.yaml", ops.ref(img, f"sha-{a[:7]}"))
    code, report, _ = ops.lint()
    assert (code, found(report)) == (0, [])

    ops.change("apps/web/main.py", "print('moved on')\n", "web: moved on")
    code, report, _ = ops.lint()
    assert (code, found(report)) == (1, [("PIN030", "k8s/web.yaml", "error")])


def test_ambiguous_short_sha_is_pin020(short_ops: GitOps) -> None:
    ops = short_ops
    tree = ops.repo.git("rev-parse", "HEAD^{tree}")
    one, two = colliding_commits(tree, ops.repo.head())
    shas = [ops.repo.git("hash-object", "-t", "commit", "-w", "--stdin", input=body) for body in (one, two)]
    prefix = shas[0][:7]
    assert shas[1].startswith(prefix) and shas[0] != shas[1]
    img = ops.build(prefix, labels=False, tags=[f"sha-{prefix}"])
    ops.pin("k8s/web.yaml", ops.ref(img, f"sha-{prefix}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN020", "k8s/web.yaml", "error")])
    text = message(report, "PIN020")
    assert prefix in text and "ambiguous" in text


def test_unknown_short_sha_is_pin032(short_ops: GitOps) -> None:
    ops = short_ops
    unknown = "0badc0de"
    assert subprocess.run(["git", "rev-parse", "-q", "--verify", f"{unknown}^{{commit}}"],
                          cwd=ops.repo.path, capture_output=True, check=False).returncode != 0
    img = ops.build(unknown, labels=False, tags=[f"sha-{unknown}"])
    ops.pin("k8s/web.yaml", ops.ref(img, f"sha-{unknown}"))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (0, [("PIN032", "k8s/web.yaml", "warning")])
    assert unknown in message(report, "PIN032")


def test_short_revision_label_is_resolved(ops: GitOps) -> None:
    a = ops.repo.head()
    img = ops.build(a[:12], tags=["v1"])  # a hand-written --label revision=$(git rev-parse --short=12 HEAD)
    ops.pin("k8s/web.yaml", ops.ref(img, "v1"))
    assert found(ops.lint()[1]) == []

    ops.change("apps/web/main.py", "print('moved on')\n", "web: moved on")
    assert found(ops.lint()[1]) == [("PIN030", "k8s/web.yaml", "error")]


# --- when the git checks do not run, and errors -----------------------------------------------------------


def test_offline_skips_the_git_checks_and_says_so(
    tmp_path: Path, proxy: FaultProxy, registry: RunningRegistry, repo: str
) -> None:
    ops = GitOps.create(tmp_path, proxy.address, registry.pusher, repo)
    a = ops.repo.head()
    img = ops.build(a)
    ops.change("apps/web/main.py", "print('stale')\n", "web: stale")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))
    proxy.reset()

    code, report, _ = ops.lint("--offline")

    assert (code, found(report)) == (0, [])
    assert report["summary"]["skipped_checks"] == sorted(REGISTRY_RULES + GIT_RULES)
    assert proxy.count() == 0 and proxy.accepts == 0


@pytest.mark.parametrize("dot_git", [None, "empty folder"])
def test_without_a_git_repository_the_git_checks_are_skipped(
    tmp_path: Path, registry: RunningRegistry, repo: str, dot_git: str | None
) -> None:
    """No ``.git`` at all, or a ``.git`` that is not a repository (an empty
    folder, as tests/helpers.make_repo makes): the root is found, git is not."""
    pusher = registry.pusher
    img = pusher.image(repo, "v1", content="no provenance")  # would be PIN021 with git
    folder = tmp_path / "plain"
    (folder / "k8s").mkdir(parents=True)
    if dot_git:
        (folder / ".git").mkdir()
    (folder / "k8s" / "web.yaml").write_text(deployment(f"{registry.address}/{repo}:v1@{img.digest}"))
    (folder / ".pinlint.yaml").write_text(
        policy(registry.address, [{"repository": f"{registry.address}/{repo}", "source": ["apps/web/"]}]))

    code, report, _ = run_pinlint(folder, ".")

    assert report is not None
    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["skipped_checks"] == GIT_RULES


def test_registry_error_while_gathering_evidence_is_pin019_exit_3(
    tmp_path: Path, proxy: FaultProxy, registry: RunningRegistry, repo: str
) -> None:
    ops = GitOps.create(tmp_path, proxy.address, registry.pusher, repo)
    a = ops.repo.head()
    img = ops.build(a)  # the revision is only in the config label: a blob
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))
    proxy.add(Rule("status", match="/blobs/", status=500))

    code, report, _ = ops.lint()

    assert (code, found(report)) == (3, [("PIN019", "k8s/web.yaml", "error")])
    assert proxy.address in message(report, "PIN019")


def test_pinned_digest_not_in_the_registry_is_only_pin010(ops: GitOps) -> None:
    ops.build(ops.repo.head(), tags=["v1"])
    ops.pin("k8s/web.yaml", f"{ops.image}@sha256:{'0' * 64}")

    code, report, _ = ops.lint()

    assert (code, found(report)) == (1, [("PIN010", "k8s/web.yaml", "error")])


# --- --base: the pre-merge gate ---------------------------------------------------------------------------


def test_base_judges_only_the_files_the_change_touches(tmp_path: Path, ops: GitOps) -> None:
    a = ops.repo.head()
    img = ops.build(a)
    ops.change("apps/web/main.py", "print('main moved')\n", "web: main moved")  # img is stale from here on
    ops.pin("k8s/old.yaml", ops.ref(img, f"git-{a}"), f"{ops.image}:git-{a}")  # old problems on main
    work = Repo.clone(ops.repo.path, tmp_path / "pr")
    work.git("checkout", "-q", "-b", "feature")
    work.commit("deploy: canary", {"k8s/new.yaml": deployment(ops.ref(img, f"git-{a}"))})
    # main moves after the fork and touches old.yaml: the two-dot diff would blame the PR for it
    ops.pin("k8s/old.yaml", ops.ref(img, f"git-{a}"), f"{ops.image}:git-{a}", replicas=3)
    work.git("fetch", "-q", "origin")

    code, report, _ = ops.lint("--base", "origin/main", cwd=work.path)

    assert (code, found(report)) == (1, [("PIN030", "k8s/new.yaml", "error")])
    everything = ops.lint(cwd=work.path)[1]
    assert sorted(found(everything)) == [("PIN001", "k8s/old.yaml", "error"), ("PIN030", "k8s/new.yaml", "error"),
                                         ("PIN030", "k8s/old.yaml", "error")]


def test_base_pin031_when_the_change_edits_a_pin_and_its_source(ops: GitOps) -> None:
    a = ops.repo.head()
    img = ops.build(a)
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))
    ops.repo.git("checkout", "-q", "-b", "feature")
    f1 = ops.change("apps/web/main.py", "print('feature')\n", "web: feature")
    new = ops.build(f1)  # CI built the PR's first commit; the PR pins it
    ops.pin("k8s/web.yaml", ops.ref(new, f"git-{f1}"), message="deploy: pin the feature build")

    code, report, _ = ops.lint("--base", "main")

    assert (code, found(report)) == (0, [("PIN031", "k8s/web.yaml", "warning")])
    assert ops.lint("--base", "main", "--strict")[0] == 1
    assert found(ops.lint()[1]) == []  # PIN031 is a --base rule


def test_base_pin031_needs_both_the_pin_and_a_source_path(ops: GitOps) -> None:
    a = ops.repo.head()
    img = ops.build(a)
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))
    ops.repo.git("checkout", "-q", "-b", "feature")

    # a new pin without a source change (the same build, pinned by digest alone)
    ops.pin("k8s/web.yaml", ops.ref(img))
    assert found(ops.lint("--base", "main")[1]) == []

    # a sibling folder sharing the prefix (apps/webhooks is not under apps/web)
    ops.change("apps/webhooks/hook.py", "print('hook')\n", "webhooks: new")
    assert found(ops.lint("--base", "main")[1]) == []

    # the source changes but the pin text is the base's: not PIN031, but the pin is now stale
    ops.repo.git("checkout", "-q", "main")
    ops.repo.git("checkout", "-q", "-b", "feature2")
    ops.change("apps/web/main.py", "print('feature2')\n", "web: feature2")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"), replicas=2, message="deploy: two replicas")
    code, report, _ = ops.lint("--base", "main")
    assert (code, found(report)) == (1, [("PIN030", "k8s/web.yaml", "error")])


def test_base_pin031_with_a_single_file_source_path(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    mapping = {"repository": f"{registry.address}/{repo}", "source": ["apps/web/Dockerfile"]}
    ops = GitOps.create(tmp_path, registry.address, registry.pusher, repo, mappings=[mapping])
    ops.repo.git("checkout", "-q", "-b", "feature")
    f1 = ops.change("apps/web/Dockerfile", "FROM scratch\nCOPY . /\n", "web: copy everything")
    img = ops.build(f1)
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{f1}"))

    code, report, _ = ops.lint("--base", "main")

    assert (code, found(report)) == (0, [("PIN031", "k8s/web.yaml", "warning")])


@pytest.mark.parametrize("weakened", [
    pytest.param(lambda host, image: policy(host, []), id="mapping-removed"),
    pytest.param(lambda host, image: policy(host, [{"repository": image, "source": ["apps/web/"]}],
                                            "rules:\n  ignore: [PIN030]\n"), id="ignore-added"),
    pytest.param(lambda host, image: policy(host, [{"repository": image, "source": ["apps/web/"]}],
                                            'rules:\n  per-path-ignores: {"k8s/**": [PIN030]}\n'),
                 id="per-path-ignore-added"),
])
def test_base_reads_the_policy_from_the_base_so_a_pr_cannot_weaken_its_gate(ops: GitOps, weakened) -> None:
    a = ops.repo.head()
    img = ops.build(a)
    ops.change("apps/web/main.py", "print('main moved')\n", "web: main moved")
    ops.repo.git("checkout", "-q", "-b", "feature")
    ops.change(".pinlint.yaml", weakened(ops.host, ops.image), "policy: relax")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))

    code, report, stderr = ops.lint("--base", "main")
    assert (code, found(report)) == (1, [("PIN030", "k8s/web.yaml", "error")])

    code, report, stderr = ops.lint("--base", "main", "--policy-from-head")
    assert (code, found(report)) == (0, [])
    assert "HEAD" in stderr and "polic" in stderr.lower()


def test_base_without_a_policy_file_applies_the_defaults(
    tmp_path: Path, proxy: FaultProxy, registry: RunningRegistry, repo: str
) -> None:
    """Main has no .pinlint.yaml; the PR adds one listing a loopback registry as
    insecure: under the base's defaults that registry is not allowed, and not contacted."""
    git = Repo.init(tmp_path / "gitops")
    git.commit("initial import", SOURCE)
    a = git.head()
    ops = GitOps(git, proxy.address, repo, registry.pusher)
    img = ops.build(a)
    git.git("checkout", "-q", "-b", "feature")
    ops.change(".pinlint.yaml", policy(ops.host, [{"repository": ops.image, "source": ["apps/web/"]}]),
               "policy: our registry")
    ops.pin("k8s/web.yaml", ops.ref(img, f"git-{a}"))
    proxy.reset()

    code, report, _ = ops.lint("--base", "main")

    assert (code, found(report)) == (1, [("PIN012", "k8s/web.yaml", "error")])
    assert proxy.count() == 0 and proxy.accepts == 0
    assert found(ops.lint("--base", "main", "--policy-from-head")[1]) == []


def test_unknown_base_is_a_usage_error_naming_it(ops: GitOps) -> None:
    code, _, stderr = run_pinlint(ops.repo.path, "--base", "origin/no-such-branch")

    assert code == 2
    assert "origin/no-such-branch" in stderr
