"""Path globs as users write them in ``.pinlint.yaml`` and as the spec
states default file patterns: ``*`` stays within a path component, ``**``
crosses ``/``, a pattern without ``/`` matches a file name at any depth, and
a pattern ending in ``/`` matches everything below that directory.

Patterns may come from untrusted text (a GitLab ``include: local`` in the
pull request under review), so matching never backtracks: a pattern is
compiled into a small NFA whose state set is an ``int`` bitmask, and a path
is read once, left to right, one cached transition per character.  The work
is linear in the path length whatever the pattern (``/*a*a*a*a*a*a*b`` is as
cheap as ``*.yaml``).  ``?`` and ``*`` match any character but ``/`` (a
newline included); ``**`` matches any characters.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

# Token kinds.  ``**/`` is ``(?:.*/)?``: nothing, or anything ending in ``/``.
_LIT, _ONE, _STAR, _DSTAR, _DSLASH = range(5)
_STARS = frozenset((_STAR, _DSTAR, _DSLASH))
_CACHE_BITS = 1 << 26  # state bits the transitions of one pattern may keep (8 MB); cleared when full


def _tokens(pattern: str) -> tuple[bool, list[tuple[int, str]]]:
    anchored = "/" in pattern.rstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    pattern = pattern.lstrip("/")
    out: list[tuple[int, str]] = [] if anchored else [(_DSLASH, "")]
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append((_DSLASH, ""))
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append((_DSTAR, ""))
            i += 2
            continue
        c = pattern[i]
        out.append((_STAR, "") if c == "*" else (_ONE, "") if c == "?" else (_LIT, c))
        i += 1
    return anchored, _simplify(out)


def _merge(a: int, b: int) -> int | None:
    """One token equivalent to ``a`` followed by ``b`` (both star-like), if any."""
    if a == b:
        return a  # .*.* = .*, (?:.*/)?(?:.*/)? = (?:.*/)?, [^/]*[^/]* = [^/]*
    if _DSTAR in (a, b):
        return _DSTAR  # .* absorbs [^/]* and (?:.*/)? on either side
    if (a, b) == (_DSLASH, _STAR):
        return _DSTAR  # (?:.*/)?[^/]* = .*
    return None  # [^/]*(?:.*/)? stays as it is


def _simplify(tokens: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Merge runs of star-like tokens, so that epsilon moves never chain far."""
    out: list[tuple[int, str]] = []
    for tok in tokens:
        if out and tok[0] in _STARS and out[-1][0] in _STARS:
            merged = _merge(out[-1][0], tok[0])
            if merged is not None:
                out[-1] = (merged, "")
                continue
        out.append(tok)
    return out


