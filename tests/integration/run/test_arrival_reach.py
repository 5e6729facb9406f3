"""Flaky on arrival, reached by a changed support file (hostile cases 159 and 168), end to
end: real pytest runs on a real git branch. No test file and no conftest changes; the branch
changes a fixture plugin module ``pytest_plugins`` loads (now flaky), a helper module a test
module imports, and the data file that parametrises a test (adding the id ``test_case[new]``,
which did not exist at the base). Each was read while collecting, so every collected test
arrives, says why, and the flaky fixture blocks the change (serial, ``-n 2``, two shards and
``pyramid merge``). A changed file first read while a test ran reaches tests the run cannot
name: the gate says it could not tell, naming the file and the test; one a child process
read makes the run incomplete, naming it."""

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
CHILD = """
import os, pathlib, subprocess, sys

def test_child():
    # a Python child the run started reads the data: the recorder sees it at the session's end
    data = pathlib.Path(__file__).parent / "child.txt"
    code = "import os; print(open(os.environ['DATA']).read())"  # no file named in its words
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "DATA": str(data)})
    assert done.stdout.strip()
"""
IGNORE = "pyramid-verdict*\npyramid-partial*\npyramid-results*\n__pycache__/\n.coverage*\n"


@pytest.fixture
def project(pytester: pytest.Pytester, make_project: MakeProject, tmp_path_factory: Any,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    """``main`` holds the suite; the checked-out ``feature`` branch changes nothing yet."""
    make_project(
        """
        default_tier = "unit"
        [tool.pyramid.tiers.unit]
        paths = ["tests/unit"]
        budget = "10m"
        [tool.pyramid.risk]
        base = "main"
        [tool.pyramid.flaky]
        arrival_share = 1.0
        """,
        ini='testpaths = ["tests"]\npythonpath = ["tests"]\n',
        **{".gitignore": IGNORE,
           "tests/conftest.py": 'pytest_plugins = ["reach_fixtures"]\n',
           "tests/reach_fixtures.py": FIXTURES,
           "tests/reach_helpers.py": "def value():\n    return 1\n",
           "tests/unit/cases.json": '["old"]\n',
           "tests/unit/test_reach.py": TESTS,
           "tests/unit/test_late.py": LATE,
           "tests/unit/late.txt": "a\n"},
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
                         "test_late"}
    reached = ["reached by tests/reach_fixtures.py", "reached by tests/reach_helpers.py",
               "reached by tests/unit/cases.json"]
    assert rows["test_case[new]"]["why"] == reached
    assert rows["test_case[new]"]["repeats"] == 29
    # late.txt was first read by test_late's first repeat: named, not reached by collection
    assert rows["test_late"]["why"] == [*reached, "read while it ran: tests/unit/late.txt"]


def test_a_changed_file_first_read_while_a_test_ran_is_named_as_could_not_tell(
    pytester: pytest.Pytester, project: Path, read_verdict: ReadVerdict,
) -> None:
    git(project, "checkout", "-q", "main")  # a test on main whose child reads a data file
    (project / "tests/unit/test_child.py").write_text(CHILD)
    (project / "tests/unit/child.txt").write_text("a\n")
    commit(project, "main: a child reads child.txt")
    git(project, "checkout", "-q", "feature")
    git(project, "merge", "-q", "--ff-only", "main")
    (project / "tests/unit/late.txt").write_text("b\n")
    (project / "tests/unit/child.txt").write_text("b\n")
    commit(project, "data files read at run time")
    pytester.runpytest()
    verdict = read_verdict()
    # read by a child, the data reaches tests no one can name: the run cannot vouch for them
    assert verdict["decision"] == "incomplete", verdict["reasons"]
    assert [p["message"].split(" changed")[0] for p in verdict["completeness"]
            if p["kind"] == "arrival"] == ["tests/unit/child.txt"]
    gate = _gate(verdict)
    assert gate["status"] == "not_evaluated", gate
    assert ("could not tell which tests 1 changed support file(s) reach: tests/unit/late.txt "
            "(first read while tests/unit/test_late.py::test_late ran)") in gate["message"]
    assert gate["details"]["untold"] == {
        "tests/unit/late.txt": "tests/unit/test_late.py::test_late"}
    # the test that read it was not repeated: it arrived too late, and says why
    rows = {row["nodeid"].rpartition("::")[2]: row for row in gate["details"]["tests"]}
    assert list(rows) == ["test_late"]
    assert (rows["test_late"]["repeats"], rows["test_late"]["why"]) == (
        0, ["read while it ran: tests/unit/late.txt"])
    written = json.loads((project / "pyramid-verdict.results.json").read_text())["tests"]
    late = next(r for r in written if r["nodeid"].endswith("::test_late"))
    assert late["arrival"]["why"] == ["read while it ran: tests/unit/late.txt"]
