"""One lint run: discover -> scan -> checks -> findings -> report.

The engine knows nothing about formats or registries.  It loads the policy
and the rule catalog, builds the run's ``Services`` (and closes them), runs
every check whose needs are available (listing the rules of the others as
skipped), stamps hits with their rule's name and effective severity, applies
per-path ignores and inline suppressions, and sorts.  Selection lives in
``selection``, suppressions in ``suppressions``, GitLab includes in
``includes``, what references take from other files (Helm appVersion, Azure
container aliases) in ``crossfile``.
"""
from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from pinlint import config as configmod
from pinlint import crossfile, gcpolicy, includes, rulebook, selection, suppressions
from pinlint.checks import Check, Hit, RunContext, Services, all_checks
from pinlint.config import Config
from pinlint.discovery import Candidate, discover, find_root
from pinlint.errors import ConfigError
from pinlint.formats import Classifier
from pinlint.locators import Locator, compile_all
from pinlint.model import Change, FileProblem, Finding, LocatedRef, Report, RuleInfo, ScannedFile, Summary
from pinlint.scan import ScanSettings, Streamed, scan
from pinlint.selection import Selection
from pinlint.tree import Tree, WorkTree
from pinlint.yamldoc import Limits

if TYPE_CHECKING:
    from pinlint.change import BaseChange
    from pinlint.git import GitRepo


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
    context: bool = False  # give findings their source line (text reports)
    base: str | None = None  # --base REF: judge the change REF...HEAD
    policy_from_head: bool = False  # --policy-from-head: the working tree's policy even with --base
    fix: bool = False  # --fix: rewrite what can be fixed (needs the registry)
    refresh: bool = False  # --refresh: also re-pin PIN011/PIN013
    diff: bool = False  # --diff: describe the fixes, write nothing
    # hash every file scanned (ScannedFile.sha256), as --fix does: for a caller
    # that hands the run's findings to fixer.apply itself
    digests: bool = False


def compile_locators(cfg: Config) -> list[Locator]:
    return compile_all(cfg.locators)


def known_rule_keys(rules: Sequence[RuleInfo]) -> set[str]:
    return set(rulebook.by_key(tuple(rules)))


def load_settings(root: str, config_file: str | None) -> tuple[Config, tuple[RuleInfo, ...]]:
    """The policy from the working tree: ``--config FILE`` as given (the
    command line is trusted), else ``.pinlint.yaml`` at the root, which is not
    read when it is a symlink leading out of the repository."""
    rules = rulebook.load()
    path = config_file
    if path is None:
        path = configmod.find(root)
        if path is not None:
            real, base = os.path.realpath(path), os.path.realpath(root)
            if os.path.commonpath([real, base]) != base:
                raise ConfigError(f"invalid config: {os.path.basename(path)} is a symlink leading out of the "
                                  "repository: not read")
    return configmod.load(path, known_rule_keys(rules)), rules


def base_policy(root: str, base: Tree, config_file: str | None, rules: Sequence[RuleInfo]) -> Config:
    """The policy as the base ref has it (``--base``): a pull request cannot
    weaken its own gate.  ``--config FILE`` names the file inside the
    repository; the base ref's version of it is read.  Defaults when the base
    has none."""
    if config_file is not None:
        rel = os.path.relpath(os.path.abspath(config_file), root).replace(os.sep, "/")
        if rel.startswith("../"):
            raise ConfigError(f"--config {config_file}: with --base the policy is read from the base ref, "
                              "so it must be a file inside the repository (or add --policy-from-head)")
        names: tuple[str, ...] = (rel,)
    else:
        names = configmod.CONFIG_NAMES
    for name in names:
        try:
            data = base.read(name, configmod.MAX_CONFIG_BYTES)
        except ValueError:
            raise ConfigError(f"invalid config: {base.label}:{name}: larger than "
                              f"{configmod.MAX_CONFIG_BYTES // 1024} KB") from None
        if data is not None:
            return configmod.from_bytes(data, f"{base.label}:{name}", known_rule_keys(rules))
    return Config()


