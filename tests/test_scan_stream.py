"""A walked folder is scanned while it is walked (``scan.Streamed`` fed by
``includes.Streamed``, a ``discovery.Sink``): the kinds, the files and what
is found in them are what the one-step path gives (``discover``, then
``includes.classify``, then ``scan``), for a tree large enough to use the
worker pool and for one that is not."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pinlint import engine, includes
from pinlint.config import Config
from pinlint.discovery import Candidate, discover
from pinlint.formats import Classifier
from pinlint.scan import ScanSettings, Streamed, scan
from pinlint.tree import WorkTree
from pinlint.yamldoc import Limits
from tests.helpers import make_repo, run_json

POD = ("apiVersion: v1\nkind: Pod\nmetadata: {{name: p{n}}}\nspec:\n  containers:\n    - name: a\n"
       "      image: nginx:1.{n}\n")
JOB = "job{n}:\n  image: redis:{n}\n  script: [x]\n"


def _tree(root: Path, pods: int, link: bool = True) -> Path:
    files: dict[str, str | bytes] = {
        ".gitlab-ci.yml": "include:\n  - local: /ci/*.yml\nbuild:\n  image: alpine:3\n",
        "ci/a.yml": JOB.format(n=1),
        "ci/b.yml": JOB.format(n=2),
        # a nested pipeline includes files beside it and below it, but not outside its folder
        "team/.gitlab-ci.yml": "include:\n  - local: jobs.yml\n  - local: deep/*.yml\n",
        "team/jobs.yml": JOB.format(n=3),
        "team/deep/more.yml": JOB.format(n=4),
        "jobs.yml": POD.format(n=0),  # the root's jobs.yml is not the team pipeline's
        "other/deep/more.yml": POD.format(n=1),
        "Dockerfile": "FROM golang:1.22\n",
        "vendor/skipped.yaml": POD.format(n=2),
    }
    for n in range(pods):
        files[f"apps/g{n % 7}/app{n}/deploy.yaml"] = POD.format(n=n)
    repo = make_repo(root, files)
    if link:  # a folder reached through a symlink inside the repository (walked once, by whichever path comes first)
        os.symlink("apps/g1", repo / "linked")
    return repo


def _both(repo: Path, jobs: int) -> tuple[tuple[list[Candidate], list[object]], tuple[list[Candidate], list[object]]]:
    root = str(repo)
    cfg = Config(exclude=("vendor/",))
    limits = Limits()
    settings = ScanSettings(tuple(engine.compile_locators(cfg)), limits, 10 << 20, digests=False)
    tree = WorkTree(root)

    found, _ = discover(root, (root,), Classifier(root), list(cfg.exclude), [])
    whole = includes.classify(tree, found, 10 << 20, limits)
    one_step = (whole, list(scan(whole, settings, jobs)))

    streamed = Streamed(settings, jobs)
    sink = includes.Streamed(tree, 10 << 20, limits, streamed.add)
    listed, _ = discover(root, (root,), Classifier(root), list(cfg.exclude), [], sink)
    assert [c.relpath for c in listed] == [c.relpath for c in whole]
    scanned = sorted(streamed.finish(), key=lambda f: f.path)
    return one_step, (sorted(sink.found), scanned)


@pytest.mark.parametrize(("pods", "jobs"), [(600, 2), (20, 2), (600, 1)], ids=["pool", "few files", "one job"])
def test_streamed_scan_is_the_one_step_scan(tmp_path: Path, pods: int, jobs: int) -> None:
    repo = _tree(tmp_path / "r", pods)
    (whole, scanned), (streamed_candidates, streamed) = _both(repo, jobs)
    assert streamed_candidates == whole
    assert streamed == scanned
    kinds = {c.relpath: c.kind for c in whole}
    assert [p for p, k in sorted(kinds.items()) if k == "gitlab-ci"] == [
        ".gitlab-ci.yml", "ci/a.yml", "ci/b.yml", "team/.gitlab-ci.yml", "team/deep/more.yml", "team/jobs.yml"]
    assert kinds["jobs.yml"] == kinds["other/deep/more.yml"] == "kubernetes"
    in_g1 = sum(1 for p in kinds if p.startswith(("linked/", "apps/g1/")))
    assert in_g1 == len([n for n in range(pods) if n % 7 == 1])
    assert "vendor/skipped.yaml" not in kinds


def test_cli_on_a_folder_and_on_its_files_agree(tmp_path: Path) -> None:
    """The folder is streamed; named files take the one-step path."""
    repo = _tree(tmp_path / "r", 450, link=False)
    (repo / ".pinlint.yaml").write_text("exclude: [vendor/]\n")
    code, walked, _ = run_json("--offline", "--no-progress", ".", cwd=repo)
    names = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*")
                   if p.is_file() and p.parts[len(repo.parts)] not in (".git", "vendor") and p.name != ".pinlint.yaml")
    named_code, named, _ = run_json("--offline", "--no-progress", *names, cwd=repo)
    assert (code, walked["refs"], walked["findings"]) == (named_code, named["refs"], named["findings"])
    assert walked["summary"]["refs"] == 450 + 8  # the pods, four jobs, the build, two other pods, the Dockerfile


def test_a_walk_that_fails_stops_the_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    repo = _tree(tmp_path / "r", 600, link=False)
    seen = []
    real_file = includes.Streamed.file

    def file(self: includes.Streamed, candidate: Candidate, carried: object) -> None:
        seen.append(candidate)
        if len(seen) == 500:  # the pool has started (at 400) and holds work
            raise KeyboardInterrupt
        real_file(self, candidate, carried)

    monkeypatch.setattr(includes.Streamed, "file", file)
    with pytest.raises(KeyboardInterrupt):
        engine.run(engine.Options(paths=(str(repo),), offline=True, jobs=2))
    assert len(seen) == 500
    assert multiprocessing.active_children() == []
