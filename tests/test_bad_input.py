"""Bad input (SPEC §9, last paragraph; PIN900/PIN901 of §4).

Every hostile or broken file is run through the real command line in a
subprocess, inside a temporary git repository, next to an ordinary manifest
with a mutable tag.  What a user relies on, for each case:

* the bad file becomes one PIN900 (cannot be parsed) or PIN901 (cannot be
  read) finding, at its path relative to the repository root, with a message
  that says what is wrong;
* there is no traceback: pinlint does not crash;
* the run goes on: the mutable tag next to it is still reported;
* the exit code is 1 (there is an error finding);
* nothing outside the repository is read through a symlink.

The subprocess timeout is generous and only there so that a hang (an alias
bomb being expanded, a FIFO being opened) fails the test instead of blocking
the suite; nothing here asserts on time or memory (see ``benchmarks/``).
"""
from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.helpers import make_repo, run_json

CHECKOUT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # a hang fails instead of blocking; not a performance assertion

GOOD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: web
      image: nginx:1.25
"""
GOOD_PATH = "apps/good.yaml"
GOOD_LINE, GOOD_COLUMN = 7, 14


def pod(image_value: str, name: str = "app") -> str:
    """A Pod whose container image (line 7) is ``image_value`` verbatim."""
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n    - name: app\n"
        f"      image: {image_value}\n"
    )


class Result(NamedTuple):
    code: int
    stdout: str
    stderr: str
    report: dict


def _env() -> dict:
    env = os.environ.copy()
    # The checkout under test, not whatever pinlint happens to be installed.
    env["PYTHONPATH"] = str(CHECKOUT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("CI", None)
    return env


def pinlint(cwd: Path, *args: str, fmt: str = "json") -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "pinlint", "--offline", "--no-progress", "--format", fmt, *args],
        cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout) if fmt == "json" else {}
    return Result(proc.returncode, proc.stdout, proc.stderr, report)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "gitops"
    (root / "apps").mkdir(parents=True)
    (root / GOOD_PATH).write_text(GOOD)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def findings(report: dict, path: str) -> list[dict]:
    return [f for f in report["findings"] if f["path"] == path]


def assert_run_went_on(result: Result) -> None:
    """The good file's mutable tag is still reported, and the run fails on errors."""
    good = [f for f in result.report["findings"] if f["rule"] == "PIN001" and f["path"] == GOOD_PATH]
    assert [(f["line"], f["column"], f["ref"]) for f in good] == [(GOOD_LINE, GOOD_COLUMN, "nginx:1.25")]
    assert result.code == 1, result.stderr
    assert result.report["summary"]["errors"] >= 1


def assert_only_problem(result: Result, path: str, rule: str, *phrases: str) -> dict:
    """``path`` has exactly one finding, the PIN900/PIN901 ``rule``, whose message says ``phrases``."""
    found = findings(result.report, path)
    assert [f["rule"] for f in found] == [rule], found
    (f,) = found
    assert f["name"] == {"PIN900": "unparseable-file", "PIN901": "unreadable-file"}[rule]
    assert f["severity"] == {"PIN900": "error", "PIN901": "warning"}[rule]
    assert f["ref"] is None
    for phrase in phrases:
        assert phrase in f["message"], f["message"]
    # No reference was taken from a file that could not be parsed or read.
    assert not [r for r in result.report["refs"] if r["path"] == path]
    return f


# --------------------------------------------------------------------------- cases
#
# Each case writes its bad file(s) into the repository and returns what it
# expects: (path, rule, line or None, column or None, message phrases).

Expected = list[tuple[str, str, "int | None", "int | None", tuple[str, ...]]]


def invalid_yaml(root: Path) -> Expected:
    # An `image:` key, so the file is not skipped as unable to hold a reference;
    # the second `:` on line 7 (column 19) is where libyaml gives up.
    (root / "apps/broken.yaml").write_text(pod("nginx: 1.25"))
    return [("apps/broken.yaml", "PIN900", 7, 19, ("invalid YAML", "mapping values are not allowed"))]


