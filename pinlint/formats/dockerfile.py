"""Image references in Dockerfiles and Containerfiles (SPEC §2, ``dockerfile``).

Reported:

- ``FROM [--platform=…] ref [AS name]``: the image token.  Global ``ARG``
  defaults (ARGs before the first ``FROM``) are substituted for ``$NAME``,
  ``${NAME}``, ``${NAME:-word}`` (and ``-``, ``+``, ``:+``, ``?``, ``:?``).
  A substituted reference has ``exact=False``, its ``span`` is the FROM
  token, and when the token is one variable whose value is a literal default
  it has ``fields=(("arg-default", span-of-that-literal),)``: the ``ARG``
  line's default, or the ``word`` of ``${NAME:-word}`` when that is what
  applies.  A variable with no value makes the reference ``templated``.
- ``COPY --from=ref`` and ``RUN --mount=…,from=ref,…``.  Their values are
  not substituted: one holding a variable is ``templated``.
- The BuildKit frontend of a ``# syntax=ref`` parser directive.

Substitution is bounded whatever the file holds.  A value longer than
``MAX_EXPANDED`` (4,096) characters is never built: no registry accepts a
reference that long (a 255-character name, a 128-character tag and a
``sha512`` digest come to about 520), so a ``FROM`` whose token would expand
past it is located as written with ``parsed`` an ``Invalid`` saying so
(PIN003), and 30 doubling ``ARG`` lines cost no more than one.  The text
that substitution builds in one file is capped at ``EXPANSION_BUDGET``
characters (4 MiB); past it the file is refused with ``ExpansionLimit``
(PIN900), so a million ARGs each expanding to 4,000 characters cannot
fill memory either.

Not images: earlier stage names in ``FROM`` (any stage name, case-insensitive,
in ``--from``/``from=``), ``scratch``, numeric stage indexes.

The line structure follows BuildKit's parser (moby/buildkit
``frontend/dockerfile/parser``): escape-token line continuations (``\\`` or
the ``# escape=`` directive), comment and blank lines inside a continued
instruction skipped, heredoc bodies of ``RUN``/``COPY``/``ADD`` skipped,
case-insensitive keywords.  Parser directives are honoured only at the top
of the file, before any blank line, comment or instruction; the ``syntax``
directive is read the way BuildKit's ``DetectSyntax`` reads it (``#`` in
column 1, a ``#!`` first line skipped, the frontend is the value's first
word).

Deliberately not reported: ``ONBUILD`` instructions (their stage names
belong to the child build), ``ADD`` (it has no ``--from`` flag).  A
``--from`` naming a ``--build-context`` cannot be told from an image and is
reported as one.
"""
from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from typing import NamedTuple

from pinlint.formats.edits import PlannedFix, exact_plan, pinned_text
from pinlint.model import Edit, LocatedRef, Span
from pinlint.reference import Invalid, Parsed
from pinlint.sourcetext import SourceText

KIND = "dockerfile"

_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_RE2_SPACE = " \t\n\f\r"  # Go's \s in BuildKit's directive regexp
_FIELD_SPACE = " \t\v\f\r"  # BuildKit's token whitespace between arguments
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_HEREDOC_RE = re.compile(r"(\d*)<<(-?)([^<]*)")
_HEREDOC_KEYWORDS = frozenset({"run", "copy", "add"})
_INDEX_RE = re.compile(r"[+-]?[0-9]+")
_MAX_NESTING = 16  # ${A:-${B:-…}} and quotes deeper than this are not resolved
MAX_EXPANDED = 4096  # characters: longer than any reference a registry accepts
EXPANSION_BUDGET = 4 * 1024 * 1024  # characters substitution may build in one file


