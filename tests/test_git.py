"""The git layer on real repositories built with the git CLI: content not
ancestry (squash, rebase, PR merge commits), shallow clones, force pushes,
ambiguous short SHAs, the pre-merge change set, and untrusted input."""
from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

import pinlint.git as pgit
from pinlint.git import GitError, GitRepo, GitTree, ShortSha, UnknownCommit
from pinlint.tree import Tree
from tests.gitbuild import Repo, colliding_commits, commit_colliding_with_blob, sha1_object


@pytest.fixture(params=[True, False], ids=["batch-command", "batch-check+batch"])
def batch_command(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def origin(tmp_path: Path) -> Repo:
    return Repo.init(tmp_path / "origin")


def opened(repo: Repo, batch_command: bool = True) -> GitRepo:
    return GitRepo(str(repo.path), batch_command=batch_command)


@pytest.fixture
def linear(origin: Repo) -> dict[str, str]:
    """web built at A; B changes only api; C changes web; D reverts C."""
    shas = {}
    shas["A"] = origin.commit("A", {"apps/web/main.py": "print('v1')\n", "apps/api/main.py": "api v1\n",
                                    "k8s/web.yaml": "image: web\n"})
    shas["B"] = origin.commit("B", {"apps/api/main.py": "api v2\n"})
    shas["C"] = origin.commit("web: v2", {"apps/web/main.py": "print('v2')\n"})
    shas["D"] = origin.commit("Revert web: v2", {"apps/web/main.py": "print('v1')\n"})
    return shas


# --- opening ---------------------------------------------------------------------------------


def test_find_locates_the_enclosing_repository_from_a_subfolder(origin: Repo, linear: dict[str, str]) -> None:
    with GitRepo.find(str(origin.path / "apps" / "web")) as repo:  # type: ignore[union-attr]
        assert repo.root == str(origin.path)
        assert repo.resolve("HEAD") == linear["D"]


def test_find_outside_a_repository_is_none(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert GitRepo.find(str(tmp_path / "plain")) is None
    with pytest.raises(GitError):
        GitRepo(str(tmp_path / "plain"))


def test_git_variables_of_a_hook_do_not_redirect_it_to_another_repository(
    tmp_path: Path, origin: Repo, linear: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Repo.init(tmp_path / "other")
    other.commit("unrelated", {"x": "y"})
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other.path / ".git" / "index"))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(other.path / ".git" / "objects"))
    with opened(origin) as repo:
        assert repo.resolve("HEAD") == linear["D"]
        assert repo.tree_id(linear["A"], "apps/web") is not None
        assert repo.commits_touching(["apps/web"], linear["A"]).total == 2


# --- names -----------------------------------------------------------------------------------------


def test_resolve_names_of_every_kind(origin: Repo, linear: dict[str, str], batch_command: bool) -> None:
    origin.git("tag", "-a", "-m", "release", "v1", linear["B"])  # annotated: peeled to the commit
    origin.git("tag", "light", linear["C"])
    origin.git("update-ref", "refs/pull/7/merge", linear["A"])
    with opened(origin, batch_command) as repo:
        assert repo.resolve("HEAD") == linear["D"]
        assert repo.resolve("main") == linear["D"]
        assert repo.resolve("HEAD~2") == linear["B"]
        assert repo.resolve("v1") == linear["B"]
        assert repo.resolve("light") == linear["C"]
        assert repo.resolve("refs/pull/7/merge") == linear["A"]
        assert repo.resolve(linear["C"]) == linear["C"]
        assert repo.resolve(linear["C"][:9]) == linear["C"]
        assert repo.resolve("no-such-branch") is None
        assert repo.resolve("0" * 40) is None


def test_a_blob_or_tree_id_is_not_a_commit(origin: Repo, linear: dict[str, str]) -> None:
    blob = origin.git("rev-parse", f"{linear['A']}:apps/web/main.py")
    with opened(origin) as repo:
        assert repo.resolve(blob) is None
        assert not repo.has_commit(blob)
        assert repo.resolve_short(blob[:10]) == ShortSha("unknown")


