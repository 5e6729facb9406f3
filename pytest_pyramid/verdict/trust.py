"""May this verdict be trusted for this code, now? One set of rules for ``pyramid check``
and the deploy gate.

A verdict vouches for the tree it tested, not for a commit name: the file must agree with
itself (its decision re-derived from its gates and tiers), name the expected commit, have
tested the expected tree (the working tree when checking HEAD, the commit's tree
otherwise), not be dirty unless that is explicitly allowed, be fresh, and - when keys are
configured or a signature is required - carry a valid signature by a trusted key.

:func:`assess` is the one entry point: every route that asks whether a verdict may be trusted
(``pyramid check``, the deploy gate) calls it, and only this module calls the rules below it
(``tests/unit/test_architecture.py`` checks that). A route adds its own judgement on top of the
:class:`Trust` it gets back (deploy: never dirty, the decision, approvals), never a second
reading of the verdict, its signature or its keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.durations import format_duration, utc_now
from pytest_pyramid.errors import PyramidError
from pytest_pyramid.verdict import provenance
from pytest_pyramid.verdict.decision import (
    TargetOutcome,
    approvals_needed,
    contradiction,
    target_outcome,
)
from pytest_pyramid.verdict.document import parse_created_at

if TYPE_CHECKING:
    from datetime import datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from pytest_pyramid.verdict.document import Verdict

CLOCK_SKEW_S = 300.0
MIN_PREFIX = 7
_HEX = re.compile(r"[0-9a-fA-F]+")
_GLOB = frozenset("*?[")

#: the start of the problem a dirty verdict gets (the command adds the changed files)
DIRTY = "the verdict was produced from a working tree with changes not in its commit"

#: a nested run's verdict is its parent run's evidence, never a release's
NESTED = ("the verdict's run was started by another pytest run (its parent judges it); a "
          "release needs a top-level run")


class TrustError(PyramidError):
    """Input the trust check cannot work with (an unknown revision, an unreadable key)."""


@dataclass(frozen=True)
class TrustPolicy:
    allow_dirty: bool = False
    max_age_s: float | None = None
    require_signature: bool = False
    #: key id -> Ed25519 public key; several keys allow rotation
    trusted_keys: Mapping[str, Ed25519PublicKey] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """The code a verdict must speak for."""

    #: full SHA (or, outside git, the SHA or prefix as given); None: no commit expected
    commit: str | None
    #: the tree digest the verdict must have tested; None when it cannot be computed here
    tree: str | None = None
    #: ``tree`` is the current working tree (HEAD plus local changes), not a commit's tree
    worktree: bool = False
    description: str = "HEAD"
    #: the commit was resolved in a git repository here, so its tree can be compared
    in_git: bool = False
    #: why the verdict cannot be compared with this target at all
    problem: str | None = None
    #: the project the verdict must speak for: its folder relative to the repository's top
    #: level ("." for the top; ``provenance.project_folder``); None: not known (no git here)
    project: str | None = None


def same_commit(recorded: str, expected: str) -> bool:
    """Full SHAs must be equal; an abbreviation of at least 7 hex digits matches its SHA."""
    a, b = recorded.strip().lower(), expected.strip().lower()
    if not a or not b or not _HEX.fullmatch(a) or not _HEX.fullmatch(b):
        return False
    if len(a) == len(b):
        return a == b
    short, full = sorted((a, b), key=len)
    return len(short) >= MIN_PREFIX and full.startswith(short)


def excluded_problem(excluded: object) -> str | None:
    """A tree digest may leave out only run artifacts and literal output files: a verdict
    edited to exclude ``**`` would otherwise match any tree."""
    if not isinstance(excluded, list):
        return "the verdict's tree.excluded is not a list"
    allowed = set(provenance.RUN_ARTIFACTS)
    for entry in excluded:
        if not isinstance(entry, str) or not entry:
            return f"the verdict's tree.excluded has an invalid entry {entry!r}"
        if entry in allowed:
            continue
        literal_file = not (_GLOB & set(entry)) and not entry.startswith((":", "/"))
        if not literal_file or ".." in entry.split("/") or entry in (".", ""):
            return f"the verdict's tree.excluded entry {entry!r} is not a run artifact"
        if entry.endswith((".py", ".pyc", ".pyd", ".so")):
            return f"the verdict's tree.excluded entry {entry!r} is code, not a run output"
    return None


def tracked_exclusion(toplevel: Path, commit: str, excluded: list[str]) -> str | None:
    """A literal exclusion may only name a file the commit does not hold: an output of the
    run. Excluding a tracked file would hide its edits from the digest."""
    literal = [e for e in excluded if e not in provenance.RUN_ARTIFACTS]
    if not literal:
        return None
    found = provenance._git(
        toplevel,
        "ls-tree",
        "-r",
        "--name-only",
        commit,
        "--",
        *[f":(top,literal){name}" for name in literal],
    )
    if found:
        return (
            f"the verdict's tree.excluded names {found.splitlines()[0]!r}, a file the "
            "commit holds: its edits would not count"
        )
    return None


def checking_project(cwd: Path, toplevel: Path) -> str | None:
    """The project ``pyramid check`` speaks for: the nearest configuration at or above
    ``cwd`` inside the repository, as every command finds its project; else ``cwd`` itself
    (a run without a configuration file speaks for its rootdir)."""
    from pytest_pyramid.errors import ConfigError
    from pytest_pyramid.project import locate

    try:
        found = locate(cwd)
    except ConfigError:  # both files: the command reports it on its own
        found = None
    folder = cwd
    if found is not None and provenance.project_folder(str(toplevel), found.folder) is not None:
        folder = found.folder
    return provenance.project_folder(str(toplevel), folder)


def project_of(folder: Path) -> str | None:
    """The project a run or a command in ``folder`` speaks for (``checking_project``), for
    a route that has no target of its own to resolve (deploy, verify); None outside git."""
    toplevel = provenance._git(folder, "rev-parse", "--show-toplevel")
    return None if toplevel is None else checking_project(folder, Path(toplevel))


def project_problem(verdict: Mapping[str, Any], target: Target) -> str | None:
    """A verdict speaks for the project whose configuration ran: a monorepo's projects
    share commits and trees, so another project's ``ready`` would pass every other rule
    (hostile cases 126, 130). No expected project (no git here): nothing to compare."""
    if target.project is None:
        return None
    recorded = verdict.get("project")
    if not isinstance(recorded, str):
        return (f"the verdict names no project (an older pytest-pyramid, or an edited file): "
                f"it cannot vouch for project {target.project!r}; run the tests again")
    if recorded != target.project:
        return (f"the verdict is of project {recorded!r}, not {target.project!r}, the project "
                "here: each project of a repository is tested, and trusted, on its own")
    return None


def resolve_target(cwd: Path, revision: str | None, verdict: Mapping[str, Any]) -> Target:
    """What to compare the verdict with, from ``--commit`` (or HEAD when not given).

    Raises :class:`TrustError` for a revision that names nothing.
    """
    toplevel_text = provenance._git(cwd, "rev-parse", "--show-toplevel")
    text = revision.strip() if revision is not None else None
    if revision is not None and not text:
        raise TrustError("--commit is empty (did `git rev-parse HEAD` fail?)")
    if toplevel_text is None:
        if text is None:
            return Target(None, description="no git repository here")
        if _HEX.fullmatch(text) and len(text) >= MIN_PREFIX:
            return Target(text.lower(), description=text)
        raise TrustError(
            f"--commit {text!r}: not a git repository here, so it must be a SHA of at "
            f"least {MIN_PREFIX} hex digits"
        )
    toplevel = Path(toplevel_text)
    project = checking_project(cwd, toplevel)
    head = provenance.resolve_commit(toplevel, "HEAD")
    if text is None:
        commit = head
    else:
        if _HEX.fullmatch(text) and len(text) < MIN_PREFIX:
            raise TrustError(f"--commit {text!r}: a SHA prefix needs at least {MIN_PREFIX} digits")
        commit = provenance.resolve_commit(toplevel, text.lower() if _HEX.fullmatch(text) else text)
        if commit is None:
            if _HEX.fullmatch(text) and len(text) >= MIN_PREFIX:  # not in this clone: by name
                return Target(text.lower(), description=text, project=project)
            raise TrustError(f"--commit {text!r} is neither a SHA nor a revision git knows here")
    if commit is None:
        return Target(None, description="a repository without commits", project=project)
    if commit == head:
        tree_entry = verdict.get("tree")
        excluded = tree_entry.get("excluded", []) if isinstance(tree_entry, Mapping) else []
        if excluded_problem(excluded) is not None:  # reported by trust_problems
            return Target(commit, None, worktree=True, description="HEAD", in_git=True,
                          project=project)
        hidden = tracked_exclusion(toplevel, commit, list(excluded))
        if hidden is not None:
            return Target(commit, None, worktree=True, description="HEAD", in_git=True,
                          problem=hidden, project=project)
        tree = provenance.tree_digest(toplevel, tuple(excluded))
        unnamed = provenance.dirty_submodules(toplevel)
        if unnamed:  # edits a tree id cannot see: not the tested code, whatever the digest
            return Target(commit, tree, worktree=True, description="HEAD", in_git=True,
                          problem=f"the working tree is not what the digest names: {unnamed[0]}",
                          project=project)
        return Target(commit, tree, worktree=True, description="HEAD", in_git=True,
                      project=project)
    return Target(commit, provenance.commit_tree(toplevel, commit), description=commit[:12],
                  in_git=True, project=project)


def nested_problem(verdict: Mapping[str, Any]) -> str | None:
    """A verdict vouches for a release only when its run was top-level: a run another pytest
    run started (``run.invocation.started_by_run``, from the host: ``run/lineage.py``) had
    pytest's and xdist's own variables excused because its parent judges them, so its
    verdict is that parent's evidence. A record without the fact (the schema requires it) is
    not known to be top-level: refused too (missing data is never a pass)."""
    run = verdict.get("run")
    invocation = run.get("invocation") if isinstance(run, Mapping) else None
    started = invocation.get("started_by_run") if isinstance(invocation, Mapping) else None
    if started is False:
        return None
    if started is True:
        return NESTED
    return ("the verdict does not record whether another pytest run started its run "
            "(run.invocation.started_by_run), so it is not known to be a top-level run")


def signature_problem(
    verdict: Mapping[str, Any], envelope: object | None, policy: TrustPolicy
) -> str | None:
    if envelope is None:
        if policy.require_signature:
            return "the verdict is not signed, and a signature is required (pyramid attest)"
        return None
    if not policy.trusted_keys:
        if policy.require_signature:
            return ("a signature is required but no trusted public key is pinned outside the "
                    "tree being judged (/etc/pyramid/trusted_keys, the deploy account's "
                    "~/.config/pyramid/trusted_keys, --trusted-key)")
        return None
    from pytest_pyramid.verdict.signing import SignatureError, verify_verdict

    try:
        verify_verdict(verdict, envelope, policy.trusted_keys)
    except SignatureError as exc:
        return f"signature: {exc}"
    return None


def trust_problems(
    verdict: Mapping[str, Any],
    *,
    target: Target,
    policy: TrustPolicy,
    envelope: object | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Every reason this verdict cannot vouch for ``target`` now (empty: trusted)."""
    problems: list[str] = []
    if target.problem:
        problems.append(target.problem)
    problems += [problem for problem in (
        contradiction(verdict), signature_problem(verdict, envelope, policy),
        project_problem(verdict, target), nested_problem(verdict)) if problem]

    recorded = verdict.get("commit")
    if target.commit is not None:
        if not recorded:
            problems.append(f"the verdict records no commit, expected {target.commit[:12]}")
        elif not same_commit(str(recorded), target.commit):
            problems.append(
                f"the verdict is for commit {str(recorded)[:12]}, not {target.commit[:12]}"
            )
    dirty = verdict.get("dirty")
    if dirty and not policy.allow_dirty:
        problems.append(
            f"{DIRTY} (uncommitted or untracked files); commit them and run again, or pass "
            "--allow-dirty to accept them"
        )
    tree = verdict.get("tree") if isinstance(verdict.get("tree"), Mapping) else {}
    assert isinstance(tree, Mapping)
    digest, head = tree.get("digest"), tree.get("head")
    excluded = excluded_problem(tree.get("excluded", []))
    if excluded:
        problems.append(excluded)
    if digest and head and dirty is False and digest != head:
        problems.append("the verdict says clean, but the tree it tested differs from its commit")
    if recorded and not digest:  # wherever it is checked: a commit alone names no code
        problems.append("the verdict records no tree digest, so the code it tested is unknown")
    elif target.in_git and recorded and same_commit(str(recorded), target.commit or ""):
        where = "the working tree" if target.worktree else f"commit {target.description}"
        if target.tree is None:
            if target.problem is None:
                problems.append(
                    f"the digest of {where} cannot be computed here, so the code the "
                    "verdict tested cannot be compared with it"
                )
        elif digest != target.tree:
            problems.append(
                f"the code it tested is not {where}: the tree changed since the run "
                f"(tested {str(digest)[:12]}, now {target.tree[:12]})"
            )

    created_text = verdict.get("created_at")
    try:
        created = parse_created_at(str(created_text))
    except (ValueError, OverflowError):
        problems.append(f"created_at {created_text!r} is not a valid date-time")
    else:
        age = ((now or utc_now()) - created).total_seconds()
        if policy.max_age_s is not None and age > policy.max_age_s:
            problems.append(
                f"the verdict is {format_duration(age)} old, older than the "
                f"{format_duration(policy.max_age_s)} allowed"
            )
        if age < -CLOCK_SKEW_S:
            problems.append(f"the verdict's created_at {created_text} lies in the future")
    return problems


