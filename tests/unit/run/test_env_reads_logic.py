"""Environment variables the project's code reads are inputs (``run/env_reads.py``, judged by
``run/invocation.py: read_variable_reasons``; hostile case 265)."""

from __future__ import annotations

import asyncio
import collections
import copy
import enum
import fnmatch
import functools
import json
import os
import pickle
import string
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, cast

import pytest
import yaml

from pytest_pyramid.run import env_reads
from pytest_pyramid.run.invocation import judge_recorded, read_variable_reasons

if TYPE_CHECKING:
    from collections.abc import Callable


@pytest.mark.parametrize(
    ("read", "allow", "named"),
    [
        # hostile 265 b: a job's variable a tracked test skips itself on
        (["SKIP_BROKEN"], [], ["SKIP_BROKEN"]),
        # the project declares it: its own input
        (["SKIP_BROKEN"], ["SKIP_BROKEN"], []),
        # the platform's, each with its reason
        (["HOME", "PATH", "LANG", "LANGUAGE", "LC_ALL", "TZ", "TMPDIR", "CI", "NO_COLOR"],
         [], []),
        # the table's prefixes are judged as set, read or not (run/invocation.py)
        (["PYTEST_XDIST_WORKER", "PYRAMID_RUN_ID", "PYTHONHASHSEED", "LD_PRELOAD"], [], []),
        # sorted, once each, and an allow-listed one left out
        (["FAST_ONLY", "APP_MODE", "FAST_ONLY"], ["APP_MODE"], ["FAST_ONLY"]),
        ([], [], []),
    ],
)
def test_variables_the_tests_read(read: list[str], allow: list[str], named: list[str]) -> None:
    reasons = read_variable_reasons(read, allow)
    assert len(reasons) == len(named), reasons
    for name, reason in zip(named, reasons, strict=True):
        assert reason.startswith(f"environment variable {name} was read by the tests"), reason
        assert f'allow_options = ["{name}"]' in reason


@pytest.mark.parametrize("recorded", [None, "SKIP_BROKEN", {"SKIP_BROKEN": "1"}])
def test_a_record_without_the_reads_is_not_known(recorded: object) -> None:
    """Missing data is never a pass: an older partial, an edited one."""
    assert read_variable_reasons(recorded, []) == [
        "which environment variables the tests read was not recorded: what reached the run "
        "is not known"]


def test_the_merge_judges_a_shards_reads_by_the_same_function() -> None:
    record = {"sources": [], "settings": [], "environment": {}, "environment_later": {},
              "repository": ".",
              "interpreter": {"flags": {}, "warnoptions": []}, "narrowing": {},
              "plugins": [], "plugins_declared": [],
              "environment_read": ["SKIP_BROKEN"]}
    reasons = judge_recorded(record, [])
    assert not any("cannot be read" in r for r in reasons), reasons
    assert [r for r in reasons if "SKIP_BROKEN" in r] == read_variable_reasons(
        ["SKIP_BROKEN"], [])
    assert not any("SKIP_BROKEN" in r for r in judge_recorded(record, ["SKIP_BROKEN"]))