def _mask(bits: list[int], size: int) -> int:
    if len(bits) < 64:
        return sum(1 << b for b in set(bits))
    buf = bytearray(size // 8 + 1)
    for b in bits:
        buf[b >> 3] |= 1 << (b & 7)
    return int.from_bytes(buf, "little")


class Glob:
    """One compiled pattern.  Bit ``i`` of a state set means "the first ``i``
    NFA states are matched"; the highest bit is the accepting state."""

    __slots__ = ("pattern", "literal", "anchored", "_adv", "_adv_one", "_adv_slash", "_loop_any", "_loop_other",
                 "_eps1", "_eps2", "_accept", "_start", "_min_len", "_rows", "_cached", "_cache_max")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        anchored, tokens = _tokens(pattern)
        self.anchored = anchored
        # A pattern without wildcards is a plain comparison.
        plain = "*" not in pattern and "?" not in pattern and not pattern.endswith("/")
        self.literal: str | None = pattern.lstrip("/") if plain else None
        # Bit positions per role, turned into masks at the end (setting bits one
        # at a time on a growing int would be quadratic in a long pattern).
        adv: dict[str, list[int]] = {}
        adv_one: list[int] = []
        adv_slash: list[int] = []
        loop_any: list[int] = []
        loop_other: list[int] = []
        eps1: list[int] = []
        eps2: list[int] = []
        bit = 0
        for kind, c in tokens:
            if kind == _LIT:
                adv.setdefault(c, []).append(bit)
            elif kind == _ONE:
                adv_one.append(bit)
            elif kind == _STAR:
                loop_other.append(bit)
                eps1.append(bit)
            elif kind == _DSTAR:
                loop_any.append(bit)
                eps1.append(bit)
            else:  # _DSLASH: state A skips the group or enters B; B loops, then leaves on "/"
                eps1.append(bit)
                eps2.append(bit)
                bit += 1
                loop_any.append(bit)
                adv_slash.append(bit)
            bit += 1
        self._adv = {c: _mask(bits, bit) for c, bits in adv.items()}
        self._adv_one = _mask(adv_one, bit)
        self._adv_slash = _mask(adv_slash + adv.get("/", []), bit)
        self._loop_any = _mask(loop_any, bit)
        self._loop_other = _mask(loop_any + loop_other, bit)
        self._eps1 = _mask(eps1, bit)
        self._eps2 = _mask(eps2, bit)
        self._accept = 1 << bit
        self._start = self._closure(1)
        # A path shorter than the characters the pattern names cannot match
        # (this also keeps a huge pattern from costing anything on real paths).
        self._min_len = sum(1 for kind, _ in tokens if kind in (_LIT, _ONE))
        self._rows: dict[int, dict[str, int]] = {}  # the DFA, built as paths need it
        self._cached = 0
        self._cache_max = max(64, _CACHE_BITS // (bit + 1))

    def _closure(self, s: int) -> int:
        eps1, eps2 = self._eps1, self._eps2
        while True:
            n = s | ((s & eps1) << 1) | ((s & eps2) << 2)
            if n == s:
                return s
            s = n

    def _step(self, s: int, c: str) -> int:
        if c == "/":
            t = ((s & self._adv_slash) << 1) | (s & self._loop_any)
        else:
            t = ((s & (self._adv.get(c, 0) | self._adv_one)) << 1) | (s & self._loop_other)
        return self._closure(t)

    def match(self, path: str) -> bool:
        literal = self.literal
        if literal is not None:
            if self.anchored:
                return path == literal
            return path == literal or path.endswith("/" + literal)
        if len(path) < self._min_len:
            return False
        rows = self._rows
        s = self._start
        for c in path:
            row = rows.get(s)
            if row is None:
                if self._cached >= self._cache_max:
                    rows.clear()
                    self._cached = 0
                row = rows[s] = {}
            t = row.get(c)
            if t is None:
                t = row[c] = self._step(s, c)
                self._cached += 1
            s = t
            if not s:
                return False
        return bool(s & self._accept)


@functools.lru_cache(maxsize=512)
def compile_glob(pattern: str) -> Glob:
    return Glob(pattern)


def match(pattern: str, path: str) -> bool:
    """Whether a ``/``-separated relative path matches ``pattern``."""
    return compile_glob(pattern).match(path)


def match_any(patterns: Iterable[str], path: str) -> bool:
    return any(match(p, path) for p in patterns)


class Matcher:
    """Many patterns compiled once (``compile_any``): patterns without
    wildcards are set lookups, so a manifest naming 100,000 literal includes
    costs one lookup per path, not 100,000 comparisons."""

    __slots__ = ("_exact", "_names", "_globs")

    def __init__(self, patterns: Iterable[str]) -> None:
        self._exact: set[str] = set()
        self._names: set[str] = set()
        self._globs: list[Glob] = []
        seen: set[str] = set()
        for pattern in patterns:
            if pattern in seen:
                continue
            seen.add(pattern)
            glob = Glob(pattern)
            if glob.literal is None:
                self._globs.append(glob)
            elif glob.anchored:
                self._exact.add(glob.literal)
            else:
                self._names.add(glob.literal)

    def __bool__(self) -> bool:
        return bool(self._exact or self._names or self._globs)

    def match(self, path: str) -> bool:
        if path in self._exact or (self._names and path.rpartition("/")[2] in self._names):
            return True
        return any(glob.match(path) for glob in self._globs)


def compile_any(patterns: Iterable[str]) -> Matcher:
    return Matcher(patterns)
