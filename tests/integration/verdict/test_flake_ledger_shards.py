"""A retried CI shard's attempts reach the flake ledger truly: real shard runs, ``pyramid
merge``, ``pyramid report --history`` and ``pyramid flaky report``. A test that passed in the
replaced try and failed in the retry is a contradiction; a test that passed in both is two
attempts, not one; a rerun inside the replaced try is kept before that try's last attempt"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

from pytest_pyramid.cli import main as pyramid
from tests.git_repo import init_repo

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tests.conftest import MakeProject

TESTS = """
    import os, pathlib

    def test_turns():  # passes in the first try of the shard, fails in its retry
        assert os.environ.get("RETRY") != "1", "failed in the retry"

    def test_steady():
        assert True

    def test_rerun():  # the first try's first attempt fails, its rerun passes
        mark = pathlib.Path(os.environ["MARKS"]) / "rerun"
        if os.environ.get("RETRY") != "1" and not mark.exists():
            mark.touch()
            raise AssertionError("first attempt failed")
"""
IGNORE = "pyramid-*\n/try1/\nledger.db\nrunpytest-*\n__pycache__/\n.coverage*\n/stdout\n/stderr\n"
UNIT = "tests/unit/test_shop.py::"


def test_a_retried_shard_s_attempts_are_each_in_the_ledger(
    pytester: pytest.Pytester, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str],
) -> None:
    make_project('default_tier = "unit"\nallow_options = ["MARKS", "RETRY"]\n',
                 addopts="--reruns 1",
                 **{"tests/unit/test_shop.py": TESTS, ".gitignore": IGNORE})
    root: Path = pytester.path
    init_repo(root)
    monkeypatch.setenv("MARKS", str(tmp_path_factory.mktemp("marks")))
    monkeypatch.setenv("PYRAMID_RUN_ID", "ci-7")  # one CI run: the retry shares its id
    monkeypatch.chdir(root)
    first = pytester.runpytest_subprocess("--pyramid-shard=1/1")
    assert first.ret == 0, first.stdout.str()
    (root / "try1").mkdir()
    (root / "pyramid-partial-1-of-1.json").rename(root / "try1/pyramid-partial-1-of-1.json")
    monkeypatch.setenv("RETRY", "1")
    retry = pytester.runpytest_subprocess("--pyramid-shard=1/1")
    assert retry.ret == 1, retry.stdout.str()

    assert pyramid(["merge", "try1", "pyramid-partial-1-of-1.json"]) == 1  # a test failed
    verdict = json.loads((root / "pyramid-verdict.json").read_text())
    assert verdict["shards"]["retried"] == [1]
    records = {r["nodeid"].removeprefix(UNIT): r for r in json.loads(
        (root / "pyramid-verdict.results.json").read_text())["tests"]}
    shape = {name: (r["outcome"], r.get("reruns", 0),
                    [(a["outcome"], a["where"], a.get("shard_try")) for a in
                     r["earlier_attempts"]]) for name, r in records.items()}
    assert shape == {
        # the retry's own rerun (--reruns 1) follows the replaced try's attempt
        "test_turns": ("failed", 1, [("passed", "shard retry", 1), ("failed", "rerun", None)]),
        "test_steady": ("passed", 0, [("passed", "shard retry", 1)]),
        "test_rerun": ("passed", 1, [("failed", "rerun", 1), ("passed", "shard retry", 1)]),
    }
    assert all(a["duration_s"] >= 0 for r in records.values() for a in r["earlier_attempts"])

    capsys.readouterr()
    assert pyramid(["report", "pyramid-verdict.json", "--history", "ledger.db"]) == 0
    with closing(sqlite3.connect(root / "ledger.db")) as db:
        rows = db.execute("SELECT nodeid, outcome, duration_s IS NOT NULL FROM pyramid_attempts "
                          "ORDER BY nodeid, attempt").fetchall()
    assert [(n.removeprefix(UNIT), o, d) for n, o, d in rows] == [
        ("test_rerun", "fail", 1), ("test_rerun", "pass", 1), ("test_rerun", "pass", 1),
        ("test_steady", "pass", 1), ("test_steady", "pass", 1),
        ("test_turns", "pass", 1), ("test_turns", "fail", 1), ("test_turns", "fail", 1),
    ]
    capsys.readouterr()
    assert pyramid(["flaky", "report", "--history", "ledger.db", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    flaky = {t["nodeid"].removeprefix(UNIT): t for t in report["flaky"]}
    assert sorted(flaky) == ["test_rerun", "test_turns"]  # each a pass and a fail on one tree
    assert flaky["test_turns"]["evidence"] == ["ci-7"]
    assert (flaky["test_turns"]["runs"], flaky["test_turns"]["first_failures"]) == (1, 0)
    assert report["broken"] == []