class ExpansionLimit(ValueError):
    """Substitution in this file would build more than ``EXPANSION_BUDGET`` characters."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(
            f"ARG substitution builds more than {EXPANSION_BUDGET:,} characters: not read (an expansion bomb?)"
        )
        self.line = line
        self.column = column

ToSource = Callable[[int, int], "tuple[int, int] | None"]


class _Line(NamedTuple):
    start: int  # character offset of the line in the text
    text: str  # without the line break and trailing carriage returns


class _Instruction(NamedTuple):
    """One instruction with its continuation lines joined, as BuildKit joins them."""

    text: str
    starts: tuple[int, ...]  # offset in ``text`` where each physical piece begins
    origins: tuple[int, ...]  # character offset in the file of each piece


class _Word(NamedTuple):
    """A shell word after quote removal and variable substitution."""

    value: str | None  # None: it depends on a variable that has no value
    field: tuple[int, int] | None  # file span of the one literal the value is copied from
    dynamic: bool  # a variable was involved
    overlong: bool = False  # longer than MAX_EXPANDED: set, but not built (value is "")


class _Arg(NamedTuple):
    value: str | None  # None: declared without a default
    field: tuple[int, int] | None
    overlong: bool = False


class _Flag(NamedTuple):
    name: str
    start: int  # the value's range in the instruction text
    end: int


class _Context(NamedTuple):
    path: str
    source: SourceText
    escape: str
    budget: _Budget


class _Budget:
    """The characters substitution may still build in one file."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = EXPANSION_BUDGET


class _OverBudget(Exception):
    pass


_UNSET = _Word(None, None, True)
_OVERLONG = _Word("", None, True, True)


def locate(path: str, source: SourceText) -> list[LocatedRef]:
    """Every image reference in one Dockerfile, in file order."""
    lines = _lines(source.text)
    ctx = _Context(path, source, _escape_token(lines), _Budget())
    refs: list[LocatedRef] = []
    syntax = _syntax_ref(ctx, lines)
    if syntax is not None:
        refs.append(syntax)
    refs.extend(_instruction_refs(ctx, _instructions(lines, ctx.escape)))
    return refs


# -- physical lines and parser directives -------------------------------------


def _lines(text: str) -> list[_Line]:
    out = []
    pos = 0
    for raw in text.split("\n"):
        out.append(_Line(pos, raw.rstrip("\r")))
        pos += len(raw) + 1
    return out


def _directive(body: str) -> tuple[str, int, int] | None:
    """``key=value`` after a directive's ``#``: (lowercased key, value start, value end)."""
    n = len(body)
    i = 0
    if i >= n or not body[i].isascii() or not body[i].isalpha():
        return None
    while i < n and body[i].isascii() and body[i].isalnum():
        i += 1
    key = body[:i].lower()
    while i < n and body[i] in _RE2_SPACE:
        i += 1
    if i >= n or body[i] != "=":
        return None
    i += 1
    while i < n and body[i] in _RE2_SPACE:
        i += 1
    end = len(body.rstrip(_RE2_SPACE))
    if i >= end:
        return None
    return key, i, end


def _escape_token(lines: list[_Line]) -> str:
    """The escape token per BuildKit's parser: directives on the first lines only."""
    escape = "\\"
    seen: set[str] = set()
    for line in lines:
        body = line.text.lstrip()
        if not body.startswith("#"):
            break
        rest = body[1:].lstrip(_RE2_SPACE)
        found = _directive(rest)
        if found is None or found[0] not in _DIRECTIVES or found[0] in seen:
            break
        key, start, end = found
        seen.add(key)
        if key == "escape":
            if rest[start:end] not in ("\\", "`"):
                break  # BuildKit refuses the file; keep the default
            escape = rest[start:end]
    return escape


