from __future__ import annotations

import codecs
import random

import pytest

from pinlint.formats import dockerfile
from pinlint.model import LocatedRef
from pinlint.sourcetext import SourceText

DIGEST = "sha256:" + "ab" * 32


def _locate(raw: bytes) -> list[LocatedRef]:
    return dockerfile.locate("Dockerfile", SourceText.from_bytes(raw))


def _found(raw: bytes) -> list[tuple[int, int, str, str]]:
    """(line, column, text, the bytes the span covers) of every reference."""
    return [(r.span.line, r.span.column, r.text, raw[r.span.start : r.span.end].decode()) for r in _locate(raw)]


def _source(*lines: str, eol: str = "\n") -> bytes:
    return "".join(line + eol for line in lines).encode()


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        pytest.param(
            _source("FROM nginx:1.25"),
            [(1, 6, "nginx:1.25", "nginx:1.25")],
            id="plain-from",
        ),
        pytest.param(
            _source(f"FROM nginx:1.25@{DIGEST}"),
            [(1, 6, f"nginx:1.25@{DIGEST}", f"nginx:1.25@{DIGEST}")],
            id="pinned-from",
        ),
        pytest.param(
            _source("FROM --platform=linux/amd64 alpine:3.19"),
            [(1, 29, "alpine:3.19", "alpine:3.19")],
            id="platform-flag",
        ),
        pytest.param(
            _source("FROM --platform=$BUILDPLATFORM golang:1.22 AS build"),
            [(1, 32, "golang:1.22", "golang:1.22")],
            id="platform-variable-and-as",
        ),
        pytest.param(
            _source("FROM python:3.12-slim AS base"),
            [(1, 6, "python:3.12-slim", "python:3.12-slim")],
            id="as-stage",
        ),
        pytest.param(
            _source(
                "FROM golang:1.22 AS build",
                "RUN go build -o /out/app .",
                "FROM build AS test",
                "RUN go test ./...",
                "FROM gcr.io/distroless/static:nonroot",
                "COPY --from=build /out/app /app",
            ),
            [
                (1, 6, "golang:1.22", "golang:1.22"),
                (5, 6, "gcr.io/distroless/static:nonroot", "gcr.io/distroless/static:nonroot"),
            ],
            id="multi-stage-reuse",
        ),
        pytest.param(
            _source("FROM golang:1.22 AS Build", "FROM BUILD", "COPY --from=bUiLd /a /b"),
            [(1, 6, "golang:1.22", "golang:1.22")],
            id="stage-names-case-insensitive",
        ),
        pytest.param(
            _source("FROM app AS app", "FROM app"),
            [(1, 6, "app", "app")],
            id="stage-only-after-its-definition",
        ),
        pytest.param(
            _source("FROM scratch", "COPY app /app"),
            [],
            id="scratch",
        ),
        pytest.param(
            _source("from alpine:3.19 as base", "From base", "copy --from=base /a /b"),
            [(1, 6, "alpine:3.19", "alpine:3.19")],
            id="lowercase-keywords",
        ),
        pytest.param(
            _source('FROM "alpine:3.19"'),
            [(1, 7, "alpine:3.19", "alpine:3.19")],
            id="quoted-token",
        ),
    ),
)
def test_from(raw: bytes, expected: list[tuple[int, int, str, str]]) -> None:
    assert _found(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected", "default"),
    (
        pytest.param(
            _source("ARG BASE=node:20", "FROM $BASE"),
            [(2, 6, "node:20", "$BASE")],
            (1, 10, "node:20"),
            id="dollar-name",
        ),
        pytest.param(
            _source("ARG BASE=node:20", "FROM ${BASE} AS web"),
            [(2, 6, "node:20", "${BASE}")],
            (1, 10, "node:20"),
            id="braces",
        ),
        pytest.param(
            _source("ARG BASE=node:20", "FROM ${BASE:-node:18}"),
            [(2, 6, "node:20", "${BASE:-node:18}")],
            (1, 10, "node:20"),
            id="default-form-arg-wins",
        ),
        pytest.param(
            _source("ARG BASE", "FROM ${BASE:-node:18}"),
            [(2, 6, "node:18", "${BASE:-node:18}")],
            (2, 14, "node:18"),
            id="default-form-inline-default",
        ),
        pytest.param(
            _source('ARG BASE="node:20"', "FROM $BASE"),
            [(2, 6, "node:20", "$BASE")],
            (1, 11, "node:20"),
            id="double-quoted-default",
        ),
        pytest.param(
            _source("ARG A=x BASE='node:20'", "FROM ${BASE}"),
            [(2, 6, "node:20", "${BASE}")],
            (1, 15, "node:20"),
            id="single-quoted-default-second-on-line",
        ),
        pytest.param(
            _source("ARG IMAGE=node:20", "ARG BASE=${IMAGE}", "FROM $BASE"),
            [(3, 6, "node:20", "$BASE")],
            (1, 11, "node:20"),
            id="default-from-earlier-arg",
        ),
        pytest.param(
            _source("ARG REGISTRY=ghcr.io/acme", "ARG TAG=1.4.2", "FROM ${REGISTRY}/api:${TAG}"),
            [(3, 6, "ghcr.io/acme/api:1.4.2", "${REGISTRY}/api:${TAG}")],
            None,
            id="several-args-no-field",
        ),
    ),
)
def test_arg_substitution(
    raw: bytes, expected: list[tuple[int, int, str, str]], default: tuple[int, int, str] | None
) -> None:
    assert _found(raw) == expected
    (ref,) = _locate(raw)
    assert not ref.exact and not ref.templated
    if default is None:
        # several ARGs: a fix can only append the digest to the FROM token
        ((name, span),) = ref.fields
        assert name == "token-end" and span.start == span.end
        assert raw[:span.start].endswith(expected[0][3].encode())
    else:
        ((name, span),) = ref.fields
        assert name == "arg-default"
        assert (span.line, span.column, raw[span.start : span.end].decode()) == default


