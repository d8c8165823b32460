"""End to end: the real CLI (``python -m pinlint``) against the real registry."""
from __future__ import annotations

import json
import os
import pty
import socket
import subprocess
import sys
from pathlib import Path

from faultproxy import Rule

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_RULES = ["PIN010", "PIN011", "PIN012", "PIN013", "PIN019"]


def _env(**extra: str) -> dict:
    env = os.environ.copy()
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("CI", None)
    env.update(extra)
    return env


def pinlint(repo: Path, *args: str, stderr=subprocess.PIPE, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "pinlint", *args], cwd=repo, env=env or _env(),
                          stdout=subprocess.PIPE, stderr=stderr, timeout=120)


def make_repo(tmp_path: Path, files: dict[str, str], registries: str) -> Path:
    repo = tmp_path / "gitops"
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    (repo / ".pinlint.yaml").write_text(registries)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def deployment(*images: str) -> str:
    containers = "".join(f"        - name: c{i}\n          image: {img}\n" for i, img in enumerate(images))
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
            "    spec:\n      containers:\n" + containers)


def test_stale_and_platform_pins_are_reported_with_fixes(tmp_path, proxy, registry, repo):
    old = registry.pusher.image(repo, "v1", content="old")
    new = registry.pusher.image(repo, "v1", content="new")
    index, platforms = registry.pusher.multiarch(repo, "2.0")
    name = f"{proxy.address}/{repo}"
    files = {
        "k8s/web.yaml": deployment(f"{name}:v1@{old.digest}", f"{name}:v1@{new.digest}"),
        "k8s/arm.yaml": deployment(f"{name}:2.0@{platforms['linux/arm64/v8'].digest}"),
        "compose.yaml": f"services:\n  web:\n    image: {name}@{old.digest}\n",
    }
    gitops = make_repo(tmp_path, files, f'registries:\n  insecure: ["{proxy.address}"]\n')

    result = pinlint(gitops, "--format", "json", ".")
    report = json.loads(result.stdout)

    assert result.returncode == 1, result.stderr
    got = [(f["rule"], f["path"], f["line"], f["fix"]) for f in report["findings"]]
    assert got == [
        ("PIN013", "k8s/arm.yaml", 10, f"{name}:2.0@{index.digest}"),
        ("PIN011", "k8s/web.yaml", 10, f"{name}:v1@{new.digest}"),
    ]
    assert report["summary"]["skipped_checks"] == []
    assert proxy.count(f"/manifests/{old.digest}") <= 1  # pinned in two files, looked up once


def test_unreachable_registry_is_exit_code_3_naming_the_host(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
    digest = "sha256:" + "34" * 32
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(f"{dead}/acme/web:1@{digest}")},
                       f'registries:\n  insecure: ["{dead}"]\n')

    result = pinlint(gitops, "--format", "json", ".")

    assert result.returncode == 3
    findings = json.loads(result.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["PIN019"]
    assert dead in findings[0]["message"]
    assert b"Traceback" not in result.stderr


def test_broken_registry_is_exit_code_3_without_traceback(tmp_path, proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    proxy.add(Rule("status", status=500))
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(f"{proxy.address}/{repo}:v1@{img.digest}")},
                       f'registries:\n  insecure: ["{proxy.address}"]\n')

    result = pinlint(gitops, "--format", "text", ".")

    assert result.returncode == 3
    assert proxy.address in result.stdout.decode()
    assert b"Traceback" not in result.stderr + result.stdout


def test_offline_skips_registry_checks_and_says_so(tmp_path, proxy, registry, repo):
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(f"{proxy.address}/{repo}@sha256:{'56' * 32}")},
                       f'registries:\n  insecure: ["{proxy.address}"]\n')

    result = pinlint(gitops, "--offline", "--format", "json", ".")

    assert result.returncode == 0
    git_rules = ["PIN020", "PIN021", "PIN030", "PIN031", "PIN032"]  # they read evidence from the registry
    assert json.loads(result.stdout)["summary"]["skipped_checks"] == sorted(REGISTRY_RULES + git_rules)
    assert proxy.count() == 0 and proxy.accepts == 0


def test_unlisted_private_registry_in_a_pull_request_is_pin012(tmp_path, proxy):
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(f"{proxy.address}/acme/web@sha256:{'78' * 32}")},
                       "registries:\n  allow: [ghcr.io]\n")

    result = pinlint(gitops, "--format", "json", ".")

    assert result.returncode == 1
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["PIN012"]
    assert proxy.accepts == 0


def _on_a_terminal(gitops: Path, *args: str) -> bytes:
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "pinlint", *args], cwd=gitops, env=_env(TERM="xterm"),
                                stdout=subprocess.PIPE, stderr=secondary)
        os.close(secondary)
        secondary = -1
        captured = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            captured += chunk
        proc.communicate(timeout=60)
        return captured
    finally:
        os.close(primary)
        if secondary != -1:
            os.close(secondary)


def test_progress_bar_on_a_terminal_only_without_no_progress(tmp_path, proxy, registry, repo):
    img = registry.pusher.image(repo, "v1")
    gitops = make_repo(tmp_path, {"k8s/web.yaml": deployment(f"{proxy.address}/{repo}:v1@{img.digest}")},
                       f'registries:\n  insecure: ["{proxy.address}"]\n  cache: false\n')

    assert b"Verifying pinned digests" in _on_a_terminal(gitops, "--format", "json", ".")
    assert b"Verifying pinned digests" not in _on_a_terminal(gitops, "--no-progress", "--format", "json", ".")
    assert b"Verifying pinned digests" not in pinlint(gitops, "--format", "json", ".").stderr
