"""``run/early.py``, the ``.pth`` line's module: which command lines are pytest runs, the events
kept before the recorder takes over, and the one set of watched events."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run import early, imported, invocation

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(("argv", "expected"), [
    (["/venv/bin/python", "/venv/bin/pytest", "-q"], True),
    (["python", "/venv/bin/py.test"], True),
    (["python", "C:/venv/Scripts/pytest.exe"], True),
    (["python", "-m", "pytest", "-x"], True),
    (["python", "-mpytest", "--basetemp=/tmp/x"], True),
    (["python", "-Im", "pytest"], True),
    (["python", "-X", "importtime", "-W", "error", "-m", "pytest"], True),
    (["python", "-Xdev", "-m", "pytest"], True),
    (["python", "-m", "pytest.__main__", "-q"], True),  # pytest's own module (case 178)
    (["python", "-B", "--check-hash-based-pycs", "always", "-m", "pytest"], False),
    (["python", "-m", "pytest_pyramid.cli", "check"], False),
    (["python", "-m", "pytestx"], False),
    (["python", "-c", "import pytest; pytest.main()"], False),
    (["python", "-c", "from multiprocessing.spawn import spawn_main", "-m", "pytest"], False),
    (["python", "tools/run_pytest.py"], False),
    (["python", "/work/pytest/script.py"], False),
    (["/venv/bin/pyramid", "check"], False),
    (["python"], False),
    (["python", "-"], False),
], ids=lambda value: " ".join(value) if isinstance(value, list) else str(value))
def test_is_pytest(argv: list[str], expected: bool) -> None:
    assert early.is_pytest(argv) is expected


def test_the_hook_watches_every_event_the_recorder_dispatches() -> None:
    dispatched = {"open", imported._IMPORT_EVENT, *imported._TIMES_EVENTS,
                  *imported._READ_EVENTS, *imported._EXEC_EVENTS}
    assert dispatched == early.WATCHED


@pytest.fixture
def keeping(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A fresh buffer in this module's state (the real hook is untouched)."""
    state = {**early._state, "buffer": [], "lost": 0, "forward": None}
    monkeypatch.setattr(early, "_state", state)
    return state


def test_a_relative_name_is_kept_with_the_folder_it_was_opened_in(
        keeping: dict[str, object]) -> None:
    early._keep("open", ("local.json", "r", os.O_RDONLY))
    early._keep("open", ("/abs/file", "r", os.O_RDONLY))
    early._keep("open", (3, "r", os.O_RDONLY))
    kept, lost = early.claim()
    assert [args[0] for _, args in kept] == [
        os.path.join(os.getcwd(), "local.json"), "/abs/file", 3]
    assert lost == 0
    assert early.claim() == ([], 0)  # claimed once: nothing is kept after


def test_the_installations_files_and_plain_imports_are_not_kept(
        keeping: dict[str, object]) -> None:
    """The recorder sets the interpreter's installation aside: start-up's many opens of the
    standard library and site-packages are not kept; an extension module's file is."""
    stdlib = os.path.join(os.path.dirname(os.__file__), "json", "__init__.py")
    early._keep("open", (stdlib, "r", os.O_RDONLY))
    early._keep("import", ("json", None, [], [], []))
    early._keep("import", ("ext", "/repo/ext.so", [], [], []))
    early._keep("import", ("rel", "ext.so", [], [], []))
    # under the prefix but not the installation's: a project in /usr/src/app (case 181)
    app = os.path.join(sys.base_prefix, "src", "app", "local.json")
    early._keep("open", (app, "r", os.O_RDONLY))
    kept, _ = early.claim()
    assert [args[1] for _, args in kept[:2]] == [
        "/repo/ext.so", os.path.join(os.getcwd(), "ext.so")]
    assert [args[0] for _, args in kept[2:]] == [app]


