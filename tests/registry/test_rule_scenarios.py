"""The documented examples of the git rules (``pinlint explain PIN020`` …
``PIN032``) executed: each example's ``bad`` is flagged and its ``good``
passes, on a real git repository and real images in the real registry.

An example names a scenario (``bad-scenario``/``good-scenario``) that this
module builds: the history of ``app/`` and the image the registry holds.
The example's manifests name ``registry.example.com``; the test points that
host at the local registry with ``registries.mirrors`` (look-ups go to the
mirror, references keep their own name), so the snippets the user reads are
the ones that run.
"""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from server import RunningRegistry

from pinlint import rulebook
from tests.gitbuild import Repo

ROOT = Path(__file__).resolve().parents[2]
HOST = "registry.example.com"
REPO = "acme/app"
REVISION = "org.opencontainers.image.revision"
OTHER = "0123456789abcdef0123456789abcdef01234567"  # a commit no repository here has

_numbers = itertools.count(os.getpid() * 100)
EXAMPLES = [
    pytest.param(rule, example, label, id=f"{rule}-{n}-{label}")
    for rule, examples in sorted(rulebook.examples().items())
    for n, example in enumerate(examples)
    if "bad-scenario" in example
    for label in ("bad", "good")
]


def test_every_git_rule_has_an_executed_example() -> None:
    git_rules = {r.id for r in rulebook.load() if r.needs == "git"}
    assert {p.values[0] for p in EXAMPLES} == git_rules


def _pinlint(cwd: Path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    proc = subprocess.run([sys.executable, "-m", "pinlint", "--format", "json", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    assert "Traceback" not in proc.stderr and proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def _build(registry: RunningRegistry, scenario: str, sha: str, n: int) -> tuple[str, str]:
    """Push the image the scenario's CI built; (the tag it carries, its digest)."""
    repo = f"{REPO}{n}"
    if scenario == "no-provenance":
        pushed = registry.pusher.image(repo, "1.0", content=f"np{n}")
        return "1.0", pushed.digest
    revision = OTHER if scenario == "unknown-commit" else sha
    tag = f"git-{revision}"
    pushed = registry.pusher.image(repo, tag, content=f"{scenario}{n}", labels={REVISION: revision})
    if scenario == "tag-mismatch":
        registry.pusher.manifest(repo, f"git-{OTHER}", pushed.body, pushed.media_type)
    return tag, pushed.digest


@pytest.mark.parametrize(("rule", "example", "label"), EXAMPLES)
def test_git_rule_example(tmp_path: Path, registry: RunningRegistry, rule: str, example: dict, label: str) -> None:
    n = next(_numbers)  # a registry repository per test
    scenario = example[f"{label}-scenario"]
    config = example["config"].replace(f"{HOST}/{REPO}", f"{HOST}/{REPO}{n}")
    config += f'registries:\n  mirrors: {{{HOST}: "{registry.address}"}}\n  insecure: ["{registry.address}"]\n'
    git = Repo.init(tmp_path / "gitops")
    a = git.commit("app: first version", {"app/main.go": "v1\n", ".pinlint.yaml": config})
    tag, digest = _build(registry, scenario, a, n)
    image = f"{HOST}/{REPO}{n}:{tag}@{digest}"
    manifest = example[label].replace(f"{HOST}/{REPO}:git-{{OTHER}}@{{DIGEST}}",
                                      f"{HOST}/{REPO}{n}:git-{OTHER}@{digest}")
    manifest = manifest.replace(f"{HOST}/{REPO}:git-{{SHA}}@{{DIGEST}}", image)
    manifest = manifest.replace(f"{HOST}/{REPO}:1.0@{{DIGEST}}", f"{HOST}/{REPO}{n}:1.0@{digest}")
    assert "{" not in manifest.split("image:", 1)[1], manifest
    if scenario in ("pin-with-source", "pin-only"):
        git.git("checkout", "-q", "-b", "feature")
        files = {example["path"]: manifest}
        if scenario == "pin-with-source":
            files["app/main.go"] = "v2\n"
        git.commit("feature", files)
    else:
        git.commit("pin", {example["path"]: manifest})
        if scenario == "stale":
            git.commit("app: second version", {"app/main.go": "v2\n"})
    report = _pinlint(git.path, *(example.get("args") or ()))
    fired = [f["rule"] for f in report["findings"]]
    assert (rule in fired) is (label == "bad"), (scenario, fired, report["findings"])
    assert "PIN019" not in fired and "PIN010" not in fired, report["findings"]