@pytest.mark.parametrize(
    "raw",
    (
        pytest.param(_source("ARG BASE", "FROM $BASE"), id="declared-without-default"),
        pytest.param(_source("FROM ${BASE}"), id="undeclared"),
        pytest.param(_source('ARG BASE=""', "FROM ${BASE}"), id="empty-default"),
        pytest.param(_source("FROM node:20", "ARG BASE=node:22", "FROM ${BASE}"), id="stage-arg-not-global"),
        pytest.param(_source("ARG TAG", "FROM node:${TAG}"), id="part-of-token"),
        pytest.param(_source("ARG BASE=node:20", "FROM ${BASE%:*}"), id="pattern-operator"),
    ),
)
def test_arg_without_value_is_templated(raw: bytes) -> None:
    refs = _locate(raw)
    ref = refs[-1]
    token = raw.decode().splitlines()[-1].split()[1]
    assert (ref.text, ref.templated, ref.exact, ref.fields) == (token, True, True, ())
    assert raw[ref.span.start : ref.span.end].decode() == token


def test_arg_is_stage_name() -> None:
    raw = _source("ARG FROM_STAGE=build", "FROM golang:1.22 AS build", "FROM ${FROM_STAGE}")
    assert _found(raw) == [(2, 6, "golang:1.22", "golang:1.22")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        pytest.param(
            _source("FROM golang:1.22 AS build", "FROM alpine:3.19", "COPY --from=build /out /app"),
            [(1, 6, "golang:1.22", "golang:1.22"), (2, 6, "alpine:3.19", "alpine:3.19")],
            id="copy-from-stage",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "COPY --from=nginx:1.25 /etc/nginx /etc/nginx"),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (2, 13, "nginx:1.25", "nginx:1.25")],
            id="copy-from-image",
        ),
        pytest.param(
            _source("FROM golang:1.22", "FROM alpine:3.19", "COPY --from=0 /out /app"),
            [(1, 6, "golang:1.22", "golang:1.22"), (2, 6, "alpine:3.19", "alpine:3.19")],
            id="copy-from-index",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "COPY --chown=1000 --from=ghcr.io/acme/tools:2 /bin/t /t"),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (2, 26, "ghcr.io/acme/tools:2", "ghcr.io/acme/tools:2")],
            id="copy-from-after-other-flag",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "COPY --from=later /a /b", "FROM busybox:1.36 AS later"),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (3, 6, "busybox:1.36", "busybox:1.36")],
            id="copy-from-stage-defined-later",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "ADD --chown=1 app.tar.gz /app"),
            [(1, 6, "alpine:3.19", "alpine:3.19")],
            id="add-has-no-from",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "COPY /src/--from=x /dst"),
            [(1, 6, "alpine:3.19", "alpine:3.19")],
            id="from-in-arguments-not-a-flag",
        ),
    ),
)
def test_copy_from(raw: bytes, expected: list[tuple[int, int, str, str]]) -> None:
    assert _found(raw) == expected


