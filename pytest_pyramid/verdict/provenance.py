"""What a verdict speaks for: the commit, and a digest of the working tree that was tested.

The commit is a name; the tree digest is the code. It is the git tree id that ``git add -A``
(tracked files plus untracked, not-ignored ones) would commit, computed in a temporary index
so the user's index is never touched. ``dirty`` is true whenever that tree differs from the
commit's own tree, so an untracked source file counts as much as an edited one.

Absent git (or a directory outside any repository) is not an error: every field is None and
the trust checks refuse to vouch for a commit they cannot see.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from pytest_pyramid.run._git import run_git

if TYPE_CHECKING:
    from collections.abc import Callable

P = ParamSpec("P")
R = TypeVar("R")

#: Tool caches a test run writes itself and no test reads: never part of the code a verdict
#: speaks for. Each entry is a git pathspec glob relative to the repository's top level. A
#: name a test might read (pytest-playwright's ``test-results/``, a file named like a shard's
#: partial) is not a glob here: an untracked file there that existed before the run is an
#: input like any other (hostile round 2, case 107). Playwright's output folder belongs in
#: the project's ``.gitignore``; other shards' partials beside this run's outputs are left
#: out one by one, and only when they are partials (``sibling_partials``).
RUN_ARTIFACTS: tuple[str, ...] = (
    "**/.coverage",
    "**/.coverage.*",
    "**/.pytest_cache/**",
    "**/__pycache__/**",
    "**/.pyramid/**",
)
#: a shard's partial result and its coverage data (verdict/partial.py names them)
_PARTIAL_NAME = re.compile(r"pyramid-partial-[0-9]+-of-[0-9]+\.(json|coverage)")
#: how each begins: the partial's JSON names its format first; coverage data is SQLite
_PARTIAL_JSON = b'"format": "pytest-pyramid-partial"'
_SQLITE = b"SQLite format 3\x00"
_GIT_TIMEOUT_S = 60
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class GitInfo:
    commit: str | None = None
    commit_time: str | None = None
    branch: str | None = None
    dirty: bool | None = None
    #: git tree id of the working tree as tested (tracked + untracked, not ignored)
    tree: str | None = None
    #: the commit's own tree id
    head_tree: str | None = None
    #: pathspec globs left out of ``tree`` (run artifacts), relative to ``toplevel``
    excluded: tuple[str, ...] = field(default=())
    toplevel: str | None = None
    #: what the tree id cannot name: submodules with uncommitted content, symlinks that
    #: point outside the repository (their targets' content is not in any tree)
    unnamed: tuple[str, ...] = field(default=())
    #: outputs of the run that git tracks, relative to ``toplevel``: kept in the digest, and
    #: the run that overwrites one is not the run of the tree it names
    tracked_outputs: tuple[str, ...] = field(default=())


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None,
         input: str | None = None) -> str | None:
    try:
        result = run_git(cwd, *args, env=env, timeout=_GIT_TIMEOUT_S, input=input)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _unrecorded(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with the closed world's recording paused in this thread: the tree's
    bookkeeping reads every file (git hashes them; a sibling partial is opened to tell it is
    one), which is no input of the tests (run/imported.unrecorded)."""
    from functools import wraps

    @wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        from pytest_pyramid.run.imported import unrecorded

        with unrecorded():
            return function(*args, **kwargs)

    return call


def python_version() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])


def artifact_excludes(toplevel: Path, outputs: tuple[Path, ...] = ()) -> tuple[str, ...]:
    """The run artifacts plus this run's own output files and the shards' partials beside
    them, as pathspecs under ``toplevel``."""
    files = (*outputs, *sibling_partials(outputs))
    return (*RUN_ARTIFACTS, *sorted(set(_inside(toplevel, files))))


