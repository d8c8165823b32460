"""Which host a registry look-up goes to, and whether it may go there at all.

``HostPolicy`` applies ``registries.allow``, ``registries.insecure`` and
``registries.mirrors`` (SPEC §5, §7): mirrors redirect look-ups, listed
insecure hosts are spoken to over plain HTTP, and a host that is, or resolves
to, a loopback, link-local, private or otherwise non-public address is never
contacted unless the configuration names it.  Configuration is trusted (in
``--base`` mode it comes from the base ref); references are not.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import socket
import threading
from collections.abc import Callable
from typing import NamedTuple

from pinlint.registry.settings import Settings

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"

Resolve = Callable[[str, int], list[str]]


class Endpoint(NamedTuple):
    """Where the look-ups for one registry go."""

    registry: str  # the registry as the reference names it (docker.io)
    host: str  # host[:port] actually contacted (a mirror, registry-1.docker.io)
    scheme: str  # "https" or "http"
    mirror: bool = False

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def label(self) -> str:
        """How messages name it: the registry, or the mirror and what it mirrors."""
        if self.mirror:
            return f"{self.host} (mirror of {self.registry})"
        return self.registry


def split_host(hostport: str) -> tuple[str, int | None]:
    """``("::1", 5000)`` for ``[::1]:5000``; the port is None when absent."""
    hostport = hostport.strip().lower()
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif hostport.count(":") == 1:
        host, _, port = hostport.partition(":")
    else:
        host, port = hostport, ""
    return host, int(port) if port.isdigit() else None


def _strip_scheme(value: str) -> tuple[str, str | None]:
    for scheme in ("https", "http"):
        if value.lower().startswith(f"{scheme}://"):
            return value[len(scheme) + 3 :].rstrip("/"), scheme
    return value.rstrip("/"), None


def matches(entry: str, host: str, port: int | None) -> bool:
    """Whether a configured ``host[:port]`` glob names ``host``/``port``.
    An entry without a port names the host on any port."""
    e_host, e_port = split_host(_strip_scheme(entry)[0])
    if e_port is not None and e_port != port:
        return False
    return fnmatch.fnmatchcase(host.lower(), e_host)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: network-specific, maps anywhere
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d (:: and ::1 included)
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")  # deprecated, routed like private space


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, when it embeds one a
    translator or tunnel would deliver to: IPv4-mapped ``::ffff:a.b.c.d``,
    IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::a.b.c.d``, 6to4 ``2002:AABB:CCDD::``."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def non_public(address: str) -> bool:
    """Loopback, link-local (cloud metadata), private, shared, reserved,
    unspecified or multicast: anything that is not a public unicast address.
    An IPv6 address that embeds an IPv4 address (mapped, compatible, NAT64,
    6to4) is judged by the IPv4 address as well; site-local ``fec0::/10`` and
    local-use NAT64 ``64:ff9b:1::/48`` are never public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _SITE_LOCAL or ip in _NAT64_LOCAL:
            return True
        inner = embedded_ipv4(ip)
        if inner is not None:
            return not inner.is_global or inner.is_multicast
    return not ip.is_global or ip.is_multicast


def system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class HostPolicy:
    """Decides endpoints and permissions; thread-safe, memoizes DNS answers."""

    def __init__(self, settings: Settings, resolve: Resolve = system_resolve) -> None:
        self.settings = settings
        self._resolve = resolve
        self._mirrors: dict[str, tuple[str, str | None]] = {}
        for registry, mirror in settings.mirrors:
            self._mirrors[registry.lower()] = _strip_scheme(mirror)
        self._verdicts: dict[tuple[str, bool], str | None] = {}
        self._endpoints: dict[str, Endpoint] = {}
        self._lock = threading.Lock()

    # -- where look-ups go -------------------------------------------------
    def endpoint(self, registry: str) -> Endpoint:
        known = self._endpoints.get(registry)
        if known is None:  # the settings do not change during a run
            known = self._endpoints[registry] = self._endpoint(registry)
        return known

    def _endpoint(self, registry: str) -> Endpoint:
        registry = registry.lower()
        if registry in self._mirrors:
            host, scheme = self._mirrors[registry]
            mirror = True
        else:
            host, scheme = (DOCKER_HUB_API if registry == DOCKER_HUB else registry), None
            mirror = False
        if scheme is None:
            scheme = "http" if self._listed(self.settings.insecure, host) else "https"
        return Endpoint(registry, host, scheme, mirror)

    # -- what may be contacted ---------------------------------------------
    def trusted(self, host: str, port: int | None) -> bool:
        """Whether the configuration names this host, which allows it to be a
        private address (a registry on the office network, a test registry)."""
        candidates = list(self.settings.insecure) + list(self.settings.allow or ())
        candidates += [m for m, _ in self._mirrors.values()]
        return any(matches(entry, host, port) for entry in candidates)

    def _listed(self, entries: tuple[str, ...] | list[str], hostport: str) -> bool:
        host, port = split_host(hostport)
        return any(matches(entry, host, port) for entry in entries)

    def refusal(self, registry: str, *, resolve: bool = True) -> str | None:
        """Why references on ``registry`` may not be looked up (the PIN012
        message), or None when they may.  Resolves the host's name once;
        ``resolve=False`` judges only the allow-list and IP literals (for
        references that will not be looked up, so need no DNS)."""
        key = (registry.lower(), resolve)
        with self._lock:
            if key in self._verdicts:
                return self._verdicts[key]
        verdict = self._decide(key[0], resolve)
        with self._lock:
            self._verdicts[key] = verdict
        return verdict

    def _decide(self, registry: str, resolve: bool) -> str | None:
        allow = self.settings.allow
        if allow is not None:
            permitted = (
                self._listed(allow, registry)
                or self._listed(self.settings.insecure, registry)
                or registry in self._mirrors
                or self._listed([m for m, _ in self._mirrors.values()], registry)
            )
            if not permitted:
                listed = ", ".join(allow) if allow else "nothing"
                return f"registry {registry} is not allowed by registries.allow ({listed})"
        endpoint = self.endpoint(registry)
        host, port = split_host(endpoint.host)
        if self.trusted(host, port):
            return None
        hint = "list it in registries.insecure or registries.allow to contact it"
        if _is_ip(host):
            if non_public(host):
                return f"registry {endpoint.host} is a non-public address; {hint}"
            return None
        if not resolve:
            return None
        try:
            addresses = self._resolve(host, port or (80 if endpoint.scheme == "http" else 443))
        except (OSError, UnicodeError):
            return None  # unresolvable: the look-up fails and says so (PIN019)
        for address in addresses:
            if non_public(address):
                return (
                    f"registry {endpoint.host} resolves to non-public address {address}; {hint}"
                )
        return None