@pytest.mark.parametrize("hostile", [
    "--output=/tmp/pinlint-pwned", "-h", "--all", "HEAD:apps/web/main.py", "A..B", "HEAD HEAD", "HEAD\nHEAD",
    "@{-1}", "", "x" * 300,
])
def test_hostile_revision_names_are_refused_not_passed_to_git(
    origin: Repo, linear: dict[str, str], hostile: str, tmp_path: Path
) -> None:
    with opened(origin) as repo:
        assert repo.resolve(hostile) is None
        assert not repo.has_commit(hostile)
        with pytest.raises(UnknownCommit):
            repo.changed_paths(hostile)
        with pytest.raises(UnknownCommit):
            GitTree(repo, hostile)
        # the cat-file process survived and still answers
        assert repo.resolve("HEAD") == linear["D"]
    assert not os.path.exists("/tmp/pinlint-pwned")


def test_unique_short_sha(origin: Repo, linear: dict[str, str], batch_command: bool) -> None:
    with opened(origin, batch_command) as repo:
        assert repo.resolve_short(linear["B"][:7]) == ShortSha("unique", linear["B"])
        assert repo.resolve_short(linear["B"][:7].upper()) == ShortSha("unique", linear["B"])
        assert repo.resolve_short(linear["B"]) == ShortSha("unique", linear["B"])
        assert repo.resolve_short("deadbee") == ShortSha("unknown")
        assert repo.resolve_short("abc12") == ShortSha("unknown")  # under 7 characters
        assert repo.resolve_short("-abcdef0") == ShortSha("unknown")
        assert repo.resolve_short("main") == ShortSha("unknown")  # a branch is not a short sha


def test_a_short_sha_two_commits_share_is_ambiguous(origin: Repo, linear: dict[str, str], batch_command: bool) -> None:
    tree = origin.git("rev-parse", "HEAD^{tree}")
    first, second = colliding_commits(tree, linear["D"])
    a = origin.git("hash-object", "-t", "commit", "-w", "--stdin", input=first)
    b = origin.git("hash-object", "-t", "commit", "-w", "--stdin", input=second)
    assert a[:7] == b[:7] and a != b
    origin.git("branch", "one", a)
    origin.git("branch", "two", b)
    with opened(origin, batch_command) as repo:
        assert repo.resolve_short(a[:7]) == ShortSha("ambiguous")
        assert repo.resolve(a[:7]) is None
        common = len(os.path.commonprefix([a, b]))
        assert repo.resolve_short(a[: common + 1]) == ShortSha("unique", a)
        assert repo.resolve_short(b[: common + 1]) == ShortSha("unique", b)
        # git lists the candidates on stderr each time: 100 kB of hints must not block it
        for _ in range(400):
            assert repo.resolve_short(a[:7]).status == "ambiguous"


def test_a_blob_sharing_the_prefix_does_not_make_a_short_commit_sha_ambiguous(
    origin: Repo, linear: dict[str, str]
) -> None:
    tree = origin.git("rev-parse", "HEAD^{tree}")
    commit, blob = commit_colliding_with_blob(tree, linear["D"])
    c = origin.git("hash-object", "-t", "commit", "-w", "--stdin", input=commit)
    b = origin.git("hash-object", "-t", "blob", "-w", "--stdin", input=blob)
    assert c[:7] == b[:7] == sha1_object("blob", blob)[:7]
    with opened(origin) as repo:
        assert repo.resolve_short(c[:7]) == ShortSha("unique", c)


# --- content, not ancestry ------------------------------------------------------------------


