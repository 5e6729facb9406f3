"""The one way the package runs git: an allow-listed environment, replace refs off, ``-C``.

Every git fact a verdict states (commit, tree digest, changed lines, ignored files) must
describe the repository the run is in, not one an inherited variable points at. A variable
such as ``GIT_DIR``, ``GIT_WORK_TREE``, ``GIT_INDEX_FILE``, ``GIT_OBJECT_DIRECTORY`` or
``GIT_CONFIG_PARAMETERS`` left in the environment by a CI script would make git answer for
another repository, index or configuration, so the environment passed to git is built from
an allow-list (what git needs to find itself, its user configuration and a temporary
directory) rather than by removing known-bad names. ``GIT_NO_REPLACE_OBJECTS`` is always set:
``refs/replace`` would let a commit id stand for another commit's tree.

Which ``git`` runs, and the allow-listed variables it gets, are the process's starting facts
(:func:`begin`): found once, before any of the project's code runs, on the host's standard
path first, then on the ``PATH`` the process started with (``run/early.py``'s copy), never on
``os.environ`` as a conftest or a test module left it: a tracked conftest that put the
tests' own stub ``git`` first on ``PATH`` answered for the workspace listing (hostile case
294 b), and a ``HOME`` it chose would choose git's ignore rules.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

#: Inherited variables git may see, each for a reason: PATH finds git and its helpers; HOME
#: and XDG_CONFIG_HOME find the user's configuration (``safe.directory`` on CI runners);
#: TMPDIR is where it may write temporary files; SYSTEMROOT / COMSPEC are needed on Windows.
ALLOWED_ENV: tuple[str, ...] = (
    "PATH", "HOME", "XDG_CONFIG_HOME", "TMPDIR", "TMP", "TEMP", "SYSTEMROOT", "COMSPEC", "USER",
    "LOGNAME", "USERPROFILE",
)
#: Always set: no replace refs, no prompts, no pager, no locale-dependent output, and no
#: optional lock taken on the user's index by a read-only command.
FIXED_ENV: Mapping[str, str] = {
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",
}
#: The only git variables a caller may set (a temporary index of its own).
CALLER_ENV: frozenset[str] = frozenset({"GIT_INDEX_FILE"})


#: the host's standard search path (systemd's default ``PATH``, which holds POSIX
#: ``CS_PATH``'s folders): where the judgement's git is looked for first, and the whole search
#: path of a deploy's git and of the programs a deployed version starts
#: (``deploy/isolation.py``)
STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: the process's git and its allow-listed starting variables, taken once (:func:`begin`)
_START: list[tuple[str | None, dict[str, str]]] = []


def find_git(path: str) -> str | None:
    """The ``git`` program found on :data:`STANDARD_PATH`, then on ``path`` (absolute folders
    only: a relative one means whatever folder the process is in), or None."""
    folders = [*STANDARD_PATH.split(":"), *path.split(os.pathsep)]
    for folder in dict.fromkeys(folder for folder in folders if os.path.isabs(folder)):
        candidate = os.path.join(folder, "git")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def begin() -> None:
    """Take git's starting facts now, once per process: the plugin calls it before the first
    conftest is imported; any other process (``pyramid check``, a deploy) at its first git
    call. From the environment the process started with (``run/early.py``), else from
    ``os.environ`` now."""
    if _START:
        return
    early = sys.modules.get("pytest_pyramid.run.early")
    started = early.environ_at_start() if early is not None else None
    environ = started if started is not None else dict(os.environ)
    _START.append((find_git(environ.get("PATH", "")),
                   {name: environ[name] for name in ALLOWED_ENV if name in environ}))


def git_program() -> str | None:
    """The judgement's git (:func:`begin`), None when none was found."""
    begin()
    return _START[0][0]


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for one git call: the allow-list of the process's starting environment
    (:func:`begin`), the fixed values, then ``extra``."""
    begin()
    env = dict(_START[0][1])
    env.update(FIXED_ENV)
    for name, value in (extra or {}).items():
        if name not in CALLER_ENV:
            raise ValueError(f"git variable {name} is not one a caller may set")
        env[name] = value
    return env


def host_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """:func:`git_env` for a deploy, whose git writes what a release serves (hostile case
    226): the caller's environment must not choose git's configuration or git itself, so
    the home is the account's own (``pwd``, as the host's pins are found), no
    ``XDG_CONFIG_HOME`` is passed, and git is found on the system's standard search path
    (:data:`STANDARD_PATH`), never on the caller's ``PATH``."""
    import pwd

    env = git_env(extra)
    env.pop("XDG_CONFIG_HOME", None)
    env["HOME"] = pwd.getpwuid(os.geteuid()).pw_dir
    env["PATH"] = STANDARD_PATH
    return env


def run_git(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    input: str | None = None,
    host: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``git -C cwd args`` with :func:`git_env` (:func:`host_env` when ``host``); raises
    OSError / TimeoutExpired as run does. The package's own git calls are not the tests'
    inputs: the closed world's recording is paused in this thread meanwhile (by
    construction, not by a list of commands)."""
    if host:  # found on the host's standard path, the only one host_env gives
        program, environ = "git", host_env(env)
    else:
        program, environ = git_program() or _no_git(), git_env(env)
    with _unrecorded():
        return _run(program, cwd, args, environ, timeout, input)


def _no_git() -> str:
    import errno

    raise FileNotFoundError(errno.ENOENT, "git is not installed (not on the host's standard "
                            "path nor on the PATH the process started with)", "git")


def _unrecorded() -> contextlib.AbstractContextManager[None]:
    recorder = sys.modules.get("pytest_pyramid.run.imported")  # loaded only when recording
    return recorder.unrecorded() if recorder is not None else contextlib.nullcontext()


def _run(program: str, cwd: Path, args: tuple[str, ...], env: Mapping[str, str],
         timeout: float, input: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [program, "-C", str(cwd), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=timeout,
        check=False,
        input=input,
    )


def tree_files(cwd: Path, roots: list[str]) -> list[str] | None:
    """The files under ``roots`` a tree digest of ``cwd`` names: tracked (on disk or not,
    e.g. outside a sparse checkout) plus untracked files git does not ignore; paths relative
    to ``cwd``. None outside a git work tree."""
    specs = [f":(literal){root}" if root else "." for root in roots]
    try:
        proc = run_git(cwd, "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                       "--", *specs, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return sorted({path for path in proc.stdout.split("\0") if path})


def files_under(cwd: Path, roots: list[str], listing: list[str] | None) -> list[str] | None:
    """:func:`tree_files` of ``roots`` taken from ``listing``, the whole project's (``roots``
    ``[""]``) listed a moment before: one ``git ls-files`` a run where there were two. A
    root git would resolve itself (absolute, with ``.`` or ``..``) is asked of git."""
    if any(root.startswith("/") or {".", ".."} & set(root.split("/")) for root in roots):
        return tree_files(cwd, roots)
    if listing is None or not roots or "" in roots:  # no pathspec, or ".": every file
        return listing
    # as the pathspec ``:(literal)ROOT`` matches: the path itself or a path below it
    exact, below = set(roots), tuple(f"{root}/" for root in roots)
    return [path for path in listing if path in exact or path.startswith(below)]
