"""The README section "Fix mode": every recipe is the YAML (or shell) it
claims to be, with the triggers, permissions, checkout depth and commands
the text describes, and its shell steps do what they say when run in bash
against a real git repository (``git``, ``gh`` and ``az`` calls are real git
and logging stand-ins; pinlint is a stand-in that exits with a chosen code).

The sample markdown body is what the markdown reporter writes."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pinlint import config as configmod
from pinlint.formats import Classifier
from pinlint.imagemap import DEFAULT_TEMPLATE
from tests.gitbuild import git_env

README = Path(__file__).resolve().parents[1] / "README.md"
REFRESH = "pinlint --fix --refresh --format markdown --output body.md"
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


# --- reading the README -------------------------------------------------------------------------------------


def _sections(text: str) -> dict[str, str]:
    """``## `` sections by title; a ``## `` line inside a fenced block is content."""
    out: dict[str, list[str]] = {}
    title, fenced = "", False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        if line.startswith("## ") and not fenced:
            title = line[3:].strip()
        out.setdefault(title, []).append(line)
    return {k: "".join(v) for k, v in out.items()}


def _section() -> str:
    return _sections(README.read_text(encoding="utf-8"))["Fix mode"]


def _blocks(lang: str, text: str | None = None) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```\n", text or _section(), re.DOTALL | re.MULTILINE)


def _load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def _recipes() -> dict[str, Any]:
    """Each YAML recipe by the file name in its first line's comment."""
    out = {}
    for text in _blocks("yaml"):
        first = text.splitlines()[0]
        assert first.startswith("# "), first
        out[first[2:].strip()] = _load(text)
    return out


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in _steps(job) if str(s.get("uses", "")).startswith(f"{action}@")]


def _index(steps: list[dict[str, Any]], needle: str) -> int:
    """The position of the first step whose text contains ``needle``."""
    for i, step in enumerate(steps):
        if needle in str(step):
            return i
    raise AssertionError(f"no step contains {needle!r}")


def _script(steps: list[dict[str, Any]], needle: str, key: str = "run") -> str:
    [text] = [str(s[key]) for s in steps if needle in str(s.get(key, ""))]
    return text


def _policy_sources() -> tuple[str, ...]:
    """``source`` of ghcr.io/acme/web in the README's ``images[]`` example."""
    text = _sections(README.read_text(encoding="utf-8"))["Build-commit evidence and race checks"]
    cfg = configmod.from_bytes(_blocks("yaml", text)[0].encode(), "README")
    [web] = [m for m in cfg.images if m.repository == "ghcr.io/acme/web"]
    return tuple(s.rstrip("/") for s in web.source)


def _bash_syntax(script: str) -> None:
    """``bash -n``: the script parses (GitHub expressions stand in as words)."""
    text = re.sub(r"\$\{\{.*?\}\}", "EXPR", script)
    proc = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True, check=False)
    assert proc.returncode == 0, f"{proc.stderr}\n{text}"


# --- what the README says -----------------------------------------------------------------------------------


def test_nothing_says_fix_mode_is_not_built() -> None:
    text = README.read_text(encoding="utf-8")
    for stale in ("not built yet", "reserved for fix mode", "in a later release", "until fix mode is built"):
        assert stale not in text, stale
    assert "## Fix mode\n" in text


def test_usage_lists_the_fix_flags_the_cli_has() -> None:
    from pinlint.cli import build_parser

    usage = _sections(README.read_text(encoding="utf-8"))["Usage"]
    lint = build_parser()._subparsers._group_actions[0].choices["lint"]  # type: ignore[union-attr]
    flags = {opt for action in lint._actions for opt in action.option_strings}
    for flag in ("--fix", "--diff", "--refresh"):
        assert re.search(rf"^  {flag} ", usage, re.MULTILINE), flag
        assert flag in flags


def test_no_link_leaves_the_repository() -> None:
    # a markdown link or a bare URL in the prose; commands in code blocks may name pinlint's Git host
    prose = re.sub(r"^```.*?^```\n", "", _section(), flags=re.DOTALL | re.MULTILINE)
    assert "http://" not in prose and "https://" not in prose


def test_the_sample_pull_request_body_is_what_the_markdown_reporter_writes() -> None:
    from pinlint import rulebook
    from pinlint.model import Change, Finding, LocatedRef, Report, Span, Summary
    from pinlint.reporters import markdown

    [sample] = _blocks("markdown")
    [row] = [line for line in sample.splitlines() if line.startswith("| `PIN002`")]
    ref_text = row.split(" | ")[2].strip("`")
    message = row.split(" | ")[3].rstrip(" |")
    changes = [line.strip("| ").split(" | ") for line in sample.splitlines() if line.startswith("| `k8s/")]
    digest = {cell: "sha256:" + cell.strip("`").partition(":")[2].rstrip("\u2026") + "0" * 52
              for c in changes for cell in c[2:4] if cell.startswith("`")}
    report = Report(
        findings=(Finding("PIN002", "unresolved-placeholder", "error", "k8s/web.yaml", 10, 18, message,
                          LocatedRef("k8s/web.yaml", "kubernetes", ref_text, Span(0, 1, 10, 18))),),
        refs=(),
        summary=Summary(2, 3, 1, 0, (), 2),
        rules=rulebook.load(),
        changes=tuple(
            Change(loc.strip("`").partition(":")[0], int(loc.strip("`").partition(":")[2]), 1, ref.strip("`"),
                   ref.strip("`") + "@" + digest[new], rule.strip("`"), digest.get(old), digest[new])
            for loc, ref, old, new, rule in changes),
    )

    rendered = "\n".join(markdown.lines(report)).replace("\u200b", "") + "\n"

    assert rendered == sample


