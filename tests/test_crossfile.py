"""What a reference takes from another file of the repository (issue 12
items 6 and 8): an empty Helm ``tag`` is the chart's ``appVersion`` from the
``Chart.yaml`` beside the values file; an Azure Pipelines job's
``container: linux_x64`` is an alias when any pipeline file of the
repository declares it, also when only the job file is linted."""
from __future__ import annotations

from pathlib import Path

from pinlint import crossfile, formats
from pinlint.config import Config
from pinlint.discovery import Candidate
from pinlint.engine import compile_locators
from pinlint.model import apply_edits
from pinlint.scan import ScanSettings, scan_bytes
from pinlint.yamldoc import Limits
from tests.gitbuild import Repo
from tests.helpers import make_repo, run_json

DIGEST = "sha256:" + "5e" * 32

CHART = 'apiVersion: v2\nname: demo\nversion: 1.0.0\nappVersion: "2.4.1"\n'

VALUES = """\
images:
  repository: registry.example/project
  tag: ""
image:
  repository: acme/web
  tag: ""
sidecar:
  image:
    registry: ghcr.io
    repository: "acme/side"
    tag:
pinned:
  image:
    repository: acme/pinned
    tag: ""
    digest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
jobs:
  images:
    - repository: acme/one
      tag: ~
written:
  image:
    repository: acme/two
    tag: "1.0"
"""

JOBS = """\
jobs:
- job: build
  container: linux_x64
  steps:
  - script: make
- job: test
  container: ubuntu
  services:
    db: linux_musl
    cache: redis:7
"""

TEMPLATE = """\
resources:
  containers:
  - container: linux_x64
    image: mcr.microsoft.com/dotnet-buildtools/prereqs:azurelinux-3.0-amd64@sha256:{hex}
  - container: linux_musl
    image: mcr.microsoft.com/dotnet-buildtools/prereqs:alpine-3.20@sha256:{hex}
""".replace("{hex}", "ab" * 32)


def _at(root: Path, path: str, line: int, column: int, length: int) -> str:
    return (root / path).read_text().splitlines()[line - 1][column - 1 : column - 1 + length]


# ------------------------------------------------------------------ Helm appVersion


def test_empty_helm_tag_is_the_charts_app_version(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES})
    code, doc, _ = run_json("--offline", "--no-progress", ".", cwd=root)
    refs = [(r["line"], r["column"], r["ref"], r.get("tag_from")) for r in doc["refs"]]
    assert refs == [
        (5, 15, "acme/web:2.4.1", "chart/Chart.yaml"),
        (10, 18, "ghcr.io/acme/side:2.4.1", "chart/Chart.yaml"),  # a null tag too
        (14, 17, f"acme/pinned@sha256:{'a' * 64}", None),  # a digest pins it: the tag is left alone
        (19, 19, "acme/one:2.4.1", "chart/Chart.yaml"),  # items of an images: list are images
        (23, 17, "acme/two:1.0", None),
    ]
    # reported at `repository`: the bytes there are the repository as written
    for line, column, text, _ in refs:
        name = text.split("@")[0].rsplit(":", 1)[0] if line != 14 else "acme/pinned"
        repository = name.split("/", 1)[1] if name.startswith("ghcr.io/") else name
        assert _at(root, "chart/values.yaml", line, column, len(repository)) == repository
    messages = {f["line"]: f["message"] for f in doc["findings"]}
    assert "tag '2.4.1' (its chart's appVersion, from chart/Chart.yaml: the map's tag is empty)" in messages[5]
    assert "implicit" not in messages[5]
    assert set(messages) == {5, 10, 19, 23}


def test_a_registry_prefix_map_is_not_an_image(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES})
    _, doc, _ = run_json("--offline", "--no-progress", ".", cwd=root)
    assert all("registry.example" not in r["ref"] for r in doc["refs"])
    values = "global:\n  backendImages:\n    repository: r.example/p\n    tag: v1\n"
    root2 = make_repo(tmp_path / "r2", {"chart/Chart.yaml": CHART, "chart/values.yaml": values})
    assert run_json("--offline", "--no-progress", ".", cwd=root2)[1]["refs"] == []


def test_without_an_app_version_the_tag_stays_empty(tmp_path: Path) -> None:
    for n, chart in enumerate(["apiVersion: v2\nname: demo\nversion: 1.0.0\n", "appVersion: ''\n",
                               "appVersion: [1]\n", "appVersion: '1\n",
                               'appVersion: "9"\n' + "# padding\n" * 30_000]):  # 300 KB: not read
        root = make_repo(tmp_path / f"r{n}", {"chart/Chart.yaml": chart,
                                              "chart/values.yaml": "image:\n  repository: acme/web\n  tag: ''\n"})
        _, doc, _ = run_json("--offline", "--no-progress", ".", cwd=root)
        assert [(r["ref"], r.get("tag_from")) for r in doc["refs"]] == [("acme/web", None)], chart[:30]
        assert "implicit 'latest'" in doc["findings"][0]["message"]