def alias_bomb(root: Path) -> Expected:
    # Billion laughs: 10 levels of 10 aliases = 10^10 nodes if expanded.
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: lol}\n" + "\n".join(lines) + (
        "\nspec:\n  containers:\n    - name: app\n      image: *l9\n")
    (root / "apps/bomb.yaml").write_text(text)
    return [("apps/bomb.yaml", "PIN900", None, None, ("alias expansion past 10,000 nodes",))]


def recursive_alias(root: Path) -> Expected:
    (root / "apps/recursive.yaml").write_text(pod("&self [*self]"))
    return [("apps/recursive.yaml", "PIN900", 7, 21, ("recursive alias *self",))]


def binary_file(root: Path) -> Expected:
    data = pod("redis:7").encode() + b"\x00\x01\x02\xff\xfe\x00" * 64
    (root / "apps/deploy.yaml").write_bytes(data)
    return [("apps/deploy.yaml", "PIN901", 1, 1, ("binary file",))]


def latin1_file(root: Path) -> Expected:
    text = pod("redis:7  # caf\u00e9 cr\u00e8me")
    (root / "apps/latin1.yaml").write_bytes(text.encode("latin-1"))
    return [("apps/latin1.yaml", "PIN901", 1, 1, ("not valid UTF-8", "0xe9", "line 7"))]


def binary_gitlab_ci(root: Path) -> Expected:
    # The root pipeline is also read for its `include: local` entries: that
    # must not crash either.
    (root / ".gitlab-ci.yml").write_bytes(b"image: redis:7\ninclude: [{local: ci/*.yml}]\n\x00\x00\xff")
    return [(".gitlab-ci.yml", "PIN901", 1, 1, ("binary file",))]


def latin1_gitlab_ci(root: Path) -> Expected:
    (root / ".gitlab-ci.yml").write_bytes("image: redis:7  # caf\u00e9\n".encode("latin-1"))
    return [(".gitlab-ci.yml", "PIN901", 1, 1, ("not valid UTF-8",))]