def test_past_the_limit_events_are_counted_not_kept(
        keeping: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(early, "BUFFER_LIMIT", 2)
    for name in ("/a", "/b", "/c", "/d"):
        early._keep("open", (name, "r", os.O_RDONLY))
    kept, lost = early.claim()
    assert len(kept) == 2
    assert lost == 2


def test_unwatched_and_discarded_events_are_not_kept(keeping: dict[str, object]) -> None:
    early._hook("object.__getattr__", (object(), "__code__"))
    early._hook("open", ("/kept", "r", os.O_RDONLY))
    early.discard()
    early._hook("open", ("/dropped", "r", os.O_RDONLY))
    assert early.claim() == ([], 0)


def test_the_lost_events_make_the_recorder_name_the_start_up(tmp_path: os.PathLike[str]) -> None:
    recorder = imported.ImportRecorder(str(tmp_path), environment=())
    recorder.replay([], lost=7)
    assert "7 events past" in recorder.seen.unverifiable[os.path.realpath(tmp_path)]


@pytest.mark.parametrize("value", [
    "", "not json", "[]", json.dumps({"spool": "/x"}),
    json.dumps({"spool": "/nonexistent-spool", "root": "/", "started_ns": 0}),
    json.dumps({"spool": "/", "root": "/", "started_ns": "soon"}),
])
def test_a_value_that_is_not_a_running_runs_follows_nothing(value: str) -> None:
    assert imported.follow_child(value) is None


def test_the_variable_is_the_plugins_own_and_not_recorded() -> None:
    """Classified in the invocation table (outcome-preserving: a run replaces it), and left
    out of the recorded environment: the run's own value names a spool folder of this
    machine."""
    assert invocation.RECORD_VARIABLE == early.VARIABLE
    assert invocation.ENVIRONMENT[early.VARIABLE][0] == invocation.OUTCOME
    environ = {early.VARIABLE: "{}", "PYTEST_ADDOPTS": "-q", "HOME": "/root"}
    assert invocation.environment_of(environ) == {"PYTEST_ADDOPTS": "-q"}


def test_a_process_nothing_watched_names_the_repositorys_modules_imported_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Case 178: pytest started by another name (a wrapper script, ``pytest.main()`` from a
    program of one's own) imported a ``-p`` plugin before the recorder: what it read at import
    is not known, so it is named; the program itself (``__main__``) and modules outside the
    repository are not. A pytest command line or a followed child was watched from its start."""
    from types import ModuleType

    from pytest_pyramid.run.closed_world import UNWATCHED, unwatched_imports

    plugin, program = tmp_path / "tests/localplugin.py", tmp_path / "run_tests.py"
    plugin.parent.mkdir()
    for path in (plugin, program):
        path.write_text("")
    for name, path in (("tests.localplugin", plugin), ("__main__", program),
                       ("elsewhere", tmp_path.parent / "elsewhere.py")):
        module = ModuleType(name)
        module.__file__ = str(path)
        monkeypatch.setitem(sys.modules, name, module)
    recorder = imported.ImportRecorder(str(tmp_path), environment=())
    unwatched_imports(recorder)
    assert recorder.seen.unverifiable == {str(plugin.resolve()): UNWATCHED}
    for state, watched in (({"buffer": None, "child": False}, False),
                           ({"buffer": [], "child": False}, True),
                           ({"buffer": None, "child": True}, True)):
        monkeypatch.setattr(early, "_state", {**early._state, **state})
        assert early.watched_from_start() is watched


def test_the_starting_environment_is_the_interpreter_start_s_and_the_first_run_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # hostile case 296: a -p plugin imported at pytest's pre-parse, before any hook of the
    # plugin, set the run identity; the copy is taken at interpreter start (the .pth line)
    monkeypatch.setattr(early, "_state", {**early._state, "started": False, "environ": None,
                                          "environ_claimed": False})
    monkeypatch.setattr(sys, "orig_argv", ["python", "-c", "pass"])  # no hook installed
    monkeypatch.setenv("PYRAMID_SIGNING_KEY", "secret")
    monkeypatch.setenv("PYRAMID_RUN_ID", "the-job")
    early.start()
    monkeypatch.setenv("PYRAMID_RUN_ID", "plugin-run")
    claimed = early.claim_environ()
    assert (claimed or {}).get("PYRAMID_RUN_ID") == "the-job"
    assert "PYRAMID_SIGNING_KEY" not in (claimed or {})  # never kept: a test could read the copy
    # a second run in the same process (pytester's in-process run) did not start with it
    assert early.claim_environ() is None
    assert (early.environ_at_start() or {}).get("PYRAMID_RUN_ID") == "the-job"
