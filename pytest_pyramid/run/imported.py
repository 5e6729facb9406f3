"""The closed world of code: which files under the repository the run executed or collected
tests from, and the git blob id of their bytes *as they were read*.

A verdict names a tree; the run must have executed only that tree's code. Checking the files
at the start and the end of the run is not enough (a module edited, imported, and put back in
between is invisible to both digests), so the bytes are hashed when they are read:

- Python source: a ``sys.meta_path`` finder in front of the others asks them for the spec
  (so nothing about how a module is found changes) and, for a plain ``SourceFileLoader`` of a
  file under the repository, swaps in a subclass that hashes the bytes the loader reads
  itself. A checked hash-based ``.pyc`` (PEP 552) proves itself: Python reads the source and
  compares its hash before using it, and that read is the one hashed. A timestamp ``.pyc`` is
  valid for Python whenever the source's mtime and size match, which other bytes can share (two
  edits in one second, an mtime put back): it is never run, the module is compiled from the
  bytes read, and the bytecode cached for it is a checked hash-based one, so the next run's
  import proves itself without compiling (pytest's rewritten test modules:
  ``run/rewrite_cache.py``).
- Bytecode without its source, or an unchecked hash-based ``.pyc`` (PEP 552: Python runs it
  whatever the source says): cannot be tied to a tracked file, so it is *unverifiable*.
- Test modules and conftests, which pytest's assertion rewriter reads itself: its cache check
  and rewrite are guarded (``run/rewrite_cache.py``) to read the source once, hashed here
  (:func:`source_read`), and check or compile those bytes; anything else under the
  repository (extension modules, other loaders) is hashed when the spec is found.
- Files a test was collected from (doctest text files, non-Python collectors): hashed right
  after their collector ran (the run's pytest glue, ``run/closed_world.py``).
- Files the run's code *reads* (``open`` for reading: a data file, local settings in JSON) or
  *executes* (a script given to ``subprocess``, ``os.exec*``, ``os.posix_spawn``,
  ``os.system``): an audit hook (PEP 578, :func:`_audit`) hashes them when they are opened or
  started (a shell command's words as the shell reads them: redirections, ``NAME=VALUE``,
  globs), and extension modules loaded from their file (the ``import`` event). A file the run
  created or replaced, or whose inode *and* bytes changed after the run started (``st_ctime``
  and ``st_mtime``), is the run's own output, not an input; a file from before the run whose
  inode alone changed (chmod, link, ``touch``) is still one, and one the run appended to
  before reading it cannot be tied to a tree. A path under the repository that a symlink leads
  out of is in no tree. The folders in :data:`OWN_STATE` (and coverage data files in the
  repository's and the project's top, pytest's records in its cache folder) are tools' caches
  and records, not the project's inputs. What a child process reads in turn is not seen (its
  own imports and opens: only a Python child running this plugin records its own).

Hashes are git's (``sha1(b"blob <size>\\0" + data)``), so the verdict stage compares them with
the blob ids of the tree its digest names (:func:`outside_tree`), without reading any file
again. No pytest import: the recorder is installed before pytest loads a conftest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import stat
import subprocess
import sys
import sysconfig
import threading
import time
from importlib.machinery import SourceFileLoader, SourcelessFileLoader
from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash
from typing import TYPE_CHECKING, Any, ClassVar

from pytest_pyramid.run import (
    birth,
    early,
    git_reads,
    landing,
    lineage,
    loader,
    programs,
    read_places,
    unfollowed,
)
from pytest_pyramid.run.facts import FactsRecord, Policy
from pytest_pyramid.run.loaded import (
    environment_dirs,
    facts_of,
    hash_pyc_unchecked,
    module_fact,
    package_names,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType

#: how many files a message names before it says "+N more"
SHOWN = 5

#: folders under the repository where a tool keeps its state: a file read from inside one is
#: not judged when it is what that tool keeps there, where it keeps it (``_tools_place``: an
#: allowance says who and what, not where; hostile case 293); anything else read under the
#: repository must be the tree's. This plugin's own state folder (``.pyramid``) is no such
#: place: the plugin reads its files under :func:`unrecorded`, so a read recorded there is
#: someone else's (a test taking its answer from it)
OWN_STATE: Mapping[str, str] = {
    ".git": "git's own records of a repository: the commit and the tree digest name what they say",
    "__pycache__": "bytecode: the import recorder ties what runs to its source",
    ".hypothesis": "Hypothesis' saved failing examples: replaying one can only find a failure",
}
#: what git keeps at the top of a repository's folder (``_git_record``): its references and
#: settings by name, and the folders of objects, references and logs. Hooks (run by git, not
#: by the tests) and any other file there are not git's records of the commit
GIT_RECORDS = frozenset({
    "HEAD", "ORIG_HEAD", "FETCH_HEAD", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD",
    "packed-refs", "config", "index", "shallow", "commondir"})
GIT_RECORD_FOLDERS = frozenset({"objects", "refs", "logs", "info", "worktrees", "modules"})
#: where Hypothesis's example database (``DirectoryBasedExampleDatabase``) keeps an example:
#: ``examples/<key hash>/<value hash>``, both the first 16 hex digits of a SHA-384
HYPOTHESIS_EXAMPLES = "examples"
HYPOTHESIS_HASH_LEN = 16
#: Hypothesis's cache of the interpreter's Unicode table (``internal/charmap.py``:
#: ``unicode_data/<unicodedata.unidata_version>/charmap.json.gz``), read by every text
#: strategy: a function of the version its folder names, which is this interpreter's
HYPOTHESIS_CHARMAP = ("unicode_data", "charmap.json.gz")
#: the prefix of Hypothesis's per-codec Unicode caches beside the charmap
HYPOTHESIS_CODEC = "codec-v2-"
#: pytest's cache folder is not a tool's state as a whole: a test can read any value an
#: earlier run stored there (``config.cache.get``), which a clean checkout does not have. Only
#: these entries are: pytest's own records, by name (lastfailed, nodeids, stepwise; the
#: options that act on them are judged by the invocation table) - not the folder ``v/cache/``
#: they lie in, where a test's own ``config.cache.set("cache/expected", ...)`` lies too
#: (hostile case 264) -, this plugin's remembered schema passes (``d/pytest-pyramid/``, each
#: named by its SHA-256 key, which prove themselves), and the folder's own files
PYTEST_CACHE = ".pytest_cache"
PYTEST_CACHE_RECORDS = frozenset({"v/cache/lastfailed", "v/cache/nodeids", "v/cache/stepwise"})
PYTEST_CACHE_PASSES = "d/pytest-pyramid/"
PYTEST_CACHE_FILES = frozenset({"README.md", ".gitignore", "CACHEDIR.TAG"})
_HEX = frozenset("0123456789abcdef")
#: Python sources: read as data, they are hashed at the end unless imported (see ``pending``)
SOURCE_SUFFIXES = (".py", ".pyw")
#: coverage data files: which of them count is judged by ``gates/cov/data_files.py``
COVERAGE_DATA = ".coverage"
#: an inode change within this much before the recorder started counts as the run's own
#: (file timestamps come from a coarse clock, up to one scheduler tick behind ``time_ns``)
CLOCK_TICK_NS = 10_000_000
#: the audit events of a process being started: the event -> where its program, its
#: arguments and its working directory are in the event's arguments
_EXEC_EVENTS: Mapping[str, tuple[int | None, int, int | None]] = {
    "subprocess.Popen": (0, 1, 2),
    "os.exec": (0, 1, None),
    "os.posix_spawn": (0, 1, None),
    "os.spawn": (1, 2, None),
    "os.system": (None, 0, None),
}
#: where a process start's environment is in its audit event's arguments (hostile case 173)
_ENV_AT: Mapping[str, int] = {"subprocess.Popen": 3, "os.exec": 2, "os.posix_spawn": 2,
                              "os.spawn": 3}
#: audit events that read a file named by their first argument, as ``open`` does
_READ_EVENTS = frozenset({
    "sqlite3.connect",  # SQLite opens its file in C
    "ctypes.dlopen",  # a shared library: the dynamic loader reads it, not Python
})
#: SQLite opening its database: a file name or a ``file:`` URI (``run/landing.py``)
_SQLITE_EVENT = "sqlite3.connect"
#: a hard link made, a file moved (``os.rename``, ``os.replace``, ``shutil.move``): its
#: source's bytes are what the link or the moved file reads later (hostile case 303)
_LINK_EVENTS = frozenset({"os.link", "os.rename"})
_PLACED_EVENTS = frozenset({_SQLITE_EVENT, *_LINK_EVENTS})
#: an extension module loaded from its file (``_imp.create_dynamic``: the only event naming
#: the file when no finder was asked, e.g. ``spec_from_file_location``); an ordinary import's
#: event names no file
_IMPORT_EVENT = "import"
#: events that set a file's times: its bytes stay what they were (``Path.touch`` on a file
#: from before the run does not make it the run's output)
_TIMES_EVENTS = frozenset({"os.utime"})
#: every event above: the one audit hook (``run/early.py``) forwards these only
_WATCHED = early.WATCHED
#: characters that make an argument a shell command to split into words (redirections too)
_SHELL_CHARS = frozenset(" \t\n<>|;&")
#: characters of a shell glob, which the shell expands to the files it names
_GLOB_CHARS = frozenset("*?[")
#: the host's programs to which a folder argument is a name, not files they read (``ls
#: DIR``, ``rm -rf DIR``, ``mkdir -p DIR``, ``cd DIR``); a folder handed to any other program
#: (``cp -r``, ``tar``, ``rsync``, a script) is read as the files below it (hostile case 300).
#: Wrappers are not listed: in a command string a command's first word is all that names its
#: program (``env cp -r golden x``), so a folder word beside a wrapper is read
NAMES_ONLY = frozenset({
    "ls", "mkdir", "rmdir", "rm", "stat", "test", "[", "touch", "chmod", "chown", "chgrp", "du",
    "df", "cd", "pushd", "popd", "which", "realpath", "readlink", "basename", "dirname", "echo",
    "printf", "true", "false", "ln",
})
#: how many files below a folder argument are read one by one; a larger folder is named
FOLDER_FILES = 10_000
#: the recorders of the runs recording now (an in-process pytester run inside a run: both)
_RECORDING: list[ImportRecorder] = []
_HOOKED: list[bool] = []
#: this process's recorder for the run that started it (``follow_child``), if any
_CHILD: list[ImportRecorder] = []
_UNSET = object()
#: the files of the hook's own frames, skipped to find the code that opened a file
_HOOK_FILES = frozenset({__file__, early.__file__})
#: the standard library's folders (``_stdlib``): its frames are not who opened a file
_STDLIB: list[str] = []
#: this plugin's own package: its reads are its bookkeeping, not the tests' inputs
_PLUGIN_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "")
#: whether kept events are being replayed (their caller's frames are gone)
_REPLAYING = [False]
#: the spool's kinds of line besides a record's fields (hostile case 299): a followed Python
#: child's start record, written first thing (``announce``), and how many Python children a
#: spooling process (a forked or followed one) started to be followed (``_expect``)
STARTED, EXPECTS = "started", "expects"
#: the spool's kind of line for a variable a followed child's project code read: the name
#: and the file that read it (``run/child.py: SpoolingSink``), judged by the run's own sink
ENV_READ = "environment_read"
#: a ``-c`` program of multiprocessing's own processes (spawn, forkserver, resource
#: tracker): started by ``_posixsubprocess`` with no audit event, so no process expects them
_MULTIPROCESSING = "from multiprocessing."
#: the standard library's subprocess module, whose Popen raises its own event before it
#: calls ``os.posix_spawn`` (``_subprocess_spawn``)
_SUBPROCESS_FILE = subprocess.__file__


def recording_now() -> bool:
    """Whether a run records in this process now (an in-process run starting inside it)."""
    return bool(_RECORDING)


def pytest_cache_own(rest: str) -> bool:
    """Whether ``rest`` (a path inside pytest's cache folder, ``/``-separated) is pytest's
    or this plugin's own record rather than a value a test stored (see
    :data:`PYTEST_CACHE_RECORDS`)."""
    if rest in PYTEST_CACHE_FILES or rest in PYTEST_CACHE_RECORDS:
        return True
    key = rest[len(PYTEST_CACHE_PASSES):] if rest.startswith(PYTEST_CACHE_PASSES) else ""
    return len(key) == 64 and _HEX.issuperset(key)


def blob_id(data: bytes) -> str:
    """The id git gives a file with these bytes (``git hash-object``)."""
    digest = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


def find_toplevel(start: str) -> str | None:
    """The nearest directory at or above ``start`` holding ``.git`` (no git process: this
    runs before any conftest is imported, on every start-up)."""
    current = os.path.realpath(start)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class CodeSeen:
    """What one process read: real path -> blob id, files no blob id can vouch for, and the
    files it ran as code (imported or executed: real path -> :data:`IMPORTED`), which
    ``files`` does not tell from bytes only read (hostile case 394)."""

    __slots__ = ("files", "imported", "unverifiable")

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.unverifiable: dict[str, str] = {}
        self.imported: dict[str, str] = {}

    def to_dict(self) -> dict[str, dict[str, str]]:
        return {"files": dict(self.files), "unverifiable": dict(self.unverifiable),
                "imported": dict(self.imported)}

    def ran(self, real: str) -> None:
        """``real`` was run as code (an import, the module a test was collected from)."""
        if real not in self.imported:
            self.imported[real] = IMPORTED


#: what :attr:`CodeSeen.imported` says of a file (a mapping, so a forked child spools it)
IMPORTED = "imported"


#: what the closed world says of a file two processes read with different bytes
DISAGREED = "read with different contents by two processes"
#: what the closed world says of a followed child's variable read it cannot read
ENV_READ_UNREADABLE = ("a Python process the run followed spooled a variable read that names "
                       "no variable or no reader: which variables decided what it did is not "
                       "known")


class _Spooled(dict[str, Any]):
    """A record's mapping in a forked child (``multiprocessing``'s fork start method): each
    entry the child adds is also appended to the child's spool file, which the recording
    process reads at its sweep (a forked child's memory dies with it, often by ``os._exit``)."""

    def __init__(self, data: Mapping[str, Any], spool: str, kind: str) -> None:
        super().__init__(data)
        self.spool, self.kind = spool, kind

    def _spool(self, key: str, value: Any) -> None:
        try:
            with open(os.path.join(self.spool, f"{os.getpid()}.jsonl"), "a",
                      encoding="utf-8") as out:
                out.write(json.dumps([self.kind, key, value]) + "\n")
        except OSError:  # the recording process already swept (a child outliving the
            pass  # session): nothing is judged any more, and the child's import must not fail

    def __setitem__(self, key: str, value: Any) -> None:
        self._spool(key, value)
        super().__setitem__(key, value)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]


