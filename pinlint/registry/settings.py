"""Registry settings: the ``registries`` part of the typed ``Config`` plus
what is not configuration (retry limits, where the cache and docker
credentials live).  Defaults come from ``pinlint.config.RegistryConfig``."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from pinlint.config import Config, RegistryConfig, from_data

_DEFAULT = RegistryConfig()


class Settings(NamedTuple):
    allow: tuple[str, ...] | None = _DEFAULT.allow  # None: any public host
    insecure: tuple[str, ...] = _DEFAULT.insecure
    mirrors: tuple[tuple[str, str], ...] = _DEFAULT.mirrors  # (registry, mirror host)
    connect_timeout: float = _DEFAULT.connect_timeout
    read_timeout: float = _DEFAULT.read_timeout
    attempts: int = 3
    max_retry_after: float = 30.0
    budget: float = _DEFAULT.budget  # seconds for the whole run
    connections_per_host: int = _DEFAULT.connections_per_host
    tag_cache_ttl: float = _DEFAULT.tag_cache_ttl  # seconds; 0 disables the tag cache
    cache_dir: str | None = None  # None: no on-disk cache
    docker_config_dir: str | None = None  # None: $DOCKER_CONFIG or ~/.docker


def default_cache_dir(env: Mapping[str, str] = os.environ) -> str:
    """``$XDG_CACHE_HOME/pinlint`` (``~/.cache/pinlint`` when unset)."""
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pinlint")


def from_config(
    config: RegistryConfig | Config | Mapping[str, Any] | None, env: Mapping[str, str] = os.environ
) -> Settings:
    """Settings from the run's ``Config`` (or its ``registries`` part).  A
    plain mapping is read as the data of a ``.pinlint.yaml`` and validated."""
    if config is None:
        reg = _DEFAULT
    elif isinstance(config, RegistryConfig):
        reg = config
    elif isinstance(config, Config):
        reg = config.registries
    else:
        reg = from_data(dict(config), "<settings>").registries
    return Settings(
        allow=reg.allow,
        insecure=reg.insecure,
        mirrors=reg.mirrors,
        connect_timeout=reg.connect_timeout,
        read_timeout=reg.read_timeout,
        budget=reg.budget,
        connections_per_host=reg.connections_per_host,
        tag_cache_ttl=reg.tag_cache_ttl,
        cache_dir=default_cache_dir(env) if reg.cache else None,
        docker_config_dir=env.get("DOCKER_CONFIG") or None,
    )
