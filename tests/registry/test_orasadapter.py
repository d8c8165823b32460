"""What pinlint takes from oras-py (URLs, media types), and the tag listing
pinlint does itself: Link pagination against the real registry, bounded,
through the same budgeted request path as every other look-up."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from faultproxy import Recorder, Rule
from helpers import config, resolver

import pinlint
from pinlint.registry import Unavailable
from pinlint.registry.client import HostClient
from pinlint.registry.orasadapter import MANIFEST_TYPES, OCI_INDEX, RepositoryURLs


def _client(r, address: str) -> HostClient:
    return HostClient(r.endpoint(address), r.session, r.credentials, r.policy, r.state)


@pytest.mark.parametrize("repository", ["app", "library/nginx", "team.a/app", "a/b.c/d-e/f_g"])
def test_repository_urls_follow_the_distribution_api(repository):
    urls = RepositoryURLs("https", "reg.example:5000", repository)
    base = f"https://reg.example:5000/v2/{repository}"
    assert urls.manifest("1.25") == f"{base}/manifests/1.25"
    assert urls.manifest("sha256:" + "a" * 64) == f"{base}/manifests/sha256:{'a' * 64}"
    assert urls.blob("sha256:" + "b" * 64) == f"{base}/blobs/sha256:{'b' * 64}"
    assert urls.tags() == f"{base}/tags/list"
    assert urls.tags(50) == f"{base}/tags/list?n=50"


def test_media_types_are_the_four_a_manifest_request_accepts():
    assert set(MANIFEST_TYPES) == {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
    assert OCI_INDEX == "application/vnd.oci.image.index.v1+json"


def test_only_the_adapter_imports_oras():
    root = Path(pinlint.__file__).parent
    importing = sorted(
        str(path.relative_to(root)) for path in root.rglob("*.py")
        if re.search(r"^\s*(import|from)\s+oras\b", path.read_text(encoding="utf-8"), re.M)
    )
    assert importing == ["registry/orasadapter.py"]


def _paginating_tags_server(tags: list[str], page: int) -> Recorder:
    """The distribution spec's tag pagination (``?n=&last=`` with a ``Link``
    to the next page), which the Debian registry (2.8) does not implement."""
    def answer(request: bytes) -> bytes:
        target = request.split(b" ", 2)[1].decode()
        query = parse_qs(urlsplit(target).query)
        n = int(query.get("n", [page])[0])
        last = query.get("last", [""])[0]
        rest = [t for t in tags if t > last]
        body = json.dumps({"name": "acme/app", "tags": rest[:n]}).encode()
        link = f'Link: </v2/acme/app/tags/list?n={n}&last={rest[n - 1]}>; rel="next"\r\n' if len(rest) > n else ""
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + link.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    return Recorder("127.0.0.1", answer=answer)


def test_tags_are_listed_across_link_pages():
    tags = sorted(f"v{i:03d}" for i in range(7))
    server = _paginating_tags_server(tags, page=3)
    try:
        with resolver(config(insecure=["127.0.0.1"])) as r:
            assert r.list_tags(f"{server.address}/acme/app") == tuple(tags)
        assert len(server.requests) == 3  # 3 + 3 + 1
        assert [req.split(b" ", 2)[1] for req in server.requests] == [
            b"/v2/acme/app/tags/list", b"/v2/acme/app/tags/list?n=3&last=v002",
            b"/v2/acme/app/tags/list?n=3&last=v005"]
        server.requests.clear()
        with resolver(config(insecure=["127.0.0.1"])) as r:
            assert _client(r, server.address).list_tags("acme/app", page_size=5) == tags
        assert len(server.requests) == 2
    finally:
        server.close()


def test_tags_of_the_real_registry(proxy, registry, repo):
    names = [f"t{i}" for i in range(5)]
    for i, tag in enumerate(names):
        registry.pusher.image(repo, tag, content=str(i))
    with resolver(config(insecure=[proxy.address])) as r:
        assert sorted(r.list_tags(f"{proxy.address}/{repo}")) == names
    assert proxy.count("/tags/list") == 1


def test_tag_listing_is_retried_like_any_look_up(proxy, registry, repo):
    registry.pusher.image(repo, "v1")
    proxy.add(Rule("status", match="/tags/list", status=503, times=1))
    with resolver(config(insecure=[proxy.address])) as r:
        assert r.list_tags(f"{proxy.address}/{repo}") == ("v1",)
    assert proxy.count("/tags/list") == 2


def test_tag_listing_refused_is_unavailable_naming_the_host(proxy, registry, repo):
    proxy.add(Rule("status", match="/tags/list", status=403))
    with resolver(config(insecure=[proxy.address])) as r, pytest.raises(Unavailable) as e:
        r.list_tags(f"{proxy.address}/{repo}")
    assert proxy.address in str(e.value) and "HTTP 403" in str(e.value)


def _tags_server(link: str) -> Recorder:
    body = json.dumps({"name": "acme/app", "tags": ["a"]}).encode()
    return Recorder("127.0.0.1", answer=lambda _req: (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Link: <{link}>; rel=\"next\"\r\n".encode()
        + b"Content-Length: %d\r\n\r\n" % len(body) + body))


def test_a_next_page_on_another_host_is_not_followed():
    other = Recorder("127.0.0.1")
    server = _tags_server(f"http://{other.address}/v2/acme/app/tags/list?last=a")
    try:
        with resolver(config(insecure=["127.0.0.1"])) as r, pytest.raises(Unavailable) as e:
            r.list_tags(f"{server.address}/acme/app")
        assert "another host" in str(e.value)
        assert other.accepts == 0 and server.accepts == 1
    finally:
        other.close()
        server.close()


def test_a_next_page_that_loops_is_refused():
    server = _tags_server("/v2/acme/app/tags/list?last=a")
    try:
        with resolver(config(insecure=["127.0.0.1"])) as r, pytest.raises(Unavailable) as e:
            r.list_tags(f"{server.address}/acme/app")
        assert "in a loop" in str(e.value)
        assert server.accepts == 2  # the first page, then its own link once
    finally:
        server.close()


def test_oras_is_within_the_tested_range():
    from importlib.metadata import version

    installed = tuple(int(p) for p in version("oras").split(".")[:3])
    assert (0, 2, 41) <= installed < (0, 3), f"oras {version('oras')} is outside the range pyproject.toml allows"
