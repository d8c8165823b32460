"""Which rules run, and at what severity: flake8's decision table.

A selector is a rule id (``PIN001``), a rule name (``mutable-tag``) or an id
prefix (``PIN0``, ``PIN01``).  ``--select`` and ``--ignore`` take selectors,
and so do the configuration's ``rules.ignore`` and ``rules.per-path-ignores``.
For each rule:

- when neither list matches it, it runs at its severity (default or
  ``rules.severity``) unless that is ``off``; with a ``--select`` given, a
  rule that no selector matches does not run;
- when only one list matches, that list decides;
- when both match, the more specific selector wins (a name or full id beats
  any prefix, a longer prefix beats a shorter one); on a tie it is ignored.

A selected rule whose severity is ``off`` (by default or by configuration)
runs at its ``enabled-severity``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from pinlint import globs
from pinlint.config import RulesConfig
from pinlint.errors import ConfigError
from pinlint.model import RuleInfo

_EXACT = 10_000  # specificity of a full id or a name


class Selection(NamedTuple):
    """The decision for a run."""

    severity: dict[str, str]  # rule id -> error | warning (absent: not run)
    per_path: tuple[tuple[str, frozenset[str]], ...] = ()  # (glob, rule ids not reported there)

    def ignored_at(self, rule: str, path: str) -> bool:
        return any(rule in ids and globs.match(glob, path) for glob, ids in self.per_path)


def specificity(selector: str, rule: RuleInfo) -> int:
    """How specifically ``selector`` names ``rule``: 0 when it does not."""
    if selector in (rule.id, rule.name):
        return _EXACT
    if selector.startswith("PIN") and rule.id.startswith(selector):
        return len(selector)
    return 0


def matches(selector: str, rules: Sequence[RuleInfo]) -> list[str]:
    """The ids of the rules ``selector`` names."""
    return [r.id for r in rules if specificity(selector, r)]


def _best(selectors: Iterable[str], rule: RuleInfo) -> int:
    return max((specificity(s, rule) for s in selectors), default=0)


def decide(
    rules: Sequence[RuleInfo],
    config: RulesConfig,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> Selection:
    """The selection for ``rules`` given config and command-line selectors.

    Raises ``ConfigError`` for a command-line selector that names no rule
    (configuration keys are checked when the config is validated).
    """
    for s in (*select, *ignore):
        if not matches(s, rules):
            raise ConfigError(f"unknown rule {s!r} (see `pinlint rules`)")
    by_key = {k: r.id for r in rules for k in (r.id, r.name)}
    overrides = {by_key[k]: v for k, v in config.severity if k in by_key}
    ignores = (*config.ignore, *ignore)
    severity: dict[str, str] = {}
    for rule in rules:
        chosen, dropped = _best(select, rule), _best(ignores, rule)
        if select and not chosen:
            continue
        if dropped and dropped >= chosen:
            continue
        level = overrides.get(rule.id, rule.severity)
        if level == "off":
            if not chosen:
                continue
            level = rule.enabled_severity
        severity[rule.id] = level
    per_path = tuple(
        (glob, frozenset(rid for s in ids for rid in matches(s, rules))) for glob, ids in config.per_path_ignores
    )
    return Selection(severity, per_path)
