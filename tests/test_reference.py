from __future__ import annotations

import pytest

from pinlint.formats.edits import pinned_text
from pinlint.model import LocatedRef, Span
from pinlint.reference import ImageRef, Invalid, Placeholder, Templated, parse

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "normalized", "pinned"),
    [
        pytest.param("nginx", "docker.io/library/nginx:latest", False, id="implicit-latest"),
        pytest.param("nginx:1.25", "docker.io/library/nginx:1.25", False, id="tag"),
        pytest.param(f"nginx@{D}", f"docker.io/library/nginx@{D}", True, id="digest-only"),
        pytest.param(f"nginx:1.25@{D}", f"docker.io/library/nginx:1.25@{D}", True, id="tag-and-digest"),
        pytest.param("bitnami/redis:7", "docker.io/bitnami/redis:7", False, id="hub-user"),
        pytest.param("ghcr.io/acme/app:v1", "ghcr.io/acme/app:v1", False, id="registry"),
        pytest.param("localhost/app", "localhost/app:latest", False, id="localhost"),
        pytest.param("127.0.0.1:5000/a/b:c", "127.0.0.1:5000/a/b:c", False, id="registry-port"),
        pytest.param("index.docker.io/library/nginx", "docker.io/library/nginx:latest", False, id="legacy-hub"),
        pytest.param("[::1]:5000/app:1", "[::1]:5000/app:1", False, id="ipv6"),
        pytest.param("a/b__c/d-e.f:T_1.2-x", "docker.io/a/b__c/d-e.f:T_1.2-x", False, id="separators"),
        pytest.param("nginx@sha512:" + "b" * 128, "docker.io/library/nginx@sha512:" + "b" * 128, True, id="sha512"),
    ],
)
def test_valid_references_normalize(text: str, normalized: str, pinned: bool) -> None:
    ref = parse(text)
    assert isinstance(ref, ImageRef)
    assert ref.normalized == normalized
    assert ref.pinned is pinned


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("Nginx:1.25", "lowercase", id="uppercase-repo"),
        pytest.param("nginx@sha256:abc", "64", id="short-digest"),
        pytest.param("nginx@sha256:" + "A" * 64, "lowercase hex", id="uppercase-digest"),
        pytest.param("nginx@md5:" + "a" * 32, "unsupported digest algorithm", id="bad-algorithm"),
        pytest.param("nginx:-bad", "invalid tag", id="bad-tag"),
        pytest.param("nginx:" + "a" * 129, "invalid tag", id="long-tag"),
        pytest.param("ngi nx", "whitespace", id="space"),
        pytest.param("", "empty", id="empty"),
        pytest.param("a//b", "component", id="empty-component"),
        pytest.param("app@git:", "revision", id="placeholder-without-rev"),
    ],
)
def test_invalid_references_say_why(text: str, reason: str) -> None:
    ref = parse(text)
    assert isinstance(ref, Invalid)
    assert reason in ref.reason


@pytest.mark.parametrize(
    "text",
    [
        "{{ .Values.image }}", "${IMAGE}", "$(image)", "${{ matrix.image }}", "$[ variables.img ]", "$IMAGE:1",
        "app:{{ .Chart.AppVersion }}",
    ],
)
def test_templates_are_recognised(text: str) -> None:
    assert isinstance(parse(text), Templated)


@pytest.mark.parametrize(
    ("text", "rev", "name"),
    [("ghcr.io/acme/app@git:HEAD", "HEAD", "ghcr.io/acme/app"), ("app@git:main", "main", "docker.io/library/app"),
     ("app@git:0123abc", "0123abc", "docker.io/library/app")],
)
def test_placeholders(text: str, rev: str, name: str) -> None:
    ref = parse(text)
    assert isinstance(ref, Placeholder)
    assert ref.rev == rev
    assert ref.image is not None and ref.image.name == name


@pytest.mark.parametrize(
    ("text", "style", "expected"),
    [
        ("nginx:1.25", "tag-and-digest", f"nginx:1.25@{D}"),
        ("nginx", "tag-and-digest", f"nginx:latest@{D}"),
        ("localhost:5000/app", "tag-and-digest", f"localhost:5000/app:latest@{D}"),
        ("nginx:1.25", "digest-only", f"nginx@{D}"),
        ("localhost:5000/app:1", "digest-only", f"localhost:5000/app@{D}"),
        ("nginx:1.25@sha256:" + "0" * 64, "tag-and-digest", f"nginx:1.25@{D}"),
        ("ghcr.io/acme/app@git:HEAD", "tag-and-digest", f"ghcr.io/acme/app:latest@{D}"),
    ],
)
def test_pinned_text(text: str, style: str, expected: str) -> None:
    ref = LocatedRef("a.yaml", "kubernetes", text, Span(0, len(text), 1, 1))
    assert pinned_text(ref, D, style) == expected


def test_pinned_text_of_a_resolved_placeholder_writes_its_tag() -> None:
    ref = LocatedRef("a.yaml", "kubernetes", "ghcr.io/acme/app@git:main", Span(0, 25, 1, 1))
    assert pinned_text(ref, D, "tag-and-digest", tag="git-abc") == f"ghcr.io/acme/app:git-abc@{D}"
    assert pinned_text(LocatedRef("a", "kubernetes", "${X}", Span(0, 4, 1, 1)), D, "tag-and-digest") is None


def test_whitespace_is_what_str_isspace_says_for_every_code_point() -> None:
    from pinlint.reference import Invalid, parse

    spaces = [c for c in map(chr, range(0x110000)) if c.isspace()]
    assert all(("a" + c + "b").split() != ["a" + c + "b"] for c in spaces)
    assert all(isinstance(parse(f"nginx:1{c}2"), Invalid) for c in spaces)
    others = (c for c in map(chr, range(0x110000)) if not c.isspace())
    assert all(("a" + c + "b").split() == ["a" + c + "b"] for c in others)


def test_parse_shares_results_and_keeps_its_cache_small() -> None:
    from pinlint import reference
    from pinlint.yamldoc import iter_documents

    node = next(iter(iter_documents("image: ghcr.io/acme/web:1.2\n")))["image"]
    first, again = parse(node), parse("ghcr.io/acme/web:1.2")
    assert first is again and type(first.text) is str  # the node's position is not kept in the result
    assert LocatedRef("a.yaml", "kubernetes", node, Span(7, 27, 1, 8)).text is first.text
    long = "x" * 5000
    assert parse(long) == parse(long) and long not in reference._PARSED
    for n in range(reference._CACHED_TEXTS + 10):
        parse(f"acme/app:{n}")
    assert len(reference._PARSED) <= reference._CACHED_TEXTS
    assert parse("acme/app:5") == ImageRef("acme/app:5", "docker.io", "acme/app", "5", None)
