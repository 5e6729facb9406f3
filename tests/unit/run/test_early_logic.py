"""``run/early.py``, the ``.pth`` line's module: which command lines are pytest runs, the events
kept before the recorder takes over, and the one set of watched events."""

from __future__ import annotations

import json
import os
import sys

import pytest

from pytest_pyramid.run import early, imported, invocation


@pytest.mark.parametrize(("argv", "expected"), [
    (["/venv/bin/python", "/venv/bin/pytest", "-q"], True),
    (["python", "/venv/bin/py.test"], True),
    (["python", "C:/venv/Scripts/pytest.exe"], True),
    (["python", "-m", "pytest", "-x"], True),
    (["python", "-mpytest", "--basetemp=/tmp/x"], True),
    (["python", "-Im", "pytest"], True),
    (["python", "-X", "importtime", "-W", "error", "-m", "pytest"], True),
    (["python", "-Xdev", "-m", "pytest"], True),
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
    stdlib = os.path.join(sys.base_prefix, "lib", "json", "__init__.py")
    early._keep("open", (stdlib, "r", os.O_RDONLY))
    early._keep("import", ("json", None, [], [], []))
    early._keep("import", ("ext", "/repo/ext.so", [], [], []))
    early._keep("import", ("rel", "ext.so", [], [], []))
    kept, _ = early.claim()
    assert [args[1] for _, args in kept] == ["/repo/ext.so", os.path.join(os.getcwd(), "ext.so")]


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
