"""The wheel is what users install: it must carry the rules, locators and
schemas that live outside the ``pinlint/`` package in the source tree, and
the installed ``pinlint`` must work from them alone.

The wheel is built with pip (through the project's own build backend), then
installed with ``--no-deps`` into a fresh virtual environment that borrows
its dependencies from the interpreter running the tests, so nothing is
downloaded again.  ``--system-site-packages`` cannot do that: it exposes the
*base* interpreter's site-packages, so when the suite itself runs in a
virtual environment (where ``pip install -e '.[test]'`` put ruamel.yaml,
jsonschema, ...) the test environment would see none of them.  Instead the
test environment gets a ``.pth`` file that calls ``site.addsitedir`` on each
site-packages folder the running interpreter uses (``site.getsitepackages()``
and the user site when it is enabled), after its own: the dependencies
resolve exactly as they do for the suite, their own ``.pth`` files included,
and the installed wheel still comes first.  Every command runs from a folder
outside the checkout with ``PYTHONPATH`` cleared, and the tests check that
the ``pinlint`` that runs is the installed one, not this source tree (nor an
editable install the running interpreter may have).
"""
from __future__ import annotations

import configparser
import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test here builds (or installs) the wheel

CHECKOUT = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["NO_COLOR"] = "1"
    return env


