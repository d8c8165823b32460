"""The git check: PIN020 source-mismatch, PIN021 provenance-missing,
PIN030 stale-build, PIN031 pin-with-source-change, PIN032
unknown-build-commit (SPEC §4).

Judged: every pinned reference whose normalized name an ``images[]`` mapping
names (first match wins).  Each unique (image, digest, mapping) is evaluated
once, whatever the number of references to it:

1. the build-commit evidence is gathered through the run's ``Resolver``
   (``evidence.build_commit``: annotation, label, commit tag; contradictions
   are PIN020; nothing at all is PIN021, an error with ``require-provenance``);
2. the build commit is looked up in the local repository: a short one must
   name exactly one commit (else PIN020 ambiguous, or PIN032 unknown); one
   this clone does not have is PIN032, with how to fetch it — unknown is
   never stale;
3. content, not ancestry: each ``source`` path's tree at the build commit is
   compared with HEAD's (one ``cat-file`` process for the whole run); a
   difference is PIN030 naming the paths and the commits that changed them.
   A mapping without ``source`` paths is not judged for staleness.

With ``--base`` the engine hands the check a ``BaseChange``: references are
judged only in the files the change touches, and a new or edited pin whose
image's source paths the same change edits is PIN031.  Registry trouble is
PIN019 naming the host; git trouble is PIN019 naming the repository.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from pinlint import evidence, imagemap
from pinlint.checks import Check, Hit, RunContext
from pinlint.git import GitError, GitRepo, UnknownCommit, is_full_sha
from pinlint.imagemap import ImageMapping
from pinlint.model import LocatedRef
from pinlint.reference import ImageRef
from pinlint.registry.errors import NotAllowed, NotFound, RegistryError

MAX_LISTED = 10


class Verdict(NamedTuple):
    rule: str
    message: str
    severity: str | None = None


class _Job(NamedTuple):
    image: ImageRef
    mapping: ImageMapping


def _short(sha: str) -> str:
    """A commit id or digest shortened for messages: 12 hex characters."""
    algo, sep, hexpart = sha.partition(":")
    return f"{algo}:{hexpart[:12]}" if sep else sha[:12]


def _paths(paths: Sequence[str]) -> str:
    shown = ", ".join(p or "(the whole repository)" for p in paths[:MAX_LISTED])
    more = len(paths) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _fetch_hint(repo: GitRepo, sha: str) -> str:
    hint = f"fetch it with `git fetch origin {sha}`"
    try:
        shallow = repo.is_shallow()
    except GitError:
        shallow = False
    if shallow:
        hint += " or `git fetch --unshallow` (this is a shallow clone; actions/checkout: fetch-depth: 0)"
    return hint


def _build_commit(repo: GitRepo, found: evidence.Evidence, image: ImageRef) -> tuple[str | None, Verdict | None]:
    """The full build commit, or the verdict that stops the judgement."""
    commit = found.commit
    assert commit is not None
    where = f"{image.name}@{_short(image.digest or '')}"
    if not is_full_sha(commit):
        short = repo.resolve_short(commit)
        if short.status == "ambiguous":
            return None, Verdict(
                "PIN020",
                f"the {found.source} of {where} names commit {commit}, which is ambiguous in this repository: "
                "several commits start with it; record the full commit id",
            )
        if short.status == "unknown" or short.sha is None:
            return None, Verdict(
                "PIN032",
                f"the {found.source} of {where} names commit {commit}, which is not in this repository; "
                "fetch the history that holds it (actions/checkout: fetch-depth: 0, or `git fetch --unshallow`)",
            )
        return short.sha, None
    if not repo.has_commit(commit):
        return None, Verdict(
            "PIN032",
            f"the {found.source} of {where} names build commit {commit}, which is not in this repository "
            f"(shallow clone, unfetched or force-pushed branch); {_fetch_hint(repo, commit)}",
        )
    return commit, None


def stale(
    repo: GitRepo, head: str, build: str, mapping: ImageMapping, image: ImageRef, source: str
) -> Verdict | None:
    """PIN030 when ``mapping``'s source at ``build`` differs from ``head``'s, naming the
    changed paths and the commits that changed them (also the fixer's placeholder guard)."""
    changed = repo.differing_paths(build, head, mapping.source)
    if not changed:
        return None
    message = (
        f"{image.name}@{_short(image.digest or '')} was built from commit {_short(build)} (its {source}), "
        f"but {_paths(changed)} changed since: the image does not hold the source at HEAD"
    )
    try:
        log = repo.commits_touching(changed, build, head, limit=MAX_LISTED)
    except (UnknownCommit, GitError):
        return Verdict("PIN030", message)
    if log.commits:
        listed = "; ".join(f"{sha[:12]} {subject}" for sha, subject in log.commits)
        more = log.total - len(log.commits)
        message += f"; changed by {listed}" + (f" and {more} more commits" if more > 0 else "")
    return Verdict("PIN030", message)


def judge(repo: GitRepo, head: str, ctx: RunContext, image: ImageRef, mapping: ImageMapping) -> list[Verdict]:
    """Every git verdict on ``image`` (pinned) built from ``mapping``'s source;
    also what the fixer's race guard asks about a digest it would write."""
    try:
        found = evidence.build_commit(ctx.services.resolver, image, tag_template=mapping.tag_template)
    except NotFound:
        return []  # the pinned digest itself does not exist: PIN010 says so
    except NotAllowed:
        return []  # PIN012 says so
    except RegistryError as e:
        return [Verdict("PIN019", f"cannot read the build-commit evidence of {image.name}: {e.message}")]
    out: list[Verdict] = []
    if found.disagreements:
        out.append(Verdict("PIN020", "; ".join(found.disagreements)))
    if found.missing:
        severity = "error" if mapping.require_provenance else None
        notes = f" (revision values that are not commits: {', '.join(found.notes)})" if found.notes else ""
        out.append(Verdict(
            "PIN021",
            f"{image.name}@{_short(image.digest or '')} is built from {_paths(mapping.source) or 'this repository'} "
            f"but names no build commit: no org.opencontainers.image.revision annotation or label and no "
            f"{mapping.tag_template} tag{notes}",
            severity,
        ))
    if found.commit is None or found.disagreements:
        return out
    try:
        build, stop = _build_commit(repo, found, image)
        if stop is not None:
            return [*out, stop]
        assert build is not None
        if mapping.source:
            verdict = stale(repo, head, build, mapping, image, found.source)
            if verdict is not None:
                out.append(verdict)
    except UnknownCommit as e:
        out.append(Verdict("PIN032", f"build commit {e.rev} of {image.name} is not in this repository; "
                                      f"{_fetch_hint(repo, e.rev)}"))
    except GitError as e:
        out.append(Verdict("PIN019", f"git could not be consulted in {repo.root or repo.git_dir}: {e}"))
    return out


def _jobs(refs: Iterable[LocatedRef], mappings: Sequence[ImageMapping]) -> dict[LocatedRef, _Job]:
    out: dict[LocatedRef, _Job] = {}
    for ref in refs:
        image = ref.image
        if image is None or image.digest is None:
            continue
        mapping = imagemap.find(mappings, image.name)
        if mapping is not None:
            out[ref] = _Job(image, mapping)
    return out


def run(refs: Sequence[LocatedRef], ctx: RunContext) -> Iterable[Hit]:
    mappings = ctx.config.images
    repo = ctx.services.git
    if not mappings or repo is None:
        return []
    jobs = _jobs(refs, mappings)
    if not jobs:
        return []
    head = repo.resolve("HEAD")
    if head is None:
        return [Hit("PIN019", ref, f"the repository {repo.root or repo.git_dir} has no HEAD commit") for ref in jobs]
    unique = list(dict.fromkeys(jobs.values()))
    results = ctx.services.resolver.run_all(
        lambda _r, job: judge(repo, head, ctx, job.image, job.mapping), unique, workers=8
    )
    verdicts: dict[_Job, list[Verdict]] = {}
    for job, result in zip(unique, results, strict=True):
        if isinstance(result, BaseException):
            verdicts[job] = [Verdict("PIN019", f"the git checks of {job.image.name} failed: {result}")]
        else:
            verdicts[job] = result
    hits: list[Hit] = []
    change = ctx.services.change
    for ref, job in jobs.items():
        for v in verdicts[job]:
            hits.append(Hit(v.rule, ref, v.message, severity=v.severity))
        if change is not None and change.edits_pin(ref) and change.touches(job.mapping.source):
            edited = _paths(change.touched(job.mapping.source))
            hits.append(Hit(
                "PIN031", ref,
                f"this change pins {ref.text} and also edits its source ({edited}): "
                "the pinned image cannot have been built from the merged source; pin it after the source merges",
            ))
    return hits


CHECK = Check(
    name="git",
    needs="git",
    # PIN019 is the registry check's rule; this check raises it too, but it is
    # not what decides whether the check runs or is listed as skipped.
    rules=("PIN020", "PIN021", "PIN030", "PIN031", "PIN032"),
    run=run,
)
