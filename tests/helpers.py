"""Shared test helpers: build a repository in a temp dir and run the real CLI."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

DIGEST = "sha256:" + "a" * 64
ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def doc_blocks(lang: str) -> Iterator[tuple[str, int, str]]:
    """``(document, line, text)`` of every fenced block of ``lang`` in the README and docs/."""
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(rf"^```{lang}\n(.*?)^```\n", text, re.DOTALL | re.MULTILINE):
            yield path.relative_to(ROOT).as_posix(), text.count("\n", 0, m.start()) + 1, m.group(1)


def make_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write files under ``root`` and make it a git work tree (so it is the root)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pinlint", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def run_json(*args: str, cwd: Path | None = None) -> tuple[int, dict, str]:
    proc = run_cli("--format", "json", *args, cwd=cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def refs_at(report: dict) -> list[tuple[str, int, int, str, str]]:
    return [(r["path"], r["line"], r["column"], r["kind"], r["ref"]) for r in report["refs"]]


def findings_at(report: dict) -> list[tuple[str, int, int, str]]:
    return [(f["path"], f["line"], f["column"], f["rule"]) for f in report["findings"]]