def run(*cmd: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", out, CHECKOUT, cwd=out)
    (built,) = out.glob("pinlint-*.whl")
    return built


def running_site_dirs() -> list[str]:
    """The site-packages folders of the interpreter running the tests (in a
    virtual environment: the environment's, plus the base's when it was made
    with ``--system-site-packages``)."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    dirs += [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    # A venv inside the checkout (scripts/test makes ./.venv) counts like any other.
    return list(dict.fromkeys(os.path.realpath(d) for d in dirs if os.path.isdir(d)))


def borrow_site_dirs(env_dir: Path, dirs: list[str]) -> None:
    """Make ``env_dir`` see ``dirs`` after its own site-packages."""
    probe = run(env_dir / BIN / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                cwd=env_dir)
    own = Path(probe.stdout.strip())
    lines = [f"import site; site.addsitedir({d!r})" for d in dirs]
    (own / "zz-pinlint-tests-borrowed-site.pth").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", env_dir, cwd=env_dir)
    run(env_dir / BIN / "python", "-m", "pip", "install", "--no-deps", "--no-index", wheel, cwd=env_dir)
    # borrowed only now, so that pip neither sees nor touches a pinlint the running interpreter has
    borrow_site_dirs(env_dir, running_site_dirs())
    return env_dir


def test_the_test_environment_has_what_the_suite_has(venv: Path, elsewhere: Path) -> None:
    """Every runtime dependency imports in the test environment, from where the suite gets it."""
    code = ("import ruamel.yaml, jsonschema, oras.container, git, rich, requests; "
            "print(ruamel.yaml.__file__); print(jsonschema.__file__)")
    probe = run(venv / BIN / "python", "-c", code, cwd=elsewhere)
    import jsonschema
    import ruamel.yaml

    assert [os.path.realpath(p) for p in probe.stdout.splitlines()] == [
        os.path.realpath(ruamel.yaml.__file__), os.path.realpath(jsonschema.__file__)]


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working folder that is neither the checkout nor inside it."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    return folder


def test_wheel_ships_rules_locators_and_schemas(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    for required in (
        "pinlint/_rules/PIN001-mutable-tag.yaml",
        "pinlint/_rules/locators/kubernetes.yaml",
        "pinlint/schemas/config.schema.json",
        "pinlint/schemas/locator.schema.json",
        "pinlint/schemas/rule.schema.json",
        "pinlint/__init__.py",
        "pinlint/cli.py",
    ):
        assert required in names, required
    # Every rule and locator of the source tree, not just the ones named above.
    for path in sorted((CHECKOUT / "rules").rglob("*.yaml")):
        assert f"pinlint/_rules/{path.relative_to(CHECKOUT / 'rules').as_posix()}" in names, path
    # Nothing but the package and its metadata: no top-level `rules`, `tests` or `examples`.
    stray = {n for n in names if not n.startswith(("pinlint/", "pinlint-"))}
    assert not stray, sorted(stray)
    scripts = configparser.ConfigParser()
    scripts.read_string(entry_points)
    assert scripts["console_scripts"]["pinlint"].strip() == "pinlint.console:run"


def test_installed_wheel_is_what_runs(venv: Path, elsewhere: Path) -> None:
    probe = run(venv / BIN / "python", "-c",
                "import pinlint, pinlint.rulebook as r; print(pinlint.__file__); print(r.default_rules_dir())",
                cwd=elsewhere)
    module, rules_dir = probe.stdout.splitlines()
    assert Path(module).resolve().is_relative_to(venv.resolve()), module
    assert Path(rules_dir).resolve().is_relative_to(venv.resolve()), rules_dir
    assert Path(rules_dir).name == "_rules"
    assert not Path(module).resolve().is_relative_to(CHECKOUT), module


def test_installed_pinlint_lists_and_explains_rules(venv: Path, elsewhere: Path) -> None:
    pinlint = venv / BIN / "pinlint"
    rules = run(pinlint, "rules", cwd=elsewhere)
    lines = rules.stdout.splitlines()
    assert any(line.startswith("PIN001") and "mutable-tag" in line for line in lines), rules.stdout
    assert any(line.startswith("PIN900") and "unparseable-file" in line for line in lines), rules.stdout

    as_json = json.loads(run(pinlint, "rules", "--format", "json", cwd=elsewhere).stdout)
    assert {r["id"]: r["name"] for r in as_json}["PIN001"] == "mutable-tag"

    explain = run(pinlint, "explain", "PIN001", cwd=elsewhere)
    assert explain.stdout.startswith("PIN001 mutable-tag"), explain.stdout
    assert "Default severity: error" in explain.stdout
    by_name = run(pinlint, "explain", "mutable-tag", cwd=elsewhere)
    assert by_name.stdout == explain.stdout


def test_installed_pinlint_lints_with_the_shipped_locators(venv: Path, elsewhere: Path) -> None:
    """An Argo Workflow is found only through ``_rules/locators/argo-workflows.yaml``."""
    repo = elsewhere / "gitops"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "workflow.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\nspec:\n  templates:\n"
        "    - name: main\n      container:\n        image: alpine:3.20\n"
    )
    (repo / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n"
        "      image: nginx:1.27\n"
    )
    (repo / ".pinlint.yaml").write_text("limits: {max-depth: 200}\n")  # the shipped config schema validates it
    result = run(venv / BIN / "pinlint", "--offline", "--format", "json", repo, cwd=elsewhere, check=False)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    found = sorted((f["rule"], f["path"], f["line"], f["column"], f["ref"]) for f in report["findings"])
    assert found == [("PIN001", "pod.yaml", 7, 14, "nginx:1.27"), ("PIN001", "workflow.yaml", 8, 16, "alpine:3.20")]

    (repo / ".pinlint.yaml").write_text("limits: {max-dept: 200}\n")
    bad_config = run(venv / BIN / "pinlint", "--offline", repo, cwd=elsewhere, check=False)
    assert bad_config.returncode == 2, bad_config.stderr
    assert "max-dept" in bad_config.stderr


def test_installed_pinlint_finds_what_the_source_tree_finds_in_examples(venv: Path, elsewhere: Path) -> None:
    """README quick start: the installed linter on the bundled examples, same inventory as from source."""
    examples = CHECKOUT / "examples"
    installed = run(venv / BIN / "pinlint", "refs", "--format", "json", examples, cwd=elsewhere)
    source_env = {**_env(), "PYTHONPATH": str(CHECKOUT)}
    source = subprocess.run([sys.executable, "-m", "pinlint", "refs", "--format", "json", str(examples)],
                            cwd=elsewhere, env=source_env, capture_output=True, text=True, timeout=600)
    assert source.returncode == 0, source.stderr
    installed_refs = json.loads(installed.stdout)["refs"]
    assert installed_refs == json.loads(source.stdout)["refs"]
    kinds = {r["kind"] for r in installed_refs}
    assert {"kubernetes", "kustomize", "helm-values", "compose", "dockerfile", "gitlab-ci", "argocd"} <= kinds, kinds

    lint = run(venv / BIN / "pinlint", "--offline", examples, cwd=elsewhere, check=False)
    assert lint.returncode == 1, lint.stderr
    assert "PIN001" in lint.stdout
