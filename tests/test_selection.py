"""Rule selection, in-process: flake8's decision table over ids, names and
id prefixes, from the command line and the configuration alike."""
from __future__ import annotations

import pytest

from pinlint import rulebook
from pinlint.config import RulesConfig
from pinlint.errors import ConfigError
from pinlint.selection import decide

RULES = rulebook.load()
DEFAULT_ON = {r.id for r in RULES if r.severity != "off"}


def chosen(select: tuple[str, ...] = (), cli_ignore: tuple[str, ...] = (), **config: object) -> dict[str, str]:
    return decide(RULES, RulesConfig(**config), select, cli_ignore).severity  # type: ignore[arg-type]


def test_defaults_run_every_rule_that_is_not_off() -> None:
    assert set(chosen()) == DEFAULT_ON
    assert "PIN004" not in chosen() and "PIN903" not in chosen()


def test_select_by_prefix_enables_off_rules_at_their_enabled_severity() -> None:
    picked = chosen(select=("PIN00",))
    assert set(picked) == {"PIN001", "PIN002", "PIN003", "PIN004"}
    assert picked["PIN004"] == rulebook.by_key(RULES)["PIN004"].enabled_severity


@pytest.mark.parametrize(
    ("select", "ignore", "runs"),
    [
        pytest.param(("PIN0",), ("PIN001",), False, id="longer-ignore-wins"),
        pytest.param(("PIN001",), ("PIN0",), True, id="longer-select-wins"),
        pytest.param(("mutable-tag",), ("PIN00",), True, id="name-beats-prefix"),
        pytest.param(("PIN001",), ("mutable-tag",), False, id="tie-is-ignored"),
        pytest.param((), ("PIN",), False, id="ignore-everything"),
    ],
)
def test_more_specific_selector_wins(select: tuple[str, ...], ignore: tuple[str, ...], runs: bool) -> None:
    assert ("PIN001" in chosen(select, ignore)) is runs


def test_config_ignore_takes_prefixes_like_the_command_line() -> None:
    picked = chosen(ignore=("PIN01",))
    assert not {"PIN010", "PIN011", "PIN012", "PIN013", "PIN019"} & set(picked)
    assert "PIN001" in picked
    # ... and a more specific --select still brings one back
    assert "PIN012" in chosen(("PIN012",), (), ignore=("PIN01",))


def test_config_severity_overrides_and_off() -> None:
    picked = chosen(severity=(("PIN021", "error"), ("stale-build", "off")))
    assert picked["PIN021"] == "error" and "PIN030" not in picked
    # selected while configured off: it runs at its enabled severity
    assert chosen(("PIN030",), (), severity=(("PIN030", "off"),))["PIN030"] == "error"


def test_per_path_ignores_resolve_prefixes() -> None:
    sel = decide(RULES, RulesConfig(per_path_ignores=(("legacy/**", ("PIN00",)),)))
    assert sel.ignored_at("PIN001", "legacy/app/deploy.yaml")
    assert not sel.ignored_at("PIN001", "apps/deploy.yaml")
    assert not sel.ignored_at("PIN010", "legacy/app/deploy.yaml")


def test_unknown_command_line_rule_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match="unknown rule 'PIN999'"):
        chosen(select=("PIN999",))