@dataclass(frozen=True)
class TrustRequest:
    """What a route asks: may the verdict at ``verdict`` vouch for this code now?"""

    verdict: Path
    allow_dirty: bool = False
    max_age_s: float | None = None
    require_signature: bool = False
    #: trusted keys (PEM files, PEM text or 64 hex), pinned outside the judged tree
    key_sources: tuple[str, ...] = ()
    key_origin: str = "trusted key"
    #: the code to compare with when the route knows it (deploy: the commit's own tree);
    #: None: ``revision`` (``--commit``, HEAD when None) resolved in ``cwd``
    target: Target | None = None
    revision: str | None = None
    cwd: Path = field(default_factory=Path.cwd)
    #: the DSSE envelope named by the user (must exist); None: ``VERDICT.intoto.jsonl`` if any
    signature: Path | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class Approvals:
    """How many approvals a ``needs_approval`` verdict needs, from which roles (empty: any
    configured role), and the sentence that says so."""

    required: int
    roles: tuple[str, ...]
    sentence: str


@dataclass(frozen=True)
class Trust:
    """The answer: the documents as read, what they were compared with, and every problem."""

    verdict: Verdict
    envelope: object | None
    target: Target
    policy: TrustPolicy
    #: every reason the verdict cannot vouch for ``target`` now; empty: trusted
    problems: tuple[str, ...]
    #: what the decision rule says a ``needs_approval`` verdict asks for (``decision.py:
    #: approvals_needed``), read here so a route never hands the verdict back to ask
    approvals: Approvals = field(default_factory=lambda: Approvals(1, (), ""))

    @property
    def trusted(self) -> bool:
        return not self.problems

    @property
    def signed_by_trusted_key(self) -> bool:
        return self.envelope is not None and bool(self.policy.trusted_keys)


