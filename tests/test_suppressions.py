"""Inline suppressions, in-process: which findings they hide, expiry, and
PIN903 for a suppression that hides nothing."""
from __future__ import annotations

import datetime

import pytest

from pinlint import suppressions
from pinlint.model import Finding
from pinlint.sourcetext import SourceText

TODAY = datetime.date(2026, 12, 1)


def _sups(text: str) -> list:
    return list(suppressions.parse("a.yaml", SourceText.from_bytes(text.encode())))


def _finding(line: int, rule: str = "PIN001", name: str = "mutable-tag") -> Finding:
    return Finding(rule, name, "error", "a.yaml", line, 12, "m")


def test_same_line_and_line_above_by_id_or_name() -> None:
    sups = _sups(
        "# pinlint: ignore[mutable-tag] vendor image\nimage: a\nimage: b  # pinlint: ignore[PIN001]\n\nimage: c\n"
    )
    kept = suppressions.apply([_finding(2), _finding(3), _finding(5)], sups, TODAY)
    assert [f.line for f in kept] == [5]


def test_other_rule_is_not_suppressed() -> None:
    sups = _sups("image: a  # pinlint: ignore[PIN003]\n")
    assert suppressions.apply([_finding(1)], sups, TODAY) == [_finding(1)]


def test_expired_suppression_says_so_and_no_longer_hides() -> None:
    sups = _sups("image: a  # pinlint: ignore[PIN001] until=2026-11-30\n")
    (kept,) = suppressions.apply([_finding(1)], sups, TODAY)
    assert kept.message == "m (suppression expired 2026-11-30)"
    assert suppressions.apply([_finding(1)], _sups("image: a  # pinlint: ignore until=2026-12-01\n"), TODAY) == []


def test_unused_suppression_is_pin903_when_asked() -> None:
    sups = _sups("image: a  # pinlint: ignore[PIN001]\nimage: b  # pinlint: ignore[PIN003]\n")
    out = suppressions.apply([_finding(1)], sups, TODAY, ("PIN903", "unused-suppression", "warning"))
    assert [(f.rule, f.line, f.message) for f in out] == [
        ("PIN903", 2, "suppression of PIN003 suppresses nothing")
    ]
    assert suppressions.apply([_finding(1)], sups, TODAY) == []


def test_a_suppression_of_rules_that_did_not_run_is_not_unused() -> None:
    sups = _sups("image: a  # pinlint: ignore[PIN010]\n"
                 "image: b  # pinlint: ignore[PIN003]\n"
                 "image: c  # pinlint: ignore\n")
    pin903 = ("PIN903", "unused-suppression", "warning")
    judged = frozenset({"PIN003", "invalid-reference", "PIN903", "unused-suppression"})
    out = suppressions.apply([], sups, TODAY, pin903, judged)
    assert [f.line for f in out] == [2, 3]
    assert suppressions.apply([], sups, TODAY, pin903, frozenset({"PIN903", "unused-suppression"})) == []


def test_a_suppression_stays_on_its_line() -> None:
    # a bare "#" at the end of a line is not a suppression because a
    # `pinlint: ignore` key follows on the next line (or after blank lines)
    assert _sups("image: nginx:latest #\npinlint: ignore\n") == []
    assert _sups("image: nginx:latest #\n\n  pinlint:\n    ignore\n") == []
    assert _sups("image: nginx:latest # pinlint:\n  ignore\n") == []
    assert _sups("image: a # pinlint: ignore[PIN003\n]\n") == []


@pytest.mark.parametrize("comment", [
    "# pinlint: ignore [PIN021] the space makes it every rule to a regex",
    "# pinlint: ignore[]",
    "# pinlint: ignore[ , ]",
    "# pinlint: ignore[PIN021",
    "# pinlint: ignore-PIN021",
    "# pinlint: ignored",
    "# pinlint: ignore(PIN021)",
    "# pinlint: ignore[PIN021]x",
])
def test_a_suppression_pinlint_cannot_read_suppresses_nothing(comment: str) -> None:
    sups = _sups(f"image: a  {comment}\n")
    assert suppressions.apply([_finding(1)], sups, TODAY) == [_finding(1)]


@pytest.mark.parametrize("comment", [
    "# pinlint: ignore", "# pinlint:ignore", "#pinlint: ignore[PIN001]", "# pinlint: ignore[PIN001] reason",
    "# pinlint: ignore\treason [OPS-1]", "# pinlint: ignore until=2027-01-01",
])
def test_well_formed_suppressions_still_work(comment: str) -> None:
    for end in ("\n", "\r\n", ""):
        sups = _sups(f"image: a  {comment}{end}")
        assert suppressions.apply([_finding(1)], sups, TODAY) == [], (comment, end)
