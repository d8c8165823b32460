"""Registry verification benchmark .

500 unique ``name:tag@digest`` references, pushed to a real local
``docker-registry`` behind the test suite's loopback proxy adding 50 ms to
every request (run in a process of its own, so its threads do not compete
with pinlint's for the interpreter lock):

1. cold: time for pinlint's registry check to verify them all (target < 2 s;
   the sequential floor is 500 x 50 ms = 25 s), and the same with other
   ``registries.connections-per-host`` values (``--compare-connections``);
2. warm: the same run again with the on-disk cache, counting the requests
   that reach the proxy (target: 0 for digest-pinned references);
3. the real CLI end to end on a repository holding the same references
   (fresh cache);
4. peer: the same references resolved one by one with ``skopeo inspect``
   (Debian's skopeo), the ratio against the cold run.

    python benchmarks/registry_bench.py [--refs 500] [--latency 0.05] [--skopeo-refs N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "registry"))

from faultproxy import FaultProxy  # noqa: E402
from server import running_registry  # noqa: E402

from pinlint.checks import RunContext, Services  # noqa: E402
from pinlint.checks.registry import CHECK  # noqa: E402
from pinlint.config import from_data  # noqa: E402
from pinlint.model import LocatedRef, Span  # noqa: E402
from pinlint.registry.settings import Settings  # noqa: E402
from pinlint.tree import WorkTree  # noqa: E402

PER_REPO = 5


def _serve_proxy(conn, upstream: str, latency: float) -> None:
    proxy = FaultProxy(upstream, latency=latency)
    conn.send(proxy.address)
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(proxy.count())
        elif command == "reset":
            proxy.reset()
            conn.send(None)
        else:
            proxy.close()
            conn.send(None)
            return


class ProxyProcess:
    """The test suite's ``FaultProxy`` in a process of its own: its threads
    would otherwise take the interpreter lock from the pinlint threads being
    timed (the registry is another machine in real use).  Same interface."""

    def __init__(self, upstream: str, latency: float) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve_proxy, args=(child, upstream, latency), daemon=True)
        self._proc.start()
        self.address = self._conn.recv()

    def count(self) -> int:
        self._conn.send("count")
        return self._conn.recv()

    def reset(self) -> None:
        self._conn.send("reset")
        self._conn.recv()

    def close(self) -> None:
        self._conn.send("close")
        self._conn.recv()
        self._proc.join(5)


def push_all(pusher, count: int) -> list[tuple[str, str, str]]:
    """(repository, tag, digest) for ``count`` unique images, pushed concurrently."""
    jobs = [(f"bench/app{i // PER_REPO:03d}", f"1.{i % PER_REPO}.0", i) for i in range(count)]

    def push(repo_jobs):
        # one repository's tags one after another: they share their layer, and
        # docker-registry answers 400 to a manifest whose blob a concurrent
        # upload of the same blob is still writing
        out = []
        for repo, tag, i in repo_jobs:
            pushed = pusher.image(repo, tag, content=repo, labels={"build": str(i)})
            out.append((repo, tag, pushed.digest))
        return out

    by_repo = [jobs[i:i + PER_REPO] for i in range(0, len(jobs), PER_REPO)]
    with ThreadPoolExecutor(16) as pool:
        return [done for part in pool.map(push, by_repo) for done in part]


def servers_cpu() -> float:
    """CPU seconds used so far by this script's child processes still running
    (the proxy and docker-registry), from ``/proc``; 0 where there is none."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == os.getpid():
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_check(texts: list[str], proxy: str, connections: int | None = None) -> tuple[float, list]:
    refs = [LocatedRef(f"k8s/{i // 10}.yaml", "kubernetes", t, Span(0, len(t), i % 10 + 1, 1))
            for i, t in enumerate(texts)]
    registries: dict = {"insecure": [proxy]}
    if connections:
        registries["connections-per-host"] = connections
    config = from_data({"registries": registries}, "<benchmark>")
    start, cpu, servers = time.perf_counter(), time.process_time(), servers_cpu()
    with Services(config, WorkTree(".")) as services:
        ctx = RunContext(config=config, root=".", services=services, jobs=2, progress=False)
        hits = list(CHECK.run(refs, ctx))
    elapsed = time.perf_counter() - start
    print(f"  (check with connections-per-host {connections or 'default'}: {elapsed:.2f} s wall, "
          f"{time.process_time() - cpu:.2f} s CPU in this process (pinlint), "
          f"{servers_cpu() - servers:.2f} s CPU in the proxy and docker-registry; load average "
          f"{os.getloadavg()[0]:.1f})")
    return elapsed, hits


