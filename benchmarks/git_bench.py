#!/usr/bin/env python3
"""Git checks on a large history (200 mapped images on a 10,000-commit
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

Then, end to end (``--cli``, the default; ``--no-cli`` skips it): the real CLI
``python -m pinlint --format json`` on that repository with a deploy file per
image pinning ``127.0.0.1:PORT/bench/svcNNN:git-<sha>@sha256:…`` and a
``.pinlint.yaml`` mapping each image to its folder.  The images are real
(config with docker/metadata-action's labels, layer, OCI manifest) in Debian's
``docker-registry`` on 127.0.0.1 (``tests/registry/server.py``), behind the
test suite's counting proxy.  One untimed run warms the on-disk cache; then
``--runs`` runs of each, interleaved, every one a fresh process: all checks,
the same with ``--ignore PIN02,PIN03`` (git rules off), with ``--ignore
PIN019,PIN02,PIN03`` (every rule of the git check off, PIN019 included: the
check declares it, so it still runs unless that is off too), and with a
policy without ``images[]`` (nothing for the git check to judge).  It checks
the verdicts: PIN030 on exactly the stale half, nothing else.

    python benchmarks/git_bench.py [--commits 10000] [--images 200] [--runs 5] [--no-cli] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "registry"))

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


# --- end to end: the real CLI on the same repository, real images in a real registry ----------------------

REVISION = "org.opencontainers.image.revision"


def _labels(sha: str) -> dict[str, str]:
    """What docker/metadata-action writes."""
    url = "https://github.com/acme/bench"
    return {"org.opencontainers.image.source": url, "org.opencontainers.image.url": url,
            "org.opencontainers.image.version": "main", "org.opencontainers.image.created": "2024-05-01T12:00:00Z",
            REVISION: sha, "org.opencontainers.image.licenses": "MIT"}


def push_images(pusher, builds: list[str]) -> list[str]:
    """Image i built from ``builds[i]``, tagged ``git-<sha>``; its digest."""
    def push(i: int) -> str:
        return pusher.image(f"bench/svc{i:03d}", f"git-{builds[i]}", content=f"svc{i:03d}",
                            labels=_labels(builds[i])).digest

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(push, range(len(builds))))


def _policy(host: str, images: int, mapped: bool) -> str:
    out = f'registries:\n  insecure: ["{host}"]\n'
    if mapped:
        out += "images:\n" + "".join(
            f'  - repository: "{host}/bench/svc{i:03d}"\n    source: ["apps/svc{i:03d}/"]\n' for i in range(images))
    return out


def write_deploy(root: Path, host: str, builds: list[str], digests: list[str]) -> Path:
    """One Deployment per image and the policy, committed on top of the history;
    the same policy without ``images[]`` beside the repository (returned)."""
    for i, (sha, digest) in enumerate(zip(builds, digests, strict=True)):
        path = root / "k8s" / f"svc{i:03d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{i:03d}\nspec:\n"
                        "  template:\n    spec:\n      containers:\n"
                        f"        - name: app\n          image: {host}/bench/svc{i:03d}:git-{sha}@{digest}\n")
    (root / ".pinlint.yaml").write_text(_policy(host, len(builds), True))
    unmapped = root.parent / "unmapped.pinlint.yaml"
    unmapped.write_text(_policy(host, len(builds), False))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, HOME=str(root),
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
    subprocess.run(["git", "add", "-A", "k8s", ".pinlint.yaml"], cwd=root, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "deploy: pin every service"], cwd=root, env=env, check=True)
    return unmapped


def run_cli(root: Path, cache: Path, *args: str) -> tuple[float, int, dict]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=str(ROOT))
    env.pop("CI", None)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pinlint", "--format", "json", "--no-progress", *args],
                          cwd=root, env=env, capture_output=True, timeout=600, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"pinlint exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    return elapsed, proc.returncode, json.loads(proc.stdout)


def end_to_end(root: Path, workdir: Path, builds: list[str], stale: list[bool], runs: int) -> bool:
    from faultproxy import FaultProxy
    from server import running_registry

    os.environ["DOCKER_CONFIG"] = str(workdir / "docker")
    (workdir / "docker").mkdir(exist_ok=True)
    (workdir / "registry").mkdir(exist_ok=True)
    cache = workdir / "cache"
    with running_registry(workdir / "registry") as registry:
        started = time.perf_counter()
        digests = push_images(registry.pusher, builds)
        print(f"pushed {len(digests)} images to {registry.address} in {time.perf_counter() - started:.1f} s")
        proxy = FaultProxy(registry.address)
        try:
            unmapped = write_deploy(root, proxy.address, builds, digests)
            modes = {
                "all checks": (),
                "--ignore PIN02,PIN03": ("--ignore", "PIN02,PIN03"),
                "--ignore PIN019,PIN02,PIN03": ("--ignore", "PIN019,PIN02,PIN03"),
                "no images[] mapping": ("--config", str(unmapped)),
            }
            cold, code, report = run_cli(root, cache)
            cold_requests = proxy.count()
            want = sorted(f"k8s/svc{i:03d}.yaml" for i, s in enumerate(stale) if s)
            got = sorted(f["path"] for f in report["findings"] if f["rule"] == "PIN030")
            others = [f for f in report["findings"] if f["rule"] != "PIN030"]
            correct = got == want and not others and code == (1 if want else 0)
            print(f"cold run (warms the cache): {cold:.2f} s, {cold_requests} requests; "
                  f"{len(got)} PIN030 (expected {len(want)}), {len(others)} other findings: "
                  f"{'correct' if correct else 'WRONG'}")
            for f in others[:5]:
                print(f"  unexpected: {f['rule']} {f['path']}: {f['message'][:200]}")
            times: dict[str, list[float]] = {m: [] for m in modes}
            requests: dict[str, int] = dict.fromkeys(modes, 0)
            for _ in range(runs):
                for mode, args in modes.items():
                    proxy.reset()
                    elapsed, _code, report = run_cli(root, cache, *args)
                    times[mode].append(elapsed)
                    requests[mode] += proxy.count()
                    if mode != "all checks" and report["findings"]:
                        correct = False
                        print(f"  {mode}: unexpected findings {[f['rule'] for f in report['findings'][:5]]}")
        finally:
            proxy.close()
    print(f"end to end, python -m pinlint --format json, {len(builds)} mapped images, warm cache, "
          f"{runs} runs each (median, best):")
    for mode, values in times.items():
        print(f"  {mode:28s} {statistics.median(values):.2f} s  (best {min(values):.2f} s, "
              f"{requests[mode]} requests in {runs} runs)")
    on, off = statistics.median(times["all checks"]), statistics.median(times["--ignore PIN02,PIN03"])
    bare = statistics.median(times["no images[] mapping"])
    none = statistics.median(times["--ignore PIN019,PIN02,PIN03"])
    print(f"  git checks cost: {on - off:+.2f} s against --ignore PIN02,PIN03, {on - none:+.2f} s against "
          f"--ignore PIN019,PIN02,PIN03, {on - bare:+.2f} s against no mapping")
    print(f"  all checks end to end {on:.2f} s (bar: 3 s): {'PASS' if on < 3 else 'FAIL'}")
    return correct and on < 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    parser.add_argument("--runs", type=int, default=5, help="timed CLI runs of each mode")
    parser.add_argument("--cli", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the CLI end to end against a local registry (default: yes)")
    args = parser.parse_args()
    ok = True
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
              f"(bar: 3 s)")
        print(f"floor, one git rev-parse per image: {base:.3f} s")
        print(f"ratio: comparisons {seconds / base:.2f}x the floor, all checks {checks / base:.2f}x")
        if args.cli:
            print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
            ok = end_to_end(root, workdir, builds, stale, args.runs)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
