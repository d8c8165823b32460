"""Start-up cost (issue 10, item 1): a pre-commit run imports only what it
needs, and the fast schema check never hides a problem jsonschema reports."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pinlint import __version__, formats, rulebook, schemas  # noqa: F401  (formats first: it imports locators)
from pinlint.locators import builtin_specs
from pinlint.schemas import quick
from tests.helpers import DIGEST, make_repo

HEAVY = ("pinlint.registry", "oras", "requests", "urllib3", "jsonschema", "referencing", "rich", "git",
         "pinlint.git", "pinlint.reporters.sarif", "pinlint.evidence")

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: a\n    image: nginx:1.25\n"

CONFIG = """\
exclude: [vendor/]
include: ['deploy/**/*.tpl']
kinds: {helm-values: ['charts/*/values-*.yaml']}
rules:
  ignore: [PIN004]
  severity: {PIN001: warning}
  per-path-ignores: {'legacy/**': [PIN001]}
registries:
  allow: [docker.io, ghcr.io]
  connections-per-host: 32
  budget: 60
fix: {style: digest-only}
limits: {max-depth: 100}
images:
  - repository: ghcr.io/acme/web
    source: [apps/web]
    tag-template: git-{sha}
locators:
  - id: my-crd
    match: {apiVersion: acme.io/*, kind: [Widget]}
    images: [spec.image]
"""


def _imported(repo: Path, *args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    code = (
        "import sys, json\n"
        "sys.argv = ['pinlint'] + json.loads(sys.argv[1])\n"
        "from pinlint.console import main\n"  # what `python -m pinlint` runs, but it returns
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(list(args))], cwd=repo, capture_output=True,
                          text=True, timeout=120)
    head, _, modules = proc.stderr.rpartition("\nMODULES ")
    proc.stderr = head
    return set(json.loads(modules)), proc


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("with_config", [False, True], ids=["no-config", "with-config"])
@pytest.mark.parametrize("fmt", ["text", "json", "concise", "github"])
def test_an_offline_lint_of_one_file_imports_no_registry_stack_schema_engine_rich_or_git(
    tmp_path: Path, with_config: bool, fmt: str
) -> None:
    files = {"one.yaml": POD}
    if with_config:
        files[".pinlint.yaml"] = CONFIG
    repo = make_repo(tmp_path / "r", files)
    modules, proc = _imported(repo, "--offline", "--format", fmt, "one.yaml")
    assert "PIN001" in proc.stdout, proc.stderr
    assert _heavy(modules) == []


def test_an_invalid_config_still_gets_jsonschema_messages(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"one.yaml": POD, ".pinlint.yaml": "rules:\n  severity: {PIN001: fatal}\n"})
    modules, proc = _imported(repo, "--offline", "one.yaml")
    assert "rules.severity.PIN001: 'fatal' is not one of" in proc.stderr
    assert "jsonschema" in modules


def test_version_imports_nothing_but_the_package(tmp_path: Path) -> None:
    modules, proc = _imported(tmp_path, "--version")
    assert proc.stdout.strip() == f"pinlint {__version__}"
    assert sorted(m for m in modules if m.startswith("pinlint")) == ["pinlint", "pinlint.console"]
    assert "ruamel.yaml" not in modules and "argparse" not in modules


def test_the_console_script_version_imports_nothing_but_the_package(tmp_path: Path) -> None:
    """What pip writes for the entry point, as pre-commit and a shell run it."""
    code = (
        "import json, sys\n"
        "from pinlint.console import main\n"
        "sys.argv = ['pinlint', '--version']\n"
        "code = main()\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write(json.dumps([code, sorted(sys.modules)]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    code, modules = json.loads(proc.stderr)
    assert (code, proc.stdout.strip()) == (0, f"pinlint {__version__}")
    assert sorted(m for m in modules if m.startswith("pinlint")) == ["pinlint", "pinlint.console"]
    assert "ruamel.yaml" not in modules and "argparse" not in modules


def test_a_pinned_reference_offline_passes_without_the_registry_stack(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"one.yaml": POD.replace("nginx:1.25", f"nginx:1.25@{DIGEST}")})
    modules, proc = _imported(repo, "--offline", "one.yaml")
    assert proc.stdout.startswith("no problems"), proc.stdout + proc.stderr
    assert _heavy(modules) == []


# --------------------------------------------------------------------------- the fast schema check


def _mutations(value: Any) -> list[Any]:
    """Every variant of ``value`` with one node replaced, one key added or one key removed."""
    wrong: list[Any] = ["", "x", 0, -1, 1, 1.0, 0.5, True, None, [], ["x"], [1], {}, {"x": 1}, {1: "x"}]
    out: list[Any] = [w for w in wrong if w != value or type(w) is not type(value)]
    if isinstance(value, dict):
        for k in list(value):
            for variant in _mutations(value[k]):
                changed = dict(value)
                changed[k] = variant
                out.append(changed)
            removed = dict(value)
            del removed[k]
            out.append(removed)
        out.append({**value, "unknown-key": 1})
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for variant in _mutations(item):
                changed = list(value)
                changed[i] = variant
                out.append(changed)
        out.append(value + value[:1])
    return out


def _agree(name: str, instance: Any) -> str | None:
    answer = quick.valid(schemas.load(name), instance, schemas._resolve)
    errors = list(schemas.validator(name).iter_errors(instance))
    if answer is True and errors:
        return f"quick says valid, jsonschema says {errors[0].message}: {instance!r}"
    if answer is False and not errors:
        return f"quick says invalid, jsonschema says valid: {instance!r}"
    return None


def test_the_fast_check_never_passes_what_jsonschema_rejects() -> None:
    from ruamel.yaml import YAML

    base = YAML(typ="safe", pure=True).load(CONFIG)
    assert list(schemas.validator("config").iter_errors(base)) == []
    assert quick.valid(schemas.load("config"), base, schemas._resolve) is True
    cases = [base, *_mutations(base)]
    disagreements = [d for c in cases if (d := _agree("config", copy.deepcopy(c)))]
    assert disagreements == []
    assert len(cases) > 500


def test_the_fast_check_agrees_on_every_shipped_rule_and_locator() -> None:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    rules_dir = rulebook.default_rules_dir()
    rules = [yaml.load(Path(rules_dir, n).read_text()) for n in sorted(os.listdir(rules_dir)) if n.endswith(".yaml")]
    for rule in rules:
        assert quick.valid(schemas.load("rule"), rule, schemas._resolve) is True
        assert [d for c in _mutations(rule) if (d := _agree("rule", c))] == []
    for spec in builtin_specs():
        assert quick.valid(schemas.load("locator"), spec, schemas._resolve) is True
        assert [d for c in _mutations(spec) if (d := _agree("locator", c))] == []


def test_the_fast_check_is_unsure_of_keywords_it_does_not_know() -> None:
    assert quick.valid({"type": "string", "contentEncoding": "base64"}, "x", schemas._resolve) is None
    assert quick.valid({"type": "integer"}, 1.0, schemas._resolve) is None
    assert jsonschema.Draft202012Validator({"type": "integer"}).is_valid(1.0)


def test_the_declared_checks_are_what_the_check_modules_say() -> None:
    import importlib

    from pinlint.checks import DECLARED, all_checks

    for (module, needs, rules), check in zip(DECLARED, all_checks(), strict=True):
        real = importlib.import_module(f"pinlint.checks.{module}").CHECK
        assert (check.name, check.needs, check.rules) == (real.name, real.needs, real.rules) == (module, needs, rules)


def test_version_with_stdout_closed_exits_0_without_a_traceback(tmp_path: Path) -> None:
    for close in ("import os; os.close(1)", "sys.stdout = None"):
        code = (f"import sys\n{close}\nfrom pinlint.console import main\n"
                "sys.argv = ['pinlint', '--version']\nraise SystemExit(main())\n")
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert (proc.returncode, proc.stderr) == (0, ""), (close, proc.stderr)


def test_the_command_writes_all_its_output_and_keeps_its_exit_code(tmp_path: Path) -> None:
    """``pinlint`` ends without interpreter teardown (``console.run``): what
    it wrote must still all arrive, through a pipe, and its exit code stay."""
    pods = {f"apps/p{n}.yaml": POD.replace("name: x", f"name: x{n}") for n in range(300)}
    repo = make_repo(tmp_path / "r", pods)
    proc = subprocess.run([sys.executable, "-m", "pinlint", "--offline", "--format", "json", "--no-progress", "."],
                          cwd=repo, capture_output=True, text=True, timeout=120)
    assert len(proc.stdout) > 65536  # more than a pipe and a stdio buffer hold
    report = json.loads(proc.stdout)
    assert (proc.returncode, len(report["refs"]), proc.stderr) == (1, 300, "")
    clean = make_repo(tmp_path / "c", {"pod.yaml": POD.replace("nginx:1.25", f"nginx:1.25@{DIGEST}")})
    proc = subprocess.run([sys.executable, "-m", "pinlint", "--offline", "pod.yaml"], cwd=clean,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "no problems in 1 file" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("stdout", ["closed", "full"])
def test_a_report_that_cannot_be_written_is_exit_2_with_a_message(tmp_path: Path, stdout: str) -> None:
    """stdout closed (`>&-`) or on a full disk (/dev/full): the report is lost,
    so the run fails (exit 2) with one line saying why, not a traceback."""
    if stdout == "full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    repo = make_repo(tmp_path / "r", {"pod.yaml": POD})
    code = "import sys\nsys.argv = ['pinlint', '--offline', 'pod.yaml']\nfrom pinlint.console import run\nrun()\n"
    with open("/dev/full" if stdout == "full" else os.devnull, "w") as sink:
        proc = subprocess.run([sys.executable, "-c", code], cwd=repo, stdout=sink, stderr=subprocess.PIPE,
                              text=True, timeout=60,  # `>&-`: the process starts without a stdout
                              preexec_fn=(lambda: os.close(1)) if stdout == "closed" else None)
    reason = "stdout is closed" if stdout == "closed" else "No space left on device"
    assert (proc.returncode, proc.stderr) == (2, f"pinlint: cannot write the report to stdout: {reason}\n")