def _syntax_ref(ctx: _Context, lines: list[_Line]) -> LocatedRef | None:
    """The ``# syntax=`` frontend, found the way BuildKit's ``DetectSyntax`` finds it."""
    seen: set[str] = set()
    first = 1 if lines and lines[0].text.startswith("#!") else 0
    for line in lines[first:]:
        if not line.text.startswith("#"):
            return None
        rest = line.text[1:].lstrip()
        found = _directive(rest)
        if found is None or found[0] not in _DIRECTIVES or found[0] in seen:
            return None
        key, start, end = found
        seen.add(key)
        if key == "syntax":
            value = rest[start:end]
            word = value.split(" ", 1)[0]
            at = line.start + len(line.text) - len(rest) + start
            return _ref(ctx, word, (at, at + len(word)), where="# syntax")
    return None


# -- logical instructions ------------------------------------------------------


def _instructions(lines: list[_Line], escape: str) -> list[_Instruction]:
    out = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        body = line.text.lstrip()
        if not body or body.startswith("#"):
            continue
        body_at = line.start + len(line.text) - len(body)
        body, more = _trim_continuation(body, escape)
        pieces = [(body_at, body)]
        while more and i < n:
            line = lines[i]
            i += 1
            stripped = line.text.lstrip()
            if not stripped or stripped.startswith("#"):
                continue  # comments and blank lines inside a continued instruction
            body, more = _trim_continuation(line.text, escape)
            pieces.append((line.start, body))
        instruction = _join(pieces)
        out.append(instruction)
        i = _skip_heredocs(instruction, lines, i)
    return out


def _trim_continuation(text: str, escape: str) -> tuple[str, bool]:
    """Strip a trailing line-continuation token; an escaped escape token is not one."""
    trimmed = text.rstrip(" \t")
    if trimmed.endswith(escape) and (len(trimmed) == 1 or trimmed[-2] != escape):
        return trimmed[:-1], True
    return text, False


def _join(pieces: list[tuple[int, str]]) -> _Instruction:
    starts, origins, texts = [], [], []
    at = 0
    for origin, text in pieces:
        starts.append(at)
        origins.append(origin)
        texts.append(text)
        at += len(text)
    return _Instruction("".join(texts), tuple(starts), tuple(origins))


def _origin(ins: _Instruction, i: int) -> int:
    k = bisect.bisect_right(ins.starts, i) - 1
    return ins.origins[k] + i - ins.starts[k]


def _source_range(ins: _Instruction, start: int, end: int) -> tuple[int, int, bool]:
    """File span of ``ins.text[start:end]`` and whether it is contiguous in the file."""
    if start >= end:
        at = _origin(ins, start)
        return at, at, True
    first = _origin(ins, start)
    last = _origin(ins, end - 1) + 1
    return first, last, last - first == end - start


def _to_source(ins: _Instruction, base: int) -> ToSource:
    def to_source(start: int, end: int) -> tuple[int, int] | None:
        first, last, contiguous = _source_range(ins, base + start, base + end)
        return (first, last) if contiguous else None

    return to_source


# -- heredocs ------------------------------------------------------------------


def _skip_heredocs(ins: _Instruction, lines: list[_Line], i: int) -> int:
    """Index of the first line after the heredoc bodies the instruction opens."""
    for name, chomp in _heredocs(ins):
        while i < len(lines):
            candidate = lines[i].text
            i += 1
            if (candidate.lstrip("\t") if chomp else candidate) == name:
                break
    return i


def _heredocs(ins: _Instruction) -> list[tuple[str, bool]]:
    text = ins.text
    if "<<" not in text:
        return []
    keyword, at = _keyword(text, 0)
    if keyword == "onbuild":
        keyword, at = _keyword(text, at)
    if keyword not in _HEREDOC_KEYWORDS:
        return []
    _, args_at = _flags(text, at)
    if _is_json_array(text[args_at:]):
        return []
    docs = []
    for start, end in _shell_words(text, 0, "\\"):
        m = _HEREDOC_RE.fullmatch(text, start, end)
        if m and m[3]:
            docs.append((_unquote(m[3]), m[2] == "-"))
    return docs