def _open_change(root: str, base: str) -> tuple[GitRepo, BaseChange]:
    from pinlint.change import BaseChange
    from pinlint.git import GitError, GitRepo, UnknownCommit

    try:
        repo = GitRepo.find(root)
    except GitError as e:
        raise ConfigError(f"--base {base}: {e}") from None
    if repo is None:
        raise ConfigError(f"--base {base}: {root} is not in a git repository")
    if repo.resolve(base) is None:
        repo.close()
        raise ConfigError(f"--base {base}: no such commit, branch or tag in {repo.root or repo.git_dir} "
                          "(in CI, fetch it: actions/checkout fetch-depth: 0)")
    try:
        return repo, BaseChange.between(repo, base)
    except (GitError, UnknownCommit) as e:
        repo.close()
        raise ConfigError(f"--base {base}: {e}") from None


class Run(NamedTuple):
    root: str
    config: Config
    rules: tuple[RuleInfo, ...]
    report: Report
    scanned: tuple[ScannedFile, ...]  # per file: refs, problems and the hash of the bytes read
    diff: str = ""  # with --fix: the unified diff of what was (or, with --diff, would be) rewritten


def run(opts: Options) -> Run:
    missing = [p for p in opts.paths if not os.path.lexists(p)]
    if missing:  # a typo in a CI job must not go green
        raise ConfigError(f"{missing[0]}: no such file or folder")
    start = opts.paths[0] if opts.paths else os.getcwd()
    root = find_root(start)
    repo, change = _open_change(root, opts.base) if opts.base else (None, None)
    try:
        rules = rulebook.load()
        if change is not None and not opts.policy_from_head:
            cfg = base_policy(root, change.merge_base, opts.config_file, rules)
        else:
            cfg, rules = load_settings(root, opts.config_file)
    except BaseException:
        if repo is not None:
            repo.close()
        raise
    tree = WorkTree(root)
    jobs = opts.jobs or os.cpu_count() or 1
    with Services(cfg, tree, offline=opts.offline, root=root, git=repo, change=change) as services:
        chosen = selection.decide(rules, cfg.rules, opts.select, opts.ignore)
        scanned, problems, files, settings = _scan(root, tree, cfg, opts, change)
        refs = [ref for f in scanned for ref in f.refs]
        ctx = RunContext(cfg, root, services, jobs, opts.progress)
        judged = [ref for ref in refs if not ref.built]  # images the repository builds are listed, not judged
        hits, skipped = run_checks(all_checks(), judged, ctx, chosen)
        if services.available("registry") is None:
            from pinlint import fixplan

            hits = [h for h in fixplan.plan(hits, ctx) if h.rule in chosen.severity]
    problems += [p for f in scanned for p in f.problems]
    findings = to_findings(hits, problems, rules, chosen)
    pin903 = rulebook.by_key(rules)["PIN903"]
    unused = (pin903.id, pin903.name, chosen.severity[pin903.id]) if pin903.id in chosen.severity else None
    sups = [s for f in scanned for s in f.suppressions]
    before = len(findings)
    ran = frozenset(key for r in rules if r.id in chosen.severity and r.id not in skipped for key in (r.id, r.name))
    findings = suppressions.apply(findings, sups, opts.today or datetime.date.today(), unused, ran)
    suppressed = before - sum(1 for f in findings if f.rule != "PIN903")
    findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
    changes: tuple[Change, ...] = ()
    diff = ""
    if opts.fix:
        from pinlint import fixer
        from pinlint.formats import kubernetes_keywords

        fixed = fixer.apply(findings, scanned, root, settings, kubernetes_keywords(settings.locators),
                            refresh=opts.refresh, write=not opts.diff)
        findings, changes, diff = list(fixed.findings), fixed.changes, fixed.diff
    if opts.context:
        findings = _with_source_lines(findings, tree, cfg.limits.max_file_size)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    summary = Summary(files, len(refs), errors, warnings, tuple(skipped), len(changes) if opts.fix else None,
                      suppressed)
    refs.sort(key=lambda r: (r.path, r.span.line, r.span.column))
    report = Report(tuple(findings), tuple(refs), summary, rules, root, changes)
    return Run(root, cfg, rules, report, tuple(scanned), diff)


MAX_SOURCE_LINE = 1000  # characters of a source line shown under a finding; a longer line is not shown


def _with_source_lines(findings: list[Finding], tree: Tree, max_size: int) -> list[Finding]:
    """Each finding with the text of its line, each file read once."""
    lines: dict[str, list[str]] = {}
    out = []
    for f in findings:
        if f.path not in lines:
            try:
                data = tree.read(f.path, max_size)
            except (OSError, ValueError):
                data = None
            text = data.decode("utf-8", "replace").removeprefix("\ufeff") if data else ""
            lines[f.path] = text.split("\n")
        file_lines = lines[f.path]
        line = file_lines[f.line - 1].rstrip("\r") if 0 < f.line <= len(file_lines) else ""
        # a one-line file of thousands of references would be echoed once per finding: no excerpt then
        out.append(f._replace(source_line=line if len(line) <= MAX_SOURCE_LINE else ""))
    return out


