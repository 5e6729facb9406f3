"""Flaky on arrival, reached by a changed support file (hostile cases 159, 168 and 189 d), end
to end: real pytest runs on a real git branch. No test file and no conftest changes; the
branch changes a fixture plugin module ``pytest_plugins`` loads (now flaky), a helper module a
test module imports, the data file that parametrises a test (adding the id
``test_case[new]``, which did not exist at the base), a data file a test reads while it runs,
and one a test module reads through libc (``ctypes``: no audit event, so the recorder never
sees the read). Every collected test arrives with each, says why, and the flaky fixture blocks
the change (serial, ``-n 2``, two shards and ``pyramid merge``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from tests.git_repo import commit, git, init_repo

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

FIXTURES = """
import pytest

@pytest.fixture
def resource():
    return 1
"""
FLAKY_FIXTURES = """
import os, pathlib
import pytest

@pytest.fixture
def resource():
    counter = pathlib.Path(os.environ["MARKS"]) / "resource"
    number = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(number))
    assert number != 3, "the third call fails"
    return 1
"""
TESTS = """
import json, pathlib
import pytest
from reach_helpers import value

CASES = json.loads((pathlib.Path(__file__).parent / "cases.json").read_text())

def test_fixture(resource):
    assert resource == 1

def test_helper():
    assert value() == 1

@pytest.mark.parametrize("name", CASES)
def test_case(name):
    assert name
"""
LATE = """
import pathlib

def test_late():
    # read while the test runs, not at import: which tests read it is known only as they run
    assert (pathlib.Path(__file__).parent / "late.txt").read_text()
"""
C_READ = """
import ctypes, ctypes.util, pathlib

def _read(path):
    # C code opening a file itself (numpy.fromfile, an extension, PIL): no audit event
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    fd = libc.open(str(path).encode(), 0)
    buf = ctypes.create_string_buffer(64)
    count = libc.read(fd, buf, 64)
    libc.close(fd)
    return buf.raw[:count]

EXPECTED = _read(pathlib.Path(__file__).parent / "expected.bin")

def test_c_read():
    assert EXPECTED
"""
IGNORE = "pyramid-verdict*\npyramid-partial*\npyramid-results*\n__pycache__/\n.coverage*\n"


@pytest.fixture
def project(pytester: pytest.Pytester, make_project: MakeProject, tmp_path_factory: Any,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    """``main`` holds the suite; the checked-out ``feature`` branch changes nothing yet."""
    make_project(
        """
        default_tier = "unit"
        allow_options = ["MARKS"]  # the test's own counter folder: the project's input
        [tool.pyramid.tiers.unit]
        paths = ["tests/unit"]
        budget = "10m"
        [tool.pyramid.risk]
        base = "main"
        [tool.pyramid.flaky]
        arrival_share = 1.0
        arrival_bound = 0.5
        """,
        ini='testpaths = ["tests"]\npythonpath = ["tests"]\n',
        **{".gitignore": IGNORE,
           "tests/conftest.py": 'pytest_plugins = ["reach_fixtures"]\n',
           "tests/reach_fixtures.py": FIXTURES,
           "tests/reach_helpers.py": "def value():\n    return 1\n",
           "tests/unit/cases.json": '["old"]\n',
           "tests/unit/test_reach.py": TESTS,
           "tests/unit/test_late.py": LATE,
           "tests/unit/late.txt": "a\n",
           "tests/unit/test_c_read.py": C_READ,
           "tests/unit/expected.bin": "a\n",
           "tests/unit/gone.txt": "a\n"},
    )
    init_repo(pytester.path, message="main")
    git(pytester.path, "checkout", "-qb", "feature")
    monkeypatch.setenv("MARKS", str(tmp_path_factory.mktemp("marks")))
    monkeypatch.chdir(pytester.path)
    return pytester.path


def _gate(verdict: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(g for g in verdict["gates"]
                                 if g["id"] == "tests.flaky_on_arrival")
    return found


@pytest.mark.parametrize("route", ["serial", "n2", "shards-2"])
def test_a_changed_fixture_plugin_helper_or_data_file_makes_the_tests_it_reaches_arrive(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], route: str,
) -> None:
    (project / "tests/reach_fixtures.py").write_text(FLAKY_FIXTURES)
    (project / "tests/reach_helpers.py").write_text("def value():\n    return 2 - 1\n")
    (project / "tests/unit/cases.json").write_text('["old", "new"]\n')
    (project / "tests/unit/late.txt").write_text("b\n")
    (project / "tests/unit/expected.bin").write_text("b\n")
    (project / "tests/unit/gone.txt").unlink()  # deleted: nothing can read it, no reason
    commit(project, "support files only")
    if route == "shards-2":
        for index in (1, 2):
            pytester.runpytest(f"--pyramid-shard={index}/2")
        capsys.readouterr()
        assert pyramid(["merge", "--run-id", "reach", "--diff-base=main", "."]) != 3
        assert "Traceback" not in capsys.readouterr().err
    else:
        pytester.runpytest(*(["-n", "2"] if route == "n2" else []))
    verdict = read_verdict()
    gate = _gate(verdict)
    assert (gate["status"], verdict["decision"]) == ("fail", "blocked"), gate
    assert "test_reach.py::test_fixture (3 repeat(s), 1 failed, then passed)" in gate["message"]
    rows = {row["nodeid"].rpartition("::")[2]: row for row in gate["details"]["tests"]}
    # every collected test arrived, the id new on this branch too (168), each saying why
    assert set(rows) == {"test_fixture", "test_helper", "test_case[old]", "test_case[new]",
                         "test_late", "test_c_read"}
    # read while collecting, or not seen read by then (189 d: by C code; late.txt: later)
    reached = ["reached by tests/reach_fixtures.py", "reached by tests/reach_helpers.py",
               "reached by tests/unit/cases.json", "may read: tests/unit/expected.bin",
               "may read: tests/unit/late.txt"]
    assert rows["test_case[new]"]["why"] == reached
    assert rows["test_c_read"]["why"] == reached
    assert rows["test_case[new]"]["repeats"] == rows["test_c_read"]["repeats"] == 5
    # late.txt was first read by test_late's first repeat: it says so too
    assert rows["test_late"]["why"] == [*reached, "read while it ran: tests/unit/late.txt"]
    written = json.loads((project / "pyramid-verdict.results.json").read_text())["tests"]
    late = next(r for r in written if r["nodeid"].endswith("::test_late"))
    assert late["arrival"]["why"] == rows["test_late"]["why"]
