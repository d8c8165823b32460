"""The README section "Build-commit evidence and race checks": its policy is a
valid ``.pinlint.yaml`` and its GitHub Actions jobs are the YAML they claim
to be (the right triggers, permissions, checkout depth and commands)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from pinlint import config as configmod
from pinlint.imagemap import ImageMapping

README = Path(__file__).resolve().parents[1] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Build-commit evidence and race checks\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", _section(), re.DOTALL)


def _load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def _checkout(job: dict[str, Any]) -> dict[str, Any]:
    [step] = [s for s in _steps(job) if str(s.get("uses", "")).startswith("actions/checkout@")]
    return dict(step.get("with") or {})


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s["run"]) for s in _steps(job) if "run" in s)


def test_the_images_example_is_a_valid_policy() -> None:
    policy, *_ = _yaml_blocks()
    cfg = configmod.from_bytes(policy.encode(), "README")
    assert cfg.images == (
        ImageMapping("ghcr.io/acme/web", ("apps/web", "libs/common"), "git-{sha}", True),
        ImageMapping("ghcr.io/acme/**"),
    )


def test_the_workflow_jobs() -> None:
    _, build_text, pin_text, gate_text = _yaml_blocks()
    build = _load(build_text)
    pin = _load("jobs:\n" + pin_text)["jobs"]["pin"]
    gate = _load(gate_text)

    # commit-paired artifacts: git-<full sha> tags, revision label and annotation, on push to main
    web = build["jobs"]["web"]
    assert build["on"]["push"]["branches"] == ["main"]
    [meta] = [s for s in _steps(web) if s.get("id") == "meta"]
    assert meta["with"]["tags"] == "type=sha,format=long,prefix=git-"
    [push] = [s for s in _steps(web) if s.get("id") == "build"]
    assert push["with"]["labels"] == "${{ steps.meta.outputs.labels }}"
    assert push["with"]["annotations"] == "${{ steps.meta.outputs.annotations }}"
    assert web["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"

    # post-merge pin: main as it is now, full history, pinlint before the push
    assert pin["needs"] == "web"
    assert _checkout(pin) == {"ref": "main", "fetch-depth": 0}
    runs = _runs(pin)
    assert runs.index("pinlint --format github k8s/web.yaml") < runs.index("git push origin HEAD:main")
    assert "--offline" not in runs

    # pre-merge gate: --base, full history, SARIF uploaded even when pinlint fails
    job = gate["jobs"]["pinlint"]
    assert gate["on"] == "pull_request"
    assert gate["permissions"]["security-events"] == "write"
    assert _checkout(job) == {"fetch-depth": 0}
    assert "pinlint --base origin/${{ github.base_ref }} --format sarif --output pinlint.sarif" in _runs(job)
    [upload] = [s for s in _steps(job) if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert upload["if"] == "always()" and upload["with"]["sarif_file"] == "pinlint.sarif"


def test_no_link_leaves_the_repository() -> None:
    # a markdown link or a bare URL in the prose; commands in code blocks may name pinlint's Git host
    prose = re.sub(r"^```.*?^```\n", "", _section(), flags=re.DOTALL | re.MULTILINE)
    assert "http://" not in prose and "https://" not in prose
