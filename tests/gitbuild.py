"""Real git repositories for the tests, built with the git CLI in a temp folder.

Commits get fixed authors and strictly increasing dates, so history order is
deterministic; no user or system git configuration is read.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
from pathlib import Path

_clock = itertools.count(1_700_000_000, 60)


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({
        "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "A U Thor", "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "C O Mitter", "GIT_COMMITTER_EMAIL": "committer@example.com",
        "LC_ALL": "C",
    })
    return env


class Repo:
    """``Repo.init(path)`` then ``commit("msg", {"apps/web/main.py": "..."})``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = git_env(path.parent)

    @classmethod
    def init(cls, path: Path, *, object_format: str = "sha1") -> Repo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", "main", f"--object-format={object_format}")
        return repo

    @classmethod
    def clone(cls, source: Path, dest: Path, *args: str) -> Repo:
        repo = cls(dest)
        subprocess.run(["git", "clone", "-q", *args, f"file://{source}", str(dest)], check=True,
                       capture_output=True, env=repo.env, cwd=source.parent, timeout=60)
        return repo

    def git(self, *args: str, input: bytes | None = None) -> str:
        date = f"@{next(_clock)} +0000"
        env = dict(self.env, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        proc = subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, input=input,
                              timeout=60)
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
        return proc.stdout.decode().strip()

    def write(self, files: dict[str, str | bytes | None]) -> None:
        """Write (or, for None, delete) files in the work tree and stage them."""
        for rel, content in files.items():
            path = self.path / rel
            if content is None:
                self.git("rm", "-q", "-r", "--", rel)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
            self.git("add", "--", rel)

    def commit(self, message: str, files: dict[str, str | bytes | None] | None = None) -> str:
        self.write(files or {})
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def rev(self, rev: str) -> str:
        return self.git("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")


def commit_object(tree: str, message: str, parent: str | None = None, when: int = 1_700_000_000) -> bytes:
    """The body of a commit object as ``git hash-object -t commit`` hashes it."""
    lines = [f"tree {tree}"]
    if parent:
        lines.append(f"parent {parent}")
    lines += [f"author A U Thor <author@example.com> {when} +0000",
              f"committer C O Mitter <committer@example.com> {when} +0000", "", message, ""]
    return "\n".join(lines).encode()


def sha1_object(kind: str, body: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()


def colliding_commits(tree: str, parent: str, prefix_len: int = 7) -> tuple[bytes, bytes]:
    """Two commit objects whose SHA-1 ids share their first ``prefix_len`` hex
    characters (a birthday search: ~20,000 hashes for 7 characters)."""
    seen: dict[str, bytes] = {}
    for i in itertools.count():
        body = commit_object(tree, f"collide {i}", parent)
        key = sha1_object("commit", body)[:prefix_len]
        if key in seen:
            return seen[key], body
        seen[key] = body
    raise AssertionError("unreachable")


def commit_colliding_with_blob(tree: str, parent: str, prefix_len: int = 7) -> tuple[bytes, bytes]:
    """A commit object and a blob whose ids share ``prefix_len`` hex characters."""
    commits: dict[str, bytes] = {}
    blobs: dict[str, bytes] = {}
    for i in itertools.count():
        body = commit_object(tree, f"commit {i}", parent)
        key = sha1_object("commit", body)[:prefix_len]
        if key in blobs:
            return body, blobs[key]
        commits[key] = body
        blob = f"blob {i}\n".encode()
        key = sha1_object("blob", blob)[:prefix_len]
        if key in commits:
            return commits[key], blob
        blobs[key] = blob
    raise AssertionError("unreachable")