def assess(request: TrustRequest) -> Trust:
    """The one trust entry point: load the verdict, its keyring and its envelope, resolve
    the target, run the trust rules.

    Raises ``VerdictError`` (the verdict cannot be read or is not a valid verdict),
    :class:`TrustError` (a key, a revision or a named signature file that cannot be used)
    and ``SignatureError`` (the envelope cannot be read); each route says what those mean
    for it (``check``: exit 3; deploy: a recorded refusal).
    """
    from pytest_pyramid.verdict.document import load_verdict
    from pytest_pyramid.verdict.signing import envelope_path, read_envelope

    verdict = load_verdict(request.verdict)
    keys = keyring(request.key_sources, request.key_origin)
    target = request.target
    if target is None:
        target = resolve_target(request.cwd, request.revision, verdict)
    signature_file = request.signature or envelope_path(request.verdict)
    envelope = read_envelope(signature_file)
    if request.signature is not None and envelope is None:
        raise TrustError(f"{signature_file}: no such signature file")
    policy = TrustPolicy(allow_dirty=request.allow_dirty, max_age_s=request.max_age_s,
                         require_signature=request.require_signature, trusted_keys=keys)
    return judge(verdict, target=target, policy=policy, envelope=envelope, now=request.now)


def judge(
    verdict: Verdict,
    *,
    target: Target,
    policy: TrustPolicy,
    envelope: object | None = None,
    now: datetime | None = None,
) -> Trust:
    """:func:`assess` on documents already in memory (its last step; tables of cases use it
    directly)."""
    problems = trust_problems(verdict, target=target, policy=policy, envelope=envelope, now=now)
    required, roles, sentence = approvals_needed(verdict)
    return Trust(verdict, envelope, target, policy, tuple(problems),
                 Approvals(required, tuple(roles), sentence))


