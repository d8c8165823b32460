"""The real pre-commit framework runs pinlint's hooks (README "pre-commit").

``pre-commit try-repo`` clones the hook repository, builds a virtualenv,
pip-installs pinlint from it (from PyPI for its dependencies: this needs the
network once, and takes a while) and runs the hook on the files it is given,
in a temporary git repository, exactly as a user's ``git commit`` would.

The hook repository is a snapshot of this checkout as ``try-repo`` itself
would see it (HEAD plus uncommitted changes to tracked files), committed once
so that the module's runs share one installed environment in one
``PRE_COMMIT_HOME``.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[1]
DIGEST = "sha256:" + "0123456789abcdef" * 4  # well-formed, and in no registry: only an offline hook passes it
INSTALL_TIMEOUT = 900

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: {ref}
"""


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=pinlint tests", "-c", "user.email=tests@pinlint.invalid",
         "-c", "commit.gpgsign=false", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's tracked files, as they are on disk, in a fresh one-commit repository."""
    snapshot = tmp_path_factory.mktemp("hook-repo")
    tracked = git("ls-files", "-z", cwd=CHECKOUT).split("\0")
    for rel in filter(None, tracked):
        src = CHECKOUT / rel
        if not src.is_file():  # deleted in the working tree, or a submodule
            continue
        dst = snapshot / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    git("init", "-q", ".", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot of the checkout under test", cwd=snapshot)
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def env_for(home: Path, offline: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PRE_COMMIT")}
    env["PRE_COMMIT_HOME"] = str(home)
    env["PRE_COMMIT_COLOR"] = "never"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if offline:
        # Once the environment is installed, the hook itself must need no network:
        # every proxy points at a closed port and pip may not reach an index.
        dead = "http://127.0.0.1:9"
        for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            env[key] = dead
        env.pop("NO_PROXY", None)
        env.pop("no_proxy", None)
        env["PIP_NO_INDEX"] = "1"
    return env


def try_repo(hook_repo: Path, home: Path, cwd: Path, *files: str) -> subprocess.CompletedProcess:
    # try-repo installs into a store of its own, once per invocation.
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "pinlint", "--verbose", "--files", *files],
        cwd=cwd, env=env_for(home), capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
    )


def pre_commit(home: Path, cwd: Path, *args: str, offline: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd, env=env_for(home, offline), capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
    )


REMOTE_URL = "https://git.example.com/tools/pinlint.git"
REMOTE_REV = "0123456789abcdef0123456789abcdef01234567"


