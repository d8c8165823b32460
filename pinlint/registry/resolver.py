"""The registry resolution API: what fix mode, the engine's registry check and
the source-commit checks ask a registry.

    resolver = Resolver.from_config(config)          # or Resolver(settings)
    resolver.resolve_tag(image, "1.25")              # TagInfo(digest, media_type)
    resolver.exists(image, digest)                   # bool
    resolver.manifest(image, digest)                 # Manifest (index or image)
    resolver.image_config(image, digest)             # the config JSON of an image manifest
    resolver.labels(image, digest)                   # config labels
    resolver.list_tags(image)                        # every tag of the repository
    resolver.tags_pointing_at(image, digest, "git-*")
    resolver.run_all(fn, items)                      # fn(resolver, item) concurrently

``image`` is a ``reference.ImageRef`` (or its text).  Every call may raise
``NotAllowed`` (PIN012), ``Unavailable`` (PIN019) or ``NotFound``.  Each
distinct look-up is made once per run however many threads ask for it.

Every answer is proven by bytes (SPEC §7): a digest exists only when the
registry served manifest bytes that hash to it, and the digest a tag names
is the hash of the manifest bytes the tag serves - a ``Docker-Content-Digest``
header proves nothing, and one that differs from the bytes is ``Unavailable``
naming the host.  ``NotFound`` comes only from a server that speaks the
distribution API (an OCI error code in the 404, or ``/v2/`` answering with
``Docker-Distribution-API-Version``); any other 404 is ``Unavailable``: the
host is not an OCI registry.  Only proven, digest-addressed bytes (manifests,
blobs) are cached on disk, and tags for ``tag_cache_ttl`` seconds.
"""
from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, TypeVar

from pinlint import reference
from pinlint.reference import ImageRef
from pinlint.registry import manifests
from pinlint.registry.cache import DiskCache
from pinlint.registry.client import HostClient, Reply, RunState
from pinlint.registry.credentials import DockerCredentials
from pinlint.registry.errors import NotAllowed, NotFound, RegistryError, Unavailable
from pinlint.registry.hosts import Endpoint, HostPolicy
from pinlint.registry.manifests import ACCEPT, BadManifest, Manifest
from pinlint.registry.memo import Memo
from pinlint.registry.netguard import GuardedSession
from pinlint.registry.settings import Settings, from_config

T = TypeVar("T")
R = TypeVar("R")


class TagInfo(NamedTuple):
    digest: str
    media_type: str  # "" when the registry did not say

    @property
    def is_index(self) -> bool:
        return self.media_type in manifests.INDEX_TYPES


def as_image(image: ImageRef | str) -> ImageRef:
    if isinstance(image, ImageRef):
        return image
    parsed = reference.parse(image)
    if not isinstance(parsed, ImageRef):
        raise ValueError(f"not an image reference: {image!r}")
    return parsed


