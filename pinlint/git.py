"""The git layer of the source-commit checks (SPEC §4 PIN030-PIN032, §6 ``--base``).

``GitRepo`` opens a repository (found with GitPython) and answers every
object question through ONE long-lived ``git cat-file`` process: tree and
blob ids of ``(commit, path)`` pairs, commit existence, revision names.
Questions about history (which commits changed a path, what a change set
touched) are single bounded ``git`` commands.  Every subprocess has a
timeout and a cap on what it may print; a git that hangs or floods costs
``timeout`` seconds and raises ``GitError`` (PIN019), never the run.

Commit names and paths come from untrusted manifests and registries: they
are validated (hex shas, no leading ``-``, no control characters) and only
ever reach git on cat-file's standard input or after ``--``, never as an
option.  Pathspecs are literal (``GIT_LITERAL_PATHSPECS``), replace refs are
ignored (content means the real objects), and a partial clone is never
allowed to fetch a missing object lazily.

    with GitRepo.find(".") as repo:
        head = repo.resolve("HEAD")
        build = "0123…"                         # from the image's revision metadata
        if not repo.has_commit(build):          # PIN032, with repo.is_shallow() for the hint
            ...
        changed = repo.differing_paths(build, head, ["apps/web"])   # PIN030 when non-empty
        log = repo.commits_touching(changed, build, head)           # what the message lists

POSIX only (the cat-file pipes are read with ``selectors``).
"""
from __future__ import annotations

import os
import re
import selectors
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Literal, NamedTuple

import git as gitpython  # GitPython: repository discovery and the git executable

DEFAULT_TIMEOUT = 30.0  # seconds, per command and per cat-file exchange
MAX_OUTPUT = 32 * 1024 * 1024  # bytes a history command may print
MAX_TREE_BYTES = 32 * 1024 * 1024  # a tree object larger than this is not parsed
MAX_SUBJECT = 200  # characters kept of a commit subject
_MAX_LINE = 16 * 1024  # a cat-file header line longer than this is garbage
_CHUNK_BYTES = 16 * 1024  # cat-file requests written before reading their answers

_FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_SHORT_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_BAD_REV = re.compile(r"[\x00-\x20\x7f:\\]|\.\.|@\{-|^-|^$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Variables that would point git at another repository, index or object store
# (a pre-commit hook runs with some of them set); ours are set explicitly.
_SCRUBBED = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX",
    "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH",
    "GIT_EXTERNAL_DIFF", "GIT_PAGER",
)
_FIXED_ENV = {
    "LC_ALL": "C",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_NO_LAZY_FETCH": "1",  # a partial clone must not fetch a missing object (git >= 2.44)
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_PAGER": "cat",
}
# One `-c` per setting that could change what history commands print.
_QUIET_CONFIG = ("-c", "log.showSignature=false", "-c", "color.ui=false", "-c", "core.quotePath=false")


class GitError(Exception):
    """Git could not be consulted: not installed, timed out, refused the repository,
    printed garbage or too much.  The caller reports PIN019."""


class UnknownCommit(LookupError):
    """A commit an operation needs is not in the local repository (PIN032), or a
    revision name does not name a commit.  ``rev`` is the name as given."""

    def __init__(self, rev: str) -> None:
        super().__init__(f"commit {rev!r} is not in the local repository")
        self.rev = rev


class ShortSha(NamedTuple):
    """What a short commit SHA names: ``unique`` (``sha`` is the full commit id),
    ``ambiguous`` (several commits share the prefix) or ``unknown`` (no commit
    has it locally, or it is not 7+ hex characters)."""

    status: Literal["unique", "ambiguous", "unknown"]
    sha: str | None = None


class Entry(NamedTuple):
    """One path of a commit's tree: ``mode`` as git writes it (``100644``,
    ``100755``, ``120000`` symlink, ``160000`` submodule, ``40000`` tree)."""

    mode: str
    type: str  # blob, tree, commit
    oid: str


class TouchingCommits(NamedTuple):
    """The newest ``limit`` commits that changed some paths (``(sha, subject)``,
    newest first; subjects are untrusted text with control characters replaced),
    and how many there are in all."""

    commits: tuple[tuple[str, str], ...]
    total: int


