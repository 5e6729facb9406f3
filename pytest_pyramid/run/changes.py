"""What changed since the merge base with a base revision: the one place that asks git.

Three stages judge a change against a base: flaky on arrival (``run/arrival.py``: which test
files changed), the risk gate (``gates/risk.py``: which files, how many lines) and the
changed-lines coverage gate (``gates/cov/changed.py``: which lines). Each takes its base from
:func:`resolve_base` and its changes from :func:`since`, which asks git once per base and
process and keeps the answer in the run's memo (``config.stash[CHANGES_KEY]``; ``pyramid
merge`` keeps its own), so the stages cannot disagree about the merge base or the files.

The change is the working tree (what the tests ran on) against ``merge-base(base, HEAD)``:
tracked changes from one ``git diff --numstat`` (no rename detection: a moved file is its
old path deleted and its new path added), untracked files that are not ignored listed
apart. Coverage needs the changed lines themselves: :func:`line_diff` gives the ``-U0``
patch from the same merge base (with rename detection: a moved file's unchanged lines are
not new code). Every way git can fail is a reason, never an empty change: an empty change
would read as "nothing changed" and let a gate pass on no evidence.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import ConfigError
from pytest_pyramid.run._git import run_git

if TYPE_CHECKING:  # types only: the coverage settings import this module in most runs
    from collections.abc import Mapping
    from typing import Literal

    Stage = Literal["arrival", "coverage", "risk"]
    #: the memo of one run (or one ``pyramid merge``): (folder asked from, base) -> changes
    Memo = dict[tuple[str, str], "Changes"]

#: the environment variable CI sets to the target branch
BASE_ENV = "PYRAMID_RISK_BASE"
CLI = "--pyramid-diff-base"
COVERAGE_TABLE = "[tool.pyramid.coverage] base"
RISK_TABLE = "[tool.pyramid.risk] base"
GIT_TIMEOUT_S = 60.0

#: where each stage takes its base from, the first one named wins. Coverage reads neither
#: the environment variable nor the risk table, and risk not coverage's table (each as it
#: always did); arrival takes any base the project already names.
SOURCES: dict[Stage, tuple[str, ...]] = {
    "arrival": (CLI, BASE_ENV, COVERAGE_TABLE, RISK_TABLE),
    "coverage": (CLI, COVERAGE_TABLE),
    "risk": (CLI, BASE_ENV, RISK_TABLE),
}


def resolve_base(raw: Mapping[str, Any], cli_base: str | None, stage: Stage,
                 environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """The base revision ``stage`` judges against and where it was named, or None.

    ``cli_base`` is ``--pyramid-diff-base`` (or its ini twin); a value given there that git
    would read as an option, or an empty one, is a ConfigError naming the option (the
    tables' values were checked by the schema)."""
    environ = os.environ if environ is None else environ
    for origin in SOURCES[stage]:
        value = _named(origin, raw, cli_base, environ)
        if value is not None:
            return value, origin
    return None


def _named(origin: str, raw: Mapping[str, Any], cli_base: str | None,
           environ: Mapping[str, str]) -> str | None:
    if origin == CLI:
        return None if cli_base is None else _revision(CLI, cli_base, "command line")
    if origin == BASE_ENV:
        value = environ.get(BASE_ENV)
        return _revision(BASE_ENV, value, "environment") if value else None
    table = raw.get("coverage" if origin == COVERAGE_TABLE else "risk")
    if isinstance(table, dict) and table.get("base"):
        return str(table["base"]).strip()
    return None


def _revision(key: str, value: object, source: str) -> str:
    # A leading "-" would be read by git as an option.
    if not isinstance(value, str) or not value.strip() or value.strip().startswith("-"):
        raise ConfigError(key, value, source, "must be a git revision, e.g. 'origin/main'")
    return value.strip()


class Changes:
    """The files changed since ``merge-base(base, HEAD)``, or why they are unknown.

    A plain class, not a dataclass: the coverage settings import this module in every run
    that measures coverage, and a dataclass's generated methods are compiled at import."""

    __slots__ = ("base", "merge_base", "reason", "top", "tracked", "untracked")

    def __init__(self, base: str, *, top: Path | None = None, merge_base: str | None = None,
                 tracked: tuple[tuple[str, int | None, int | None], ...] = (),
                 untracked: tuple[str, ...] = (), reason: str | None = None) -> None:
        self.base = base
        self.top = top
        self.merge_base = merge_base
        #: tracked files changed (working tree included): path relative to ``top``, lines
        #: added and deleted (None for a file git calls binary)
        self.tracked = tracked
        #: untracked, not ignored files, relative to ``top``
        self.untracked = untracked
        self.reason = reason

    def names(self) -> frozenset[str]:
        """Every changed path, tracked or not, relative to ``top``."""
        return frozenset(path for path, _, _ in self.tracked) | frozenset(self.untracked)


class _GitError(Exception):
    pass


def _git(cwd: Path, *args: str) -> str:
    # run_git's allow-listed environment: pagers, diff drivers, the user's locale and
    # inherited GIT_* variables do not change the output
    try:
        proc = run_git(cwd, "-c", "core.quotepath=off", *args, timeout=GIT_TIMEOUT_S)
    except FileNotFoundError as exc:
        raise _GitError("git is not installed (no 'git' on PATH)") from exc
    except subprocess.TimeoutExpired as exc:
        raise _GitError(f"'git {' '.join(args)}' took longer than {GIT_TIMEOUT_S:.0f} s") from exc
    if proc.returncode != 0:
        raise _GitError(proc.stderr.strip() or f"'git {' '.join(args)}' exited {proc.returncode}")
    return proc.stdout


def since(memo: Memo, cwd: Path, base: str) -> Changes:
    """The changes since ``base`` seen from ``cwd``: computed on the first ask, then kept."""
    key = (str(cwd), base)
    found = memo.get(key)
    if found is None:
        found = memo[key] = changes_since(cwd, base)
    return found


def changes_since(cwd: Path, base: str) -> Changes:
    """Ask git (prefer :func:`since`, which asks once per run)."""
    try:
        top = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    except _GitError as exc:
        return Changes(base, reason=f"{cwd} is not a git checkout ({exc})")
    missing = _merge_base(top, base)
    if missing[1] is not None:
        return Changes(base, top=top, reason=missing[1])
    merge_base = missing[0]
    try:
        numstat = _git(top, "diff", "--numstat", "-z", "--no-renames", "--no-ext-diff",
                       "--no-textconv", merge_base, "--")
        others = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    except _GitError as exc:
        return Changes(base, top=top, merge_base=merge_base, reason=f"git diff failed ({exc})")
    return Changes(base, top=top, merge_base=merge_base, tracked=_numstat(numstat),
                   untracked=tuple(p for p in others.split("\0") if p))


def between(cwd: Path, old: str | None, new: str) -> Changes:
    """The files that differ between commit ``old``'s tree and commit ``new``'s (``old``
    None: nothing, the empty tree, so every file of ``new``), for the deploy's risk gate:
    what a release changes against what the target serves (deploy/change_risk.py). No
    working tree and no merge base: the two commits as they are. ``merge_base`` is ``old``."""
    base = old or "the empty tree"
    try:
        top = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
        # the empty tree's name depends on the repository's hash (sha1, sha256)
        start = old or _git(top, "hash-object", "-t", "tree", "/dev/null").strip()
        numstat = _git(top, "diff", "--numstat", "-z", "--no-renames", "--no-ext-diff",
                       "--no-textconv", f"{start}^{{tree}}", f"{new}^{{tree}}", "--")
    except _GitError as exc:
        return Changes(base, reason=f"git cannot compare {base} with {new[:12]} from {cwd} "
                       f"({exc})")
    return Changes(base, top=top, merge_base=old, tracked=_numstat(numstat))


def _merge_base(top: Path, base: str) -> tuple[str, str | None]:
    """(the merge base, None), or ("", why there is none)."""
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except _GitError:
        shallow = (" in this shallow clone (fetch it, e.g. 'git fetch origin <branch>', or "
                   "check out with fetch-depth: 0)") if _shallow(top) else ""
        return "", f"base revision {base!r} not found{shallow}"
    try:
        return _git(top, "merge-base", base, "HEAD").strip(), None
    except _GitError as exc:
        note = "; this is a shallow clone: fetch more history (fetch-depth: 0)" \
            if _shallow(top) else ""
        return "", f"no merge-base between {base!r} and HEAD ({exc}){note}"


def _shallow(top: Path) -> bool:
    try:
        return _git(top, "rev-parse", "--is-shallow-repository").strip() == "true"
    except _GitError:
        return False


def _numstat(out: str) -> tuple[tuple[str, int | None, int | None], ...]:
    """``git diff --numstat -z --no-renames``: ``added TAB deleted TAB path NUL`` records,
    ``-`` for the counts of a binary file."""
    found = []
    for record in out.split("\0"):
        if not record:
            continue
        added, deleted, path = record.split("\t", 2)
        found.append((path, None if added == "-" else int(added),
                      None if deleted == "-" else int(deleted)))
    return tuple(found)


def line_diff(changes: Changes) -> tuple[str, str | None]:
    """The ``-U0`` patch of the tracked changes (paths ``a/``/``b/`` prefixed, relative to
    ``changes.top``), or ("", why not). Asked once per run, by the coverage gate."""
    if changes.reason is not None or changes.top is None or changes.merge_base is None:
        return "", changes.reason or "no merge base"
    try:
        return _git(
            changes.top, "diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv",
            # attributes (`-diff`, `binary`) would print "Binary files differ" and hide
            # every changed line: the lines are counted whatever the attributes say
            "--text", "--diff-algorithm=myers", "--find-renames",
            # the user's diff.noprefix / diff.mnemonicPrefix must not change the paths
            "--src-prefix=a/", "--dst-prefix=b/", changes.merge_base, "--",
        ), None
    except _GitError as exc:
        return "", f"git diff failed ({exc})"
