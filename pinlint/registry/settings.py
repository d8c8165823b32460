"""Registry settings: the ``registries`` subtree of ``.pinlint.yaml`` with
defaults, plus where the cache and docker credentials live."""
from __future__ import annotations

import os
from typing import Mapping, NamedTuple


class Settings(NamedTuple):
    allow: tuple[str, ...] | None = None  # None: any public host
    insecure: tuple[str, ...] = ()
    mirrors: tuple[tuple[str, str], ...] = ()  # (registry, mirror host)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    attempts: int = 3
    max_retry_after: float = 30.0
    budget: float = 120.0  # seconds for the whole run
    connections_per_host: int = 16
    tag_cache_ttl: float = 60.0  # seconds; 0 disables the tag cache
    cache_dir: str | None = None  # None: no on-disk cache
    docker_config_dir: str | None = None  # None: $DOCKER_CONFIG or ~/.docker


def default_cache_dir(env: Mapping[str, str] = os.environ) -> str:
    """``$XDG_CACHE_HOME/pinlint`` (``~/.cache/pinlint`` when unset)."""
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pinlint")


def from_config(config: Mapping | None, env: Mapping[str, str] = os.environ) -> Settings:
    """Settings from the validated config dict (``config["registries"]``)."""
    reg = dict((config or {}).get("registries") or {})
    allow = reg.get("allow")
    cache_enabled = reg.get("cache", True)
    defaults = Settings()
    return Settings(
        allow=None if allow is None else tuple(str(a) for a in allow),
        insecure=tuple(str(h) for h in reg.get("insecure") or ()),
        mirrors=tuple((str(k), str(v)) for k, v in (reg.get("mirrors") or {}).items()),
        connect_timeout=float(reg.get("connect-timeout", defaults.connect_timeout)),
        read_timeout=float(reg.get("read-timeout", defaults.read_timeout)),
        budget=float(reg.get("budget", defaults.budget)),
        connections_per_host=int(reg.get("connections-per-host", defaults.connections_per_host)),
        tag_cache_ttl=float(reg.get("tag-cache-ttl", defaults.tag_cache_ttl)),
        cache_dir=default_cache_dir(env) if cache_enabled else None,
        docker_config_dir=env.get("DOCKER_CONFIG") or None,
    )
