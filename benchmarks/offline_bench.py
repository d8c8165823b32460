#!/usr/bin/env python3
"""Offline lint benchmark : pinlint vs checkov's image tag/digest checks.

1. Generates a deterministic tree of realistic manifests (``generate_tree.py``).
2. Times ``python -m pinlint --offline --format json TREE`` end to end, each
   run in a fresh subprocess, after one untimed warm-up run: best and median
   wall time, files/s, CPU time, peak memory.  Peak memory is reported two ways:
   the largest single process (``ru_maxrss`` from ``wait4``) and the peak of the
   whole process tree (RSS and PSS summed over the child and its workers,
   sampled from ``/proc`` every 10 ms and 100 ms; PSS does not double-count
   pages shared between forked workers).  The tree is sampled in one more run
   that is not timed: sampling takes CPU time from pinlint's workers, which
   keep both cores busy, and not from the one-process floor.
3. Checks what pinlint found against what the generator wrote: per format, how
   many references were found at the expected line, at the expected column, and
   any extra references.
4. Runs checkov with only CKV_K8S_14, CKV_K8S_43 and CKV_DOCKER_7 on the same
   tree, installed in its own virtual environment (``benchmarks/.venv-checkov``,
   created on first use), and reports the speed ratio.

Each timed pinlint run is preceded by a run of the libyaml floor (one
process composing every YAML file of the tree with PyYAML's C loader), and
the ratio of the medians is printed.

It prints figures and asserts nothing.  Targets: >= 2,000 files/s,
< 200 MB peak, >= 35x checkov, pinlint / libyaml floor <= 1.0.

    python benchmarks/offline_bench.py [--files N] [--runs K] [--skip-checkov] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate_tree import generate  # noqa: E402

CHECKOV_VENV = HERE / ".venv-checkov"
CHECKOV_CHECKS = "CKV_K8S_14,CKV_K8S_43,CKV_DOCKER_7"
PAGE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- measuring


class TreeSampler(threading.Thread):
    """Samples the summed RSS (every 10 ms) and PSS (every 100 ms) of a process
    and all its descendants.  PSS comes from ``smaps_rollup``, which costs time
    in proportion to the process's size, so it is read less often: a sampler
    must not steal the CPU of what it measures (checkov grows past 4 GB)."""

    def __init__(self, pid: int, interval: float = 0.01, pss_every: int = 10):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.pss_every = pss_every
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_procs = 0
        self._halt = threading.Event()

    def _pids(self) -> list[int]:
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as fh:
                        todo.extend(int(c) for c in fh.read().split())
            except OSError:
                pass
        return out

    def run(self) -> None:
        tick = 0
        while not self._halt.is_set():
            rss = pss = 0
            pids = self._pids()
            want_pss = tick % self.pss_every == 0
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/statm") as fh:
                        rss += int(fh.read().split()[1]) * PAGE
                    if want_pss:
                        with open(f"/proc/{pid}/smaps_rollup") as fh:
                            for line in fh:
                                if line.startswith("Pss:"):
                                    pss += int(line.split()[1]) * 1024
                                    break
                except (OSError, ValueError, IndexError):
                    pass
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, len(pids))
            tick += 1
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def run_measured(cmd: list[str], stdout_path: Path, env: dict | None = None, sample: bool = True) -> dict:
    """Run ``cmd`` with stdout to a file; wall time, CPU time and peak memory.
    ``sample``: also sample the process tree's memory (``TreeSampler``).  The
    sampler's reads of ``/proc`` take CPU time from a run that keeps both
    cores busy (pinlint's workers), not from one that leaves a core free (the
    floor), so runs that are compared for time are not sampled."""
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        sampler = TreeSampler(proc.pid)
        if sample:
            sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if sample:
            sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "maxrss": ru.ru_maxrss * 1024,  # KiB on Linux: largest process of the tree
        "tree_rss": sampler.peak_rss,
        "tree_pss": sampler.peak_pss,
        "procs": sampler.peak_procs,
        "rc": proc.returncode,
        "stderr": stderr,
    }


def load() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


def mb(n: float) -> str:
    return f"{n / 2**20:.0f} MB"


# --------------------------------------------------------------------------- pinlint


# The large-tree floor (issue 10, item 2): one process that walks the tree and
# composes every YAML document of every *.yaml/*.yml file with libyaml
# (PyYAML's C parser and composer; a file that is not YAML, such as a Helm
# template, stops at its first error).  No locating, no report: what parsing
# the tree costs at the least.
FLOOR = r"""
import os, sys, yaml
files = docs = 0
for dirpath, dirnames, filenames in os.walk(sys.argv[1]):
    dirnames[:] = [d for d in dirnames if d != ".git"]
    for name in filenames:
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
            files += 1
            try:
                for node in yaml.compose_all(data, Loader=yaml.CSafeLoader):
                    docs += 1
            except yaml.YAMLError:
                pass
