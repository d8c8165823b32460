"""pinlint.atomicwrite: the one writer for reports, cache entries and fixes.

Failures are real: a file-size limit (RLIMIT_FSIZE) in a child process makes
the write itself fail half way, and concurrent writers are real processes.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pinlint.atomicwrite import open_text, write_bytes, write_text
from pinlint.errors import PinlintError, WriteError

ROOT = str(Path(__file__).resolve().parent.parent)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_writes_bytes_and_text(tmp_path):
    write_bytes(tmp_path / "a.bin", b"\x00\x01")
    write_text(tmp_path / "b.txt", "one\ntwo\n")
    write_text(tmp_path / "c.txt", "one\ntwo\n", newline="\r\n")
    with open_text(tmp_path / "d.txt") as out:
        out.write("é\n")
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_bytes() == b"one\ntwo\n"
    assert (tmp_path / "c.txt").read_bytes() == b"one\r\ntwo\r\n"
    assert (tmp_path / "d.txt").read_bytes() == "é\n".encode()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o444])
def test_an_existing_file_keeps_its_mode(tmp_path, mode):
    target = tmp_path / "f.yaml"
    target.write_text("old")
    target.chmod(mode)
    write_text(target, "new")
    assert target.read_text() == "new" and _mode(target) == mode


def test_a_new_file_gets_what_the_umask_allows(tmp_path):
    old = os.umask(0o027)
    try:
        write_text(tmp_path / "new.txt", "x")
        write_text(tmp_path / "private.txt", "x", new_file_mode=0o600)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.txt") == 0o640
    assert _mode(tmp_path / "private.txt") == 0o600


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("keep me")
    (repo / "report.json").symlink_to(victim)
    (repo / "dangling.json").symlink_to(outside / "nothing-yet.txt")
    (repo / "sub").symlink_to(outside, target_is_directory=True)

    for name in ("report.json", "dangling.json", "sub/victim.txt"):
        with pytest.raises(WriteError) as e:
            write_text(repo / name, "pwned", root=repo)
        assert str(repo / name) in str(e.value) and "outside" in str(e.value)
        assert isinstance(e.value, PinlintError) and e.value.exit_code == 2
    assert victim.read_text() == "keep me"
    assert not (outside / "nothing-yet.txt").exists()
    assert _leftovers(repo) == [] and sorted(p.name for p in outside.iterdir()) == ["victim.txt"]


def test_a_symlink_inside_the_root_is_written_through(tmp_path):
    (tmp_path / "real.yaml").write_text("old")
    (tmp_path / "real.yaml").chmod(0o640)
    (tmp_path / "link.yaml").symlink_to("real.yaml")
    write_text(tmp_path / "link.yaml", "new", root=tmp_path)
    assert (tmp_path / "link.yaml").is_symlink()
    assert (tmp_path / "real.yaml").read_text() == "new" and _mode(tmp_path / "real.yaml") == 0o640


def test_an_exception_inside_the_block_leaves_the_original_and_no_temporary_file(tmp_path):
    target = tmp_path / "out.sarif"
    target.write_text("original")
    with pytest.raises(RuntimeError), open_text(target) as out:
        out.write("half of a report" * 1000)
        out.flush()
        assert _leftovers(tmp_path), "the content goes to a temporary file first"
        raise RuntimeError("reporter crashed")
    assert target.read_text() == "original"
    assert _leftovers(tmp_path) == []


FILL = """
import resource, signal, sys
sys.path.insert(0, {root!r})
from pinlint.atomicwrite import write_bytes, open_text
from pinlint.errors import WriteError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    if sys.argv[2] == "bytes":
        write_bytes(sys.argv[1], b"x" * 100_000)
    else:
        with open_text(sys.argv[1]) as out:
            for _ in range(1000):
                out.write("y" * 100)
except WriteError as e:
    print(e)
    sys.exit(3)
"""


@pytest.mark.parametrize("how", ["bytes", "text"])
def test_a_write_that_fails_half_way_leaves_the_original_and_no_temporary_file(tmp_path, how):
    target = tmp_path / "values.yaml"
    target.write_text("image: nginx:1.25\n")
    done = subprocess.run([sys.executable, "-c", FILL.format(root=ROOT), str(target), how],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith(f"cannot write {target}: ") and "too large" in done.stdout.lower()
    assert target.read_text() == "image: nginx:1.25\n"
    assert _leftovers(tmp_path) == []


def test_a_missing_folder_is_a_write_error_naming_the_file(tmp_path):
    with pytest.raises(WriteError) as e:
        write_text(tmp_path / "no" / "such" / "report.json", "{}")
    assert str(tmp_path / "no" / "such" / "report.json") in str(e.value)


WRITER = """
import sys
sys.path.insert(0, {root!r})
from pinlint.atomicwrite import write_bytes
me = sys.argv[2].encode()
for i in range(int(sys.argv[3])):
    write_bytes(sys.argv[1], me * 200_000 + b"%d" % i)
"""


def test_concurrent_writers_never_produce_a_torn_file(tmp_path):
    target = tmp_path / "shared.json"
    write_bytes(target, b"start")
    stop = threading.Event()
    seen: set[bytes] = set()
    torn: list[int] = []

    def read() -> None:
        while not stop.is_set():
            data = target.read_bytes()
            head = data[:1]
            body = data.rstrip(b"0123456789")
            if data != b"start" and not (len(body) == 200_000 and body == head * 200_000):
                torn.append(len(data))
            seen.add(head)

    reader = threading.Thread(target=read)
    reader.start()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.format(root=ROOT), str(target), letter, "40"])
             for letter in "abcd"]
    try:
        assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    finally:
        stop.set()
        reader.join()
    assert torn == []
    assert seen - {b"s"}, "the reader saw the writers' content"
    assert _leftovers(tmp_path) == []