class CodeFacts(FactsRecord):
    """What this process read (the recorder's :class:`CodeSeen`, in place) as a facts
    record: file -> blob id must agree between processes; files no blob id vouches for are
    the union."""

    POLICIES: ClassVar[Mapping[str, Policy]] = {"files": "agree", "unverifiable": "union",
                                                "imported": "union"}

    def __init__(self, seen: CodeSeen) -> None:
        self.seen = seen

    @property
    def files(self) -> dict[str, str]:
        return self.seen.files

    @files.setter
    def files(self, value: dict[str, str]) -> None:
        self.seen.files = value

    @property
    def unverifiable(self) -> dict[str, str]:
        return self.seen.unverifiable

    @unverifiable.setter
    def unverifiable(self, value: dict[str, str]) -> None:
        self.seen.unverifiable = value

    @property
    def imported(self) -> dict[str, str]:
        return self.seen.imported

    @imported.setter
    def imported(self, value: dict[str, str]) -> None:
        self.seen.imported = value

    def disagreed(self, name: str, key: str) -> None:
        self.seen.unverifiable[key] = DISAGREED


class _Scope:
    """Which paths are the project's: under the repository, outside the environment."""

    def __init__(self, root: str, environment: Sequence[str]) -> None:
        real = os.path.realpath(root)
        self.real_root = real
        self.roots = tuple({root.rstrip(os.sep) + os.sep, real.rstrip(os.sep) + os.sep})
        # a folder that holds the repository is not the environment (a Debian interpreter's
        # prefix /usr over /usr/src/app: hostile case 181); its install scheme's folders
        # (/usr/lib/python3.11, site-packages) do not hold it and stay the environment
        self.outside = tuple(d.rstrip(os.sep) + os.sep for d in environment
                             if not any(r.startswith(d.rstrip(os.sep) + os.sep)
                                        for r in self.roots))

    def real(self, path: str) -> str | None:
        """The real path when ``path`` is the project's, else None (a string test first:
        this runs on every import)."""
        return self.locate(path)[0]

    def locate(self, path: str) -> tuple[str | None, str | None]:
        """(the real path when ``path`` is the project's, the path when a symlink under the
        repository leads it out): a path under the repository that leaves it through a
        symlink (a git-ignored ``tests/data -> /mnt/shared``) and does not land in the
        environment is not "outside the project": its bytes are in no tree. A path that
        leaves by ``..`` (``pythonpath = ["../common"]``) was never under the repository."""
        if not path.startswith(self.roots):
            return None, None
        real = os.path.realpath(path)
        if real.startswith(self.outside):
            return None, None
        if not real.startswith(self.roots):
            lexical = os.path.normpath(path)
            return None, lexical if lexical.startswith(self.roots) else None
        return real, None

    def lands(self, path: str) -> tuple[str | None, str | None]:
        """:meth:`locate` for a file read, placed by where it *lands*, whatever its spelling
        (hostile case 303): a path spelled outside the repository that resolves into it (a
        link a test made in ``tmp_path``, ``/proc/self/cwd/...``) is the project's file.
        ``path`` is absolute. The real path is asked only of a path spelled outside both the
        repository and the environment (the interpreter's own opens, its imports by the
        thousand, are spelled inside the environment: a string test)."""
        real, escaped, _ = self.place(path)
        return real, escaped

    def place(self, path: str) -> tuple[str | None, str | None, str | None]:
        """:meth:`lands`, and the real path of a file that lands outside both the repository
        and the environment (None otherwise): where reads outside the tree are judged
        (``run/read_places.py``), with the one ``realpath`` :meth:`lands` asks anyway."""
        if path.startswith(self.roots):
            return (*self.locate(path), None)
        if path.startswith(self.outside):
            return None, None, None
        real = os.path.realpath(path)
        if real.startswith(self.outside):
            return None, None, None
        if real.startswith(self.roots):
            return real, None, None
        return None, None, real