def _is_json_array(args: str) -> bool:
    """Whether arguments are in exec (JSON) form, where ``<<`` is not a heredoc."""
    if not args.startswith("[") or not args.rstrip().endswith("]"):
        return False
    try:
        value = json.loads(args)
    except (ValueError, RecursionError):  # deeply nested brackets
        return False
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _unquote(word: str) -> str:
    out = []
    quote = ""
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        if quote:
            if ch == quote:
                quote = ""
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(word[i])
        else:
            out.append(ch)
        i += 1
    return "".join(out)


# -- words and flags -----------------------------------------------------------


def _keyword(text: str, at: int) -> tuple[str, int]:
    """The lowercased instruction keyword starting at ``at`` and where its arguments start."""
    n = len(text)
    while at < n and text[at] in _FIELD_SPACE:
        at += 1
    end = at
    while end < n and text[end] not in _FIELD_SPACE:
        end += 1
    return text[at:end].lower(), end


def _shell_words(text: str, at: int, escape: str) -> list[tuple[int, int]]:
    """Ranges of whitespace-separated words, quotes and escapes kept inside a word."""
    words: list[tuple[int, int]] = []
    n = len(text)
    while True:
        while at < n and text[at].isspace():
            at += 1
        if at >= n:
            return words
        end = _word_end(text, at, escape)
        words.append((at, end))
        at = end


def _word_end(text: str, at: int, escape: str) -> int:
    n = len(text)
    quote = ""
    while at < n:
        ch = text[at]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"':
                at += 1
        elif ch.isspace():
            return at
        elif ch in "'\"":
            quote = ch
        elif ch == escape:
            at += 1
        at += 1
    return min(at, n)


def _flags(text: str, at: int) -> tuple[list[_Flag], int]:
    """Leading ``--name[=value]`` flags and the offset where the arguments start."""
    flags: list[_Flag] = []
    n = len(text)
    while True:
        while at < n and text[at].isspace():
            at += 1
        if not text.startswith("--", at):
            return flags, at
        end = _word_end(text, at, "\\")
        if end - at == 2:  # a bare "--" ends the flags
            return flags, end
        eq = text.find("=", at, end)
        if eq < 0:
            flags.append(_Flag(text[at + 2 : end], end, end))
        else:
            flags.append(_Flag(text[at + 2 : eq], eq + 1, end))
        at = end


def _fields(text: str, at: int) -> list[tuple[int, int]]:
    """Ranges of the arguments as BuildKit splits ``FROM``: on whitespace, quotes ignored."""
    out: list[tuple[int, int]] = []
    n = len(text)
    while True:
        while at < n and text[at] in _FIELD_SPACE:
            at += 1
        if at >= n:
            return out
        end = at
        while end < n and text[end] not in _FIELD_SPACE:
            end += 1
        out.append((at, end))
        at = end


# -- variable substitution -----------------------------------------------------


