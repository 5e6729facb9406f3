"""pytest glue of the closed world of code (``run/imported.py``): the recorder is installed
before the first conftest is imported, every collected file is hashed after its collector
ran, and what a process read is a facts record (``run/facts.py``, :class:`CodeFacts`): an
xdist worker ships it with every other record after the recorder's final sweep, and the
controller (or the serial process) folds every worker's into its own: the union, where the
same file read with different bytes by two processes is a finding, not a union.

The verdict stage compares the union with the tree its digest names
(``VerdictWriter._closed_world``); a CI shard does the same before writing its partial.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.durations import now
from pytest_pyramid.run import child, early, env_reads
from pytest_pyramid.run._git import git_env, git_program
from pytest_pyramid.run.env_reads import EnvReads, Sink
from pytest_pyramid.run.facts import register_facts
from pytest_pyramid.run.imported import (
    CodeFacts,
    CodeSeen,
    ImportRecorder,
    find_toplevel,
    recording_now,
    unrecorded,
)
from pytest_pyramid.run.invocation import started_by_run
from pytest_pyramid.run.stash import MODULES_BEFORE_KEY, NESTED_KEY

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping
    from pathlib import Path
    from typing import Any

    from pytest_pyramid.run.workspace import Own

#: what the cut is read with, bound at import (a test module imported before the cut cannot
#: patch them): the cut is the kernel's own time, the clock of the files' times it is compared
#: with. A wall clock read in Python is the tests' to move: time-machine swaps the C function
#: behind ``time.time_ns`` and freezegun rebinds module attributes, both started by a test
#: module's import, before the cut (hostile case 290 moved it to the year 2000, and an ignored
#: marker the tests looked at counted as the run's own output)
_OPEN, _FSTAT, _CLOSE, _UNLINK = os.open, os.fstat, os.close, os.unlink
_TMP = tempfile.gettempdir()


def kernel_now_ns(folder: str | None) -> int:
    """The kernel's time now: the change time of a file made for the purpose (in the run's
    spool folder, else the temporary folder). Falls back to the judgement's own clock
    (``durations.now``: the wall clock read at import, advanced by the monotonic clock)."""
    path = os.path.join(folder or _TMP, f".cut-{os.getpid()}-{id(folder)}")
    try:
        fd = _OPEN(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return int(now() * 1_000_000_000)
    try:
        return _FSTAT(fd).st_ctime_ns
    finally:
        _CLOSE(fd)
        _UNLINK(path)
#: the recorder installed at start-up (``pytest_load_initial_conftests``)
RECORDER_KEY: pytest.StashKey[ImportRecorder] = pytest.StashKey()
#: what every process of the run read, folded on the controller at session end
CODE_KEY: pytest.StashKey[CodeSeen] = pytest.StashKey()
#: the facts record's name (``run/facts.py``)
FACTS_NAME = "code"
#: the workspace's first look (:func:`first_look`): the git-ignored entries that lay under the
#: rootdir before the first conftest was imported, each with its reason
FIRST_LOOK_KEY: pytest.StashKey[dict[str, str]] = pytest.StashKey()
#: the names of the environment variables the project's code read (``run/env_reads.py``)
ENV_READS_KEY: pytest.StashKey[Sink] = pytest.StashKey()
#: their facts record's name
ENV_READS_NAME = "environment_read"


def install(config: pytest.Config, rootpath: Path) -> ImportRecorder:
    """Start watching imports under the repository that holds ``rootpath`` (once)."""
    recorder = config.stash.get(RECORDER_KEY, None)
    if recorder is None:
        root = find_toplevel(str(rootpath)) or str(rootpath)
        if recording_now():  # an in-process run inside another: what is loaded is the outer's
            config.stash[MODULES_BEFORE_KEY] = frozenset(sys.modules)
        recorder = ImportRecorder(root, cache_dir=_cache_dir(config, rootpath),
                                  project=str(rootpath))
        watched = early.watched_from_start()
        recorder.install()
        recorder.adopt_child()  # this process's recorder for the run that started it
        if hasattr(config, "workerinput") and recorder.parent_reporter is not None:
            # an xdist worker is its controller's run: what the controller made is its output
            recorder.run_started_ns = recorder.parent_reporter.started_ns
        recorder.basetemp = _basetemp(config)
        recorder.replay(*early.claim())  # what a -p plugin's import read before this
        if not watched:
            unwatched_imports(recorder)
        # before the run replaces the variable with its own: whether a live recording run
        # started this one (run/invocation.py judges pytest's and xdist's variables by it)
        config.stash[NESTED_KEY] = started_by_run(os.environ.get(early.VARIABLE))
        recorder.follow_children()
        config.stash[RECORDER_KEY] = recorder
        # whenever this config ends, configured or not: pytest calls no pytest_unconfigure
        # for a run that fails in its argument parsing after this (an unknown option, a
        # --strict-config error). Left installed, an in-process run's recorder kept the
        # variable naming its own spool, so every later child of the process reported there,
        # to no run: the outer run no longer saw its own children
        config.add_cleanup(recorder.uninstall)
        # the variables a conftest reads at import count: noted from here on (issue 19 §1)
        sink = config.stash[ENV_READS_KEY] = Sink(recorder.scope.real)
        env_reads.start(sink)
        config.add_cleanup(lambda: env_reads.stop(sink))
        child.follow_forks(sink, recorder)  # a forked child's reads are the run's too
        config.add_cleanup(lambda: child.unfollow_forks(sink))
    return recorder


#: what an unwatched early import is named with (hostile case 178); such a process's starting
#: environment is taken when the plugin starts, after the module ran (``plugin.py:
#: _starting_environ``), so what it set there is not known either (case 296)
UNWATCHED = ("imported before the recorder could watch this process (pytest was not started "
             "as `pytest` or `python -m pytest`, nor by a recording run): what it read at "
             "import is not known, nor what it set in the environment the run took as its "
             "start")


def unwatched_imports(recorder: ImportRecorder) -> None:
    """In a process whose start nothing watched (``pytest.main()`` from a program of one's
    own, a wrapper script of another name), the repository's modules already imported (a
    ``-p`` plugin, the project's package) read what they read at import unseen: each is named,
    unless it is the program itself (``__main__``, run rather than imported). An allow-list:
    the recorder vouches only for what it saw."""
    import sys

    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if name == "__main__" or not isinstance(path, str):
            continue
        real = recorder.scope.real(path)
        if real is not None:
            recorder.seen.unverifiable.setdefault(real, UNWATCHED)


def _cache_dir(config: pytest.Config, rootpath: Path) -> str | None:
    """pytest's cache folder as the project configures it (``cache_dir``, resolved as the
    cache provider does), or None for the default ``.pytest_cache``."""
    import os

    try:
        value = str(config.getini("cache_dir"))
    except ValueError:
        return None
    if not value or value == ".pytest_cache":
        return None
    return str(rootpath / os.path.expanduser(os.path.expandvars(value)))


def uninstall(config: pytest.Config) -> None:
    recorder = config.stash.get(RECORDER_KEY, None)
    if recorder is not None:
        recorder.uninstall()
    sink = config.stash.get(ENV_READS_KEY, None)
    if sink is not None:
        env_reads.stop(sink)


def first_look(config: pytest.Config, table: Mapping[str, Any]) -> None:
    """The workspace's first look, taken before the first conftest is imported (and before
    any test module): the git-ignored entries in the test folders known by then
    (:func:`folders_at_start`), looked at now. A conftest or a test module that looks at a
    marker at import and deletes or touches it ("skip once") did so after this look (hostile
    case 294 c); collection's end takes the second look
    (:meth:`ClosedWorld.pytest_collection_finish`), and the entries of both that lie in the
    test folders are named. Only what was made after this look can be the run's output."""
    recorder = config.stash.get(RECORDER_KEY, None)
    if recorder is None or not os.path.exists(os.path.join(recorder.root, ".git")):
        return  # outside a checkout no commit is named: nothing to hold the tests to
    folders = folders_at_start(config, recorder.root, table)
    if folders:
        config.stash[FIRST_LOOK_KEY] = workspace_look(config, recorder, folders)


