"""Command line (SPEC §6).  Parses arguments, calls the engine, hands the
report to a reporter, returns the exit code; no logic of its own.

Subcommands: ``lint`` (the default: ``pinlint [PATH ...]`` is ``pinlint lint
[PATH ...]``), ``rules``, ``explain``, ``refs``.  A folder named like a
subcommand is linted with ``pinlint lint rules`` or ``pinlint ./rules``.

Exit codes: 0 no error finding; 1 error findings; 2 usage or configuration
error; 3 verification could not complete (the only errors are PIN019).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn, TextIO

from pinlint import __version__
from pinlint.errors import PinlintError, WriteError
from pinlint.model import Report

FORMATS = ("text", "concise", "json", "sarif", "github", "markdown")
SUBCOMMANDS = ("lint", "rules", "explain", "refs", "schema")


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size()`` says it (the
    ``COLUMNS`` variable, then the terminal, else 80), without importing
    shutil (and with it bz2 and lzma) on every start, as argparse would."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


class _RawDescriptionFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    pass


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, usage_of: argparse.ArgumentParser | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self.usage_of = usage_of

    def format_help(self) -> str:
        if self.usage_of is not None and self.epilog is None:
            # `pinlint --help` is where a newcomer looks first: show what lint takes, not just the
            # commands (made when asked for: formatting it costs every start a millisecond)
            usage = [line.strip() for line in self.usage_of.format_usage().removeprefix("usage: ").splitlines()
                     if line.strip()]
            self.epilog = "lint options (`pinlint lint --help` explains each):\n  " + "\n      ".join(usage)
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        _usage_exit(self.prog, message + self._suggestion(message))

    def _suggestion(self, message: str) -> str:
        """``(did you mean --offline?)`` for a mistyped option or choice."""
        import difflib
        import re

        m = re.search(r"unrecognized arguments: (\S+)", message)
        if m:
            parsers = [self] + [p for a in self._actions if isinstance(a, argparse._SubParsersAction)
                                for p in a.choices.values()]
            options = [o for parser in parsers for action in parser._actions for o in action.option_strings]
            close = difflib.get_close_matches(m[1].split("=", 1)[0], options, n=1)
            return f" (did you mean {close[0]}?)" if close else ""
        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if m:
            choices = re.findall(r"'([^']*)'", m[2]) or [c.strip() for c in m[2].split(",")]
            close = difflib.get_close_matches(m[1], choices, n=1)
            return f" (did you mean {close[0]}?)" if close else ""
        return ""


def _inert(message: str) -> str:
    """A message for stderr: control characters escaped, line breaks kept."""
    from pinlint import inert

    return "\n".join(inert.text(line) for line in message.split("\n"))


def _usage_exit(prog: str, message: str) -> NoReturn:
    sys.stderr.write(f"{prog}: error: {_inert(message)}\n")
    raise SystemExit(2)


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _lint_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the repository of the cwd)")
    p.add_argument("--fix", action="store_true", help="rewrite fixable references in place")
    p.add_argument("--diff", action="store_true", help="with --fix: print a unified diff, write nothing")
    p.add_argument("--refresh", action="store_true", help="with --fix: also re-pin refs whose tag moved")
    p.add_argument("--offline", action="store_true", help="no registry access; the registry and git rules are skipped")
    p.add_argument("--base", metavar="REF",
                   help="pre-merge mode: judge only the files the change REF...HEAD touches, add PIN031, "
                        "read the policy from REF")
    p.add_argument("--policy-from-head", action="store_true",
                   help="with --base: read .pinlint.yaml from the working tree instead of from REF")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--select", type=_csv, default=(), metavar="RULES", help="only these rules (ids, names, prefixes)")
    p.add_argument("--ignore", type=_csv, default=(), metavar="RULES", help="not these rules")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("--config", metavar="FILE", help="configuration file (default: .pinlint.yaml at the root)")
    p.add_argument("--jobs", "-j", type=_jobs, default=0, metavar="N", help="processes for scanning (default: cores)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print only the findings: no summary, no skipped-check notes, no progress bar")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that command's (what a run needs:
    each command's parser costs every start a little)."""
    p = _Parser(
        prog="pinlint",
        description="Lint and verify container-image pinning. `pinlint [PATH ...]` lints "
        "(the same as `pinlint lint [PATH ...]`).",
    )
    p.add_argument("--version", action="version", version=f"pinlint {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    if command in (None, "lint"):
        lint = sub.add_parser("lint", help="lint files and folders (the default command)")
        _lint_arguments(lint)
        p.usage_of = lint  # the lint options, listed under `pinlint --help`
    p.formatter_class = _RawDescriptionFormatter
    if command in (None, "rules"):
        rules = sub.add_parser("rules", help="list every rule")
        rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    if command in (None, "explain"):
        explain = sub.add_parser("explain", help="one rule's documentation")
        explain.add_argument("rule", help="rule id or name")
    if command in (None, "refs"):
        refs = sub.add_parser("refs", help="the inventory of every image reference found, without judging")
        refs.add_argument("paths", nargs="*", metavar="PATH")
        refs.add_argument("--format", choices=("text", "json"), default="text")
        refs.add_argument("--output", metavar="FILE")
        refs.add_argument("--config", metavar="FILE")
        refs.add_argument("--jobs", "-j", type=_jobs, default=0, metavar="N")
        refs.add_argument("--offline", action="store_true",
                          help="accepted for symmetry with lint: refs never contacts a registry")
    if command in (None, "schema"):
        schema = sub.add_parser("schema",
                                help="print a JSON Schema: the .pinlint.yaml config (default) or the JSON report")
        schema.add_argument("which", nargs="?", choices=("config", "report"), default="config")
    return p


def _jobs(text: str) -> int:
    """``--jobs N``: 0 (every core) or more."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (every core) or more, not {n}")
    return n


def _with_command(argv: list[str]) -> list[str]:
    """``lint`` is implied unless a subcommand (or top-level help/version) comes first."""
    if argv and (argv[0] in SUBCOMMANDS or argv[0] in ("-h", "--help", "--version")):
        return argv
    return ["lint", *argv]


# A lint's result, kept alive past ``main`` when the process is about to end
# (``main(keep=True)``, from ``console.run``): freeing a large run's report
# object by object took 30 ms, for memory the exit gives back at once.
_KEPT: list[object] = []


def main(argv: Sequence[str] | None = None, keep: bool = False) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        argv = _with_command(args_list)
        args = build_parser(argv[0] if argv and argv[0] in SUBCOMMANDS else None).parse_args(argv)
        if args.command == "rules":
            return _rules(args)
        if args.command == "explain":
            return _explain(args)
        if args.command == "refs":
            return _refs(args)
        if args.command == "schema":
            return _schema(args)
        return _lint(args, keep)
    except PinlintError as exc:
        sys.stderr.write(f"pinlint: {_inert(str(exc))}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("pinlint: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1


def _lint(args: argparse.Namespace, keep: bool = False) -> int:
    from pinlint import engine

    if args.diff and not args.fix:
        _usage_exit("pinlint", "--diff needs --fix")
    if args.refresh and not args.fix:
        _usage_exit("pinlint", "--refresh needs --fix")
    if args.fix and args.offline:
        _usage_exit("pinlint", "--fix needs the registry to look digests up; it cannot run with --offline")
    if args.policy_from_head and not args.base:
        _usage_exit("pinlint", "--policy-from-head needs --base")
    misplaced = next((p for p in args.paths if p in SUBCOMMANDS and not os.path.lexists(p)), None)
    if misplaced is not None:  # `pinlint --offline refs`: lint was implied, the command read as a path
        raise PinlintError(f"{misplaced}: no such file or folder (a command comes first: "
                           f"`pinlint {misplaced} …`, then its options)")
    if args.policy_from_head:
        sys.stderr.write(f"pinlint: --policy-from-head: the policy comes from the working tree (HEAD), "
                         f"not from {args.base}; the change under review can weaken its own gate\n")
    progress = not (args.no_progress or args.quiet) and sys.stderr.isatty() and not os.environ.get("CI")
    opts = engine.Options(
        paths=tuple(args.paths),
        config_file=args.config,
        offline=args.offline,
        select=args.select,
        ignore=args.ignore,
        strict=args.strict,
        jobs=args.jobs,
        progress=progress,
        base=args.base,
        policy_from_head=args.policy_from_head,
        fix=args.fix,
        refresh=args.refresh,
        diff=args.diff,
        context=args.format == "text",
    )
    from pinlint.gcpolicy import collect_less

    with collect_less():
        result = engine.run(opts)
        if args.diff:
            sys.stdout.write(result.diff)
            sys.stdout.flush()
            if args.output:
                _render(result.report, args.format, args.output, args.quiet, result.root)
        else:
            _render(result.report, args.format, args.output, args.quiet, result.root)
    if keep:
        _KEPT.append(result)
    return exit_code(result.report, args.strict)


def exit_code(report: Report, strict: bool) -> int:
    """0 clean; 3 when verification could not complete for everything that
    fails (PIN019 findings, and findings at a reference that also has one:
    the registry could not be consulted to judge or fix it); else 1."""
    failing = [f for f in report.findings if f.severity == "error" or (strict and f.severity == "warning")]
    if not failing:
        return 0
    blocked = {(f.path, f.line, f.column) for f in report.findings if f.rule == "PIN019"}
    if all(f.rule == "PIN019" or (f.path, f.line, f.column) in blocked for f in failing):
        return 3
    return 1


def _render(report: Report, fmt: str, output: str | None, quiet: bool, root: str) -> None:
    from pinlint import reporters

    render = reporters.get(fmt)
    try:
        with _open_output(output, root) as out:
            render(report, out, quiet=quiet)
    except BrokenPipeError:
        raise  # the reader went away (`| head`): main ends quietly
    except OSError as exc:
        if output is not None:
            raise
        raise WriteError("the report to stdout", exc.strerror or str(exc)) from None


@contextlib.contextmanager
def _open_output(output: str | None, root: str) -> Iterator[TextIO]:
    """stdout, or ``output`` written through the atomic writer: a uniquely
    named temporary file in the same folder, renamed over the target.  A
    symlink at the target is replaced, never followed (a pull request can
    plant one in the repository), and inside the repository the folder may
    not lead out of it."""
    if output is None:
        if sys.stdout is None:
            raise WriteError("the report to stdout", "stdout is closed")
        yield sys.stdout
        sys.stdout.flush()
        return
    from pinlint.atomicwrite import open_text

    target = os.path.abspath(output)
    inside = target.startswith(os.path.abspath(root) + os.sep)
    with open_text(target, root=root if inside else None, follow_symlinks=False) as out:
        yield out


def _rules(args: argparse.Namespace) -> int:
    from pinlint import rulebook
    from pinlint.reporters import catalog

    if args.format == "markdown":
        catalog.rules_markdown(rulebook.load(), rulebook.examples(), sys.stdout)
    else:
        (catalog.rules_json if args.format == "json" else catalog.rules_table)(rulebook.load(), sys.stdout)
    return 0


def _schema(args: argparse.Namespace) -> int:
    """The shipped schema's bytes, for an editor's YAML language server or a consumer of the report."""
    import json

    from pinlint import schemas

    sys.stdout.write(json.dumps(schemas.standalone(args.which), indent=2) + "\n")
    return 0


def _explain(args: argparse.Namespace) -> int:
    from pinlint import rulebook
    from pinlint.reporters import catalog

    keys = rulebook.by_key(rulebook.load())
    rule = keys.get(args.rule) or keys.get(args.rule.upper())
    if rule is None:
        sys.stderr.write(f"pinlint explain: unknown rule {args.rule!r} (see `pinlint rules`)\n")
        return 2
    catalog.explain(rule, rulebook.examples().get(rule.id, []), sys.stdout)
    return 0


def _refs(args: argparse.Namespace) -> int:
    from pinlint import engine
    from pinlint.reporters import catalog

    opts = engine.Options(paths=tuple(args.paths), config_file=args.config, offline=True, jobs=args.jobs,
                          select=("PIN900", "PIN901"))
    result = engine.run(opts)
    report = result.report
    if args.format == "json":
        _render(report, "json", args.output, False, result.root)
        return 0
    with _open_output(args.output, result.root) as out:
        catalog.inventory(report.refs, out)
    for f in report.findings:
        sys.stderr.write(_inert(f"{f.path}:{f.line}:{f.column}: {f.rule} {f.message}") + "\n")
    return 0
