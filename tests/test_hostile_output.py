"""Attacker text stays inert and attacker files cannot steer pinlint
(SPEC §10): each attack through the real CLI.

File names, references and registry messages are written by whoever opened
the pull request; so is any file in the repository, a planted symlink
included.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers import make_repo, run_cli

DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n"
    "      - name: a\n        image: {image}\n"
)


def deploy(image: str) -> str:
    return DEPLOY.replace("{image}", image)


def test_config_symlink_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("AWS_SECRET_ACCESS_KEY=hunter2-very-secret\n")
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy("nginx:1")})
    (repo / ".pinlint.yaml").symlink_to(secret)
    proc = run_cli("--offline", str(repo))
    assert proc.returncode == 2
    assert "symlink leading out of the repository" in proc.stderr
    assert "hunter2" not in proc.stderr + proc.stdout


def test_config_errors_quote_a_short_escaped_excerpt(tmp_path: Path) -> None:
    value = "\\e[31m" + "A" * 5000  # YAML's escape for ESC: the parsed value holds a raw ESC
    repo = make_repo(tmp_path / "r", {".pinlint.yaml": f'include: "{value}"\n', "a.yaml": deploy("nginx:1")})
    proc = run_cli("--offline", str(repo))
    assert proc.returncode == 2 and "include" in proc.stderr
    assert "\x1b" not in proc.stderr and "A" * 100 not in proc.stderr and len(proc.stderr) < 600


def test_config_larger_than_1_mb_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".pinlint.yaml": "# " + "x" * (1024 * 1024) + "\n"})
    proc = run_cli("--offline", str(repo))
    assert proc.returncode == 2 and "larger than 1024 KB" in proc.stderr


def test_no_terminal_escape_reaches_the_text_report(tmp_path: Path) -> None:
    name = "k8s/\x1b]0;owned\x07\x1b[2Jweb.yaml"
    repo = make_repo(tmp_path / "r", {name: deploy("'nginx:1\x1b[8m'")})
    proc = run_cli("--offline", "--format", "text", str(repo))
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;owned\\x07\\x1b[2Jweb.yaml" in proc.stdout


def test_a_file_name_cannot_forge_a_workflow_annotation(tmp_path: Path) -> None:
    name = "x\n::error file=forged.yaml,line=1::all good%0A.yaml"
    repo = make_repo(tmp_path / "r", {name: deploy("nginx:1")})
    proc = run_cli("--offline", "--format", "github", str(repo))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert not any(line.startswith("::error file=forged.yaml") for line in lines)
    (finding,) = [line for line in lines if line.startswith("::error")]
    assert finding.startswith("::error file=x%0A%3A%3Aerror file=forged.yaml%2Cline=1%3A%3Aall good%250A.yaml,line=9,")


def test_markdown_code_spans_cannot_be_closed_by_a_reference(tmp_path: Path) -> None:
    evil = "a``b<img src=x onerror=alert(1)>[x](https://evil.example)@admin"
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy(f"'{evil}'")})
    proc = run_cli("--offline", "--format", "markdown", str(repo))
    assert proc.returncode == 1
    row = next(line for line in proc.stdout.splitlines() if "a.yaml:9" in line)
    assert f"``` {evil} ```" in row  # fence longer than the longest backtick run inside
    message = row.rsplit("|", 2)[-2]
    assert not re.search(r"(?<!\\)[<\[]", message) and "\\<img" in message and "@\u200badmin" in message


def test_a_hash_inside_a_quoted_scalar_is_not_a_suppression(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"web-#pinlint:ignore\"\n"
        "  labels: {team: 'a # pinlint: ignore'}\nspec:\n  containers:\n"
        "  - name: \"x # pinlint: ignore\"\n    image: nginx:1\n"
        "  - name: y  # pinlint: ignore[PIN001] a real comment\n    image: nginx:2\n"
        "  - name: z\n    args: |\n      # pinlint: ignore\n    image: nginx:3\n"
    )
    repo = make_repo(tmp_path / "r", {"pod.yaml": text, "Dockerfile": "FROM alpine:3 # pinlint: ignore\n"
                                      "# pinlint: ignore[PIN001]\nFROM nginx:1 AS web\n"})
    proc = run_cli("--offline", "--format", "json", str(repo))
    found = sorted((f["path"], f["ref"]) for f in json.loads(proc.stdout)["findings"])
    assert found == [("Dockerfile", "alpine:3"), ("pod.yaml", "nginx:1"), ("pod.yaml", "nginx:3")]


def test_the_inventory_cannot_forge_a_workflow_command_or_reach_the_terminal(tmp_path: Path) -> None:
    """``pinlint refs`` (text) prints the reference and path escaped, like every lint report."""
    evil = "x:1\\n::error file=README.md,line=1::forged\\n\\e[2K\\u2028"
    repo = make_repo(tmp_path / "r", {"compose.yaml": f'services:\n  a:\n    image: "{evil}"\n'})
    proc = run_cli("refs", "--offline", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\u2028" not in proc.stdout
    assert [line for line in proc.stdout.splitlines() if line.startswith("::")] == []
    [line] = proc.stdout.splitlines()
    assert line.startswith("compose.yaml:3:12\tcompose\tx:1\\x0a::error")