# --- the recipes --------------------------------------------------------------------------------------------


def test_every_recipe_is_named_and_where_pinlint_lints_it(tmp_path: Path) -> None:
    recipes = _recipes()
    assert sorted(recipes) == [".github/workflows/deploy-web.yaml", ".github/workflows/refresh-pins.yaml",
                               "pipelines/refresh-pins.yml"]
    classify = Classifier(str(tmp_path))
    assert [classify.kind(name) for name in sorted(recipes)] == ["github-actions", "github-actions",
                                                                 "azure-pipelines"]


def test_local_first_recipe() -> None:
    [script] = _blocks("sh")[1:]  # the first one lists the three modes
    _bash_syntax(script)
    commands = [line for line in script.splitlines() if line and not line.startswith(("#", " "))]
    order = ["yq -i", "git commit -m", "sha=", "docker buildx build --push", "pinlint --fix k8s/web.yaml",
             "git commit -m", "git push", "gh pr create"]
    assert [next(o for o in order if c.startswith(o)) for c in commands] == order
    assert '"ghcr.io/acme/web@git:HEAD"' in commands[0]
    sources = " ".join(_policy_sources())
    assert commands[2] == f'sha="$(git log -1 --format=%H HEAD -- {sources})"   # what @git:HEAD resolves to'
    assert f'--tag "ghcr.io/acme/web:{DEFAULT_TEMPLATE.format(sha="$sha")}"' in script
    assert '--label "org.opencontainers.image.revision=$sha"' in script
    assert '--annotation "org.opencontainers.image.revision=$sha"' in script


def test_the_three_fix_modes_block() -> None:
    [modes] = _blocks("sh")[:1]
    assert [shlex.split(line.split("#")[0]) for line in modes.splitlines()] == [
        ["pinlint", "--fix"], ["pinlint", "--fix", "--diff"], ["pinlint", "--fix", "--refresh"]]


