"""One lint run: discover -> scan -> checks -> findings -> report.

The engine knows nothing about formats or registries: it runs every check
whose needs are met (and lists the rules of the others as skipped), stamps
hits with their rule's name and effective severity, applies suppressions and
selection, and sorts.
"""
from __future__ import annotations

import datetime
import os
from typing import Iterable, NamedTuple, Sequence

from pinlint import config as configmod
from pinlint import globs, rulebook, suppressions
from pinlint.checks import Check, Hit, RunContext, all_checks
from pinlint.discovery import Candidate, discover, find_root
from pinlint.errors import ConfigError
from pinlint.formats import Classifier, gitlab_ci
from pinlint.locators import Locator, compile_locator
from pinlint.model import FileProblem, Finding, LocatedRef, Report, RuleInfo, ScannedFile, Summary
from pinlint.scan import ScanSettings, scan
from pinlint.sourcetext import DecodeError, SourceText
from pinlint.yamldoc import Limits, YamlError, load_all

# Rules of the spec that later checks will raise; config may name them already.
RESERVED_RULES = {
    "PIN020": "source-mismatch",
    "PIN021": "provenance-missing",
    "PIN030": "stale-build",
    "PIN031": "pin-with-source-change",
    "PIN032": "unknown-build-commit",
}


class Options(NamedTuple):
    paths: tuple[str, ...] = ()
    config_file: str | None = None
    offline: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    strict: bool = False
    jobs: int = 0
    progress: bool = False
    today: datetime.date | None = None


class Selection(NamedTuple):
    """Which rules run, and at what severity."""

    severity: dict[str, str]  # rule id -> error | warning (absent: not run)
    per_path: dict[str, tuple[str, ...]]  # glob -> rule ids not reported there


def builtin_locators() -> list[dict]:
    from ruamel.yaml import YAML

    folder = os.path.join(rulebook.default_rules_dir(), "locators")
    out: list[dict] = []
    yaml = YAML(typ="safe", pure=True)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".yaml"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                out.extend(yaml.load(f)["locators"])
    return out


def known_rule_keys(rules: Sequence[RuleInfo]) -> set[str]:
    return set(rulebook.by_key(tuple(rules))) | set(RESERVED_RULES) | set(RESERVED_RULES.values())


def load_settings(root: str, config_file: str | None) -> tuple[dict, tuple[RuleInfo, ...]]:
    rules = rulebook.load()
    path = config_file or configmod.find(root)
    cfg = configmod.load(path, known_rule_keys(rules))
    return cfg, rules


def select(rules: Sequence[RuleInfo], cfg: dict, opts: Options) -> Selection:
    resolve = _resolver(rules)
    severity: dict[str, str] = {}
    overrides = {resolve(k)[0]: v for k, v in cfg["rules"]["severity"].items() if resolve(k)}
    selected = {rid for s in opts.select for rid in _expand(s, rules)}
    for s in opts.select + opts.ignore:
        if not _expand(s, rules):
            raise ConfigError(f"unknown rule {s!r} (see `pinlint rules`)")
    ignored = {rid for s in opts.ignore for rid in _expand(s, rules)}
    ignored |= {rid for s in cfg["rules"]["ignore"] for rid in resolve(s)}
    for rule in rules:
        level = overrides.get(rule.id, rule.severity)
        if opts.select:
            if rule.id not in selected:
                continue
            if level == "off":
                level = rule.enabled_severity
        if level == "off" or rule.id in ignored:
            continue
        severity[rule.id] = level
    per_path = {g: tuple(r for k in ids for r in resolve(k)) for g, ids in cfg["rules"]["per-path-ignores"].items()}
    return Selection(severity, per_path)


def _resolver(rules: Sequence[RuleInfo]):
    keys = rulebook.by_key(tuple(rules))

    def resolve(key: str) -> list[str]:
        rule = keys.get(key)
        return [rule.id] if rule else []

    return resolve


def _expand(selector: str, rules: Sequence[RuleInfo]) -> list[str]:
    """A selector is a rule id, a rule name, or an id prefix (``PIN0``)."""
    return [r.id for r in rules if r.id == selector or r.name == selector or r.id.startswith(selector) and selector.startswith("PIN")]


class Run(NamedTuple):
    root: str
    config: dict
    rules: tuple[RuleInfo, ...]
    scanned: list[ScannedFile]
    report: Report


def run(opts: Options) -> Run:
    start = opts.paths[0] if opts.paths else os.getcwd()
    root = find_root(start)
    cfg, rules = load_settings(root, opts.config_file)
    selection = select(rules, cfg, opts)
    locators = compile_locators(cfg)
    classifier = Classifier(root, cfg["kinds"])
    paths = opts.paths or (root,)
    candidates, discovery_problems = discover(root, paths, classifier, cfg["exclude"], cfg["include"])
    limits = cfg["limits"]
    candidates = _classify_gitlab_includes(root, candidates, limits["max-file-size"])
    settings = ScanSettings(
        tuple(locators), Limits(limits["max-depth"], limits["max-alias-nodes"]), limits["max-file-size"]
    )
    jobs = opts.jobs or os.cpu_count() or 1
    scanned = scan(candidates, settings, jobs)
    refs = [ref for f in scanned for ref in f.refs]
    ctx = RunContext(cfg, root, opts.offline, jobs, opts.progress, cfg["fix"]["style"])
    hits, skipped = run_checks(all_checks(), refs, ctx, selection)
    problems = discovery_problems + [p for f in scanned for p in f.problems]
    findings = to_findings(hits, problems, rules, selection)
    sups = [s for f in scanned for s in f.suppressions]
    findings = apply_suppressions(findings, sups, rules, selection, opts.today or datetime.date.today())
    findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    summary = Summary(len(candidates) + len(discovery_problems), len(refs), errors, warnings, tuple(skipped))
    refs.sort(key=lambda r: (r.path, r.span.line, r.span.column))
    report = Report(tuple(findings), tuple(refs), summary, rules, root)
    return Run(root, cfg, rules, scanned, report)