def test_app_version_is_read_when_only_the_values_file_is_named(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "r")
    repo.commit("chart", {"chart/Chart.yaml": CHART, "chart/values.yaml": "image:\n  repository: a/b\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("tag", {"chart/values.yaml": "image:\n  repository: a/b\n  tag: ''\n"})
    for args in (["chart/values.yaml"], ["--base", "main"]):
        _, doc, _ = run_json("--offline", "--no-progress", *args, cwd=repo.path)
        assert [(r["ref"], r.get("tag_from")) for r in doc["refs"]] == [("a/b:2.4.1", "chart/Chart.yaml")], args


def _settings(cross: crossfile.CrossFile) -> ScanSettings:
    return ScanSettings(tuple(compile_locators(Config())), Limits(), 1 << 20, cross)


def test_fix_of_an_app_version_tag_writes_the_tag_and_reads_back(tmp_path: Path) -> None:
    """A fix writes `tag: "<appVersion>@<digest>"` into the empty tag, every
    other byte stays, and re-locating with the same facts (what the fixer
    does) reads the planned text."""
    cross = crossfile.CrossFile({"chart": "2.4.1"})
    data = VALUES.encode()
    candidate = Candidate("chart/values.yaml", str(tmp_path / "values.yaml"), "helm-values")
    refs = scan_bytes(candidate, data, _settings(cross), ("image",)).refs
    assert [r.text for r in refs] == ["acme/web:2.4.1", "ghcr.io/acme/side:2.4.1", f"acme/pinned@sha256:{'a' * 64}",
                                      "acme/one:2.4.1", "acme/two:1.0"]
    for ref in (refs[0], refs[3]):  # `tag: ""` and `tag: ~`
        planned = formats.plan_pin(ref, DIGEST, "tag-and-digest")
        assert planned is not None
        after = apply_edits(data, planned.edits)
        assert planned.text == ref.text + "@" + DIGEST
        again = scan_bytes(candidate, after, _settings(cross), ("image",)).refs
        assert [r.text for r in again] == [planned.text if r.span.start == ref.span.start else r.text
                                           for r in refs]
        changed = after.decode().splitlines()
        assert sum(a != b for a, b in zip(VALUES.splitlines(), changed, strict=True)) == 1
        assert f'"2.4.1@{DIGEST}"' in after.decode()
    # a bare `tag:` has no characters to replace: no fix is planned (the finding says so)
    assert formats.plan_pin(refs[1], DIGEST, "tag-and-digest") is None


# ------------------------------------------------------------------ Azure aliases


def _pipelines(tmp_path: Path) -> Repo:
    repo = Repo.init(tmp_path / "r")
    repo.commit("pipelines", {"eng/pipelines/templates/containers.yml": TEMPLATE,
                              "eng/pipelines/jobs.yml": "jobs: []\n"})
    return repo


def test_aliases_declared_in_another_file_are_not_references(tmp_path: Path) -> None:
    repo = _pipelines(tmp_path)
    repo.commit("jobs", {"eng/pipelines/jobs.yml": JOBS})
    # pre-commit names only the job file; the whole tree; --base with the template untouched
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("more jobs", {"eng/pipelines/jobs.yml": JOBS + "- job: x\n  container: linux_x64\n"})
    for args in (["eng/pipelines/jobs.yml"], ["."], ["--base", "main"]):
        _, doc, _ = run_json("--offline", "--no-progress", *args, cwd=repo.path)
        jobs = [(r["line"], r["column"], r["ref"]) for r in doc["refs"] if r["path"] == "eng/pipelines/jobs.yml"]
        assert jobs == [(7, 14, "ubuntu"), (10, 12, "redis:7")], args
        for line, column, text in jobs:
            assert _at(repo.path, "eng/pipelines/jobs.yml", line, column, len(text)) == text
        assert {(f["path"], f["line"]) for f in doc["findings"]} >= {("eng/pipelines/jobs.yml", 7)}
        assert not any(f["ref"] in ("linux_x64", "linux_musl") for f in doc["findings"])


def test_an_undeclared_alias_is_still_a_reference(tmp_path: Path) -> None:
    repo = _pipelines(tmp_path)
    repo.commit("jobs", {"eng/pipelines/jobs.yml": JOBS.replace("linux_x64", "linux_arm64")})
    _, doc, _ = run_json("--offline", "--no-progress", "eng/pipelines/jobs.yml", cwd=repo.path)
    assert [r["ref"] for r in doc["refs"]] == ["linux_arm64", "ubuntu", "redis:7"]


def test_aliases_are_collected_only_for_an_alias_shaped_container(tmp_path: Path) -> None:
    """The repository is walked for aliases only when a job names a container
    the way an alias is written (``ubuntu``, not ``ubuntu:22.04``)."""
    from pinlint.tree import WorkTree

    root = make_repo(tmp_path / "r", {"pipelines/a.yml": TEMPLATE})
    tree = WorkTree(str(root))
    for job, walked in (("container: ubuntu:22.04\n", False), ("container: linux_x64\n", True)):
        candidate = Candidate("pipelines/b.yml", "/nonexistent", "azure-pipelines")
        scanned = [scan_bytes(candidate, job.encode(), _settings(crossfile.CrossFile()), ("container",))]
        asked: list[str] = []

        def files(asked: list[str] = asked) -> list[str]:
            asked.append("walk")
            return ["pipelines/a.yml", "pipelines/missing.yml"]

        cross = crossfile.gather(tree, scanned, files, 1 << 20, Limits())
        assert bool(asked) is walked
        assert cross.azure_aliases == (frozenset({"linux_x64", "linux_musl"}) if walked else frozenset())


def test_alias_drop_is_the_same_when_the_fixer_reads_the_file_again() -> None:
    cross = crossfile.CrossFile(azure_aliases=frozenset({"linux_x64", "linux_musl"}))
    candidate = Candidate("eng/pipelines/jobs.yml", "/nonexistent", "azure-pipelines")
    refs = scan_bytes(candidate, JOBS.encode(), _settings(cross), ("container",)).refs
    assert [r.text for r in refs] == ["ubuntu", "redis:7"]
    plain = scan_bytes(candidate, JOBS.encode(), _settings(crossfile.CrossFile()), ("container",)).refs
    assert [r.text for r in plain] == ["linux_x64", "ubuntu", "linux_musl", "redis:7"]
