"""The command line as users and CI see it: exit codes, JSON, selection,
suppressions, configuration errors, the rule catalog."""
from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from pinlint import cli, engine, rulebook
from pinlint.model import RuleInfo
from tests.helpers import DIGEST, findings_at, make_repo, run_cli, run_json

DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n"
    "      - name: a\n        image: {image}\n"
)


def deploy(image: str) -> str:
    return DEPLOY.replace("{image}", image)


def test_json_report_shape_and_exit_1(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"k8s/app.yaml": deploy("nginx:1.25"), "ok.yaml": deploy(f"nginx:1.25@{DIGEST}")})
    code, report, _ = run_json("--offline", str(repo))
    assert code == 1
    assert list(report) == ["version", "findings", "refs", "summary"] and report["version"] == 1
    (finding,) = report["findings"]
    assert finding == {
        "rule": "PIN001", "name": "mutable-tag", "severity": "error", "path": "k8s/app.yaml", "line": 9,
        "column": 16, "ref": "nginx:1.25", "message": finding["message"], "fix": None,
        "object": "Deployment/web container a",
    }
    assert "nginx:1.25" in finding["message"]
    assert report["refs"][0] == {
        "path": "k8s/app.yaml", "line": 9, "column": 16, "kind": "kubernetes", "ref": "nginx:1.25",
        "normalized": "docker.io/library/nginx:1.25", "pinned": False, "templated": False,
    }
    assert report["refs"][1]["pinned"] is True
    assert report["summary"] == {
        "files": 2, "refs": 2, "errors": 1, "warnings": 0,
        "skipped_checks": ["PIN010", "PIN011", "PIN012", "PIN013", "PIN019",
                           "PIN020", "PIN021", "PIN030", "PIN031", "PIN032"],
    }


def test_clean_repo_exits_0(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy(f"nginx:1.25@{DIGEST}")})
    code, report, _ = run_json("--offline", str(repo))
    assert code == 0 and report["findings"] == []


def test_file_list_as_pre_commit_passes_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy("nginx:1"), "b.yaml": deploy("redis:7")})
    code, report, _ = run_json("--offline", "b.yaml", cwd=repo)
    assert code == 1 and findings_at(report) == [("b.yaml", 9, 16, "PIN001")]


@pytest.mark.parametrize(
    ("args", "rules", "code"),
    [
        pytest.param((), ["PIN001", "PIN002", "PIN003"], 1, id="defaults-PIN004-off"),
        pytest.param(("--select", "PIN004"), ["PIN004"], 0, id="select-off-rule-becomes-warning"),
        pytest.param(("--select", "PIN004", "--strict"), ["PIN004"], 1, id="strict-fails-on-warning"),
        pytest.param(("--ignore", "mutable-tag,PIN003"), ["PIN002"], 1, id="ignore-by-name-and-id"),
        pytest.param(("--select", "PIN00", "--ignore", "PIN001,PIN002,PIN003"), ["PIN004"], 0, id="prefix"),
    ],
)
def test_selection(tmp_path: Path, args: tuple[str, ...], rules: list[str], code: int) -> None:
    files = {
        "a.yaml": deploy("nginx:1"), "b.yaml": deploy("ghcr.io/acme/app@git:HEAD"),
        "c.yaml": deploy("Bad:1"), "d.yaml": deploy("'{{ .Values.image }}'"),
    }
    repo = make_repo(tmp_path / "r", files)
    got_code, report, _ = run_json("--offline", *args, str(repo))
    assert sorted({f["rule"] for f in report["findings"]}) == rules
    assert got_code == code