class ImportRecorder:
    """A ``sys.meta_path`` finder that finds nothing itself: it asks the finders after it,
    as Python would, and watches what they found under the repository."""

    def __init__(self, root: str, environment: Sequence[str] | None = None,
                 *, cache_dir: str | None = None, project: str | None = None) -> None:
        self.root = root
        self.scope = _Scope(root, environment_dirs() if environment is None else environment)
        self.seen = CodeSeen()
        #: pytest's cache folder when the project configures one (``cache_dir``): its own
        #: records are allow-listed as ``.pytest_cache``'s are
        self.cache_dir = os.path.realpath(cache_dir) + os.sep if cache_dir else None
        #: where this run's coverage data files are (the repository's and the project's top):
        #: a file named ``.coverage`` elsewhere is a file like any other; the same tops hold
        #: this plugin's and Hypothesis' state (``_tools_place``)
        self.coverage_dirs = _coverage_dirs(root, project)
        self.project = project
        #: files from before the run that this process wrote to without replacing them: what
        #: they held before the run is not known, so reading one later cannot be tied to a tree
        self.altered: set[str] = set()
        #: files this process created or replaced (truncated): the run's own outputs
        self.created: set[str] = set()
        #: files from before the run whose times this process set (``Path.touch``): their
        #: bytes are still from before the run
        self.kept: set[str] = set()
        #: folders handed to a started program and read as the files below them (once each)
        self.folders: set[str] = set()
        self._local = threading.local()
        #: files whose inode changed after this are the run's own outputs, not its inputs
        self.started_ns = time.time_ns() - CLOCK_TICK_NS
        #: whether files opened or executed are recorded: from start-up to the session's end
        #: (what the plugin's gates and writer read after that is not the tests' input)
        self.reading = True
        #: Python sources opened as data: path -> its stat when read, hashed at the end
        #: unless an import recorded them (an import's record is the one that says "changed
        #: before it was imported"; and no file is read twice)
        self.pending: dict[str, tuple[int, int, int, int]] = {}
        #: the node id of the test running now (set by the arrival repeater, run/repeater.py),
        #: None while collecting: what ``first_read`` records
        self.reader: str | None = None
        #: real path -> the test running when this process first read or imported the file
        #: (None: while collecting): which tests a changed helper, fixture plugin or data file
        #: reaches (run/arrival.py: reach). One dict entry per file, set once
        self.first_read: dict[str, str | None] = {}
        #: where forked children append what they read (made at the first fork)
        self.spool: str | None = None
        #: the spool of the run that started this process, when this is a run of its own
        self.parent_spool: str | None = None
        #: that run's repository: what it is handed of this run's (``report_to_parent``)
        self.parent_root: str | None = None
        #: the variable's value before ``follow_children`` set it (restored at uninstall)
        self._variable_before: object = _UNSET
        #: the run's variable as this process's children must carry it to be followed (set
        #: by ``follow_children``, or inherited by ``follow_child``): None, children unfollowed
        self.variable: str | None = None
        #: the top-level names of the project's packages this run's children report the
        #: modules of (``run/loaded.py: package_names``), sent in the variable
        self.packages: frozenset[str] = frozenset()
        #: in a followed child, the names it reports (the variable's ``packages``); empty in
        #: a run's own process, whose session end reports its modules (``loaded_code``)
        self.reports: frozenset[str] = frozenset()
        #: raw facts on the project's modules (``run/loaded.py: LoadedCode``): spooled by a
        #: followed child as it imports them, absorbed from the spool by the run's process
        self.loaded: dict[str, str | None] = {}
        #: the project's real folder, which a fact's file is relative to (the folder of its
        #: configuration, as ``loaded_code``'s: sent in the variable by ``send_packages``)
        self.project_real = os.path.realpath(project or root)
        #: the Python children this process started to be followed by this run (carrying
        #: its variable, an interpreter that loads the recorder): each writes a start record
        #: to the spool (``announce``); fewer records is missing evidence (case 299)
        self.expected = 0
        #: in a followed child that is a pytest run itself, its own tree (its starting
        #: folder, unless it holds the run's project): modules from there are its own
        self.own_tree: str | None = None
        #: in a nested pytest run, the run that started it's reporter (a followed child's,
        #: adopted): the modules of that run's packages it imports are handed on at its end
        self.parent_reporter: ImportRecorder | None = None
        #: the variables this run's followed children's project code read, each with the
        #: file that read it (:data:`ENV_READ` lines, absorbed at the sweep): the run's sink
        #: judges them as its own reads (``run/closed_world.py``), a nested run hands them on
        self.env_read: set[tuple[str, str]] = set()
        #: real folder outside the repository -> whether reads there are free whoever reads
        #: them (``run/read_places.py: free_folder``): one answer per folder, so the audit
        #: hook's cost per open stays a dictionary lookup
        self.free_folders: dict[str, bool] = {}
        #: in an xdist worker, when its controller started (``run/closed_world.py``): a file
        #: outside the repository made since then is the run's own output. Not a nested run's
        #: (a test's own pytest run): what the outer run made before it is its input
        self.run_started_ns: int | None = None
        #: the run's pytest basetemp (``run/closed_world.py``: real, ending in ``/``; None
        #: until pytest made it): a folder pytest makes fresh for the run, its ``tmp_path``s
        self.basetemp: Callable[[], str | None] = _no_basetemp

    # -- forked children ------------------------------------------------------------------------

    def before_fork(self) -> None:
        if self.spool is None:
            import tempfile

            self.spool = tempfile.mkdtemp(prefix="pyramid-forks-")

    def forked(self) -> None:
        """In the child: what it records from now on is spooled for the recording process."""
        if self.spool is not None:
            self.seen.files = _Spooled(self.seen.files, self.spool, "files")
            self.seen.unverifiable = _Spooled(self.seen.unverifiable, self.spool, "unverifiable")
            self.seen.imported = _Spooled(self.seen.imported, self.spool, "imported")
            self.loaded = _Spooled(self.loaded, self.spool, "loaded")
            self.pending.clear()  # the parent sweeps its own; the child's are hashed now

    def absorb_forks(self) -> None:
        """What forked children recorded: the same file with other bytes than this process
        read is a finding, as between xdist workers."""
        if self.spool is None or isinstance(self.seen.files, _Spooled):
            return
        import shutil

        counts = {STARTED: 0, EXPECTS: self.expected}
        for name in sorted(os.listdir(self.spool)):
            if not name.endswith(".jsonl"):  # the run's own file (run/lineage.py)
                continue
            with open(os.path.join(self.spool, name), encoding="utf-8") as spooled:
                for line in spooled:
                    self._absorb_line(*json.loads(line), counts=counts)
        shutil.rmtree(self.spool, ignore_errors=True)
        self.spool, self.expected = None, 0
        missing = unfollowed.unreported(counts[EXPECTS], counts[STARTED])
        if missing is not None:
            self.seen.unverifiable.setdefault(*missing)

    def _absorb_line(self, kind: str, key: str, value: Any, *, counts: dict[str, int]) -> None:
        if kind in counts:  # a start record (not multiprocessing's), or a count of starts
            counts[kind] += int(value) if kind == EXPECTS else not value
        elif kind == "loaded":  # a child's module of the project: judged as ours
            self.loaded.setdefault(key, value)
        elif kind == "unverifiable":
            self.seen.unverifiable.setdefault(key, value)
        elif kind == "imported":
            self.seen.ran(key)
        elif kind == ENV_READ:
            self._absorb_env_read(key, value)
        elif self.seen.files.setdefault(key, value) != value:
            self.seen.unverifiable[key] = DISAGREED

    def _absorb_env_read(self, name: object, caller: object) -> None:
        """A followed child's variable read: kept for the run's sink. A line that does not
        say which name and file is missing evidence: what decided the child's work is not
        known (never a pass)."""
        if isinstance(name, str) and isinstance(caller, str):
            self.env_read.add((name, caller))
        else:
            self.seen.unverifiable.setdefault(unfollowed.UNREPORTED_KEY, ENV_READ_UNREADABLE)

    # -- installation ---------------------------------------------------------------------------

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)
        if self not in _RECORDING:
            _RECORDING.append(self)
        if not _HOOKED:  # once per process: an audit hook cannot be removed
            _HOOKED.append(True)
            early.forward_to(_audit)
            os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)

    def replay(self, kept: Sequence[tuple[str, tuple[Any, ...]]], lost: int) -> None:
        """What this process opened and started before the recorder was installed
        (``run/early.py``: a ``-p`` plugin's import reads its settings): recorded now, by this
        recorder only (another one installed earlier saw them as they happened)."""
        recording = list(_RECORDING)
        _RECORDING[:] = [self]
        _REPLAYING[0] = True
        try:
            for event, args in kept:
                _dispatch(event, args)
        finally:
            _REPLAYING[0] = False
            _RECORDING[:] = recording
        if lost:
            self.seen.unverifiable[os.path.realpath(self.root)] = (
                f"what pytest's start-up read before the recorder was installed is not known: "
                f"{lost} events past the {early.BUFFER_LIMIT} kept")

    def adopt_child(self) -> None:
        """A pytest process started by a recording run (an xdist worker, a test's own pytest
        run): the process's own run records from here on, and at its end reports what it read
        to the run that started it (``report_to_parent``), read as this run reads it (a source
        read as data is hashed at the end unless imported, not when read)."""
        if _CHILD:
            child = _CHILD.pop()
            child.uninstall()  # what it recorded until now is in the spool already
            self.parent_spool, self.parent_root = child.spool, child.root
            self.parent_reporter = child
            return
        outer = _outer_run(self)
        if outer is not None:  # an in-process nested run (pytester's runpytest): the
            # outer recorder sees this process's reads and starts itself, not what this
            # run's own children spool here (they carry this run's variable): handed on
            self.parent_spool, self.parent_root = outer.spool, outer.root

    def report_to_parent(self) -> None:
        if self.parent_spool is None:
            return
        spool = os.path.join(self.parent_spool, f"{os.getpid()}.jsonl")
        # all of it, whatever tree this run judged: nobody reads a nested run's verdict, so
        # the outer run's tests' outcomes may rest on what it saw (hostile case 291). Its
        # files are placed by their paths (the outer run keeps those of its tree); an entry
        # that names no file (a shell's `sh <stdin>`) is the outer run's as well
        handed: dict[str, Mapping[str, Any]] = dict(self.seen.to_dict())
        if self.parent_reporter is not None:  # the outer run's modules it imported (261)
            with self._quiet():
                handed["loaded"] = self.parent_reporter.facts_now()
        # OSError: the run that started this one is done
        with contextlib.suppress(OSError), open(spool, "a", encoding="utf-8") as out:
            for kind, entries in handed.items():
                for key, value in entries.items():
                    out.write(json.dumps([kind, key, value]) + "\n")
            # its children's variable reads, each judged again by the outer run's own sink
            for name, caller in sorted(self.env_read):
                out.write(json.dumps([ENV_READ, name, caller]) + "\n")
        self.parent_spool = None

    def follow_children(self) -> None:
        """The processes this one starts (a ``spawn`` pool's children, a Python program a
        test runs, xdist's workers) record what they read for this recorder
        (``follow_child``). The variable is always this run's: a value from outside (or an
        outer run's) is replaced, so it cannot send this run's children elsewhere."""
        import tempfile

        if self.spool is None:
            self.spool = tempfile.mkdtemp(prefix="pyramid-forks-")
        self._variable_before = os.environ.get(early.VARIABLE)
        if not self.packages:  # until the settings are read: the tree's top-level names
            from pathlib import Path

            self.packages = package_names((), Path(self.project or self.root))
        self._set_variable()

    def _set_variable(self) -> None:
        scope = {
            "spool": self.spool, "root": self.root, "project": self.project,
            "cache_dir": self.cache_dir, "started_ns": self.started_ns,
            "packages": sorted(self.packages), "facts_root": self.project_real,
        }
        # before the variable: a child reads its scope from the host (the run's file in its
        # own spool folder), not from a value a script could edit on the way (run/lineage.py)
        with contextlib.suppress(OSError), unrecorded():
            lineage.write_run_file(str(self.spool), scope)
        self.variable = os.environ[early.VARIABLE] = json.dumps(scope)

    def send_packages(self, names: frozenset[str], folder: str) -> None:
        """The children this run starts from now on report the modules of these packages
        (the run's ``source`` once its settings are read; until then the tree's top-level
        names, ``follow_child``'s default), relative to ``folder`` (the project's)."""
        self.packages, self.project_real = names, os.path.realpath(folder)
        if self._variable_before is not _UNSET:  # this run's children follow it
            self._set_variable()

    def report_loaded(self) -> None:
        """A followed child's modules of the project in ``sys.modules`` now (at its start:
        imported before the recorder; at its exit: loaded without a finder), spooled."""
        if self.reports and self in _RECORDING:  # an adopted child's own run reports its own
            with self._quiet():
                for key, unchecked in self.facts_now().items():
                    self.loaded.setdefault(key, unchecked)

    def facts_now(self) -> dict[str, str | None]:
        """The raw facts of the modules of :attr:`reports` in ``sys.modules`` now, but a
        nested pytest run's own tree's (:attr:`own_tree`)."""
        return facts_of(self.reports, self.project_real, {
            name: module for name, module in list(sys.modules.items())
            if not self._nested_own(getattr(module, "__file__", None))})

    def _nested_own(self, file: object) -> bool:
        return self.own_tree is not None and isinstance(file, str) and (
            os.path.realpath(file).startswith(self.own_tree))

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Reading a ``.pyc``'s header to tell what ran is not an input of the tests."""
        quiet = getattr(self._local, "quiet", False)
        self._local.quiet = True
        try:
            yield
        finally:
            self._local.quiet = quiet

    def uninstall(self) -> None:
        before = self._variable_before
        if before is not _UNSET:  # an outer run's children follow it again
            if isinstance(before, str):
                os.environ[early.VARIABLE] = before
            else:
                os.environ.pop(early.VARIABLE, None)
            self._variable_before = _UNSET
            if self.spool is not None:  # a run that ended before its sweep: its own spool
                self._unswept()
        while self in sys.meta_path:
            sys.meta_path.remove(self)
        while self in _RECORDING:
            _RECORDING.remove(self)

    def _unswept(self) -> None:
        """A run that ends before its sweep (pytester's ``parseconfigure``, a failed argument
        parsing) still hands on what its children spooled to the run that started it: they
        carried its variable, so no other run saw them."""
        if self.parent_spool is not None:
            with contextlib.suppress(OSError, ValueError):
                self.absorb_forks()
            self.report_to_parent()
        if self.spool is not None:
            import shutil

            shutil.rmtree(self.spool, ignore_errors=True)
            self.spool = None

    # -- the finder -----------------------------------------------------------------------------

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if getattr(self._local, "busy", False):
            return None  # a finder importing while it searches: Python asks the others
        self._local.busy = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._local.busy = False
        if spec is not None and spec.has_location and spec.origin:
            if fullname.partition(".")[0] in self.reports:  # O(1): a set of a few names
                self._report(spec)
            self._watch(spec)
        return spec

    def _report(self, spec: ModuleSpec) -> None:
        """A followed child imports a module of the project (from the tree or from anywhere
        else: the judge decides, ``run/loaded.py: foreign_code``): the same raw fact as the
        run's own process reports at its end, spooled now (a child can end by ``os._exit``)."""
        if self._nested_own(spec.origin):
            return
        with self._quiet():
            key, unchecked = module_fact(spec.name, str(spec.origin), spec.cached,
                                         self.project_real)
            self.loaded.setdefault(key, unchecked)

    def invalidate_caches(self) -> None:
        """Nothing cached here (``importlib.invalidate_caches`` calls every finder's)."""

    def _watch(self, spec: ModuleSpec) -> None:
        origin = str(spec.origin)
        real, escaped = self.scope.locate(origin)
        if escaped is not None:
            self._escaped(escaped)
        if real is None:
            return
        self.seen.ran(real)  # found for an import: run as code, whatever loads it
        loader = spec.loader
        if type(loader) is SourceFileLoader:  # exactly: a subclass may read differently
            spec.loader = _RecordingLoader(spec.name, origin, self, real)
        elif isinstance(loader, SourcelessFileLoader):
            self.seen.unverifiable[real] = "bytecode without its source"
        elif not _rewriter_records(loader):  # extension modules, other loaders
            self.hash_file(real)

    # -- recording ------------------------------------------------------------------------------

    def record(self, real: str, data: bytes) -> None:
        if real not in self.first_read:
            self.first_read[real] = self.reader
        blob = blob_id(data)
        known = self.seen.files.setdefault(real, blob)
        if known != blob:  # imported twice (importlib.reload, a second import mode) and edited
            self.seen.unverifiable[real] = "read twice with different contents"

    def hash_file(self, real: str) -> None:
        """Hash a file nobody else's read could be watched for (once per file)."""
        if real in self.seen.files:
            return
        try:
            with open(real, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            self.seen.unverifiable[real] = f"could not be read ({exc.strerror or exc})"
            return
        self.record(real, data)

    # -- files opened or executed (the audit hook) ---------------------------------------------

    def opened(self, path: object) -> None:
        """A file opened for reading (an ``open`` audit event)."""
        if self.reading and not getattr(self._local, "quiet", False):
            self._input(path, None)

    def connected(self, database: object) -> None:
        """``sqlite3.connect(database)``: the file it names, read by SQLite's own rules
        (``run/landing.py: sqlite_files``: a ``file:`` URI's path, decoded, and the string
        as a file name, since the event does not say ``uri=True``); a URI SQLite's rules do
        not place is named (hostile case 305)."""
        text = _text(database)
        if not text or not self.reading or getattr(self._local, "quiet", False):
            return
        files = landing.sqlite_files(text)
        for path in files.paths:
            self._input(path, None)
        if files.unplaced is not None:
            key = os.path.join(os.path.realpath(self.root), f"<sqlite3.connect {text!r}>")
            self.seen.unverifiable.setdefault(key, (
                f"a SQLite URI whose file cannot be placed: {files.unplaced}"))

    def linked(self, source: object, source_dir_fd: object) -> None:
        """``os.link(source, ...)``, ``os.rename(source, ...)``: the link's (or the moved
        file's) bytes are the source's, so a repository file linked or moved by the run is
        read by it, wherever it is read later (hostile case 303: a hard link in
        ``tmp_path``). A relative source beside a directory descriptor cannot be placed:
        the audit event names no folder (as ``os.open``'s, ``unplaced``)."""
        text = _text(source)
        if text and (source_dir_fd in (None, -1) or os.path.isabs(text)):
            self.opened(text)

    def unplaced(self, path: object, caller: str) -> bool:
        """``os.open`` of a relative name by the project's own code (``caller``): the file it
        read cannot be placed (``_os_open_caller``), so the calling file cannot be tied to the
        tree. The standard library's and installed packages' own descriptor walks
        (``shutil.rmtree``, ``os.fwalk``: folders, not data) are not the project's code."""
        if not self.reading or getattr(self._local, "quiet", False):
            return False
        real = self.scope.real(caller)
        if real is None:
            return False
        self.seen.unverifiable.setdefault(real, (
            f"opens {_text(path)!r} with os.open by a relative name, relative to a directory "
            "descriptor (dir_fd) or the working folder: Python's audit event does not say "
            "which, so the file it read cannot be placed (open it by its full path)"))
        return True

    def git_store(self, path: object, reader: str) -> bool:
        """A file under the repository's ``.git`` opened by the project's own code
        (``reader``: the calling file; not the standard library's, an installed package's or
        this plugin's): git's objects, refs and logs are not the tree the verdict names (a
        test reading another ref's blob with ``zlib``, hostile case 187). Git's own processes
        and the plugin's ``run_git`` are no Python frame of the project."""
        if not self.reading or getattr(self._local, "quiet", False):
            return False
        text = _text(path)
        if not text or self.scope.real(reader) is None:
            return False
        real = self.scope.real(text if os.path.isabs(text) else os.path.join(os.getcwd(), text))
        if real is None or not any(real.startswith(os.path.join(root, ".git", ""))
                                   for root in self.scope.roots):
            return False
        self.seen.unverifiable.setdefault(real, (
            "read from git's object store directly by the project's own code: git's objects, "
            "refs and logs are not the tree the verdict names (read the tree's files)"))
        return True

    def writing(self, path: object, flags: int) -> None:
        """A file opened for writing only: created or replaced, it is the run's output; one
        from before the run written to in place (appended) holds bytes nobody recorded."""
        real = self._mine(path)
        if real is None:
            return
        try:
            before = os.stat(real).st_ctime_ns < self.started_ns and real not in self.created
        except OSError:
            before = False  # created by this open
        if before and not flags & os.O_TRUNC:
            self.altered.add(real)
        else:
            self.created.add(real)
            self.kept.discard(real)
            self.altered.discard(real)

    def retimed(self, path: object) -> None:
        """A file's times set (``os.utime``): a file from before the run keeps its bytes."""
        real = self._mine(path)
        if real is None or real in self.created:
            return
        with contextlib.suppress(OSError):
            if os.stat(real).st_ctime_ns < self.started_ns:
                self.kept.add(real)

    def _mine(self, path: object) -> str | None:
        """The real path of a file under the repository this process writes or retimes
        while recording (not tools' state), else None."""
        if not self.reading or getattr(self._local, "quiet", False):
            return None
        text = _text(path)
        if not text:
            return None
        real = self.scope.real(os.path.join(os.getcwd(), text))
        if real is None or self._own_state(real):
            return None
        return real

    def started(self, event: str, args: tuple[Any, ...]) -> None:
        """A process started: the program and every argument naming a file under the
        repository (a script, a configuration file) is an input of the run."""
        if not self.reading or getattr(self._local, "quiet", False):
            return
        program_at, argv_at, cwd_at = _EXEC_EVENTS[event]
        argv = args[argv_at]
        if isinstance(argv, (str, bytes, os.PathLike)):
            argv = [argv]
        cwd = args[cwd_at] if cwd_at is not None else None
        where = _text(cwd) if cwd is not None else None
        texts = [_text(word) for word in
                 (args[program_at] if program_at is not None else None, *argv)]
        self._local.quiet = True  # reading a program's first line is not another input
        try:
            # the program as started (``executable=`` wins over argv[0]) and the environment
            # it starts with (None: this process's): hostile case 173; its programs known by
            # what they are, not their names (run/programs.py)
            env_at = _ENV_AT.get(event)
            environ = programs.environment(args[env_at] if env_at is not None else None)
            words = unfollowed.started_words(texts)
            reading = unfollowed.read_start(words, environ, where or os.getcwd(),
                                            command=event == "os.system")
            placed = _placed_tokens(_argument_folders(
                [text for text in texts if text], where or os.getcwd(), reading.top),
                environ.get("HOME"))
            folders = _folder_readers(placed, environ)
        finally:
            self._local.quiet = False
        # each named word as the child means it: a program a ``cd`` in the string moved to
        tokens = [os.path.join(token.folder, token.word) for token in placed]
        for token in placed:
            self._argument(token, token.program in folders)
        self._local.quiet = True
        try:  # what a program of the repository starts in turn is not seen: named
            # a program that names no file is every recording run's here, an in-process
            # nested run's too (pytester's runpytest): no one reads the inner verdict
            unfollowed.record(words, lambda t: self.scope.real(
                t if os.path.isabs(t) else os.path.join(where or os.getcwd(), t)),
                self.seen.unverifiable, named=tokens, reading=reading)
            # objects a git command reads beyond HEAD (case 148: run/git_reads.py)
            git_reads.record(words, where or os.getcwd(), environ,
                             os.path.realpath(self.scope.roots[0]), self.seen.unverifiable,
                             reading.top)
            self._unrecorded_python(reading)
            self._expect(reading, where or os.getcwd())
        finally:
            self._local.quiet = False

    def _expect(self, reading: unfollowed.Reading, cwd: str) -> None:
        """Count the Python children this start runs that carry this run's variable and load
        the recorder: each must write its start record (``announce``). A spooling process
        (forked, followed) spools its count; the run's process keeps it."""
        if self.variable is None or not reading.pythons:
            return
        count = sum(1 for start in reading.pythons
                    if start.env.get(early.VARIABLE) == self.variable
                    and programs.may_load_recorder(start, cwd))
        if not count:
            return
        if isinstance(self.seen.files, _Spooled):
            _spool_line(self.spool, [EXPECTS, str(os.getpid()), count])
        else:
            self.expected += count

    def _argument(self, token: landing.Word, folders: bool) -> None:
        """An argument word of a started program, placed in the folder it means to the child
        (hostile case 300: ``cwd=``, ``env -C``, a ``cd`` in a command string): a file is
        read; a glob is the files the shell expands it to; a folder under the repository is,
        when ``folders`` (its program reads what it is given), the files below it."""
        word, folder = landing.child_spelling(token.word, token.folder), token.folder
        if _GLOB_CHARS.intersection(word):  # the shell expands it to the files it names
            import glob

            for name in glob.glob(word, root_dir=folder):
                self._input(name, folder, outside=False)
        # a word outside the repository is judged only as Python opens it: an argument that
        # happens to name a file (a process title, an option's value) is no read of it
        self._input(word, folder, outside=False)
        if folders:
            self._folder_read(os.path.join(folder, word))

    def _folder_read(self, path: str) -> None:
        """A folder under the repository handed to a program that reads what it is given
        (``cp -r golden``, ``tar``, ``rsync``): every file below it is read, judged as a read
        of each (an ignored or untracked one is named by the tree's comparison). Git's
        records, tools' state and the environment's folders are not walked; a folder of more
        than :data:`FOLDER_FILES` files is named instead of read file by file."""
        real, _ = self.scope.lands(path)
        self._local.quiet = True
        try:
            if real is None or real in self.folders or not os.path.isdir(real):
                return
            self.folders.add(real)
            below = _files_below(real, self.scope.outside)
        finally:
            self._local.quiet = False
        if below is None:
            self.seen.unverifiable.setdefault(real, (
                f"a folder handed to a program that reads it, holding more than {FOLDER_FILES} "
                "files: not read file by file, so what the program read is not known"))
            return
        for name in below:
            self._input(name, None)

    def _unrecorded_python(self, reading: unfollowed.Reading) -> None:
        """A Python interpreter started without the run's variable follows nothing: named
        (hostile case 175), unless every recorder here follows no children anyway."""
        values = [r.variable for r in _RECORDING if r.variable is not None]
        if not values or not reading.pythons:
            return
        key = unfollowed.unrecorded_python((), None, early.VARIABLE, values, reading=reading)
        if key is not None:
            self.seen.unverifiable.setdefault(key, unfollowed.unrecorded_reason(
                key, early.VARIABLE))

    def _input(self, path: object, cwd: str | None, *, outside: bool = True) -> None:
        text = _text(path)
        if not text:
            return
        if not os.path.isabs(text):
            text = os.path.join(cwd or os.getcwd(), text)
        real, escaped, elsewhere = self.scope.place(text)
        if elsewhere is not None:
            if outside:
                self._read_outside(elsewhere)
            return
        if escaped is not None:
            self._escaped(escaped)
            return
        if real is None or real in self.seen.files or real in self.seen.unverifiable:
            return
        if real in self.pending or self._own_state(real):
            return
        if real in self.altered:
            self.seen.unverifiable[real] = (
                "existed before the run, which wrote to it before reading it: its bytes "
                "from before the run were not recorded")
            return
        self._local.quiet = True  # hash_file's own open is not another input
        try:
            info = os.stat(real)
            if not stat.S_ISREG(info.st_mode) or self._output(real, info):
                return  # a folder, a device, or written by the run itself: its output
            if EGG_INFO + os.sep in real and environment_copy(real, self.scope.outside):
                return  # setuptools' copy of the installed metadata: the environment's
            if real.endswith(SOURCE_SUFFIXES) and not isinstance(self.seen.files, _Spooled):
                self.pending[real] = _signature(info)  # a forked child hashes it now
                self.first_read.setdefault(real, self.reader)
            else:
                self.hash_file(real)
        except OSError:
            return  # not there: the open fails, nothing was read
        finally:
            self._local.quiet = False

    def _read_outside(self, real: str) -> None:
        """A file read outside the repository and the environment (hostile case 350): free
        in a place the platform owns (one answer per folder) or when the run made it; else,
        when it existed before the run and the project's code asked for it, named. Events
        kept from before the recorder (pytest's start-up) have no asker left: not judged."""
        folder = os.path.dirname(real)
        free = self.free_folders.get(folder)
        if free is None:
            free = self.free_folders[folder] = read_places.free_folder(
                folder, (*self.scope.outside, *read_places.environment_folders()))
        temp = self.basetemp()
        if free or real in read_places.PLATFORM_FILES or _REPLAYING[0] or (
                temp is not None and real.startswith(temp)):
            return
        entry = read_places.key(self.scope.real_root, real)
        if entry in self.seen.unverifiable:
            return
        try:
            info = os.stat(real)
        except OSError:
            return  # not there: nothing was read
        since = min(self.started_ns, self.run_started_ns or self.started_ns)
        if stat.S_ISREG(info.st_mode) and not birth.made_since(real, since, info) and \
                self._project_asked():
            self.seen.unverifiable[entry] = read_places.REASON

    def _project_asked(self) -> bool:
        """Whether the project's code asked for the read being recorded: the asker of the
        opening frame (``run/env_reads.py: asker``, the rule variable reads follow: a
        library's frames between count as the project's call, a chain through the harness
        as the harness's) is a file of the repository, or text compiled at run time."""
        from pytest_pyramid.run.env_reads import asker

        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename in _HOOK_FILES:
            frame = frame.f_back  # type: ignore[assignment]
        if frame is None:
            return False
        name = asker(frame)
        if name[:1] == "<":
            return not name.startswith("<frozen ")
        return not name.startswith(_PLUGIN_DIR) and self.scope.real(name) is not None

    def _output(self, real: str, info: os.stat_result) -> bool:
        """Whether a file is the run's own output, not an input: its inode changed after the
        run started *and* its bytes did. A changed inode alone is a chmod, a hard link, a
        rename, ``touch`` (``kept``): the bytes are still from before the run. A child process
        that only changed a file's times is not seen (``touch`` in a shell)."""
        if info.st_ctime_ns < self.started_ns:
            return False
        if real in self.created:
            return True
        return real not in self.kept and info.st_mtime_ns >= self.started_ns

    def _escaped(self, lexical: str) -> None:
        """A path under the repository whose real file is outside it (a symlink leads out):
        no tree holds those bytes, unless the run made the link or the file itself."""
        root = next((r for r in self.scope.roots if lexical.startswith(r)), None)
        if root is None:
            return
        real = os.path.realpath(lexical)
        self._local.quiet = True
        try:
            if _made_since(root, lexical, self.started_ns) or self._output(real, os.stat(real)):
                return
        except OSError:
            return  # not there: nothing was read
        finally:
            self._local.quiet = False
        self.seen.unverifiable.setdefault(
            lexical, f"reached through a symlink to {real}, outside the repository")

    def _own_state(self, real: str) -> bool:
        for root in self.scope.roots:
            if real.startswith(root):
                parts = real[len(root):].split(os.sep)
                break
        else:
            return True
        name = parts[-1]
        if (name == COVERAGE_DATA or name.startswith(COVERAGE_DATA + ".")) and (
                os.path.dirname(real) in self.coverage_dirs):
            return True
        if self.cache_dir is not None and real.startswith(self.cache_dir):
            return pytest_cache_own(real[len(self.cache_dir):].replace(os.sep, "/"))
        for at, part in enumerate(parts[:-1]):
            if part in OWN_STATE and self._tools_place(root, parts, at):
                return True
            if part == PYTEST_CACHE:
                return pytest_cache_own("/".join(parts[at + 1:]))
        return False

    def _tools_place(self, root: str, parts: list[str], at: int) -> bool:
        """Whether ``parts[at]`` (an :data:`OWN_STATE` name) is where its tool keeps its
        state and the file below it is what the tool keeps there, not a folder or a file a
        test named so (hostile cases 263, 293): bytecode files directly in a ``__pycache__``;
        git's records in a folder that is a repository; Hypothesis's examples (and its
        Unicode table) in its folder at the repository's or the project's top."""
        name, rest = parts[at], parts[at + 1:]
        if name == "__pycache__":
            return len(rest) == 1 and rest[0].endswith((".pyc", ".pyo"))
        folder = root + os.sep.join(parts[:at + 1])
        if name == ".git":
            return git_record(folder, rest)
        return os.path.dirname(folder) in self.coverage_dirs and hypothesis_entry(rest)

    def watch_path(self, path: str) -> None:
        """A file a test was collected from (hashed unless its import already was)."""
        real = self.scope.real(path)
        if real is not None:
            self.seen.ran(real)
            self.hash_file(real)

    def sweep(self, modules: Mapping[str, ModuleType] | None = None) -> None:
        """Modules imported before the recorder was installed (the plugin's own package in
        its repository, ``-p`` plugins): hashed now, at the end, which is the best that can
        be said of them."""
        for module in list((sys.modules if modules is None else modules).values()):
            file = getattr(module, "__file__", None)
            if not isinstance(file, str):
                continue
            real = self.scope.real(file)
            if real is None:
                continue
            self.seen.ran(real)  # a module: imported
            if real in self.seen.files or real in self.seen.unverifiable:
                continue
            if real.endswith((".pyc", ".pyo")):
                self.seen.unverifiable[real] = "bytecode without its source"
            else:
                self.hash_file(real)
        self._sweep_pending()
        self.absorb_forks()
        self.report_to_parent()

    def _sweep_pending(self) -> None:
        """Python sources read as data and never imported: hashed now, when they are still
        the bytes that were read (same inode, size and times), else unverifiable."""
        for real, signature in list(self.pending.items()):
            if real in self.seen.files or real in self.seen.unverifiable:
                continue
            try:
                now: tuple[int, int, int, int] | None = _signature(os.stat(real))
            except OSError:
                now = None
            if now != signature:
                self.seen.unverifiable[real] = "read by the run, then changed or removed"
            else:
                self.hash_file(real)
        self.pending.clear()


class _RecordingLoader(SourceFileLoader):
    """A ``SourceFileLoader`` that hashes the source bytes it reads, runs only bytecode that is
    provably from them, and caches checked hash-based bytecode."""

    def __init__(self, fullname: str, path: str, recorder: ImportRecorder, real: str) -> None:
        super().__init__(fullname, path)
        self._recorder = recorder
        self._real = real
        self._loading = False
        self._source: bytes | None = None
        self._pyc_flags: int | None = None

    def get_data(self, path: str) -> bytes:
        local = self._recorder._local
        quiet = getattr(local, "quiet", False)
        local.quiet = True  # the import's own read: recorded below, not by the audit hook
        try:
            data = super().get_data(path)
        finally:
            local.quiet = quiet
        if not self._loading:
            return data  # get_source for a traceback, a resource: not what runs
        if path == self.path:
            self._source = data
            self._recorder.record(self._real, data)
        elif len(data) >= 8:  # the .pyc Python is about to validate (header: PEP 552)
            self._pyc_flags = int.from_bytes(data[4:8], "little")
        return data

    def get_code(self, fullname: str) -> object:  # type: ignore[override]
        self._loading, self._source, self._pyc_flags = True, None, None
        try:
            code = super().get_code(fullname)
            if self._source is not None:
                return code  # compiled from, or checked against, the bytes recorded
            flags = self._pyc_flags or 0
            if hash_pyc_unchecked(flags):
                self._recorder.seen.unverifiable[self._real] = (
                    "ran from bytecode Python does not check against its source "
                    f"({self.path} as a hash-based .pyc this interpreter does not check)"
                )
                self._recorder.hash_file(self._real)
                return code
            # a timestamp .pyc: Python matched only the source's mtime and size
            source = self.get_data(self.path)
            compiled = self.source_to_code(source, self.path)
            self._cache_bytecode(self.path, cache_from_source(self.path), _timestamp_pyc(compiled))
            return compiled
        finally:
            self._loading = False

    def _cache_bytecode(self, source_path: str, cache_path: str, data: bytes) -> None:
        """Python caches timestamp bytecode; this caches bytecode that proves its source (a
        checked hash-based .pyc), which the next run's import verifies without compiling."""
        if self._source is not None and data[4:8] == b"\0\0\0\0":
            data = _checked_pyc(self._source, data[16:])
        if not sys.dont_write_bytecode:
            super()._cache_bytecode(source_path, cache_path, data)  # type: ignore[misc]


@contextlib.contextmanager
def unrecorded() -> Iterator[None]:
    """The plugin's own bookkeeping of the tree (git's hashing of the files it lists, reading
    a sibling shard's partial to tell it is one) is not an input of the tests: what this
    thread opens or starts meanwhile is not recorded, by every recorder."""
    recorders = tuple(_RECORDING)
    before = [getattr(r._local, "quiet", False) for r in recorders]
    for recorder in recorders:
        recorder._local.quiet = True
    try:
        yield
    finally:
        for recorder, was in zip(recorders, before, strict=True):
            recorder._local.quiet = was


def source_read(path: str) -> bytes:
    """The bytes of a module pytest's assertion rewriter checks its cache against or compiles
    (``run/rewrite_cache.py``'s guards): read once, and recorded by every recorder whose
    project holds the file, as :class:`_RecordingLoader` records a plain module's read."""
    # the import's own read: recorded below, not by the audit hook
    with unrecorded(), open(path, "rb") as handle:
        data = handle.read()
    for recorder in tuple(_RECORDING):
        real = recorder.scope.real(path)
        if real is not None:
            recorder.record(real, data)
            recorder.seen.ran(real)  # the rewriter compiles it for its import
    if len(_SOURCES) < _SOURCES_HELD:  # bounded: taken back by the module's collection
        _SOURCES[path] = data
    return data


#: the bytes :func:`source_read` read of test modules, held until their collection takes
#: them (``run/refusals.py``: the shadowed-definitions scan): a file is read once
_SOURCES: dict[str, bytes] = {}
_SOURCES_HELD = 64


def read_source(path: str) -> bytes:
    """A test module's bytes: the ones the import read (:func:`source_read`), else read now."""
    data = _SOURCES.pop(path, None)
    if data is not None:
        return data
    with open(path, "rb") as handle:
        return handle.read()


#: checks that a loader's source is read once and recorded by a guard of its own (pytest's
#: rewriter: ``run/rewrite_cache.py`` registers its check when it installs the guards)
_SELF_RECORDING: list[Callable[[object], bool]] = []


def reads_itself(check: Callable[[object], bool]) -> None:
    """Register ``check``: a loader it answers True for is not hashed when its spec is found;
    its guard records the bytes it reads (:func:`source_read`)."""
    if check not in _SELF_RECORDING:
        _SELF_RECORDING.append(check)


def _rewriter_records(loader: object) -> bool:
    """Whether a guard records the source ``loader`` reads (test modules and conftests: read
    once, by the rewriter's guard); only asked for a loader that is no plain one."""
    return any(check(loader) for check in _SELF_RECORDING)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """The recorders' share of the process's audit hook (PEP 578, ``run/early.py: _hook``,
    which passes the watched events only: every event of every thread passes there, about 50
    per trivial test, mostly ``object.__getattr__``)."""
    if _RECORDING:
        _dispatch(event, args)


def follow_child(value: str) -> ImportRecorder | None:
    """In a process a recording run started (``run/early.py``, the variable it set,
    ``ImportRecorder.follow_children``): the run's recorder, spooling what this process reads
    to the run, as a forked child does. None when the value is not a run's (set by hand) or
    the run has finished (its spool is gone)."""
    try:
        scope = json.loads(value)
        spool, root = str(scope["spool"]), str(scope["root"])
        started_ns = int(scope["started_ns"])
        cache_dir, project = scope.get("cache_dir"), scope.get("project")
        packages, facts_root = scope.get("packages"), scope.get("facts_root")
    except (ValueError, TypeError, KeyError):
        return None
    if not os.path.isdir(spool):
        return None
    announce(spool)
    run = lineage.read_run_file(spool)
    if run is not None:  # the run's own word wins over the variable's (hostile case 202)
        try:
            root, started_ns = str(run["root"]), int(run["started_ns"])
        except (KeyError, TypeError, ValueError):
            return None
        cache_dir, project = run.get("cache_dir"), run.get("project")
        packages, facts_root = run.get("packages"), run.get("facts_root")
    recorder = ImportRecorder(root, cache_dir=cache_dir, project=project)
    recorder.started_ns = started_ns
    recorder.spool = spool
    recorder.variable = value  # its own children follow the run with the same value
    recorder.reports = _reported(packages, project or root)
    from pytest_pyramid.run.early import is_pytest

    if isinstance(facts_root, str):
        recorder.project_real = facts_root
    if is_pytest(getattr(sys, "orig_argv", sys.argv)):
        # a nested pytest run's own project's modules (a `-p` plugin of its own `tests`
        # package) are not the run's that started it; the run's packages it imports from
        # anywhere else are (hostile case 261: a stale install), as for any child: nobody
        # reads the nested run's verdict
        recorder.own_tree = nested_tree(os.getcwd(), recorder.project_real)
    recorder.forked()
    recorder.install()
    _CHILD.append(recorder)
    recorder.report_loaded()  # imported before the recorder (another .pth line)
    import atexit

    atexit.register(recorder.report_loaded)  # loaded without a finder (spec_from_file_...)
    return recorder


def nested_tree(cwd: str, project: str) -> str | None:
    """A nested pytest run's own tree: the folder it started in, unless that folder holds
    the run's project (``project``: then its modules are the run's, judged as any child's)."""
    real = os.path.realpath(cwd)
    if project == real or project.startswith(real.rstrip(os.sep) + os.sep):
        return None
    return real.rstrip(os.sep) + os.sep


def announce(spool: str) -> None:
    """A followed child's start record in the run's spool, first thing (one small write):
    a child the run started to follow that cannot write it (another account, another root)
    is missing evidence (hostile case 299). Multiprocessing's own processes say so: no
    process counted their starts."""
    argv = getattr(sys, "orig_argv", sys.argv)
    ours = "-c" in argv[:-1] and argv[argv.index("-c") + 1].startswith(_MULTIPROCESSING)
    _spool_line(spool, [STARTED, str(os.getpid()), ours])


def _spool_line(spool: str | None, line: list[Any]) -> None:
    """Append one line to this process's file in ``spool`` (gone or not writable: nothing)."""
    if spool is None:
        return
    with contextlib.suppress(OSError):
        fd = os.open(os.path.join(spool, f"{os.getpid()}.jsonl"),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, (json.dumps(line) + "\n").encode())
        finally:
            os.close(fd)


#: for ``run/child.py``: a followed child's variable reads go to the run's spool the same way
spool_line = _spool_line


def _no_basetemp() -> str | None:
    return None


def _outer_run(inner: ImportRecorder) -> ImportRecorder | None:
    """The recording run in this process whose children ``inner``'s would have been (the
    last installed before it that follows its children), or None."""
    before = _RECORDING[:_RECORDING.index(inner)] if inner in _RECORDING else _RECORDING
    return next((run for run in reversed(before)
                 if run.spool is not None and run.variable is not None), None)


def _reported(packages: object, project: str) -> frozenset[str]:
    """The names a followed child reports the modules of: the run's (hostile case 202), or,
    from a run's variable without them, the project's tree's top-level names."""
    if isinstance(packages, list) and all(isinstance(name, str) for name in packages):
        return frozenset(packages)
    from pathlib import Path

    return package_names((), Path(project))


def _dispatch(event: str, args: tuple[Any, ...]) -> None:
    try:
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int):
                return  # a descriptor already open
            access = flags & os.O_ACCMODE
            caller = _os_open_caller(path, mode, replaying=_REPLAYING[0])
            # a name with ".git" in it: who reads git's records (case 187); a string test first
            reader = _git_reader(path, replaying=_REPLAYING[0])
            for recorder in tuple(_RECORDING):
                if caller is not None and recorder.unplaced(path, caller):
                    continue  # named: joining the working folder could hash another file
                if reader is not None and access != os.O_WRONLY and recorder.git_store(
                        path, reader):
                    continue  # named: git's records, read by the project's code
                if access != os.O_WRONLY and not flags & os.O_TRUNC:
                    recorder.opened(path)  # first: "r+" reads the bytes from before
                if access != os.O_RDONLY:
                    recorder.writing(path, flags)
        elif event == _IMPORT_EVENT:
            if args[1] is not None:  # an extension module loaded from its file
                for recorder in tuple(_RECORDING):
                    recorder.opened(args[1])
        elif event in _TIMES_EVENTS:
            for recorder in tuple(_RECORDING):
                recorder.retimed(args[0])
        elif event in _PLACED_EVENTS:
            _placed_event(event, args)
        elif event in _READ_EVENTS:
            path = _dlopen_path(args[0])  # sqlite3.connect is a placed event (landing.py)
            for recorder in tuple(_RECORDING):
                recorder.opened(path)
        elif not _subprocess_spawn(event):
            for recorder in tuple(_RECORDING):
                recorder.started(event, args)
    except Exception:  # an audit hook that raises fails the caller's open
        return