class _Lexer:
    """BuildKit's shell-word processing, reduced to what names an image:
    quotes, the escape token, ``$NAME`` and ``${NAME<op>word}``."""

    def __init__(self, raw: str, env: dict[str, _Arg], escape: str, to_source: ToSource, budget: _Budget) -> None:
        self.raw = raw
        self.env = env
        self.escape = escape
        self.to_source = to_source
        self.budget = budget
        self.i = 0
        self.depth = 0

    def scan(self, stop: str = "", quoted: bool = False) -> _Word:
        if self.depth >= _MAX_NESTING:
            self.i = len(self.raw)
            return _UNSET
        self.depth += 1
        word = self._scan(stop, quoted)
        self.depth -= 1
        return word

    def _scan(self, stop: str, quoted: bool) -> _Word:
        raw, n, escape = self.raw, len(self.raw), self.escape
        pieces: list[_Word] = []
        buf: list[str] = []
        run_start, clean = self.i, True
        while self.i < n:
            ch = raw[self.i]
            if ch == stop:
                break
            if ch == escape and self.i + 1 < n and (not quoted or raw[self.i + 1] in ('"', "$", escape)):
                buf.append(raw[self.i + 1])
                self.i += 2
                clean = False
                continue
            if not ((ch == "$" and self._variable_follows()) or (not quoted and ch in "'\"")):
                buf.append(ch)
                self.i += 1
                continue
            if buf:
                pieces.append(self._literal(buf, run_start, clean))
                buf = []
            pieces.append(self._variable() if ch == "$" else self._quoted(ch))
            run_start, clean = self.i, True
        if buf:
            pieces.append(self._literal(buf, run_start, clean))
        return _concat(pieces, self.budget)

    def _literal(self, buf: list[str], start: int, clean: bool) -> _Word:
        return _Word("".join(buf), self.to_source(start, self.i) if clean else None, False)

    def _quoted(self, quote: str) -> _Word:
        self.i += 1
        if quote == '"':
            word = self.scan('"', quoted=True)
            self.i += 1
            return word
        end = self.raw.find("'", self.i)
        if end < 0:
            end = len(self.raw)
        word = _Word(self.raw[self.i : end], self.to_source(self.i, end), False)
        self.i = end + 1
        return word

    def _variable_follows(self) -> bool:
        nxt = self.raw[self.i + 1 : self.i + 2]
        return nxt == "{" or (nxt != "" and nxt in _NAME_CHARS)

    def _name(self) -> str:
        start = self.i
        while self.i < len(self.raw) and self.raw[self.i] in _NAME_CHARS:
            self.i += 1
        return self.raw[start : self.i]

    def _variable(self) -> _Word:
        self.i += 1  # "$"
        if self.raw[self.i] != "{":
            return self._lookup(self._name())
        self.i += 1
        name = self._name()
        op = self.raw[self.i : self.i + 1]
        if name and op == "}":
            self.i += 1
            return self._lookup(name)
        colon = op == ":"
        if colon:
            self.i += 1
            op = self.raw[self.i : self.i + 1]
        if not name or op not in ("-", "+", "?"):
            return self._unsupported()
        self.i += 1
        word = self.scan("}")
        self.i += 1
        return self._modified(name, colon, op, word)

    def _unsupported(self) -> _Word:
        """Pattern operators and malformed braces: not resolved."""
        end = self.raw.find("}", self.i)
        self.i = len(self.raw) if end < 0 else end + 1
        return _UNSET

    def _lookup(self, name: str) -> _Word:
        arg = self.env.get(name)
        if arg is not None and arg.overlong:
            return _OVERLONG
        if arg is None or arg.value is None:
            return _UNSET
        return _Word(arg.value, arg.field, True)

    def _modified(self, name: str, colon: bool, op: str, word: _Word) -> _Word:
        value = self._lookup(name)
        is_set = value.overlong or (value.value is not None and (value.value != "" or not colon))
        if op == "-":
            return value if is_set else word._replace(dynamic=True)
        if op == "+":
            return word._replace(dynamic=True) if is_set else _Word("", None, True)
        return value if is_set else _UNSET  # "?": an error when unset


def _concat(pieces: list[_Word], budget: _Budget) -> _Word:
    """The pieces of one word joined; a substituted result longer than
    ``MAX_EXPANDED`` is not built, and what is built is charged to ``budget``."""
    if len(pieces) == 1:
        return pieces[0]
    dynamic = any(p.dynamic for p in pieces)
    if any(p.value is None for p in pieces):
        return _Word(None, None, dynamic)
    if not dynamic:  # quotes and escapes of the file's own text: no longer than the token
        return _Word("".join(p.value or "" for p in pieces), None, False)
    if any(p.overlong for p in pieces) or sum(len(p.value or "") for p in pieces) > MAX_EXPANDED:
        return _OVERLONG
    value = "".join(p.value or "" for p in pieces)
    budget.left -= len(value)
    if budget.left < 0:
        raise _OverBudget
    return _Word(value, None, True)


