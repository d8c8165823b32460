#!/usr/bin/env python3
"""Git checks on a large history (SPEC §9: 200 mapped images on a 10,000-commit
history in under 3 s).

Builds, with ``git fast-import``, a repository of ``--commits`` commits over
``--images`` service folders (``apps/svc000/`` …, three files each; every
commit changes one file of one service, a few services far more often than
the rest).  Each image's build commit is the newest commit that changed its
folder for half the images (fresh: identical trees) and an older one for the
other half (stale: the trees differ).  Then it times, in a fresh
``GitRepo`` (so the cat-file start is included):

- the tree comparisons alone: existence of each build commit and the source
  tree at the build commit against HEAD, image by image;
- all git checks: the above plus, for every stale image, the commits that
  changed its source since the build (what PIN030's message lists: one
  ``git log`` per stale image, as many at a time as there are CPUs);

and compares them with a floor: one ``git rev-parse`` process per image,
the cost of the naive "a process per reference" design.

    python benchmarks/git_bench.py [--commits 10000] [--images 200] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pinlint.git import GitRepo  # noqa: E402

FILES = ("Dockerfile", "main.py", "requirements.txt")


def build(path: Path, commits: int, images: int, seed: int) -> tuple[list[str], list[bool]]:
    """The repository; each image's build commit and whether it is stale."""
    rng = random.Random(seed)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, HOME=str(path))
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    hot = rng.sample(range(images), max(1, images // 10))  # a tenth of the services get half the commits
    touched: list[list[int]] = [[1] for _ in range(images)]
    out: list[bytes] = []

    def blob(text: str) -> None:
        data = text.encode()
        out.append(b"data %d\n" % len(data) + data + b"\n")

    when = 1_700_000_000
    for mark in range(1, commits + 1):
        when += 60
        out.append(b"commit refs/heads/main\nmark :%d\n" % mark)
        out.append(b"committer Bench <bench@example.com> %d +0000\n" % when)
        if mark == 1:
            blob("initial import")
            for i in range(images):
                for name in FILES:
                    out.append(f"M 100644 inline apps/svc{i:03d}/{name}\n".encode())
                    blob(f"{name} of service {i}\n")
            out.append(b"M 100644 inline README.md\n")
            blob("bench\n")
            continue
        svc = rng.choice(hot) if rng.random() < 0.5 else rng.randrange(images)
        name = rng.choice(FILES)
        blob(f"svc{svc:03d}: change {mark}")
        out.append(b"from :%d\n" % (mark - 1))
        out.append(f"M 100644 inline apps/svc{svc:03d}/{name}\n".encode())
        blob(f"{name} of service {svc}, revision {mark}\n")
        touched[svc].append(mark)
    marks = path / "marks"
    subprocess.run(["git", "fast-import", "--quiet", f"--export-marks={marks}"], cwd=path, env=env, check=True,
                   input=b"".join(out))
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=path, env=env, check=True)
    sha = dict(line.split() for line in marks.read_text().splitlines())
    builds, stale = [], []
    for i in range(images):
        history = touched[i]
        old = i % 2 == 1 and len(history) > 1
        builds.append(sha[f":{history[-2 if old else -1]}"])
        stale.append(old)
    return builds, stale


def compare(root: Path, builds: list[str]) -> tuple[float, list[bool]]:
    started = time.perf_counter()
    with GitRepo(str(root)) as repo:
        head = repo.resolve("HEAD") or ""
        differs = []
        for i, build in enumerate(builds):
            assert repo.has_commit(build)
            differs.append(bool(repo.differing_paths(build, head, [f"apps/svc{i:03d}"])))
        processes = repo.processes_started
    assert processes == 1
    return time.perf_counter() - started, differs


def all_checks(root: Path, builds: list[str]) -> tuple[float, int]:
    """What the git checks do: present? same trees? for the stale ones, the
    commits since the build (concurrently, one git log each)."""
    started = time.perf_counter()
    with GitRepo(str(root)) as repo:
        head = repo.resolve("HEAD") or ""
        stale = []
        for i, build in enumerate(builds):
            path = f"apps/svc{i:03d}"
            if repo.has_commit(build) and repo.differing_paths(build, head, [path]):
                stale.append(([path], build))
        results = repo.commits_touching_many(stale, head, limit=10)
    listed = 0
    for result in results:
        assert not isinstance(result, Exception), result
        listed += len(result.commits)
    return time.perf_counter() - started, listed


def floor(root: Path, builds: list[str]) -> float:
    started = time.perf_counter()
    for build in builds:
        subprocess.run(["git", "rev-parse", "--verify", "-q", f"{build}^{{tree}}"], cwd=root, check=True,
                       stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="pinlint-git-bench-"))
    root = workdir / "repo"
    if root.exists():
        shutil.rmtree(root)
    try:
        started = time.perf_counter()
        builds, stale = build(root, args.commits, args.images, args.seed)
        print(f"built {args.commits} commits, {args.images} image folders in {time.perf_counter() - started:.2f} s")
        seconds, differs = compare(root, builds)
        assert differs == stale, "the comparison disagrees with how the history was built"
        checks, listed = all_checks(root, builds)
        base = floor(root, builds)
        n = args.images
        print(f"tree comparisons, {n} images (build commit vs HEAD): {seconds:.3f} s "
              f"({sum(stale)} stale, {n - sum(stale)} fresh; one cat-file process)")
        print(f"all git checks incl. PIN030 commit lists ({listed} commits listed): {checks:.3f} s "
              f"(SPEC bar: 3 s)")
        print(f"floor, one git rev-parse per image: {base:.3f} s")
        print(f"ratio: comparisons {seconds / base:.2f}x the floor, all checks {checks / base:.2f}x")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