def huge_file(root: Path) -> Expected:
    # 50 MB of genuine manifests (mutable tags included): must not be parsed.
    chunk = (pod("redis:7") + "---\n").encode()
    with open(root / "apps/huge.yaml", "wb") as f:
        f.write(chunk * (50 * 1024 * 1024 // len(chunk) + 1))
    return [("apps/huge.yaml", "PIN900", 1, 1, ("file is 50.0 MB", "larger than the 10 MB limit"))]


def sparse_huge_file(root: Path) -> Expected:
    with open(root / "apps/sparse.yaml", "wb") as f:
        f.write(pod("redis:7").encode())
        f.truncate(50 * 1024 * 1024)
    return [("apps/sparse.yaml", "PIN900", 1, 1, ("file is 50.0 MB", "larger than the 10 MB limit"))]


def symlink_loop(root: Path) -> Expected:
    (root / "apps/a.yaml").symlink_to("b.yaml")
    (root / "apps/b.yaml").symlink_to("a.yaml")
    return [("apps/a.yaml", "PIN901", 1, 1, ("symlink loop",)), ("apps/b.yaml", "PIN901", 1, 1, ("symlink loop",))]


def directory_symlink_loop(root: Path) -> Expected:
    (root / "apps/loop").symlink_to(".")
    (root / "up").symlink_to("..")  # out of the repository *and* above it
    return [("apps/loop", "PIN901", 1, 1, ("symlink loop",)), ("up", "PIN901", 1, 1, ("out of the repository",))]


def deep_flow(root: Path) -> Expected:
    (root / "apps/deep-flow.yaml").write_text(pod("[" * 10_000 + "nginx" + "]" * 10_000))
    return [("apps/deep-flow.yaml", "PIN900", 7, None, ("nesting deeper than 1,000 levels",))]


def deep_block_sequences(root: Path) -> Expected:
    # Compact block sequences: `- - - …` nests one level per `- `.
    (root / "apps/deep-block.yaml").write_text("image:\n" + "- " * 10_000 + "nginx:1.25\n")
    return [("apps/deep-block.yaml", "PIN900", 2, None, ("nesting deeper than 1,000 levels",))]


def deep_block_mappings(root: Path) -> Expected:
    # Indented block mappings (1,200 levels: 10,000 would be past the size limit).
    body = "".join(" " * i + f"k{i}:\n" for i in range(1, 1_200))
    (root / "apps/deep-map.yaml").write_text("image:\n" + body + " " * 1_200 + "image: nginx:1.25\n")
    return [("apps/deep-map.yaml", "PIN900", None, None, ("nesting deeper than 1,000 levels",))]


def fifo(root: Path) -> Expected:
    os.mkfifo(root / "apps/pipe.yaml")  # open() would block forever
    return [("apps/pipe.yaml", "PIN901", 1, 1, ("not a regular file",))]


def utf16_file(root: Path) -> Expected:
    """YAML tools read UTF-16 and UTF-32 with a byte-order mark (kubectl
    would deploy these), so they are errors, not unreadable-file warnings."""
    (root / "apps/utf16.yaml").write_bytes(pod("nginx:latest").encode("utf-16"))
    (root / "apps/utf32.yaml").write_bytes(pod("nginx:latest").encode("utf-32-be").join((codecs.BOM_UTF32_BE, b"")))
    return [("apps/utf16.yaml", "PIN900", 1, 1, ("UTF-16 text", "store it as UTF-8")),
            ("apps/utf32.yaml", "PIN900", 1, 1, ("UTF-32 text", "store it as UTF-8"))]


def binary_key(root: Path) -> Expected:
    (root / "apps/binary.yaml").write_text(pod("nginx:1.25@sha256:" + "ab" * 32).replace(
        "      image:", "      !!binary aW1hZ2U=: nginx:latest\n      pinned:"))
    return [("apps/binary.yaml", "PIN900", 7, 7, ("!!binary scalar",))]


CASES: dict[str, Callable[[Path], Expected]] = {
    "invalid-yaml": invalid_yaml,
    "alias-bomb": alias_bomb,
    "recursive-alias": recursive_alias,
    "binary-deploy-yaml": binary_file,
    "latin-1": latin1_file,
    "utf-16-and-utf-32": utf16_file,
    "binary-key": binary_key,
    "binary-gitlab-ci": binary_gitlab_ci,
    "latin-1-gitlab-ci": latin1_gitlab_ci,
    "50MB": huge_file,
    "50MB-sparse": sparse_huge_file,
    "symlink-loop": symlink_loop,
    "directory-symlink-loop": directory_symlink_loop,
    "10000-deep-flow": deep_flow,
    "10000-deep-block-sequences": deep_block_sequences,
    "1200-deep-block-mappings": deep_block_mappings,
    "fifo": fifo,
}


def assert_expected(result: Result, expected: Expected) -> None:
    for path, rule, line, column, phrases in expected:
        f = assert_only_problem(result, path, rule, *phrases)
        if line is not None:
            assert f["line"] == line, f
        if column is not None:
            assert f["column"] == column, f


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_bad_file_is_a_finding_and_the_run_goes_on(repo: Path, case: Callable[[Path], Expected]) -> None:
    expected = case(repo)
    result = pinlint(repo.parent, str(repo))  # cwd outside the repository: paths are still root-relative
    assert_expected(result, expected)
    assert_run_went_on(result)
    # The bad files themselves contributed no reference, so only the good one is listed.
    assert [(r["path"], r["ref"]) for r in result.report["refs"]] == [(GOOD_PATH, "nginx:1.25")]
    assert result.report["summary"]["refs"] == 1


def test_every_bad_file_at_once_named_or_walked_in_every_format(repo: Path) -> None:
    expected: Expected = []
    for name, case in CASES.items():
        if name not in ("latin-1-gitlab-ci", "50MB-sparse"):  # one .gitlab-ci.yml; one big file is enough
            expected += case(repo)

    walked = pinlint(repo, ".")
    assert_expected(walked, expected)
    assert_run_went_on(walked)
    rules = {f["rule"] for f in walked.report["findings"]}
    assert rules == {"PIN001", "PIN900", "PIN901"}
    assert walked.report["summary"]["errors"] == 1 + sum(1 for e in expected if e[1] == "PIN900")
    assert walked.report["summary"]["warnings"] == sum(1 for e in expected if e[1] == "PIN901")
    # The directory loop was not walked into: nothing is reported twice under another name.
    assert not [f for f in walked.report["findings"] if f["path"].startswith(("apps/loop/", "up/"))]

    # As pre-commit runs it: every file named on the command line.
    named = pinlint(repo, GOOD_PATH, *[e[0] for e in expected])
    assert_expected(named, [e for e in expected if e[0] not in ("apps/loop", "up")])
    assert_run_went_on(named)

    # The other reports render the same findings without crashing.
    for fmt in ("text", "sarif", "github", "markdown"):
        other = pinlint(repo, ".", fmt=fmt)
        assert other.code == 1, (fmt, other.stderr)
        for path in ("apps/bomb.yaml", "apps/deploy.yaml", "apps/a.yaml", GOOD_PATH):
            assert path in other.stdout, (fmt, path)


# --------------------------------------------------------------------------- symlinks out of the repository


OUTSIDE_REF = "registry.internal/outside:latest"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the repository holding a manifest with a mutable tag."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.yaml").write_text(pod(OUTSIDE_REF, name="secret"))
    return folder


def assert_outside_not_read(result: Result) -> None:
    assert OUTSIDE_REF not in result.stdout, "a file outside the repository was read"
    assert not [r for r in result.report["refs"] if r["path"].endswith("secret.yaml")]


def test_symlink_to_a_file_outside_the_repository_is_not_read(repo: Path, outside: Path) -> None:
    (repo / "apps/linked.yaml").symlink_to(outside / "secret.yaml")
    (repo / "apps/relative.yaml").symlink_to(Path("../..") / "outside" / "secret.yaml")
    for args in ((".",), (GOOD_PATH, "apps/linked.yaml", "apps/relative.yaml")):
        result = pinlint(repo, *args)
        for path in ("apps/linked.yaml", "apps/relative.yaml"):
            assert_only_problem(result, path, "PIN901", "symlink leads out of the repository")
        assert_outside_not_read(result)
        assert_run_went_on(result)


def test_folder_symlink_out_of_the_repository_is_not_read(repo: Path, outside: Path) -> None:
    (repo / "vendor").symlink_to(outside, target_is_directory=True)
    walked = pinlint(repo, ".")
    assert_only_problem(walked, "vendor", "PIN901", "symlink leads out of the repository")
    assert_outside_not_read(walked)
    assert_run_went_on(walked)
    # pre-commit style: a file named through the linked folder is not read either.
    named = pinlint(repo, GOOD_PATH, "vendor/secret.yaml")
    assert_only_problem(named, "vendor/secret.yaml", "PIN901", "out of the repository")
    assert_outside_not_read(named)
    assert_run_went_on(named)


def test_symlink_inside_the_repository_is_followed(repo: Path) -> None:
    """The guard is about leaving the repository, not about symlinks as such."""
    (repo / "apps/alias.yaml").symlink_to("good.yaml")
    result = pinlint(repo, ".")
    linked = [f for f in findings(result.report, "apps/alias.yaml") if f["rule"] == "PIN001"]
    assert [(f["line"], f["column"], f["ref"]) for f in linked] == [(GOOD_LINE, GOOD_COLUMN, "nginx:1.25")]
    assert_run_went_on(result)


@pytest.mark.parametrize("alias", ["aa", "zz"], ids=["alias listed first", "alias listed last"])
def test_a_folder_reached_through_a_symlink_is_read_under_its_own_path(repo: Path, alias: str) -> None:
    """Whatever order the folder and a symlink to it are listed in, its files
    are read under their own paths, where a pipeline's includes name them (a
    link walked first used to take them, and ci/*.yml then matched nothing)."""
    (repo / ".gitlab-ci.yml").write_text("include:\n  - local: ci/*.yml\n")
    (repo / "ci").mkdir()
    (repo / "ci/build.yml").write_text("build:\n  image: redis:latest\n")
    (repo / alias).symlink_to("ci")
    result = pinlint(repo, ".")
    assert [(f["rule"], f["line"], f["ref"]) for f in findings(result.report, "ci/build.yml")] == [
        ("PIN001", 2, "redis:latest")]
    assert not [f for f in result.report["findings"] if f["path"].startswith(alias)]  # read once, not twice
    assert_run_went_on(result)


# --------------------------------------------------------------------------- configurable limits


def nested(depth: int) -> str:
    return pod("[" * (depth - 1) + "nginx" + "]" * (depth - 1))  # the container mapping adds levels


@pytest.mark.parametrize(
    ("limits", "make", "phrase"),
    [
        pytest.param("{max-depth: 50}", lambda: nested(60), "nesting deeper than 50 levels", id="max-depth"),
        pytest.param(
            "{max-alias-nodes: 5}",
            lambda: "x: &x [a]\n" + "".join(f"k{i}: *x\n" for i in range(10)) + pod("nginx:1.25"),
            "alias expansion past 5 nodes",
            id="max-alias-nodes",
        ),
        pytest.param(
            "{max-file-size: 1048576}",
            lambda: pod("nginx:1.25") + "#" * (2 * 1024 * 1024) + "\n",
            "larger than the 1 MB limit",
            id="max-file-size",
        ),
    ],
)
def test_configured_limit_takes_effect(repo: Path, limits: str, make: Callable[[], str], phrase: str) -> None:
    (repo / "apps/edge.yaml").write_text(make())

    # Within the default limits the file is an ordinary manifest ...
    default = pinlint(repo, ".")
    assert not [f for f in default.report["findings"] if f["rule"] in ("PIN900", "PIN901")]
    assert_run_went_on(default)

    # ... and past the configured one it is PIN900, while the rest goes on.
    (repo / ".pinlint.yaml").write_text(f"limits: {limits}\n")
    limited = pinlint(repo, ".")
    assert_only_problem(limited, "apps/edge.yaml", "PIN900", phrase)
    assert_run_went_on(limited)


def test_depth_limit_counts_levels_exactly(repo: Path) -> None:
    """max-depth N accepts N levels of nesting and rejects N + 1 (the top mapping is level 1)."""
    (repo / ".pinlint.yaml").write_text("limits: {max-depth: 50}\n")
    (repo / "apps/fifty.yaml").write_text("image: " + "[" * 49 + "]" * 49 + "\n")
    (repo / "apps/fifty-one.yaml").write_text("image: " + "[" * 50 + "]" * 50 + "\n")
    result = pinlint(repo, ".")
    assert not findings(result.report, "apps/fifty.yaml")
    assert_only_problem(result, "apps/fifty-one.yaml", "PIN900", "nesting deeper than 50 levels")
    assert_run_went_on(result)


def test_alias_bomb_in_the_configuration_is_a_configuration_error(repo: Path) -> None:
    """The policy file is pull-request input too: a bomb in it must not be expanded by validation."""
    lines = ['  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    (repo / ".pinlint.yaml").write_text("x-lol:\n" + "\n".join(lines) + "\ninclude: *l9\nexclude: *l9\n")
    result = subprocess.run(
        [sys.executable, "-m", "pinlint", "--offline", "--no-progress", "--format", "json", str(repo)],
        cwd=repo.parent, env=_env(), capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert ".pinlint.yaml" in result.stderr and "alias expansion past 10,000 nodes" in result.stderr, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("nest", [
    pytest.param(lambda n: "[" * n + "x" + "]" * n, id="flow"),
    pytest.param(lambda n: "".join("\n" + "  " * (i + 1) + f"k{i}:" for i in range(n)) + " x", id="block"),
])
def test_a_deeply_nested_configuration_is_a_configuration_error(
    repo: Path, nest: Callable[[int], str]
) -> None:
    """Typing and validating a policy recurse (ruamel.yaml's constructor, jsonschema): 990 levels used to
    end in a RecursionError traceback.  A policy deeper than 32 levels is refused, naming where."""
    (repo / ".pinlint.yaml").write_text("exclude: " + nest(990) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "pinlint", "--offline", "--no-progress", str(repo)],
        cwd=repo.parent, env=_env(), capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert ".pinlint.yaml (line" in result.stderr and "nesting deeper than 32 levels" in result.stderr, result.stderr
    (repo / ".pinlint.yaml").write_text("exclude: " + nest(25) + "\n")  # deep, but under the limit: judged
    result = subprocess.run(
        [sys.executable, "-m", "pinlint", "--offline", "--no-progress", str(repo)],
        cwd=repo.parent, env=_env(), capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert "Traceback" not in result.stderr and "nesting deeper" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("text", "line", "column", "says"),
    [
        pytest.param("a: 1\n\tb: 2\n", 2, 1, "a tab is used for indentation", id="tab"),
        pytest.param('a: "never closed\nb: 2\nc: 3\nd: 4\n', 1, 4, "unterminated quoted string", id="double-quote"),
        pytest.param("a: 'never closed\nb: 2\n", 1, 4, "unterminated quoted string", id="single-quote"),
        pytest.param("a: [1, 2\nb: 3\n", 1, 4, "the [ opened here is not closed", id="flow-sequence"),
        pytest.param("image: nginx: 1.25\n", 1, 13, "': ' inside a plain value", id="colon-in-value"),
    ],
)
def test_yaml_errors_say_what_is_wrong_where_it_starts(
    tmp_path: Path, text: str, line: int, column: int, says: str
) -> None:
    repo = tmp_path / "r"
    (repo / ".git").mkdir(parents=True)
    (repo / "k8s").mkdir()
    # "image" somewhere, or the file is never parsed (the keyword prefilter)
    (repo / "k8s" / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\n" + text + "# image\n")
    (finding,) = pinlint(repo).report["findings"]
    assert (finding["rule"], finding["line"], finding["column"]) == ("PIN900", line + 2, column), finding
    assert says in finding["message"], finding["message"]


@pytest.mark.parametrize("odd", ["\u2028", "\u2029", "\x85", "\r"], ids=["LS", "PS", "NEL", "lone-CR"])
@pytest.mark.parametrize("name, text", [
    ("pod.yaml", "# a{odd}\napiVersion: v1\nkind: Pod\nmetadata: {{name: 'a{odd}b'}}\nspec:\n  containers:\n"
                 "  - name: a\n    image: nginx:1.27\n  - name: b\n    image: \"redis:7\"\n"),
    ("compose.yaml", "# x{odd}\nservices:\n  db: {{image: 'postgres:16', labels: ['a{odd}b']}}\n"
                     "  web:\n    image: nginx:1\n"),
    ("kustomization.yaml", "# {odd}\nimages:\n  - name: nginx\n    newTag: '1.27'\n"),
])
def test_line_numbers_count_only_newlines(tmp_path: Path, odd: str, name: str, text: str) -> None:
    """libyaml also breaks lines at a lone CR, NEL and U+2028/U+2029; an editor and a GitHub annotation
    do not, so every reference is reported at the line and column its bytes are on."""
    repo = make_repo(tmp_path / "r", {name: text.format(odd=odd)})
    _, report, _ = run_json("--offline", str(repo))
    data = (repo / name).read_bytes()
    assert report["refs"]
    for ref in report["refs"]:
        lines = data.decode().split("\n")
        line = lines[ref["line"] - 1]
        assert line[ref["column"] - 1:].startswith(ref["ref"].split(":")[0]), (ref, line)


def test_a_file_longer_than_its_size_said_is_not_parsed() -> None:
    """The size limit holds for what is read, not only for what ``fstat``
    said: a file that grows between the check and the read (here a procfs
    file, whose size reads as 0) is not parsed."""
    from pinlint import scan

    assert os.stat("/proc/self/maps").st_size == 0
    with pytest.raises(scan._NotRead, match="larger than the"):
        scan._read("/proc/self/maps", 10)
    assert scan._read("/proc/self/maps", 10 * 1024 * 1024)  # within the limit: read whole
