"""The GitHub Action (action.yml): its interface, and its run step executed
locally exactly as the action runs it (scripts/action-run), on a real git
repository."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from tests.helpers import DIGEST, make_repo

CHECKOUT = Path(__file__).resolve().parents[1]
ACTION = YAML(typ="safe", pure=True).load((CHECKOUT / "action.yml").read_text())
DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n"
    "      - name: a\n        image: {image}\n"
)


def test_action_interface() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"paths", "base", "format", "sarif", "args", "python-version"}
    assert set(ACTION["outputs"]) == {"sarif", "exit-code"}
    steps = ACTION["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    install, run = steps[1], steps[2]
    assert '"$ACTION_PATH"' in install["run"] and "pip install" in install["run"]
    assert run["id"] == "run" and "scripts/action-run" in run["run"]
    # inputs reach the script through the environment, never interpolated into shell code
    assert "${{ inputs." not in install["run"] + run["run"]
    assert set(run["env"]) == {"PINLINT_PATHS", "PINLINT_BASE", "PINLINT_FORMAT", "PINLINT_SARIF", "PINLINT_ARGS"}


def _pinlint_wrapper(tmp_path: Path) -> Path:
    wrapper = tmp_path / "pinlint"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m pinlint \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper


def _run_action(repo: Path, tmp_path: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    out = tmp_path / "github-output"
    env = {**os.environ, "GITHUB_OUTPUT": str(out), "PYTHONPATH": str(CHECKOUT)}
    for name in ("paths", "base", "format", "sarif", "args"):
        env[f"PINLINT_{name.upper()}"] = inputs.get(name, ACTION["inputs"][name]["default"])
    proc = subprocess.run(["bash", str(CHECKOUT / "scripts" / "action-run"), str(_pinlint_wrapper(tmp_path))],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    return proc.returncode, outputs, proc.stdout


def test_action_writes_sarif_and_annotations(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"k8s/a.yaml": DEPLOY.replace("{image}", "nginx:1.25")})
    code, outputs, log = _run_action(repo, tmp_path, args="--offline")
    assert code == 1 and outputs == {"sarif": "pinlint.sarif", "exit-code": "1"}
    sarif = json.loads((repo / "pinlint.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["PIN001"]
    assert log.startswith("::error file=k8s/a.yaml,line=9,col=16,title=PIN001::")


def test_action_clean_repository_passes_and_base_mode_judges_the_change(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"k8s/a.yaml": DEPLOY.replace("{image}", f"nginx:1.25@{DIGEST}")})
    (repo / ".git").rmdir()
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    code, outputs, _ = _run_action(repo, tmp_path, args="--offline", sarif="")
    assert code == 0 and outputs == {"sarif": "", "exit-code": "0"}
    subprocess.run([*git, "checkout", "-qb", "feature"], cwd=repo, check=True)
    (repo / "k8s" / "b.yaml").write_text(DEPLOY.replace("{image}", "redis:7"))
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "add b"], cwd=repo, check=True)
    code, outputs, log = _run_action(repo, tmp_path, args="--offline", base="main", format="concise")
    assert code == 1 and outputs["exit-code"] == "1"
    assert log.splitlines()[0].startswith("k8s/b.yaml:9:16: PIN001")
    assert "k8s/a.yaml" not in log


def test_pinlint_checked_out_inside_the_repository_is_not_linted(tmp_path: Path) -> None:
    """The README workflow checks pinlint out into .pinlint/ of the workspace: its own examples and
    tests are another repository's files, not the change under review; named explicitly, they are linted."""
    repo = make_repo(tmp_path / "r", {"k8s/a.yaml": DEPLOY.replace("{image}", f"nginx:1.25@{DIGEST}")})
    make_repo(repo / ".pinlint", {"examples/bad.yaml": DEPLOY.replace("{image}", "nginx:latest")})
    code, outputs, log = _run_action(repo, tmp_path, args="--offline", sarif="")
    assert code == 0 and outputs["exit-code"] == "0", log
    assert ".pinlint" not in log
    named = subprocess.run([sys.executable, "-m", "pinlint", "--offline", "--format", "concise", ".pinlint/examples"],
                           cwd=repo, env={**os.environ, "PYTHONPATH": str(CHECKOUT)}, capture_output=True, text=True,
                           timeout=120, check=False)
    assert named.returncode == 1 and "bad.yaml:9:16: PIN001" in named.stdout, named.stdout + named.stderr