def compile_locators(cfg: dict) -> list[Locator]:
    return [compile_locator(spec) for spec in builtin_locators() + list(cfg["locators"])]


def _classify_gitlab_includes(root: str, candidates: list[Candidate], max_size: int = 10 * 1024 * 1024) -> list[Candidate]:
    """Files a ``.gitlab-ci.yml`` includes locally are GitLab CI files too.

    The root pipeline is read even when only the included file was named (as
    pre-commit does); a nested ``.gitlab-ci.yml`` (a sub-project, or the
    bundled examples) resolves its includes against its own folder.
    """
    pipelines = {""} | {c.relpath.rpartition("/")[0] for c in candidates if c.relpath.endswith(".gitlab-ci.yml")}
    patterns = [p for folder in sorted(pipelines) for p in _gitlab_includes(root, folder, max_size)]
    if not patterns:
        return candidates
    return [
        c._replace(kind="gitlab-ci")
        if c.kind != "dockerfile" and not c.relpath.endswith(".gitlab-ci.yml") and globs.match_any(patterns, c.relpath)
        else c
        for c in candidates
    ]


def _gitlab_includes(root: str, folder: str, max_size: int) -> list[str]:
    path = os.path.realpath(os.path.join(root, folder, ".gitlab-ci.yml"))
    real_root = os.path.realpath(root)
    try:
        # Same guards as scanning: a regular file inside the repository, within the size limit.
        if not path.startswith(real_root + os.sep) or not os.path.isfile(path) or os.path.getsize(path) > max_size:
            return []
        with open(path, "rb") as f:
            docs = load_all(SourceText.from_bytes(f.read()).text)
    except (OSError, ValueError, DecodeError, YamlError):
        return []  # the file itself is reported when it is scanned
    prefix = f"/{folder}/" if folder else "/"
    return [prefix + p.lstrip("/") for p in gitlab_ci.local_includes(docs)]


def run_checks(checks: Iterable[Check], refs: list[LocatedRef], ctx: RunContext,
               selection: Selection) -> tuple[list[Hit], list[str]]:
    hits: list[Hit] = []
    skipped: list[str] = []
    for check in checks:
        wanted = [r for r in check.rules if r in selection.severity]
        if not wanted:
            continue
        if check.needs == "registry" and ctx.offline:
            skipped.extend(wanted)
            continue
        hits.extend(h for h in check.run(refs, ctx) if h.rule in selection.severity)
    return hits, sorted(skipped)


def to_findings(hits: Iterable[Hit], problems: Iterable[FileProblem], rules: Sequence[RuleInfo],
                selection: Selection) -> list[Finding]:
    info = {r.id: r for r in rules}
    out = []
    for hit in hits:
        ref = hit.ref
        level = selection.severity[hit.rule]
        out.append(Finding(hit.rule, info[hit.rule].name, level, ref.path, ref.span.line, ref.span.column,
                           hit.message, ref.text, hit.fix, ref.span))
    for p in problems:
        level = selection.severity.get(p.rule)
        if level:
            out.append(Finding(p.rule, info[p.rule].name, level, p.path, p.line, p.column, p.message))
    return [f for f in out if not _path_ignored(f, selection)]


def _path_ignored(f: Finding, selection: Selection) -> bool:
    return any(f.rule in ids and globs.match(g, f.path) for g, ids in selection.per_path.items())


def apply_suppressions(findings: list[Finding], sups: list, rules: Sequence[RuleInfo], selection: Selection,
                       today: datetime.date) -> list[Finding]:
    by_file: dict[str, list] = {}
    for s in sups:
        by_file.setdefault(s.path, []).append(s)
    used: set = set()
    out = []
    for f in findings:
        matching = [s for s in by_file.get(f.path, ()) if suppressions.applies(s, f)]
        live = [s for s in matching if not suppressions.expired(s, today)]
        if live:
            used.update(live)
            continue
        if matching:
            f = f._replace(message=f"{f.message} (suppression expired {matching[0].until})")
        out.append(f)
    if "PIN903" in selection.severity:
        name = {r.id: r.name for r in rules}["PIN903"]
        for s in sups:
            if s not in used and not suppressions.expired(s, today):
                what = ", ".join(s.rules) or "every rule"
                out.append(Finding("PIN903", name, selection.severity["PIN903"], s.path, s.line, s.column,
                                   f"suppression of {what} suppresses nothing"))
    return out
