"""Flaky on arrival, end to end: real pytest runs on a real git branch (serial, ``-n 2``,
two CI shards and ``pyramid merge``). The tests whose file changed since ``main``, or that
the flake ledger holds no attempt of, are repeated before their logged run; one that fails
on its third attempt blocks the change as flaky on arrival, a stable newcomer passes with
its flake rate bounded, and a test whose file did not change is run once."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.cli import main as pyramid
from pytest_pyramid.run.arrival import attempts_needed
from pytest_pyramid.verdict.ledger import append_run
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
        allow_options = ["MARKS"]  # the test's own counter folder: the project's input
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


def run(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], route: str,
        *args: str) -> None:
    """One run by ``route``, finding arrivals by ``args`` (a base, a ledger; the merge is
    given the base only when the shards were: it has no ledger of its own)."""
    if route == "shards-2":
        for index in (1, 2):
            pytester.runpytest(*args, f"--pyramid-shard={index}/2")
        capsys.readouterr()
        base = [f"--diff-base={a.partition('=')[2]}" for a in args
                if a.startswith("--pyramid-diff-base=")]
        assert pyramid(["merge", "--run-id", "arrival", *base, "."]) != 3
        assert "Traceback" not in capsys.readouterr().err
    else:
        pytester.runpytest(*args, *(["-n", "2"] if route == "n2" else []))


def _seed(ledger: Path, *nodeids: str) -> None:
    """A ledger that has seen ``nodeids`` once, written by the product's own writer."""
    append_run(ledger, {"run_id": "seed", "tree": {"digest": "seed"}, "branch": "main",
                        "created_at": "2026-01-01T00:00:00Z"},
               [{"nodeid": n, "tier": "unit", "outcome": "passed", "setup_s": 0.0,
                 "call_s": 0.0, "teardown_s": 0.0} for n in nodeids])


def _gate(verdict: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(g for g in verdict["gates"]
                                 if g["id"] == "tests.flaky_on_arrival")
    return found


@pytest.mark.parametrize("route", ["serial", "n2", "shards-2"])
def test_a_changed_test_that_fails_on_its_third_attempt_blocks_the_change(
    pytester: pytest.Pytester, branch: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], route: str,
) -> None:
    run(pytester, capsys, route, "--pyramid-diff-base=main")
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
    assert gate["message"].startswith(
        "1 test(s) changed since main (or reached by a changed file) or new to the flake "
        "ledger, none contradicted itself")
    written = json.loads((branch / "pyramid-verdict.results.json").read_text())["tests"]
    results = {r["nodeid"].rpartition("::")[2]: r for r in written}
    assert results["test_new_stable"]["arrival"] == {
        "repeats": attempts_needed(0.1), "failed": 0, "skipped": 0,
        "why": ["changed: tests/unit/test_new.py"]}
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


@pytest.mark.parametrize("route", ["serial", "n2", "shards-2"])
def test_without_a_base_a_test_new_to_the_ledger_is_repeated_and_blocks(
    pytester: pytest.Pytester, branch: Path, read_verdict: ReadVerdict,
    capsys: pytest.CaptureFixture[str], route: str,
) -> None:
    """No base anywhere (the merge has no ledger either: it judges the partials' rows): the
    ledger has seen test_old and test_new_stable, so only test_new_flaky arrives."""
    _seed(branch / "ledger.db", "tests/unit/test_old.py::test_old",
          "tests/unit/test_new.py::test_new_stable")
    run(pytester, capsys, route, "--pyramid-history=ledger.db")
    verdict = read_verdict()
    gate = _gate(verdict)
    assert (gate["status"], verdict["decision"]) == ("fail", "blocked"), gate
    assert gate["message"].startswith("1 test(s) new to the flake ledger (no change read: "
                                      "no base revision"), gate["message"]
    assert "test_new.py::test_new_flaky (3 repeat(s), 1 failed, then passed)" in gate["message"]
    assert [row["nodeid"] for row in gate["details"]["tests"]] == [
        "tests/unit/test_new.py::test_new_flaky"]
    # nothing incomplete: the read of the ledger (gitignored, in the repository) is not named
    assert verdict["completeness"] == [], verdict["completeness"]


def test_without_a_base_or_a_ledger_run_nothing_is_repeated_and_the_first_run_seeds_it(
    pytester: pytest.Pytester, branch: Path, read_verdict: ReadVerdict,
) -> None:
    """An absent ledger sets no "new" rule (every test would be new: run/arrival.py)."""
    pytester.runpytest("--pyramid-history=ledger.db")
    verdict = read_verdict()
    assert "tests.flaky_on_arrival" not in {g["id"] for g in verdict["gates"]}
    assert verdict["decision"] == "ready", verdict["reasons"]
    with closing(sqlite3.connect(branch / "ledger.db")) as db:
        attempts = dict(db.execute(
            "SELECT nodeid, COUNT(*) FROM pyramid_attempts GROUP BY nodeid").fetchall())
    assert attempts == {f"tests/unit/test_{name}": 1 for name in (
        "old.py::test_old", "new.py::test_new_stable", "new.py::test_new_flaky")}


def test_a_ledger_that_cannot_be_read_stops_the_run_naming_it(
    pytester: pytest.Pytester, branch: Path,
) -> None:
    (branch / "ledger.db").write_text("not a database, " * 200)
    result = pytester.runpytest("--pyramid-history=ledger.db")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: pytest-pyramid: --pyramid-history: */ledger.db: "
                                 "cannot read the flake ledger: *"])
    assert "Traceback" not in result.stderr.str()


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
