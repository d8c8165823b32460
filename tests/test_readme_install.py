"""README "CI: installing pinlint": the install steps of the GitHub workflows and
of the Azure pipeline, run as written in bash in a fresh virtual environment,
install a pinlint that works.

pinlint's "GitHub repository" is a bare clone of a snapshot of this checkout;
git's ``url.<base>.insteadOf`` (in a private global git config) sends
``https://github.com/`` there, so the command runs unchanged and nothing but
the package index is contacted. The Azure step's ``$(NAME)`` macros are
expanded the way Azure Pipelines expands them before bash runs."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.test_precommit import git

CHECKOUT = Path(__file__).resolve().parents[1]
README = CHECKOUT / "README.md"
BIN = "Scripts" if os.name == "nt" else "bin"
OWNER_NAME = "acme-tools/pinlint"  # what a team sets PINLINT_REPOSITORY to


def _yaml_blocks() -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```\n", README.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)


def _github_install_steps() -> list[dict[str, Any]]:
    """Every step of a README workflow (or step list) that installs pinlint."""
    steps: list[dict[str, Any]] = []
    for text in _yaml_blocks():
        data = YAML(typ="safe", pure=True).load(text)
        candidates: list[Any] = []
        if isinstance(data, list):
            candidates = data
        elif isinstance(data, dict):
            jobs = data.get("jobs", data)
            for job in jobs.values() if isinstance(jobs, dict) else ():
                if isinstance(job, dict):
                    candidates += job.get("steps", [])
        steps += [s for s in candidates if isinstance(s, dict) and "pip install" in str(s.get("run", ""))]
    return steps


def _azure_install_script() -> str:
    for text in _yaml_blocks():
        if text.startswith("# pipelines/"):
            data = YAML(typ="safe", pure=True).load(text)
            [script] = [s["script"] for s in data["steps"] if "pip install" in str(s.get("script", ""))]
            return str(script)
    raise AssertionError("no Azure pipeline in the README")


def _expression(value: str, variables: dict[str, str]) -> str:
    """``${{ vars.NAME }}`` as GitHub evaluates it."""
    return re.sub(r"\$\{\{\s*vars\.(\w+)\s*\}\}", lambda m: variables[m.group(1)], value)


def test_every_github_install_step_is_the_documented_one() -> None:
    steps = _github_install_steps()
    assert len(steps) >= 5  # the installing section, code scanning, the pre-merge gate and the fix recipes
    first = steps[0]
    for step in steps:
        assert step["run"].split("#")[0].strip() == first["run"].strip()
        assert step["env"] == first["env"]
    assert set(first["env"]) == {"PINLINT_REPOSITORY", "PINLINT_REF"}
    assert "${{" not in first["run"]  # variables reach the shell through the environment


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A bare "pinlint" repository holding this checkout's tracked files, and its HEAD commit."""
    snapshot = tmp_path_factory.mktemp("snapshot")
    tracked = git("ls-files", "-z", cwd=CHECKOUT).split("\0")
    for rel in filter(None, tracked):
        src = CHECKOUT / rel
        if src.is_file():
            dst = snapshot / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())
            dst.chmod(src.stat().st_mode)
    git("init", "-q", ".", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "pinlint", cwd=snapshot)
    rev = git("rev-parse", "HEAD", cwd=snapshot).strip()
    hosting = tmp_path_factory.mktemp("github")
    bare = hosting / OWNER_NAME
    bare.parent.mkdir(parents=True)
    git("clone", "-q", "--bare", str(snapshot), str(bare), cwd=hosting)
    return hosting, rev


def _fresh_venv(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    env["PATH"] = f"{env_dir / BIN}{os.pathsep}{env['PATH']}"  # what setup-python or a venv activation gives
    env["VIRTUAL_ENV"] = str(env_dir)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env_dir, env


def _redirect_github(tmp_path: Path, env: dict[str, str], hosting: Path) -> None:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "file://{hosting}/"]\n\tinsteadOf = https://github.com/\n')
    env["GIT_CONFIG_GLOBAL"] = str(gitconfig)
    env["GIT_CONFIG_NOSYSTEM"] = "1"