def run_cli(texts: list[str], proxy: str, workdir: Path) -> tuple[float, int, dict]:
    repo = workdir / "gitops"
    for f in range(0, len(texts), 10):
        containers = "".join(f"        - name: c{i}\n          image: {t}\n" for i, t in enumerate(texts[f:f + 10]))
        path = repo / "k8s" / f"app{f // 10:03d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n"
                        "    spec:\n      containers:\n" + containers)
    (repo / ".pinlint.yaml").write_text(f'registries:\n  insecure: ["{proxy}"]\n')
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    env = dict(os.environ, XDG_CACHE_HOME=str(workdir / "cli-cache"), PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pinlint", "--format", "json", "--no-progress", "."],
                          cwd=repo, env=env, capture_output=True, timeout=600)
    elapsed = time.perf_counter() - start
    return elapsed, proc.returncode, json.loads(proc.stdout or b"{}").get("summary", {})


def run_skopeo(refs: list[tuple[str, str, str]], proxy: str) -> tuple[float, int]:
    """One ``skopeo inspect --raw`` per reference, sequentially (the cheapest
    skopeo call that yields the tag's manifest, hence its digest)."""
    agree = 0
    start = time.perf_counter()
    for repo, tag, digest in refs:
        out = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{proxy}/{repo}:{tag}"],
                             capture_output=True, timeout=60)
        if out.returncode == 0 and "sha256:" + hashlib.sha256(out.stdout).hexdigest() == digest:
            agree += 1
    return time.perf_counter() - start, agree


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--refs", type=int, default=500)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds the proxy adds to every request")
    ap.add_argument("--skopeo-refs", type=int, default=None, help="how many refs skopeo resolves (default: all)")
    ap.add_argument("--compare-connections", type=int, nargs="*", default=[16, 64], metavar="N",
                    help="also time a cold run with registries.connections-per-host N (default: 16 64)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="pinlint-bench-") as tmp:
        workdir = Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(workdir / "cache")
        os.environ["DOCKER_CONFIG"] = str(workdir / "docker")
        (workdir / "registry").mkdir()
        with running_registry(workdir / "registry") as registry:
            t = time.perf_counter()
            pushed = push_all(registry.pusher, args.refs)
            print(f"pushed {len(pushed)} images to {registry.address} in {time.perf_counter() - t:.1f} s")
            proxy = ProxyProcess(registry.address, args.latency)
            try:
                texts = [f"{proxy.address}/{repo}:{tag}@{digest}" for repo, tag, digest in pushed]
                assert len(set(texts)) == args.refs

                cold, hits = run_check(texts, proxy.address)
                cold_requests = proxy.count()
                assert hits == [], hits[:3]
                compared = []
                for n, conns in enumerate(args.compare_connections):  # each with a cache of its own
                    os.environ["XDG_CACHE_HOME"] = str(workdir / f"cache-{n}")
                    proxy.reset()
                    elapsed, other = run_check(texts, proxy.address, conns)
                    assert other == [], other[:3]
                    compared.append((conns, elapsed, proxy.count()))
                os.environ["XDG_CACHE_HOME"] = str(workdir / "cache")
                proxy.reset()
                warm, hits = run_check(texts, proxy.address)
                warm_requests = proxy.count()
                assert hits == [], hits[:3]

                proxy.reset()
                cli, code, summary = run_cli(texts, proxy.address, workdir)
                cli_requests = proxy.count()

                sample = pushed[: args.skopeo_refs or len(pushed)]
                proxy.reset()
                skopeo, agree = run_skopeo(sample, proxy.address)
                skopeo_requests = proxy.count()
            finally:
                proxy.close()

    skopeo_all = skopeo * len(pushed) / len(sample)
    print(f"machine: {os.cpu_count()} cores; proxy latency {args.latency * 1000:.0f} ms per request")
    floor = args.latency * len(texts)
    print(f"floor  one request after another: {floor:.1f} s")
    print(f"cold   pinlint registry check, {len(texts)} unique refs, default connections-per-host "
          f"{Settings().connections_per_host}: {cold:.2f} s ({cold_requests} requests, {floor / cold:.1f}x under "
          f"the floor)  target < 2 s: {'PASS' if cold < 2 else 'FAIL'}")
    for conns, elapsed, requests in compared:
        print(f"cold   the same with connections-per-host {conns}: {elapsed:.2f} s ({requests} requests)")
    print(f"warm   same run, cached:             {warm:.3f} s ({warm_requests} requests)  "
          f"target 0 requests: {'PASS' if warm_requests == 0 else 'FAIL'}")
    print(f"cli    python -m pinlint, cold cache: {cli:.2f} s (exit {code}, {summary.get('refs')} refs, "
          f"{cli_requests} requests)")
    print(f"skopeo inspect --raw one by one, {len(sample)} refs: {skopeo:.1f} s ({skopeo_requests} requests, "
          f"{agree} digests agree)"
          + (f"; {skopeo_all:.1f} s extrapolated to {len(pushed)}" if sample != pushed else ""))
    print(f"ratio  skopeo / pinlint cold: {skopeo_all / cold:.1f}x")
    ok = cold < 2 and warm_requests == 0 and code == 0 and agree == len(sample)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