def sibling_partials(outputs: tuple[Path, ...]) -> list[Path]:
    """Other shards' partials in the folders this run writes its outputs to (shards that
    share a directory must see one tree): a file with a partial's name is left out only when
    its content begins as a partial's does, so a data file under that name stays in the
    digest. One directory listing per output folder, no git process."""
    found = []
    for folder in {Path(os.path.abspath(p)).parent for p in outputs}:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if _PARTIAL_NAME.fullmatch(name) and _is_partial(folder / name):
                found.append(folder / name)
    return found


def _is_partial(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(256)
    except OSError:
        return False
    return head.startswith(_SQLITE) if path.suffix == ".coverage" else _PARTIAL_JSON in head


def _inside(toplevel: Path, paths: tuple[Path, ...]) -> list[str]:
    """``paths`` relative to ``toplevel``; those written outside the repository are not in
    the tree anyway."""
    inside = []
    for path in paths:
        try:
            inside.append(Path(os.path.abspath(path)).relative_to(toplevel).as_posix())
        except ValueError:
            continue
    return inside


#: (toplevel, commit, index stamp, outputs) -> tracked_outputs(): what git tracks changes
#: with a commit or the index, not between the start and the end of a run
_TRACKED: dict[tuple[str, str | None, int, tuple[Path, ...]], tuple[str, ...] | None] = {}


def _tracked_once(
    toplevel: Path, commit: str | None, outputs: tuple[Path, ...]
) -> tuple[str, ...] | None:
    """:func:`tracked_outputs`, asked once for the start and the end of a run."""
    try:
        stamp = (toplevel / ".git" / "index").stat().st_mtime_ns
    except OSError:  # a worktree's or submodule's .git is a file: no key to trust, ask git
        return tracked_outputs(toplevel, outputs)
    key = (str(toplevel), commit, stamp, outputs)
    if key not in _TRACKED:
        _TRACKED[key] = tracked_outputs(toplevel, outputs)
    return _TRACKED[key]


def tracked_outputs(toplevel: Path, outputs: tuple[Path, ...]) -> tuple[str, ...] | None:
    """The outputs git tracks (None: git did not answer), which are never left out of the
    digest: a report or verdict path pointing at ``pyproject.toml`` must not take the file
    the run read out of the tree the verdict names. Untracked outputs of an earlier run stay
    out (code among them is caught where it is imported: ``run/imported.py``)."""
    inside = _inside(toplevel, outputs)
    if not inside:
        return ()
    listed = _git(toplevel, "ls-files", "-z", "--full-name", "--",
                  *[f":(top,literal){name}" for name in inside])
    if listed is None:  # no answer from git: none can be left out
        return None
    return tuple(sorted(name for name in listed.split("\0") if name))


def tree_digest(
    toplevel: Path, excluded: tuple[str, ...], head: str | None = None
) -> str | None:
    """The tree id ``git add -A`` would give, leaving ``excluded`` out; None without git.

    The temporary index starts from the commit's tree with no stat data, so git hashes the
    content of every file: an edit whose size and mtime were put back is still seen (the
    user's index, whose stat cache would trust them, is never read or written). ``head``
    is the commit's tree when the caller has just read it (one git process fewer).
    """
    tmp = tempfile.mkdtemp(prefix="pyramid-index-")
    try:
        tmp_index = Path(tmp, "index")
        env = {"GIT_INDEX_FILE": str(tmp_index)}
        if head is None:
            head = _git(toplevel, "rev-parse", "--verify", "--quiet", "HEAD^{tree}")
        start = ["read-tree", head] if head else ["read-tree", "--empty"]
        if _git(toplevel, *start, env=env) is None:
            return None
        globs = [p for p in excluded if _GLOB_CHARS & set(p)]
        files = [p for p in excluded if not _GLOB_CHARS & set(p)]
        specs = [f":(top,exclude,glob){pattern}" for pattern in globs]
        # --ignore-removal is not wanted: a deleted file is a change like any other
        if _git(toplevel, "add", "-A", "--", ":(top)", *specs, env=env) is None:
            return None
        if files:
            # a literal exclude of an ignored file makes `git add` fail, so this run's own
            # outputs are taken back out afterwards (their committed version, if any, stays)
            literal = [f":(top,literal){name}" for name in files]
            args = ["reset", "-q", "HEAD", "--"] if head else ["rm", "--cached", "-q",
                                                                "--ignore-unmatch", "--"]
            if _git(toplevel, *args, *literal, env=env) is None:
                return None
        if not _as_on_disk(toplevel, env):
            return None
        return _git(toplevel, "write-tree", env=env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _as_on_disk(toplevel: Path, env: dict[str, str]) -> bool:
    """Make the temporary index say what is on disk, whatever git's own settings say.

    ``git add`` leaves paths outside a sparse checkout alone (so an absent tracked file would
    still be named by the tree) and runs clean filters and end-of-line conversion (so a
    filter can map the working copy back to the committed bytes). The digest must name the
    bytes the tests ran: an absent file is removed, and every regular file is hashed as it
    is on disk (``--no-filters``) and put in the index under that id.
    """
    listing = _git(toplevel, "ls-files", "--stage", "-z", env=env)
    if listing is None:
        return False
    absent: list[str] = []
    regular: list[tuple[str, str, str]] = []  # (mode, blob, path)
    for entry in listing.split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        mode, blob, _stage = meta.split(" ")
        if not os.path.lexists(toplevel / path):
            absent.append(path)
        elif mode in ("100644", "100755"):
            regular.append((mode, blob, path))
    if absent and _git(toplevel, "update-index", "--force-remove", "-z", "--stdin",
                       env=env, input="".join(f"{p}\0" for p in absent)) is None:
        return False
    hashes = _hash_on_disk(toplevel, [path for _, _, path in regular], env)
    if hashes is None:
        return False
    changed = [f"{mode} {new}\t{path}\0" for (mode, old, path), new
               in zip(regular, hashes, strict=True) if new != old]
    if not changed:
        return True
    return _git(toplevel, "update-index", "-z", "--index-info", env=env,
                input="".join(changed)) is not None


def _hash_on_disk(toplevel: Path, paths: list[str], env: dict[str, str]) -> list[str] | None:
    """Blob ids of ``paths`` as their bytes are on disk, no filter or conversion applied
    (written to the object store, as ``git add`` does, so the tree can be written)."""
    if not paths:
        return []
    if any("\n" in path for path in paths):  # --stdin-paths reads one path a line
        alone = [_git(toplevel, "hash-object", "-w", "--no-filters", "--", path, env=env)
                 for path in paths]
        return None if None in alone else [blob for blob in alone if blob is not None]
    out = _git(toplevel, "hash-object", "-w", "--no-filters", "--stdin-paths", env=env,
               input="".join(f"{path}\n" for path in paths))
    ids = None if out is None else out.split("\n")
    return ids if ids is not None and len(ids) == len(paths) else None


@_unrecorded
def read_git_info(cwd: Path, outputs: tuple[Path, ...] = ()) -> GitInfo:
    """Commit, branch and tree digest of the repository holding ``cwd``.

    ``outputs`` are files this run writes (the verdict): they are left out of the digest,
    unless git tracks them (:func:`tracked_outputs`). Every run pays for this at start-up:
    the top level and the branch come from one ``rev-parse``, the commit, its tree and its
    time from one ``show``.
    """
    located = _git(cwd, "rev-parse", "--show-toplevel", "--abbrev-ref", "HEAD")
    if located is None:  # outside a repository, or no commit yet (HEAD names nothing)
        toplevel_text, branch = _git(cwd, "rev-parse", "--show-toplevel"), None
    else:
        toplevel_text, _, branch = located.partition("\n")
    if toplevel_text is None:
        return _unreadable(cwd)
    toplevel = Path(toplevel_text)
    head = _git(cwd, "show", "-s", "--format=%H%n%T%n%cI", "HEAD") if located else None
    fields = head.split("\n") if head else []
    commit, head_tree, commit_time = (fields if len(fields) == 3 else [None, None, None])
    excluded, tracked = _excluded(toplevel, commit, outputs)
    tree = tree_digest(toplevel, excluded, head_tree or "")
    if commit is None:  # a repository without commits yet
        return GitInfo(
            tree=tree,
            excluded=excluded,
            toplevel=str(toplevel),
            dirty=None if tree is None else True,
        )
    unnamed = (*dirty_submodules(toplevel), *outside_links(toplevel, tree),
               *_not_named(cwd, toplevel, tree))
    return GitInfo(
        commit=commit,
        commit_time=commit_time,
        branch=None if branch in (None, "", "HEAD") else branch,
        dirty=None if tree is None or head_tree is None else tree != head_tree,
        tree=tree,
        head_tree=head_tree,
        excluded=excluded,
        toplevel=str(toplevel),
        unnamed=unnamed,
        tracked_outputs=tracked or (),
    )


def _unreadable(cwd: Path) -> GitInfo:
    """Outside any repository nothing is named (a tarball: the trust checks refuse to vouch
    for a commit they cannot see). Inside one that git refuses to read ("dubious
    ownership", a broken ``.git``) the run cannot name what it tested: said, never a pass."""
    folder = Path(os.path.abspath(cwd))
    marker = next((p / ".git" for p in (folder, *folder.parents) if os.path.lexists(p / ".git")),
                  None)
    if marker is None:
        return GitInfo()
    try:
        why = run_git(cwd, "rev-parse", "--show-toplevel", timeout=_GIT_TIMEOUT_S).stderr
    except (OSError, subprocess.TimeoutExpired, ValueError) as error:
        why = str(error)
    first = next((line.strip() for line in why.splitlines() if line.strip()), "no answer")
    return GitInfo(unnamed=(f"{marker.parent} is a git repository that git could not read "
                            f"({first}): no commit or tree names the code",))


def _not_named(cwd: Path, toplevel: Path, tree: str | None) -> tuple[str, ...]:
    """What keeps the digest from naming the run's folder: no digest at all, or a work tree
    elsewhere than the folder the run is in (``core.worktree`` pointing at another checkout:
    git would hash that folder's files, not the ones the run read)."""
    if tree is None:
        return ("git could not compute the digest of the working tree",)
    here, top = Path(os.path.abspath(cwd)), Path(os.path.abspath(toplevel))
    if here != top and top not in here.parents:
        return (f"git's work tree is {toplevel}, not the folder the run is in ({cwd}): its "
                "digest names another folder's files (core.worktree?)",)
    return ()


def _excluded(
    toplevel: Path, commit: str | None, outputs: tuple[Path, ...]
) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The pathspecs left out of the digest, and the outputs git tracks (kept in it)."""
    tracked = _tracked_once(toplevel, commit, outputs)
    kept = {toplevel / name for name in tracked or ()}
    excluded = artifact_excludes(toplevel, () if tracked is None else tuple(
        path for path in outputs if Path(os.path.abspath(path)) not in kept))
    return excluded, tracked


@_unrecorded
def tree_now(start: GitInfo, outputs: tuple[Path, ...] = ()) -> str | None:
    """The digest of the working tree now, computed as :func:`read_git_info` computed
    ``start.tree`` (the same exclusions, asked of git again): the end of a run needs only
    the tree, not the commit's name, branch or links again."""
    if start.toplevel is None:
        return None
    toplevel = Path(start.toplevel)
    excluded, _ = _excluded(toplevel, start.commit, outputs)
    # HEAD's tree is read again: a commit made during the run moves it
    return tree_digest(toplevel, excluded)


def changed_files(cwd: Path, head_tree: str, tree: str) -> list[str] | None:
    """The files in which ``tree`` (a verdict's tested tree) differs from ``head_tree``
    (its commit's), as git names them; None when git cannot tell (objects gone, no git)."""
    out = _git(cwd, "diff-tree", "-r", "--no-commit-id", "--name-only", head_tree, tree)
    if out is None:
        return None
    return [line for line in out.splitlines() if line]


def dirty_submodules(toplevel: Path) -> list[str]:
    """Submodules whose working tree differs from the commit they record: a tree id holds
    only the submodule's commit, never its files."""
    # a gitlink needs no .gitmodules entry (an embedded repository added with `git add`):
    # the index's own 160000 entries are the submodules, whatever .gitmodules lists
    staged = _git(toplevel, "ls-files", "--stage", "-z") or ""
    links = [entry.split("\t", 1)[1] for entry in staged.split("\0")
             if entry.startswith("160000 ") and "\t" in entry]
    if not links:
        return []
    out = _git(toplevel, "status", "--porcelain=v2", "--ignore-submodules=none", "--",
               *(f":(top,literal){link}" for link in links)) or ""
    found = []
    for line in out.splitlines():
        fields = line.split(" ")
        # "1 XY sub ..." where sub is "S<c><m><u>" for a submodule (m: modified, u: untracked)
        if len(fields) > 8 and fields[0] in ("1", "2") and fields[2].startswith("S"):
            state = fields[2]
            if state[2] == "M" or state[3] == "U":
                path = line.split(" ", 8 if fields[0] == "1" else 9)[-1].split("\t")[0]
                found.append(f"submodule {path} has changes not in its commit")
    return found


def outside_links(toplevel: Path, tree: str | None) -> list[str]:
    """Symlinks in the tested tree that point outside the repository."""
    if tree is None:
        return []
    out = tree_listing(toplevel, tree) or ""
    root = os.path.realpath(toplevel)
    found = []
    for entry in out.split("\0"):
        if not entry.startswith("120000 "):
            continue
        path = entry.split("\t", 1)[-1]
        target = os.path.realpath(toplevel / path)
        if target != root and not target.startswith(root + os.sep):
            found.append(f"{path} is a symlink to {target}, outside the repository")
    return found


#: (toplevel, tree id) -> its listing: a tree id names its content for good, so the start of a
#: run (symlinks) and its end (the closed world) list the same tree once
_LISTINGS: dict[tuple[str, str], str] = {}


def tree_listing(toplevel: Path, tree: str) -> str | None:
    """``git ls-tree -r -z`` of a tree id: every entry with its blob id (None without git)."""
    key = (str(toplevel), tree)
    if key not in _LISTINGS:
        listing = _git(toplevel, "ls-tree", "-r", "-z", "--full-tree", tree)
        if listing is None:
            return None
        _LISTINGS[key] = listing
    return _LISTINGS[key]


def changed_paths(toplevel: Path, tree_a: str, tree_b: str, limit: int = 10) -> list[str]:
    """Paths that differ between two tree ids (for messages), at most ``limit``."""
    out = _git(toplevel, "diff-tree", "-r", "--name-only", "--no-commit-id", tree_a, tree_b)
    return [] if not out else out.splitlines()[:limit]


def resolve_commit(cwd: Path, revision: str) -> str | None:
    """The full SHA a revision names here (``HEAD``, a tag, a unique prefix), or None."""
    return _git(cwd, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")


def commit_tree(cwd: Path, commit: str) -> str | None:
    return _git(cwd, "rev-parse", "--verify", "--quiet", f"{commit}^{{tree}}")


def project_folder(toplevel: str | None, folder: Path) -> str | None:
    """The project a verdict speaks for: its folder relative to the repository's top level,
    in POSIX form, ``"."`` for the top (a monorepo holds several projects, each tested
    alone, all of one commit). None outside a repository, or for a folder outside it."""
    if toplevel is None:
        return None
    top, here = os.path.realpath(toplevel), os.path.realpath(folder)
    try:
        relative = Path(here).relative_to(top)
    except ValueError:
        return None
    return relative.as_posix() or "."
