"""Bounded work on hostile input (issue 8, items 5-8), through the real CLI.

Each attack is a repository a pull request could bring: a Dockerfile whose
``ARG`` defaults double 30 times, thousands of documents each just under the
alias limit, files within the size limit made of millions of empty nodes, a
glob that makes a backtracking regex engine explode.  Each runs
``python -m pinlint --offline --format json <repo>`` in a subprocess whose
peak memory (``ru_maxrss`` of that process alone, from ``os.wait4`` in a
small launcher) must stay
under ``MAX_RSS_MB``; the timeout is generous and only there so that a hang
fails the test instead of blocking the suite.  The sizes are chosen so that
pinlint before these fixes went past the memory bound or the timeout on
every case.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from tests.helpers import make_repo

CHECKOUT = Path(__file__).resolve().parents[1]
TIMEOUT = 90  # seconds: a hang fails; not a performance assertion
MAX_RSS_MB = 300

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: web
      image: nginx:1.25
"""


class Run(NamedTuple):
    code: int
    report: dict
    stderr: str
    peak_mb: float
    seconds: float


# The CLI runs under a small launcher that reports the CLI's rusage: a
# child's ru_maxrss starts at the RSS of the process it was forked from (Linux
# keeps the high-water mark across exec), so forking the CLI straight from
# pytest would count pytest's own memory too.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_cli(repo: Path, *args: str, timeout: float = TIMEOUT) -> Run:
    """The real CLI on ``repo``, with its own peak RSS."""
    env = os.environ.copy()
    env["PYTHONPATH"] = str(CHECKOUT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("CI", None)
    argv = [sys.executable, "-m", "pinlint", "--offline", "--no-progress", "--format", "json", *args, str(repo)]
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "rusage"
        started = time.monotonic()
        with open(Path(tmp) / "out", "wb") as out, open(Path(tmp) / "err", "wb") as err:
            launcher = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(result), *argv],
                cwd=repo, env=env, stdout=out, stderr=err, start_new_session=True,
            )
            try:
                launcher.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)  # the launcher's session: it and the CLI
                launcher.wait()
                raise AssertionError(f"pinlint did not finish within {timeout} s on {repo}") from None
        seconds = time.monotonic() - started
        code, maxrss = (int(x) for x in result.read_text().split())
        stdout, stderr = (Path(tmp) / "out").read_text(), (Path(tmp) / "err").read_text()
    assert "Traceback" not in stderr, stderr
    return Run(code, json.loads(stdout), stderr, maxrss / 1024, seconds)  # ru_maxrss is in KiB on Linux


def rules_at(run: Run, path: str) -> list[tuple[str, int, str]]:
    return [(f["rule"], f["line"], f["message"]) for f in run.report["findings"] if f["path"] == path]


def assert_bounded(run: Run) -> None:
    assert run.peak_mb < MAX_RSS_MB, f"peak RSS {run.peak_mb:.0f} MB"


def assert_good_pod_reported(run: Run, path: str = "apps/good.yaml") -> None:
    wanted = "nginx:1.25 has tag '1.25' and no digest: the image it names can change"
    assert any(r == "PIN001" and line == 7 and m.startswith(wanted) for r, line, m in rules_at(run, path))


# -- item 5: Dockerfile ARG expansion -------------------------------------------


def test_doubling_args_are_one_invalid_reference(tmp_path: Path) -> None:
    """30 doubling ARGs would be 2**30 characters: the FROM is PIN003, at once."""
    lines = ["ARG A0=x"] + [f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}" for i in range(1, 31)]
    text = "\n".join(lines) + "\nFROM ${A30}\nFROM alpine:3.20\n"
    repo = make_repo(tmp_path / "r", {"Dockerfile": text, "apps/good.yaml": POD})
    run = run_cli(repo)
    assert_bounded(run)
    found = rules_at(run, "Dockerfile")
    assert [(rule, line) for rule, line, _ in found] == [("PIN003", 32), ("PIN001", 33)]
    assert "expands to more than 4,096 characters" in found[0][2]
    (ref,) = [r for r in run.report["refs"] if r["path"] == "Dockerfile" and r["line"] == 32]
    assert (ref["column"], ref["ref"]) == (6, "${A30}")
    assert_good_pod_reported(run)


