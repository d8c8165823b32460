"""Fix mode end to end: the real CLI (``python -m pinlint --fix``) against the
real local registry (images pushed with ``pushing.Pusher``) and real git
repositories (``tests/gitbuild.py``).  Only 127.0.0.1 is ever contacted.

Each test writes a small repository, runs pinlint as a user would, and
compares the files byte for byte with what the fix must make of them: only
the bytes of the edits change.  What cannot be timed from outside the
process (a file that changes, or becomes a symlink, between the scan and the
write) is tested in-process on ``fixer.apply`` with the run's real scan.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Rule
from pushing import Pushed
from server import RunningRegistry

from tests.gitbuild import Repo

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
REVISION = "org.opencontainers.image.revision"
SOURCE: dict[str, str | bytes | None] = {
    "apps/web/Dockerfile": "FROM scratch\nCOPY main.py /\n",
    "apps/web/main.py": "print('hello')\n",
    "docs/README.md": "# monorepo\n",
}


# --- running pinlint ----------------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = os.environ.copy()
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("CI", None)
    return env


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "pinlint", *args], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=180, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def lint(cwd: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """``pinlint --format json ARGS``: the exit code and the report."""
    proc = run(cwd, "--no-progress", "--format", "json", *args)
    assert proc.stdout.strip(), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def fix(cwd: Path, *args: str) -> tuple[int, dict[str, Any]]:
    return lint(cwd, "--fix", *args)


def rules(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in report["findings"]]


def messages(report: dict[str, Any], rule: str) -> list[str]:
    return [f["message"] for f in report["findings"] if f["rule"] == rule]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the tree (not .git) and its bytes."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".git" or rel.startswith(".git/") or path.is_dir() or path.is_symlink():
            continue
        out[rel] = path.read_bytes()
    return out


def policy(host: str, extra: str = "") -> str:
    return f'registries:\n  insecure: ["{host}"]\n' + extra


def gitops(tmp_path: Path, files: Mapping[str, str | bytes], text: str, *, folder: str = "gitops") -> Path:
    """A repository holding ``files`` and the policy ``text``, committed."""
    repo = Repo.init(tmp_path / folder)
    repo.commit("initial import", {".pinlint.yaml": text, **files})
    return repo.path


def pod(*images: str) -> str:
    containers = "".join(f"    - name: c{i}\n      image: {img}\n" for i, img in enumerate(images))
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n" + containers


@pytest.fixture
def host(registry: RunningRegistry) -> str:
    return registry.address


# --- pinning a tag ------------------------------------------------------------------------------------------


def test_pins_plain_quoted_and_flow_references_and_keeps_every_other_byte(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    v1 = registry.pusher.image(repo, "v1", content="v1")
    v2 = registry.pusher.image(repo, "v2", content="v2")
    v3 = registry.pusher.image(repo, "v3", content="v3")
    v4 = registry.pusher.image(repo, "v4", content="v4")
    name = f"{host}/{repo}"
    template = (
        "# the web tier   \n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {{name: web, labels: {{tier: \"web\"}}}}\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: plain   # block style, a comment after\n"
        "          image: {a}    # ratchet:{name}:v1\n"
        "\n"
        "        - name: double\n"
        "          image: \"{b}\"\n"
        "        - name: single\n"
        "          image: '{c}'  \n"
        "        - {{name: flow, image: \"{d}\"}}   # {{\"$imagepolicy\": \"flux-system:web\"}}\n"
    )
    before = template.format(name=name, a=f"{name}:v1", b=f"{name}:v2", c=f"{name}:v3", d=f"{name}:v4")
    root = gitops(tmp_path, {"k8s/web.yaml": before}, policy(host))

    code, report = fix(root)

    assert (code, report["findings"], report["summary"]["fixed"]) == (0, [], 4)
    after = template.format(name=name, a=f"{name}:v1@{v1.digest}", b=f"{name}:v2@{v2.digest}",
                            c=f"{name}:v3@{v3.digest}", d=f"{name}:v4@{v4.digest}")
    assert (root / "k8s/web.yaml").read_text() == after


def test_crlf_file_with_a_bom_keeps_both(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    host = registry.address
    img = registry.pusher.image(repo, "1.0")
    name = f"{host}/{repo}"
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: web  ", "spec:", "  containers:",
             "    - name: web # keep me", "      image: {ref}", "    - name: sidecar", "      image: \"{ref}\"", ""]
    before = b"\xef\xbb\xbf" + "\r\n".join(lines).format(ref=f"{name}:1.0").encode()
    root = gitops(tmp_path, {"pod.yaml": before}, policy(host))

    code, report = fix(root)

    assert (code, report["summary"]["fixed"]) == (0, 2), report
    pinned = f"{name}:1.0@{img.digest}"
    assert (root / "pod.yaml").read_bytes() == b"\xef\xbb\xbf" + "\r\n".join(lines).format(ref=pinned).encode()
    assert [(f["line"], f["column"]) for f in report["refs"]] == [(8, 14), (10, 15)]


def test_implicit_latest_is_written_as_latest_with_the_digest(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    latest = registry.pusher.image(repo, "latest", content="latest")
    root = gitops(tmp_path, {"pod.yaml": pod(f"{host}/{repo}")}, policy(host))

    code, report = fix(root)

    assert code == 0, report
    assert (root / "pod.yaml").read_text() == pod(f"{host}/{repo}:latest@{latest.digest}")


def test_a_tag_naming_an_index_is_pinned_to_the_index_digest(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    index, platforms = registry.pusher.multiarch(repo, "2.0")
    docker_list, _ = registry.pusher.multiarch(repo, "2.0-docker", docker=True, content="docker")
    root = gitops(tmp_path, {"pod.yaml": pod(f"{host}/{repo}:2.0", f"{host}/{repo}:2.0-docker")}, policy(host))

    code, report = fix(root)

    assert code == 0, report
    assert (root / "pod.yaml").read_text() == pod(f"{host}/{repo}:2.0@{index.digest}",
                                                  f"{host}/{repo}:2.0-docker@{docker_list.digest}")
    assert index.digest not in {p.digest for p in platforms.values()}


def test_digest_only_style_writes_name_at_digest(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    host = registry.address
    v1 = registry.pusher.image(repo, "v1", content="v1")
    latest = registry.pusher.image(repo, "latest", content="latest")
    text = policy(host, "fix:\n  style: digest-only\n")
    root = gitops(tmp_path, {"pod.yaml": pod(f"{host}/{repo}:v1", f"{host}/{repo}")}, text)

    code, report = fix(root)

    assert code == 0, report
    assert (root / "pod.yaml").read_text() == pod(f"{host}/{repo}@{v1.digest}", f"{host}/{repo}@{latest.digest}")
    assert lint(root)[0] == 0  # digest-only pins are pins


# --- formats that build a reference from several fields ------------------------------------------------------


def test_kustomize_entries_get_a_digest_field_at_their_own_indentation(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    v1 = registry.pusher.image(repo, "v1", content="v1")
    v2 = registry.pusher.image(repo, "v2", content="v2")
    name = f"{host}/{repo}"
    before = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        "images:\n"
        "  - name: web            # the first entry\n"
        f"    newName: {name}\n"
        "    newTag: v1\n"
        "  - name: api\n"
        f"    newName: \"{name}\"\n"
        "    newTag: \"v2\"   \n"
        "  - {name: flow, newName: \"" + name + "\", newTag: v1}\n"
        "  -   name: wide\n"
        f"      newName: {name}\n"
        "      newTag: v1"  # the last line has no line end
    )
    crlf = before.replace("\n", "\r\n") + "\r\n"
    root = gitops(tmp_path, {"base/kustomization.yaml": before, "crlf/kustomization.yaml": crlf}, policy(host))

    code, report = fix(root)

    assert (code, report["summary"]["fixed"]) == (0, 8), report
    after = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        "images:\n"
        "  - name: web            # the first entry\n"
        f"    newName: {name}\n"
        "    newTag: v1\n"
        f"    digest: {v1.digest}\n"
        "  - name: api\n"
        f"    newName: \"{name}\"\n"
        "    newTag: \"v2\"   \n"
        f"    digest: {v2.digest}\n"
        "  - {name: flow, newName: \"" + name + f"\", newTag: v1, digest: \"{v1.digest}\"}}\n"
        "  -   name: wide\n"
        f"      newName: {name}\n"
        "      newTag: v1\n"
        f"      digest: {v1.digest}"
    )
    assert (root / "base/kustomization.yaml").read_text() == after
    assert (root / "crlf/kustomization.yaml").read_bytes() == (after.replace("\n", "\r\n") + "\r\n").encode()
    assert lint(root)[0] == 0


CHART = "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: \"1.0\"\n"


def test_split_helm_maps_fill_digest_or_carry_it_in_the_tag(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    v1 = registry.pusher.image(repo, "v1", content="v1")
    v2 = registry.pusher.image(repo, "v2", content="v2")
    values = (
        "image:                      # has a digest key: it is filled\n"
        "  registry: {host}\n"
        "  repository: {repo}\n"
        "  tag: v1\n"
        "  digest: {d1}\n"
        "  pullPolicy: IfNotPresent\n"
        "metrics:\n"
        "  image:                    # no digest key: the tag carries it\n"
        "    registry: {host}\n"
        "    repository: {repo}\n"
        "    tag: {t2}\n"
        "sidecar:\n"
        "  image:\n"
        "    registry: {host}\n"
        "    repository: {repo}\n"
        "    tag: \"{t1}\"\n"
    )
    before = values.format(host=host, repo=repo, d1='""', t1="v1", t2="v2")
    root = gitops(tmp_path, {"chart/Chart.yaml": CHART, "chart/values.yaml": before}, policy(host))

    code, report = fix(root)

    assert (code, report["summary"]["fixed"]) == (0, 3), report
    after = values.format(host=host, repo=repo, d1=f'"{v1.digest}"', t1=f"v1@{v1.digest}",
                          t2=f'"v2@{v2.digest}"')
    assert (root / "chart/values.yaml").read_text() == after
    assert [r["ref"] for r in lint(root)[1]["refs"]] == [f"{host}/{repo}:v1@{v1.digest}",
                                                        f"{host}/{repo}:v2@{v2.digest}",
                                                        f"{host}/{repo}:v1@{v1.digest}"]


def test_dockerfile_from_an_arg_is_pinned_where_the_reference_is_written(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    v1 = registry.pusher.image(repo, "v1", content="v1")
    v2 = registry.pusher.image(repo, "v2", content="v2")
    name = f"{host}/{repo}"
    dockerfile = (
        "# syntax is not pinned here on purpose\n"
        "ARG BASE={base}\n"
        "ARG TAG=v2\n"
        "FROM ${{BASE}} AS build\n"
        "RUN true\n"
        "FROM {name}:${{TAG}}{pin2} AS runtime\n"
        "COPY --from={copy} /etc/hosts /hosts\n"
    )
    before = dockerfile.format(base=f"{name}:v1", name=name, pin2="", copy=f"{name}:v2")
    root = gitops(tmp_path, {"Dockerfile": before}, policy(host))

    code, report = fix(root)

    assert (code, report["summary"]["fixed"]) == (0, 3), report
    assert (root / "Dockerfile").read_text() == dockerfile.format(
        base=f"{name}:v1@{v1.digest}", name=name, pin2=f"@{v2.digest}", copy=f"{name}:v2@{v2.digest}")


# --- mirrors ------------------------------------------------------------------------------------------------


def test_lookups_go_through_the_mirror_and_the_reference_keeps_its_own_name(
    tmp_path: Path, registry: RunningRegistry, proxy: FaultProxy, repo: str
) -> None:
    hub = registry.pusher.image(f"{repo}-hub", "1.27", content="hub")
    private = registry.pusher.image(repo, "v1", content="private")
    extra = (f'  mirrors:\n    registry.example.com: "{proxy.address}"\n    docker.io: "{proxy.address}"\n')
    text = f'registries:\n  insecure: ["{proxy.address}"]\n' + extra
    root = gitops(tmp_path, {"pod.yaml": pod(f"registry.example.com/{repo}:v1", f"{repo}-hub:1.27")}, text)

    code, report = fix(root)

    assert code == 0, report
    assert (root / "pod.yaml").read_text() == pod(f"registry.example.com/{repo}:v1@{private.digest}",
                                                  f"{repo}-hub:1.27@{hub.digest}")
    assert proxy.count(f"/v2/{repo}/manifests/v1") >= 1  # looked up at the mirror
    assert proxy.count(f"/v2/{repo}-hub/manifests/1.27") >= 1


# --- the JSON fix field -------------------------------------------------------------------------------------


def test_json_fix_of_a_plain_lint_run_is_exactly_what_fix_writes(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    name = f"{host}/{repo}"
    registry.pusher.image(repo, "v1", content="v1")
    registry.pusher.image(repo, "latest", content="latest")
    registry.pusher.multiarch(repo, "multi")
    files: dict[str, str | bytes] = {
        "k8s/pod.yaml": pod(f"{name}:v1", f'"{name}"', f"'{name}:multi'", f"{name}@git:HEAD"),
        "kustomize/kustomization.yaml": f"images:\n  - name: web\n    newName: {name}\n    newTag: v1\n",
        "chart/Chart.yaml": CHART,
        "chart/values.yaml": f"image:\n  registry: {host}\n  repository: {repo}\n  tag: v1\n",
        "Dockerfile": f"ARG BASE={name}:v1\nFROM ${{BASE}}\nFROM {name}\n",
        "compose.yaml": f"services:\n  web:\n    image: {name}:multi\n",
    }
    repo_ = Repo.init(tmp_path / "gitops")
    head = repo_.commit("initial import", {".pinlint.yaml": policy(host), **files})
    registry.pusher.image(repo, f"git-{head}", content="head")
    root = repo_.path
    before = snapshot(root)

    code, planned = lint(root)

    assert code == 1 and snapshot(root) == before  # a lint run writes nothing
    fixes = {(f["path"], f["line"], f["column"]): f["fix"] for f in planned["findings"]}
    assert {f["rule"] for f in planned["findings"]} == {"PIN001", "PIN002"}
    assert all(fixes.values()), planned["findings"]
    expected = [(r["path"], fixes.get((r["path"], r["line"], r["column"]), r["ref"])) for r in planned["refs"]]

    code, report = fix(root)

    assert (code, report["summary"]["fixed"]) == (0, len(fixes)), report
    code, after = lint(root)
    assert code == 0, after
    assert [(r["path"], r["ref"]) for r in after["refs"]] == expected
    assert f"{name}:git-{head}@" in json.dumps(expected)


# --- placeholders -------------------------------------------------------------------------------------------


class History:
    """A monorepo whose image ``mapped`` is built from ``apps/web/``:

    A initial import; B changes apps/web (the build commit of everything
    after it); C changes docs (branch ``release``, tag ``v1.0``, annotated
    tag ``v1.1``); D adds the deploy file (HEAD, main)."""

    def __init__(self, tmp_path: Path, registry: RunningRegistry, repo: str, deploy: str, extra_policy: str = "",
                 *, pinned: bool = False):
        self.host, self.pusher = registry.address, registry.pusher
        self.mapped, self.plain, self.short = f"{repo}-mapped", f"{repo}-plain", f"{repo}-short"
        text = policy(self.host, "images:\n"
                                 f'  - repository: "{self.host}/{self.mapped}"\n'
                                 '    source: ["apps/web/"]\n'
                                 f'  - repository: "{self.host}/{self.short}"\n'
                                 '    tag-template: "sha-{short}"\n' + extra_policy)
        self.repo = Repo.init(tmp_path / "gitops")
        self.a = self.repo.commit("initial import", {".pinlint.yaml": text, **SOURCE})
        self.b = self.repo.commit("web: say hello again", {"apps/web/main.py": "print('hello again')\n"})
        self.c = self.repo.commit("docs: explain", {"docs/README.md": "# monorepo, explained\n"})
        self.repo.git("branch", "release", self.c)
        self.repo.git("tag", "v1.0", self.c)
        self.repo.git("tag", "-a", "v1.1", "-m", "release 1.1", self.c)
        if pinned:  # ``{h.pinned}``: a fresh build of B, tagged ``git-<B>`` and ``stable``
            fresh = self.build(self.mapped, self.b)
            self.pusher.manifest(self.mapped, "stable", fresh.body, fresh.media_type)
            self.pinned = fresh.digest
        self.d = self.repo.commit("deploy: web", {"k8s/web.yaml": deploy.format(h=self)})

    @property
    def c10(self) -> str:
        return self.c[:10]

    @property
    def root(self) -> Path:
        return self.repo.path

    def build(self, image: str, sha: str, tag: str | None = None) -> Pushed:
        """CI building ``image`` at ``sha``, tagged ``git-<sha>`` with the revision label."""
        return self.pusher.image(image, tag or f"git-{sha}", content=f"{image} {sha} {tag}",
                                 labels={REVISION: sha}, annotations={REVISION: sha})


PLACEHOLDERS = pod(*(f"{{h.host}}/{{h.{image}}}@git:{rev}"
                     for image in ("mapped", "plain")
                     for rev in ("HEAD", "release", "v1.0", "v1.1", "{h.c}", "{h.c10}")),
                   "{h.host}/{h.short}@git:release")


def test_placeholders_resolve_head_branches_tags_and_commits(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    h = History(tmp_path, registry, repo, PLACEHOLDERS)
    built = {
        "mapped": h.build(h.mapped, h.b),  # the newest commit at or before REV that changed apps/web
        "plain-head": h.build(h.plain, h.d),  # no mapping: REV itself
        "plain-c": h.build(h.plain, h.c),
        "short": h.build(h.short, h.c, tag=f"sha-{h.c[:7]}"),
    }

    code, report = fix(h.root)

    assert (code, report["findings"], report["summary"]["fixed"]) == (0, [], 13)
    mapped = f"{h.host}/{h.mapped}:git-{h.b}@{built['mapped'].digest}"
    expected = pod(
        *[mapped] * 6,
        f"{h.host}/{h.plain}:git-{h.d}@{built['plain-head'].digest}",
        *[f"{h.host}/{h.plain}:git-{h.c}@{built['plain-c'].digest}"] * 5,
        f"{h.host}/{h.short}:sha-{h.c[:7]}@{built['short'].digest}",
    )
    assert (h.root / "k8s/web.yaml").read_text() == expected
    code, again = lint(h.root)
    assert code == 0, again  # the resolved pins pass the evidence and race checks


def test_an_unpublished_placeholder_stays_and_names_the_commit(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    h = History(tmp_path, registry, repo, pod("{h.host}/{h.mapped}@git:HEAD", "{h.host}/{h.plain}@git:release"))
    before = (h.root / "k8s/web.yaml").read_bytes()

    code, report = fix(h.root)

    assert (code, rules(report)) == (1, [("PIN002", "k8s/web.yaml", 8), ("PIN002", "k8s/web.yaml", 10)])
    assert (h.root / "k8s/web.yaml").read_bytes() == before
    mapped, plain = messages(report, "PIN002")
    assert f"commit {h.b[:12]} is not published" in mapped and f"{h.mapped}:git-{h.b} not found" in mapped
    assert f"commit {h.c[:12]} is not published" in plain and f"{h.plain}:git-{h.c} not found" in plain
    assert "build and push it" in mapped
    assert report["summary"]["fixed"] == 0


def test_a_placeholder_naming_no_commit_stays_and_says_so(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    h = History(tmp_path, registry, repo, pod("{h.host}/{h.plain}@git:no-such-branch"))

    code, report = fix(h.root)

    assert (code, rules(report)) == (1, [("PIN002", "k8s/web.yaml", 8)])
    assert "'no-such-branch' names no commit" in messages(report, "PIN002")[0]


# --- the race guard -----------------------------------------------------------------------------------------


def test_race_guard_refuses_stale_pins_and_still_fixes_the_rest_of_the_file(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    deploy = pod("{h.host}/{h.mapped}:git-{h.a}", "{h.host}/{h.mapped}@git:{h.a}", "{h.host}/{h.plain}:v1",
                 "{h.host}/{h.mapped}@git:HEAD")
    h = History(tmp_path, registry, repo, deploy)
    stale = h.build(h.mapped, h.a)  # built before B changed apps/web
    fresh = h.build(h.mapped, h.b)
    other = h.pusher.image(h.plain, "v1", content="other")

    code, report = fix(h.root)

    assert code == 1
    assert rules(report) == [("PIN001", "k8s/web.yaml", 8), ("PIN002", "k8s/web.yaml", 10)]
    assert (h.root / "k8s/web.yaml").read_text() == pod(
        f"{h.host}/{h.mapped}:git-{h.a}", f"{h.host}/{h.mapped}@git:{h.a}",
        f"{h.host}/{h.plain}:v1@{other.digest}", f"{h.host}/{h.mapped}:git-{h.b}@{fresh.digest}")
    assert report["summary"]["fixed"] == 2
    for text in messages(report, "PIN001") + messages(report, "PIN002"):
        assert "refused (race guard)" in text and stale.digest in text, text
        assert "apps/web" in text and h.b[:7] in text and "web: say hello again" in text, text
        assert h.c[:7] not in text and "docs: explain" not in text, text  # not a source change


def test_race_guard_lets_a_build_through_when_only_other_paths_changed(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    h = History(tmp_path, registry, repo, pod("{h.host}/{h.mapped}:git-{h.b}", "{h.host}/{h.mapped}@git:{h.b}"))
    img = h.build(h.mapped, h.b)  # C and D touched docs and k8s only

    code, report = fix(h.root)

    assert code == 0, report
    pinned = f"{h.host}/{h.mapped}:git-{h.b}@{img.digest}"
    assert (h.root / "k8s/web.yaml").read_text() == pod(pinned, pinned)


# --- refresh ------------------------------------------------------------------------------------------------


def test_refresh_repins_moved_tags_and_platform_pins_and_plain_fix_does_not(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    name = f"{host}/{repo}"
    old = registry.pusher.image(repo, "v1", content="old")
    new = registry.pusher.image(repo, "v1", content="new")  # the tag moved
    index, platforms = registry.pusher.multiarch(repo, "2.0")
    arm = platforms["linux/arm64/v8"].digest
    before = pod(f"{name}:v1@{old.digest}", f"{name}:2.0@{arm}", f"{name}:v1")
    root = gitops(tmp_path, {"pod.yaml": before}, policy(host))

    code, report = fix(root)

    assert code == 1
    assert rules(report) == [("PIN011", "pod.yaml", 8), ("PIN013", "pod.yaml", 10)]
    assert (root / "pod.yaml").read_text() == pod(f"{name}:v1@{old.digest}", f"{name}:2.0@{arm}",
                                                  f"{name}:v1@{new.digest}")
    planned = [f["fix"] for f in report["findings"]]
    assert planned == [f"{name}:v1@{new.digest}", f"{name}:2.0@{index.digest}"]

    code, report = fix(root, "--refresh")

    assert (code, report["findings"], report["summary"]["fixed"]) == (0, [], 2)
    assert (root / "pod.yaml").read_text() == pod(*planned, f"{name}:v1@{new.digest}")


def test_refresh_replaces_the_digest_field_of_kustomize_and_helm(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    old = registry.pusher.image(repo, "v1", content="old")
    new = registry.pusher.image(repo, "v1", content="new")
    kustomization = "images:\n  - name: web\n    newName: {h}/{r}\n    newTag: v1\n    digest: {d}   # pinned\n"
    values = "image:\n  registry: {h}\n  repository: {r}\n  tag: v1\n  digest: \"{d}\"\n"
    root = gitops(tmp_path, {"kustomization.yaml": kustomization.format(h=host, r=repo, d=old.digest),
                             "chart/Chart.yaml": CHART,
                             "chart/values.yaml": values.format(h=host, r=repo, d=old.digest)}, policy(host))

    code, report = fix(root, "--refresh")

    assert (code, report["findings"], report["summary"]["fixed"]) == (0, [], 2)
    assert (root / "kustomization.yaml").read_text() == kustomization.format(h=host, r=repo, d=new.digest)
    assert (root / "chart/values.yaml").read_text() == values.format(h=host, r=repo, d=new.digest)


def test_race_guard_refuses_a_refresh_to_a_stale_build(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    h = History(tmp_path, registry, repo, pod("{h.host}/{h.mapped}:stable@{h.pinned}"), pinned=True)
    before = (h.root / "k8s/web.yaml").read_text()
    stale = h.build(h.mapped, h.a, tag="stable")  # `stable` moved back to a build of A (a rollback)

    code, report = fix(h.root, "--refresh")

    assert (code, rules(report)) == (1, [("PIN011", "k8s/web.yaml", 8)])
    [text] = messages(report, "PIN011")
    assert "refused (race guard)" in text and stale.digest in text and "web: say hello again" in text, text
    assert (h.root / "k8s/web.yaml").read_text() == before


def test_markdown_after_fix_refresh_lists_each_reference_with_old_and_new_digest(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    name = f"{host}/{repo}"
    old = registry.pusher.image(repo, "v1", content="old")
    new = registry.pusher.image(repo, "v1", content="new")
    fresh = registry.pusher.image(repo, "v2", content="v2")
    index, platforms = registry.pusher.multiarch(repo, "2.0")
    arm = platforms["linux/arm64/v8"].digest
    root = gitops(tmp_path, {"k8s/pod.yaml": pod(f"{name}:v1@{old.digest}", f"{name}:2.0@{arm}", f"{name}:v2")},
                  policy(host))

    proc = run(root, "--fix", "--refresh", "--no-progress", "--format", "markdown", "--output", "body.md")

    assert proc.returncode == 0, proc.stderr
    body = (root / "body.md").read_text()
    assert "Fixed 3 references" in body, body

    def short(digest: str) -> str:
        return f"`{digest[:19]}\u2026`"

    rows = [line for line in body.splitlines() if line.startswith("| `k8s/pod.yaml:")]
    assert sorted(rows, key=lambda row: int(row.split("`")[1].rpartition(":")[2])) == [
        f"| `k8s/pod.yaml:8` | `{name}:v1` | {short(old.digest)} | {short(new.digest)} | `PIN011` |",
        f"| `k8s/pod.yaml:10` | `{name}:2.0` | {short(arm)} | {short(index.digest)} | `PIN013` |",
        f"| `k8s/pod.yaml:12` | `{name}:v2` | \u2014 | {short(fresh.digest)} | `PIN001` |",
    ], body


def test_markdown_lists_what_was_refused_and_why(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    h = History(tmp_path, registry, repo, pod("{h.host}/{h.mapped}@git:{h.a}"))
    h.build(h.mapped, h.a)

    proc = run(h.root, "--fix", "--refresh", "--no-progress", "--format", "markdown")

    assert proc.returncode == 1
    [row] = [line for line in proc.stdout.splitlines() if line.startswith("| `PIN002`")]
    assert "race guard" in row and h.b[:7] in row, proc.stdout


# --- --diff, file modes, symlinks, concurrent edits ----------------------------------------------------------


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    host = registry.address
    img = registry.pusher.image(repo, "v1")
    name = f"{host}/{repo}"
    files = {"k8s/pod.yaml": pod(f"{name}:v1"), "compose.yaml": f"services:\n  a:\n    image: {name}:v1\n"}
    root = gitops(tmp_path, files, policy(host))
    before = snapshot(root)
    mtimes = {p: os.stat(root / p).st_mtime_ns for p in before}

    proc = run(root, "--fix", "--diff", "--no-progress")

    assert proc.returncode == 0, proc.stderr
    assert snapshot(root) == before and {p: os.stat(root / p).st_mtime_ns for p in before} == mtimes
    assert sorted(p.name for p in root.rglob("*.tmp")) == []
    assert proc.stdout == (
        "--- a/compose.yaml\n+++ b/compose.yaml\n@@ -1,3 +1,3 @@\n services:\n   a:\n"
        f"-    image: {name}:v1\n+    image: {name}:v1@{img.digest}\n"
        "--- a/k8s/pod.yaml\n+++ b/k8s/pod.yaml\n@@ -5,4 +5,4 @@\n spec:\n   containers:\n     - name: c0\n"
        f"-      image: {name}:v1\n+      image: {name}:v1@{img.digest}\n"
    )
    patched = subprocess.run(["git", "apply", "--check", "-p1", "-"], cwd=root, input=proc.stdout, text=True,
                             capture_output=True, check=False)
    assert patched.returncode == 0, patched.stderr  # a patch git can apply

    proc = run(root, "--fix", "--diff", "--no-progress", "--format", "json", "--output", "report.json")

    assert proc.stdout.startswith("--- a/compose.yaml\n")
    report = json.loads((root / "report.json").read_text())
    assert report["summary"]["fixed"] == 2 and report["findings"] == []
    assert snapshot(root) == {**before, "report.json": (root / "report.json").read_bytes()}


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_file_mode_is_kept(tmp_path: Path, registry: RunningRegistry, repo: str, mode: int) -> None:
    host = registry.address
    registry.pusher.image(repo, "v1")
    root = gitops(tmp_path, {"pod.yaml": pod(f"{host}/{repo}:v1")}, policy(host))
    os.chmod(root / "pod.yaml", mode)

    code, report = fix(root)

    assert (code, report["summary"]["fixed"]) == (0, 1)
    assert stat.S_IMODE(os.stat(root / "pod.yaml").st_mode) == mode


def test_a_symlink_out_of_the_repository_is_not_written_through(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    registry.pusher.image(repo, "v1")
    outside = tmp_path / "outside"
    (outside / "k8s").mkdir(parents=True)
    text = pod(f"{host}/{repo}:v1")
    (outside / "pod.yaml").write_text(text)
    (outside / "k8s" / "pod.yaml").write_text(text)
    root = gitops(tmp_path, {"inside.yaml": text}, policy(host))
    (root / "linked.yaml").symlink_to(outside / "pod.yaml")
    (root / "linked-dir").symlink_to(outside / "k8s", target_is_directory=True)

    code, report = fix(root)

    assert code == 0  # PIN901 is a warning
    assert sorted(rules(report)) == [("PIN901", "linked-dir", 1), ("PIN901", "linked.yaml", 1)], report
    assert (outside / "pod.yaml").read_text() == text and (outside / "k8s" / "pod.yaml").read_text() == text
    assert (root / "linked.yaml").is_symlink() and (root / "linked-dir").is_symlink()
    assert report["summary"]["fixed"] == 1  # inside.yaml

    code, report = fix(root, "linked.yaml", "linked-dir/pod.yaml")  # named as pre-commit would

    assert (outside / "pod.yaml").read_text() == text and (outside / "k8s" / "pod.yaml").read_text() == text
    assert sorted(rules(report)) == [("PIN901", "linked-dir/pod.yaml", 1), ("PIN901", "linked.yaml", 1)], report
    assert report["summary"]["fixed"] == 0


def _scan(root: Path) -> tuple[Any, Any, Any]:
    """A lint run of ``root`` in this process: its findings, scanned files and scan settings."""
    from pinlint import engine
    from pinlint.scan import ScanSettings
    from pinlint.yamldoc import Limits

    result = engine.run(engine.Options(paths=(str(root),), jobs=1, digests=True))  # as --fix scans
    lim = result.config.limits
    settings = ScanSettings(tuple(engine.compile_locators(result.config)), Limits(lim.max_depth, lim.max_alias_nodes),
                            lim.max_file_size)
    return result.report.findings, result.scanned, settings


def test_a_file_changed_between_scan_and_write_is_left_alone(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    from pinlint import fixer
    from pinlint.formats import kubernetes_keywords

    host = registry.address
    img = registry.pusher.image(repo, "v1")
    name = f"{host}/{repo}"
    root = gitops(tmp_path, {"a.yaml": pod(f"{name}:v1"), "b.yaml": pod(f"{name}:v1")}, policy(host))
    findings, scanned, settings = _scan(root)
    assert {f.path for f in findings if f.fix} == {"a.yaml", "b.yaml"}
    edited = pod(f"{name}:v1") + "# a teammate's edit, saved while pinlint ran\n"
    (root / "b.yaml").write_text(edited)

    result = fixer.apply(findings, scanned, str(root), settings, kubernetes_keywords(settings.locators))

    assert (root / "a.yaml").read_text() == pod(f"{name}:v1@{img.digest}")
    assert (root / "b.yaml").read_text() == edited
    assert [(c.path, c.new) for c in result.changes] == [("a.yaml", f"{name}:v1@{img.digest}")]
    [left] = result.findings
    assert left.path == "b.yaml" and "not fixed: the file changed after it was scanned" in left.message


def test_a_file_replaced_by_a_symlink_out_of_the_repository_after_the_scan_is_not_written_through(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    from pinlint import fixer
    from pinlint.formats import kubernetes_keywords

    host = registry.address
    registry.pusher.image(repo, "v1")
    text = pod(f"{host}/{repo}:v1")
    root = gitops(tmp_path, {"pod.yaml": text}, policy(host))
    findings, scanned, settings = _scan(root)
    outside = tmp_path / "outside.yaml"
    outside.write_text(text)  # the same bytes, so the hash still matches
    (root / "pod.yaml").unlink()
    (root / "pod.yaml").symlink_to(outside)

    result = fixer.apply(findings, scanned, str(root), settings, kubernetes_keywords(settings.locators))

    assert outside.read_text() == text and (root / "pod.yaml").is_symlink()
    assert result.changes == ()
    [left] = result.findings
    assert "not fixed" in left.message and "outside" in left.message, left.message


def test_a_second_fix_changes_nothing(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    host = registry.address
    name = f"{host}/{repo}"
    registry.pusher.image(repo, "v1", content="v1")
    registry.pusher.image(repo, "latest", content="latest")
    registry.pusher.multiarch(repo, "multi")
    files: dict[str, str | bytes] = {
        "k8s/pod.yaml": pod(f"{name}:v1", f'"{name}"', f"'{name}:multi'"),
        "crlf.yaml": pod(f"{name}:v1").replace("\n", "\r\n").encode(),
        "kustomize/kustomization.yaml": f"images:\n  - name: web\n    newName: {name}\n    newTag: v1\n",
        "chart/Chart.yaml": CHART,
        "chart/values.yaml": (f"a:\n  image:\n    registry: {host}\n    repository: {repo}\n    tag: v1\n"
                              f"b:\n  image:\n    registry: {host}\n    repository: {repo}\n    tag: v1\n"
                              "    digest: ''\n"),
        "Dockerfile": f"ARG BASE={name}:v1\nFROM ${{BASE}}\nFROM {name}\n",
    }
    root = gitops(tmp_path, files, policy(host))

    code, first = fix(root, "--refresh")
    assert (code, first["findings"], first["summary"]["fixed"]) == (0, [], 9)
    once = snapshot(root)

    code, second = fix(root, "--refresh")

    assert (code, second["findings"], second["summary"]["fixed"]) == (0, [], 0)
    assert snapshot(root) == once
    assert run(root, "--fix", "--diff", "--no-progress").stdout == ""


# --- usage errors and a registry that is down ---------------------------------------------------------------


@pytest.mark.parametrize("args, why", [
    (["--fix", "--offline"], "--fix needs the registry"),
    (["--diff"], "--diff needs --fix"),
    (["--refresh"], "--refresh needs --fix"),
])
def test_usage_errors_exit_2_and_write_nothing(tmp_path: Path, args: list[str], why: str) -> None:
    root = gitops(tmp_path, {"pod.yaml": pod("nginx:1.27")}, "")
    before = snapshot(root)

    proc = run(root, *args)

    assert proc.returncode == 2 and why in proc.stderr, proc.stderr
    assert snapshot(root) == before


def test_registry_down_is_exit_3_and_the_reference_is_left_as_it_is(
    tmp_path: Path, registry: RunningRegistry, proxy: FaultProxy, repo: str
) -> None:
    img = registry.pusher.image(repo, "v1")
    down = f"{proxy.address}/{repo}:v1"
    up = f"{registry.address}/{repo}:v1"
    text = f'registries:\n  insecure: ["{proxy.address}", "{registry.address}"]\n'
    root = gitops(tmp_path, {"down.yaml": pod(down), "up.yaml": pod(up)}, text)
    proxy.add(Rule("status", status=500))

    code, report = fix(root)

    assert code == 3, report
    assert sorted({f["rule"] for f in report["findings"]}) == ["PIN001", "PIN019"]
    assert {f["path"] for f in report["findings"]} == {"down.yaml"}
    assert proxy.address in " ".join(messages(report, "PIN019"))
    assert (root / "down.yaml").read_text() == pod(down)
    assert (root / "up.yaml").read_text() == pod(f"{up}@{img.digest}")  # the healthy registry's fix is made


def test_registry_refusing_connections_is_exit_3_within_seconds(tmp_path: Path) -> None:
    from server import free_port

    dead = f"127.0.0.1:{free_port()}"
    root = gitops(tmp_path, {"pod.yaml": pod(f"{dead}/acme/web:v1")}, policy(dead))

    code, report = fix(root)

    assert code == 3, report
    assert (root / "pod.yaml").read_text() == pod(f"{dead}/acme/web:v1")


# --- done when: examples/ against a registry holding its images ------------------------------------------

# What `pinlint --fix` cannot fix in examples/, and why.
UNFIXABLE = {
    # not a reference at all (uppercase repository): nothing to look up
    ("PIN003", "k8s/web.yaml", "ghcr.io/Acme/tools:1.0"): "must be lowercase",
}
# Not judged, so never fixed: templated values and a suppressed finding.
NOT_JUDGED = {"${{ matrix.image }}", "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA", "$(params.registry-image)",
              "vendor/uploader:3"}


def _examples_repo(tmp_path: Path, registry: RunningRegistry) -> tuple[Repo, list[dict[str, Any]]]:
    """examples/ in a fresh repository whose policy sends every registry it names
    to the local registry, which holds an image for every repo:tag it references."""
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root, symlinks=True)
    repo = Repo.init(root)
    proc = run(root, "refs", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    refs = json.loads(proc.stdout)["refs"]
    named = [r for r in refs if r["normalized"]]
    hosts = sorted({r["normalized"].split("/", 1)[0] for r in named})
    assert {"docker.io", "ghcr.io", "gcr.io", "mcr.microsoft.com", "registry.example.com"} <= set(hosts)
    mirrors = "".join(f'    {h}: "{registry.address}"\n' for h in hosts)
    head = repo.commit("examples", {".pinlint.yaml": policy(registry.address, "  mirrors:\n" + mirrors),
                                    **{p.relative_to(root).as_posix(): p.read_bytes()
                                       for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}})
    owner: dict[str, str] = {}
    for r in named:
        name = r["normalized"].split("@", 1)[0]
        registry_host, path = name.split("/", 1)
        last = path.rsplit("/", 1)[-1]
        repository, tag = (path.rsplit(":", 1) if ":" in last else (path, "latest"))
        if "@git:" in r["ref"]:
            tag = f"git-{head}"  # the placeholder's image, as CI would have pushed it for HEAD
        assert owner.setdefault(repository, registry_host) == registry_host  # one mirror, no collisions
        registry.pusher.image(repository, tag, content=f"{registry_host}/{repository}:{tag}")
    return repo, refs


def _keyed(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["rule"], f["path"], f["ref"]) for f in report["findings"]}


def test_fix_on_the_examples_leaves_only_what_cannot_be_fixed_and_a_second_run_changes_nothing(
    tmp_path: Path, registry: RunningRegistry
) -> None:
    repo, refs = _examples_repo(tmp_path, registry)
    root = repo.path
    code, planned = lint(root)
    assert code == 1
    fixable = {k for k in _keyed(planned) if k[0] in ("PIN001", "PIN002")} - set(UNFIXABLE)
    # the illustrative digests of the good examples are in no registry (PIN010), and the tag we pushed
    # names another digest (PIN011, re-pinned only with --refresh)
    illustrative = {(rule, r["path"], r["ref"]) for r in refs if r["pinned"] for rule in ("PIN010", "PIN011")}
    # 21 mutable references and placeholders (the Helm map whose empty tag is the chart's appVersion among them:
    # the fix writes `tag: "1.4.2@sha256:…"`), 18 pins
    assert ("PIN001", "helm/app/values.yaml", "ghcr.io/acme/worker:1.4.2") in fixable
    assert (len(fixable), len(illustrative)) == (21, 2 * 18)

    code, report = fix(root)

    assert code == 1
    assert _keyed(report) == set(UNFIXABLE) | illustrative
    for key, why in UNFIXABLE.items():
        [text] = [f["message"] for f in report["findings"] if (f["rule"], f["path"], f["ref"]) == key]
        assert why in text, text
    assert report["summary"]["fixed"] == len(fixable)
    after = {(r["path"], r["ref"]) for r in lint(root)[1]["refs"]}
    assert {text for _, text in after} >= NOT_JUDGED
    left = sorted(text for _, text in after if "@sha256:" not in text and text not in NOT_JUDGED)
    assert left == ["ghcr.io/Acme/tools:1.0"]
    assert b'tag: "1.4.2@sha256:' in (root / "helm/app/values.yaml").read_bytes()
    once = snapshot(root)

    code, again = fix(root)

    assert (code, _keyed(again), again["summary"]["fixed"]) == (1, _keyed(report), 0)
    assert snapshot(root) == once

    code, refreshed = fix(root, "--refresh")

    assert code == 1
    assert refreshed["summary"]["fixed"] == len(illustrative) // 2
    # PIN010 about the replaced digests lingers in this report:
    # see test_refresh_leaves_no_finding_about_the_digest_it_replaced
    assert {k for k in _keyed(refreshed) if k[0] != "PIN010"} == set(UNFIXABLE)
    assert _keyed(lint(root)[1]) == set(UNFIXABLE)
    once = snapshot(root)

    code, again = fix(root, "--refresh")

    assert (code, _keyed(again), again["summary"]["fixed"]) == (1, set(UNFIXABLE), 0)
    assert snapshot(root) == once
    changed = set(repo.git("diff", "--name-only").splitlines())
    assert changed == {path for _, path, _ in fixable | illustrative}
    assert repo.git("status", "--porcelain", "--untracked-files=all", "--", ".").count("??") == 0


# --- reported bugs ------------------------------------------------------------------------------------------


def test_refresh_leaves_no_finding_about_the_digest_it_replaced(
    tmp_path: Path, registry: RunningRegistry, repo: str
) -> None:
    host = registry.address
    new = registry.pusher.image(repo, "v1")
    gone = "sha256:" + "ab" * 32  # a pin the registry never had: PIN010, and PIN011 (the tag names another)
    root = gitops(tmp_path, {"pod.yaml": pod(f"{host}/{repo}:v1@{gone}")}, policy(host))
    assert sorted({f["rule"] for f in lint(root)[1]["findings"]}) == ["PIN010", "PIN011"]

    code, report = fix(root, "--refresh")

    assert (root / "pod.yaml").read_text() == pod(f"{host}/{repo}:v1@{new.digest}")  # holds today
    assert (code, report["findings"]) == (0, [])  # fails today: PIN010 about `gone`, exit 1


def test_an_empty_kustomize_digest_is_filled(tmp_path: Path, registry: RunningRegistry, repo: str) -> None:
    host = registry.address
    img = registry.pusher.image(repo, "v1")
    entry = "images:\n  - name: web\n    newName: {h}/{r}\n    newTag: v1\n    digest: {d}\n"
    root = gitops(tmp_path, {"kustomization.yaml": entry.format(h=host, r=repo, d='""')}, policy(host))

    code, report = fix(root)

    assert (code, report["findings"]) == (0, []), report  # fails today: PIN003 'web:v1@' is not a reference
    assert (root / "kustomization.yaml").read_text() in (entry.format(h=host, r=repo, d=img.digest),
                                                         entry.format(h=host, r=repo, d=f'"{img.digest}"'))
