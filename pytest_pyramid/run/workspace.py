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
left out by what it provably *is*, never by its name or a file beside it (a name or a
marker file is a claim anyone can write, hostile cases 250, 251, 262):
- bytecode: a file ``<folder>/__pycache__/<stem>.<tag>[.opt-N].pyc`` whose source
  ``<folder>/<stem>.py`` is a file, ``<tag>`` being this interpreter's cache tag or pytest's
  rewrite tag (the closed world's bytecode rule judges the bytecode a run loads), and such a
  file's ``.<number>`` temporary made since this process started (a sibling worker writing
  it); anything else in a ``__pycache__`` folder, and any other ``.pyc``, is an entry like
  any other;
- the run's own state (:class:`Own`): pytest's own records in its configured ``cache_dir``
  (not a value a test stored there), this plugin's state folder, and the run's
  interpreter's environment (``sys.prefix``, ``sys.base_prefix``: judged as the
  environment) when they lie in the test folders; a folder holding a ``CACHEDIR.TAG`` or a
  ``pyvenv.cfg`` is not one by that alone; pytest's ``--basetemp`` while it holds nothing
  (pytest empties or makes it itself before a ``tmp_path`` is made there), and so the
  folders numbered beside a numbered one (pytester's ``runpytest-N``, its earlier runs');
- a file the run itself created or rewrote after the listing's cut (its inode's and its
  bytes' times both later): the run's outputs, not its inputs.

The listing is taken and its entries looked at when collection ends, before any test runs
(:func:`listed`, :func:`present`, through functions bound at import). A file that lay there
before the cut is never the run's output: a test that later touches it (both its times move
past the cut), deletes it, or patches ``subprocess`` to answer for a listing read at the end
changes nothing that was read. It costs git's walk of the test folders at start-up (one
process, a few milliseconds).

The top of the repository is a test folder only when the project configures it
(``run/arrival.py: all_test_folders``), so a checkout's own tools' ignored files at the top
(a verdict, ``.coverage``, an editor's folder) are not named. A folder holding no file that
git does not ignore is named anywhere in the checkout: no listing of git's names it (hostile
case 313 c: an empty ``outbox/`` at the top a test expects). No pytest import (it looks at
the listed files).
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

#: the reason every entry of this rule carries
REASON = ("git-ignored, lying in the test folders when the tests started (or a folder "
          "holding no file, anywhere in the checkout: git cannot name it): a test can take "
          "its answer from its presence, listing, link or size, which the closed world does "
          "not see, and no tree of the commit holds it; remove it (`git clean -ndX` lists "
          "the ignored ones, `git clean -nd` the empty folders) or run from a clean checkout")
#: the process functions :func:`listed` uses, bound at import (see there)
_SPAWN = getattr(os, "posix_spawn", None)
_PIPE, _READ, _CLOSE, _WAIT = os.pipe, os.read, os.close, os.waitpid
_EXIT_CODE = os.waitstatus_to_exitcode
#: and the ones :func:`present` looks at the entries with (a patched ``os.lstat`` raising
#: would make every entry "gone", a patched ``os.listdir`` every ``__pycache__`` empty)
_LSTAT, _STAT, _LISTDIR = os.lstat, os.stat, os.listdir
#: the folder bytecode is written to (PEP 3147) and the optimisation level's part of a name
PYCACHE = "__pycache__"
#: this plugin's state folder under the rootdir (durations, history, services' records)
STATE_FOLDER = ".pyramid"
_OPT = r"(?:\.opt-[0-9A-Za-z]+)?"
#: files created or changed this long before the cut may still be the run's own: the
#: kernel stamps files from a coarse clock that can lag the process's by a few ticks
_SLACK_NS = 50_000_000


def listing_args(folders: Sequence[str]) -> list[str]:
    """``git ls-files`` arguments listing the ignored entries under ``folders`` (relative to
    the top; "" for the whole tree): an ignored folder is one entry."""
    return ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory",
            "--", *_specs(folders)]


def _specs(folders: Sequence[str]) -> list[str]:
    """``folders`` (relative to the top; "" for the whole tree) as literal pathspecs."""
    return [f":(literal){folder}" if folder else "." for folder in folders]


def empty_listing_args() -> list[str]:
    """``git ls-files`` arguments listing the untracked entries git does not ignore anywhere
    in the checkout, a folder as one entry: among them the folders that hold no file, which
    no other listing names (:func:`listed` keeps only those). The whole checkout, not the
    test folders only: a test can depend on an empty ``outbox/`` at the top as well (hostile
    case 313 c); the run's own folders there (its ``--basetemp`` and those pytest numbered
    beside it) are left out by what they are (:meth:`Own.made_by_pytest`)."""
    return ["ls-files", "-z", "--others", "--exclude-standard", "--directory", "--", "."]


