"""What a verdict speaks for: the commit, and a digest of the working tree that was tested.

The commit is a name; the tree digest is the code. It is the git tree id that ``git add -A``
(tracked files plus untracked, not-ignored ones) would commit from the commit's tree, with
every file's bytes as they are on disk; the user's index is never written. ``dirty`` is true
whenever that tree differs from the commit's own tree, so an untracked source file counts as
much as an edited one. The files are hashed in this process (``git_objects.py``); git lists
them and writes the objects of a tree that is not the commit's.

Absent git (or a directory outside any repository) is not an error: every field is None and
the trust checks refuse to vouch for a commit they cannot see.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tempfile
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from pytest_pyramid import results as _results
from pytest_pyramid.run._git import run_git
from pytest_pyramid.verdict.git_objects import (
    GITLINK,
    REGULAR,
    SYMLINK,
    Entry,
    algorithm_of,
    blob_id,
    build_trees,
    file_blob_id,
    parse_listing,
    pathspec_matcher,
)

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
_PARTIAL_NAME = r"pyramid-partial-[0-9]+-of-[0-9]+\.(json|coverage)"
#: how each begins: the partial's JSON names its format first; coverage data is SQLite
_PARTIAL_JSON = b'"format": "pytest-pyramid-partial"'
_SQLITE = b"SQLite format 3\x00"
_GIT_TIMEOUT_S = 60
_GLOB_CHARS = frozenset("*?[")


@_results.record(frozen=True)  # `record` names the scan's entries below
class GitInfo:
    """The repository state a run names: its commit, branch and the tree it tested."""

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
    out = _git_raw(cwd, *args, env=env, input=input)
    return None if out is None else out.strip()


def _git_raw(cwd: Path, *args: str, env: dict[str, str] | None = None,
             input: str | None = None) -> str | None:
    """git's output as it is (a ``-z`` listing's first or last name may begin or end with
    a space), None when git fails."""
    try:
        result = run_git(cwd, *args, env=env, timeout=_GIT_TIMEOUT_S, input=input)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    return result.stdout if result.returncode == 0 else None


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
            # the pattern is compiled only for a name that may be one (every run's start
            # lists its output folder; compiling costs more than the listing)
            if (name.startswith("pyramid-partial-") and re.fullmatch(_PARTIAL_NAME, name)
                    and _is_partial(folder / name)):
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


class _Scan:
    """One ``git ls-files`` of the working tree: what the user's index holds and the
    untracked files git does not ignore. The digest, the outputs git tracks and the
    submodules are all read from it (one process where there were four). A plain class:
    a dataclass would be compiled at every run's start."""

    __slots__ = ("index", "others")

    def __init__(self, index: dict[str, str], others: tuple[str, ...]) -> None:
        #: path -> mode of each entry of the user's index (what git tracks)
        self.index = index
        #: files the index does not hold and git does not ignore; a nested repository
        #: ends in /
        self.others = others


def _scan(toplevel: Path) -> _Scan | None:
    out = _git_raw(toplevel, "ls-files", "-z", "--stage", "-t", "--others",
                   "--exclude-standard")
    if out is None:
        return None
    index: dict[str, str] = {}
    others: list[str] = []
    # -t tags each record: "? path" for an untracked file, "H mode id stage\tpath" (S, M:
    # skip-worktree, unmerged) for an index entry, so no file name can pass for an entry
    for record in out.split("\0"):
        tag, rest = record[:2], record[2:]
        if tag == "? ":
            others.append(rest)
        elif len(tag) == 2 and tag[1] == " " and "\t" in rest:
            meta, _, path = rest.partition("\t")
            index[path] = meta.split(" ", 1)[0]
    return _Scan(index, tuple(others))