def test_config_severity_ignore_and_per_path(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {
        ".pinlint.yaml": "rules:\n  severity: {PIN001: warning, templated-reference: error}\n"
                         "  per-path-ignores: {'legacy/**': [PIN001]}\n",
        "a.yaml": deploy("nginx:1"), "legacy/b.yaml": deploy("nginx:1"), "t.yaml": deploy("'${IMG}'"),
    })
    code, report, _ = run_json("--offline", str(repo))
    assert [(f["path"], f["rule"], f["severity"]) for f in report["findings"]] == [
        ("a.yaml", "PIN001", "warning"), ("t.yaml", "PIN004", "error")]
    assert code == 1


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        pytest.param("registries:\n  alow: [x]\n", "registries: unknown key 'alow'", id="unknown-key"),
        pytest.param(
            "rules:\n  severity: {PIN001: fatal}\n", "rules.severity.PIN001: 'fatal' is not one of", id="bad-enum"
        ),
        pytest.param("rules:\n  ignore: [PIN777]\n", "rules.ignore[0]: unknown rule 'PIN777'", id="unknown-rule"),
        pytest.param(
            "images:\n  - repository: x\n    tag-template: v1\n", "images[0].tag-template", id="template-without-sha"
        ),
        pytest.param("locators:\n  - id: x\n    match: {kind: A}\n", "locators[0]", id="locator-without-paths"),
        pytest.param("rules: [\n", "not valid YAML", id="yaml-syntax"),
    ],
)
def test_invalid_config_exits_2_naming_key_path(tmp_path: Path, config: str, needle: str) -> None:
    repo = make_repo(tmp_path / "r", {".pinlint.yaml": config, "a.yaml": deploy("nginx:1")})
    proc = run_cli("--offline", str(repo))
    assert proc.returncode == 2
    assert needle in proc.stderr and ".pinlint.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_string_where_a_list_belongs_is_one_clear_message(tmp_path: Path) -> None:
    config = "rules:\n  ignore: PIN001\nexclude: vendor/\nimages:\n  - repository: x\n    source: apps/x\n"
    repo = make_repo(tmp_path / "r", {".pinlint.yaml": config, "a.yaml": deploy("nginx:1")})
    proc = run_cli("--offline", str(repo))
    assert proc.returncode == 2
    problems = [line.strip() for line in proc.stderr.splitlines()[1:]]
    assert problems == [
        "exclude: must be a list, not a string: write ['vendor/']",
        "images[0].source: must be a list, not a string: write ['apps/x']",
        "rules.ignore: must be a list, not a string: write ['PIN001']",
    ]


def test_reserved_git_rule_ids_are_accepted_in_config(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".pinlint.yaml": "rules:\n  ignore: [PIN021]\n  severity: {PIN031: error}\n",
                                      "a.yaml": deploy(f"a@{DIGEST}")})
    assert run_cli("--offline", str(repo)).returncode == 0


@pytest.mark.parametrize(
    ("comment_line", "suppressed"),
    [
        pytest.param("        # pinlint: ignore[PIN001] vendor image\n", True, id="line-above-by-id"),
        pytest.param("        # pinlint: ignore[mutable-tag]\n", True, id="line-above-by-name"),
        pytest.param("        # pinlint: ignore\n", True, id="all-rules"),
        pytest.param("        # pinlint: ignore[PIN003]\n", False, id="other-rule"),
        pytest.param("        # pinlint: ignore[PIN001] until=2999-01-01\n", True, id="not-yet-expired"),
        pytest.param("        # pinlint: ignore[PIN001] until=2020-01-01\n", False, id="expired"),
    ],
)
def test_inline_suppressions(tmp_path: Path, comment_line: str, suppressed: bool) -> None:
    text = deploy("nginx:1").replace("        image:", comment_line + "        image:")
    repo = make_repo(tmp_path / "r", {"a.yaml": text})
    code, report, _ = run_json("--offline", str(repo))
    assert (report["findings"] == []) is suppressed
    assert code == (0 if suppressed else 1)
    if "2020" in comment_line:
        assert "suppression expired 2020-01-01" in report["findings"][0]["message"]


def test_trailing_suppression_and_unused_suppression(tmp_path: Path) -> None:
    text = (
        deploy("nginx:1   # pinlint: ignore[PIN001] ok")
        + "      - name: b\n        image: redis@" + DIGEST + "  # pinlint: ignore[PIN001]\n"
    )
    repo = make_repo(tmp_path / "r", {"a.yaml": text})
    _, report, _ = run_json("--offline", "--select", "PIN001,PIN903", str(repo))
    assert findings_at(report) == [("a.yaml", 11, 95, "PIN903")]