def _subprocess_spawn(event: str) -> bool:
    """Whether this ``os.posix_spawn`` event is ``subprocess.Popen`` starting its child: the
    ``subprocess.Popen`` event before it named the same start, so recording both counted one
    Python child twice, one of them never to report (Python 3.13 starts most children with
    ``posix_spawn``: a one-test project under ``-n 2`` was incomplete, naming ``python
    <unreported>``). Only this event's few frames are looked at."""
    if event != "os.posix_spawn":
        return False
    frame: Any = sys._getframe(1)  # the hook's own frames, then its caller's
    for _ in range(6):
        if frame is None:
            return False
        code = frame.f_code
        if code.co_name == "_posix_spawn" and code.co_filename == _SUBPROCESS_FILE:
            return True
        frame = frame.f_back
    return False


def _placed_event(event: str, args: tuple[Any, ...]) -> None:
    """A read whose file is placed by its own rules (``run/landing.py``): SQLite's name or
    URI, a hard link's source."""
    for recorder in tuple(_RECORDING):
        if event == _SQLITE_EVENT:
            recorder.connected(args[0])
        else:
            recorder.linked(args[0], args[2])


def _os_open_caller(path: object, mode: object, *, replaying: bool) -> str | None:
    """The file of the code that called ``os.open`` with a relative name, else None.

    ``os.open``'s ``open`` event has no mode (``None``; ``open()``'s has one) and no
    ``dir_fd``: a relative name may be relative to the working folder or to any directory
    descriptor (case 149), so it cannot be placed. Events kept from before the recorder was
    installed are replayed from elsewhere: their caller is not known (None)."""
    if mode is not None or replaying:
        return None
    text = _text(path)
    if not text or os.path.isabs(text):
        return None
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in _HOOK_FILES:
        frame = frame.f_back  # type: ignore[assignment]
    return frame.f_code.co_filename if frame is not None else None


