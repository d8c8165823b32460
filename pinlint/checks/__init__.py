"""Checks: the code behind the rules in ``rules/*.yaml``.

A check looks at the located references of the whole run and yields
``Hit``s; the engine stamps each hit with its rule's name and configured
severity, applies suppressions and selection, and turns it into a
``Finding``.  A check declares what it needs (``offline``, ``registry`` or
``git``); the engine runs it only when that is available and otherwise lists
its rules as skipped.  What a check may consult is in ``RunContext``: the
typed ``Config`` and the run's shared ``Services``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from pinlint.config import Config
from pinlint.model import Edit, LocatedRef
from pinlint.tree import Tree

if TYPE_CHECKING:
    from pinlint.change import BaseChange
    from pinlint.git import GitRepo
    from pinlint.registry.resolver import Resolver


class Hit(NamedTuple):
    """One rule firing on one reference.  ``fix`` is the reference as it reads
    after ``edits`` (the byte edits ``--fix`` would make); both empty when the
    hit has no fix.  ``severity`` overrides the rule's configured severity for
    this hit (``images[].require-provenance`` makes PIN021 an error)."""

    rule: str
    ref: LocatedRef
    message: str
    fix: str | None = None
    edits: tuple[Edit, ...] = ()
    severity: str | None = None


class Services:
    """What the engine provides to checks, built lazily and shared by all of
    them (and, after the checks, by the fixer): one registry ``Resolver`` with
    its memo, cache and budget; the ``GitRepo`` of the repository (one
    ``cat-file`` process); the ``Tree`` the files come from; and in ``--base``
    mode the ``BaseChange`` under review.

    ``close()`` releases whatever was built; the engine calls it.
    """

    def __init__(
        self,
        config: Config,
        tree: Tree,
        *,
        offline: bool = False,
        root: str | None = None,
        git: GitRepo | None = None,
        change: BaseChange | None = None,
    ) -> None:
        self.config = config
        self.tree = tree
        self.offline = offline
        self.root = root
        self.change = change
        self._resolver: Resolver | None = None
        self._git = git
        self._git_looked = git is not None

    @property
    def git(self) -> GitRepo | None:
        """The repository the run's root is in (opened on first use), or None."""
        if not self._git_looked:
            self._git_looked = True
            if self.root is not None:
                from pinlint.git import GitError, GitRepo

                try:
                    self._git = GitRepo.find(self.root)
                except GitError:
                    self._git = None
        return self._git

    @property
    def resolver(self) -> Resolver:
        """The run's registry resolver (created on first use; never when offline)."""
        if self.offline:
            raise RuntimeError("registry access requested in an offline run")
        if self._resolver is None:
            from pinlint.registry.resolver import Resolver
            from pinlint.registry.settings import from_config

            self._resolver = Resolver(from_config(self.config.registries))
        return self._resolver

    def available(self, need: str) -> str | None:
        """None when ``need`` can be met, else why not (for the skipped list)."""
        if need in ("registry", "git") and self.offline:
            return "--offline"  # the git checks read build-commit evidence from the registry
        if need == "git":
            if not self.config.images and self.change is None:
                # nothing for the git check to judge: do not pay for opening the repository
                return None if self.root and os.path.exists(os.path.join(self.root, ".git")) else (
                    "not in a git repository")
            if self.git is None:
                return "not in a git repository"
        return None

    def close(self) -> None:
        if self._resolver is not None:
            self._resolver.close()
            self._resolver = None
        if self._git is not None:
            self._git.close()
            self._git = None

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RunContext(NamedTuple):
    """What a check may consult."""

    config: Config
    root: str
    services: Services
    jobs: int = 1
    progress: bool = False

    @property
    def fix_style(self) -> str:
        return self.config.fix.style


class Check(NamedTuple):
    name: str
    needs: str  # "offline" | "registry" | "git"
    rules: tuple[str, ...]
    run: Callable[[Sequence[LocatedRef], RunContext], Iterable[Hit]]


# Every check, in the order they run: (module under pinlint.checks, needs, rules).
# Declared here, not read from the modules, so that a run which skips a check
# (``--offline`` skips the registry and git checks) never imports it, nor the
# registry stack or GitPython behind it; tests/test_startup.py checks that this
# table says what each module's ``CHECK`` says.
DECLARED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("offline", "offline", ("PIN001", "PIN002", "PIN003", "PIN004")),
    ("registry", "registry", ("PIN010", "PIN011", "PIN012", "PIN013", "PIN019")),
    ("git", "git", ("PIN020", "PIN021", "PIN030", "PIN031", "PIN032")),
)


def _deferred(module: str) -> Callable[[Sequence[LocatedRef], RunContext], Iterable[Hit]]:
    def run(refs: Sequence[LocatedRef], ctx: RunContext) -> Iterable[Hit]:
        import importlib

        check: Check = importlib.import_module(f"pinlint.checks.{module}").CHECK
        return check.run(refs, ctx)

    run.__qualname__ = f"{module}.run"
    return run


def all_checks() -> list[Check]:
    """Every check, in the order they run; each module is imported when its check runs."""
    return [Check(name, needs, rules, _deferred(name)) for name, needs, rules in DECLARED]