def target_result(document: Mapping[str, Any], project: str | None = None,
                  commit: str | None = None) -> TargetOutcome:
    """A target run's own result (verified, failed or unverified), for the deploy's verify
    tiers: deploy reads what a verdict says through this module, never the decision module
    (tests/unit/test_architecture.py: no return to a folder already left). ``project``: the one
    the run must have tested (``project_of`` the folder it ran in); another is unverified.
    ``commit``: the deployed commit, whose tests must be the ones that ran (hostile case 275:
    a checkout at an older commit verified the new one with the older, weaker tests)."""
    found = target_outcome(document)
    others = [p for p in (project_problem(document, Target(None, project=project)),
                          _other_commit(document, commit)) if p is not None]
    if not others:
        return found
    return TargetOutcome("unverified", [*others, *found.reasons], found.target)


def _other_commit(document: Mapping[str, Any], commit: str | None) -> str | None:
    ran = str(document.get("commit") or "")
    if commit is None or ran == commit:
        return None
    return (f"the tests that ran are commit {ran[:12] or '(none)'}'s, not the deployed commit "
            f"{commit[:12]}'s: deploy from a checkout of it")


def keyring(sources: Sequence[str], origin: str) -> dict[str, Ed25519PublicKey]:
    """Trusted keys from configuration; a bad entry is a TrustError naming it."""
    if not sources:
        return {}
    from pytest_pyramid.verdict.signing import SignatureError, trusted_keyring

    try:
        return trusted_keyring(sources, origin=origin)
    except SignatureError as exc:
        raise TrustError(str(exc)) from None