def listed(top: str, folders: Sequence[str], env: Mapping[str, str],
           git: str | None) -> tuple[int, bytes]:
    """git's exit code and its listing of the ignored entries under ``folders`` (of the
    checkout at ``top``), and of the folders anywhere in the checkout that hold no file (git
    can name neither), read now by the program ``git`` (found before the project's code
    ran: ``run/_git.py: git_program``, never on a ``PATH`` a conftest changed), through the
    functions bound when this module was imported: a test module's patch of ``subprocess``
    (``Popen.communicate`` answering with an empty listing) cannot answer for it. Not timed
    out: ``git ls-files`` reads no input (stdin is ``/dev/null``, prompts are off), so it ends
    when it has walked the folders."""
    if git is None:
        return 127, b""  # as a shell says it: no git, no listing
    code, ignored = _git_listing(top, listing_args(folders), env, git)
    if code != 0:
        return code, ignored
    code, others = _git_listing(top, empty_listing_args(), env, git)
    empty = [name for name in others.split(b"\0")
             if name.endswith(b"/") and holds_nothing(os.path.join(top, os.fsdecode(name)))]
    return code, ignored + b"".join(name + b"\0" for name in empty)


def holds_nothing(folder: str) -> bool:
    """``folder`` is a folder with no entry but folders that hold nothing (what git cannot
    name); it stops at the first other entry."""
    try:
        if not stat.S_ISDIR(_LSTAT(folder).st_mode):
            return False
        return all(holds_nothing(os.path.join(folder, child)) for child in _LISTDIR(folder))
    except OSError:
        return False  # gone, or not readable: not known to be empty


def _git_listing(top: str, args: Sequence[str], env: Mapping[str, str],
                 git: str) -> tuple[int, bytes]:
    """``git -C top args``: its exit code and its output (see :func:`listed`)."""
    words = [git, "-C", top, *args]
    if _SPAWN is None:  # no posix_spawn (Windows): the ordinary route
        import subprocess

        done = subprocess.run(words, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, env=dict(env), check=False)
        return done.returncode, done.stdout
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
    """The listed entries (relative to the top, a folder without its trailing ``/``): every
    one may be an input until :func:`present` proves what it is."""
    return [name for name in (entry.rstrip("/") for entry in listing.split("\0")) if name]


@dataclass(frozen=True)
class Own:
    """What the run itself keeps in the test folders, known from the host rather than from
    the entries: the bytecode tags its interpreter and pytest write, its state folders (real
    paths), and when this process started (bytecode the run's processes are writing)."""

    tags: tuple[str, ...]
    folders: tuple[str, ...]
    started_ns: int = 0
    #: pytest's cache folder (real): only pytest's own records in it are the run's; a value
    #: a test stored there (``config.cache.set``) is an entry like any other
    cache: str = ""
    #: pytest's ``--basetemp`` (real), which pytest empties or makes itself before a test's
    #: ``tmp_path`` is made there (pytester's ``runpytest-N``): an empty one is no input
    basetemp: str = ""

    def in_cache(self, path: str) -> str | None:
        """``path``'s place in pytest's cache folder (``/``-separated, "" for the folder
        itself), or None outside it."""
        if not self.cache or not (path == self.cache or path.startswith(self.cache + os.sep)):
            return None
        return path[len(self.cache) + 1:].replace(os.sep, "/")

    def made_by_pytest(self, path: str) -> bool:
        """``path`` (real) is pytest's ``--basetemp`` of this run, or a folder numbered beside
        it as pytester numbers the ones it hands its runs (``runpytest-0`` beside this run's
        ``runpytest-1``: an earlier run of the same test, whose ``tmp_path`` folders pytest
        leaves behind). Known from the run's own option, not from the entry: a folder is
        left out so only when this run's ``--basetemp`` is such a numbered folder beside it,
        and only while it holds nothing (:func:`present`)."""
        if not self.basetemp or path == self.basetemp:
            return bool(self.basetemp)
        parent, _, own = self.basetemp.rpartition(os.sep)
        folder, _, name = path.rpartition(os.sep)
        prefix, dash, number = own.rpartition("-")
        return (folder == parent and bool(dash) and number.isdigit()
                and name.startswith(prefix + "-") and name[len(prefix) + 1:].isdigit())

    def holds(self, path: str) -> bool:
        """``path`` (real) is one of the state folders or lies in one."""
        return any(path == folder or path.startswith(folder + os.sep)
                   for folder in self.folders)


def own_state(state_folders: Iterable[str], pytest_version: str | None,
              started_ns: int = 0, cache: str | None = None, basetemp: str | None = None
              ) -> Own:
    """The run's :class:`Own`: ``state_folders`` (this plugin's state folder) and this
    interpreter's environment; pytest's ``cache`` folder; the tags of this interpreter's
    bytecode and of pytest's rewritten test modules (``<cache tag>-pytest-<version>``)."""
    tag = sys.implementation.cache_tag
    tags = () if tag is None else (tag, *(
        (f"{tag}-pytest-{pytest_version}",) if pytest_version else ()))
    folders = {os.path.realpath(folder) for folder in (*state_folders, sys.prefix,
                                                       sys.base_prefix)}
    return Own(tags, tuple(sorted(folders)), started_ns,
               os.path.realpath(cache) if cache else "",
               os.path.realpath(basetemp) if basetemp else "")