def is_full_sha(text: str) -> bool:
    """A full lowercase SHA-1 (40) or SHA-256 (64) commit id."""
    return bool(_FULL_SHA.match(text))


def valid_rev(rev: str) -> bool:
    """Whether ``rev`` may be handed to git as a revision name: no leading ``-``,
    no whitespace, control characters, ``:`` (``rev:path``), ``..`` ranges or
    ``@{-N}``; at most 255 characters."""
    return len(rev) <= 255 and not _BAD_REV.search(rev)


def norm_path(path: str) -> str:
    """A repository path as git trees spell it: ``/``-separated, no leading
    ``./`` or trailing ``/``; ``""`` is the root.  Raises ``ValueError`` for an
    absolute path, ``.``/``..`` components or a newline/NUL."""
    if "\n" in path or "\0" in path:
        raise ValueError(f"path {path!r} contains a newline or NUL")
    if path.startswith("/"):
        raise ValueError(f"path {path!r} is absolute; paths are relative to the repository root")
    while path.startswith("./"):
        path = path[2:]
    parts = [p for p in path.split("/") if p]
    for part in parts:
        if part in (".", ".."):
            raise ValueError(f"path {path!r} has a '{part}' component")
    return "/".join(parts)


def _clean_subject(subject: str) -> str:
    subject = _CONTROL.sub("?", subject)
    return subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 1] + "…"


# --- bounded processes --------------------------------------------------------------------


class _Reader:
    """Reads a pipe with a deadline: ``os.read`` behind a selector."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.fd = stream.fileno()
        self.buf = bytearray()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)

    def close(self) -> None:
        self.selector.close()

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0 or not self.selector.select(left):
            raise TimeoutError
        data = os.read(self.fd, 65536)
        if not data:
            raise EOFError
        self.buf += data

    def line(self, deadline: float, max_len: int) -> bytes:
        while True:
            end = self.buf.find(b"\n")
            if end >= 0:
                out = bytes(self.buf[:end])
                del self.buf[: end + 1]
                return out
            if len(self.buf) > max_len:
                raise OverflowError
            self._fill(deadline)

    def exact(self, n: int, deadline: float) -> bytes:
        while len(self.buf) < n:
            self._fill(deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


class _Info(NamedTuple):
    oid: str
    type: str
    size: int


_Answer = _Info | Literal["missing", "ambiguous"]


class _BatchProcess:
    """One ``git cat-file`` batch process (started on first use)."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str, timeout: float) -> None:
        self.argv, self.env, self.cwd, self.timeout = argv, env, cwd, timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.reader: _Reader | None = None
        self.starts = 0
        self.stderr: IO[bytes] | None = None

    def _start(self) -> tuple[subprocess.Popen[bytes], _Reader]:
        if self.proc is None or self.reader is None:
            try:
                # stderr to a file: git writes hints there (an ambiguous short
                # sha lists its candidates) and an unread pipe would block it
                self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
                self.proc = subprocess.Popen(
                    self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                    env=self.env, cwd=self.cwd,
                )
            except OSError as e:
                raise GitError(f"cannot run git: {e}") from None
            self.reader = _Reader(self.proc.stdout)  # type: ignore[arg-type]
            self.starts += 1
        return self.proc, self.reader

    def exchange(self, requests: list[bytes]) -> tuple[subprocess.Popen[bytes], _Reader]:
        """Write ``requests`` (each one line with its newline); the caller reads."""
        proc, reader = self._start()
        assert proc.stdin is not None
        try:
            proc.stdin.write(b"".join(requests))
            proc.stdin.flush()
        except OSError:
            raise self.fail("stopped reading its input") from None
        return proc, reader

    def fail(self, what: str) -> GitError:
        """Kill the process (the next request starts a new one); the error to raise."""
        detail = ""
        if self.proc is not None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
                assert self.stderr is not None
                self.stderr.seek(max(0, self.stderr.seek(0, os.SEEK_END) - 2000))
                detail = self.stderr.read().decode("utf-8", "replace").strip()
            except (subprocess.TimeoutExpired, ValueError, OSError):
                pass
        self.close()
        msg = f"git cat-file {what}"
        return GitError(f"{msg}: {_CONTROL.sub('?', detail)}" if detail else msg)

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None


