"""The documentation a user reads is the product's: every YAML snippet in the
README and docs/ is classified and checked (GitHub workflows and the action
against SchemaStore's schemas as vendored by check-jsonschema, the Azure
pipeline against its schema, pre-commit configs by pre-commit's own loader,
.pinlint.yaml snippets by pinlint's config loader, manifests by linting them);
docs/rules.md is what ``pinlint rules --format markdown`` prints; every key of
the config schema is in docs/configuration.md; every report pinlint writes
matches the report schema docs/json-report.md describes; no link leaves the
repository."""
from __future__ import annotations

import importlib.resources
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from pinlint import cli
from pinlint import config as configmod
from tests.helpers import DOCS, ROOT, doc_blocks


def _vendored(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        importlib.resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(name).read_text("utf-8"))
    return data


def _errors(schema: dict[str, Any], doc: Any) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema, format_checker=None)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(doc)]


def _load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def _classify(text: str, data: Any) -> str:
    first = text.splitlines()[0]
    if first.startswith("# .github/workflows/"):
        return "github-workflow"
    if first.startswith("# pipelines/") or first.startswith("# azure-pipelines"):
        return "azure-pipeline"
    if first.startswith("# .pre-commit-config.yaml"):
        return "pre-commit"
    if text.startswith(" ") and isinstance(data, list):
        return "workflow-steps"
    if text.startswith(" ") and isinstance(data, dict) and all("runs-on" in job for job in data.values()):
        return "workflow-jobs"
    if isinstance(data, dict) and {"apiVersion", "containers", "services", "jobs", "image"} & set(data):
        return "manifest"
    if isinstance(data, dict) and set(data) <= set(_config_keys()):
        return "pinlint-config"
    return "unknown"


def _config_keys() -> list[str]:
    schema = json.loads((ROOT / "pinlint/schemas/config.schema.json").read_text("utf-8"))
    return list(schema["properties"])


YAML_BLOCKS = list(doc_blocks("yaml"))


def _ids() -> list[str]:
    return [f"{doc}:{line}" for doc, line, _ in YAML_BLOCKS]


@pytest.mark.parametrize("doc, line, text", YAML_BLOCKS, ids=_ids())
def test_every_yaml_snippet_is_what_it_claims_to_be(doc: str, line: int, text: str) -> None:
    data = _load(text)
    kind = _classify(text, data)
    where = f"{doc}:{line}"
    if kind == "github-workflow":
        assert _errors(_vendored("github-workflows.json"), data) == [], where
        for job in data["jobs"].values():
            for step in job["steps"]:
                assert "pip install pinlint" not in str(step), f"{where}: pinlint is not on PyPI"
                uses = str(step.get("uses", ""))
                assert uses.startswith("./") or re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", uses) or not uses, (where, uses)
    elif kind == "workflow-steps":
        workflow = {"on": "push", "jobs": {"j": {"runs-on": "ubuntu-latest", "steps": data}}}
        assert _errors(_vendored("github-workflows.json"), workflow) == [], where
    elif kind == "workflow-jobs":
        assert _errors(_vendored("github-workflows.json"), {"on": "push", "jobs": data}) == [], where
    elif kind == "azure-pipeline":
        # Azure Pipelines reads every scalar as a string (its schema spells booleans as patterns)
        as_strings = YAML(typ="base", pure=True).load(text)
        assert _errors(_vendored("azure-pipelines.json"), as_strings) == [], where
        assert "pip install pinlint" not in text, f"{where}: pinlint is not on PyPI"
    elif kind == "pre-commit":
        from pre_commit.clientlib import load_config

        tmp = ROOT / ".pytest-precommit-snippet.yaml"
        try:
            tmp.write_text(text, encoding="utf-8")
            load_config(str(tmp))
        finally:
            tmp.unlink(missing_ok=True)
    elif kind == "pinlint-config":
        configmod.from_bytes(text.encode(), where, known_rules=_known_rules())  # raises on any problem
    elif kind == "manifest":
        assert isinstance(data, dict)
    else:
        pytest.fail(f"{where}: a YAML snippet no test knows how to check:\n{text}")


def _known_rules() -> list[str]:
    from pinlint import rulebook

    return [key for r in rulebook.load() for key in (r.id, r.name)]


def test_the_action_is_a_valid_action() -> None:
    assert _errors(_vendored("github-actions.json"), _load((ROOT / "action.yml").read_text("utf-8"))) == []


def test_every_kind_of_snippet_is_there() -> None:
    kinds = {_classify(text, _load(text)) for _, _, text in YAML_BLOCKS}
    assert {"github-workflow", "workflow-steps", "azure-pipeline", "pre-commit", "pinlint-config"} <= kinds


def _run(*argv: str) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(list(argv)) == 0
    return out.getvalue()


def test_docs_rules_is_up_to_date() -> None:
    """Regenerate with ``pinlint rules --format markdown > docs/rules.md``."""
    assert (ROOT / "docs/rules.md").read_text("utf-8") == _run("rules", "--format", "markdown")


def test_docs_rules_has_every_rule_with_its_examples() -> None:
    from pinlint import rulebook

    text = (ROOT / "docs/rules.md").read_text("utf-8")
    for rule in rulebook.load():
        assert f"## {rule.id} {rule.name}\n" in text
        assert f"](#{rule.id.lower()}-{rule.name})" in text
        for example in rulebook.examples().get(rule.id, []):
            if example.get("bad"):
                assert example["bad"].rstrip() in text