def _git_reader(path: object, *, replaying: bool) -> str | None:
    """The file of the code that opened a path naming ``.git``: the first calling frame that
    is not the hook's, the standard library's (``pathlib``, ``io``) or this plugin's own
    (its bookkeeping). None when the path names no ``.git`` or the caller is not known."""
    text = _text(path)
    if replaying or not text or ".git" not in text:
        return None
    frame = sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename in _HOOK_FILES
                                 or frame.f_code.co_filename.startswith(_stdlib())):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None or frame.f_code.co_filename.startswith(_PLUGIN_DIR):
        return None
    return frame.f_code.co_filename


def _stdlib() -> tuple[str, ...]:
    """The standard library's folders (and frozen modules' pseudo file names), once."""
    if not _STDLIB:
        paths = sysconfig.get_paths()
        _STDLIB.extend(dict.fromkeys(
            [os.path.join(paths[k], "") for k in ("stdlib", "platstdlib")] + ["<frozen "]))
    return tuple(_STDLIB)


def _before_fork() -> None:
    for recorder in tuple(_RECORDING):
        recorder.before_fork()


def _after_fork_in_child() -> None:
    for recorder in tuple(_RECORDING):
        recorder.forked()


def git_record(folder: str, rest: Sequence[str]) -> bool:
    """Whether ``rest`` (a path inside ``folder``, a folder named ``.git``) is one of git's
    records of a repository: a reference or setting git keeps by name, or a file in its
    objects', references' or logs' folders, and ``folder`` is a repository (its ``HEAD`` and
    ``objects/``). A ``.git`` folder that is no repository, a hook or any other file there is
    a file like any other (hostile case 293 f)."""
    named = len(rest) == 1 and rest[0] in GIT_RECORDS
    kept = len(rest) > 1 and rest[0] in GIT_RECORD_FOLDERS
    return (named or kept) and os.path.isfile(os.path.join(folder, "HEAD")) and os.path.isdir(
        os.path.join(folder, "objects"))


