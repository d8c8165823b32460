"""Push real images to a real registry through the OCI distribution API.

Plain HTTP from the test side (the helper, not pinlint): monolithic blob
uploads (POST then PUT ?digest=), manifests and indexes by tag or digest.
Every image gets a real config (with labels) and a real gzip layer, so
digests are what docker would compute for the same bytes.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from typing import NamedTuple

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Pushed(NamedTuple):
    digest: str
    media_type: str
    body: bytes
    config_digest: str | None = None


def _layer(content: str) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = content.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


class Pusher:
    def __init__(self, base_url: str, auth: tuple[str, str] | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        if auth:
            self.session.auth = auth

    def blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        head = self.session.head(f"{self.base}/v2/{repo}/blobs/{digest}", timeout=10)
        if head.status_code == 200:
            return digest
        start = self.session.post(f"{self.base}/v2/{repo}/blobs/uploads/", timeout=10)
        start.raise_for_status()
        location = start.headers["Location"]
        if location.startswith("/"):
            location = self.base + location
        sep = "&" if "?" in location else "?"
        put = self.session.put(
            f"{location}{sep}digest={digest}", data=data,
            headers={"Content-Type": "application/octet-stream"}, timeout=10,
        )
        put.raise_for_status()
        return digest

    def manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        r = self.session.put(
            f"{self.base}/v2/{repo}/manifests/{reference}", data=body,
            headers={"Content-Type": media_type}, timeout=10,
        )
        r.raise_for_status()
        digest = sha256(body)
        assert r.headers.get("Docker-Content-Digest", digest) == digest
        return digest

    def image(
        self,
        repo: str,
        tag: str | None = None,
        *,
        content: str = "hello",
        labels: dict | None = None,
        annotations: dict | None = None,
        arch: str = "amd64",
        docker: bool = False,
    ) -> Pushed:
        """Push one image (config + layer + manifest); tag it when ``tag``."""
        layer = _layer(content)
        layer_digest = self.blob(repo, layer)
        config = json.dumps({
            "architecture": arch, "os": "linux",
            "config": {"Labels": labels or {}},
            "rootfs": {"type": "layers", "diff_ids": [sha256(gzip.decompress(layer))]},
        }, sort_keys=True).encode()
        config_digest = self.blob(repo, config)
        media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
        doc: dict = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {"mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                       "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": DOCKER_LAYER if docker else OCI_LAYER,
                        "digest": layer_digest, "size": len(layer)}],
        }
        if annotations:
            doc["annotations"] = annotations
        body = json.dumps(doc, indent=2).encode()
        digest = self.manifest(repo, tag or sha256(body), body, media_type)
        return Pushed(digest, media_type, body, config_digest)

    def index(
        self,
        repo: str,
        tag: str | None,
        platforms: dict[str, Pushed],
        *,
        docker: bool = False,
        annotations: dict | None = None,
    ) -> Pushed:
        """Push a multi-platform index (OCI) or manifest list (Docker) over
        already pushed platform manifests keyed ``"linux/arm64"``."""
        media_type = DOCKER_LIST if docker else OCI_INDEX
        entries = []
        for platform, pushed in platforms.items():
            os_, arch, *variant = platform.split("/")
            p = {"os": os_, "architecture": arch}
            if variant:
                p["variant"] = variant[0]
            entries.append({"mediaType": pushed.media_type, "digest": pushed.digest,
                            "size": len(pushed.body), "platform": p})
        doc: dict = {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
        if annotations:
            doc["annotations"] = annotations
        body = json.dumps(doc, indent=2).encode()
        digest = self.manifest(repo, tag or sha256(body), body, media_type)
        return Pushed(digest, media_type, body)

    def multiarch(
        self, repo: str, tag: str, *, docker: bool = False, content: str = "multi"
    ) -> tuple[Pushed, dict[str, Pushed]]:
        platforms = {
            "linux/amd64": self.image(repo, content=f"{content}-amd64", arch="amd64", docker=docker),
            "linux/arm64/v8": self.image(repo, content=f"{content}-arm64", arch="arm64", docker=docker),
        }
        return self.index(repo, tag, platforms, docker=docker), platforms