def test_post_merge_pin_recipe() -> None:
    wf = _recipes()[".github/workflows/deploy-web.yaml"]
    sources = _policy_sources()
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["on"]["push"]["paths"] == [f"{s}/**" for s in sources]
    assert wf["permissions"] == {"contents": "write", "packages": "write"}
    assert wf["concurrency"]["cancel-in-progress"] is False
    [job] = wf["jobs"].values()
    steps = _steps(job)
    [checkout] = _uses(job, "actions/checkout")
    assert checkout["with"] == {"fetch-depth": 0}

    # the image is tagged and labelled with the build commit pinlint computes for @git:<sha>
    src = _script(steps, "git log")
    assert src == f'echo "sha=$(git log -1 --format=%H HEAD -- {" ".join(sources)})" >> "$GITHUB_OUTPUT"'
    [meta] = _uses(job, "docker/metadata-action")
    build_commit = "${{ steps.src.outputs.sha }}"
    assert meta["with"]["tags"] == "type=raw,value=" + DEFAULT_TEMPLATE.format(sha=build_commit)
    assert meta["with"]["labels"] == meta["with"]["annotations"] == f"org.opencontainers.image.revision={build_commit}"
    [push] = _uses(job, "docker/build-push-action")
    assert push["with"]["push"] is True and push["with"]["tags"] == "${{ steps.meta.outputs.tags }}"

    # then main as it is now, the placeholder, pinlint --fix (the race guard), the bot's commit
    pin = _script(steps, "pinlint --fix")
    [pin_step] = [s for s in steps if s.get("run") == pin]
    assert pin_step["env"]["IMAGE"] == "ghcr.io/acme/web@git:${{ github.sha }}"
    lines = [line.split("#")[0].strip() for line in pin.splitlines()]
    assert lines == ["git fetch origin main", "git checkout -B main origin/main",
                     "yq -i '(.spec.template.spec.containers[] | select(.name == \"web\")).image = strenv(IMAGE)' "
                     "k8s/web.yaml", "pinlint --fix --format github k8s/web.yaml"]
    commit = _script(steps, "git push")
    assert f'git config user.name "{BOT_NAME}"' in commit and f'git config user.email "{BOT_EMAIL}"' in commit
    assert commit.index("git commit -am") < commit.index("git push origin HEAD:main")
    assert (steps.index(push) < _index(steps, "pip install") < steps.index(pin_step)
            < _index(steps, "git push origin HEAD:main"))
    assert "--offline" not in str(wf)
    for step in steps:
        if "run" in step:
            _bash_syntax(step["run"])