class _CatFile:
    """Object look-ups through cat-file: ``--batch-command`` (git >= 2.36), one
    process; older git gets one ``--batch-check`` and one ``--batch`` process."""

    def __init__(self, git: str, env: dict[str, str], cwd: str, timeout: float, batch_command: bool) -> None:
        self.timeout = timeout
        self.batch_command = batch_command
        if batch_command:
            self.info_proc = _BatchProcess([git, "cat-file", "--batch-command"], env, cwd, timeout)
            self.contents_proc = self.info_proc
        else:
            self.info_proc = _BatchProcess([git, "cat-file", "--batch-check"], env, cwd, timeout)
            self.contents_proc = _BatchProcess([git, "cat-file", "--batch"], env, cwd, timeout)
        self.lock = threading.Lock()

    @property
    def processes_started(self) -> int:
        if self.info_proc is self.contents_proc:
            return self.info_proc.starts
        return self.info_proc.starts + self.contents_proc.starts

    def close(self) -> None:
        with self.lock:
            self.info_proc.close()
            if self.contents_proc is not self.info_proc:
                self.contents_proc.close()

    def info(self, names: list[str]) -> list[_Answer]:
        """``%(objectname) %(objecttype) %(objectsize)`` of each name, in order."""
        out: list[_Answer] = []
        with self.lock:
            chunk: list[bytes] = []
            size = 0
            for name in names:
                request = (("info " if self.batch_command else "") + name + "\n").encode("utf-8", "surrogateescape")
                chunk.append(request)
                size += len(request)
                if size >= _CHUNK_BYTES:
                    out += self._info_chunk(chunk)
                    chunk, size = [], 0
            if chunk:
                out += self._info_chunk(chunk)
        return out

    def _info_chunk(self, chunk: list[bytes]) -> list[_Answer]:
        proc, reader = self.info_proc.exchange(chunk)
        deadline = time.monotonic() + self.timeout
        return [self._header(self.info_proc, reader, deadline) for _ in chunk]

    def _header(self, batch: _BatchProcess, reader: _Reader, deadline: float) -> _Answer:
        try:
            line = reader.line(deadline, _MAX_LINE).decode("utf-8", "surrogateescape")
        except TimeoutError:
            raise batch.fail(f"did not answer within {self.timeout:g} s") from None
        except EOFError:
            raise batch.fail("exited") from None
        except OverflowError:
            raise batch.fail("printed an over-long line") from None
        if line.endswith(" missing"):
            return "missing"
        if line.endswith(" ambiguous"):
            return "ambiguous"
        parts = line.split(" ")
        if len(parts) != 3 or not _FULL_SHA.match(parts[0]) or not parts[2].isdigit():
            raise batch.fail(f"answered {line[:200]!r}")
        return _Info(parts[0], parts[1], int(parts[2]))

    def contents(self, oid: str, max_bytes: int) -> tuple[str, bytes] | None:
        """The type and bytes of object ``oid`` (None when missing); ``ValueError``
        when it is larger than ``max_bytes`` (checked before reading it)."""
        info = self.info([oid])[0]
        if not isinstance(info, _Info):
            return None
        if info.size > max_bytes:
            raise ValueError(f"object {oid} is {info.size} bytes, more than {max_bytes}")
        with self.lock:
            request = (("contents " if self.batch_command else "") + oid + "\n").encode()
            _, reader = self.contents_proc.exchange([request])
            deadline = time.monotonic() + self.timeout
            header = self._header(self.contents_proc, reader, deadline)
            if not isinstance(header, _Info) or header.size != info.size:
                raise self.contents_proc.fail(f"answered {header!r} for {oid}")
            try:
                data = reader.exact(header.size + 1, deadline)
            except TimeoutError:
                raise self.contents_proc.fail(f"did not answer within {self.timeout:g} s") from None
            except EOFError:
                raise self.contents_proc.fail("exited") from None
        return header.type, data[:-1]


