"""What can go wrong when consulting a registry.

Every error names the host it is about and reads as a sentence a user can act
on; ``str(error)`` never contains credentials.  Callers map them to rules:
``NotAllowed`` -> PIN012, ``Unavailable`` -> PIN019, ``NotFound`` is an answer
(the registry said 404), not a failure.
"""
from __future__ import annotations


class RegistryError(Exception):
    """Base class: ``host`` is the host as the user wrote it (or the mirror)."""

    def __init__(self, host: str, message: str) -> None:
        super().__init__(message)
        self.host = host
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotAllowed(RegistryError):
    """The host may not be contacted (allow-list, private address)."""


class Unavailable(RegistryError):
    """The registry could not be consulted: unreachable, timed out, refused
    authentication, answered with errors or garbage, or the time budget ran out."""


class NotFound(RegistryError):
    """The registry answered that the manifest, tag or blob does not exist."""


class BlockedAddress(Exception):
    """Raised from inside a connection attempt that would reach an address the
    host policy forbids.  Deliberately not an ``OSError`` so that neither
    urllib3 nor requests retries or wraps it."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to non-public address {address}")
        self.host = host
        self.address = address
