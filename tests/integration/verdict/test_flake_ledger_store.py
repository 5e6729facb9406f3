"""The flake ledger's storage (``verdict/ledger.py``): attempts from the results records,
a run appended twice held once, and the verdict's section read from only the failing rows
equal to the section over every row."""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING, Any, cast

from pytest_pyramid.gates.flakes import Policy, section
from pytest_pyramid.verdict.ledger import append_run, ledger_section, load_runs, run_of

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.verdict.records import ResultRecord


def verdict(number: int, tree: str | None = None) -> dict[str, Any]:
    return {"run_id": f"run-{number}", "tree": {"digest": tree or f"tree-{number}"},
            "branch": "main", "created_at": f"2026-12-06T10:{number:02d}:00Z"}


def record(nodeid: str, outcome: str, reruns: int = 0, tier: str = "unit") -> ResultRecord:
    entry: ResultRecord = {"nodeid": nodeid, "tier": tier, "outcome": outcome,
                           "setup_s": 0.25, "call_s": 0.5, "teardown_s": 0.25}
    if reruns:
        entry["reruns"] = reruns
    return entry


def test_one_row_per_attempt_and_a_run_appended_twice_is_held_once(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    append_run(db, verdict(1), [record("a", "passed", 1), record("b", "skipped")])
    append_run(db, verdict(1), [record("a", "passed", 2), record("b", "failed")])
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT nodeid, attempt, outcome, duration_s FROM pyramid_attempts "
                            "ORDER BY nodeid, attempt").fetchall()
        runs = conn.execute("SELECT run_id, tree, branch FROM pyramid_ledger_runs").fetchall()
    # a version 1 record's reruns have no duration (earlier_attempts carry theirs)
    assert rows == [("a", 1, "fail", None), ("a", 2, "fail", None), ("a", 3, "pass", 1.0),
                    ("b", 1, "fail", 1.0)]
    assert runs == [("run-1", "tree-1", "main")]
    (run,) = load_runs(db, 10)
    assert run.tests == {"a": ("unit", ("fail", "fail", "pass")), "b": ("unit", ("fail",))}


def test_a_missing_ledger_is_empty(tmp_path: Path) -> None:
    assert load_runs(tmp_path / "none.db", 10) == []
    assert ledger_section(tmp_path / "none.db", Policy())["tests"] == []


def test_the_section_from_failing_rows_equals_the_section_from_every_row(
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    db = tmp_path / "history.db"
    names = [f"tests/t{i}.py::t" for i in range(40)]
    rates = {names[0]: 0.3, names[1]: 0.1, names[2]: 0.5}
    for number in range(1, 26):
        entries = []
        for name in names:
            first = rng.random() < rates.get(name, 0.0) or (number == 19 and rng.random() < 0.9)
            if name == names[3] and number > 20:  # broken since run 21
                entries.append(record(name, "failed", 1))
            elif first:
                entries.append(record(name, "passed" if rng.random() > 0.2 else "failed", 1))
            else:
                entries.append(record(name, "passed"))
        append_run(db, verdict(number, tree=f"tree-{number // 2}"), entries)
    # the run being judged: a test that never failed before fails now
    current = run_of(verdict(26), [record(n, "failed", 1) if n in (names[3], names[5])
                                   else record(n, "passed") for n in names])
    policy = Policy(window=10)
    every = [*load_runs(db, 100), current]
    expected = section(every, policy)
    assert ledger_section(db, policy, current) == expected
    tests = cast("list[dict[str, Any]]", expected["tests"])
    listed = {t["nodeid"]: t for t in tests}
    assert listed[names[5]]["runs"] == 9  # 10 in the window, one an outage
    assert listed[names[3]]["status"] == "broken"
    assert "run-19" in expected["outages"]  # type: ignore[operator]