def test_an_arg_at_the_cap_is_still_substituted(tmp_path: Path) -> None:
    """Up to 4,096 characters a value is built as before (then judged as a reference)."""
    text = "ARG A0=a\n" + "".join(f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 13)) + "FROM ${A12}\n"
    repo = make_repo(tmp_path / "r", {"Dockerfile": text})
    run = run_cli(repo)
    ((rule, line, message),) = rules_at(run, "Dockerfile")
    assert (rule, line) == ("PIN003", 14)
    assert "repository name longer than 255 characters" in message  # the 4,096 a's were built and parsed


def test_many_args_each_near_the_cap_hit_the_file_budget(tmp_path: Path) -> None:
    """A million ARGs each building 4,096 characters: PIN900 naming the file, not gigabytes."""
    head = "ARG A0=a\n" + "".join(f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 12))
    body = "".join(f"ARG B{i}=${{A11}}${{A11}}\n" for i in range(300_000))
    repo = make_repo(tmp_path / "r", {"Dockerfile": head + body + "FROM ${B1}\n", "apps/good.yaml": POD})
    run = run_cli(repo)
    assert_bounded(run)
    ((rule, line, message),) = rules_at(run, "Dockerfile")
    assert rule == "PIN900" and "ARG substitution builds more than 4,194,304 characters" in message
    assert line > 12  # the instruction where the budget ran out
    assert_good_pod_reported(run)


# -- item 6: alias sharing across documents -------------------------------------


def test_alias_budget_covers_the_whole_file(tmp_path: Path) -> None:
    """Each document expands ~9,000 nodes through aliases, under the limit alone;
    together they pass it, and the file is PIN900 naming the limit."""
    doc = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nx: &a [" + ",".join(["{k: v}"] * 99) + "]\n"
        "spec:\n  containers: [{name: c, image: nginx}]\n  y: [" + ",".join(["*a"] * 30) + "]\n"
    )
    repo = make_repo(tmp_path / "r", {"apps/many.yaml": "---\n".join([doc] * 3000), "apps/good.yaml": POD})
    run = run_cli(repo)
    assert_bounded(run)
    ((rule, _, message),) = rules_at(run, "apps/many.yaml")
    assert rule == "PIN900"
    assert "alias expansion past 10,000 nodes in this file" in message and "limits.max-alias-nodes" in message
    assert_good_pod_reported(run)


# -- item 7: memory on files within the size limit -------------------------------


def test_flow_collection_of_millions_of_empty_items(tmp_path: Path) -> None:
    items = "{}, [], ~, " * 600_000  # 2.4 million items, 6.6 MB
    text = POD + f"  x: [{items}]\n  y: {{a: {{}}, b: [{'[], ' * 300_000}]}}\n"
    repo = make_repo(tmp_path / "r", {"apps/good.yaml": text})
    run = run_cli(repo)
    assert_bounded(run)
    assert [(rule, line) for rule, line, _ in rules_at(run, "apps/good.yaml")] == [("PIN001", 7)]


def test_millions_of_empty_documents(tmp_path: Path) -> None:
    text = POD + "---\n" * 2_000_000 + POD.replace("web", "api")  # 8 MB; the last "---" starts the api Pod
    repo = make_repo(tmp_path / "r", {"apps/good.yaml": text})
    run = run_cli(repo)
    assert_bounded(run)
    lines = [line for rule, line, _ in rules_at(run, "apps/good.yaml") if rule == "PIN001"]
    assert lines == [7, 7 + 2_000_000 + 7]


def test_memory_grows_with_the_references_found(tmp_path: Path) -> None:
    """40,000 references in 800 documents: peak memory stays proportional to
    what is reported (benchmarks/memory_bench.py measures bytes per reference)."""
    doc = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n" + (
        "    - {name: c, image: 'nginx:1.25'}\n" * 50
    )
    repo = make_repo(tmp_path / "r", {"apps/many.yaml": "---\n".join([doc] * 800)})
    run = run_cli(repo)
    assert run.report["summary"]["refs"] == 40_000
    assert_bounded(run)


# -- item 8: globs from untrusted text ------------------------------------------

BOMB = "*a*a*a*a*a*a*a*a*a*a*a*a*b"
LONG_NAME = "a" * 60 + ".yaml"


def test_gitlab_local_include_glob_does_not_hang(tmp_path: Path) -> None:
    ci = f"include:\n  - local: '/{BOMB}'\n  - local: '/ci/*.yml'\njob:\n  image: alpine:3.20\n  script: [true]\n"
    repo = make_repo(tmp_path / "r", {
        ".gitlab-ci.yml": ci, LONG_NAME: "image: busybox:1\n", "ci/build.yml": "b:\n  image: alpine:3.19\n",
    })
    run = run_cli(repo)
    assert [(rule, line) for rule, line, _ in rules_at(run, "ci/build.yml")] == [("PIN001", 2)]
    assert [rule for rule, _, _ in rules_at(run, ".gitlab-ci.yml")] == ["PIN001"]
    assert not rules_at(run, LONG_NAME)  # not included, so a Kubernetes file with no Kubernetes object


