#!/usr/bin/env python3
"""Bounded work on hostile input (issue 8, items 5-8): peak memory, wall
time and bytes per reference of the real CLI on the attacks.

Each case writes one repository (a file within the default 10 MB limit, or
a Dockerfile, or a glob), runs ``python -m pinlint --offline --format FMT``
on it in a fresh subprocess and reports that child's peak RSS (``ru_maxrss``
from ``wait4``), wall time, exit code and what it found.  For the cases full
of references it also reports bytes per reference: (peak - peak on a
one-file repository) / references found, for the whole CLI with ``--format
json`` and ``--format text``, and for the scan stage alone (``scan_file`` in
a child of its own: read, parse, locate).

It prints figures and asserts nothing; the bars are < 300 MB peak for files
that hold few references and < 2 KB per reference otherwise.

    python benchmarks/memory_bench.py [--only NAME ...] [--keep DIR] [--timeout S]
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SIZE = 9_500_000  # bytes: within the default 10 MB limit

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
    "    - name: web\n      image: nginx:1.25\n"
)


def _arg_doubling() -> dict[str, str]:
    lines = ["ARG A0=x"] + [f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}" for i in range(1, 31)]
    return {"Dockerfile": "\n".join(lines) + "\nFROM ${A30}\n"}


def _arg_budget() -> dict[str, str]:
    head = "ARG A0=a\n" + "".join(f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 12))
    body = "".join(f"ARG B{i}=${{A11}}${{A11}}\n" for i in range(SIZE // 24))
    return {"Dockerfile": head + body + "FROM ${B1}\n"}


def _alias_documents() -> dict[str, str]:
    doc = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nx: &a [" + ",".join(["{k: v}"] * 99) + "]\n"
        "spec:\n  containers: [{name: c, image: nginx}]\n  y: [" + ",".join(["*a"] * 32) + "]\n"
    )
    return {"m.yaml": "---\n".join([doc] * 10_000)[:SIZE]}


def _flow_empty_maps() -> dict[str, str]:
    return {"m.yaml": POD + "  x: [" + "{}," * ((SIZE - 200) // 3) + "]\n"}


def _flow_empty_mixed() -> dict[str, str]:
    return {"m.yaml": POD + "  x: [" + "{}, [], ~, " * ((SIZE - 200) // 11) + "]\n"}


def _empty_documents() -> dict[str, str]:
    return {"m.yaml": POD + "---\n" * ((SIZE - 200) // 4)}


def _flow_scalars() -> dict[str, str]:
    return {"m.yaml": POD + "  x: [" + "a," * ((SIZE - 200) // 2) + "]\n"}


def _refs_one_document() -> dict[str, str]:
    head = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
    return {"m.yaml": head + "    - {name: c, image: 'nginx:1.25'}\n" * 260_000}


def _refs_many_documents() -> dict[str, str]:
    doc = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n" + (
        "    - {name: c, image: 'nginx:1.25'}\n" * 100
    )
    return {"m.yaml": "---\n".join([doc] * 2_450)}


BOMB = "*a*a*a*a*a*a*a*a*a*a*a*a*b"


def _include_glob() -> dict[str, str]:
    return {".gitlab-ci.yml": f"include:\n  - local: '/{BOMB}'\njob:\n  image: alpine:3.20\n",
            "a" * 200 + ".yaml": "image: busybox:1\n"}


def _exclude_glob() -> dict[str, str]:
    return {".pinlint.yaml": f"exclude: ['{BOMB}']\n", "a" * 200 + ".yaml": POD}


# name -> (files, holds many references)
CASES: dict[str, tuple[Callable[[], dict[str, str]], bool]] = {
    "arg-doubling": (_arg_doubling, False),
    "arg-budget": (_arg_budget, False),
    "alias-documents": (_alias_documents, False),
    "flow-empty-maps": (_flow_empty_maps, False),
    "flow-empty-mixed": (_flow_empty_mixed, False),
    "empty-documents": (_empty_documents, False),
    "flow-scalars": (_flow_scalars, False),
    "include-glob": (_include_glob, False),
    "exclude-glob": (_exclude_glob, False),
    "refs-one-document": (_refs_one_document, True),
    "refs-many-documents": (_refs_many_documents, True),
}

_SCAN_ONLY = """
import resource, sys
from pinlint.config import Config
from pinlint.discovery import Candidate
from pinlint.engine import compile_locators
from pinlint import formats
from pinlint.scan import ScanSettings, scan_file
from pinlint.yamldoc import Limits
settings = ScanSettings(tuple(compile_locators(Config())), Limits(), 10 * 1024 * 1024)
keywords = formats.kubernetes_keywords(settings.locators)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
scanned = scan_file(Candidate("m.yaml", sys.argv[1], "kubernetes"), settings, keywords)
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(scanned.refs))
"""


def _write(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _env() -> dict[str, str]:
    env = os.environ.copy()
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# Children run under a small launcher that reports their rusage: a child's
# ru_maxrss starts at the RSS of the process it was forked from (Linux keeps
# the high-water mark across exec), and this script grows as it reads reports.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def _run(argv: list[str], cwd: Path, timeout: float) -> tuple[int | None, float, float, bytes]:
    """(exit code or None on timeout, peak RSS MB, seconds, stdout) of one child."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "rusage"
        started = time.monotonic()
        with open(Path(tmp) / "out", "wb") as out:
            launcher = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(result), *argv], cwd=cwd, env=_env(),
                                        stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                launcher.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
                launcher.wait()
                return None, 0.0, time.monotonic() - started, b""
        seconds = time.monotonic() - started
        code, maxrss = (int(x) for x in result.read_text().split())
        return code, maxrss / 1024, seconds, (Path(tmp) / "out").read_bytes()


