"""Errors that end a run with a message instead of a report."""
from __future__ import annotations


class PinlintError(Exception):
    """Base class; ``exit_code`` is what the CLI returns."""

    exit_code = 2


class ConfigError(PinlintError):
    """An invalid ``.pinlint.yaml`` (or user locator): exit 2, message names the key path."""
