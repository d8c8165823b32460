"""Every use pinlint makes of oras-py, in one module.

pinlint reaches oras-py only here, and only through names oras documents
as public: ``oras.container.Container`` (the distribution API's URLs for a
repository's manifests, blobs and tag list) and ``oras.defaults`` (the OCI
and Docker media types).  Nothing else in pinlint imports oras.

oras' ``Registry`` (``oras.provider``) is deliberately not used: every one of
its calls goes through ``Registry.do_request``, which retries five times
sleeping ``2 + 3**n`` seconds, sends no timeout and logs registry error
bodies, so keeping pinlint's timeouts, retry bound and run budget would mean
overriding it and reading its private members.  pinlint sends its own
requests (``client.HostClient``), including the paginated tag listing.

``pyproject.toml`` bounds oras to ``>=0.2.41,<0.3``: 0.2.41 is the first
release with all four manifest media types in ``oras.defaults`` (earlier
ones fail at import), the suite has run against 0.2.41 and 0.2.43, and a
0.3 may change the API.  ``tests/registry/test_orasadapter.py`` pins down
what this module relies on, so an oras that changes it fails there first.
"""
from __future__ import annotations

from typing import Final

import oras.container
import oras.defaults

OCI_MANIFEST: Final[str] = str(oras.defaults.default_manifest_media_type)
OCI_INDEX: Final[str] = str(oras.defaults.default_index_media_type)
DOCKER_MANIFEST: Final[str] = str(oras.defaults.docker_manifest_media_type)
DOCKER_LIST: Final[str] = str(oras.defaults.docker_manifest_list_media_type)
#: what a manifest request accepts: OCI manifest and index, Docker v2 manifest and list
MANIFEST_TYPES: Final[tuple[str, ...]] = tuple(str(t) for t in oras.defaults.default_manifest_accepted_media_types)


class RepositoryURLs:
    """The distribution API URLs of one repository on one host.

    ``host`` is ``host[:port]`` as contacted, ``repository`` the path below
    it (``library/nginx``, ``team.a/app``), ``scheme`` ``https`` or ``http``.
    """

    def __init__(self, scheme: str, host: str, repository: str) -> None:
        namespace, _, name = repository.rpartition("/")
        # Container parses a full reference, and would take a first path
        # component with a dot (``team.a/app``) for a registry; the last
        # component alone parses unambiguously, the rest is set as parsed.
        container = oras.container.Container(name, registry=host)
        container.registry = host
        container.namespace = namespace or None
        container.repository = name
        if container.api_prefix != repository:
            raise ValueError(f"oras builds repository {container.api_prefix!r} for {repository!r}")
        self._container = container
        self._scheme = scheme

    def manifest(self, reference: str) -> str:
        """``…/v2/<repository>/manifests/<tag or digest>``"""
        return f"{self._scheme}://{self._container.manifest_url(reference)}"

    def blob(self, digest: str) -> str:
        """``…/v2/<repository>/blobs/<digest>``"""
        return f"{self._scheme}://{self._container.get_blob_url(digest)}"

    def tags(self, page_size: int | None = None) -> str:
        """``…/v2/<repository>/tags/list`` (``?n=<page_size>`` when given)."""
        return f"{self._scheme}://{self._container.tags_url(N=page_size)}"