def _cli(root: Path, fmt: str, timeout: float) -> tuple[int | None, float, float, bytes]:
    argv = [sys.executable, "-m", "pinlint", "--offline", "--no-progress", "--format", fmt, str(root)]
    return _run(argv, root, timeout)


def _summary(stdout: bytes) -> tuple[str, int]:
    import json

    try:
        report = json.loads(stdout)
    except ValueError:
        return "no report", 0
    rules = Counter(f["rule"] for f in report["findings"])
    return ", ".join(f"{rule}×{n}" for rule, n in sorted(rules.items())) or "none", report["summary"]["refs"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="run these cases only")
    parser.add_argument("--keep", type=Path, help="write the repositories here and keep them")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="pinlint-memory-"))
    try:
        floor_root = base / "floor"
        _write(floor_root, {"m.yaml": POD})
        _, floor, _, _ = _cli(floor_root, "json", args.timeout)
        print(f"one-file repository: {floor:.0f} MB peak (the floor subtracted below)")
        print(f"{'case':22} {'file MB':>8} {'peak MB':>8} {'seconds':>8} {'exit':>5}  refs / findings")
        for name in args.only or list(CASES):
            make, many = CASES[name]
            root = base / name
            files = make()
            _write(root, files)
            size = sum(len(t) for t in files.values()) / 1e6
            code, peak, seconds, stdout = _cli(root, "json", args.timeout)
            findings, refs = _summary(stdout)
            shown = "TIMEOUT" if code is None else str(code)
            print(f"{name:22} {size:8.1f} {peak:8.0f} {seconds:8.1f} {shown:>5}  {refs} / {findings}", flush=True)
            if not many or not refs:
                continue
            per_json = (peak - floor) * 1024 * 1024 / refs
            _, text_peak, text_s, _ = _cli(root, "text", args.timeout)
            per_text = (text_peak - floor) * 1024 * 1024 / refs
            _, _, _, out = _run([sys.executable, "-c", _SCAN_ONLY, str(root / "m.yaml")], root, args.timeout)
            before, after, found = (int(x) for x in out.split())
            per_scan = (after - before) * 1024 / found
            print(f"{'':22} bytes/ref: {per_json:,.0f} (CLI, json)  {per_text:,.0f} (CLI, text: {text_peak:.0f} MB, "
                  f"{text_s:.1f} s)  {per_scan:,.0f} (scan stage: {(after - before) / 1024:.0f} MB)", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
