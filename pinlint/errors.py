"""Errors that end a run with a message instead of a report."""
from __future__ import annotations


class PinlintError(Exception):
    """Base class; ``exit_code`` is what the CLI returns."""

    exit_code = 2


class ConfigError(PinlintError):
    """An invalid ``.pinlint.yaml`` (or user locator): exit 2, message names the key path."""


class WriteError(PinlintError):
    """A file pinlint writes (report, cache entry, fixed file) could not be
    written; the message names it and says why.  The file is left as it was."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason
