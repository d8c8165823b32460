"""Build-commit evidence against the real local registry, with images pushed
the way docker/metadata-action and ``docker buildx build --provenance=false
--annotation …`` write them: config labels, manifest annotations, index
annotations, platforms, attestation manifests, ``git-<sha>`` tags."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from pushing import OCI_INDEX, Pushed, Pusher
from server import RunningRegistry

from pinlint import reference
from pinlint.evidence import REVISION, Evidence, build_commit
from pinlint.reference import ImageRef
from pinlint.registry import NotAllowed, NotFound, Resolver
from pinlint.registry.settings import from_config

A = "a1" * 20
B = "b2" * 20
C = "c3" * 20


@pytest.fixture
def resolver(registry: RunningRegistry) -> Iterator[Resolver]:
    with Resolver(from_config({"registries": {"insecure": [registry.address]}}, os.environ)) as r:
        yield r


def ref(registry: RunningRegistry, repo: str, digest: str, tag: str | None = None) -> ImageRef:
    parsed = reference.parse(f"{registry.address}/{repo}{':' + tag if tag else ''}@{digest}")
    assert isinstance(parsed, ImageRef)
    return parsed


def rev(commit: str) -> dict[str, str]:
    return {REVISION: commit}


def tag_as(pusher: Pusher, repo: str, tag: str, pushed: Pushed) -> None:
    pusher.manifest(repo, tag, pushed.body, pushed.media_type)


def index_with_attestation(
    pusher: Pusher, repo: str, platforms: dict[str, Pushed], annotations: dict[str, str] | None
) -> Pushed:
    """An index as buildx writes it with provenance on: an ``unknown/unknown``
    attestation manifest beside the platforms (whose revision says nothing)."""
    attestation = pusher.image(repo, content="in-toto", arch="unknown", annotations=rev(C))
    entries = [{"mediaType": p.media_type, "digest": p.digest, "size": len(p.body),
                "platform": {"os": platform.split("/")[0], "architecture": platform.split("/")[1]}}
               for platform, p in platforms.items()]
    entries.append({"mediaType": attestation.media_type, "digest": attestation.digest, "size": len(attestation.body),
                    "platform": {"os": "unknown", "architecture": "unknown"},
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                                    "vnd.docker.reference.digest": entries[0]["digest"]}})
    doc: dict[str, object] = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    if annotations:
        doc["annotations"] = annotations
    body = json.dumps(doc).encode()
    digest = pusher.manifest(repo, "multi", body, OCI_INDEX)
    return Pushed(digest, OCI_INDEX, body)


# --- image manifests -----------------------------------------------------------------------------------


def test_manifest_annotation_first(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, "v1", annotations=rev(A), labels=rev(A))
    found = build_commit(resolver, ref(registry, repo, img.digest))
    assert found == Evidence(A, "manifest annotation")


def test_config_label_as_metadata_action_writes_it(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, "v1", labels={REVISION: A, "org.opencontainers.image.source": "https://x"})
    found = build_commit(resolver, ref(registry, repo, img.digest))
    assert (found.commit, found.source, found.disagreements) == (A, "config label", ())


def test_annotation_and_label_that_disagree(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, annotations=rev(A), labels=rev(B))
    found = build_commit(resolver, ref(registry, repo, img.digest))
    assert found.commit == A  # the annotation comes first
    [message] = found.disagreements
    assert A in message and B in message and "annotation" in message and "label" in message


def test_no_evidence_is_missing_provenance(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, "latest", labels={"maintainer": "x"})
    found = build_commit(resolver, ref(registry, repo, img.digest))
    assert found == Evidence(None, "") and found.missing


def test_a_revision_that_is_not_a_commit_is_noted_not_used(
    registry: RunningRegistry, resolver: Resolver, repo: str
) -> None:
    img = registry.pusher.image(repo, labels=rev("main\x1b[31m"), annotations=rev("  " + A.upper() + "\n"))
    found = build_commit(resolver, ref(registry, repo, img.digest))
    assert found.commit == A  # hex in any case, trimmed
    [note] = found.notes
    assert "'main\\x1b[31m'" in note and "not a commit" in note


def test_short_revision_is_a_prefix(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, labels=rev(A[:7]))
    assert build_commit(resolver, ref(registry, repo, img.digest)).commit == A[:7]


# --- tags -----------------------------------------------------------------------------------------


def test_commit_tag_pointing_at_the_digest(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, f"git-{A}")
    registry.pusher.image(repo, f"git-{B}", content="another build")
    tag_as(registry.pusher, repo, "latest", img)
    found = build_commit(resolver, ref(registry, repo, img.digest))  # digest-only: tags listed
    assert (found.commit, found.source) == (A, f"tag git-{A}")
    own = build_commit(resolver, ref(registry, repo, img.digest, "latest"))  # a tag not of the form
    assert own.commit == A


def test_the_references_own_tag_is_one_lookup_not_a_listing(
    registry: RunningRegistry, resolver: Resolver, repo: str
) -> None:
    img = registry.pusher.image(repo, f"git-{A}")
    for i in range(5):
        registry.pusher.image(repo, f"git-{i:040x}", content=f"other {i}")
    before = resolver.state.requests
    found = build_commit(resolver, ref(registry, repo, img.digest, f"git-{A}"))
    assert (found.commit, found.source) == (A, f"tag git-{A}")
    assert resolver.state.requests - before <= 4  # manifest, config blob, the tag: never five more tags


def test_identical_builds_of_several_commits(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, f"git-{B}")
    tag_as(registry.pusher, repo, f"git-{A}", img)  # same bytes built from another commit
    found = build_commit(resolver, ref(registry, repo, img.digest))
    assert (found.commit, found.also, found.disagreements) == (A, (B,), ())


def test_short_template_tags(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, f"sha-{A[:7]}")
    found = build_commit(resolver, ref(registry, repo, img.digest), tag_template="sha-{short}")
    assert (found.commit, found.source) == (A[:7], f"tag sha-{A[:7]}")
    assert build_commit(resolver, ref(registry, repo, img.digest)).commit is None  # not of the git-{sha} form


def test_reference_tag_against_revision_metadata(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, f"git-{B}", labels=rev(A))
    found = build_commit(resolver, ref(registry, repo, img.digest, f"git-{B}"))
    assert found.commit == A
    [message] = found.disagreements
    assert f"git-{B}" in message and A in message and "config label" in message


def test_reference_tag_that_agrees(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, f"git-{A}", labels=rev(A))
    assert build_commit(resolver, ref(registry, repo, img.digest, f"git-{A}")) == Evidence(A, "config label")
    short = registry.pusher.image(repo, f"sha-{A[:7]}", labels=rev(A), content="s")
    found = build_commit(resolver, ref(registry, repo, short.digest, f"sha-{A[:7]}"), tag_template="sha-{short}")
    assert found == Evidence(A, "config label")


def test_registry_tag_of_the_revision_points_elsewhere(
    registry: RunningRegistry, resolver: Resolver, repo: str
) -> None:
    pinned = registry.pusher.image(repo, labels=rev(A), content="first build of A")
    rebuilt = registry.pusher.image(repo, f"git-{A}", labels=rev(A), content="rebuild of A")
    found = build_commit(resolver, ref(registry, repo, pinned.digest))
    [message] = found.disagreements
    assert f"git-{A}" in message and rebuilt.digest in message and pinned.digest in message
    # the pin's own tag moved: PIN011's finding, not a second PIN020
    assert build_commit(resolver, ref(registry, repo, pinned.digest, f"git-{A}")).disagreements == ()


def test_registry_tag_absent_is_not_a_disagreement(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    img = registry.pusher.image(repo, "v1", labels=rev(A))
    assert build_commit(resolver, ref(registry, repo, img.digest)).disagreements == ()


# --- indexes ------------------------------------------------------------------------------------------------


def test_index_annotation_first(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    amd = registry.pusher.image(repo, content="amd", labels=rev(A))
    arm = registry.pusher.image(repo, content="arm", arch="arm64", labels=rev(A))
    index = registry.pusher.index(repo, f"git-{A}", {"linux/amd64": amd, "linux/arm64": arm}, annotations=rev(A))
    assert build_commit(resolver, ref(registry, repo, index.digest, f"git-{A}")) == Evidence(A, "index annotation")


def test_index_annotation_against_a_platform(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    amd = registry.pusher.image(repo, content="amd", labels=rev(A))
    arm = registry.pusher.image(repo, content="arm", arch="arm64", annotations=rev(B))
    index = registry.pusher.index(repo, None, {"linux/amd64": amd, "linux/arm64": arm}, annotations=rev(A))
    found = build_commit(resolver, ref(registry, repo, index.digest))
    assert found.commit == A
    [message] = found.disagreements
    assert "linux/arm64" in message and B in message and "index annotation" in message


def test_platforms_that_agree(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    amd = registry.pusher.image(repo, content="amd", annotations=rev(A))
    arm = registry.pusher.image(repo, content="arm", arch="arm64", labels=rev(A[:12]))
    index = index_with_attestation(registry.pusher, repo, {"linux/amd64": amd, "linux/arm64": arm}, None)
    found = build_commit(resolver, ref(registry, repo, index.digest))
    # the attestation manifest's own revision (C) is not a platform's
    assert (found.commit, found.disagreements) == (A, ())
    assert found.source == "platform manifests (annotation, label)"


def test_platforms_that_disagree(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    amd = registry.pusher.image(repo, content="amd", labels=rev(A))
    arm = registry.pusher.image(repo, content="arm", arch="arm64", labels=rev(B))
    index = registry.pusher.index(repo, f"git-{A}", {"linux/amd64": amd, "linux/arm64/v8": arm})
    found = build_commit(resolver, ref(registry, repo, index.digest, f"git-{A}"))
    assert found.commit is None and not found.missing
    [message] = found.disagreements
    assert f"linux/amd64 {A}" in message and f"linux/arm64/v8 {B}" in message


def test_platform_pin_inside_the_index_its_revision_tag_names(
    registry: RunningRegistry, resolver: Resolver, repo: str
) -> None:
    labelled = registry.pusher.image(repo, content="amd-l", labels=rev(A))
    registry.pusher.index(repo, f"git-{A}", {"linux/amd64": labelled})
    # pinned to the platform digest of the index that git-<A> names: no PIN020 (PIN013 is the registry check's)
    assert build_commit(resolver, ref(registry, repo, labelled.digest)) == Evidence(A, "config label")


# --- errors and costs ---------------------------------------------------------------------------------------


def test_registry_errors_propagate(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    registry.pusher.image(repo, "v1")
    with pytest.raises(NotFound):
        build_commit(resolver, ref(registry, repo, "sha256:" + "0" * 64))
    with Resolver(from_config({"registries": {"allow": ["ghcr.io"]}}, os.environ)) as strict, pytest.raises(NotAllowed):
        build_commit(strict, ref(registry, repo, "sha256:" + "0" * 64))
    unpinned = reference.parse(f"{registry.address}/{repo}:v1")
    assert isinstance(unpinned, ImageRef)
    with pytest.raises(ValueError):
        build_commit(resolver, unpinned)


def test_a_second_question_sends_no_request(registry: RunningRegistry, resolver: Resolver, repo: str) -> None:
    amd = registry.pusher.image(repo, content="amd", labels=rev(A))
    arm = registry.pusher.image(repo, content="arm", arch="arm64", labels=rev(A))
    index = registry.pusher.index(repo, None, {"linux/amd64": amd, "linux/arm64": arm})
    image = ref(registry, repo, index.digest)
    first = build_commit(resolver, image)
    sent = resolver.state.requests
    assert sent > 0
    assert build_commit(resolver, image) == first
    assert resolver.state.requests == sent