#: Hypothesis's cache of the constants found in the code under test (``constants/<hash>``,
#: written and read again by every run of a ``@given`` test since Hypothesis 6.131)
HYPOTHESIS_CONSTANTS = "constants"


def hypothesis_entry(rest: Sequence[str]) -> bool:
    """Whether ``rest`` (a path inside Hypothesis's folder) is what Hypothesis keeps there:
    an example of its database, ``examples/<key hash>/<value hash>`` (its
    ``DirectoryBasedExampleDatabase``), or its cache of this interpreter's Unicode table
    (:data:`HYPOTHESIS_CHARMAP`). Any other file there is a file like any other (a test's
    answer in ``.hypothesis/expected.txt``: hostile case 293 d)."""
    if len(rest) == 3 and rest[0] == HYPOTHESIS_EXAMPLES:
        return all(len(part) == HYPOTHESIS_HASH_LEN and _HEX.issuperset(part)
                   for part in rest[1:])
    if len(rest) == 2 and rest[0] == HYPOTHESIS_CONSTANTS:  # its cache of the code's constants
        return len(rest[1]) == HYPOTHESIS_HASH_LEN and _HEX.issuperset(rest[1])
    import unicodedata

    # its caches of this interpreter's Unicode tables: charmap.json.gz, codec-v2-<codec>.json.gz
    folder, charmap = HYPOTHESIS_CHARMAP
    return (len(rest) == 3 and rest[0] == folder and rest[1] == unicodedata.unidata_version
            and (rest[2] == charmap or (rest[2].startswith(HYPOTHESIS_CODEC)
                                        and rest[2].endswith(".json.gz"))))