def _run(argv: list[str], env: dict[str, str], cwd: str, timeout: float, max_bytes: int) -> bytes:
    """Run one git command; its stdout, or ``GitError`` naming what went wrong."""
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
        )
    except OSError as e:
        raise GitError(f"cannot run git: {e}") from None
    assert proc.stdout is not None and proc.stderr is not None
    out, err = bytearray(), bytearray()
    deadline = time.monotonic() + timeout
    what = " ".join(a for a in argv[1:] if not a.startswith("-c") and "=" not in a)[:80]
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ, out)
        sel.register(proc.stderr, selectors.EVENT_READ, err)
        try:
            while sel.get_map():
                left = deadline - time.monotonic()
                events = sel.select(left) if left > 0 else []
                if not events:
                    raise GitError(f"git {what} did not finish within {timeout:g} s")
                for key, _ in events:
                    data = os.read(key.fd, 65536)
                    if not data:
                        sel.unregister(key.fileobj)
                        continue
                    sink: bytearray = key.data
                    sink += data
                    if len(out) > max_bytes:
                        raise GitError(f"git {what} printed more than {max_bytes} bytes")
                    if len(err) > 65536:
                        del err[32768:-32768]
            code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except (GitError, subprocess.TimeoutExpired) as e:
            proc.kill()
            proc.wait()
            if isinstance(e, GitError):
                raise
            raise GitError(f"git {what} did not finish within {timeout:g} s") from None
        finally:
            proc.stdout.close()
            proc.stderr.close()
    if code != 0:
        detail = _CONTROL.sub("?", err.decode("utf-8", "replace").strip().splitlines()[-1] if err.strip() else "")
        raise GitError(f"git {what} failed (exit {code})" + (f": {detail[:500]}" if detail else ""))
    return bytes(out)


# --- the repository -----------------------------------------------------------------------------