def _expand(ins: _Instruction, start: int, end: int, env: dict[str, _Arg], escape: str, budget: _Budget) -> _Word:
    return _Lexer(ins.text[start:end], env, escape, _to_source(ins, start), budget).scan()


# -- instructions that name images ---------------------------------------------


def _instruction_refs(ctx: _Context, instructions: list[_Instruction]) -> list[LocatedRef]:
    all_stages = _stage_names(instructions)
    earlier: set[str] = set()
    env: dict[str, _Arg] = {}
    stage = 0
    refs: list[LocatedRef | None] = []
    for ins in instructions:
        keyword, at = _keyword(ins.text, 0)
        try:
            if keyword == "arg" and stage == 0:
                _declare(ins, at, env, ctx)
            elif keyword == "from":
                ref, name = _from_ref(ctx, ins, at, env, earlier, stage)
                refs.append(ref)
                if name:
                    earlier.add(name)
                stage += 1
            elif keyword == "copy":
                refs.extend(_copy_refs(ctx, ins, at, all_stages))
            elif keyword == "run":
                refs.extend(_mount_refs(ctx, ins, at, all_stages))
        except _OverBudget:
            raise ExpansionLimit(*ctx.source.position(ins.origins[0])) from None
    return [ref for ref in refs if ref is not None]


def _stage_name(ins: _Instruction, at: int) -> str | None:
    _, at = _flags(ins.text, at)
    args = _fields(ins.text, at)
    if len(args) == 3 and ins.text[args[1][0] : args[1][1]].lower() == "as":
        return ins.text[args[2][0] : args[2][1]].lower()
    return None


def _stage_names(instructions: list[_Instruction]) -> frozenset[str]:
    names = set()
    for ins in instructions:
        keyword, at = _keyword(ins.text, 0)
        if keyword == "from":
            name = _stage_name(ins, at)
            if name:
                names.add(name)
    return frozenset(names)


def _declare(ins: _Instruction, at: int, env: dict[str, _Arg], ctx: _Context) -> None:
    """Record the global ``ARG NAME[=default] …`` of one line, defaults substituted."""
    for start, end in _shell_words(ins.text, at, ctx.escape):
        eq = ins.text.find("=", start, end)
        if eq < 0:
            env[ins.text[start:end]] = _Arg(None, None)
            continue
        word = _expand(ins, eq + 1, end, env, ctx.escape, ctx.budget)
        env[ins.text[start:eq]] = _Arg(word.value, word.field, word.overlong)


def _from_ref(
    ctx: _Context, ins: _Instruction, at: int, env: dict[str, _Arg], earlier: set[str], stage: int
) -> tuple[LocatedRef | None, str | None]:
    name = _stage_name(ins, at)
    _, at = _flags(ins.text, at)
    args = _fields(ins.text, at)
    if not args:
        return None, name
    start, end = args[0]
    where = f"FROM (stage {name or stage})"
    word = _expand(ins, start, end, env, ctx.escape, ctx.budget)
    if word.value is not None and not word.overlong and _is_stage(word.value, earlier):
        return None, name
    return _token_ref(ctx, ins, start, end, word, where), name


def _copy_refs(ctx: _Context, ins: _Instruction, at: int, stages: frozenset[str]) -> list[LocatedRef | None]:
    flags, _ = _flags(ins.text, at)
    return [_from_value_ref(ctx, ins, f.start, f.end, stages, "COPY --from") for f in flags if f.name == "from"]


def _mount_refs(ctx: _Context, ins: _Instruction, at: int, stages: frozenset[str]) -> list[LocatedRef | None]:
    flags, _ = _flags(ins.text, at)
    refs = []
    for flag in flags:
        if flag.name == "mount":
            for start, end in _mount_from_values(ins.text, flag.start, flag.end):
                refs.append(_from_value_ref(ctx, ins, start, end, stages, "RUN --mount from="))
    return refs


