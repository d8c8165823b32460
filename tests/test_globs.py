"""Glob matching (pinlint/globs.py) against a reference implementation, and
its cost on patterns that make a backtracking regex engine explode."""
from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from pinlint import globs


def reference_regex(pattern: str) -> re.Pattern[str]:
    """The translation pinlint used before the NFA matcher (a backtracking
    regex), with DOTALL: ``**`` matches any characters, a newline included."""
    anchored = "/" in pattern.rstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    pattern = pattern.lstrip("/")
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    return re.compile(body + r"\Z" if anchored else r"(?:.*/)?" + body + r"\Z", re.DOTALL)


def reference_match(pattern: str, path: str) -> bool:
    return reference_regex(pattern).match(path) is not None


patterns = st.text(alphabet="ab/*?.", max_size=10)
paths = st.text(alphabet="ab/.\n", max_size=12)


@settings(max_examples=3000, deadline=None)
@given(patterns, paths)
def test_same_answer_as_the_regex_translation(pattern: str, path: str) -> None:
    assert globs.match(pattern, path) == reference_match(pattern, path), (pattern, path)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["*", "**", "**/", "?", "a", "/", "b", "*a", "a*"]), max_size=8),
       st.lists(st.sampled_from(["a", "b", "/", "ab", "a/", "/b", "ba"]), max_size=8))
def test_same_answer_on_wildcard_runs(parts: list[str], segments: list[str]) -> None:
    pattern, path = "".join(parts), "".join(segments)
    assert globs.match(pattern, path) == reference_match(pattern, path), (pattern, path)


def test_known_answers() -> None:
    assert globs.match("*.yaml", "a/b/c.yaml")
    assert not globs.match("/*.yaml", "a/c.yaml")
    assert globs.match("/*.yaml", "c.yaml")
    assert globs.match("deploy/", "x/deploy/a/b.yaml")
    assert globs.match("apps/**/values.yaml", "apps/values.yaml")
    assert globs.match("apps/**/values.yaml", "apps/a/b/values.yaml")
    assert not globs.match("apps/*/values.yaml", "apps/a/b/values.yaml")
    assert globs.match("ci/build.yml", "ci/build.yml")
    assert not globs.match("ci/build.yml", "x/ci/build.yml")
    assert globs.match("build.yml", "x/ci/build.yml")
    assert globs.match("vendor/", "vendor/evil\n.yaml")  # a newline does not stop **
    assert globs.match_any(["x", "*.yml"], "a.yml")
    assert not globs.match_any([], "a.yml")


def test_linear_on_backtracking_bombs() -> None:
    """Patterns that take a backtracking engine exponential (or high
    polynomial) time answer at once, on long paths too."""
    bombs = ["/*a*a*a*a*a*a*a*a*a*a*a*a*b", "*a*a*a*a*a*a*a*a*a*a*a*a*b", "**a**a**a**a**a**a**a**a**a**b",
             "**/**/**/**/**/**/**/**/**/**/x", "/" + "?*" * 40 + "b"]
    path = "a" * 3000
    started = time.monotonic()
    for pattern in bombs:
        assert not globs.match(pattern, path)
        assert not globs.match(pattern, "/".join(["a" * 50] * 60))
    assert time.monotonic() - started < 10  # generous: the regex translation never finishes


def test_huge_pattern_is_linear_in_the_path() -> None:
    pattern = "*a" * 20_000 + "b"
    started = time.monotonic()
    assert not globs.match(pattern, "a" * 2000)
    assert time.monotonic() - started < 20


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.text(alphabet="ab/*?", max_size=6), max_size=5), paths)
def test_compiled_list_matches_like_any_of_its_patterns(pattern_list: list[str], path: str) -> None:
    assert globs.compile_any(pattern_list).match(path) == globs.match_any(pattern_list, path)


def test_many_literal_patterns_cost_a_lookup() -> None:
    matcher = globs.compile_any([f"/ci/job-{i}.yml" for i in range(100_000)] + ["name.yml"])
    started = time.monotonic()
    assert sum(matcher.match(f"ci/job-{i}.yml") for i in range(0, 200_000, 2)) == 50_000
    assert matcher.match("x/y/name.yml") and not matcher.match("x/name.yml.bak")
    assert time.monotonic() - started < 10