#: what setuptools names a folder of metadata it writes into the project at every build
#: and editable install (``<name>.egg-info``)
EGG_INFO = ".egg-info"
#: a file of that folder -> the installed distribution's file holding the same metadata
#: (``entry_points.txt``, ``top_level.txt`` keep their names; ``SOURCES.txt``,
#: ``requires.txt``, ``dependency_links.txt`` have no installed twin)
EGG_INFO_TWINS: Mapping[str, str] = {"PKG-INFO": "METADATA"}


def environment_copy(real: str, environment: Sequence[str]) -> bool:
    """Whether ``real``, a file directly in a ``*.egg-info`` folder inside the repository,
    is a copy of the environment rather than an input: the installed distribution that
    ``importlib.metadata`` finds in ``environment`` (its folders, outside the repository) for
    the name and version the folder's ``PKG-INFO`` states holds that very ``PKG-INFO`` as
    its ``METADATA``, and the file's bytes under the file's name. A clean clone with the same
    environment answers ``version()`` and ``entry_points()`` alike from the installed copy.
    Anything else stays an input (named): a stale version, a file the installed distribution
    has no twin of (``SOURCES.txt``, a data file put there), no installed distribution of
    that name, or one installed from elsewhere."""
    folder, _, name = real.rpartition(os.sep)
    if not folder.endswith(EGG_INFO):
        return False
    twin = installed_twin(folder, environment)
    return twin is not None and _same_bytes(real, os.path.join(twin, EGG_INFO_TWINS.get(
        name, name)))


