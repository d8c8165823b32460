"""Command line (SPEC §6).  Parses arguments, calls the engine, renders the
report, returns the exit code; no logic of its own.

Exit codes: 0 no error finding; 1 error findings; 2 usage or configuration
error; 3 verification could not complete (the only errors are PIN019).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Iterator, Sequence, TextIO

from pinlint import __version__, engine, rulebook
from pinlint.errors import PinlintError
from pinlint.model import Report

FORMATS = ("text", "json", "sarif", "github", "markdown")
SUBCOMMANDS = ("rules", "explain", "refs")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        _usage_exit(self.prog, message)


def _usage_exit(prog: str, message: str) -> None:
    sys.stderr.write(f"{prog}: error: {message}\n")
    raise SystemExit(2)


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="pinlint",
        description="Lint and verify container-image pinning. Subcommands: "
        "`pinlint rules`, `pinlint explain ID`, `pinlint refs [PATH...]`.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the repository of the cwd)")
    p.add_argument("--fix", action="store_true", help="rewrite fixable references in place")
    p.add_argument("--diff", action="store_true", help="with --fix: print a unified diff, write nothing")
    p.add_argument("--refresh", action="store_true", help="with --fix: also re-pin refs whose tag moved")
    p.add_argument("--offline", action="store_true", help="no registry access; registry rules are skipped")
    p.add_argument("--base", metavar="REF", help="pre-merge mode: judge the change REF..HEAD")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--select", type=_csv, default=(), metavar="RULES", help="only these rules (ids, names, prefixes)")
    p.add_argument("--ignore", type=_csv, default=(), metavar="RULES", help="not these rules")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("--config", metavar="FILE", help="configuration file (default: .pinlint.yaml at the root)")
    p.add_argument("--jobs", "-j", type=int, default=0, metavar="N", help="processes for scanning (default: cores)")
    p.add_argument("--quiet", "-q", action="store_true", help="report only findings, no summary")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--version", action="version", version=f"pinlint {__version__}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return _subcommand(argv[0], argv[1:])
        return _lint(build_parser().parse_args(argv))
    except PinlintError as exc:
        sys.stderr.write(f"pinlint: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("pinlint: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1


def _options(args: argparse.Namespace) -> engine.Options:
    progress = not args.no_progress and sys.stderr.isatty() and not os.environ.get("CI")
    return engine.Options(
        paths=tuple(args.paths),
        config_file=args.config,
        offline=args.offline,
        select=args.select,
        ignore=args.ignore,
        strict=args.strict,
        jobs=args.jobs,
        progress=progress,
    )


def _lint(args: argparse.Namespace) -> int:
    if args.diff and not args.fix:
        _usage_exit("pinlint", "--diff needs --fix")
    if args.refresh and not args.fix:
        _usage_exit("pinlint", "--refresh needs --fix")
    if args.fix or args.base:
        _usage_exit("pinlint", f"{'--fix' if args.fix else '--base'} is not available in this version yet")
    result = engine.run(_options(args))
    _render(result.report, args.format, args.output, args.quiet)
    return exit_code(result.report, args.strict)


def exit_code(report: Report, strict: bool) -> int:
    failing = [f for f in report.findings if f.severity == "error" or (strict and f.severity == "warning")]
    if not failing:
        return 0
    if all(f.rule == "PIN019" for f in failing):
        return 3
    return 1


def _render(report: Report, fmt: str, output: str | None, quiet: bool) -> None:
    from pinlint import reporters

    render = reporters.get(fmt)
    with _open_output(output) as out:
        render(report, out)


@contextlib.contextmanager
def _open_output(output: str | None) -> Iterator[TextIO]:
    if output is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    tmp = f"{output}.pinlint-tmp"
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            yield f
        os.replace(tmp, output)
    except OSError as exc:
        raise PinlintError(f"cannot write {output}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _subcommand(name: str, argv: list[str]) -> int:
    if name == "rules":
        return _rules(argv)
    if name == "explain":
        return _explain(argv)
    return _refs(argv)


def _rules(argv: list[str]) -> int:
    p = _Parser(prog="pinlint rules", description="list every rule")
    p.add_argument("--format", choices=("text", "json"), default="text")
    args = p.parse_args(argv)
    rules = rulebook.load()
    if args.format == "json":
        import json

        print(json.dumps([r._asdict() for r in rules], indent=2))
        return 0
    for r in rules:
        fix = {"yes": "fix", "refresh": "fix --refresh", "no": ""}[r.fix]
        print(f"{r.id}  {r.name:<24} {r.severity:<8} {r.needs:<9} {fix:<14} {r.summary}")
    return 0


def _explain(argv: list[str]) -> int:
    p = _Parser(prog="pinlint explain", description="one rule's documentation")
    p.add_argument("rule", help="rule id or name")
    args = p.parse_args(argv)
    rule = rulebook.by_key(rulebook.load()).get(args.rule) or rulebook.by_key(rulebook.load()).get(args.rule.upper())
    if rule is None:
        sys.stderr.write(f"pinlint explain: unknown rule {args.rule!r} (see `pinlint rules`)\n")
        return 2
    fix = {"yes": "yes (--fix)", "refresh": "yes, with --fix --refresh", "no": "no"}[rule.fix]
    print(f"{rule.id} {rule.name}\n")
    print(f"{rule.summary}\n")
    print(f"Default severity: {rule.severity}    Needs: {rule.needs}    Fixable: {fix}\n")
    print(f"Why\n{_indent(rule.rationale)}\n")
    print(f"What to do\n{_indent(rule.remediation)}")
    for example in rulebook.examples().get(rule.id, []):
        for label in ("bad", "good"):
            if example.get(label):
                print(f"\n{'Flagged' if label == 'bad' else 'Passes'} ({example['path']}):\n{_indent(example[label].rstrip())}")
    return 0


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


def _refs(argv: list[str]) -> int:
    p = _Parser(prog="pinlint refs", description="the inventory of every image reference found, without judging")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", metavar="FILE")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--jobs", "-j", type=int, default=0)
    args = p.parse_args(argv)
    opts = engine.Options(paths=tuple(args.paths), config_file=args.config, offline=True, jobs=args.jobs,
                          select=("PIN900", "PIN901"))
    result = engine.run(opts)
    report = result.report
    if args.format == "json":
        _render(report, "json", args.output, False)
        return 0
    from pinlint.reference import ImageRef, parse

    with _open_output(args.output) as out:
        for ref in report.refs:
            parsed = parse(ref.text)
            state = "templated" if ref.templated else ("pinned" if isinstance(parsed, ImageRef) and parsed.pinned else "")
            out.write(f"{ref.path}:{ref.span.line}:{ref.span.column}\t{ref.kind}\t{ref.text}\t{state}\n".replace("\t\n", "\n"))
        for f in report.findings:
            sys.stderr.write(f"{f.path}:{f.line}:{f.column}: {f.rule} {f.message}\n")
    return 0
