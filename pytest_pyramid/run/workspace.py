"""Git-ignored files lying in the test folders when the tests start (hostile case 205).

The closed world (``run/imported.py``) holds what the run's processes *read*. A test can
also take its answer from a file without reading it: from a folder's listing, a symlink's
target, a file's size or mere presence (``skipif(Path("tests/data/.skip-broken").exists())``).
Python raises no audit event for ``os.stat`` or ``os.readlink``, so those channels cannot be
watched; chasing them one by one would be a list of known-bad calls that never ends.

So the workspace is allow-listed instead: a git-ignored file or folder lying under the test
folders (the tiers' paths, ``testpaths`` and every folder tests were collected from) when the
tests start is something no tree of the commit holds, and whatever a test made of it is not
the commit's outcome. It is an *unverifiable* entry of the closed world, naming it: the run
is ``incomplete``. A clean checkout (the CI's) has none. What is not the project's input is
left out by what it is, not by its name:
- bytecode (``__pycache__`` folders, ``.pyc`` files): the closed world's bytecode rule
  judges the bytecode a run loads;
- a folder marked as a cache by a ``CACHEDIR.TAG`` (pytest's, mypy's, ruff's own caches:
  https://bford.info/cachedir/) and a folder holding a ``pyvenv.cfg`` (a virtual
  environment: the interpreter's, judged as the environment);
- a file the run itself created or rewrote after the listing's cut (its inode's and its
  bytes' times both later): the run's outputs, not its inputs.

The listing is taken and its entries looked at when collection ends, before any test runs
(:func:`listed`, :func:`present`, through functions bound at import). A file that lay there
before the cut is never the run's output: a test that later touches it (both its times move
past the cut), deletes it, or patches ``subprocess`` to answer for a listing read at the end
changes nothing that was read. It costs git's walk of the test folders at start-up (one
process, a few milliseconds).

The top of the repository is a test folder only when the project configures it
(``run/arrival.py: all_test_folders``), so a checkout's own tools' files at the top (a
verdict, ``.coverage``, an editor's folder) are not named. No pytest import (it looks at
the listed files).
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

#: the reason every entry of this rule carries
REASON = ("git-ignored, lying in the test folders when the tests started: a test can take "
          "its answer from its presence, listing, link or size, which the closed world does "
          "not see, and no tree of the commit holds it; remove it (`git clean -ndX` lists "
          "them) or run from a clean checkout")
#: the process functions :func:`listed` uses, bound at import (see there)
_SPAWN = getattr(os, "posix_spawn", None)
_PIPE, _READ, _CLOSE, _WAIT = os.pipe, os.read, os.close, os.waitpid
_ACCESS, _EXEC_PATH, _EXIT_CODE = os.access, os.get_exec_path, os.waitstatus_to_exitcode
#: and the ones :func:`present` looks at the entries with (a patched ``os.lstat`` raising
#: would make every entry "gone", a patched ``os.stat`` every folder a cache)
_LSTAT, _STAT = os.lstat, os.stat
#: files created or changed this long before the cut may still be the run's own: the
#: kernel stamps files from a coarse clock that can lag the process's by a few ticks
_SLACK_NS = 50_000_000


def listing_args(folders: Sequence[str]) -> list[str]:
    """``git ls-files`` arguments listing the ignored entries under ``folders`` (relative to
    the top; "" for the whole tree): an ignored folder is one entry."""
    specs = [f":(literal){folder}" if folder else "." for folder in folders]
    return ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory",
            "--", *specs]


def listed(top: str, folders: Sequence[str], env: Mapping[str, str]) -> tuple[int, bytes]:
    """git's exit code and its listing of the ignored entries under ``folders`` (of the
    checkout at ``top``), read now, through the functions bound when this module was
    imported: a test module's patch of ``subprocess`` (``Popen.communicate`` answering with
    an empty listing) cannot answer for it. Not timed out: ``git ls-files`` reads no input
    (stdin is ``/dev/null``, prompts are off), so it ends when it has walked the folders."""
    words = ["git", "-C", top, *listing_args(folders)]
    if _SPAWN is None:  # no posix_spawn (Windows): the ordinary route
        import subprocess

        done = subprocess.run(words, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, env=dict(env), check=False)
        return done.returncode, done.stdout
    git = next((path for path in (os.path.join(folder, "git") for folder in _EXEC_PATH(env))
                if _ACCESS(path, os.X_OK)), None)
    if git is None:
        return 127, b""  # as a shell says it: no git, no listing
    read_end, write_end = _PIPE()  # not inheritable: git keeps only the copy made its stdout
    try:
        pid = _SPAWN(git, words, env, file_actions=[
            (os.POSIX_SPAWN_DUP2, write_end, 1),
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    except OSError:
        _CLOSE(read_end)
        return 126, b""
    finally:
        _CLOSE(write_end)
    chunks = []
    try:
        while chunk := _READ(read_end, 1 << 16):
            chunks.append(chunk)
    finally:
        _CLOSE(read_end)
        status = _WAIT(pid, 0)[1]
    return _EXIT_CODE(status), b"".join(chunks)


def widened(folder: str, prefix: str) -> str:
    """``folder``'s first folder below the rootdir (at ``prefix`` under the top)."""
    if prefix and folder != prefix and not folder.startswith(prefix + "/"):
        return folder
    rest = folder[len(prefix):].strip("/")
    return "/".join(part for part in (prefix, rest.split("/")[0]) if part)


def candidates(listing: str) -> list[str]:
    """The listed entries that can be an input (relative to the top, a folder without its
    trailing ``/``): bytecode is judged by the bytecode rule."""
    found = []
    for entry in listing.split("\0"):
        name = entry.rstrip("/")
        if not name or "__pycache__" in name.split("/") or name.endswith((".pyc", ".pyo")):
            continue
        found.append(name)
    return found


def is_own_state(path: str) -> bool:
    """A folder a tool marked as its cache, or a virtual environment (see the module)."""
    return _is_file(os.path.join(path, "CACHEDIR.TAG")) or _is_file(
        os.path.join(path, "pyvenv.cfg"))


def _is_file(path: str) -> bool:
    try:
        return stat.S_ISREG(_STAT(path).st_mode)
    except (OSError, ValueError):
        return False


def present(top: str, names: Iterable[str], cut_ns: int) -> dict[str, str]:
    """The entries (real paths) that lay in the test folders before the cut ``cut_ns`` (the
    wall clock when the listing was taken), each with :data:`REASON`. Called as the listing
    is read, before any test runs: what the tests later do to a file cannot change it."""
    found: dict[str, str] = {}
    for name in names:
        path = os.path.join(top, name)
        try:
            found_stat = _LSTAT(path)
        except OSError:
            continue  # gone since: nothing is left to lie there
        # the run's own output: made or rewritten after the cut (a chmod or a rename alone
        # changes only the inode's time, as the closed world's own output rule reads it)
        later = min(found_stat.st_ctime_ns, found_stat.st_mtime_ns) >= cut_ns - _SLACK_NS
        if later or is_own_state(path):
            continue
        found[os.path.join(os.path.realpath(top), name)] = REASON
    return found
