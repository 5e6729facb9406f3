"""Flaky on arrival, end to end: real pytest runs on a real git branch (serial, ``-n 2``,
two CI shards and ``pyramid merge``). The tests whose file changed since ``main`` are
repeated before their logged run; one that fails on its third attempt blocks the change
as flaky on arrival, a stable newcomer passes with its flake rate bounded, and a test whose
file did not change is run once."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from pytest_pyramid.run.arrival import attempts_needed
from tests.git_repo import commit, git, init_repo

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import MakeProject, ReadVerdict

OLD = """
    def test_old():
        pass
"""
NEW = """
    import os, pathlib

    def _attempt(name):
        counter = pathlib.Path(os.environ["MARKS"]) / name
        number = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(number))
        return number

    def test_new_stable():
        _attempt("stable")

    def test_new_flaky():
        # nondeterministic as far as one attempt can tell: only the third attempt fails
        assert _attempt("flaky") != 3, "the third attempt failed"
"""
EVASIVE = """
import pytest

_calls = []


def test_new_evasive():
    # skips the first time it runs in a process, so a repeat before the logged run skips
    _calls.append(1)
    if len(_calls) == 1:
        pytest.skip("not on the first call")
"""
IGNORE = ("pyramid-verdict*\npyramid-partial*\npyramid-results*\n__pycache__/\n.coverage*\n"
          "ledger.db\n")


@pytest.fixture
def branch(pytester: pytest.Pytester, make_project: MakeProject, tmp_path_factory: Any,
           monkeypatch: pytest.MonkeyPatch) -> Path:
    """``main`` holds test_old; the checked-out branch adds test_new (committed)."""
    make_project(
        """
        default_tier = "unit"
        [tool.pyramid.tiers.unit]
        paths = ["tests/unit"]
        budget = "10m"
        [tool.pyramid.flaky]
        arrival_share = 1.0
        """,
        **{"tests/unit/test_old.py": OLD, ".gitignore": IGNORE},
    )
    init_repo(pytester.path, message="main")
    git(pytester.path, "checkout", "-qb", "feature")
    (pytester.path / "tests/unit/test_new.py").write_text(
        "\n".join(line[4:] for line in NEW.splitlines()) + "\n")
    commit(pytester.path, "new tests")
    monkeypatch.setenv("MARKS", str(tmp_path_factory.mktemp("marks")))
    monkeypatch.chdir(pytester.path)
    return pytester.path


def run(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], route: str) -> None:
    if route == "shards-2":
        for index in (1, 2):
            pytester.runpytest("--pyramid-diff-base=main", f"--pyramid-shard={index}/2")
        capsys.readouterr()
        assert pyramid(["merge", "--run-id", "arrival", "--diff-base", "main", "."]) != 3
        assert "Traceback" not in capsys.readouterr().err
    else:
        pytester.runpytest("--pyramid-diff-base=main", *(["-n", "2"] if route == "n2" else []))


@pytest.mark.parametrize("route", ["serial", "n2", "shards-2"])
def test_a_changed_test_that_fails_on_its_third_attempt_blocks_the_change(
    pytester: pytest.Pytester, branch: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], route: str,
) -> None:
    run(pytester, capsys, route)
    verdict = read_verdict()
    gate = next(g for g in verdict["gates"] if g["id"] == "tests.flaky_on_arrival")
    assert gate["status"] == "fail", gate
    assert verdict["decision"] == "blocked"
    assert "test_new.py::test_new_flaky (3 repeat(s), 1 failed, then passed)" in gate["message"]
    rows = {row["nodeid"].rpartition("::")[2]: row for row in gate["details"]["tests"]}
    assert set(rows) == {"test_new_flaky", "test_new_stable"}  # test_old did not change
    assert rows["test_new_flaky"]["contradiction"] is True
    stable = rows["test_new_stable"]
    needed = attempts_needed(0.1)
    assert (stable["repeats"], stable["failed"], stable["contradiction"]) == (needed, 0, False)
    assert stable["upper_bound"] < 0.1
    # repeats are not tests: three tests, each counted once, all passed in their logged run
    unit = verdict["tiers"]["unit"]
    assert (unit["collected"], unit["passed"], unit["failed"]) == (3, 3, 0)


def test_a_stable_change_passes_with_its_bound_and_an_unchanged_test_runs_once(
    pytester: pytest.Pytester, branch: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    (branch / "tests/unit/test_new.py").write_text(
        "def test_new_stable():\n    pass\n")  # the working tree counts: uncommitted change
    pytester.runpytest("--pyramid-diff-base=main", "--pyramid-history=ledger.db")
    verdict = read_verdict()
    gate = next(g for g in verdict["gates"] if g["id"] == "tests.flaky_on_arrival")
    assert gate["status"] == "pass", gate
    assert gate["message"].startswith("1 test(s) changed since main, none contradicted itself")
    written = json.loads((branch / "pyramid-verdict.results.json").read_text())["tests"]
    results = {r["nodeid"].rpartition("::")[2]: r for r in written}
    assert results["test_new_stable"]["arrival"] == {"repeats": attempts_needed(0.1),
                                                     "failed": 0, "skipped": 0}
    assert "arrival" not in results["test_old"]
    # the repeats are attempts in the flake ledger, before the logged run's one
    with closing(sqlite3.connect(branch / "ledger.db")) as db:
        attempts = dict(db.execute(
            "SELECT nodeid, COUNT(*) FROM pyramid_attempts GROUP BY nodeid").fetchall())
    assert attempts == {"tests/unit/test_new.py::test_new_stable": attempts_needed(0.1) + 1,
                        "tests/unit/test_old.py::test_old": 1}


def test_a_changed_test_that_skips_when_repeated_is_not_left_unjudged(
    pytester: pytest.Pytester, branch: Path, read_verdict: ReadVerdict,
) -> None:
    (branch / "tests/unit/test_new.py").write_text(EVASIVE)
    pytester.runpytest("--pyramid-diff-base=main")
    verdict = read_verdict()
    gate = next(g for g in verdict["gates"] if g["id"] == "tests.flaky_on_arrival")
    assert (gate["status"], verdict["decision"]) == ("fail", "blocked"), gate
    assert ("test_new.py::test_new_evasive (0 repeat(s), 0 failed, then a repeat skipped, "
            "then passed)") in gate["message"]


def test_without_a_base_nothing_is_repeated_and_the_gate_is_not_listed(
    pytester: pytest.Pytester, branch: Path, read_verdict: ReadVerdict,
) -> None:
    pytester.runpytest()
    verdict = read_verdict()
    assert "tests.flaky_on_arrival" not in {g["id"] for g in verdict["gates"]}
    assert verdict["decision"] == "ready", verdict["reasons"]


def test_asked_for_without_a_base_is_not_evaluated_naming_why(
    pytester: pytest.Pytester, branch: Path, read_verdict: ReadVerdict,
) -> None:
    pyproject = branch / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("arrival_share = 1.0",
                                                       "arrival_share = 1.0\narrival = true"))
    pytester.runpytest()
    gate = next(g for g in read_verdict()["gates"] if g["id"] == "tests.flaky_on_arrival")
    assert gate["status"] == "not_evaluated"
    assert gate["message"].startswith("no base revision to find the tests changed since")