def tracked_outputs(toplevel: Path, outputs: tuple[Path, ...],
                    scan: _Scan | None = None) -> tuple[str, ...] | None:
    """The outputs git tracks (None: git did not answer), which are never left out of the
    digest: a report or verdict path pointing at ``pyproject.toml`` must not take the file
    the run read out of the tree the verdict names. Untracked outputs of an earlier run stay
    out (code among them is caught where it is imported: ``run/imported.py``)."""
    inside = _inside(toplevel, outputs)
    if not inside:
        return ()
    scan = _scan(toplevel) if scan is None else scan
    if scan is None:  # no answer from git: none can be left out
        return None
    # as the pathspec ``:(literal)NAME`` does: the file itself, or the files under a folder
    found = {name for name in inside if name in scan.index}
    folders = tuple(f"{name}/" for name in inside if os.path.isdir(toplevel / name))
    if folders:
        found.update(path for path in scan.index if path.startswith(folders))
    return tuple(sorted(found))


def tree_digest(
    toplevel: Path, excluded: tuple[str, ...], head: str | None = None
) -> str | None:
    """The tree id ``git add -A`` would give, leaving ``excluded`` out; None without git.

    ``head`` is the commit's tree when the caller has just read it ("": no commit yet).
    """
    if head is None:
        head = _git(toplevel, "rev-parse", "--verify", "--quiet", "HEAD^{tree}") or ""
    return _digest(toplevel, excluded, head, _scan(toplevel))


class _Unreadable(Exception):
    """A file the digest cannot name (it vanished while read, a nested repository without
    a commit): no digest, as when ``git add`` failed."""


def _digest(toplevel: Path, excluded: tuple[str, ...], head: str,
            scan: _Scan | None) -> str | None:
    """The tree of the working tree's bytes as the tests ran them: the commit's files (on
    disk, changed or gone) plus the untracked files git does not ignore, less ``excluded``.

    Every file is hashed as it is on disk, whatever git's stat cache, clean filters or
    end-of-line conversion would say (an edit whose size and mtime were put back is seen;
    a filter cannot map the working copy back to the committed bytes; a path outside a
    sparse checkout that is absent is gone). Each file is read once, in this process
    (``git_objects.py``); git writes objects only when the tree is not the commit's.
    """
    if scan is None:
        return None
    committed: dict[str, Entry] = {}
    if head:
        listing = tree_listing(toplevel, head)
        if listing is None:
            return None
        committed = parse_listing(listing)
    algorithm = algorithm_of(head) if head else _object_format(toplevel)
    if algorithm is None:
        return None
    try:
        entries = _on_disk(toplevel, committed, scan, _leave_out(excluded), algorithm)
    except _Unreadable:
        return None
    if head and entries == committed:
        return head
    return _write_tree(toplevel, entries, set(oid for _, oid in committed.values()), algorithm)