def test_copy_from_variable_is_templated() -> None:
    raw = _source("FROM alpine:3.19", "ARG TOOLS=ghcr.io/acme/tools:2", "COPY --from=${TOOLS} /t /t")
    ref = _locate(raw)[-1]
    assert (ref.text, ref.templated, ref.where) == ("${TOOLS}", True, "COPY --from")
    assert raw[ref.span.start : ref.span.end] == b"${TOOLS}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        pytest.param(
            _source(
                "FROM golang:1.22 AS build",
                "RUN --mount=type=cache,target=/root/.cache "
                "--mount=type=bind,from=ghcr.io/acme/src:1,source=/src,target=/src go build",
            ),
            [(1, 6, "golang:1.22", "golang:1.22"), (2, 67, "ghcr.io/acme/src:1", "ghcr.io/acme/src:1")],
            id="mount-from-image",
        ),
        pytest.param(
            _source(
                "FROM golang:1.22 AS build",
                "FROM alpine:3.19",
                "RUN --mount=from=build,source=/out,target=/o cp /o/app /",
            ),
            [(1, 6, "golang:1.22", "golang:1.22"), (2, 6, "alpine:3.19", "alpine:3.19")],
            id="mount-from-stage",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "RUN --mount=type=bind,source=nginx:1.25,target=/x true"),
            [(1, 6, "alpine:3.19", "alpine:3.19")],
            id="mount-source-target-not-refs",
        ),
        pytest.param(
            _source("FROM alpine:3.19", 'RUN --mount="type=cache,from=busybox:1.36,target=/c" true'),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (2, 30, "busybox:1.36", "busybox:1.36")],
            id="mount-quoted",
        ),
    ),
)
def test_run_mount_from(raw: bytes, expected: list[tuple[int, int, str, str]]) -> None:
    assert _found(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        pytest.param(
            _source("# syntax=docker/dockerfile:1.7", "FROM alpine:3.19"),
            [(1, 10, "docker/dockerfile:1.7", "docker/dockerfile:1.7"), (2, 6, "alpine:3.19", "alpine:3.19")],
            id="syntax",
        ),
        pytest.param(
            _source("#  Syntax = docker/dockerfile:1  ", "FROM alpine:3.19"),
            [(1, 13, "docker/dockerfile:1", "docker/dockerfile:1"), (2, 6, "alpine:3.19", "alpine:3.19")],
            id="syntax-spaces-and-case",
        ),
        pytest.param(
            _source("# escape=`", "# syntax=docker/dockerfile:1", "FROM alpine:3.19"),
            [(2, 10, "docker/dockerfile:1", "docker/dockerfile:1"), (3, 6, "alpine:3.19", "alpine:3.19")],
            id="syntax-after-other-directive",
        ),
        pytest.param(
            _source("#!/usr/bin/env buildctl", "#syntax=docker/dockerfile:1", "FROM alpine:3.19"),
            [(2, 9, "docker/dockerfile:1", "docker/dockerfile:1"), (3, 6, "alpine:3.19", "alpine:3.19")],
            id="syntax-after-shebang",
        ),
        pytest.param(
            _source("# build the app", "# syntax=docker/dockerfile:1", "FROM alpine:3.19"),
            [(3, 6, "alpine:3.19", "alpine:3.19")],
            id="syntax-after-comment-is-a-comment",
        ),
        pytest.param(
            _source("", "# syntax=docker/dockerfile:1", "FROM alpine:3.19"),
            [(3, 6, "alpine:3.19", "alpine:3.19")],
            id="syntax-after-blank-line-is-a-comment",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "# syntax=docker/dockerfile:1"),
            [(1, 6, "alpine:3.19", "alpine:3.19")],
            id="syntax-after-instruction-is-a-comment",
        ),
    ),
)
def test_syntax_directive(raw: bytes, expected: list[tuple[int, int, str, str]]) -> None:
    assert _found(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        pytest.param(
            _source("FROM \\", "    --platform=linux/arm64 \\", "    alpine:3.19 \\", "    AS base"),
            [(3, 5, "alpine:3.19", "alpine:3.19")],
            id="continuation",
        ),
        pytest.param(
            _source(
                "FROM \\", "# a comment inside", "", "   ", "  alpine:3.19 AS base \\", "  # another", "", "RUN true"
            ),
            [(5, 3, "alpine:3.19", "alpine:3.19")],
            id="comments-and-blank-lines-inside-continuation",
        ),
        pytest.param(
            _source("RUN echo a \\\\", "FROM alpine:3.19"),
            [(2, 6, "alpine:3.19", "alpine:3.19")],
            id="escaped-escape-is-not-a-continuation",
        ),
        pytest.param(
            _source(
                "# escape=`",
                "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 `",
                "  AS base",
                "RUN dir C:\\",
                "FROM base",
            ),
            [(2, 6, "mcr.microsoft.com/windows/nanoserver:ltsc2022", "mcr.microsoft.com/windows/nanoserver:ltsc2022")],
            id="escape-backtick",
        ),
        pytest.param(
            _source("# escape=`", "RUN echo C:\\", "FROM alpine:3.19"),
            [(3, 6, "alpine:3.19", "alpine:3.19")],
            id="escape-backtick-backslash-is-literal",
        ),
        pytest.param(
            _source("FROM alpine:3.19 AS base", "# escape=`", "RUN echo `", "FROM busybox:1.36"),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (4, 6, "busybox:1.36", "busybox:1.36")],
            id="escape-directive-after-instruction-ignored",
        ),
        pytest.param(
            _source("# syntax=docker/dockerfile:1", "ARG BASE=alpine:3.19", "FROM ${BASE} AS base", eol="\r\n"),
            [(1, 10, "docker/dockerfile:1", "docker/dockerfile:1"), (3, 6, "alpine:3.19", "${BASE}")],
            id="crlf",
        ),
        pytest.param(
            _source("FROM \\", "  alpine:3.19 \\", "  AS base", "COPY --from=nginx:1.25 / /", eol="\r\n"),
            [(2, 3, "alpine:3.19", "alpine:3.19"), (4, 13, "nginx:1.25", "nginx:1.25")],
            id="crlf-continuation",
        ),
        pytest.param(
            codecs.BOM_UTF8 + _source("# syntax=docker/dockerfile:1", "FROM alpine:3.19"),
            [(1, 10, "docker/dockerfile:1", "docker/dockerfile:1"), (2, 6, "alpine:3.19", "alpine:3.19")],
            id="bom",
        ),
        pytest.param(
            _source(
                "# Ünïcödé: 日本語のコメント ☃", "FROM alpine:3.19", "LABEL description=\"café\"", "FROM nginx:1.25"
            ),
            [(2, 6, "alpine:3.19", "alpine:3.19"), (4, 6, "nginx:1.25", "nginx:1.25")],
            id="non-ascii-comment",
        ),
        pytest.param(
            codecs.BOM_UTF8 + _source("# ☃ café", "ARG BASE=alpine:3.19", "FROM ${BASE}", eol="\r\n"),
            [(3, 6, "alpine:3.19", "${BASE}")],
            id="bom-non-ascii-crlf-arg",
        ),
        pytest.param(
            _source("  \tFROM alpine:3.19"),
            [(1, 9, "alpine:3.19", "alpine:3.19")],
            id="indented-instruction",
        ),
    ),
)
def test_line_structure(raw: bytes, expected: list[tuple[int, int, str, str]]) -> None:
    assert _found(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    (
        pytest.param(
            _source("FROM alpine:3.19", "RUN <<EOF", "FROM evil:1", "COPY --from=evil:2 / /", "EOF", "FROM nginx:1.25"),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (6, 6, "nginx:1.25", "nginx:1.25")],
            id="heredoc-containing-from",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "RUN <<-'END' sh", "\tFROM evil:1", "\tEND", "FROM nginx:1.25"),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (5, 6, "nginx:1.25", "nginx:1.25")],
            id="heredoc-chomp-quoted",
        ),
        pytest.param(
            _source(
                "FROM alpine:3.19", "COPY <<A /a <<B /b", "FROM evil:1", "A", "FROM evil:2", "B", "FROM nginx:1.25"
            ),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (7, 6, "nginx:1.25", "nginx:1.25")],
            id="two-heredocs",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "RUN <<EOF", "FROM evil:1", "EOF", eol="\r\n"),
            [(1, 6, "alpine:3.19", "alpine:3.19")],
            id="heredoc-crlf",
        ),
        pytest.param(
            _source("FROM alpine:3.19", 'RUN echo "<<EOF"', "FROM nginx:1.25"),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (3, 6, "nginx:1.25", "nginx:1.25")],
            id="quoted-heredoc-marker-is-text",
        ),
        pytest.param(
            _source("FROM alpine:3.19", 'RUN ["sh", "-c", "cat <<EOF"]', "FROM nginx:1.25"),
            [(1, 6, "alpine:3.19", "alpine:3.19"), (3, 6, "nginx:1.25", "nginx:1.25")],
            id="json-form-has-no-heredoc",
        ),
        pytest.param(
            _source("FROM alpine:3.19", "ONBUILD COPY --from=tools:1 / /", "ONBUILD RUN <<EOF", "FROM evil:1", "EOF"),
            [(1, 6, "alpine:3.19", "alpine:3.19")],
            id="onbuild-not-reported-heredoc-skipped",
        ),
    ),
)
def test_heredocs(raw: bytes, expected: list[tuple[int, int, str, str]]) -> None:
    assert _found(raw) == expected