def folders_at_start(config: pytest.Config, top: str, table: Mapping[str, Any]
                     ) -> tuple[str, ...]:
    """The test folders as far as they are known before the first conftest (relative to the
    top): the tiers' paths of the raw ``[tool.pyramid]`` table (a tier's default
    ``tests/<name>``), ``testpaths`` and the paths on the command line, widened as at
    collection's end. Not the whole rootdir: git's walk of a large checkout costs hundreds
    of milliseconds. A folder tests are collected from that none of them names (no path on
    the command line, no ``testpaths``, a test outside every tier's path) gets collection's
    look only."""
    from pytest_pyramid.config import BUILTIN_TIERS

    tiers = table.get("tiers")
    tiers = tiers if isinstance(tiers, dict) else {}
    paths: list[str] = []
    for name in {*BUILTIN_TIERS, *tiers}:
        spec = tiers.get(name)
        given = spec.get("paths") if isinstance(spec, dict) else None
        paths.extend(str(path) for path in (given if isinstance(given, list)
                                            else [f"tests/{name}"]))
    named = getattr(config.known_args_namespace, "file_or_dir", None) or []
    here = str(config.invocation_params.dir)
    tests = {os.path.relpath(os.path.join(here, str(arg).split("::")[0]), top).replace(
        os.sep, "/") for arg in named}
    # a path on the command line is a file's folder or a folder (its first folder is kept);
    # the rootdir itself is a test folder only when configured, as at collection's end
    return _configured_folders(config, top, {f"{name}/" for name in tests
                                             if name != "."}, paths)