def _leave_out(excluded: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a path is one of ``excluded``: a glob as git's ``:(glob)`` pathspec matches
    it, or a literal name (the file, or what is under it, as ``:(literal)`` matches)."""
    matcher = pathspec_matcher(tuple(p for p in excluded if _GLOB_CHARS & set(p)))
    files = frozenset(p for p in excluded if not _GLOB_CHARS & set(p))
    folders = tuple(f"{name}/" for name in files)

    def leave_out(path: str) -> bool:
        return matcher(path) or path in files or (bool(folders) and path.startswith(folders))

    return leave_out


def _on_disk(toplevel: Path, committed: dict[str, Entry], scan: _Scan,
             leave_out: Callable[[str], bool], algorithm: str) -> dict[str, Entry]:
    """Path -> (mode, id) of the tree ``git add -A`` would stage from the commit's tree,
    every file hashed as it is on disk."""
    entries: dict[str, Entry] = {}
    for path, entry in committed.items():
        # an excluded file the commit holds keeps its mode; it is still named as on disk
        now = (_kept(toplevel, path, entry, algorithm) if leave_out(path)
               else _entry(toplevel, path, entry, algorithm))
        if now is not None:
            entries[path] = now
    for name in (*scan.others, *_staged_new(toplevel, committed, scan)):
        path = name.rstrip("/")
        if path in committed or path in entries or leave_out(path):
            continue
        now = _entry(toplevel, path, None, algorithm)
        if now is not None:
            entries[path] = now
    return entries


def _staged_new(toplevel: Path, committed: dict[str, Entry], scan: _Scan) -> list[str]:
    """Files the user's index holds and the commit does not (added, not committed): they
    are untracked for the digest, so in it only when git does not ignore them."""
    staged = [path for path in scan.index if path not in committed]
    if not staged:
        return []
    try:  # --no-index: the user's index holding a file must not hide that it is ignored
        result = run_git(toplevel, "check-ignore", "--no-index", "-z", "--stdin",
                         timeout=_GIT_TIMEOUT_S, input="".join(f"{p}\0" for p in staged))
    except (OSError, subprocess.TimeoutExpired, ValueError) as error:
        raise _Unreadable(str(error)) from error
    if result.returncode not in (0, 1):  # 1: none of them is ignored
        raise _Unreadable(result.stderr)
    ignored = set(result.stdout.split("\0"))
    return [path for path in staged if path not in ignored]


def _kept(toplevel: Path, path: str, entry: Entry, algorithm: str) -> Entry | None:
    """A committed file the exclusions name: its committed mode, its bytes on disk (gone
    when it is gone)."""
    mode, _ = entry
    full = os.path.join(toplevel, path)
    if not os.path.lexists(full):
        return None
    if mode not in REGULAR:
        return entry
    blob = file_blob_id(full, algorithm)
    if blob is None:
        raise _Unreadable(path)
    return mode, blob


def _entry(toplevel: Path, path: str, committed: Entry | None, algorithm: str) -> Entry | None:
    """What ``git add`` stages for ``path`` as it is on disk (None: nothing, it is gone or
    a folder whose files are listed on their own)."""
    full = os.path.join(toplevel, path)
    try:
        status = os.lstat(full)
    except OSError:  # gone, or a folder above it became a file
        return None
    was = committed[0] if committed else None
    if stat.S_ISLNK(status.st_mode):
        return SYMLINK, blob_id(os.readlink(os.fsencode(full)), algorithm)
    if stat.S_ISREG(status.st_mode):
        blob = file_blob_id(full, algorithm)
        if blob is None:
            raise _Unreadable(path)
        return _regular_mode(status.st_mode), blob
    if stat.S_ISDIR(status.st_mode):
        if os.path.lexists(os.path.join(full, ".git")):  # a submodule, or a nested repository
            commit = _git(Path(full), "rev-parse", "--verify", "--quiet", "HEAD")
            if commit is None:  # `git add` refuses a repository without a commit
                raise _Unreadable(path)
            return GITLINK, commit
        return committed if was == GITLINK else None  # a submodule never checked out
    return None  # a pipe, a socket, a device: git stages none


def _regular_mode(st_mode: int) -> str:
    """The mode of a regular file as it is on disk: executable by its owner or not. Never
    the repository's ``core.fileMode``/``core.symlinks``: a file the tests ran as an
    executable (or read as a plain file where the commit holds a link) is named so whatever
    the checkout's configuration says about trusting the file system, as git itself names
    the disk with ``-c core.fileMode=true -c core.symlinks=true`` (hostile case 302)."""
    return "100755" if st_mode & stat.S_IXUSR else "100644"


def _object_format(toplevel: Path) -> str | None:
    """The repository's hash when no commit id tells it (a repository without commits)."""
    name = _git(toplevel, "rev-parse", "--show-object-format")
    return name if name in ("sha1", "sha256") else None


def _write_tree(toplevel: Path, entries: dict[str, Entry], known: set[str],
                algorithm: str) -> str | None:
    """Write the new blobs and the trees of ``entries`` to the object store (the end of a
    run and ``pyramid check`` compare trees with ``git diff-tree``), checking that git gives
    every id computed here; None when it does not or cannot."""
    try:
        trees = build_trees(entries, algorithm)
    except ValueError:
        return None
    new = {path: entry for path, entry in entries.items()
           if entry[0] != GITLINK and entry[1] not in known}
    if not _write_blobs(toplevel, new):
        return None
    batch = "".join("".join(f"{line}\0" for line in lines) + "\0"
                    for _, lines in trees.objects)
    written = _git_raw(toplevel, "mktree", "-z", "--batch", input=batch)
    if written is None or written.split() != [tree for tree, _ in trees.objects]:
        return None
    _LISTINGS[(str(toplevel), trees.root)] = trees.listing
    return trees.root


def _write_blobs(toplevel: Path, new: dict[str, Entry]) -> bool:
    """Write the blobs of ``new`` (files as on disk, symlinks' targets) with one
    ``hash-object -w --no-filters``; True when git gave each the id computed here."""
    if not new:
        return True
    with tempfile.TemporaryDirectory(prefix="pyramid-links-") as tmp:
        paths: list[str] = []
        for index, (path, (mode, _)) in enumerate(new.items()):
            if mode == SYMLINK:  # a link's blob is its target: hashed from a file holding it
                target = Path(tmp, str(index))
                target.write_bytes(os.readlink(os.fsencode(os.path.join(toplevel, path))))
                paths.append(str(target))
            else:
                paths.append(path)
        ids = _hash_paths(toplevel, paths)
    return ids == [oid for _, oid in new.values()]


def _hash_paths(toplevel: Path, paths: list[str]) -> list[str] | None:
    """``git hash-object -w --no-filters`` of each path, in order."""
    args = ("hash-object", "-w", "--no-filters")
    if any("\n" in path for path in paths):  # --stdin-paths reads one path a line
        alone = [_git(toplevel, *args, "--", path) for path in paths]
        return None if None in alone else [blob for blob in alone if blob is not None]
    out = _git(toplevel, *args, "--stdin-paths", input="".join(f"{p}\n" for p in paths))
    return None if out is None else out.split("\n")


@_unrecorded
def read_git_info(cwd: Path, outputs: tuple[Path, ...] = ()) -> GitInfo:
    """Commit, branch and tree digest of the repository holding ``cwd``.

    ``outputs`` are files this run writes (the verdict): they are left out of the digest,
    unless git tracks them (:func:`tracked_outputs`). Every run pays for this at start-up,
    four git processes for a tree that is the commit's: the top level and the branch come
    from one ``rev-parse``, the commit, its tree and its time from one ``show``, the commit's
    files from one ``ls-tree`` and the index and untracked files from one ``ls-files``.
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
    scan = _scan(toplevel)
    excluded, tracked = _excluded(toplevel, outputs, scan)
    tree = _digest(toplevel, excluded, head_tree or "", scan)
    if commit is None:  # a repository without commits yet
        return GitInfo(
            tree=tree,
            excluded=excluded,
            toplevel=str(toplevel),
            dirty=None if tree is None else True,
        )
    unnamed = (*dirty_submodules(toplevel, scan), *outside_links(toplevel, tree),
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
    toplevel: Path, outputs: tuple[Path, ...], scan: _Scan | None
) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The pathspecs left out of the digest, and the outputs git tracks (kept in it)."""
    tracked = None if scan is None else tracked_outputs(toplevel, outputs, scan)
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
    # HEAD's tree is read again: a commit made during the run moves it
    head = _git(toplevel, "rev-parse", "--verify", "--quiet", "HEAD^{tree}") or ""
    scan = _scan(toplevel)
    excluded, _ = _excluded(toplevel, outputs, scan)
    return _digest(toplevel, excluded, head, scan)


def changed_files(cwd: Path, head_tree: str, tree: str) -> list[str] | None:
    """The files in which ``tree`` (a verdict's tested tree) differs from ``head_tree``
    (its commit's), as git names them; None when git cannot tell (objects gone, no git)."""
    out = _git(cwd, "diff-tree", "-r", "--no-commit-id", "--name-only", head_tree, tree)
    if out is None:
        return None
    return [line for line in out.splitlines() if line]


def dirty_submodules(toplevel: Path, scan: _Scan | None = None) -> list[str]:
    """Submodules whose working tree differs from the commit they record: a tree id holds
    only the submodule's commit, never its files."""
    # a gitlink needs no .gitmodules entry (an embedded repository added with `git add`):
    # the index's own 160000 entries are the submodules, whatever .gitmodules lists
    scan = _scan(toplevel) if scan is None else scan
    links = [path for path, mode in (scan.index.items() if scan else ()) if mode == GITLINK]
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
        listing = _git_raw(toplevel, "ls-tree", "-r", "-z", "--full-tree", tree)
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