def readme_configs() -> tuple[str, str]:
    """The README's two ``.pre-commit-config.yaml`` blocks: pinlint's repository by URL, and a local hook."""
    text = (CHECKOUT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## pre-commit\n"):]
    section = section[: section.index("\n## ", 1)]
    remote, local = re.findall(r"^```yaml\n(# \.pre-commit-config\.yaml\n.*?)^```\n", section, re.DOTALL | re.MULTILINE)
    assert f"repo: {REMOTE_URL}" in remote and f"rev: {REMOTE_REV}" in remote
    assert "repo: local" in local
    return remote, local


@pytest.fixture
def gitops(tmp_path: Path) -> Path:
    repo = tmp_path / "gitops"
    repo.mkdir()
    git("init", "-q", ".", cwd=repo)
    return repo


@pytest.mark.slow  # runs the real pre-commit framework
def test_hook_fails_on_a_mutable_tag_and_passes_once_pinned(hook_repo: Path, pre_commit_home: Path,
                                                          gitops: Path) -> None:
    (gitops / "k8s").mkdir()
    manifest = gitops / "k8s" / "web.yaml"
    dockerfile = gitops / "Dockerfile"
    manifest.write_text(POD.format(ref="nginx:1.27"))
    dockerfile.write_text("FROM python:3.12-slim\nRUN true\n")
    (gitops / "README.md").write_text("image: not-a-manifest:latest\n")  # not a type the hook takes
    git("add", "-A", cwd=gitops)

    failed = try_repo(hook_repo, pre_commit_home, gitops, "k8s/web.yaml", "Dockerfile", "README.md")
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1, out
    assert "Failed" in out, out
    assert "PIN001" in out, out
    assert "k8s/web.yaml" in out and "nginx:1.27" in out, out
    assert "Dockerfile" in out and "python:3.12-slim" in out, out
    assert "not-a-manifest" not in out, out  # README.md is not passed to the hook
    assert "Traceback" not in out, out

    manifest.write_text(POD.format(ref=f"nginx:1.27@{DIGEST}"))
    dockerfile.write_text(f"FROM python:3.12-slim@{DIGEST}\nRUN true\n")
    git("add", "-A", cwd=gitops)

    passed = try_repo(hook_repo, pre_commit_home, gitops, "k8s/web.yaml", "Dockerfile")
    out = passed.stdout + passed.stderr
    assert passed.returncode == 0, out
    assert "Passed" in out, out
    assert "PIN001" not in out and "mutable-tag" not in out, out
    # Had the registry been consulted, the made-up digest would fail (PIN010 or PIN019).
    assert "PIN010 " not in out and "PIN019 " not in out and "digest-not-found" not in out, out


@pytest.fixture(scope="module")
def installed(hook_repo: Path, pre_commit_home: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A user's ``.pre-commit-config.yaml`` naming the hook repository; its environment installed once."""
    rev = git("rev-parse", "HEAD", cwd=hook_repo).strip()
    remote, _ = readme_configs()
    config = remote.replace(REMOTE_URL, str(hook_repo)).replace(REMOTE_REV, rev)
    assert str(hook_repo) in config and rev in config and "id: pinlint " in config
    workdir = tmp_path_factory.mktemp("install")
    git("init", "-q", ".", cwd=workdir)
    (workdir / ".pre-commit-config.yaml").write_text(config)
    result = pre_commit(pre_commit_home, workdir, "install-hooks")
    assert result.returncode == 0, result.stdout + result.stderr
    return config


@pytest.fixture
def configured(gitops: Path, installed: str) -> Path:
    (gitops / ".pre-commit-config.yaml").write_text(installed)
    return gitops


@pytest.mark.slow  # runs the real pre-commit framework
def test_installed_hook_needs_no_network(configured: Path, pre_commit_home: Path) -> None:
    """With every proxy pointing at a closed port and no package index, the hook still judges."""
    (configured / "mutable.yaml").write_text(POD.format(ref="ghcr.io/acme/api:v2"))
    (configured / "pinned.yaml").write_text(POD.format(ref=f"ghcr.io/acme/api:v2@{DIGEST}"))
    git("add", "-A", cwd=configured)

    failed = pre_commit(pre_commit_home, configured, "run", "--verbose", "--files", "mutable.yaml", "pinned.yaml",
                        offline=True)
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1, out
    assert "PIN001" in out and "mutable.yaml" in out and "ghcr.io/acme/api:v2 " in out, out
    assert "\npinned.yaml\n" not in out, out  # the pinned file has no finding (no heading in the report)
    assert "verification-failed" not in out and "Traceback" not in out, out

    passed = pre_commit(pre_commit_home, configured, "run", "--verbose", "--files", "pinned.yaml", offline=True)
    out = passed.stdout + passed.stderr
    assert passed.returncode == 0, out
    assert "Passed" in out, out


@pytest.mark.slow  # runs the real pre-commit framework
def test_hook_reports_a_broken_file_and_still_judges_the_others(configured: Path, pre_commit_home: Path) -> None:
    (configured / "mutable.yaml").write_text(POD.format(ref="nginx:1.27"))
    (configured / "broken.yaml").write_text(POD.format(ref="nginx: 1.27"))
    git("add", "-A", cwd=configured)
    result = pre_commit(pre_commit_home, configured, "run", "--verbose", "--files", "mutable.yaml", "broken.yaml",
                        offline=True)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "PIN900" in out and "broken.yaml" in out, out
    assert "PIN001" in out and "mutable.yaml" in out, out
    assert "Traceback" not in out, out


@pytest.mark.slow  # runs the real pre-commit framework
def test_readme_local_hook_runs_as_written(gitops: Path, tmp_path: Path) -> None:
    """The README's ``repo: local`` block, unchanged, with pinlint installed where the commit is made."""
    _, local = readme_configs()
    (gitops / ".pre-commit-config.yaml").write_text(local)
    (gitops / "k8s").mkdir()
    (gitops / "k8s/web.yaml").write_text(POD.format(ref="nginx:1.27"))
    git("add", "-A", cwd=gitops)
    env = env_for(tmp_path / "home", offline=True)
    env["PATH"] = os.path.dirname(shutil.which("pinlint") or sys.executable) + os.pathsep + env["PATH"]
    assert shutil.which("pinlint", path=env["PATH"]), "pinlint must be installed for the local hook"

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=gitops, env=env,
                              capture_output=True, text=True, timeout=INSTALL_TIMEOUT)

    failed = run()
    assert failed.returncode == 1 and "PIN001" in failed.stdout and "k8s/web.yaml" in failed.stdout, failed.stdout
    (gitops / "k8s/web.yaml").write_text(POD.format(ref=f"nginx:1.27@{DIGEST}"))
    git("add", "-A", cwd=gitops)
    passed = run()
    assert passed.returncode == 0 and "Passed" in passed.stdout, passed.stdout + passed.stderr


def test_hooks_manifest_is_valid_for_pre_commit_and_has_every_id() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(CHECKOUT / ".pre-commit-hooks.yaml"))}
    assert {"pinlint", "pinlint-verify", "pinlint-fix"} <= set(hooks)
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["entry"].split()[0] == "pinlint"  # the console script of pyproject.toml
        assert {"yaml", "dockerfile"} <= set(hook["types_or"])
    assert "--offline" in hooks["pinlint"]["entry"].split()
    assert "--offline" not in hooks["pinlint-verify"]["entry"].split()
    assert "--fix" in hooks["pinlint-fix"]["entry"].split()