@pytest.mark.parametrize(
    ("raw", "where"),
    (
        pytest.param(_source("FROM golang:1.22 AS build"), ["FROM (stage build)"], id="named-stage"),
        pytest.param(
            _source("FROM golang:1.22", "FROM alpine:3.19"), ["FROM (stage 0)", "FROM (stage 1)"], id="stage-index"
        ),
        pytest.param(_source("FROM a:1", "COPY --from=b:1 / /"), ["FROM (stage 0)", "COPY --from"], id="copy"),
        pytest.param(
            _source("FROM a:1", "RUN --mount=from=b:1 true"), ["FROM (stage 0)", "RUN --mount from="], id="mount"
        ),
        pytest.param(_source("# syntax=docker/dockerfile:1", "FROM a:1"), ["# syntax", "FROM (stage 0)"], id="syntax"),
    ),
)
def test_where_and_kind(raw: bytes, where: list[str]) -> None:
    refs = _locate(raw)
    assert [r.where for r in refs] == where
    assert {(r.kind, r.path) for r in refs} == {("dockerfile", "Dockerfile")}


def test_literal_refs_are_exact_spans() -> None:
    raw = _source("# syntax=docker/dockerfile:1", "FROM a:1 AS x", "COPY --from=b:1 / /", "RUN --mount=from=c:1 true")
    for ref in _locate(raw):
        assert (ref.exact, ref.templated, ref.fields) == (True, False, ())
        assert raw[ref.span.start : ref.span.end].decode() == ref.text