print(files, docs)
"""


def floor_cmd(tree: Path) -> list[str] | None:
    probe = subprocess.run([sys.executable, "-c", "import yaml; print(yaml.__with_libyaml__)"],
                           capture_output=True, text=True)
    if probe.stdout.strip() != "True":
        print("(no PyYAML with libyaml for this interpreter: the libyaml floor is not measured)")
        return None
    return [sys.executable, "-c", FLOOR, str(tree)]


def pinlint_cmd(tree: Path, jobs: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "pinlint", "--offline", "--format", "json", "--no-progress"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    return cmd + [str(tree)]


def bench_pinlint(tree: Path, n_files: int, runs: int, jobs: int | None, work: Path):
    cmd = pinlint_cmd(tree, jobs)
    print(f"\n== pinlint: {' '.join(cmd)}  ({load()})")
    out = work / "pinlint.json"
    # An installed pinlint has its modules compiled; with PYTHONDONTWRITEBYTECODE
    # set (as on this machine) a checkout would compile them again in every
    # run.  Without it the warm-up run writes them, as installing does.
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    first = run_measured(cmd, out, env=env)
    if first["rc"] not in (0, 1) and "--no-progress" in cmd and "no-progress" in first["stderr"]:
        cmd.remove("--no-progress")  # an older CLI without the flag
        first = run_measured(cmd, out, env=env)
    if first["rc"] not in (0, 1):
        print(f"pinlint failed (exit {first['rc']}); stderr tail:")
        print("\n".join(first["stderr"].rstrip().splitlines()[-25:]))
        return None, None
    try:
        report = json.loads(out.read_text())
    except ValueError as exc:
        print(f"pinlint printed no valid JSON ({exc}); stderr tail:")
        print("\n".join(first["stderr"].rstrip().splitlines()[-25:]))
        return None, None
    print(f"warm-up run: {first['wall']:.2f} s (exit {first['rc']}, not counted)")
    floor = floor_cmd(tree)
    floors: list[float] = []
    if floor:
        print(f"floor: {sys.executable} -c FLOOR {tree}   (libyaml composes every YAML file, one process)")
        run_measured(floor, work / "floor.txt", env=env)  # warm-up
    results = []
    for i in range(runs):  # timed runs: not sampled (see run_measured)
        if floor:  # interleaved, so load from other work hits both alike
            f = run_measured(floor, work / "floor.txt", env=env, sample=False)
            floors.append(f["wall"])
            print(f"floor {i + 1}/{runs}: {f['wall']:.2f} s wall ({(work / 'floor.txt').read_text().split()} "
                  f"files, documents), largest process {mb(f['maxrss'])}")
        r = run_measured(cmd, out, env=env, sample=False)
        results.append(r)
        print(f"run {i + 1}/{runs}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU, "
              f"largest process {mb(r['maxrss'])}, exit {r['rc']}")
    sampled = run_measured(cmd, out, env=env)
    print(f"memory run (sampled, not timed): {sampled['wall']:.2f} s wall, tree RSS {mb(sampled['tree_rss'])}, "
          f"tree PSS {mb(sampled['tree_pss'])}, {sampled['procs']} processes")
    walls = sorted(r["wall"] for r in results)
    fig = {
        "best": walls[0],
        "median": statistics.median(walls),
        "cpu_median": statistics.median(r["cpu"] for r in results),
        "maxrss": max(r["maxrss"] for r in [*results, sampled]),
        "tree_rss": sampled["tree_rss"],
        "tree_pss": sampled["tree_pss"],
        "procs": sampled["procs"],
        "summary": report.get("summary", {}),
        "refs": len(report.get("refs", [])),
        "findings": len(report.get("findings", [])),
        "floor": statistics.median(floors) if floors else None,
    }
    s = fig["summary"]
    print(f"\npinlint: {n_files} files, summary.files={s.get('files')}, refs={fig['refs']}, "
          f"findings={fig['findings']} (errors {s.get('errors')}, warnings {s.get('warnings')}), "
          f"skipped_checks={s.get('skipped_checks')}")
    print(f"  wall time   best {fig['best']:.2f} s, median {fig['median']:.2f} s "
          f"({runs} runs)")
    print(f"  throughput  best {n_files / fig['best']:,.0f} files/s, "
          f"median {n_files / fig['median']:,.0f} files/s   (target >= 2,000)")
    print(f"  CPU time    median {fig['cpu_median']:.2f} s "
          f"({fig['cpu_median'] / fig['median']:.2f} cores busy on average)")
    print(f"  peak memory largest process {mb(fig['maxrss'])}; whole tree "
          f"RSS {mb(fig['tree_rss'])}, PSS {mb(fig['tree_pss'])}   (target < 200 MB)")
    if fig["floor"]:
        print(f"  libyaml floor median {fig['floor']:.2f} s; pinlint / floor "
              f"{fig['median'] / fig['floor']:.2f}   (target <= 1.0)")
    return fig, report


# --------------------------------------------------------------------------- recall


def recall(report: dict, expected: list[dict], tree: Path) -> None:
    """Compare pinlint's ``refs`` inventory with what the generator wrote."""
    exp_paths = {r["path"] for r in expected}

    def norm(p: str) -> str:
        p = p.replace("\\", "/")
        parts = p.split("/")
        for i in range(len(parts)):
            cand = "/".join(parts[i:])
            if cand in exp_paths:
                return cand
        return p

    exp_at: dict[tuple, list] = defaultdict(list)
    for r in expected:
        exp_at[(r["path"], r["line"])].append(r)
    got_at: dict[tuple, list] = defaultdict(list)
    for r in report.get("refs", []):
        got_at[(norm(r.get("path", "")), r.get("line"))].append(r)

    stats: dict[str, Counter] = defaultdict(Counter)
    misses: dict[str, list] = defaultdict(list)
    colmiss: dict[str, list] = defaultdict(list)
    kindmiss: dict[str, list] = defaultdict(list)
    templ: dict[str, list] = defaultdict(list)
    extras: dict[str, list] = defaultdict(list)
    for key in set(exp_at) | set(got_at):
        exps = sorted(exp_at.get(key, []), key=lambda r: r["column"])
        gots = sorted(got_at.get(key, []), key=lambda r: r.get("column", 0))
        for e in exps:
            stats[e["format"]]["expected"] += 1
        # pair by column where possible, then in order
        unpaired = []
        for e in exps:
            hit = next((g for g in gots if g.get("column") == e["column"]), None)
            if hit is not None:
                gots.remove(hit)
                stats[e["format"]]["column ok"] += 1
                stats[e["format"]]["found"] += 1
                e_hit = hit
            else:
                unpaired.append(e)
                continue
            if e_hit.get("kind") != e["kind"]:
                kindmiss[e["format"]].append((e, e_hit))
            if bool(e_hit.get("templated")) != e["templated"]:
                templ[e["format"]].append((e, e_hit))
        for e in unpaired:
            if gots:
                g = gots.pop(0)
                stats[e["format"]]["found"] += 1
                colmiss[e["format"]].append((e, g))
                if g.get("kind") != e["kind"]:
                    kindmiss[e["format"]].append((e, g))
            else:
                misses[e["format"]].append(e)
        for g in gots:
            extras[g.get("kind", "?")].append(g)

    print("\n== recall: pinlint's refs inventory vs the references the generator wrote")
    print(f"  {'format':<34}{'expected':>9}{'found':>7}{'col ok':>8}{'missed':>8}"
          f"{'kind?':>7}{'tmpl?':>7}")
    tot = Counter()
    for fmt in sorted(stats):
        c = stats[fmt]
        if not c["expected"]:
            continue
        tot.update(c)
        print(f"  {fmt:<34}{c['expected']:>9}{c['found']:>7}{c['column ok']:>8}"
              f"{len(misses[fmt]):>8}{len(kindmiss[fmt]):>7}{len(templ[fmt]):>7}")
    print(f"  {'total':<34}{tot['expected']:>9}{tot['found']:>7}{tot['column ok']:>8}"
          f"{tot['expected'] - tot['found']:>8}")
    n_extra = sum(len(v) for v in extras.values())
    print(f"  extra refs reported where the generator wrote none: {n_extra}"
          + (" (" + ", ".join(f"{k} {len(v)}" for k, v in sorted(extras.items())) + ")" if n_extra else ""))

    def show(title: str, groups: dict, fmt_item) -> None:
        if not any(groups.values()):
            return
        print(f"\n  {title}:")
        for fmt in sorted(groups):
            items = groups[fmt]
            if not items:
                continue
            print(f"    {fmt} ({len(items)}):")
            for it in items[:3]:
                print("      " + fmt_item(it))

    show("missed (first 3 per format)", misses,
         lambda e: f"{e['path']}:{e['line']}:{e['column']}  {e['ref']}  [{e['form']}]")
    show("found at another column (expected vs reported)", colmiss,
         lambda p: f"{p[0]['path']}:{p[0]['line']}  expected col {p[0]['column']}, "
                   f"got {p[1].get('column')}  {p[0]['ref']}")
    show("kind differs (expected vs reported)", kindmiss,
         lambda p: f"{p[0]['path']}:{p[0]['line']}  {p[0]['kind']} vs {p[1].get('kind')}")
    show("templated flag differs", templ,
         lambda p: f"{p[0]['path']}:{p[0]['line']}  {p[0]['ref']}  expected "
                   f"{p[0]['templated']}, got {p[1].get('templated')}")
    show("extra (first 3 per kind)", extras,
         lambda g: f"{g.get('path')}:{g.get('line')}:{g.get('column')}  {g.get('ref')}")


