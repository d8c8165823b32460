#!/usr/bin/env python3
"""Pre-commit latency benchmark (issue 10, item 1): a one-file offline lint
against the interpreter's own start.

Each round runs, in a fresh process and in turn (so load from other work
hits every command alike):

* ``python -c pass`` (the floor; the same interpreter, ``-I``-free, same env),
* ``pinlint --version``,
* ``pinlint --offline one.yaml`` in a repository without a policy,
* the same with a ``.pinlint.yaml`` (rules, registries, images, a locator),
* ``python -m pinlint --offline one.yaml`` (shown, not judged: it also pays
  for runpy),

where ``pinlint`` is what pre-commit runs: the console script pip writes for
the entry point (``CONSOLE_SCRIPT``, for the entry point the measured checkout's
pyproject.toml names), run by the same interpreter.
It reports the median of ``--runs`` rounds of each as a ratio to the floor
(target: each lint within 6x).  ``--pythonpath DIR`` measures another
checkout (e.g. the main branch) with the same script.

    python benchmarks/startup_bench.py [--runs 15] [--pythonpath DIR]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

POD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""

# What pip writes for the `pinlint` entry point of pyproject.toml.
CONSOLE_SCRIPT = """\
import re
import sys
from {module} import {function}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit({function}())
"""


def console_script(checkout: Path) -> str:
    import tomllib

    entry = tomllib.loads((checkout / "pyproject.toml").read_text())["project"]["scripts"]["pinlint"]
    module, _, function = entry.partition(":")
    return CONSOLE_SCRIPT.format(module=module.strip(), function=function.strip())

CONFIG = """\
exclude: [vendor/]
rules:
  ignore: [PIN004]
  severity: {PIN001: warning}
registries:
  allow: [docker.io, ghcr.io]
images:
  - repository: ghcr.io/acme/web
    source: [apps/web]
locators:
  - id: widgets
    match: {apiVersion: acme.io/*, kind: Widget}
    images: [spec.image]
"""


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--pythonpath", default=str(ROOT), help="the pinlint checkout to measure (default: this one)")
    args = ap.parse_args()

    env = dict(os.environ, PYTHONPATH=args.pythonpath)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="pinlint-startup-") as tmp:
        bare, configured = Path(tmp, "bare"), Path(tmp, "configured")
        for repo in (bare, configured):
            (repo / ".git").mkdir(parents=True)
            (repo / "one.yaml").write_text(POD)
        (configured / ".pinlint.yaml").write_text(CONFIG)
        # `pinlint` as pre-commit runs it: the console script pip writes for
        # the entry point (this is its text), run by the same interpreter.
        # `python -m pinlint` also pays for runpy; it is shown, not judged.
        script = Path(tmp, "pinlint")
        script.write_text(console_script(Path(args.pythonpath)))
        pinlint = [py, str(script)]
        cases = {
            "python -c pass": ([py, "-c", "pass"], bare),
            "pinlint --version": ([*pinlint, "--version"], bare),
            "pinlint --offline one.yaml": ([*pinlint, "--offline", "one.yaml"], bare),
            "the same, with .pinlint.yaml": ([*pinlint, "--offline", "one.yaml"], configured),
            "python -m pinlint --offline one.yaml": ([py, "-m", "pinlint", "--offline", "one.yaml"], bare),
        }
        for cmd, cwd in cases.values():  # warm the page cache and write the bytecode
            timed(cmd, cwd, env)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (cmd, cwd) in cases.items():
                times[name].append(timed(cmd, cwd, env))

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]} "
          f"({py}); pinlint from {args.pythonpath}; median of {args.runs} interleaved runs")
    floor = statistics.median(times["python -c pass"])
    ok = True
    for name, values in times.items():
        med = statistics.median(values)
        ratio = med / floor
        bar = ""
        if name in ("pinlint --offline one.yaml", "the same, with .pinlint.yaml"):
            bar = f"  target <= 6x: {'PASS' if ratio <= 6 else 'FAIL'}"
            ok = ok and ratio <= 6
        print(f"{name:32s} median {med * 1000:6.1f} ms (best {min(values) * 1000:6.1f} ms)  {ratio:5.2f}x{bar}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