def workspace_look(config: pytest.Config, recorder: ImportRecorder,
                   folders: tuple[str, ...]) -> dict[str, str]:
    """One look at the workspace (``run/workspace.py``): the git-ignored entries under
    ``folders`` (relative to the top) listed now by the git found before the project's code
    ran, with the process's starting environment (``run/_git.py``), each looked at now
    against the kernel's time of the look. A listing git could not give names the folders as
    not known: missing evidence is never a clean workspace."""
    from pytest_pyramid.run.workspace import candidates, listed, present

    top = recorder.root
    own = _own(config, recorder.started_ns)
    cut_ns = kernel_now_ns(recorder.spool)
    with unrecorded():
        code, out = listed(top, folders, git_env(), git_program())
        if code != 0:
            return {top: (f"the git-ignored files in the test folders could not be listed (git "
                          f"exited {code}): what lay there is not known")}
        return present(top, candidates(out.decode("utf-8", "surrogateescape")), cut_ns, own)


def in_folders(first: dict[str, str], top: str, folders: tuple[str, ...]) -> dict[str, str]:
    """The first look's entries (real paths) that lie in ``folders`` (relative to the top;
    "" is the top), and a first look that failed, which is about every folder."""
    real_top = os.path.realpath(top)

    def kept(path: str) -> bool:
        if path in (top, real_top):
            return True
        name = os.path.relpath(path, real_top).replace(os.sep, "/")
        return any(not folder or name == folder or name.startswith(folder + "/")
                   for folder in folders)

    return {path: why for path, why in first.items() if kept(path)}


class ClosedWorld:
    """Registered in every process of an active run."""

    def __init__(self, recorder: ImportRecorder, *, is_worker: bool,
                 distributed: bool = False) -> None:
        self.recorder = recorder
        self.is_worker = is_worker
        #: an xdist controller: it collects nothing, but imported the conftests first
        self.distributed = distributed
        #: the git-ignored entries lying in the test folders when the tests started, each
        #: with its reason (``run/workspace.py``): listed and looked at before any test runs
        self.lying: dict[str, str] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # every process that collected tests (serial, each worker, each shard) lists them.
        # First, so a worker cuts before xdist's own hook reports its collection: no test of
        # the run starts before every worker's cut. Read here, not beside the tests: a test
        # that touched a file it looked at made it look like the run's output, and a test's
        # patch of subprocess answered for a listing read at the end
        top = self.recorder.root
        if not session.items or not os.path.exists(os.path.join(top, ".git")):
            return  # outside a checkout no commit is named: nothing to hold the tests to
        folders = _test_folders(session, top)
        first = session.config.stash.get(FIRST_LOOK_KEY, {})
        # the union of both looks: what lay there before the first conftest, and what lay
        # there when collection ended (made by a conftest's or a test module's import)
        self.lying = {**in_folders(first, top, folders),
                      **workspace_look(session.config, self.recorder, folders)}

    def _controller_lying(self, config: pytest.Config) -> None:
        """An xdist controller collects nothing, but imported the conftests before any
        worker started: what its first look saw in the configured test folders is named
        too (a conftest that consumed a marker at import did so before any worker looked)."""
        first = config.stash.get(FIRST_LOOK_KEY, None)
        if first and self.distributed and not self.is_worker:
            top = self.recorder.root
            self.lying = in_folders(first, top, _configured_folders(config, top, set()))

    def _ignored_present(self) -> None:
        """Name the git-ignored entries that lay in the test folders when the tests started
        (unverifiable entries of the closed world). A listing git could not give names the
        folders as not known: missing evidence is never a clean workspace."""
        read = self.recorder.seen.files  # a file read is named by what was read: exactly
        for path, why in self.lying.items():
            if path not in read:
                self.recorder.seen.unverifiable.setdefault(path, why)

    @pytest.hookimpl
    def pytest_configure(self, config: pytest.Config) -> None:
        # every process registers the record: workers ship it, the controller absorbs them
        from pytest_pyramid.run.session import facts_registry

        register_facts(facts_registry(config), FACTS_NAME, CodeFacts(self.recorder.seen))
        sink = config.stash.get(ENV_READS_KEY, None)
        if sink is not None:
            register_facts(facts_registry(config), ENV_READS_NAME, EnvReads(sink))

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.File):  # a module's import was already watched
            self.recorder.watch_path(str(collector.path))
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # the final sweep comes first: a worker ships its records after this (trylast, in
        # run/session.py), so what the sweep hashes travels with them. Files opened from here
        # on are the plugin's (gates, the writer), not the tests' inputs
        self.recorder.reading = False
        sink = session.config.stash.get(ENV_READS_KEY, None)
        if sink is not None:  # the gates' and the writer's reads are the plugin's
            env_reads.stop(sink)
        self._controller_lying(session.config)
        self._ignored_present()
        self.recorder.sweep()
        if sink is not None:  # the followed children's reads, judged as this process's own
            for name, caller in self.recorder.env_read:
                sink.note(name, caller)
        from pytest_pyramid.run.stash import CHILDREN_LOADED_KEY

        # the children's modules of the project, for the session's loaded_code (case 202)
        session.config.stash[CHILDREN_LOADED_KEY] = dict(self.recorder.loaded)
        if not self.is_worker:
            session.config.stash[CODE_KEY] = self.recorder.seen


