"""Reading and locating: one file in, a ``ScannedFile`` out.

This is the hot path of a large run.  Files whose text cannot hold a
reference are not parsed; the rest are parsed by libyaml and composed by
``yamldoc``; many files are spread over all cores.  Every failure to read or
parse becomes a PIN900/PIN901 problem for that file, never an exception.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from typing import Any, NamedTuple

from pinlint import crossfile, formats, gcpolicy, suppressions
from pinlint.crossfile import CrossFile
from pinlint.discovery import Candidate
from pinlint.formats import embedded, helm_template
from pinlint.locators import Locator
from pinlint.model import FileProblem, LocatedRef, ScannedFile
from pinlint.sourcetext import DecodeError, OtherEncoding, SourceText
from pinlint.yamldoc import Budget, Limits, Node, YamlError, YMap, YSeq, YStr, is_null, iter_documents

_PARALLEL_MIN_FILES = 400
_CHUNK = 64


class ScanSettings(NamedTuple):
    locators: tuple[Locator, ...]
    limits: Limits
    max_size: int
    cross: CrossFile = CrossFile()  # what references take from other files (``crossfile``)
    digests: bool = True  # hash each file's bytes (``ScannedFile.sha256``: what ``--fix`` checks before writing)


def scan_file(c: Candidate, settings: ScanSettings, k8s_keywords: tuple[str, ...]) -> ScannedFile:
    try:
        data = _read(c.abspath, settings.max_size)
    except _NotRead as exc:
        return _problem(c, exc.rule, exc.message)
    except OSError as exc:
        return _problem(c, "PIN901", f"cannot read: {exc.strerror}")
    return scan_bytes(c, data, settings, k8s_keywords)


class _NotRead(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


# O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _read(path: str, max_size: int) -> bytes:
    """The bytes of a regular file of at most ``max_size`` bytes.  A FIFO or a
    device is never opened (it could block, or do something when opened); the
    open file is checked again, in case the path was swapped in between."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise _NotRead("PIN901", "not a regular file: not read")
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _NotRead("PIN901", "not a regular file: not read")
        if st.st_size > max_size:
            raise _NotRead("PIN900", f"file is {st.st_size / 1024 / 1024:.1f} MB, larger than the "
                                     f"{max_size / 1024 / 1024:g} MB limit: not parsed")
        chunks = []
        left = max_size + 1  # a file that grew past the limit since fstat is caught below
        while left > 0:
            chunk = os.read(fd, min(left, max(st.st_size + 1, 65536)))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > max_size:
        raise _NotRead("PIN900", f"file is larger than the {max_size / 1024 / 1024:g} MB limit: not parsed")
    return data


def scan_bytes(c: Candidate, data: bytes, settings: ScanSettings, k8s_keywords: tuple[str, ...]) -> ScannedFile:
    """Locate the references in ``data``, the content of ``c`` (what the
    fixer uses to prove that an edited file reads as planned)."""
    digest = ""
    if settings.digests:
        import hashlib  # only --fix needs it: a pre-commit run does not load OpenSSL

        digest = hashlib.sha256(data).hexdigest()
    try:
        source = SourceText.from_bytes(data)
    except DecodeError as exc:
        return _problem(c, "PIN900" if isinstance(exc, OtherEncoding) else "PIN901", f"{exc}: not read",
                        digest=digest)
    scalars: list[tuple[int, int]] = []  # where a "# pinlint:" is data, not a comment
    if c.kind == "dockerfile":
        from pinlint.formats.dockerfile import ExpansionLimit

        try:
            refs = formats.locate_dockerfile(c.relpath, source)
        except ExpansionLimit as exc:
            return _problem(c, "PIN900", str(exc), exc.line, exc.column, digest)
    elif c.kind == helm_template.KIND:
        refs = helm_template.locate(c.relpath, source) if "image" in source.text else []
    elif not formats.may_hold_refs(c.kind, source.text, k8s_keywords):
        return ScannedFile(c.relpath, c.kind, (), (), (), digest)
    else:
        try:
            refs = _locate_streamed(c, source, settings, scalars=scalars if "pinlint:" in source.text else None)
        except YamlError as exc:
            return _problem(c, "PIN900", exc.message, exc.line, exc.column, digest)
    if settings.cross.app_versions or settings.cross.azure_aliases:
        refs = list(crossfile.apply(refs, settings.cross))
    if c.kind == "dockerfile":
        sups = suppressions.parse(c.relpath, source, full_line=True)
    else:
        sups = suppressions.parse(c.relpath, source, scalars)
    return ScannedFile(c.relpath, c.kind, tuple(refs), (), sups, digest)


def _scalar_ranges(doc: object, out: list[tuple[int, int]]) -> None:
    """Add the character ranges of every scalar (keys included) of one document."""
    seen: set[int] = set()
    stack: list[object] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, YStr):
            out.append((node.start, node.end))
        elif isinstance(node, (YMap, YSeq)) and id(node) not in seen:
            seen.add(id(node))
            if isinstance(node, YMap):
                stack.extend(node.keynodes.values())
                stack.extend(node.values())
            else:
                stack.extend(node)