def test_pin903_does_not_call_a_suppression_unused_when_its_rule_did_not_run(tmp_path: Path) -> None:
    """``--select PIN903`` alone, or a registry rule's suppression under --offline: nothing was judged
    that the comment could have suppressed, so it is not reported as suppressing nothing."""
    text = (
        deploy("nginx:1   # pinlint: ignore[PIN001] ok")
        + "      - name: b\n        image: redis@" + DIGEST + "  # pinlint: ignore[PIN010]\n"
        + "      - name: c\n        image: redis@" + DIGEST + "  # pinlint: ignore\n"
    )
    repo = make_repo(tmp_path / "r", {"a.yaml": text})
    _, report, _ = run_json("--offline", "--select", "PIN903", str(repo))
    assert findings_at(report) == []
    _, report, _ = run_json("--offline", "--select", "PIN001,PIN010,PIN903", str(repo))
    assert findings_at(report) == [("a.yaml", 13, 95, "PIN903")]  # the bare one: PIN001 ran, nothing there


def test_exit_code_3_only_for_verification_failures() -> None:
    info = RuleInfo("PIN019", "verification-failed", "error", "error", "registry", "no", "", "", "")
    from pinlint.model import Finding, Report, Summary

    def report(*found: tuple[str, int]) -> Report:
        findings = tuple(Finding(r, r, "error", "a.yaml", line, 1, "m") for r, line in found)
        return Report(findings, (), Summary(1, 1, len(findings), 0), (info,))

    assert cli.exit_code(report(("PIN019", 1)), False) == 3
    assert cli.exit_code(report(("PIN019", 1), ("PIN001", 2)), False) == 1
    # a mutable tag whose fix could not be looked up: the registry is what stands in the way
    assert cli.exit_code(report(("PIN019", 2), ("PIN001", 2)), False) == 3
    assert cli.exit_code(report(), False) == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("--format", "xml").returncode == 2
    assert run_cli("--diff").returncode == 2
    proc = run_cli("--offline", "--select", "PIN777", str(tmp_path))
    assert proc.returncode == 2 and "unknown rule 'PIN777'" in proc.stderr


def test_typos_get_a_suggestion_and_refs_accepts_offline(tmp_path: Path) -> None:
    proc = run_cli("--ofline", str(tmp_path))
    assert proc.returncode == 2 and "(did you mean --offline?)" in proc.stderr
    proc = run_cli("--offline", "--format", "jsn", str(tmp_path))
    assert proc.returncode == 2 and "(did you mean json?)" in proc.stderr
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy("nginx:1")})
    proc = run_cli("refs", "--offline", str(repo))
    assert proc.returncode == 0 and "a.yaml:9:16\tkubernetes\tnginx:1" in proc.stdout


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy(f"nginx:1@{DIGEST}")})
    proc = run_cli("--offline", str(repo / "a.yaml"), str(repo / "nodir"))
    assert proc.returncode == 2 and "nodir: no such file or folder" in proc.stderr


def test_rules_and_explain() -> None:
    proc = run_cli("rules")
    assert proc.returncode == 0
    assert "PIN001  mutable-tag" in proc.stdout and "PIN901  unreadable-file" in proc.stdout
    proc = run_cli("explain", "mutable-tag")
    assert proc.returncode == 0 and "PIN001 mutable-tag" in proc.stdout and "Why" in proc.stdout
    assert run_cli("explain", "PIN777").returncode == 2


def test_lint_subcommand_lints_a_folder_named_like_a_subcommand(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"rules/app.yaml": deploy("nginx:1")})
    for args in (("lint", "--offline", "rules"), ("--offline", "./rules")):
        proc = run_cli(*args, "--format", "json", cwd=repo)
        assert proc.returncode == 1, proc.stderr
        assert findings_at(json.loads(proc.stdout)) == [("rules/app.yaml", 9, 16, "PIN001")], args
    proc = run_cli("rules", cwd=repo)  # the subcommand, not the folder
    assert proc.returncode == 0 and "PIN001  mutable-tag" in proc.stdout


def test_quiet_prints_only_findings(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy("nginx:1")})
    loud = run_cli("--offline", "--format", "text", str(repo))
    quiet = run_cli("--offline", "--quiet", "--format", "text", str(repo))
    assert loud.returncode == quiet.returncode == 1
    assert "1 error" in loud.stdout and "registry checks skipped" in loud.stdout
    assert "PIN001" in quiet.stdout and "1 error" not in quiet.stdout and "skipped" not in quiet.stdout
    github = run_cli("--offline", "-q", "--format", "github", str(repo)).stdout.splitlines()
    assert len(github) == 1 and github[0].startswith("::error file=a.yaml,line=9,col=16,title=PIN001::")