def _works(env_dir: Path, env: dict[str, str], cwd: Path) -> None:
    pinlint = env_dir / BIN / "pinlint"
    version = subprocess.run([str(pinlint), "--version"], env=env, cwd=cwd, capture_output=True, text=True,
                             timeout=60, check=True)
    assert version.stdout.startswith("pinlint ")
    pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: nginx:1.27\n"
    (cwd / "web.yaml").write_text(pod)
    lint = subprocess.run([str(pinlint), "--offline", "--format", "concise", "web.yaml"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)
    assert lint.returncode == 1 and lint.stdout.startswith("web.yaml:6:12: PIN001"), lint.stdout + lint.stderr


@pytest.mark.slow  # installs pinlint and its dependencies into a fresh virtual environment
def test_github_install_step_runs_as_written(tmp_path: Path, hosted: tuple[Path, str]) -> None:
    hosting, rev = hosted
    env_dir, env = _fresh_venv(tmp_path)
    _redirect_github(tmp_path, env, hosting)
    step = _github_install_steps()[0]
    for name, value in step["env"].items():
        env[name] = _expression(value, {"PINLINT_REPOSITORY": OWNER_NAME, "PINLINT_REF": rev})
    proc = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _works(env_dir, env, tmp_path)


@pytest.mark.slow  # installs pinlint and its dependencies into a fresh virtual environment
def test_azure_install_step_runs_as_written(tmp_path: Path, hosted: tuple[Path, str]) -> None:
    hosting, rev = hosted
    env_dir, env = _fresh_venv(tmp_path)
    variables = {"PINLINT_GIT_URL": f"file://{hosting}/{OWNER_NAME}", "PINLINT_REF": rev}
    script = re.sub(r"\$\((\w+)\)", lambda m: variables[m.group(1)], _azure_install_script())
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-c", script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _works(env_dir, env, tmp_path)


@pytest.mark.slow  # installs pinlint and its dependencies into a fresh virtual environment
def test_the_actions_own_steps_install_and_run_pinlint(tmp_path: Path, hosted: tuple[Path, str]) -> None:
    """action.yml's install and run steps, as the runner executes them: ``$ACTION_PATH`` is the action's
    checkout (a clone of the hosted pinlint at PINLINT_REF) and ``$RUNNER_TEMP`` a scratch folder."""
    hosting, rev = hosted
    action_path = tmp_path / ".pinlint"
    git("clone", "-q", str(hosting / OWNER_NAME), str(action_path), cwd=tmp_path)
    git("checkout", "-q", rev, cwd=action_path)
    action = YAML(typ="safe", pure=True).load((action_path / "action.yml").read_text())
    install, run = action["runs"]["steps"][1], action["runs"]["steps"][2]
    workspace = tmp_path / "workspace"
    (workspace / ".git").mkdir(parents=True)
    (workspace / "k8s").mkdir()
    (workspace / "k8s/web.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: nginx:1.27\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(RUNNER_TEMP=str(tmp_path / "runner-temp"), GITHUB_OUTPUT=str(tmp_path / "output"),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    os.mkdir(env["RUNNER_TEMP"])
    github = {"github.action_path": str(action_path)}

    def script(step: dict[str, Any]) -> str:
        return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: github[m.group(1)], step["run"])

    step_env = {k: re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: github[m.group(1)], v)
                for k, v in install["env"].items()}
    proc = subprocess.run(["bash", "-e", "-c", script(install)], env={**env, **step_env}, cwd=workspace,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    inputs = {"PINLINT_PATHS": ".", "PINLINT_BASE": "", "PINLINT_FORMAT": "github", "PINLINT_SARIF": "pinlint.sarif",
              "PINLINT_ARGS": "--offline"}
    proc = subprocess.run(["bash", "-e", "-c", script(run)], env={**env, **inputs}, cwd=workspace,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("::error file=k8s/web.yaml,line=6,col=12,title=PIN001::"), proc.stdout
    assert (workspace / "pinlint.sarif").is_file()
    assert "exit-code=1" in (tmp_path / "output").read_text()
    assert ".pinlint" not in proc.stdout