def bytecode_source(name: str, tags: Sequence[str]) -> str | None:
    """The source ``<folder>/<stem>.py`` whose bytecode the name ``name`` is
    (``<folder>/__pycache__/<stem>.<tag>[.opt-N].pyc``, a tag of ``tags``), else None."""
    folder, _, file = name.rpartition("/")
    parent, _, cache = folder.rpartition("/")
    if cache != PYCACHE or not tags:
        return None
    found = re.fullmatch(rf"(.+)\.(?:{'|'.join(map(re.escape, tags))}){_OPT}\.pyc", file)
    if found is None:
        return None
    return "/".join(part for part in (parent, f"{found.group(1)}.py") if part)


def is_bytecode(top: str, name: str, own: Own) -> bool:
    """``name`` is a bytecode file whose source is a file beside its ``__pycache__``, or one
    a process of the run is writing: importlib and pytest write ``<bytecode>.<number>`` and
    rename it, so under ``-n 2`` a worker may list a sibling's half-written file; made since
    this process started, it is the run's own."""
    source = bytecode_source(name, own.tags)
    path = os.path.join(top, name)
    if source is None:
        written, _, number = name.rpartition(".")
        source = bytecode_source(written, own.tags) if number.isdigit() else None
        if source is None or not _made_since(path, own.started_ns):
            return False
    return _is_file(path, _LSTAT) and _is_file(os.path.join(top, source), _STAT)


def _entries(top: str, real_top: str, name: str, own: Own) -> Iterator[str]:
    """The entries ``name`` stands for, bytecode and pytest's own records left out: a
    ``__pycache__`` folder or pytest's cache folder listed as one entry is looked into, so
    what else it holds is named one by one."""
    rest = own.in_cache(os.path.join(real_top, name))
    if rest is not None:
        yield from _not_pytests(top, name, rest)
        return
    if name.rpartition("/")[2] != PYCACHE:
        if not is_bytecode(top, name, own):
            yield name
        return
    try:
        inside = sorted(_LISTDIR(os.path.join(top, name)))
    except NotADirectoryError:
        yield name  # a file named so is an entry like any other
        return
    except OSError:
        return  # gone since: nothing is left to lie there
    for child in inside:
        if not is_bytecode(top, f"{name}/{child}", own):
            yield f"{name}/{child}"


def _not_pytests(top: str, name: str, rest: str) -> Iterator[str]:
    """What lies at ``name`` in pytest's cache folder (at ``rest`` in it) that is not
    pytest's or this plugin's own record (``run/imported.py: pytest_cache_own``)."""
    from pytest_pyramid.run.imported import pytest_cache_own

    try:
        inside = sorted(_LISTDIR(os.path.join(top, name)))
    except NotADirectoryError:
        if not pytest_cache_own(rest):
            yield name
        return
    except OSError:
        return  # gone since
    for child in inside:
        yield from _not_pytests(top, f"{name}/{child}", f"{rest}/{child}".lstrip("/"))


def _made_since(path: str, since_ns: int) -> bool:
    """Both the inode's and the bytes' times of ``path`` are at or after ``since_ns``."""
    try:
        return _later(_LSTAT(path), since_ns)
    except OSError:
        return False


def _later(found: os.stat_result, since_ns: int) -> bool:
    return min(found.st_ctime_ns, found.st_mtime_ns) >= since_ns


def _is_file(path: str, look: Callable[[str], os.stat_result] = _STAT) -> bool:
    try:
        return stat.S_ISREG(look(path).st_mode)
    except (OSError, ValueError):
        return False


def present(top: str, names: Iterable[str], cut_ns: int, own: Own) -> dict[str, str]:
    """The entries (real paths) that lay in the test folders before the cut ``cut_ns`` (the
    wall clock when the listing was taken), each with :data:`REASON`, leaving out what
    ``own`` proves the run's own. Called as the listing is read, before any test runs: what
    the tests later do to a file cannot change it."""
    found: dict[str, str] = {}
    real_top = os.path.realpath(top)
    for name in (entry for listed in names for entry in _entries(top, real_top, listed, own)):
        path = os.path.join(top, name)
        try:
            found_stat = _LSTAT(path)
        except OSError:
            continue  # gone since: nothing is left to lie there
        # the run's own output: made or rewritten after the cut (a chmod or a rename alone
        # changes only the inode's time, as the closed world's own output rule reads it)
        real = os.path.join(real_top, name)
        if _later(found_stat, cut_ns - _SLACK_NS) or own.holds(real) or (
                own.made_by_pytest(real) and holds_nothing(path)):
            continue
        found[real] = REASON
    return found
