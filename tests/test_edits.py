"""Fix plans: each format's edits, applied to the real file bytes, pin the
reference and change nothing else (SPEC §8).

Every case locates the reference the way a run does (``engine.run`` on a
repository in a temporary folder), plans the pin with ``formats.plan_pin``,
applies the edits with ``model.apply_edits`` and compares the whole file
byte for byte with what a careful human would have written.  Then the file
is located again: the reference now reads as the planned text and is
pinned, which is what makes a second ``--fix`` a no-op.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from pinlint import engine, formats
from pinlint.model import Edit, LocatedRef, apply_edits

from .helpers import make_repo

D = "sha256:" + "5e" * 32
OLD = "sha256:" + "0a" * 32


def _refs(tmp_path: Path, name: str, data: bytes) -> list[LocatedRef]:
    repo = make_repo(tmp_path / "repo", {name: data})
    return list(engine.run(engine.Options(paths=(str(repo),), offline=True, jobs=1)).report.refs)


def _pin(tmp_path: Path, name: str, data: bytes, style: str = "tag-and-digest") -> tuple[bytes, str]:
    (ref,) = _refs(tmp_path, name, data)
    planned = formats.plan_pin(ref, D, style)
    assert planned is not None, ref
    after = apply_edits(data, planned.edits)
    (again,) = _refs(tmp_path / "again", name, after)
    assert again.text == planned.text and again.pinned
    return after, planned.text


CASES = [
    pytest.param(
        "deploy.yaml",
        b"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n"
        b"      image: nginx:1.25  # renovate: datasource=docker\n",
        b"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: nginx:1.25@" + D.encode()
        + b"  # renovate: datasource=docker\n",
        id="kubernetes-plain-comment-kept",
    ),
    pytest.param(
        "deploy.yaml",
        b"\xef\xbb\xbfapiVersion: v1\r\nkind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n"
        b"    image: 'ghcr.io/acme/api'   \r\n",
        b"\xef\xbb\xbfapiVersion: v1\r\nkind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n"
        b"    image: 'ghcr.io/acme/api:latest@"
        + D.encode() + b"'   \r\n",
        id="kubernetes-bom-crlf-quoted-implicit-latest",
    ),
    pytest.param(
        "compose.yaml",
        b"services:\n  db:\n    image: \"postgres:16\"\n",
        b"services:\n  db:\n    image: \"postgres:16@" + D.encode() + b"\"\n",
        id="compose-double-quoted",
    ),
    pytest.param(
        "kustomization.yaml",
        b"images:\r\n  - name: nginx\r\n    newTag: \"1.25\"  # keep me\r\nresources: [a.yaml]\r\n",
        b"images:\r\n  - name: nginx\r\n    newTag: \"1.25\"  # keep me\r\n    digest: " + D.encode()
        + b"\r\nresources: [a.yaml]\r\n",
        id="kustomize-inserts-digest-line-crlf",
    ),
    pytest.param(
        "kustomization.yaml",
        b"images:\n- name: app\n  newName: ghcr.io/acme/app\n  newTag: v2",
        b"images:\n- name: app\n  newName: ghcr.io/acme/app\n  newTag: v2\n  digest: " + D.encode(),
        id="kustomize-no-newline-at-end",
    ),
    pytest.param(
        "kustomization.yaml",
        b"images:\n  - {name: nginx, newTag: '1.25'}\n",
        b"images:\n  - {name: nginx, newTag: '1.25', digest: \"" + D.encode() + b"\"}\n",
        id="kustomize-flow-entry",
    ),
    pytest.param(
        "kustomization.yaml",
        b"images:\n  - name: nginx\n    newTag: \"1.25\"\n    digest: " + OLD.encode() + b"\n",
        b"images:\n  - name: nginx\n    newTag: \"1.25\"\n    digest: " + D.encode() + b"\n",
        id="kustomize-replaces-digest",
    ),
    pytest.param(
        "chart/values.yaml",
        b"image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.25.3\n  digest: \"\"\n",
        b"image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: 1.25.3\n  digest: \"" + D.encode()
        + b"\"\n",
        id="helm-fills-digest",
    ),
    pytest.param(
        "chart/values.yaml",
        b"image:\n  repository: bitnami/nginx\n  tag: 1.25.3 # app version\n  pullPolicy: IfNotPresent\n",
        b"image:\n  repository: bitnami/nginx\n  tag: \"1.25.3@" + D.encode()
        + b"\" # app version\n  pullPolicy: IfNotPresent\n",
        id="helm-plain-tag-gets-quoted-tag-and-digest",
    ),
    pytest.param(
        "chart/values.yaml",
        b"image:\n  repository: bitnami/nginx\n  tag: '1.25.3'\n",
        b"image:\n  repository: bitnami/nginx\n  tag: '1.25.3@" + D.encode() + b"'\n",
        id="helm-quoted-tag",
    ),
    pytest.param(
        "Dockerfile",
        b"ARG BASE=node:20-alpine\nFROM $BASE AS build\nRUN true\n",
        b"ARG BASE=node:20-alpine@" + D.encode() + b"\nFROM $BASE AS build\nRUN true\n",
        id="dockerfile-arg-default",
    ),
    pytest.param(
        "Dockerfile",
        b"ARG REGISTRY=ghcr.io/acme\nARG TAG=1.4.2\nFROM ${REGISTRY}/api:${TAG}\n",
        b"ARG REGISTRY=ghcr.io/acme\nARG TAG=1.4.2\nFROM ${REGISTRY}/api:${TAG}@" + D.encode() + b"\n",
        id="dockerfile-several-args-append",
    ),
    pytest.param(
        "Dockerfile",
        b"# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM golang:1.22 AS build\n",
        b"# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM golang:1.22@" + D.encode() + b" AS build\n",
        id="dockerfile-from-token",
    ),
]


@pytest.mark.parametrize(("name", "before", "expected"), CASES)
def test_pin_edits_change_only_the_reference(tmp_path: Path, name: str, before: bytes, expected: bytes) -> None:
    if name.startswith("chart/"):
        before_files = {"chart/Chart.yaml": b"name: c\n"}
        repo = make_repo(tmp_path / "repo", {**before_files, name: before})
        refs = [r for r in engine.run(engine.Options(paths=(str(repo),), offline=True, jobs=1)).report.refs]
        (ref,) = refs
        planned = formats.plan_pin(ref, D, "tag-and-digest")
        assert planned is not None
        assert apply_edits(before, planned.edits) == expected
        return
    refs = [r for r in _refs(tmp_path, name, before) if "syntax" not in r.where]
    (ref,) = refs
    planned = formats.plan_pin(ref, D, "tag-and-digest")
    assert planned is not None, ref
    after = apply_edits(before, planned.edits)
    assert after == expected
    again = [r for r in _refs(tmp_path / "again", name, after) if "syntax" not in r.where]
    assert [r.text for r in again] == [planned.text] and again[0].pinned


def test_digest_only_style_drops_the_tag(tmp_path: Path) -> None:
    after, text = _pin(tmp_path, "compose.yaml", b"services:\n  web:\n    image: nginx:1.25\n", "digest-only")
    assert after == b"services:\n  web:\n    image: nginx@" + D.encode() + b"\n"
    assert text == f"nginx@{D}"


def test_refresh_replaces_only_the_digest_of_a_pinned_reference(tmp_path: Path) -> None:
    data = f"services:\n  web:\n    image: nginx:1.25@{OLD}\n".encode()
    after, _ = _pin(tmp_path, "compose.yaml", data)
    assert after == data.replace(OLD.encode(), D.encode())


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("deploy.yaml", b"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n"
                     b"  - image: '{{ .Values.image }}'\n",
                     id="templated"),
        pytest.param("deploy.yaml", b'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: "nginx\\x3a1.25"\n',
                     id="escaped"),
        pytest.param("deploy.yaml", b"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n"
                     b"  - image: >-\n      nginx:1.25\n",
                     id="folded-block"),
    ],
)
def test_no_plan_when_the_file_does_not_hold_the_text(tmp_path: Path, name: str, data: bytes) -> None:
    (ref,) = _refs(tmp_path, name, data)
    assert formats.plan_pin(ref, D, "tag-and-digest") is None


def test_apply_edits_refuses_overlaps() -> None:
    with pytest.raises(ValueError):
        apply_edits(b"abcdef", [Edit(0, 3, "x"), Edit(2, 4, "y")])
    assert apply_edits(b"abcdef", [Edit(4, 4, "+"), Edit(0, 1, "A")]) == b"Abcd+ef"
