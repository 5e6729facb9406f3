"""Release folders: a clean checkout of exactly the commit a verdict vouches for.

A version never runs from the developer's working tree: uncommitted edits, untracked files
and a checked-out branch other than the verdict's commit cannot reach it. The checkout is
made from the commit object with a private index (``git read-tree`` + ``checkout-index``),
so the repository's own index, worktree list and refs are never touched. It goes to a
temporary folder first and is renamed into place, so a half-written release is never used.
A release folder that exists is reused only when it is still the commit's tree and nothing
more: its tracked files match the commit and it holds no other file or folder (untracked,
ignored, empty, left by an earlier build, written by a version or planted: any of them could
change what runs, and which is which cannot be told). Otherwise a fresh checkout replaces it
and the old folder is set aside as ``.<sha>.stale-*`` (a version may still run from it). A
folder set aside is never used again, and is deleted by :func:`prune_stale` once no process
runs from it. A commit with submodules (gitlinks) is refused (:func:`gitlinks`): their files
are not in the commit's tree, so a release without them is not the tested tree (hostile case
465), and they are not checked out.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pytest_pyramid.errors import PyramidError
from pytest_pyramid.run._git import run_git

MARKER = ".pyramid-release.json"
#: what a release folder set aside is named by: ``.<sha>.stale-<the checkout that replaced it>``
STALE = ".stale-"
_GIT_TIMEOUT_S = 120


class ReleaseError(PyramidError):
    """The commit cannot be checked out into a release folder."""


def _git(repo: Path, *args: str, index: Path | None = None, work_tree: Path | None = None,
         input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {} if index is None else {"GIT_INDEX_FILE": str(index)}
    command = [] if work_tree is None else ["--work-tree", str(work_tree)]
    try:
        return run_git(repo, *command, *args, env=env, timeout=_GIT_TIMEOUT_S, host=True,
                       input=input)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReleaseError(f"git {' '.join(args[:2])} failed: {exc}") from exc


def toplevel(folder: Path) -> Path:
    result = _git(folder, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise ReleaseError(f"{folder} is not in a git repository: a release is a checkout of the "
                           "verdict's commit, so deploy needs git")
    return Path(result.stdout.strip())


def _tree(repo: Path, commit: str) -> str:
    result = _git(repo, "rev-parse", "--verify", "--quiet", f"{commit}^{{tree}}")
    if result.returncode != 0:
        raise ReleaseError(f"commit {commit[:12]} is not in the repository at {repo}")
    return result.stdout.strip()


def _matches(repo: Path, folder: Path, commit: str, tree: str) -> bool:
    """True when ``folder`` is our checkout of ``commit``: its tracked files unchanged and
    nothing else in it but the marker (a version's own files, a database or ``__pycache__``,
    count too: a release is the commit's tree, nothing more)."""
    try:
        marker = json.loads((folder / MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(marker, dict) or marker.get("commit") != commit or \
            marker.get("tree") != tree:
        return False
    with tempfile.TemporaryDirectory(prefix="pyramid-release-index-") as tmp:
        index = Path(tmp) / "index"
        if _git(repo, "read-tree", commit, index=index).returncode != 0:
            return False
        _git(repo, "update-index", "-q", "--refresh", index=index, work_tree=folder)
        if _git(repo, "diff-files", "--quiet", index=index, work_tree=folder).returncode != 0:
            return False
        return _nothing_else(repo, folder, index) and _unlike_blobs(repo, folder, commit) is None


def _nothing_else(repo: Path, folder: Path, index: Path) -> bool:
    """``folder`` holds no path the commit does not track but the marker: ignored files and
    empty folders count (no ``--exclude-standard``: the commit's .gitignore says what git
    should not track, not what may run); an untracked folder is one entry (``--directory``)."""
    result = _git(repo, "ls-files", "--others", "--directory", "-z", index=index,
                  work_tree=folder)
    return result.returncode == 0 and set(result.stdout.split("\0")) <= {"", MARKER}


def _unlike_blobs(repo: Path, folder: Path, commit: str) -> str | None:
    """The first file of ``folder`` whose bytes are not ``commit``'s blob (None: all are).
    git compares a checkout through the repository's own filters and conversions (its
    ``.git/config``, ``.git/info/attributes``), which also wrote it: a smudge filter or an
    eol rule there rewrote every release while git saw no change (hostile case 274). So the
    bytes are hashed as they are (``hash-object --no-filters``) against the tree's ids."""
    listed = _git(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
    if listed.returncode != 0:
        return f"git ls-tree {commit[:12]}"
    files: dict[str, str] = {}
    for entry in listed.stdout.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            files[path] = parts[2] if parts[0] != "120000" else "link"
    links = {path for path, oid in files.items() if oid == "link"}
    for path in links:  # a link's blob is its target: read it, never follow it
        target = _git(repo, "cat-file", "-p", f"{commit}:{path}")
        if not (folder / path).is_symlink() or os.readlink(folder / path) != target.stdout:
            return path
    plain = [path for path in files if path not in links]
    hashed = _git(repo, "hash-object", "--no-filters", "--stdin-paths",
                  input="".join(f"{folder / path}\n" for path in plain))
    got = hashed.stdout.split()
    if hashed.returncode != 0 or len(got) != len(plain):
        return plain[len(got)] if len(got) < len(plain) else "hash-object"
    return next((path for path, oid in zip(plain, got, strict=True) if files[path] != oid), None)


def gitlinks(repo: Path, commit: str) -> list[str]:
    """The paths of ``commit``'s submodules (gitlinks, mode 160000), each with the commit it
    records: ``path (sha12)``."""
    listed = _git(toplevel(repo), "ls-tree", "-r", "-z", "--full-tree", commit)
    if listed.returncode != 0:
        raise ReleaseError(f"git ls-tree {commit[:12]} failed: {listed.stderr.strip()}")
    found = []
    for entry in listed.stdout.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[0] == "160000":
            found.append(f"{path} ({parts[2][:12]})")
    return found


def whole_tree_problem(repo: Path, commit: str) -> str | None:
    """Why ``commit`` cannot be shipped whole as a release (None: it can): the gate's and
    :func:`checkout`'s one check."""
    links = gitlinks(repo, commit)
    if not links:
        return None
    return (f"the commit has submodule(s) {', '.join(links)}: a release is the commit's "
            "tree, and a submodule's files are not in it (a release would run without them "
            "where the tests ran with them), so it is not shipped; track the files in the "
            "tree instead")


def checkout(repo: Path, commit: str, folder: Path) -> bool:
    """Make ``folder`` a clean checkout of ``commit``; True when an existing one was reused."""
    top = toplevel(repo)
    tree = _tree(top, commit)
    whole = whole_tree_problem(top, commit)
    if whole is not None:
        raise ReleaseError(whole)
    if folder.is_dir() and _matches(top, folder, commit, tree):
        return True
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        index = staging.with_name(staging.name + ".index")
        try:
            steps = (("read-tree", commit),
                     ("checkout-index", "--all", "--force", f"--prefix={staging}/"))
            for args in steps:
                result = _git(top, *args, index=index)
                if result.returncode != 0:
                    raise ReleaseError(f"git {args[0]} of {commit[:12]} failed: "
                                       f"{result.stderr.strip()}")
        finally:
            index.unlink(missing_ok=True)
        unlike = _unlike_blobs(top, staging, commit)
        if unlike is not None:
            raise ReleaseError(f"the checkout of {commit[:12]} is not the commit's bytes "
                               f"({unlike}): a filter or conversion of the repository's own "
                               "configuration (.git/config, .git/info/attributes) rewrote "
                               "it; a release is the commit's blobs, byte for byte")
        (staging / MARKER).write_text(json.dumps({"commit": commit, "tree": tree}), "utf-8")
        if folder.exists():
            # No longer matches its commit: set aside (a running version may still use it),
            # never reused.
            os.rename(folder, folder.with_name(f".{folder.name}{STALE}{staging.name}"))
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return False


def project_folder(root: Path, release: Path) -> Path:
    """Where the project (the folder of its pyproject.toml) lies inside a release checkout."""
    with contextlib.suppress(ReleaseError, ValueError):
        return release / root.resolve().relative_to(toplevel(root).resolve())
    return release


def prune_stale(releases: Path) -> list[Path]:
    """Delete the release folders set aside in ``releases`` that no process runs from; returns
    those deleted. Only ``.<sha>.stale-*`` folders are candidates: a release folder by its
    commit's name (the serving one, the previous one) is never touched here. Without /proc
    (not Linux) nothing can be proven unused, so nothing is deleted."""
    aside = [p for p in releases.glob(f".*{STALE}*") if p.is_dir() and not p.is_symlink()]
    if not aside or not Path("/proc/self").is_dir():
        return []
    busy = _in_use(aside)
    deleted: list[Path] = []
    for folder in aside:
        if folder not in busy:
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                deleted.append(folder)
    return deleted


def _in_use(folders: list[Path]) -> set[Path]:
    """The ``folders`` some process runs from: its working folder, root or program is in one,
    or it maps or holds open a file of one (a folder renamed under a running version is what
    /proc names now). A process this account cannot inspect is another account's: the deploy
    starts versions as itself, or (``run_as``) as root, which inspects every process."""
    prefixes = {str(folder.resolve()): folder for folder in folders}
    busy: set[Path] = set()
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            for path in _paths_of(entry.path):
                busy.update(folder for prefix, folder in prefixes.items()
                            if path == prefix or path.startswith(prefix + "/"))
    return busy


def _paths_of(proc: str) -> list[str]:
    """The paths a process uses, from its /proc folder (empty once it is gone)."""
    paths: list[str] = []
    for link in ("cwd", "root", "exe"):
        with contextlib.suppress(OSError):
            paths.append(os.readlink(f"{proc}/{link}"))
    with contextlib.suppress(OSError), os.scandir(f"{proc}/fd") as fds:
        for fd in fds:
            with contextlib.suppress(OSError):
                paths.append(os.readlink(fd.path))
    with contextlib.suppress(OSError), open(f"{proc}/maps", encoding="utf-8",
                                            errors="replace") as maps:
        paths.extend(fields[5].strip() for fields in (line.split(None, 5) for line in maps)
                     if len(fields) == 6)
    return paths