def test_reads_by_name_are_noted_and_copies_are_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way of reading one name is noted, by this file (the project's code here); a copy
    of the whole environment (handed to a child) and a read by code that is not the
    project's are not. Values never: names only."""
    for name in ("ER_ITEM", "ER_GET", "ER_GETENV", "ER_IN", "ER_COPY", "ER_UNSET_IN",
                 "ER_BYTES"):
        monkeypatch.setenv(name, "1")
    before = type(os.environ)  # this suite's own run may be recording already
    sink = env_reads.Sink(lambda path: path if path == __file__ else None)
    env_reads.start(sink)
    try:
        dict(os.environ)
        os.environ.copy()
        _ = {**os.environ}
        list(os.environ.items())
        assert sink.names == set()
        _ = os.environ["ER_ITEM"]
        os.environ.get("ER_GET")
        os.getenv("ER_GETENV")
        _ = "ER_IN" in os.environ
        _ = "ER_NEVER_SET" in os.environ
        os.getenvb(b"ER_BYTES")  # the bytes view of the same variables
        dict(os.environb)
        # code compiled from a text (eval, pytest's skipif strings): the project's (case 343)
        eval('__import__("os").environ.get("ER_EVAL")', {})
    finally:
        env_reads.stop(sink)
    assert type(os.environ) is before
    assert {type(os.environ), type(os.environb)} == {before}
    assert sink.names == {"ER_ITEM", "ER_GET", "ER_GETENV", "ER_IN", "ER_NEVER_SET",
                          "ER_BYTES", "ER_EVAL"}
    # only the names the run's starting environment held are the job's
    started = {"ER_ITEM": "1", "ER_GET": "1", "HOME": "/root"}
    assert env_reads.set_at_start(sink.names, started) == ["ER_GET", "ER_ITEM"]


def test_two_recording_runs_note_into_their_own_sinks() -> None:
    """A test's own in-process run records beside the outer run; the outer run's class swap
    survives the inner run's end."""
    outer = env_reads.Sink(lambda path: path)
    inner = env_reads.Sink(lambda path: None)
    env_reads.start(outer)
    try:
        env_reads.start(inner)
        os.environ.get("ER_BOTH")
        env_reads.stop(inner)
        assert type(os.environ) is env_reads.RecordingEnviron
        os.environ.get("ER_AFTER")
    finally:
        env_reads.stop(outer)
    assert (outer.names, inner.names) == ({"ER_BOTH", "ER_AFTER"}, set())


@pytest.fixture
def deliberate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows below take whole-environment routes on purpose: a run of this suite that
    records (its sinks are already started) does not count this file's reads as its own."""
    for sink in list(env_reads._SINKS):
        monkeypatch.setitem(sink.known, __file__, False)


def _singled_out_from_copy(route: Callable[[], object]) -> set[str]:
    """The names this file (the project's code here) was noted reading by ``route``."""
    sink = env_reads.Sink(lambda path: path if path == __file__ else None)
    env_reads.start(sink)
    try:
        route()
    finally:
        env_reads.stop(sink)
    return {name for name in sink.names if name.startswith("ER_")}


def _library(source: str) -> Callable[[], object]:
    """``source`` as a library's function (compiled under a file that is not the project's)."""
    namespace: dict[str, object] = {"os": os}
    # a library's file (code compiled from text, "<...>", is the project's: case 343)
    exec(compile(f"def route():\n    return {source}\n", "/site-packages/library.py", "exec"),
         namespace)
    return cast("Callable[[], object]", namespace["route"])


def _through_the_harness(route: Callable[[], object]) -> Callable[[], object]:
    """``route`` called by a function of the harness (compiled under a file of pytest's)."""
    namespace: dict[str, object] = {"route": route}
    harness = os.path.join(env_reads._HARNESS[0], "hook.py")
    exec(compile("def call():\n    return route()\n", harness, "exec"), namespace)
    return cast("Callable[[], object]", namespace["call"])


def _in_harness(source: str) -> Callable[[], object]:
    """``source`` run by a function of the harness (compiled under a file of pytest's)."""
    namespace: dict[str, object] = {"os": os, "threading": threading}
    harness = os.path.join(env_reads._HARNESS[0], "hook.py")
    exec(compile(f"def call(*args):\n    return {source}\n", harness, "exec"), namespace)
    return cast("Callable[[], object]", namespace["call"])


def _thread(target: Callable[[], object]) -> None:
    """``target`` (a library callable the project hands over) run in a thread of its own."""
    started = threading.Thread(target=target)
    started.start()
    started.join()


def _pooled(work: Callable[[ThreadPoolExecutor], object]) -> object:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return work(pool)


async def _in_executor() -> object:
    return await asyncio.get_running_loop().run_in_executor(None, os.getenv, "ER_SKIP")


#: the harness submits a read to a pool (``args[0]``)
_HARNESS_SUBMITS = "args[0].submit(os.getenv, args[1]).result()"


def _pool_shared(first: str, then: str) -> object:
    """A pool of one thread: ``first`` submits the work that starts it, ``then`` submits
    after ("project" or "harness")."""
    def submit(who: str, name: str) -> object:
        if who == "harness":
            return _in_harness(_HARNESS_SUBMITS)(pool, name)  # type: ignore[call-arg]
        return pool.submit(os.getenv, name).result()

    with ThreadPoolExecutor(max_workers=1) as pool:
        submit(first, "ER_OTHER")
        return submit(then, "ER_SKIP")


class Key(str, enum.Enum):
    SKIP = "ER_SKIP"


#: every variable the rows set; ER_SKIP is the one each route singles out
_SET = ("ER_SKIP", "ER_SKIP_TOO", "ER_OTHER")
_ALL = set(_SET)
_PREFIX = {"ER_SKIP", "ER_SKIP_TOO"}


@pytest.mark.parametrize(
    ("route", "named"),
    [
        # a copy looked up by name: the name (the copy's keys are the environment's names)
        (lambda: os.environ.copy().get("ER_SKIP"), {"ER_SKIP"}),
        (lambda: dict(os.environ)["ER_SKIP"], {"ER_SKIP"}),
        (lambda: {**os.environ}.get("ER_SKIP"), {"ER_SKIP"}),
        (lambda: dict(os.environ, X="1").get("ER_SKIP"), {"ER_SKIP"}),
        (lambda: (os.environ | {"X": "1"}).get("ER_SKIP"), {"ER_SKIP"}),
        (lambda: copy.deepcopy(os.environ.copy()).get("ER_SKIP"), {"ER_SKIP"}),
        (lambda: dict(os.environb).get(b"ER_SKIP"), {"ER_SKIP"}),
        # iterated, then compared or looked up in a list or set
        (lambda: [v for k, v in os.environ.items() if k == "ER_SKIP"], {"ER_SKIP"}),
        (lambda: "ER_SKIP" in list(os.environ.keys()), {"ER_SKIP"}),
        (lambda: "ER_SKIP" in set(iter(os.environ)), {"ER_SKIP"}),
        (lambda: any(k != "ER_SKIP" for k in os.environ if k == "ER_SKIP"), {"ER_SKIP"}),
        (lambda: os.environ[Key.SKIP], {"ER_SKIP"}),  # a str subclass's name: its text
        # a prefix or substring test that holds picks the names it kept, no other
        (lambda: {k for k in os.environ if k.startswith("ER_SKIP")}, _PREFIX),
        (lambda: [k for k in os.environb if b"SKIP" in k], _PREFIX),
        # a text derived from a handed name: the recorder cannot follow it (every name)
        (lambda: {k.lower(): v for k, v in os.environ.items()}.get("er_skip"), _ALL),
        (lambda: {f"{k}" for k in os.environ}, _ALL),
        # the raw table and the whole environment's values or text: every name present
        (lambda: os.environ._data.get(b"ER_SKIP"), _ALL),  # type: ignore[attr-defined]
        (lambda: vars(os.environ)["_data"].get(b"ER_SKIP"), _ALL),
        (lambda: __import__(os.name).environ.get(b"ER_SKIP"), _ALL),
        (lambda: "1" in os.environ.values(), _ALL),
        (lambda: "ER_SKIP=" in repr(os.environ), _ALL),
        # a copy handed on unread (to a child, pickled), the environment put back, and a
        # library's copy and lookup: nothing
        (lambda: subprocess.run([sys.executable, "-c", "pass"], check=True,
                                env={**os.environ.copy(), "X": "1"}), set()),
        (lambda: pickle.loads(pickle.dumps(dict(os.environ)))["ER_SKIP"], set()),
        (lambda: os.environ.update(dict(os.environ)), set()),
        # handed to a serialiser, as without the plugin: PyYAML's exact-type representers
        # write a handed name as its text, json's C encoder takes it as it is
        (lambda: yaml.safe_load(yaml.safe_dump(dict(os.environ))), set()),
        (lambda: yaml.dump(os.environ.copy(), Dumper=yaml.Dumper), set()),
        (lambda: json.loads(json.dumps(dict(os.environ))), set()),
        (lambda: sorted(os.environ.copy().items()), set()),
        # a library called by the harness (pytest, pluggy, this plugin): its own reads
        (_through_the_harness(_library('os.environ.copy()["ER_SKIP"]')), set()),
        (_through_the_harness(_library('[k for k in os.environ if k == "ER_SKIP"]')), set()),
        (_through_the_harness(_library('os.environ.get("ER_SKIP")')), set()),
        (_through_the_harness(functools.partial(os.path.expandvars, "$ER_SKIP")), set()),
        # a read in a worker thread is whoever's started the thread or submitted the work
        # (case 390): the project's code hands a library callable over; a library's copy
        # there reads every name, as in the project's own thread
        (lambda: _pooled(lambda pool: pool.submit(os.getenv, "ER_SKIP").result()), {"ER_SKIP"}),
        (lambda: _pooled(lambda pool: list(pool.map(os.getenv, ["ER_SKIP"]))), {"ER_SKIP"}),
        (lambda: asyncio.run(_in_executor()), {"ER_SKIP"}),
        (lambda: _thread(functools.partial(os.environ.get, "ER_SKIP")), {"ER_SKIP"}),
        (lambda: _thread(functools.partial(_thread, functools.partial(os.getenv, "ER_SKIP"))),
         {"ER_SKIP"}),  # a thread the project's thread's library target started
        (lambda: _pooled(lambda pool: pool.submit(dict, os.environ).result()), _ALL),
        # a pool's thread runs whoever's work is submitted: the work item says whose
        (lambda: _pool_shared("harness", "project"), {"ER_SKIP"}),
        (lambda: _pool_shared("project", "harness"), {"ER_OTHER"}),  # the project's only
        # the harness's threads: its own
        (_in_harness('(lambda t: (t.start(), t.join()))(threading.Thread(target=os.getenv, '
                     'args=("ER_SKIP",)))'), set()),
        # a library called by the project's code reads for it (cases 311, 340): by name, the
        # name; an iteration whose names the library's own code handles, every name
        (_library('os.environ.get("ER_SKIP")'), {"ER_SKIP"}),
        (lambda: os.path.expandvars("${ER_SKIP}"), {"ER_SKIP"}),
        (lambda: string.Template("$ER_SKIP").safe_substitute(os.environ), {"ER_SKIP"}),
        (lambda: collections.ChainMap(os.environ, {"ER_SKIP": ""})["ER_SKIP"], {"ER_SKIP"}),
        (lambda: string.Template("$ER_SKIP").substitute(os.environ.copy()), {"ER_SKIP"}),
        (lambda: fnmatch.filter(os.environ, "ER_SKIP"), _ALL),
        (_library('os.environ.copy()["ER_SKIP"]'), _ALL),
        (_library('[k for k in os.environ if k == "ER_SKIP"]'), _ALL),
        # a library handed a copy the project made: a lookup it makes in it is the name
        (lambda: _library("None")() or collections.ChainMap(dict(os.environ))["ER_SKIP"],
         {"ER_SKIP"}),
    ],
)
@pytest.mark.usefixtures("deliberate")
def test_reads_through_a_copy_or_the_raw_table(
    monkeypatch: pytest.MonkeyPatch, route: Callable[[], object], named: set[str],
) -> None:
    """A copy of the environment still records (its names are the environment's): singled
    out by the project's code, a name is noted; a route the recorder cannot follow counts as
    reading every name; a copy only handed on notes nothing (docs/verdict.md)."""
    for name in _SET:
        monkeypatch.setenv(name, "1")
    assert _singled_out_from_copy(route) == named


@pytest.mark.usefixtures("deliberate")
def test_a_library_gets_plain_names_and_the_raw_table_is_given_back() -> None:
    """Only the project's code gets the environment's names (a library's strict serialiser
    sees plain ``str``); the interpreter's module holds its table again after the run."""
    raw = __import__(os.name)
    before = type(os.environ)  # this suite's own run may be recording already
    sink = env_reads.Sink(lambda path: path if path == __file__ else None)
    env_reads.start(sink)
    try:
        library = _library("[type(k) for k in os.environ.copy()]")()
        own = {type(k) for k in os.environ.copy()}
        assert "environ" not in vars(raw)
    finally:
        env_reads.stop(sink)
    assert set(cast("list[type]", library)) == {str}
    assert own == {env_reads.HandedName}
    assert type(os.environ) is before
    assert raw.environ is env_reads._INSTANCE(os.environ)["_data"]
    assert ("__getattr__" in vars(raw)) is (before is env_reads.RecordingEnviron)


@pytest.mark.parametrize(("caller", "own"), [
    ("<skipif condition>", True),  # pytest's string condition: the project's mark (case 343)
    ("<string>", True),  # eval/exec of a text: who wrote it is not known
    ("<frozen os>", False),  # the table's machinery
    ("/usr/lib/python3.11/os.py", False),  # outside the project's tree (accepts says None)
])
def test_code_compiled_from_text_reads_for_the_project(caller: str, own: bool) -> None:
    sink = env_reads.Sink(lambda path: None)
    assert sink.owns(caller) is own


def _chain(files: list[str]) -> Callable[[], str]:
    """Functions compiled under ``files`` (innermost first), each calling the next inward;
    the innermost answers whom a read made there is attributed to."""
    namespace: dict[str, object] = {"asker": env_reads.asker, "frame": sys._getframe}
    inner = "lambda: asker(frame())"
    for depth, file in enumerate(files):
        exec(compile(f"def f{depth}():\n    return ({inner})()\n", file, "exec"), namespace)
        inner = f"f{depth}"
    return cast("Callable[[], str]", namespace[inner])


_REPO = "/repo/"
_TEST = "/repo/tests/test_a.py"
_LIB = "/usr/lib/python3/posixpath.py"


@pytest.mark.parametrize(("files", "attributed"), [
    ([_TEST], _TEST),  # the project's own read: no walk
    ([_LIB, _TEST], _TEST),  # os.path.expandvars for the test
    ([_LIB, "/venv/site-packages/click/core.py", "/repo/conftest.py"], "/repo/conftest.py"),
    ([_LIB, "<frozen importlib._bootstrap>", _TEST], _TEST),  # at a test module's import
    ([_LIB, "<skipif condition>"], "<skipif condition>"),  # a string condition (case 343)
    # the harness between: its read, whatever project frame lies further out
    ([_LIB, "{harness}python.py", _TEST], _LIB),
    (["{harness}monkeypatch.py", _TEST], "{harness}monkeypatch.py"),
    (["{plugin}run/invocation.py", _TEST], "{plugin}run/invocation.py"),
    ([_LIB, "/usr/lib/python3/threading.py"], _LIB),  # no project frame: the reader's
])
@pytest.mark.usefixtures("deliberate")
def test_a_read_belongs_to_the_nearest_project_frame(files: list[str], attributed: str) -> None:
    def place(file: str) -> str:
        return file.format(harness=env_reads._HARNESS[0], plugin=env_reads._PLUGIN_DIR)

    sink = env_reads.Sink(lambda path: path if path.startswith(_REPO) else None)
    env_reads.start(sink)
    try:
        got = _chain([place(f) for f in files])()
    finally:
        env_reads.stop(sink)
    assert got == place(attributed)


@pytest.mark.usefixtures("deliberate")
def test_a_known_scan_reads_only_its_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib's proxy scan (``urlopen``, requests) for the project: the proxy variables, not
    every name it lowers on its way."""
    import urllib.request

    for name in (*_SET, "ER_HTTP_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    assert _singled_out_from_copy(urllib.request.getproxies) == {"ER_HTTP_PROXY"}
    assert _singled_out_from_copy(
        _through_the_harness(urllib.request.getproxies)) == set()