def test_linear_history_unrelated_change_change_and_revert(
    origin: Repo, linear: dict[str, str], batch_command: bool
) -> None:
    a, b, c, d = linear["A"], linear["B"], linear["C"], linear["D"]
    with opened(origin, batch_command) as repo:
        assert repo.tree_id(a, "apps/web") == repo.tree_id(b, "apps/web/")  # unrelated path changed
        assert repo.tree_id(a, "apps/web") != repo.tree_id(c, "apps/web")
        assert repo.tree_id(a, "./apps/web") == repo.tree_id(d, "apps/web")  # change and revert
        assert repo.differing_paths(a, d, ["apps/web"]) == []
        assert repo.differing_paths(a, c, ["apps/web/", "apps/api"]) == ["apps/web", "apps/api"]
        assert repo.differing_paths(b, c, ["apps/api", "apps/web"]) == ["apps/web"]
        assert repo.tree_id(a, "apps/nope") is None
        assert repo.tree_id(a, "") == origin.git("rev-parse", f"{a}^{{tree}}")


def test_tree_ids_batches_through_one_process(
    origin: Repo, linear: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spawned: list[list[str]] = []
    real = subprocess.Popen

    def counting(argv: list[str], *args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        spawned.append(list(argv))
        return real(argv, *args, **kwargs)  # type: ignore[call-overload, no-any-return]

    with opened(origin) as repo:
        monkeypatch.setattr(subprocess, "Popen", counting)
        pairs = [(linear[k], f"apps/svc{i}") for k in "ABCD" for i in range(200)]
        pairs += [(linear[k], p) for k in "ABCD" for p in ("apps/web", "apps/api")]
        ids = repo.tree_ids(pairs)
        assert len(ids) == len(pairs)
        assert ids[(linear["A"], "apps/web")] == ids[(linear["D"], "apps/web")]
        assert ids[(linear["A"], "apps/svc3")] is None
        repo.differing_paths(linear["A"], linear["D"], ["apps/web", "apps/api"])
        assert [a[1:3] for a in spawned] == [["cat-file", "--batch-command"]]


def test_squash_merge_makes_the_build_commit_unreachable_and_still_identical(origin: Repo) -> None:
    origin.commit("base", {"apps/web/main.py": "v1\n", "apps/api/main.py": "api\n"})
    origin.git("switch", "-q", "-c", "feature")
    origin.commit("wip", {"apps/web/main.py": "v2-wip\n"})
    built = origin.commit("web v2", {"apps/web/main.py": "v2\n", "apps/web/util.py": "u\n"})
    origin.git("switch", "-q", "main")
    origin.commit("api on main", {"apps/api/main.py": "api2\n"})
    origin.git("merge", "-q", "--squash", "feature")
    squash = origin.commit("web v2 (#12)")
    origin.git("branch", "-q", "-D", "feature")
    assert subprocess.run(["git", "merge-base", "--is-ancestor", built, squash], cwd=origin.path).returncode == 1
    with opened(origin) as repo:
        assert repo.has_commit(built)  # unreachable, still in the object store
        assert repo.differing_paths(built, squash, ["apps/web"]) == []
        assert repo.differing_paths(built, squash, ["apps/api"]) == ["apps/api"]
        # what PIN030 would list for apps/api: only main's commit, not the pre-fork history
        touching = repo.commits_touching(["apps/api"], built, squash)
        assert [s for _, s in touching.commits] == ["api on main"] and touching.total == 1
        # the squash commit is what brought the build's change in
        assert [s for _, s in repo.commits_touching(["apps/web"], built, squash).commits] == ["web v2 (#12)"]


def test_rebase_merge_keeps_the_source_tree(origin: Repo) -> None:
    origin.commit("base", {"apps/web/main.py": "v1\n", "docs/readme": "r\n"})
    origin.git("switch", "-q", "-c", "feature")
    built = origin.commit("web v2", {"apps/web/main.py": "v2\n"})
    origin.git("switch", "-q", "main")
    origin.commit("docs", {"docs/readme": "r2\n"})
    origin.git("switch", "-q", "feature")
    origin.git("rebase", "-q", "main")
    origin.git("switch", "-q", "main")
    origin.git("merge", "-q", "--ff-only", "feature")
    head = origin.head()
    assert head != built
    with opened(origin) as repo:
        assert repo.differing_paths(built, head, ["apps/web"]) == []
        assert repo.differing_paths(built, head, ["apps/web", "docs"]) == ["docs"]


def test_pull_request_merge_commit_build(origin: Repo) -> None:
    """docker/metadata-action on pull_request records refs/pull/N/merge's sha:
    a merge commit GitHub made, which main never contains."""
    origin.commit("base", {"apps/web/main.py": "v1\n", "apps/api/main.py": "a1\n"})
    origin.git("switch", "-q", "-c", "feature")
    origin.commit("web v2", {"apps/web/main.py": "v2\n"})
    origin.git("switch", "-q", "--detach", "main")
    origin.git("merge", "-q", "--no-ff", "-m", "Merge feature into main", "feature")
    pr_merge = origin.head()
    origin.git("update-ref", "refs/pull/1/merge", pr_merge)
    origin.git("switch", "-q", "main")
    origin.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1", "feature")
    merged = origin.head()
    assert merged != pr_merge
    with opened(origin) as repo:
        assert repo.resolve("refs/pull/1/merge") == pr_merge
        assert repo.differing_paths(pr_merge, merged, ["apps/web", "apps/api"]) == []


def test_renamed_source_folder_differs(origin: Repo) -> None:
    built = origin.commit("base", {"apps/old/main.py": "v1\n"})
    origin.git("mv", "apps/old", "apps/new")
    head = origin.commit("rename")
    with opened(origin) as repo:
        # same content under another name: the configured path did not exist at the build
        assert repo.tree_id(built, "apps/old") == repo.tree_id(head, "apps/new")
        assert repo.differing_paths(built, head, ["apps/new"]) == ["apps/new"]
        assert repo.differing_paths(built, head, ["apps/gone"]) == []  # absent at both


def test_single_file_source_path_mode_and_symlink(origin: Repo) -> None:
    built = origin.commit("base", {"Dockerfile": "FROM scratch\n", "entry.sh": "#!/bin/sh\n"})
    (origin.path / "entry.sh").chmod(0o755)
    origin.git("add", "entry.sh")
    chmodded = origin.commit("chmod +x")
    os.remove(origin.path / "Dockerfile")
    (origin.path / "real.Dockerfile").write_text("FROM scratch\n")
    os.symlink("real.Dockerfile", origin.path / "Dockerfile")
    origin.git("add", "-A")
    linked = origin.commit("Dockerfile becomes a symlink")
    with opened(origin) as repo:
        assert repo.tree_id(built, "entry.sh") == repo.tree_id(chmodded, "entry.sh")  # same blob
        assert repo.differing_paths(built, chmodded, ["entry.sh", "Dockerfile"]) == ["entry.sh"]
        assert repo.entry(chmodded, "entry.sh") == pgit.Entry("100755", "blob", repo.tree_id(built, "entry.sh") or "")
        assert repo.entry(linked, "Dockerfile").mode == "120000"  # type: ignore[union-attr]
        assert repo.differing_paths(built, linked, ["Dockerfile"]) == ["Dockerfile"]


def test_unknown_commits_are_reported_not_treated_as_absent_paths(origin: Repo, linear: dict[str, str]) -> None:
    with opened(origin) as repo:
        with pytest.raises(UnknownCommit) as raised:
            repo.tree_ids([(linear["A"], "apps/web"), ("1" * 40, "apps/web")])
        assert raised.value.rev == "1" * 40
        with pytest.raises(ValueError):
            repo.tree_id("HEAD", "apps/web")  # resolve names first
        with pytest.raises(ValueError):
            repo.tree_id(linear["A"], "../etc")
        with pytest.raises(ValueError):
            repo.tree_id(linear["A"], "/etc")


# --- history -----------------------------------------------------------------------------------------


def test_commits_touching_lists_newest_first_bounded_with_total(origin: Repo) -> None:
    built = origin.commit("base", {"apps/web/a": "0\n", "other": "0\n"})
    for i in range(1, 15):
        origin.commit(f"web change {i}", {"apps/web/a": f"{i}\n"})
        origin.commit(f"other change {i}", {"other": f"{i}\n"})
    with opened(origin) as repo:
        touching = repo.commits_touching(["apps/web"], built, "HEAD", limit=10)
        assert touching.total == 14
        assert [s for _, s in touching.commits] == [f"web change {i}" for i in range(14, 4, -1)]
        assert all(pgit.is_full_sha(sha) for sha, _ in touching.commits)
        assert repo.commits_touching(["apps/web"], "HEAD", "HEAD").total == 0
        with pytest.raises(UnknownCommit):
            repo.commits_touching(["apps/web"], "f" * 40)


def test_commits_touching_many_answers_each_request_in_order(origin: Repo, linear: dict[str, str]) -> None:
    with opened(origin) as repo:
        results = repo.commits_touching_many(
            [(["apps/web"], linear["A"]), (["apps/api"], linear["A"]), (["apps/web"], "9" * 40),
             (["apps/web"], linear["C"])], linear["D"], workers=2)
    assert [r.total if isinstance(r, pgit.TouchingCommits) else type(r) for r in results] == [2, 1, UnknownCommit, 1]
    assert [s for _, s in results[0].commits] == ["Revert web: v2", "web: v2"]  # type: ignore[union-attr]


def test_commit_subjects_are_untrusted_text(origin: Repo) -> None:
    built = origin.commit("base", {"a": "1\n"})
    origin.commit("evil \x1b]8;;http://x\x07 subject " + "y" * 500, {"a": "2\n"})
    with opened(origin) as repo:
        [(_, subject)] = repo.commits_touching(["a"], built).commits
    assert "\x1b" not in subject and "\x07" not in subject
    assert len(subject) <= pgit.MAX_SUBJECT


def test_paths_are_literal_pathspecs_even_when_they_look_like_options_or_magic(origin: Repo) -> None:
    built = origin.commit("base", {"-rf/x": "1\n", ":(exclude)y/z": "1\n", "plain": "1\n", "*": "1\n"})
    origin.commit("dash", {"-rf/x": "2\n"})
    origin.commit("magic", {":(exclude)y/z": "2\n"})
    origin.commit("plain", {"plain": "2\n"})
    with opened(origin) as repo:
        assert [s for _, s in repo.commits_touching(["-rf"], built).commits] == ["dash"]
        assert [s for _, s in repo.commits_touching([":(exclude)y/z"], built).commits] == ["magic"]
        assert repo.commits_touching(["*"], built).total == 0  # a file named '*', not a glob
        assert repo.newest_commit_touching(["-rf/x"], "HEAD") == repo.resolve("HEAD~2")


def test_newest_commit_touching_for_placeholders(origin: Repo, linear: dict[str, str]) -> None:
    with opened(origin) as repo:
        assert repo.newest_commit_touching(["apps/web"], "HEAD") == linear["D"]
        assert repo.newest_commit_touching(["apps/web"], linear["B"]) == linear["A"]
        assert repo.newest_commit_touching(["apps/api", "apps/web"], linear["C"]) == linear["C"]
        assert repo.newest_commit_touching(["apps/nope"], "HEAD") is None
        assert repo.newest_commit_touching([], "HEAD~1") == linear["C"]  # no paths: REV itself
        with pytest.raises(UnknownCommit):
            repo.newest_commit_touching(["apps/web"], "no-such-branch")


def test_changed_paths_is_what_the_pull_request_changes_from_the_merge_base(origin: Repo) -> None:
    origin.commit("base", {"k8s/web.yaml": "w1\n", "apps/web/main.py": "1\n", "old/name": "n\n", "gone": "g\n"})
    origin.git("switch", "-q", "-c", "pr")
    origin.commit("pr", {"k8s/web.yaml": "w2\n", "apps/web/main.py": "2\n", "gone": None})
    origin.git("mv", "old", "new")
    origin.commit("rename")
    origin.git("switch", "-q", "main")
    origin.commit("landed on main meanwhile", {"k8s/api.yaml": "a\n"})
    origin.git("switch", "-q", "pr")
    with opened(origin) as repo:
        assert repo.changed_paths("main") == {"k8s/web.yaml", "apps/web/main.py", "gone", "old/name", "new/name"}
        assert repo.changed_paths("main", "main") == set()
        with pytest.raises(UnknownCommit) as raised:
            repo.changed_paths("origin/nope")
        assert raised.value.rev == "origin/nope"


def test_changed_paths_without_a_merge_base_says_to_fetch_history(tmp_path: Path, origin: Repo) -> None:
    origin.commit("base", {"a": "1\n"})
    origin.git("switch", "-q", "--orphan", "unrelated")
    origin.commit("unrelated root", {"b": "1\n"})
    with opened(origin) as repo, pytest.raises(GitError, match="fetch-depth: 0"):
        repo.changed_paths("main", "unrelated")


# --- missing build commits ------------------------------------------------------------------------------


def test_shallow_clone_lacks_older_commits(tmp_path: Path, origin: Repo, linear: dict[str, str]) -> None:
    shallow = Repo.clone(origin.path, tmp_path / "shallow", "--depth", "1")
    with opened(shallow) as repo:
        assert repo.is_shallow()
        assert repo.resolve("HEAD") == linear["D"]
        assert repo.has_commit(linear["D"])
        assert not repo.has_commit(linear["A"])
        assert repo.resolve_short(linear["A"][:8]) == ShortSha("unknown")
        with pytest.raises(UnknownCommit):
            repo.tree_ids([(linear["A"], "apps/web"), (linear["D"], "apps/web")])
        with pytest.raises(UnknownCommit):
            repo.commits_touching(["apps/web"], linear["A"])
    with opened(origin) as full:
        assert not full.is_shallow()


def test_force_pushed_build_commit_is_missing_from_a_fresh_clone(tmp_path: Path, origin: Repo) -> None:
    origin.commit("base", {"apps/web/main.py": "1\n"})
    origin.git("switch", "-q", "-c", "release")
    built = origin.commit("built and pushed", {"apps/web/main.py": "2\n"})
    origin.git("reset", "-q", "--hard", "HEAD~1")
    origin.commit("force-pushed over it", {"apps/web/main.py": "3\n"})
    clone = Repo.clone(origin.path, tmp_path / "ci")
    with opened(clone) as repo:
        assert not repo.has_commit(built)
        assert not repo.is_shallow()
    with opened(origin) as repo:
        assert repo.has_commit(built)  # still in the pusher's object store (reflog)


# --- GitTree ------------------------------------------------------------------------------------


def test_git_tree_reads_files_of_a_fixed_commit(origin: Repo, batch_command: bool) -> None:
    origin.commit("policy", {".pinlint.yaml": "rules: {}\n", "dir/f": "x\n", "big": b"\0" * 100_000})
    os.symlink("/etc/passwd", origin.path / "link")
    origin.git("add", "link")
    origin.commit("link")
    with opened(origin, batch_command) as repo:
        tree: Tree = GitTree(repo, "main")  # mypy checks it against the protocol
        assert tree.label == "main"
        origin.commit("weaken the gate", {".pinlint.yaml": "rules: {ignore: [PIN030]}\n"})
        assert tree.read(".pinlint.yaml", 1000) == b"rules: {}\n"  # resolved once, when made
        assert GitTree(repo, "main").read(".pinlint.yaml", 1000) == b"rules: {ignore: [PIN030]}\n"
        assert tree.read("missing.yaml", 1000) is None
        assert tree.read("dir", 1000) is None
        assert tree.read("link", 1000) is None
        assert tree.read("../outside", 1000) is None
        assert tree.read("dir/f", 1000) == b"x\n"
        assert tree.read("big", 100_000) == b"\0" * 100_000
        with pytest.raises(ValueError, match="100000 bytes"):
            tree.read("big", 99_999)
        assert tree.read("dir/f", 1000) == b"x\n"  # the process is fine after a refusal
        assert repo.processes_started == (1 if batch_command else 2)


def test_sha256_repository(tmp_path: Path) -> None:
    origin = Repo.init(tmp_path / "sha256", object_format="sha256")
    a = origin.commit("a", {"apps/web/x": "1\n", "policy": "p\n"})
    b = origin.commit("b", {"apps/web/x": "2\n"})
    assert len(a) == 64
    with opened(origin) as repo:
        assert repo.resolve_short(a[:12]) == ShortSha("unique", a)
        assert repo.differing_paths(a, b, ["apps/web", "policy"]) == ["apps/web"]
        assert repo.entry(a, "policy").mode == "100644"  # type: ignore[union-attr]
        assert GitTree(repo, b).read("policy", 10) == b"p\n"


# --- a git that misbehaves -------------------------------------------------------------------------------


@pytest.fixture
def fake_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A git wrapper whose behaviour for one subcommand the test chooses."""
    script = tmp_path / "git-wrapper"
    monkeypatch.setattr(git.Git, "GIT_PYTHON_GIT_EXECUTABLE", str(script))
    yield script


def _wrapper(script: Path, subcommand: str, action: str) -> None:
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True).stdout.strip()
    script.write_text(
        "#!/bin/sh\n"
        f'for a in "$@"; do case "$a" in {subcommand}) {action};; esac; done\n'
        f'exec {real} "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_a_hanging_cat_file_costs_the_timeout_not_the_run(origin: Repo, linear: dict[str, str], fake_git: Path) -> None:
    _wrapper(fake_git, "cat-file", "exec sleep 30")
    repo = GitRepo(str(origin.path), timeout=0.5, batch_command=True)
    started = time.monotonic()
    with pytest.raises(GitError, match="did not answer within 0.5 s"):
        repo.tree_id(linear["A"], "apps/web")
    assert time.monotonic() - started < 5
    repo.close()


def test_a_hanging_history_command_times_out(origin: Repo, linear: dict[str, str], fake_git: Path) -> None:
    _wrapper(fake_git, "log", "exec sleep 30")
    with GitRepo(str(origin.path), timeout=0.5, batch_command=True) as repo:
        started = time.monotonic()
        with pytest.raises(GitError, match="did not finish within 0.5 s"):
            repo.commits_touching(["apps/web"], linear["A"])
        assert time.monotonic() - started < 5


def test_a_flooding_history_command_is_cut_off(
    origin: Repo, linear: dict[str, str], fake_git: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _wrapper(fake_git, "diff", "exec yes pinlint")
    monkeypatch.setattr(pgit, "MAX_OUTPUT", 1_000_000)
    with GitRepo(str(origin.path), timeout=20, batch_command=True) as repo, pytest.raises(
        GitError, match="printed more than 1000000 bytes"
    ):
        repo.changed_paths(linear["A"], linear["D"])


def test_cat_file_that_dies_is_restarted_for_the_next_question(origin: Repo, linear: dict[str, str]) -> None:
    with opened(origin) as repo:
        assert repo.resolve("HEAD") == linear["D"]
        proc = repo._cat.info_proc.proc
        assert proc is not None
        proc.kill()
        proc.wait()
        with pytest.raises(GitError):
            repo.resolve("HEAD~1")
        assert repo.resolve("HEAD~1") == linear["C"]