def installed_twin(folder: str, environment: Sequence[str]) -> str | None:
    """The folder of the installed distribution whose ``METADATA`` is the bytes of
    ``folder``'s ``PKG-INFO`` (same name, same version), found by ``importlib.metadata`` in
    one of ``environment``'s folders; None when there is none."""
    from email.parser import BytesHeaderParser
    from importlib.metadata import distributions

    pkg_info = os.path.join(folder, "PKG-INFO")
    try:
        with open(pkg_info, "rb") as file:
            headers = BytesHeaderParser().parse(file)
    except OSError:
        return None
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        return None
    prefixes = tuple(place.rstrip(os.sep) + os.sep for place in environment)
    for dist in distributions(name=str(name)):
        path = getattr(dist, "_path", None)  # a PathDistribution's folder (the finder's)
        if path is None or dist.version != str(version):
            continue
        where = os.path.realpath(str(path))
        if where.startswith(prefixes) and _same_bytes(pkg_info, os.path.join(where,
                                                                              "METADATA")):
            return where
    return None


def _same_bytes(one: str, other: str) -> bool:
    try:
        with open(one, "rb") as first, open(other, "rb") as second:
            return first.read() == second.read()
    except OSError:
        return False


def _dlopen_path(library: object) -> object:
    """The file a ``ctypes.dlopen`` loads, as the dynamic loader finds it (``run/loader.py``):
    a bare name (``ctypes.CDLL("libanswer.so")``) through the search path the process started
    with, not the working folder; a library found inside the repository is then judged as a
    file read (hostile case 297). None: found elsewhere, in the system's folders."""
    text = _text(library)
    if text is None:
        return library
    return loader.resolve(text, loader.search_values(os.environ), os.getcwd())


def _coverage_dirs(root: str, project: str | None) -> frozenset[str]:
    """The folders where this run's coverage data files are by default: the repository's
    and the project's top. Not ``COVERAGE_FILE``'s or the working folder: either would let a
    variable or a ``cd`` make a fixture named ``.coverage`` a tool's state (the data files the
    run writes elsewhere are its outputs anyway)."""
    return frozenset(os.path.realpath(d) for d in (root, project) if d)


def _made_since(root: str, lexical: str, started_ns: int) -> bool:
    """Whether the first symlink on ``lexical``'s way down from ``root`` was made after
    ``started_ns`` (the run linked its own output under the repository)."""
    head = root
    for part in lexical[len(root):].split(os.sep):
        head = os.path.join(head, part)
        info = os.lstat(head)
        if stat.S_ISLNK(info.st_mode):
            return info.st_ctime_ns >= started_ns
    return False


def _signature(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _text(value: object) -> str | None:
    if isinstance(value, (str, bytes, os.PathLike)):
        try:
            return os.fsdecode(os.fspath(value))
        except (TypeError, UnicodeDecodeError):
            return None
    return None


def _tokens(texts: Sequence[str]) -> list[str]:
    """The words of a command's arguments that could name a file (:func:`_placed_tokens`,
    without their folders)."""
    return [token.word for token in _placed_tokens([landing.Word(t, "", "") for t in texts])]


def _placed_tokens(texts: Sequence[landing.Word], home: str | None = None
                   ) -> list[landing.Word]:
    """The words of a command's arguments that could name a file, each with the folder it
    is relative to for the child and its command's program: a shell command's words too
    (``sh -c "python scripts/x.py"``, placed after a literal ``cd``: ``run/landing.py``),
    the value of ``--option=FILE``, and the files ``python -m NAME`` runs."""
    words: list[landing.Word] = []
    for text in texts:
        if _SHELL_CHARS.intersection(text.word):
            words += landing.command_words(text.word, text.folder, home)
        else:
            words.append(text)
    tokens = []
    for at, (word, folder, program) in enumerate(words):
        if word == "-m" and at + 1 < len(words):  # python -m NAME: the files it runs
            module = words[at + 1].word.replace(".", "/")
            tokens += [landing.Word(f"{module}.py", folder, program),
                       landing.Word(f"{module}/__main__.py", folder, program)]
        if word.startswith("-"):
            word = word.partition("=")[2]
        elif "=" in word:  # NAME=VALUE: a shell's variable assignment, make's, an option's
            tokens.append(landing.Word(word.partition("=")[2], folder, program))
        if word:
            tokens.append(landing.Word(word, folder, program))
    return [token for token in tokens if token.word]


def _argument_folders(texts: Sequence[str], where: str, top: programs.Start | None
                      ) -> list[landing.Word]:
    """A start's words (program first) with the folder each means to the child: the
    started program's arguments are relative to the folder its wrappers gave it (``env -C
    DIR``), the wrappers' own words to the start's; when the wrappers rewrote the words
    (``env -S``, a ``#!`` line) each word is placed in both folders (leaning to reading)."""
    if not texts:
        return []
    if top is None or top.cwd == where:
        program = top.words[0] if top is not None and top.words else texts[0]
        return [landing.Word(text, where, program) for text in texts]
    tail = len(top.words) - 1
    if tail > 0 and list(texts[-tail:]) == top.words[1:]:
        return [*(landing.Word(t, where, texts[0]) for t in texts[:-tail]),
                *(landing.Word(t, top.cwd, top.words[0]) for t in texts[-tail:])]
    return [landing.Word(t, folder, top.words[0]) for t in texts for folder in (where, top.cwd)]


def _folder_readers(placed: Sequence[landing.Word], env: programs.Environment) -> frozenset[str]:
    """The program words among ``placed`` that read a folder they are given as the files
    below it: every program but the host's own that take a folder as a name
    (:data:`NAMES_ONLY`), Python (a followed child records its own reads; an unfollowed one
    is named) and git (its reads are judged by ``run/git_reads.py``)."""
    readers = set()
    for program in {(token.program, token.folder) for token in placed}:
        word, folder = program
        if not word:
            continue
        start = programs.started([word], env, folder)
        if start is None or start.kind in (programs.PYTHON, programs.GIT):
            continue
        path = programs.which(word, env, folder)
        if start.kind is None and os.path.basename(word) in NAMES_ONLY and (
                path is None or programs.host_program(path)):
            continue
        readers.add(word)
    return frozenset(readers)


def _files_below(folder: str, environment: tuple[str, ...]) -> list[str] | None:
    """The files below ``folder`` (symlinks not followed, as ``cp -r`` and ``tar`` copy a
    link as a link), git's records and the environment's folders left out; None past
    :data:`FOLDER_FILES`."""
    found: list[str] = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git"
                   and not os.path.join(top, d, "").startswith(environment)]
        found += (os.path.join(top, name) for name in files)
        if len(found) > FOLDER_FILES:
            return None
    return found


def _timestamp_pyc(code: CodeType) -> bytes:
    """Bytecode with an empty timestamp header, which ``_cache_bytecode`` re-heads."""
    return MAGIC_NUMBER + bytes(12) + marshal.dumps(code)


def _checked_pyc(source: bytes, marshalled: bytes) -> bytes:
    """A checked hash-based .pyc (PEP 552: flags 0b11, then the source's hash)."""
    return MAGIC_NUMBER + b"\x03\0\0\0" + source_hash(source) + marshalled


# -- the comparison, on the process that judges ----------------------------------------------


def _listed(paths: list[str]) -> str:
    more = f" (+{len(paths) - SHOWN} more)" if len(paths) > SHOWN else ""
    return ", ".join(paths[:SHOWN]) + more


def parse_ls_tree(output: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """``git ls-tree -r -z`` output: path -> blob id, and the submodules' paths."""
    blobs: dict[str, str] = {}
    submodules = []
    for entry in output.split("\0"):
        meta, _, path = entry.partition("\t")
        fields = meta.split(" ")
        if len(fields) != 3 or not path:
            continue
        if fields[1] == "commit":
            submodules.append(path)
        else:
            blobs[path] = fields[2]
    return blobs, tuple(submodules)


def outside_tree(
    seen: CodeSeen,
    toplevel: str,
    blobs: Mapping[str, str],
    submodules: Iterable[str] = (),
) -> list[str]:
    """Why files the run executed or collected from are not the tree the verdict names.

    A file is the tree's when the tree holds it with the very bytes the run read. Files in a
    submodule are named by the submodule's commit (whose own changes ``dirty_submodules``
    reports), not by a blob of this tree.
    """
    root = os.path.realpath(toplevel)
    inside = [prefix.rstrip("/") + "/" for prefix in submodules]
    missing: list[str] = []
    changed: list[str] = []
    for real, blob in sorted(seen.files.items()):
        if real in seen.unverifiable:
            continue
        rel = os.path.relpath(real, root).replace(os.sep, "/")
        if rel.startswith("../") or any(rel.startswith(p) for p in inside):
            continue
        named = blobs.get(rel)
        if named is None:
            missing.append(rel)
        elif named != blob:
            changed.append(rel)
    messages = []
    if missing:
        messages.append(
            "code or data the run imported, collected tests from, read or executed is not "
            "in the tree the verdict names (ignored by git, or created after the run started): "
            f"{_listed(missing)}"
        )
    if changed:
        messages.append(
            "code or data the run imported, collected tests from, read or executed differed, "
            "when it was read, from the tree the verdict names (changed before it was read): "
            f"{_listed(changed)}"
        )
    unverifiable, outside = [], []
    for real, why in sorted(seen.unverifiable.items()):
        rel = unfollowed.placed(real, lambda p: os.path.relpath(p, root).replace(os.sep, "/"))
        read = read_places.read_path(rel)
        if read is not None:
            outside.append(read)
        elif not rel.startswith("../"):
            unverifiable.append(f"{rel} ({why})")
    if unverifiable:
        messages.append(
            "code the run executed cannot be tied to the tree the verdict names: "
            f"{_listed(unverifiable)}"
        )
    if outside:
        messages.append(
            "the project's code read files outside the tree that existed before the run (no "
            "tree holds their bytes, and they decided what the tests did; the tracked "
            f"allow_options = [\"{read_places.ALLOW_PREFIX}FOLDER/\"] vouches for a place): "
            f"{_listed(outside)}")
    return messages