def test_refs_inventory_lists_templated(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy("'${IMAGE}'")})
    proc = run_cli("refs", "--format", "json", str(repo))
    assert proc.returncode == 0
    assert '"templated": true' in proc.stdout and '"normalized": null' in proc.stdout


def test_output_file_is_written(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy("nginx:1")})
    out = tmp_path / "report.sarif"
    proc = run_cli("--offline", "--format", "sarif", "--output", str(out), str(repo))
    assert proc.returncode == 1 and proc.stdout == ""
    assert '"ruleId": "PIN001"' in out.read_text()


def test_output_keeps_mode_and_replaces_a_planted_symlink(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.yaml": deploy("nginx:1")})
    report = repo / "report.json"
    report.write_text("old\n")
    report.chmod(0o640)
    assert run_cli("--offline", "--format", "json", "--output", str(report), str(repo)).returncode == 1
    assert report.stat().st_mode & 0o777 == 0o640 and '"PIN001"' in report.read_text()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    planted = repo / "planted.sarif"
    planted.symlink_to(victim)  # a pull request can add this
    proc = run_cli("--offline", "--format", "sarif", "--output", str(planted), str(repo))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert victim.read_text() == "precious\n"  # the link is replaced, not followed
    assert not planted.is_symlink() and '"ruleId": "PIN001"' in planted.read_text()
    assert sorted(p.name for p in repo.iterdir()) == [".git", "a.yaml", "planted.sarif", "report.json"]
    (repo / "out").symlink_to(tmp_path, target_is_directory=True)  # a folder leading out
    proc = run_cli("--offline", "--format", "json", "--output", str(repo / "out" / "r.json"), str(repo))
    assert proc.returncode == 2 and "out/r.json" in proc.stderr and not (tmp_path / "r.json").exists()


# The rule catalog: every rule file is valid, and its examples do what they say.

RULES = rulebook.load()


def test_catalog_is_complete() -> None:
    ids = [r.id for r in RULES]
    assert ids == sorted(set(ids))
    assert {"PIN001", "PIN002", "PIN003", "PIN004", "PIN900", "PIN901", "PIN903"} <= set(ids)
    assert all(r.remediation.endswith(".") for r in RULES)


@pytest.mark.parametrize(
    ("rule", "example"),
    [
        pytest.param(rid, ex, id=f"{rid}-{n}")
        for rid, exs in rulebook.examples().items()
        for n, ex in enumerate(exs)
        if "bad-scenario" not in ex  # git rules' examples need a registry: tests/registry/test_rule_scenarios.py
    ],
)
def test_rule_examples(tmp_path: Path, rule: str, example: dict) -> None:
    for label in ("bad", "good"):
        if label not in example:
            continue
        repo = make_repo(tmp_path / label, {example["path"]: example[label]})
        args = list(example.get("args") or ())
        select = tuple(args[args.index("--select") + 1].split(",")) if "--select" in args else (rule,)
        opts = engine.Options(paths=(str(repo),), offline=True, select=select, today=datetime.date(2026, 1, 1))
        fired = [f.rule for f in engine.run(opts).report.findings]
        assert (rule in fired) is (label == "bad"), (label, fired)


def test_top_level_help_lists_every_lint_option(capsys: pytest.CaptureFixture[str]) -> None:
    """`pinlint --help` is where a newcomer looks first: it names every command and every lint flag."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in cli.SUBCOMMANDS:
        assert f"\n    {command} " in out, command
    lint = cli.build_parser()._subparsers._group_actions[0].choices["lint"]  # type: ignore[union-attr]
    flags = [o for action in lint._actions for o in action.option_strings if o.startswith("--")]
    assert len(flags) > 10
    for flag in flags:
        assert flag in out, flag


def test_a_command_after_an_option_gets_a_hint(tmp_path: Path) -> None:
    proc = run_cli("--offline", "refs", cwd=tmp_path)
    assert proc.returncode == 2
    assert "refs: no such file or folder (a command comes first: `pinlint refs …`" in proc.stderr
