"""Issue 19 section 2, hostile round 4 cases 137 and 142: the closed world reaches processes the
plugin is not loaded in, through the distribution's ``.pth`` line (``run/early.py``).

- 137: a ``multiprocessing`` ``spawn`` child, and a Python program a test runs, read a
  git-ignored file: the run is ``incomplete``, naming each file.
- 142: a tracked ``-p`` plugin (the project's own ``addopts``) reads git-ignored settings at
  import, before pytest loads the recorder: ``incomplete``, naming the file.
- The variable is the plugin's own (``run/invocation.py``): set from outside it is ignored
  safely, neither hiding a child's read nor making an honest run incomplete.
- A Python child ``subprocess`` starts with ``os.posix_spawn`` (Python 3.13's usual way) is
  one child: ``python <unreported>`` named a one-test project under ``-n 2`` on 3.13.
- 202: a Python child started outside the checkout imports the project's package from a
  stale copy there: ``foreign_code``, as the run's own process would say (the control: a
  child importing the tree's copy leaves the run ``ready``).

Real runs in a fresh interpreter each (``runpytest_subprocess``): the ``.pth`` line runs at
interpreter start only.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.invocation import SET_BY_PYTEST
from tests.integration.run.test_closed_world import closed_world

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import ReadVerdict

MODES = [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]

CHILDREN = {
    "tests/unit/test_children.py": """
        import json
        import multiprocessing
        import subprocess
        import sys
        from pathlib import Path

        DATA = Path(__file__).parents[1] / "data"

        def load(path):
            return json.loads(Path(path).read_text())["answer"]

        def test_spawned_child():
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                assert pool.apply(load, (str(DATA / "spawned.json"),)) == 42

        def test_python_child():
            reader = Path(__file__).parents[1] / "reader.py"
            out = subprocess.run([sys.executable, str(reader), str(DATA / "child.json")],
                                 capture_output=True, text=True, check=True).stdout
            assert out.strip() == "42"

        def test_python_child_by_posix_spawn():
            # close_fds=False and no cwd: subprocess starts it with os.posix_spawn, as
            # Python 3.13 starts most children (one start, two audit events)
            reader = Path(__file__).parents[1] / "reader.py"
            out = subprocess.run([sys.executable, str(reader), str(DATA / "child.json")],
                                 close_fds=False, capture_output=True, text=True,
                                 check=True).stdout
            assert out.strip() == "42"

        def test_python_child_imports_the_trees_package():
            out = subprocess.run([sys.executable, "-c", "from mypkg.core import add; "
                                  "print(add(40, 2))"], cwd=Path(__file__).parents[2],
                                 capture_output=True, text=True, check=True).stdout
            assert out.strip() == "42"
    """,
    "mypkg/__init__.py": "",
    "mypkg/core.py": "def add(a, b):\n    return a + b\n",
    "tests/reader.py": """
        import json, sys
        print(json.load(open(sys.argv[1]))["answer"])
    """,
}
#: case 142: the project's own plugin (tracked addopts) reads settings at import
PLUGIN = {
    "tests/__init__.py": "",
    "tests/localplugin.py": """
        import json
        from pathlib import Path
        import pytest

        SETTINGS = json.loads((Path(__file__).parent / "local.json").read_text())

        @pytest.fixture
        def answer():
            return SETTINGS["answer"]
    """,
    "tests/unit/test_answer.py": "def test_answer(answer):\n    assert answer == 42\n",
}
#: hostile round 6: a Python child started without the run's variable follows nothing (175),
#: and the project's own code reading git's records (187): both named, in the ignored run only
UNSEEN = {
    "tests/unit/test_unseen.py": """
        import os
        import subprocess
        import sys
        from pathlib import Path

        def test_python_child_without_the_variable():
            out = subprocess.run([sys.executable, "-c", "print(42)"], capture_output=True,
                                 env={"PATH": os.environ["PATH"]}, text=True, check=True)
            assert out.stdout.strip() == "42"

        def test_git_records_read_directly():
            assert (Path(__file__).parents[2] / ".git" / "HEAD").read_text().strip()

        def test_python_child_outside_the_checkout_imports_a_stale_copy():
            import shutil, tempfile
            stale = Path(tempfile.mkdtemp(prefix="pyramid-202-"))  # outside the repository
            try:
                (stale / "mypkg").mkdir()
                (stale / "mypkg" / "__init__.py").write_text("")
                (stale / "mypkg" / "core.py").write_text("def add(a, b):\\n    return a + b\\n")
                out = subprocess.run([sys.executable, "-c", "from mypkg.core import add; "
                                      "print(add(40, 2))"], cwd=stale,
                                     capture_output=True, text=True, check=True).stdout
                assert out.strip() == "42"
            finally:
                shutil.rmtree(stale)
    """,
}
DATA = {"tests/data/spawned.json": '{"answer": 42}', "tests/data/child.json": '{"answer": 42}',
        "tests/local.json": '{"answer": 42}'}
#: what a value set from outside looks like: a spool that a child would report to instead
#: pytester's own files of a subprocess run are not code (test_closed_world.BASE's)
BASE_IGNORED = "pyramid-verdict*\n__pycache__/\n/stdout\n/stderr\n/runpytest-current\n"
FORGED = {"spool": "/nonexistent", "root": "/", "project": "/", "started_ns": 0}


def make(project: Callable[..., Path], *, ignored: bool) -> None:
    """The project of both cases; ``ignored``: its data and settings are not committed."""
    files = {**CHILDREN, **PLUGIN}
    if ignored:
        files[".gitignore"] = BASE_IGNORED + "tests/data/\ntests/local.json\n"
        files.update(UNSEEN)
    else:
        files.update(DATA)
    project(files, later=DATA if ignored else None, ini='pythonpath = ["."]\n',
            addopts="-p tests.localplugin")


def run(pytester: pytest.Pytester, *args: str) -> None:
    result = pytester.runpytest_subprocess("-p", "no:randomly", *args)
    assert result.ret == 0, result.stdout.str()


@pytest.mark.parametrize("mode", MODES)
def test_reads_the_recorder_was_not_loaded_for_are_named(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch, mode: tuple[str, ...],
) -> None:
    """Case 137 (a spawn child), a Python child, and case 142 (a ``-p`` plugin's import,
    before the recorder loads: kept from the interpreter's start and judged as any read). A
    value of the variable from outside (the serial row) sends nothing elsewhere: the run
    replaces it for its children. Round 6: a Python child started with an environment
    without the variable (175) and a read of ``.git/HEAD`` by a test (187) are named."""
    make(project, ignored=True)
    if not mode:
        monkeypatch.setenv("PYRAMID_RECORD_SPOOL", json.dumps(FORGED))
    run(pytester, *mode)
    verdict = read_verdict()
    assert verdict["decision"] == "incomplete"
    named = " ".join(closed_world(verdict))
    assert "tests/data/spawned.json" in named
    assert "tests/data/child.json" in named
    assert "tests/local.json" in named
    assert "python <unrecorded> (run as a program of its own (a Python interpreter" in named
    assert ".git/HEAD (read from git's object store directly by the project's own" in named
    foreign = " ".join(p["message"] for p in verdict["completeness"]
                       if p["kind"] == "foreign_code")
    assert re.search(r"mypkg\.core was imported from /\S*/pyramid-202-\w+/mypkg/core\.py, "
                     "not from the project's source", foreign), foreign


def test_the_same_reads_of_tracked_files_are_ready(
    pytester: pytest.Pytester, project: Callable[..., Path], read_verdict: ReadVerdict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: the same reads of committed files leave the run ``ready``, with the
    variable set from outside too (it is the plugin's own, allowed). It names no live run,
    so the run is a top-level one: as in a CI job, pytest's and xdist's own variables (this
    test's, inherited) are not there (case 203: from outside they are judged)."""
    make(project, ignored=False)
    monkeypatch.setenv("PYRAMID_RECORD_SPOOL", json.dumps(FORGED))
    for name in SET_BY_PYTEST:
        monkeypatch.delenv(name, raising=False)
    run(pytester)
    verdict = read_verdict()
    assert verdict["decision"] == "ready", verdict["completeness"]