def _mount_from_values(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Ranges of the ``from=`` values in a ``--mount`` CSV value."""
    if end - start >= 2 and text[start] in "'\"" and text[end - 1] == text[start]:
        start, end = start + 1, end - 1
    out = []
    at = start
    while at <= end:
        comma = text.find(",", at, end)
        stop = end if comma < 0 else comma
        eq = text.find("=", at, stop)
        if eq >= 0 and text[at:eq].lower() == "from":
            out.append((eq + 1, stop))
        at = stop + 1
    return out


def _from_value_ref(
    ctx: _Context, ins: _Instruction, start: int, end: int, stages: frozenset[str], where: str
) -> LocatedRef | None:
    word = _expand(ins, start, end, {}, "\\", ctx.budget)
    if word.dynamic:
        word = _UNSET  # not substituted: reported as written
    elif not word.value or _INDEX_RE.fullmatch(word.value) or _is_stage(word.value, stages):
        return None
    return _token_ref(ctx, ins, start, end, word, where)


def _is_stage(value: str, stages: set[str] | frozenset[str]) -> bool:
    """Whether a base names a build stage (or the empty ``scratch``), not an image."""
    lowered = value.lower()
    return lowered == "scratch" or lowered in stages


def _token_ref(ctx: _Context, ins: _Instruction, start: int, end: int, word: _Word, where: str) -> LocatedRef:
    """The reference a token names, per how its value came about."""
    first, last, contiguous = _source_range(ins, start, end)
    if word.overlong:
        text = ins.text[start:end]
        reason = f"it expands to more than {MAX_EXPANDED:,} characters, longer than any registry accepts"
        return _ref(ctx, text, (first, last), where, exact=False, parsed=Invalid(text, reason))
    if word.value is None or word.value == "":
        return _ref(ctx, ins.text[start:end], (first, last), where, exact=contiguous, templated=True)
    if not word.dynamic:
        if word.field is not None:
            return _ref(ctx, word.value, word.field, where)
        return _ref(ctx, word.value, (first, last), where, exact=False, fields=_token_end(ctx, last, contiguous))
    if word.field is not None:
        fields: tuple[tuple[str, Span], ...] = (("arg-default", ctx.source.span(*word.field)),)
    else:
        fields = _token_end(ctx, last, contiguous)
    return _ref(ctx, word.value, (first, last), where, exact=False, fields=fields)


def _token_end(ctx: _Context, last: int, contiguous: bool) -> tuple[tuple[str, Span], ...]:
    """Where a digest can be appended to a token built from several ARGs."""
    return (("token-end", ctx.source.span(last, last)),) if contiguous else ()


def plan(ref: LocatedRef, digest: str, style: str, tag: str | None = None) -> PlannedFix | None:
    """Pin where the tag is written: the token itself, the ``ARG`` default
    that holds the whole reference, or (a token assembled from several ARGs,
    ``${REGISTRY}/api:${TAG}``) ``@digest`` appended to the ``FROM`` token."""
    if ref.exact:
        return exact_plan(ref, digest, style, tag)
    text = pinned_text(ref, digest, style, tag)
    if text is None:
        return None
    arg = ref.field("arg-default")
    if arg is not None:
        return PlannedFix(text, (Edit(arg.start, arg.end, text),))
    end = ref.field("token-end")
    if end is None or tag is not None or style == "digest-only" or ref.pinned:
        return None  # the tag lives in an ARG the token only refers to
    return PlannedFix(text, (Edit(end.start, end.end, f"@{digest}"),))


def _ref(
    ctx: _Context,
    text: str,
    span: tuple[int, int],
    where: str,
    *,
    exact: bool = True,
    templated: bool = False,
    fields: tuple[tuple[str, Span], ...] = (),
    parsed: Parsed | None = None,
) -> LocatedRef:
    return LocatedRef(
        path=ctx.path,
        kind=KIND,
        text=text,
        span=ctx.source.span(*span),
        exact=exact,
        templated=templated,
        fields=fields,
        where=where,
        parsed=parsed,
    )