def _schema_paths(node: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> Iterator[str]:
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):
        node = defs[ref.rsplit("/", 1)[1]]
    for key, sub in node.get("properties", {}).items():
        path = f"{prefix}{key}"
        yield path
        yield from _schema_paths(sub, defs, path + ".")
    items = node.get("items")
    if isinstance(items, dict) and prefix:
        yield from _schema_paths(items, defs, prefix[:-1] + "[].")


def test_docs_configuration_names_every_key_of_the_schema() -> None:
    text = (ROOT / "docs/configuration.md").read_text("utf-8")
    schema = json.loads((ROOT / "pinlint/schemas/config.schema.json").read_text("utf-8"))
    paths = list(_schema_paths(schema, schema.get("$defs", {})))
    assert len(paths) > 20
    for path in paths:
        assert f"`{path}`" in text, f"docs/configuration.md does not describe {path}"
    locator = json.loads((ROOT / "pinlint/schemas/locator.schema.json").read_text("utf-8"))
    for path in _schema_paths(locator, locator.get("$defs", {})):
        assert f"`{path}`" in text, f"docs/configuration.md does not describe locator key {path}"


def test_docs_configuration_defaults_are_the_code_defaults() -> None:
    text = (ROOT / "docs/configuration.md").read_text("utf-8")
    reg = configmod.RegistryConfig()
    for key, value in [("connect-timeout", reg.connect_timeout), ("read-timeout", reg.read_timeout),
                       ("budget", reg.budget), ("connections-per-host", reg.connections_per_host),
                       ("tag-cache-ttl", reg.tag_cache_ttl)]:
        assert f"| `registries.{key}` | `{value:g}` |" in text, key
    limits = configmod.LimitsConfig()
    assert f"| `limits.max-file-size` | `{limits.max_file_size}` |" in text
    assert f"| `limits.max-depth` | `{limits.max_depth}` |" in text
    assert f"| `limits.max-alias-nodes` | `{limits.max_alias_nodes}` |" in text
    assert f"| `fix.style` | `{configmod.FixConfig().style}` |" in text


def _report_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_run("schema", "report"))
    return data


def test_schema_subcommand_prints_a_schema_an_editor_can_use_alone(tmp_path: Path) -> None:
    """The README's editor recipe: ``pinlint schema > .pinlint.schema.json`` is one self-contained file
    that accepts every config snippet of the docs and rejects what pinlint rejects, locators included."""
    assert _run("schema", "config") == _run("schema")
    assert json.loads(_run("schema", "report")) == json.loads(
        importlib.resources.files("pinlint.schemas").joinpath("report.schema.json").read_text("utf-8"))
    (tmp_path / ".pinlint.schema.json").write_text(_run("schema"))
    text = (tmp_path / ".pinlint.schema.json").read_text()
    assert re.findall(r'"\$ref": "(?!#/)', text) == []  # no reference to another file
    schema = json.loads(text)
    configs = [(f"{d}:{n}", _load(t)) for d, n, t in YAML_BLOCKS if _classify(t, _load(t)) == "pinlint-config"]
    assert len(configs) >= 3
    for where, data in configs:
        assert _errors(schema, data) == [], where
    bad_locator = {"locators": [{"id": "Upper", "match": {"kind": "X"}, "images": ["spec.image"]}]}
    assert _errors(schema, bad_locator)
    with pytest.raises(configmod.ConfigError):
        configmod.from_data(bad_locator, "test")
    good_locator = {"locators": [{"id": "ok", "match": {"kind": "X"}, "images": ["spec.steps[].image"]}]}
    assert _errors(schema, good_locator) == []
    configmod.from_data(good_locator, "test")


def test_the_documented_report_example_matches_the_schema() -> None:
    [example] = [t for d, _, t in doc_blocks("json") if d == "docs/json-report.md"]
    assert _errors(_report_schema(), json.loads(example)) == []


def test_docs_json_report_describes_every_field() -> None:
    text = (ROOT / "docs/json-report.md").read_text("utf-8")
    schema = _report_schema()
    for part in ("finding", "ref", "summary"):
        for key in schema["$defs"][part]["properties"]:
            assert f"`{key}`" in text, (part, key)


def _lint_json(*args: str, cwd: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "pinlint", *args, "--format", "json", "--no-progress"],
                          cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_reports_pinlint_writes_match_the_schema(tmp_path: Path) -> None:
    schema = _report_schema()
    lint = _lint_json("--offline", "examples", cwd=ROOT)
    assert lint["findings"] and lint["refs"] and any("object" in f for f in lint["findings"])
    assert _errors(schema, lint) == []
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: 'nginx\n")
    (tmp_path / "Dockerfile").write_text("FROM nginx\n")
    broken = _lint_json("--offline", ".", cwd=tmp_path)
    assert {f["rule"] for f in broken["findings"]} == {"PIN001", "PIN900"}
    assert [f["ref"] for f in broken["findings"] if f["rule"] == "PIN900"] == [None]
    assert _errors(schema, broken) == []
    refs = subprocess.run([sys.executable, "-m", "pinlint", "refs", "--format", "json", "examples"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    assert _errors(schema, json.loads(refs.stdout)) == []


def _links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text)


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_no_link_leaves_the_repository_and_every_link_resolves(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text and "SPEC §" not in text and "shared/corpus" not in text
    assert "github.com/acme" not in text and "your-org" not in text
    for link in _links(text):
        assert not re.match(r"[a-z]+:", link), f"{path.name}: {link} leaves the repository"
        target = link.split("#")[0]
        if target:
            assert (path.parent / target).exists(), f"{path.name}: {link} does not exist"