class GitRepo:
    """A local git repository.  Thread-safe; close it (or use ``with``) to end
    its cat-file process."""

    def __init__(self, path: str, *, timeout: float = DEFAULT_TIMEOUT, batch_command: bool | None = None) -> None:
        """Open the repository whose working tree (or git dir) is ``path``.
        Raises ``GitError`` when it is not one.  ``batch_command`` forces the
        cat-file mode (default: ``--batch-command`` where git has it)."""
        try:
            self._repo = gitpython.Repo(path)
        except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError) as e:
            raise GitError(f"{path} is not a git repository ({e.__class__.__name__})") from None
        self.git_dir: str = os.path.abspath(self._repo.git_dir)
        self.root: str | None = os.path.abspath(self._repo.working_tree_dir) if self._repo.working_tree_dir else None
        self.timeout = timeout
        self._git = str(gitpython.Git.GIT_PYTHON_GIT_EXECUTABLE or "git")
        if batch_command is None:
            try:
                batch_command = self._repo.git.version_info[:2] >= (2, 36)
            except (gitpython.GitCommandError, ValueError, TypeError):
                batch_command = False
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env.update(_FIXED_ENV)
        env["GIT_DIR"] = self.git_dir
        self._env = env
        self._cwd = self.root or self.git_dir
        self._cat = _CatFile(self._git, env, self._cwd, timeout, batch_command)
        self._memo: dict[str, _Answer] = {}
        self._trees: dict[str, dict[str, tuple[str, str]]] = {}
        self._memo_lock = threading.Lock()
        self._shallow: bool | None = None

    @classmethod
    def find(cls, path: str, *, timeout: float = DEFAULT_TIMEOUT) -> GitRepo | None:
        """The repository enclosing ``path`` (a file or folder), or None."""
        start = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        try:
            found = gitpython.Repo(start, search_parent_directories=True)
        except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
            return None
        top = found.working_tree_dir or found.git_dir
        found.close()
        return cls(str(top), timeout=timeout)

    def close(self) -> None:
        self._cat.close()
        self._repo.close()

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def processes_started(self) -> int:
        """How many cat-file processes this repository has started (1 normally)."""
        return self._cat.processes_started

    # objects ---------------------------------------------------------------------------------
    def _info(self, names: list[str], memo: bool) -> list[_Answer]:
        """cat-file answers for object names; immutable names (full shas) are memoized."""
        with self._memo_lock:
            todo = [n for n in dict.fromkeys(names) if not (memo and n in self._memo)]
        answers = dict(zip(todo, self._cat.info(todo), strict=True)) if todo else {}
        if memo:
            with self._memo_lock:
                self._memo.update(answers)
                answers = {n: self._memo[n] for n in names}
        return [answers[n] for n in names]

    def resolve(self, rev: str) -> str | None:
        """The full id of the commit ``rev`` names (``HEAD``, a branch, a tag,
        ``origin/main``, ``refs/pull/1/merge``, a full or unique short sha), or
        None when it names none, is ambiguous, or is not a valid name."""
        if not valid_rev(rev):
            return None
        answer = self._info([f"{rev}^{{commit}}"], memo=is_full_sha(rev))[0]
        return answer.oid if isinstance(answer, _Info) and answer.type == "commit" else None

    def resolve_short(self, prefix: str) -> ShortSha:
        """What a short commit SHA (7 to 64 hex characters) names.  Only commits
        count: a blob or tree sharing the prefix does not make it ambiguous."""
        prefix = prefix.lower()
        if not _SHORT_SHA.match(prefix):
            return ShortSha("unknown")
        # ``X^{commit}`` resolves X among commit-ish objects only; when that
        # fails, the bare prefix says whether several objects share it.  Were
        # only one of them a commit, the first question would have found it.
        peeled, bare = self._info([f"{prefix}^{{commit}}", prefix], memo=False)
        if isinstance(peeled, _Info) and peeled.type == "commit":
            return ShortSha("unique", peeled.oid)
        if bare == "ambiguous":
            return ShortSha("ambiguous")
        return ShortSha("unknown")

    def has_commit(self, sha: str) -> bool:
        """Whether commit ``sha`` (full id) is in the local object store.  A
        shallow clone, a branch never fetched or a force-pushed-away commit
        in a fresh clone lacks it; an unreachable commit still present has it."""
        return self._has_commits([sha])[0]

    def _has_commits(self, shas: list[str]) -> list[bool]:
        valid = [s for s in shas if is_full_sha(s)]
        answers = dict(zip(valid, self._info(valid, memo=True), strict=True))
        return [isinstance(a := answers.get(s), _Info) and a.type == "commit" for s in shas]

    def tree_ids(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """The object id of each ``path`` at each ``commit`` (a tree for a
        folder, a blob for a file or symlink), None when the path is absent or
        is a submodule.  One cat-file request per distinct pair, memoized.
        Raises ``UnknownCommit`` for a commit not present, ``ValueError`` for
        a commit that is not a full sha or an invalid path."""
        given = list(pairs)
        wanted = [(c, norm_path(p)) for c, p in given]
        commits = list(dict.fromkeys(c for c, _ in wanted))
        for commit in commits:
            if not is_full_sha(commit):
                raise ValueError(f"{commit!r} is not a full commit id; resolve it first")
        for commit, present in zip(commits, self._has_commits(commits), strict=True):
            if not present:
                raise UnknownCommit(commit)
        names = [f"{c}:{p}" if p else f"{c}^{{tree}}" for c, p in wanted]
        answers = self._info(names, memo=True)
        return {pair: (a.oid if isinstance(a, _Info) else None) for pair, a in zip(given, answers, strict=True)}

    def tree_id(self, commit: str, path: str) -> str | None:
        """``tree_ids`` for one pair."""
        return next(iter(self.tree_ids([(commit, path)]).values()))

    def entry(self, commit: str, path: str) -> Entry | None:
        """The tree entry (mode, type, id) of ``path`` at ``commit``, None when
        absent.  Reads the parent folder's tree object once per tree id."""
        path = norm_path(path)
        if not path:
            oid = self.tree_id(commit, "")
            return Entry("40000", "tree", oid) if oid else None
        parent, _, name = path.rpartition("/")
        parent_oid = self.tree_id(commit, parent)
        if parent_oid is None:
            return None
        found = self._tree_entries(parent_oid).get(name)
        return Entry(found[0], _MODE_TYPES.get(found[0], "blob"), found[1]) if found else None

    def _tree_entries(self, oid: str) -> dict[str, tuple[str, str]]:
        with self._memo_lock:
            hit = self._trees.get(oid)
        if hit is not None:
            return hit
        got = self._cat.contents(oid, MAX_TREE_BYTES)
        if got is None or got[0] != "tree":
            return {}
        entries = _parse_tree(got[1], len(oid) // 2)
        with self._memo_lock:
            if len(self._trees) > 4096:
                self._trees.clear()
            self._trees[oid] = entries
        return entries

    def differing_paths(self, commit_a: str, commit_b: str, paths: Iterable[str]) -> list[str]:
        """The paths (normalized, in the order given) whose content differs
        between two commits: tree or blob id, and for a single file also its
        mode (an executable bit or a file turned symlink is a change).  A path
        absent from both is not a difference.  Content, not ancestry: the
        commits need not be related."""
        norm = list(dict.fromkeys(norm_path(p) for p in paths))
        ids = self.tree_ids([(c, p) for p in norm for c in (commit_a, commit_b)])
        out = []
        for p in norm:
            a, b = ids[(commit_a, p)], ids[(commit_b, p)]
            if a != b:
                out.append(p)
            elif a is not None and p:
                ea, eb = self.entry(commit_a, p), self.entry(commit_b, p)
                if ea is not None and eb is not None and ea.type != "tree" and ea.mode != eb.mode:
                    out.append(p)
        return out

    def read_blob(self, commit: str, path: str, max_bytes: int) -> bytes | None:
        """The bytes of a regular file at ``commit``: None when absent, a folder,
        a symlink or a submodule; ``ValueError`` when larger than ``max_bytes``
        (checked before the content is read)."""
        found = self.entry(commit, path)
        if found is None or found.mode not in ("100644", "100755", "100664"):
            return None
        got = self._cat.contents(found.oid, max_bytes)
        if got is None or got[0] != "blob":
            return None
        return got[1]

    # history ---------------------------------------------------------------------------------
    def _git_cmd(self, args: list[str], max_bytes: int | None = None) -> bytes:
        cap = MAX_OUTPUT if max_bytes is None else max_bytes
        return _run([self._git, *_QUIET_CONFIG, *args], self._env, self._cwd, self.timeout, cap)

    def _commit(self, rev: str) -> str:
        sha = self.resolve(rev)
        if sha is None:
            raise UnknownCommit(rev)
        return sha

    def commits_touching(
        self, paths: Iterable[str], since_exclusive: str, until: str = "HEAD", *, limit: int = 10
    ) -> TouchingCommits:
        """The commits reachable from ``until`` and not from ``since_exclusive``
        that changed any of ``paths`` (what PIN030 lists after a build commit):
        the newest ``limit`` and the total.  After a squash or rebase merge the
        build commit is not an ancestor of ``until``: the list then also holds
        the merged commit itself, the one that brought the build's change in.
        One ``git log`` process, subjects truncated by git itself so the output
        stays bounded.  Raises ``UnknownCommit`` when either end is not a local
        commit."""
        since, head = self._commit(since_exclusive), self._commit(until)
        spec = self._pathspec(paths)
        log = self._git_cmd(
            ["log", "--no-color", "-z", f"--format=%H %<({MAX_SUBJECT},trunc)%s", f"{since}..{head}", "--", *spec]
        )
        commits = []
        for record in log.decode("utf-8", "replace").split("\0"):
            sha, _, subject = record.strip("\n").partition(" ")
            if is_full_sha(sha):
                commits.append((sha, _clean_subject(subject.rstrip(" "))))
        return TouchingCommits(tuple(commits[: max(0, limit)]), len(commits))

    def commits_touching_many(
        self, requests: Iterable[tuple[Iterable[str], str]], until: str = "HEAD", *, limit: int = 10,
        workers: int | None = None,
    ) -> list[TouchingCommits | UnknownCommit | GitError]:
        """``commits_touching(paths, since, until)`` for each ``(paths, since)``,
        run concurrently (one process each, ``workers`` at a time: default the
        CPU count); each result or the error it raised, in order."""
        todo = [(list(paths), since) for paths, since in requests]

        def one(item: tuple[list[str], str]) -> TouchingCommits | UnknownCommit | GitError:
            try:
                return self.commits_touching(item[0], item[1], until, limit=limit)
            except (UnknownCommit, GitError) as e:
                return e

        if len(todo) <= 1:
            return [one(item) for item in todo]
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2, thread_name_prefix="pinlint-git") as pool:
            return list(pool.map(one, todo))

    def newest_commit_touching(self, paths: Iterable[str], at_or_before_rev: str) -> str | None:
        """The newest commit at or before ``at_or_before_rev`` that changed any
        of ``paths`` (SPEC §3 placeholders); with no paths, the revision itself.
        None when no commit in the (possibly shallow) history changed them.
        Raises ``UnknownCommit`` for a revision that names no local commit."""
        rev = self._commit(at_or_before_rev)
        spec = self._pathspec(paths)
        if not spec:
            return rev
        out = self._git_cmd(["rev-list", "--max-count=1", rev, "--", *spec], 1024).decode().strip()
        return out if is_full_sha(out) else None

    def changed_paths(self, base: str, head: str = "HEAD") -> set[str]:
        """The paths the change ``base...head`` touches, from the merge base:
        what ``head`` adds, modifies or deletes since it forked from ``base``
        (renames as a deletion plus an addition).  This is what a pull request
        changes; the two-dot ``base..head`` diff would also list, reversed,
        everything merged into ``base`` since, blaming the PR for it.  Committed
        changes only.  Raises ``UnknownCommit`` for an unknown end and
        ``GitError`` when there is no merge base (unrelated histories, or a
        shallow clone cut above it: fetch with ``fetch-depth: 0``)."""
        b, h = self._commit(base), self._commit(head)
        try:
            out = self._git_cmd(["diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", f"{b}...{h}", "--"])
        except GitError as e:
            raise GitError(
                f"cannot find where {head} forked from {base} ({e}); "
                "a shallow clone needs the history to the merge base (actions/checkout fetch-depth: 0)"
            ) from None
        return {p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}

    def merge_base(self, base: str, head: str = "HEAD") -> str:
        """The commit ``head`` forked from ``base`` (what ``base...head`` diffs
        against).  ``UnknownCommit`` for an unknown end; ``GitError`` when there
        is none (unrelated histories, or a shallow clone cut above it)."""
        b, h = self._commit(base), self._commit(head)
        try:
            out = self._git_cmd(["merge-base", b, h], 256).decode().strip()
        except GitError as e:
            raise GitError(
                f"cannot find where {head} forked from {base} ({e}); "
                "a shallow clone needs the history to the merge base (actions/checkout fetch-depth: 0)"
            ) from None
        if not is_full_sha(out):
            raise GitError(f"{head} and {base} have no common history")
        return out

    def is_shallow(self) -> bool:
        """Whether this is a shallow clone (so PIN032 can say ``git fetch --unshallow``);
        asked once per repository, however many PIN032 messages want it."""
        if self._shallow is None:
            self._shallow = self._git_cmd(["rev-parse", "--is-shallow-repository"], 64).strip() == b"true"
        return self._shallow

    def _pathspec(self, paths: Iterable[str]) -> list[str]:
        """Literal pathspecs; the root (``""``) means every path, hence none."""
        norm = [norm_path(p) for p in paths]
        if "" in norm:
            return []
        return list(dict.fromkeys(norm))


_MODE_TYPES = {"40000": "tree", "160000": "commit"}


def _parse_tree(data: bytes, oid_len: int) -> dict[str, tuple[str, str]]:
    """A raw tree object: ``<mode> <name>\\0<oid bytes>`` repeated."""
    out: dict[str, tuple[str, str]] = {}
    i, n = 0, len(data)
    while i < n:
        sp = data.find(b" ", i)
        nul = data.find(b"\0", sp + 1)
        if sp < 0 or nul < 0 or nul + 1 + oid_len > n:
            break
        mode = data[i:sp].decode("ascii", "replace")
        name = data[sp + 1 : nul].decode("utf-8", "surrogateescape")
        out[name] = (mode, data[nul + 1 : nul + 1 + oid_len].hex())
        i = nul + 1 + oid_len
    return out


class GitTree:
    """The ``pinlint.tree.Tree`` of one commit: ``GitTree(repo, "origin/main")``.
    The revision is resolved once, when the tree is made (``UnknownCommit``
    when it names no commit), so every read sees the same commit."""

    def __init__(self, repo: GitRepo, rev: str) -> None:
        sha = repo.resolve(rev)
        if sha is None:
            raise UnknownCommit(rev)
        self.repo = repo
        self.rev = rev
        self.commit = sha

    @property
    def label(self) -> str:
        return self.rev

    def read(self, relpath: str, max_bytes: int) -> bytes | None:
        """The file's bytes at the commit; None when absent, a folder, a symlink
        or a submodule; ``ValueError`` when larger than ``max_bytes``, checked
        from the object's size before its content is read."""
        try:
            path = norm_path(relpath)
        except ValueError:
            return None
        if not path:
            return None
        return self.repo.read_blob(self.commit, path, max_bytes)