def _locate_streamed(
    c: Candidate, source: SourceText, settings: ScanSettings, kind: str = "",
    scalars: list[tuple[int, int]] | None = None,
) -> list[LocatedRef]:
    """The references of a YAML file, located one document at a time: only
    the current document and the references found so far are in memory
    (millions of empty documents, or a few large ones, cost what one does).

    Every locator reads documents independently, in order, so this is what
    ``formats.locate_yaml`` gives on the whole list, with one exception kept
    exactly: an Azure Pipelines path is read as Kubernetes when any of its
    documents is a Kubernetes object, so meeting one starts over.

    Each document's embedded manifests and Helm values (``formats.embedded``)
    follow its own references; the file's one alias budget covers them too.
    A reference found both ways (at the same place) is kept once, as its
    format located it."""
    kind = kind or c.kind
    refs: list[LocatedRef] = []
    budget = Budget()
    found = embedded.triggers(source.text)
    for doc in iter_documents(source.text, settings.limits, budget):
        if is_null(doc):
            continue  # an empty document holds no reference
        if kind == "azure-pipelines" and _is_kubernetes(doc):
            if scalars is not None:
                scalars.clear()
            return _locate_streamed(c, source, settings, "kubernetes", scalars)
        located = formats.locate_yaml(kind, c.relpath, source, (doc,), settings.locators)
        if found.any:
            inner = embedded.locate(kind, c.relpath, source, doc, settings.locators, settings.limits, budget, found)
            if inner:
                starts = {r.span.start for r in located}
                located.extend(r for r in inner if r.span.start not in starts)
                located.sort(key=lambda r: r.span.start)  # in file order, as a format's own are
        refs.extend(located)
        if scalars is not None:
            _scalar_ranges(doc, scalars)
    return refs


def _is_kubernetes(doc: Node | None) -> bool:
    """What ``formats.locate_yaml`` asks of a document on an Azure Pipelines path."""
    return isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc


def _problem(
    c: Candidate, rule: str, message: str, line: int = 1, column: int = 1, digest: str = ""
) -> ScannedFile:
    return ScannedFile(c.relpath, c.kind, (), (FileProblem(rule, c.relpath, message, line, column),), (), digest)


# Worker processes are forked after these are set, so settings are not pickled per task.
_WORKER_SETTINGS: ScanSettings | None = None
_WORKER_KEYWORDS: tuple[str, ...] = ()


def _scan_chunk(chunk: Sequence[Candidate]) -> list[ScannedFile]:
    assert _WORKER_SETTINGS is not None
    return [scan_file(c, _WORKER_SETTINGS, _WORKER_KEYWORDS) for c in chunk]


def scan(candidates: Sequence[Candidate], settings: ScanSettings, jobs: int) -> list[ScannedFile]:
    """Scan every candidate, on ``jobs`` processes when there are enough files."""
    with gcpolicy.collect_less():
        return _scan(candidates, settings, jobs)


def _scan(candidates: Sequence[Candidate], settings: ScanSettings, jobs: int) -> list[ScannedFile]:
    global _WORKER_SETTINGS, _WORKER_KEYWORDS
    keywords = formats.kubernetes_keywords(settings.locators)
    if jobs <= 1 or len(candidates) < _PARALLEL_MIN_FILES:
        return [scan_file(c, settings, keywords) for c in candidates]
    import multiprocessing  # a pre-commit run of a few files never pays for these imports
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return [scan_file(c, settings, keywords) for c in candidates]
    _WORKER_SETTINGS, _WORKER_KEYWORDS = settings, keywords
    chunks = [candidates[i : i + _CHUNK] for i in range(0, len(candidates), _CHUNK)]
    results: list[ScannedFile] = []
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        for part in pool.map(_scan_chunk, chunks):
            results.extend(part)
    return results


class Streamed:
    """``scan`` of files that are still being found: ``add`` each one as the
    walk finds it, then ``finish`` gives what ``scan`` gives on the list.

    The first ``_PARALLEL_MIN_FILES`` files are held; once that many have
    been found (and ``jobs`` > 1), the worker pool starts and every full
    chunk is sent to it at once, so the workers scan while the walk goes
    on (on two cores, the walk of a large tree took a core for a tenth of
    the run while the other waited).  A run that finds fewer files is
    scanned in this process, as ``scan`` does."""

    def __init__(self, settings: ScanSettings, jobs: int) -> None:
        self.settings = settings
        self.jobs = jobs
        self.keywords = formats.kubernetes_keywords(settings.locators)
        self.held: list[Candidate] = []
        self.pool: Any = None
        self.parts: list[Any] = []  # futures of lists of ScannedFile, in order

    def add(self, c: Candidate) -> None:
        held = self.held
        held.append(c)
        if self.pool is not None:
            if len(held) == _CHUNK:
                self._send()
        elif len(held) >= _PARALLEL_MIN_FILES and self.jobs > 1:
            self._start()

    def _start(self) -> None:
        global _WORKER_SETTINGS, _WORKER_KEYWORDS
        import multiprocessing  # a pre-commit run of a few files never pays for these imports
        from concurrent.futures import ProcessPoolExecutor

        if "fork" not in multiprocessing.get_all_start_methods():
            self.jobs = 1
            return
        _WORKER_SETTINGS, _WORKER_KEYWORDS = self.settings, self.keywords
        self.pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("fork"))
        held, self.held = self.held, []
        for i in range(0, len(held), _CHUNK):
            self.held = held[i : i + _CHUNK]
            if len(self.held) == _CHUNK:
                self._send()

    def _send(self) -> None:
        self.parts.append(self.pool.submit(_scan_chunk, self.held))
        self.held = []

    def finish(self) -> list[ScannedFile]:
        if self.pool is None:
            return [scan_file(c, self.settings, self.keywords) for c in self.held]
        try:
            if self.held:
                self._send()
            return [scanned for part in self.parts for scanned in part.result()]
        finally:
            self.close()

    def close(self) -> None:
        """Stop the workers (after ``finish``, or when the walk failed)."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