def _scan(
    root: str, tree: Tree, cfg: Config, opts: Options, change: BaseChange | None
) -> tuple[list[ScannedFile], list[FileProblem], int, ScanSettings]:
    classifier = Classifier(root, {kind: list(patterns) for kind, patterns in cfg.kinds})
    paths = opts.paths or (root,)
    lim = cfg.limits
    limits = Limits(lim.max_depth, lim.max_alias_nodes)
    settings = ScanSettings(tuple(compile_locators(cfg)), limits, lim.max_file_size, digests=opts.fix or opts.digests)
    jobs = opts.jobs or os.cpu_count() or 1
    if len(paths) == 1 and os.path.isdir(paths[0]) and not os.path.islink(paths[0]):
        # One folder walked (a CI run): files are scanned as the walk finds them.
        with gcpolicy.collect_less():
            streamed = Streamed(settings, jobs)

            def take(c: Candidate) -> None:
                if change is None or change.judged(c.relpath):  # --base: only what the change touches
                    streamed.add(c)

            found = includes.Streamed(tree, lim.max_file_size, limits, take)
            try:
                _, problems = discover(root, paths, classifier, list(cfg.exclude), list(cfg.include), found)
                scanned: list[ScannedFile] | None = sorted(streamed.finish(), key=lambda f: f.path)
            finally:
                streamed.close()
        candidates = sorted(found.found)
    else:
        candidates, problems = discover(root, paths, classifier, list(cfg.exclude), list(cfg.include))
        candidates = includes.classify(tree, candidates, lim.max_file_size, limits)
        scanned = None
    everything = candidates if [os.path.abspath(p) for p in paths] == [os.path.abspath(root)] else None
    if change is not None:  # --base: only the files the change touches are judged
        candidates = [c for c in candidates if change.judged(c.relpath)]
        problems = [p for p in problems if change.judged(p.path)]
    if scanned is None:
        scanned = scan(candidates, settings, jobs)

    def azure_files() -> list[str]:
        """Every Azure Pipelines file of the repository (walked for only when
        the run was given less than the whole repository)."""
        found = everything
        if found is None:
            found, _ = discover(root, (root,), classifier, list(cfg.exclude), list(cfg.include))
        return [c.relpath for c in found if c.kind == "azure-pipelines"]

    cross = crossfile.gather(tree, scanned, azure_files, lim.max_file_size, limits)
    if cross.app_versions or cross.azure_aliases:
        settings = settings._replace(cross=cross)  # the fixer re-locates with the same facts
        scanned = crossfile.apply_all(scanned, cross)
    return scanned, problems, len(candidates) + len(problems), settings


def run_checks(
    checks: Iterable[Check], refs: list[LocatedRef], ctx: RunContext, chosen: Selection
) -> tuple[list[Hit], list[str]]:
    """Every check whose rules are selected and whose needs are available;
    the selected rules of the others are returned as skipped."""
    hits: list[Hit] = []
    skipped: list[str] = []
    for check in checks:
        wanted = [r for r in check.rules if r in chosen.severity]
        if not wanted:
            continue
        if ctx.services.available(check.needs) is not None:
            skipped.extend(wanted)
            continue
        hits.extend(h for h in check.run(refs, ctx) if h.rule in chosen.severity)
    return hits, sorted(set(skipped))


def to_findings(
    hits: Iterable[Hit], problems: Iterable[FileProblem], rules: Sequence[RuleInfo], chosen: Selection
) -> list[Finding]:
    info = {r.id: r for r in rules}
    out = []
    for hit in hits:
        ref = hit.ref
        stamped = hit.severity or chosen.severity[hit.rule]
        out.append(Finding(hit.rule, info[hit.rule].name, stamped, ref.path, ref.span.line,
                           ref.span.column, hit.message, ref, hit.fix, hit.edits))
    for p in problems:
        level = chosen.severity.get(p.rule)
        if level:
            out.append(Finding(p.rule, info[p.rule].name, level, p.path, p.line, p.column, p.message))
    return [f for f in out if not chosen.ignored_at(f.rule, f.path)]
