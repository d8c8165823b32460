"""Checks: the code behind the rules in ``rules/*.yaml``.

A check looks at the located references of the whole run and yields
``Hit``s; the engine stamps each hit with its rule's name and configured
severity, applies suppressions and selection, and turns it into a
``Finding``.  A check declares what it needs (``offline``, ``registry`` or
``git``) so the engine can skip it, and say so, when that is unavailable.
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple, Sequence

from pinlint.model import LocatedRef


class Hit(NamedTuple):
    rule: str
    ref: LocatedRef
    message: str
    fix: str | None = None


class Check(NamedTuple):
    name: str
    needs: str  # "offline" | "registry" | "git"
    rules: tuple[str, ...]
    run: Callable[[Sequence[LocatedRef], "RunContext"], Iterable[Hit]]


class RunContext(NamedTuple):
    """What a check may consult.  ``config`` is the validated ``.pinlint.yaml``
    as a plain dict with defaults filled in; ``root`` the repository root."""

    config: dict
    root: str
    offline: bool
    jobs: int
    progress: bool = False
    fix_style: str = "tag-and-digest"


def all_checks() -> list[Check]:
    """Every check, in the order they run.  Explicit, so the list can be grepped."""
    from pinlint.checks import offline, registry

    return [offline.CHECK, registry.CHECK]
