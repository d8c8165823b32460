"""images[] mapping: repository globs on normalized names, first match wins,
tag templates rendered and parsed."""
from __future__ import annotations

import pytest

from pinlint import reference
from pinlint.imagemap import ImageMapping, find, match, parse_tag, render_tag, tag_glob
from pinlint.reference import ImageRef

SHA = "0123456789abcdef0123456789abcdef01234567"
SHA256 = "0123456789abcdef" * 4


def name(text: str) -> str:
    parsed = reference.parse(text)
    assert isinstance(parsed, ImageRef)
    return parsed.name


@pytest.mark.parametrize(("pattern", "image", "expected"), [
    ("ghcr.io/acme/frontend", "ghcr.io/acme/frontend:1@sha256:" + "a" * 64, True),
    ("ghcr.io/acme/frontend", "ghcr.io/acme/frontend-v2", False),
    ("ghcr.io/acme/*", "ghcr.io/acme/frontend", True),
    ("ghcr.io/acme/*", "ghcr.io/acme/team/frontend", False),  # * stays in one component
    ("ghcr.io/acme/**", "ghcr.io/acme/team/frontend", True),
    ("ghcr.io/acme/**", "ghcr.io/acmecorp/frontend", False),
    ("**/frontend", "ghcr.io/acme/frontend", True),
    ("**/frontend", "registry.example.com:5000/a/b/frontend", True),
    ("**/frontend", "ghcr.io/acme/not-frontend", False),
    ("*/acme/web", "ghcr.io/acme/web", True),  # the host is a component
    ("*/acme/web", "docker.io/acme/web", True),
    ("*.example.com/**", "registry.example.com/a/b", True),
    ("*.example.com/**", "example.com/a", False),
    ("ghcr.io/acme/svc-?", "ghcr.io/acme/svc-1", True),
    ("ghcr.io/acme/svc-?", "ghcr.io/acme/svc-10", False),
    ("nginx", "nginx:1.25", True),  # host-less patterns normalize like references
    ("nginx", "ghcr.io/library/nginx", False),
    ("acme/*", "acme/web", True),
    ("acme/*", "quay.io/acme/web", False),
    ("localhost:5000/web", "localhost:5000/web", True),
    ("GHCR.io/acme/web", "ghcr.io/acme/web", True),  # hosts ignore case
    ("ghcr.io/acme/web.app", "ghcr.io/acme/webxapp", False),  # '.' is literal
    ("ghcr.io/acme/[ab]", "ghcr.io/acme/a", False),  # no character classes
])
def test_match_on_normalized_names(pattern: str, image: str, expected: bool) -> None:
    assert match(pattern, name(image)) is expected


def test_find_returns_the_first_matching_mapping_in_order() -> None:
    specific = ImageMapping("ghcr.io/acme/web", ("apps/web",), "sha-{short}", True)
    catch_all = ImageMapping("ghcr.io/acme/**", ("apps",))
    assert find([specific, catch_all], "ghcr.io/acme/web") is specific
    assert find([catch_all, specific], "ghcr.io/acme/web") is catch_all
    assert find([specific, catch_all], "ghcr.io/acme/api") is catch_all
    assert find([specific, catch_all], "docker.io/library/nginx") is None
    assert find([], "ghcr.io/acme/web") is None


def test_mapping_fields_and_defaults_are_the_config_contract() -> None:
    assert ImageMapping._fields == ("repository", "source", "tag_template", "require_provenance")
    m = ImageMapping("ghcr.io/acme/web")
    assert (m.source, m.tag_template, m.require_provenance) == ((), "git-{sha}", False)


def test_render_tag() -> None:
    assert render_tag("git-{sha}", SHA) == f"git-{SHA}"
    assert render_tag("sha-{short}", SHA) == "sha-0123456"
    assert render_tag("{short}-{sha}", SHA) == f"0123456-{SHA}"
    assert render_tag("release", SHA) == "release"
    assert reference.parse(f"ghcr.io/a/b:{render_tag('git-{sha}', SHA256)}").tag == f"git-{SHA256}"  # type: ignore[union-attr]


@pytest.mark.parametrize(("template", "tag", "expected"), [
    ("git-{sha}", f"git-{SHA}", SHA),
    ("git-{sha}", f"git-{SHA256}", SHA256),
    ("git-{sha}", f"git-{SHA[:39]}", None),  # not a full sha
    ("git-{sha}", f"git-{SHA}0", None),
    ("git-{sha}", f"git-{SHA.upper()}", None),
    ("git-{sha}", f"sha-{SHA}", None),
    ("git-{sha}", f"git-{SHA}-debug", None),
    ("sha-{short}", "sha-0123456", "0123456"),
    ("sha-{short}", f"sha-{SHA}", SHA),
    ("sha-{short}", "sha-012345", None),  # under 7
    ("sha-{short}", "sha-012345g", None),
    ("v1-{short}-amd64", "v1-abcdef01-amd64", "abcdef01"),
    ("{short}-{sha}", f"0123456-{SHA}", SHA),
    ("{short}-{sha}", f"7654321-{SHA}", None),  # the two disagree
    ("{sha}.{sha}", f"{SHA}.{SHA}", SHA),
    ("{sha}.{sha}", f"{SHA}.{'f' * 40}", None),
    ("release", "release", None),  # no commit in the template
    ("a.{sha}", f"aX{SHA}", None),  # literal parts are literal
])
def test_parse_tag(template: str, tag: str, expected: str | None) -> None:
    assert parse_tag(template, tag) == expected


@pytest.mark.parametrize("template", ["git-{sha}", "sha-{short}", "{short}-{sha}", "v1.{short}"])
def test_parse_tag_inverts_render_tag(template: str) -> None:
    got = parse_tag(template, render_tag(template, SHA))
    assert got is not None and SHA.startswith(got)


def test_tag_glob_lists_candidates_of_the_template_form() -> None:
    assert tag_glob("git-{sha}") == "git-*"
    assert tag_glob("sha-{short}-amd64") == "sha-*-amd64"