# --------------------------------------------------------------------------- checkov


def ensure_checkov() -> Path | None:
    exe = CHECKOV_VENV / "bin" / "checkov"
    if exe.exists():
        return exe
    print(f"\n== installing checkov into {CHECKOV_VENV} (first run only)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
        pip = [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run(pip + ["--upgrade", "pip"], check=True)
        subprocess.run(pip + ["checkov"], check=True)
    except subprocess.CalledProcessError as exc:
        print(f"could not install checkov: {exc}")
        return None
    return exe if exe.exists() else None


def bench_checkov(tree: Path, n_files: int, runs: int, work: Path):
    exe = ensure_checkov()
    if exe is None:
        return None
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
    cmd = [str(exe), "-d", str(tree), "--check", CHECKOV_CHECKS,
           "--framework", "kubernetes", "dockerfile", "--quiet", "--compact", "-o", "json",
           "--skip-download"]
    print(f"\n== checkov {version}: {' '.join(cmd)}  ({load()})")
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE")
    env.pop("BC_API_KEY", None)
    out = work / "checkov.json"
    results = []
    for i in range(runs):
        r = run_measured(cmd, out, env=env)
        results.append(r)
        print(f"run {i + 1}/{runs}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU, "
              f"largest process {mb(r['maxrss'])}, tree PSS {mb(r['tree_pss'])}, exit {r['rc']}")
    try:
        data = json.loads(out.read_text())
    except ValueError:
        print("checkov printed no valid JSON; stderr tail:")
        print("\n".join(results[-1]["stderr"].rstrip().splitlines()[-25:]))
        return None
    reports = data if isinstance(data, list) else [data]
    failed = Counter()
    resources = 0
    for rep in reports:
        resources += rep.get("summary", {}).get("resource_count", 0)
        for f in rep.get("results", {}).get("failed_checks", []):
            failed[f["check_id"]] += 1
        summ = rep.get("summary", {})
        print(f"  {rep.get('check_type')}: passed {summ.get('passed')}, failed {summ.get('failed')}, "
              f"parsing errors {summ.get('parsing_errors')}, resources {summ.get('resource_count')}")
    walls = sorted(r["wall"] for r in results)
    fig = {"best": walls[0], "median": statistics.median(walls), "version": version,
           "cpu_median": statistics.median(r["cpu"] for r in results),
           "failed": dict(failed), "resources": resources,
           "maxrss": max(r["maxrss"] for r in results),
           "tree_pss": max(r["tree_pss"] for r in results)}
    print(f"\ncheckov: median {fig['median']:.2f} s wall, {fig['cpu_median']:.2f} s CPU, "
          f"{n_files / fig['median']:,.0f} files/s, "
          f"largest process {mb(fig['maxrss'])}, tree PSS {mb(fig['tree_pss'])}; "
          f"failed checks {dict(failed)}")
    return fig


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=10_000, help="files in the tree (default 10000)")
    ap.add_argument("--runs", type=int, default=5, help="timed pinlint runs (default 5)")
    ap.add_argument("--checkov-runs", type=int, default=1, help="timed checkov runs (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, help="pass --jobs N to pinlint (default: its own)")
    ap.add_argument("--skip-checkov", action="store_true", help="do not run checkov")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="generate the tree into DIR (absent or empty) and keep it")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="pinlint-bench-"))
    generated = False
    try:
        if args.keep:
            tree = args.keep.resolve()
            if tree.exists() and any(tree.iterdir()):
                print(f"error: {tree} exists and is not empty", file=sys.stderr)
                return 2
        else:
            tree = work / "tree"
        print(f"machine: {os.cpu_count()} CPUs, "
              f"{os.sysconf('SC_PHYS_PAGES') * PAGE / 2**30:.0f} GiB RAM, Python {sys.version.split()[0]}, "
              f"{load()}")
        t0 = time.perf_counter()
        gen = generate(tree, args.files, args.seed)
        generated = True
        print(gen.summary())
        print(f"(generated in {time.perf_counter() - t0:.1f} s)")

        pin, report = bench_pinlint(tree, args.files, args.runs, args.jobs, work)
        if report is not None:
            recall(report, gen.refs, tree)
        ck = None if args.skip_checkov else bench_checkov(tree, args.files, args.checkov_runs, work)

        print("\n== figures")
        if pin:
            print(f"pinlint  {args.files / pin['median']:,.0f} files/s median "
                  f"({args.files / pin['best']:,.0f} best), {pin['median']:.2f} s; peak "
                  f"{mb(pin['tree_pss'])} PSS / {mb(pin['tree_rss'])} RSS for the process tree, "
                  f"{mb(pin['maxrss'])} largest process; {pin['refs']} refs "
                  f"(generated {len(gen.refs)})")
            if pin["floor"]:
                print(f"floor    one process composing every YAML file with libyaml: {pin['floor']:.2f} s median; "
                      f"pinlint / floor {pin['median'] / pin['floor']:.2f} (target <= 1.0)")
        else:
            print("pinlint  did not run (see above)")
        if ck:
            print(f"checkov  {args.files / ck['median']:,.0f} files/s, {ck['median']:.2f} s wall, "
                  f"{ck['cpu_median']:.0f} s CPU, peak {mb(ck['tree_pss'])} PSS "
                  f"(CKV_K8S_14, CKV_K8S_43, CKV_DOCKER_7; {ck['version']})")
        if pin and ck:
            print(f"ratio    pinlint is {ck['median'] / pin['median']:.1f}x faster than checkov "
                  f"(median wall times; target >= 35x); by CPU time "
                  f"{ck['cpu_median'] / pin['cpu_median']:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.keep and generated:
            print(f"tree kept in {args.keep}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
