"""Writing a file so that readers only ever see the old or the new content.

    write_bytes(path, data, root=repo)          # bytes
    write_text(path, text, root=repo)           # str, "\\n" line ends unless told
    with open_text(path, root=repo) as out:     # a stream; renamed into place
        out.write(...)                          # only if the block completes

The new content goes to a temporary file with a unique name
(``tempfile.mkstemp``) in the target's own folder, is flushed and
``fsync``-ed, given the target's mode, and renamed over the target
(``os.replace``, atomic on POSIX and Windows); the folder is then synced so
the rename survives a crash.  Concurrent writers never produce a torn file:
the last rename wins, whole.  On any failure, or an exception inside the
``open_text`` block, the temporary file is removed and the target is left as
it was.

* Mode: an existing target keeps its permission bits; a new file gets
  ``0o666 & ~umask`` like ``open()`` would give it (or ``new_file_mode``).
* Symlinks: the write goes to the file a symlink names (the link itself is
  kept).  With ``root``, a target whose real path - after every symlink, in
  the file name or its folders - is outside ``root`` is refused.
* ``durable=False`` skips both fsyncs (about 4 ms a file): still atomic for
  readers, but a crash may lose the write.  For the registry cache, whose
  entries are only hints that are checked when read.
* Errors: ``WriteError`` (a ``PinlintError``, exit code 2) naming the file.
"""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import TextIO

from pinlint.errors import WriteError

__all__ = ["WriteError", "open_text", "write_bytes", "write_text"]

_umask_lock = threading.Lock()


def write_bytes(path: str | os.PathLike[str], data: bytes, *, root: str | os.PathLike[str] | None = None,
                new_file_mode: int | None = None, durable: bool = True) -> None:
    """Replace ``path``'s content with ``data``, atomically."""
    with _replacing(path, root, new_file_mode, durable) as f:
        f.write(data)


def write_text(path: str | os.PathLike[str], text: str, *, root: str | os.PathLike[str] | None = None,
               newline: str | None = "\n", encoding: str = "utf-8", new_file_mode: int | None = None,
               durable: bool = True) -> None:
    """Replace ``path``'s content with ``text`` (``newline`` as ``open()`` takes it:
    ``"\\n"`` writes line ends as they are in ``text``)."""
    with open_text(path, root=root, newline=newline, encoding=encoding, new_file_mode=new_file_mode,
                   durable=durable) as f:
        f.write(text)


@contextlib.contextmanager
def open_text(path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None,
              newline: str | None = "\n", encoding: str = "utf-8",
              new_file_mode: int | None = None, durable: bool = True,
              follow_symlinks: bool = True) -> Iterator[TextIO]:
    """A text stream whose content replaces ``path`` when the block completes;
    if the block raises, ``path`` is untouched and the exception goes on.
    ``follow_symlinks=False`` replaces a symlink at ``path`` with the new
    file instead of writing where it points (for reports: a link planted in
    the repository must not redirect the write)."""
    with _replacing(path, root, new_file_mode, durable, follow_symlinks) as raw:
        stream = io.TextIOWrapper(raw, encoding=encoding, newline=newline)
        try:
            yield stream
            stream.flush()
        finally:
            # hand the file back unclosed: _replacing still fsyncs and renames it
            with contextlib.suppress(ValueError, OSError):
                stream.detach()


@contextlib.contextmanager
def _replacing(path: str | os.PathLike[str], root: str | os.PathLike[str] | None,
               new_file_mode: int | None, durable: bool,
               follow_symlinks: bool = True) -> Iterator[io.BufferedWriter]:
    name = os.fspath(path)
    target = _target(name, root) if follow_symlinks else _link_target(name, root)
    folder = os.path.dirname(target) or "."
    try:
        mode = _mode_for(target, new_file_mode)
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise WriteError(name, _reason(e)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fchmod(f.fileno(), mode)
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise WriteError(name, _reason(e)) from None
        raise
    if durable:
        _sync_folder(folder)


def _target(name: str, root: str | os.PathLike[str] | None) -> str:
    """The file actually written: ``name`` with every symlink resolved,
    refused when it leaves ``root``."""
    real = os.path.realpath(name)
    if root is not None:
        base = os.path.realpath(os.fspath(root))
        if os.path.commonpath([base, real]) != base:
            raise WriteError(name, f"it resolves to {real}, outside {base}")
    if os.path.isdir(real):
        raise WriteError(name, "it is a folder")
    return real


def _link_target(name: str, root: str | os.PathLike[str] | None) -> str:
    """``name`` itself (a symlink there is replaced, not followed), in its
    folder with every symlink of the folder resolved, refused when that folder
    leaves ``root``."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(name)))
    target = os.path.join(folder, os.path.basename(name))
    if root is not None:
        base = os.path.realpath(os.fspath(root))
        if os.path.commonpath([base, folder]) != base:
            raise WriteError(name, f"its folder resolves to {folder}, outside {base}")
    if os.path.isdir(target) and not os.path.islink(target):
        raise WriteError(name, "it is a folder")
    return target


def _mode_for(target: str, new_file_mode: int | None) -> int:
    if os.path.islink(target):
        return new_file_mode if new_file_mode is not None else 0o666 & ~_umask()
    try:
        return os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        pass
    if new_file_mode is not None:
        return new_file_mode
    return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # elsewhere the only way to read it is to set it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _sync_folder(folder: str) -> None:
    """Make the rename durable; folders cannot be opened on every platform."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _reason(e: OSError) -> str:
    return e.strerror or type(e).__name__