def _basetemp(config: pytest.Config) -> Callable[[], str | None]:
    """The run's basetemp once pytest made it (its ``tmp_path_factory``, which makes it fresh
    for the run: a new numbered folder, or ``--basetemp`` emptied), real and ending in ``/``:
    what lies there is the run's own, whatever its files' times say (hostile case 350)."""
    found: list[str] = []

    def basetemp() -> str | None:
        if not found:
            factory = getattr(config, "_tmp_path_factory", None)
            made = getattr(factory, "_basetemp", None)
            if made is None:
                return None
            found.append(os.path.join(os.path.realpath(made), ""))
        return found[0]

    return basetemp


def _own(config: pytest.Config, started_ns: int) -> Own:
    """What the run keeps in the test folders (``run/workspace.py: Own``), from the host:
    pytest's cache folder as its cache provider resolves it, this plugin's state folder,
    the tag of pytest's rewritten test modules, and when this process's recorder started."""
    from pytest_pyramid.run.workspace import STATE_FOLDER, own_state

    cache = _cache_dir(config, config.rootpath) or str(config.rootpath / ".pytest_cache")
    basetemp = config.getoption("basetemp", None)
    if basetemp and hasattr(config, "workerinput"):  # xdist gives a worker <basetemp>/<id>
        basetemp = os.path.dirname(os.path.abspath(str(basetemp)))
    return own_state((str(config.rootpath / STATE_FOLDER),), pytest.__version__, started_ns,
                     cache, str(basetemp) if basetemp else None)


def _test_folders(session: pytest.Session, top: str) -> tuple[str, ...]:
    """The folders whose ignored entries are named, relative to the top: the test folders
    the arrival rule reads (``run/arrival.py: configured_test_folders``), each widened to
    its first folder below the rootdir, so data beside the tiers (``tests/data`` beside
    ``tests/unit``) is in it."""
    tests = {os.path.relpath(item.path, top).replace(os.sep, "/") for item in session.items}
    return _configured_folders(session.config, top, tests)


def _configured_folders(config: pytest.Config, top: str, tests: set[str],
                        tier_paths: list[str] | None = None) -> tuple[str, ...]:
    """The test folders of :func:`_test_folders`, with the files ``tests`` were collected
    from (relative to the top; none on an xdist controller: the configured folders), and the
    tiers' paths (``tier_paths``, else the run's settings')."""
    from pytest_pyramid.run.arrival import configured_test_folders
    from pytest_pyramid.run.stash import SETTINGS_KEY
    from pytest_pyramid.run.workspace import widened

    if tier_paths is None:
        settings = config.stash.get(SETTINGS_KEY, None)
        tier_paths = [path for spec in settings.tiers.values() for path in spec.paths] \
            if settings is not None else []
    found = configured_test_folders(tier_paths, [str(path) for path in config.getini(
        "testpaths")], str(config.rootpath), top, tests)
    return tuple(sorted({widened(folder, found.prefix) for folder in found.folders}))
