"""The ``pinlint-fix`` hook under the real pre-commit framework, against the
real local registry (README "pre-commit").

pre-commit installs a hook repository from a commit: the hook repository is
the snapshot of this checkout that ``tests/test_precommit.py`` makes (its
tracked files as they are on disk, committed once in a temporary
repository), so the hook under test is the one in this working tree.  A
user's repository names it in ``.pre-commit-config.yaml`` at that commit;
``pre-commit run`` installs pinlint into its own virtualenv (pip: the
network once) and runs ``pinlint --fix --no-progress`` on the staged files
it selects.  The registry is the only server pinlint talks to, on 127.0.0.1.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from server import RunningRegistry, free_port

from tests.test_precommit import POD, git, hook_repo, pre_commit, pre_commit_home

__all__ = ["hook_repo", "pre_commit_home"]  # module fixtures, shared by the tests below

pytestmark = pytest.mark.slow  # the real pre-commit framework


def _config(hook_repo: Path) -> str:
    rev = git("rev-parse", "HEAD", cwd=hook_repo).strip()
    return f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: pinlint-fix\n"


def _gitops(tmp_path: Path, hook_repo: Path, registry_address: str, files: dict[str, str]) -> Path:
    repo = tmp_path / "gitops"
    repo.mkdir()
    git("init", "-q", ".", cwd=repo)
    files = {".pre-commit-config.yaml": _config(hook_repo),
             ".pinlint.yaml": f'registries:\n  insecure: ["{registry_address}"]\n', **files}
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git("add", "-A", cwd=repo)
    return repo


def _run(home: Path, repo: Path, *files: str) -> tuple[int, str]:
    result: subprocess.CompletedProcess[str] = pre_commit(home, repo, "run", "--verbose", "--files", *files)
    return result.returncode, result.stdout + result.stderr


def test_fix_hook_rewrites_a_mutable_tag_then_passes(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path, registry: RunningRegistry, repo: str
) -> None:
    img = registry.pusher.image(repo, "v1")
    name = f"{registry.address}/{repo}"
    gitops = _gitops(tmp_path, hook_repo, registry.address, {
        "k8s/web.yaml": POD.format(ref=f"{name}:v1"),
        "Dockerfile": f"FROM {name}:v1 AS base\nRUN true\n",
        "notes.md": f"image: {name}:v1\n",  # not a type the hook takes
    })

    code, out = _run(pre_commit_home, gitops, "k8s/web.yaml", "Dockerfile", "notes.md")

    assert code == 1, out  # pre-commit fails a hook that modified files, so the user re-adds them
    assert "pinlint (fix)" in out and "files were modified by this hook" in out, out
    assert "Traceback" not in out, out
    assert (gitops / "k8s/web.yaml").read_text() == POD.format(ref=f"{name}:v1@{img.digest}")
    assert (gitops / "Dockerfile").read_text() == f"FROM {name}:v1@{img.digest} AS base\nRUN true\n"
    assert (gitops / "notes.md").read_text() == f"image: {name}:v1\n"

    git("add", "-A", cwd=gitops)
    code, out = _run(pre_commit_home, gitops, "k8s/web.yaml", "Dockerfile")

    assert code == 0, out
    assert "Passed" in out and "files were modified" not in out, out


def test_fix_hook_fails_without_touching_the_file_when_the_registry_is_down(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    dead = f"127.0.0.1:{free_port()}"
    text = POD.format(ref=f"{dead}/acme/web:v1")
    gitops = _gitops(tmp_path, hook_repo, dead, {"k8s/web.yaml": text})

    code, out = _run(pre_commit_home, gitops, "k8s/web.yaml")

    assert code == 1, out
    assert "Failed" in out and "exit code: 3" in out, out
    assert "PIN019" in out and dead in out, out
    assert "files were modified" not in out and "Traceback" not in out, out
    assert (gitops / "k8s/web.yaml").read_text() == text