def test_exclude_glob_does_not_hang(tmp_path: Path) -> None:
    config = f"exclude: ['{BOMB}', '/{BOMB}', 'x/**/{BOMB}/']\n"
    repo = make_repo(tmp_path / "r", {
        ".pinlint.yaml": config, f"apps/{LONG_NAME}": POD, f"{'a' * 40}/{'a' * 40}/good.yaml": POD,
        "apps/good.yaml": POD,
    })
    run = run_cli(repo)
    assert rules_at(run, f"apps/{LONG_NAME}")  # not excluded: it does not end in b
    assert_good_pod_reported(run)


# -- labels, key paths, appVersion and source lines copied into every finding ----


def test_a_huge_name_or_key_is_not_copied_into_every_finding(tmp_path: Path) -> None:
    """A 1 MB Pod name (or custom-resource key) over 1,000 containers once cost 2 GB and a 1 GB
    report: labels and key paths are cut at 253 characters, so the report stays small."""
    name = "n" * 1_000_000
    pod = f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n" + "".join(
        f"  - name: c{i}\n    image: a:1\n" for i in range(1000))
    key = "k" * 1_000_000
    cr = f"apiVersion: acme.io/v1\nkind: Batch\nmetadata: {{name: b}}\nspec:\n  ? {key}\n  :\n" + "".join(
        f"    - image: a:{i}\n" for i in range(1000))
    repo = make_repo(tmp_path / "r", {"pod.yaml": pod, "cr.yaml": cr})
    run = run_cli(repo)
    assert_bounded(run)
    assert len(rules_at(run, "pod.yaml")) == 1000 and len(rules_at(run, "cr.yaml")) == 1000
    assert max(len(json.dumps(f)) for f in run.report["findings"]) < 2000
    assert any(f.get("object", "").startswith("Pod/nnnn") and f["object"].endswith("\u2026 container c7")
               for f in run.report["findings"])


def test_a_huge_app_version_is_not_used(tmp_path: Path) -> None:
    """A 250 KB appVersion (under the Chart.yaml cap) would be copied into every empty-tag image."""
    values = "".join(f"img{i}:\n  repository: acme/app{i}\n  tag: \"\"\n" for i in range(500))
    repo = make_repo(tmp_path / "r", {"chart/Chart.yaml": f"name: c\nversion: 1.0.0\nappVersion: {'9' * 250_000}\n",
                                      "chart/values.yaml": values})
    run = run_cli(repo)
    assert_bounded(run)
    refs = [r for r in run.report["refs"] if r["path"] == "chart/values.yaml"]
    assert len(refs) == 500 and all(":" not in r["ref"] and "tag_from" not in r for r in refs)


def test_a_one_line_file_of_thousands_of_references_is_not_echoed_per_finding(tmp_path: Path) -> None:
    line = "apiVersion: v1\nkind: Pod\nmetadata: {name: w}\nspec: {containers: [" + ", ".join(
        f"{{name: c{i}, image: 'a:1'}}" for i in range(5000)) + "]}\n"
    repo = make_repo(tmp_path / "r", {"wide.yaml": line})
    proc = subprocess.run([sys.executable, "-m", "pinlint", "--offline", "--no-progress", str(repo)],
                          env={**os.environ, "PYTHONPATH": str(CHECKOUT)}, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 1
    assert proc.stdout.count("PIN001") == 5000
    assert len(proc.stdout) < 5000 * 400  # without the 200 KB line under each of them


def test_a_deep_document_with_long_keys_that_mentions_a_heredoc_stays_small(tmp_path: Path) -> None:
    """``kubectl`` and ``<<`` anywhere in a file (a comment will do) make pinlint look for heredocs in
    its script blocks; that search once built a path string per child: 4.4 GB for this 3 MB file."""
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n# kubectl <<\n# image\ndata:\n"
    for d in range(60):
        text += "  " * (d + 1) + f"? k{d}" + "x" * 50_000 + "\n" + "  " * (d + 1) + ":\n"
    text += "".join("  " * 61 + f"v{i}: a\n" for i in range(1500))
    repo = make_repo(tmp_path / "r", {"cm.yaml": text, "apps/good.yaml": POD})
    run = run_cli(repo)
    assert_bounded(run)
    assert_good_pod_reported(run)