class Resolver:
    def __init__(
        self,
        settings: Settings,
        *,
        credentials: DockerCredentials | None = None,
        policy: HostPolicy | None = None,
        state: RunState | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or HostPolicy(settings)
        self.credentials = credentials or DockerCredentials(settings.docker_config_dir)
        self.state = state or RunState(settings)
        self.cache = DiskCache(settings.cache_dir) if settings.cache_dir else None
        self.session = GuardedSession(
            self.policy,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            pool_size=max(1, settings.connections_per_host),
        )
        self._clients: dict[str, HostClient] = {}
        self._lock = threading.Lock()
        self._memo = Memo()
        self._proven: dict[str, tuple[bytes, str]] = {}  # manifests proven this run, by name@digest

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Resolver:
        return cls(from_config(config))

    def close(self) -> None:
        """Write what the run proved to the on-disk cache; close connections."""
        try:
            if self.cache is not None:
                self.cache.flush()
        finally:
            self.session.close()

    def __enter__(self) -> Resolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # hosts -------------------------------------------------------------------
    def endpoint(self, registry: str) -> Endpoint:
        return self.policy.endpoint(registry)

    def refusal(self, registry: str, *, resolve: bool = True) -> str | None:
        """Why a registry may not be contacted (the PIN012 message), or None."""
        return self.policy.refusal(registry, resolve=resolve)

    def _allowed(self, image: ImageRef | str) -> ImageRef:
        image = as_image(image)
        refusal = self.refusal(image.registry)
        if refusal:
            raise NotAllowed(image.registry, refusal)
        return image

    def _client(self, image: ImageRef) -> HostClient:
        endpoint = self.endpoint(image.registry)
        with self._lock:
            client = self._clients.get(endpoint.host)
            if client is None:
                client = HostClient(endpoint, self.session, self.credentials, self.policy, self.state)
                self._clients[endpoint.host] = client
            return client

    # look-ups ------------------------------------------------------------------
    def resolve_tag(self, image: ImageRef | str, tag: str | None = None, *, fresh: bool = False) -> TagInfo:
        """The digest a tag names now: the hash of the manifest bytes the tag
        serves (one GET), never a header alone.  ``fresh`` skips the tag cache."""
        image = self._allowed(image)
        tag = tag or image.effective_tag or "latest"
        key = f"{image.name}:{tag}"
        if not fresh and self.cache is not None:
            hit = self.cache.get_tag(key, self.settings.tag_cache_ttl)
            if hit is not None:
                return TagInfo(*hit)
        return self._memo.get(("tag", key, fresh), lambda: self._resolve_tag(image, tag, key))

    def _resolve_tag(self, image: ImageRef, tag: str, key: str) -> TagInfo:
        client = self._client(image)
        body, content_type = self._fetch_manifest(client, image, tag, f"tag {tag}")
        digest = manifests.digest_of(body)
        media_type = self._parse(client, digest, body, content_type).media_type
        self._remember(image, digest, body, media_type)
        if self.cache is not None:
            self.cache.put_tag(key, digest, media_type)
        return TagInfo(digest, media_type)

    def exists(self, image: ImageRef | str, digest: str) -> bool:
        """Whether the repository has a manifest with this digest: proven by
        bytes that hash to it (cached, or one GET by digest)."""
        image = self._allowed(image)
        try:
            self._manifest_bytes(image, digest)
        except NotFound:
            return False
        return True

    def same_manifest(self, image: ImageRef | str, known: str, digest: str) -> bool:
        """Whether ``digest`` names the manifest already proven as ``known``
        (the same bytes under another algorithm: a sha512 pin of a tag)."""
        if known == digest:
            return True
        if known.split(":", 1)[0] == digest.split(":", 1)[0]:
            return False
        return manifests.matches_digest(self._manifest_bytes(as_image(image), known)[0], digest)

    def manifest(self, image: ImageRef | str, digest: str) -> Manifest:
        """The manifest or index with this digest, verified against it."""
        image = self._allowed(image)
        body, media_type = self._manifest_bytes(image, digest)
        try:
            return manifests.parse(digest, body, media_type)
        except BadManifest as e:
            label = self.endpoint(image.registry).label
            raise Unavailable(label, f"registry {label} sent an invalid manifest for {digest}: {e}") from None

    def _manifest_bytes(self, image: ImageRef, digest: str) -> tuple[bytes, str]:
        """(bytes, media type) of the manifest ``digest``, proven to hash to it."""
        key = f"{image.name}@{digest}"
        with self._lock:
            proven = self._proven.get(key)
        if proven is not None:
            return proven
        if self.cache is not None:
            hit = self.cache.get_content("manifest", key, digest)
            if hit is not None:
                return hit
        return self._memo.get(("manifest", key), lambda: self._fetch_by_digest(image, digest))

    def _fetch_by_digest(self, image: ImageRef, digest: str) -> tuple[bytes, str]:
        client = self._client(image)
        body, content_type = self._fetch_manifest(client, image, digest, digest)
        media_type = self._parse(client, digest, body, content_type).media_type
        self._remember(image, digest, body, media_type)
        return body, media_type

    def _fetch_manifest(self, client: HostClient, image: ImageRef, reference: str, what: str) -> tuple[bytes, str]:
        """GET a manifest by tag or digest: its bytes and Content-Type.  Bytes
        fetched by digest must hash to it, and a ``Docker-Content-Digest``
        that the bytes do not hash to is refused either way."""
        response = client.request(
            client.manifest_url(image.repository, reference), "GET", headers={"Accept": ACCEPT},
            max_bytes=manifests.MAX_MANIFEST_BYTES,
        )
        self._expect_found(response, client, image, what)
        label = client.endpoint.label
        by_digest = reference.startswith(("sha256:", "sha512:"))
        named = f"{image.name}{'@' if by_digest else ':'}{reference}"
        if by_digest and not manifests.matches_digest(response.content, reference):
            raise Unavailable(label, f"registry {label} sent a manifest for {named} that does not match the digest")
        said = (response.headers.get("Docker-Content-Digest") or "").strip()
        if said and not manifests.matches_digest(response.content, said):
            raise Unavailable(
                label,
                f"registry {label} sent a manifest for {named} whose Docker-Content-Digest "
                f"{_excerpt(said)} differs from the digest of its bytes, "
                f"{manifests.digest_of(response.content)}",
            )
        return response.content, _media_type(response)

    def platform_manifests(self, image: ImageRef | str, digest: str) -> tuple[manifests.Descriptor, ...]:
        """The per-platform manifests of an index; empty for an image manifest."""
        return self.manifest(image, digest).manifests

    def image_config(self, image: ImageRef | str, digest: str) -> dict[str, Any]:
        """The image configuration JSON of the image manifest ``digest``."""
        image = as_image(image)
        found = self.manifest(image, digest)
        if found.config is None:
            raise ValueError(f"{image.name}@{digest} is an index; ask one of its platform manifests")
        blob = self.blob(image, found.config.digest)
        try:
            config = json.loads(blob)
        except ValueError:
            config = None
        if not isinstance(config, dict):
            label = self.endpoint(image.registry).label
            raise Unavailable(label, f"registry {label} sent an image config that is not a JSON object")
        return config

    def labels(self, image: ImageRef | str, digest: str) -> dict[str, str]:
        """The image config's labels (``org.opencontainers.image.revision`` …)."""
        config = self.image_config(image, digest).get("config") or {}
        labels = config.get("Labels") if isinstance(config, dict) else None
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    def blob(self, image: ImageRef | str, digest: str) -> bytes:
        """A blob's bytes (configs; layers are never needed), verified."""
        image = self._allowed(image)
        key = f"{image.name}@{digest}"
        if self.cache is not None:
            hit = self.cache.get_content("blob", key, digest)
            if hit is not None:
                return hit[0]
        return self._memo.get(("blob", key), lambda: self._blob(image, digest, key))

    def _blob(self, image: ImageRef, digest: str, key: str) -> bytes:
        client = self._client(image)
        response = client.request(client.blob_url(image.repository, digest), "GET")
        self._expect_found(response, client, image, digest)
        if not manifests.matches_digest(response.content, digest):
            raise Unavailable(
                client.endpoint.label,
                f"registry {client.endpoint.label} sent a blob for {image.name}@{digest} "
                "that does not match the digest",
            )
        if self.cache is not None:
            self.cache.put_content("blob", key, response.content, "")
        return response.content

    def list_tags(self, image: ImageRef | str) -> tuple[str, ...]:
        """Every tag of the repository (follows ``Link`` pagination, bounded)."""
        image = self._allowed(image)
        return self._memo.get(("tags", image.name), lambda: self._list_tags(image))

    def _list_tags(self, image: ImageRef) -> tuple[str, ...]:
        return tuple(self._client(image).list_tags(image.repository))

    def tags_pointing_at(self, image: ImageRef | str, digest: str, pattern: str = "*") -> tuple[str, ...]:
        """Tags matching the glob ``pattern`` (``git-*``) that resolve to ``digest``."""
        image = as_image(image)
        candidates = [t for t in self.list_tags(image) if fnmatch.fnmatchcase(t, pattern)]
        results = self.run_all(lambda r, tag: r.resolve_tag(image, tag).digest, candidates,
                               workers=min(len(candidates), 8) or 1)
        for result in results:
            if isinstance(result, RegistryError) and not isinstance(result, NotFound):
                raise result
        return tuple(t for t, d in zip(candidates, results, strict=True) if d == digest)

    # concurrency -------------------------------------------------------------------
    def run_all(
        self,
        fn: Callable[[Resolver, T], R],
        items: Iterable[T],
        *,
        on_done: Callable[[], None] | None = None,
        workers: int | None = None,
    ) -> list[R | BaseException]:
        """``fn(self, item)`` for every item, concurrently; the result list
        holds each return value or the exception it raised, in item order.
        Per-host connection limits apply underneath."""
        todo = list(items)
        if not todo:
            return []
        workers = workers or min(len(todo), 64)

        def call(item: T) -> R | BaseException:
            try:
                return fn(self, item)
            except Exception as e:  # handed back to the caller, never lost
                return e
            finally:
                if on_done is not None:
                    on_done()

        if workers <= 1:
            return [call(item) for item in todo]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pinlint-registry") as pool:
            return list(pool.map(call, todo))

    # helpers -------------------------------------------------------------------------
    def _expect_found(self, response: Reply, client: HostClient, image: ImageRef, what: str) -> None:
        status = response.status_code
        label = client.endpoint.label
        if status == 200:
            return
        if status == 404:
            if client.speaks_distribution(response):
                raise NotFound(label, f"{what} not found in {image.name}")
            raise Unavailable(
                label,
                f"{label} is not an OCI registry: it answered HTTP 404 for {what} in {image.name} "
                "without a distribution API error, and /v2/ does not answer with "
                "Docker-Distribution-API-Version",
            )
        if status in (401, 403):
            raise Unavailable(label, self._auth_message(client, image, status))
        raise Unavailable(label, f"registry {label} answered HTTP {status} for {image.name} ({what})")

    def _auth_message(self, client: HostClient, image: ImageRef, status: int) -> str:
        label = client.endpoint.label
        cred = client.auth.credential
        if cred is None:
            how = f"no credentials for {client.endpoint.host} in {self.credentials.path}"
        else:
            how = f"the credentials from {cred.source} were refused"
        return f"registry {label} refused access to {image.name} (HTTP {status}): {how}"

    def _parse(self, client: HostClient, digest: str, body: bytes, content_type: str) -> Manifest:
        try:
            return manifests.parse(digest, body, content_type)
        except BadManifest as e:
            label = client.endpoint.label
            raise Unavailable(label, f"registry {label} sent an invalid manifest for {digest}: {e}") from None

    def _remember(self, image: ImageRef, digest: str, body: bytes, media_type: str) -> None:
        """Keep manifest bytes proven to hash to ``digest``: for this run, and on disk."""
        key = f"{image.name}@{digest}"
        with self._lock:
            self._proven[key] = (body, media_type)
        if self.cache is not None:
            self.cache.put_content("manifest", key, body, media_type)


def _media_type(response: Reply) -> str:
    return (response.headers.get("Content-Type") or "").split(";", 1)[0].strip()


def _excerpt(text: str, limit: int = 80) -> str:
    """A registry's header value as a message may quote it: short, printable."""
    text = "".join(c if c.isprintable() else "?" for c in text[: limit + 1])
    return repr(text if len(text) <= limit else text[:limit] + "…")


__all__ = ["Resolver", "TagInfo", "RegistryError", "NotAllowed", "NotFound", "Unavailable"]