def test_token_split_by_continuation_is_not_exact() -> None:
    raw = _source("FROM alpine\\", ":3.19")
    (ref,) = _locate(raw)
    assert (ref.text, ref.exact, ref.span.line, ref.span.column) == ("alpine:3.19", False, 1, 6)


def test_source_with_bom_offsets_count_the_bom() -> None:
    raw = codecs.BOM_UTF8 + "# é\nFROM alpine:3.19\n".encode()
    source = SourceText.from_bytes(raw)
    (ref,) = dockerfile.locate("Dockerfile", source)
    assert ref.span.start == len(codecs.BOM_UTF8 + "# é\nFROM ".encode())  # bytes: BOM and é counted
    assert (ref.span.line, ref.span.column) == (2, 6)  # characters: the BOM is not a column


@pytest.mark.parametrize(
    ("name", "text", "templated"),
    (
        pytest.param("A", "x", False, id="set-outer-variable-wins"),
        pytest.param("B", None, True, id="unset-too-deep-to-resolve"),
    ),
)
def test_deep_nesting_does_not_crash(name: str, text: str | None, templated: bool) -> None:
    token = ("${" + name + ":-") * 5000 + "y" + "}" * 5000
    (ref,) = _locate(_source("ARG A=x", "FROM " + token))
    assert (ref.text, ref.templated) == (text or token, templated)


def test_deeply_nested_json_form_does_not_crash() -> None:
    raw = _source("RUN " + "[" * 100_000 + " <<EOF " + "]" * 100_000, "FROM evil:1", "EOF", "FROM alpine:3.19")
    assert _found(raw) == [(4, 6, "alpine:3.19", "alpine:3.19")]


@pytest.mark.parametrize("seed", range(5))
def test_random_input_never_crashes_and_spans_hold(seed: int) -> None:
    pieces = [
        "FROM ", "from ", "ARG ", "COPY ", "RUN ", "ONBUILD ", " AS ", "--from=", "--mount=", "type=bind,",
        "from=", ",", "=", "$", "${", "}", ":-", ":+", "#", "# syntax=", "# escape=`", "\\", "`", "\n",
        "\r\n", " ", "\t", "'", '"', "<<", "<<-", "EOF", "nginx:1.25", "A", "é", "☃", "[", "]", "0",
        "scratch", "build",
    ]
    rng = random.Random(seed)
    for _ in range(400):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))).encode()
        for ref in _locate(raw):
            assert 0 <= ref.span.start <= ref.span.end <= len(raw)
            if ref.exact:
                assert raw[ref.span.start : ref.span.end].decode() == ref.text
            for name, span in ref.fields:
                if name == "token-end":  # where a digest is appended: the end of the FROM token
                    assert span.start == span.end == ref.span.end
                else:
                    assert raw[span.start : span.end].decode() == ref.text