def test_github_nightly_refresh_recipe() -> None:
    wf = _recipes()[".github/workflows/refresh-pins.yaml"]
    [schedule] = wf["on"]["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert "workflow_dispatch" in wf["on"]
    assert wf["permissions"]["contents"] == "write" and wf["permissions"]["pull-requests"] == "write"
    [job] = wf["jobs"].values()
    steps = _steps(job)
    [checkout] = _uses(job, "actions/checkout")
    assert checkout["with"] == {"fetch-depth": 0}
    refresh = _script(steps, REFRESH)
    pr = _script(steps, "gh pr create")
    assert steps.index(next(s for s in steps if s.get("run") == refresh)) < _index(steps, "gh pr create")
    assert "--body-file body.md" in pr and "gh pr edit pinlint/refresh --body-file body.md" in pr
    assert "git push --force origin pinlint/refresh" in pr and "--head pinlint/refresh" in pr
    [pr_step] = [s for s in steps if s.get("run") == pr]
    assert pr_step["env"] == {"GH_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    assert "--offline" not in str(wf)
    for step in steps:
        if "run" in step:
            _bash_syntax(step["run"])


def test_azure_nightly_refresh_recipe() -> None:
    pipeline = _recipes()["pipelines/refresh-pins.yml"]
    assert pipeline["trigger"] == "none" and pipeline["pr"] == "none"
    [schedule] = pipeline["schedules"]
    assert len(schedule["cron"].split()) == 5
    assert schedule["branches"] == {"include": ["main"]} and schedule["always"] is True
    steps = pipeline["steps"]
    [checkout] = [s for s in steps if "checkout" in s]
    assert checkout == {"checkout": "self", "fetchDepth": 0, "persistCredentials": True}
    refresh = _script(steps, REFRESH, "script")
    pr = _script(steps, "az repos pr create", "script")
    assert _index(steps, REFRESH) < _index(steps, "az repos pr create")
    assert 'body="$(head -c 4000 body.md)"' in pr and '--description "$body"' in pr
    [pr_step] = [s for s in steps if s.get("script") == pr]
    assert pr_step["env"] == {"AZURE_DEVOPS_EXT_PAT": "$(System.AccessToken)"}
    assert refresh.startswith("set -eu\n") and pr.startswith("set -eu")
    assert "--offline" not in str(pipeline)
    for text in (refresh, pr):
        _bash_syntax(text)


# --- the shell steps, run -----------------------------------------------------------------------------------


def _stub(folder: Path, name: str, body: str = "") -> None:
    """A stand-in for ``name`` that records each call's arguments (``_calls``), then runs ``body``."""
    path = folder / name
    path.write_text('#!/bin/sh\nn=$(ls "$CALLS" | wc -l)\n'
                    f'printf "%s\\0" {name} "$@" > "$CALLS/$(printf %03d "$n")"\n' + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _calls(env: dict[str, str]) -> list[list[str]]:
    folder = Path(env["CALLS"])
    return [(folder / name).read_text().split("\0")[:-1] for name in sorted(os.listdir(folder))]


def _forget(env: dict[str, str]) -> None:
    for name in os.listdir(env["CALLS"]):
        os.unlink(Path(env["CALLS"]) / name)


def _bash(script: str, cwd: Path, env: dict[str, str], *, errexit: bool) -> subprocess.CompletedProcess[str]:
    """GitHub runs ``bash -e``; Azure Pipelines runs plain ``bash``."""
    args = ["bash", "--noprofile", "--norc"] + (["-eo", "pipefail"] if errexit else [])
    return subprocess.run([*args, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.fixture
def stubs(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder of stand-ins first on PATH, and the environment to run the recipes in."""
    folder = tmp_path / "bin"
    folder.mkdir()
    env = {k: v for k, v in git_env(tmp_path).items() if not k.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_"))}
    env["PATH"] = f"{folder}{os.pathsep}{env['PATH']}"
    env["CALLS"] = str(tmp_path / "calls")
    os.mkdir(env["CALLS"])
    return folder, env


@pytest.mark.parametrize("recipe", ["github", "azure"])
@pytest.mark.parametrize("code, goes_on", [(0, True), (1, True), (2, False), (3, False)])
def test_refresh_step_goes_on_after_exit_0_or_1_and_stops_after_2_or_3(
    tmp_path: Path, stubs: tuple[Path, dict[str, str]], recipe: str, code: int, goes_on: bool
) -> None:
    folder, env = stubs
    _stub(folder, "pinlint", f"exit {code}\n")
    if recipe == "github":
        script = _script(_steps(next(iter(_recipes()[".github/workflows/refresh-pins.yaml"]["jobs"].values()))),
                         REFRESH)
    else:
        script = _script(_recipes()["pipelines/refresh-pins.yml"]["steps"], REFRESH, "script")

    proc = _bash(script, tmp_path, env, errexit=recipe == "github")

    assert (proc.returncode == 0) is goes_on, proc.stderr
    assert _calls(env) == [shlex.split(REFRESH)]


def _clone_with_a_refresh(tmp_path: Path, env: dict[str, str]) -> Path:
    """A clone of ``origin`` whose k8s file pinlint has just re-pinned (uncommitted), and the body it wrote."""
    def git(*args: str, cwd: Path) -> str:
        return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    origin = tmp_path / "origin.git"
    git("init", "-q", "--bare", "-b", "main", str(origin), cwd=tmp_path)
    work = tmp_path / "work"
    git("clone", "-q", str(origin), str(work), cwd=tmp_path)
    (work / "k8s").mkdir()
    (work / "k8s/web.yaml").write_text("image: redis:7.2@sha256:" + "1" * 64 + "\n")
    git("add", "-A", cwd=work)
    git("-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "-qm", "initial", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    (work / "k8s/web.yaml").write_text("image: redis:7.2@sha256:" + "2" * 64 + "\n")
    (work / "body.md").write_text("## pinlint\n\nFixed 1 reference.\n")
    return work


def _origin_log(tmp_path: Path, env: dict[str, str], branch: str) -> str:
    return subprocess.run(["git", "log", "-1", "--format=%an <%ae>|%s", branch], cwd=tmp_path / "origin.git",
                          env=env, check=True, capture_output=True, text=True).stdout.strip()


def _tree(tmp_path: Path, env: dict[str, str], branch: str) -> list[str]:
    return subprocess.run(["git", "ls-tree", "-r", "--name-only", branch], cwd=tmp_path / "origin.git", env=env,
                          check=True, capture_output=True, text=True).stdout.split()


def test_github_refresh_opens_one_pull_request_and_updates_it_the_next_night(
    tmp_path: Path, stubs: tuple[Path, dict[str, str]]
) -> None:
    folder, env = stubs
    work = _clone_with_a_refresh(tmp_path, env)
    job = next(iter(_recipes()[".github/workflows/refresh-pins.yaml"]["jobs"].values()))
    script = _script(_steps(job), "gh pr create")
    _stub(folder, "gh")

    proc = _bash(script, work, env, errexit=True)

    assert proc.returncode == 0, proc.stderr
    assert _origin_log(tmp_path, env, "pinlint/refresh") == f"{BOT_NAME} <{BOT_EMAIL}>|deploy: refresh image digests"
    assert _tree(tmp_path, env, "pinlint/refresh") == ["k8s/web.yaml"]  # the body is not committed
    create = ["gh", "pr", "create", "--base", "main", "--head", "pinlint/refresh", "--title", "Refresh image digests",
              "--body-file", "body.md"]
    assert _calls(env) == [create]

    # the next night: the pull request exists, so `gh pr create` fails and the body is updated
    _forget(env)
    (work / "k8s/web.yaml").write_text("image: redis:7.2@sha256:" + "3" * 64 + "\n")
    _stub(folder, "gh", '[ "$2" = edit ]\n')

    proc = _bash(script, work, env, errexit=True)

    assert proc.returncode == 0, proc.stderr
    assert _calls(env) == [create, ["gh", "pr", "edit", "pinlint/refresh", "--body-file", "body.md"]]
    assert _origin_log(tmp_path, env, "pinlint/refresh").endswith("|deploy: refresh image digests")


def test_github_refresh_does_nothing_when_nothing_moved(tmp_path: Path, stubs: tuple[Path, dict[str, str]]) -> None:
    folder, env = stubs
    work = _clone_with_a_refresh(tmp_path, env)
    subprocess.run(["git", "checkout", "-q", "--", "k8s/web.yaml"], cwd=work, env=env, check=True)
    job = next(iter(_recipes()[".github/workflows/refresh-pins.yaml"]["jobs"].values()))
    _stub(folder, "gh")

    proc = _bash(_script(_steps(job), "gh pr create"), work, env, errexit=True)

    assert proc.returncode == 0, proc.stderr
    assert _calls(env) == []


def test_azure_refresh_opens_one_pull_request_and_updates_it_the_next_night(
    tmp_path: Path, stubs: tuple[Path, dict[str, str]]
) -> None:
    folder, env = stubs
    work = _clone_with_a_refresh(tmp_path, env)
    script = _script(_recipes()["pipelines/refresh-pins.yml"]["steps"], "az repos pr create", "script")
    macros = {"$(System.CollectionUri)": "https://dev.azure.invalid/acme/", "$(System.TeamProject)": "deploy",
              "$(Build.Repository.Name)": "gitops"}
    for macro, value in macros.items():  # Azure expands macros before bash runs the script
        script = script.replace(macro, value)
    assert "$(System." not in script and "$(Build." not in script
    _stub(folder, "az")

    proc = _bash(script, work, env, errexit=False)

    assert proc.returncode == 0, proc.stderr
    assert _origin_log(tmp_path, env, "pinlint/refresh") == ("pinlint refresh bot <pinlint-bot@noreply.invalid>|"
                                                             "deploy: refresh image digests")
    body = (work / "body.md").read_text().rstrip("\n")  # "$(…)" drops the final line end
    assert _calls(env) == [
        ["az", "devops", "configure", "--defaults", "organization=https://dev.azure.invalid/acme/",
         "project=deploy"],
        ["az", "repos", "pr", "list", "--repository", "gitops", "--source-branch", "pinlint/refresh",
         "--status", "active", "--query", "[0].pullRequestId", "--output", "tsv"],
        ["az", "repos", "pr", "create", "--repository", "gitops", "--source-branch", "pinlint/refresh",
         "--target-branch", "main", "--title", "Refresh image digests", "--description", body],
    ]

    # the next night: `az repos pr list` finds the open pull request, whose description is updated
    _forget(env)
    (work / "k8s/web.yaml").write_text("image: redis:7.2@sha256:" + "3" * 64 + "\n")
    _stub(folder, "az", '[ "$3" = list ] && echo 42\nexit 0\n')

    proc = _bash(script, work, env, errexit=False)

    assert proc.returncode == 0, proc.stderr
    assert _calls(env)[-1] == ["az", "repos", "pr", "update", "--id", "42", "--description", body]
    assert len(_calls(env)) == 3


def test_azure_refresh_stops_when_the_push_fails(tmp_path: Path, stubs: tuple[Path, dict[str, str]]) -> None:
    """``set -eu``: without it Azure's bash would go on to open a pull request for a branch it never pushed."""
    folder, env = stubs
    work = _clone_with_a_refresh(tmp_path, env)
    shutil.rmtree(tmp_path / "origin.git")
    script = _script(_recipes()["pipelines/refresh-pins.yml"]["steps"], "az repos pr create", "script")
    _stub(folder, "az")

    proc = _bash(script, work, env, errexit=False)

    assert proc.returncode != 0
    assert _calls(env) == []
