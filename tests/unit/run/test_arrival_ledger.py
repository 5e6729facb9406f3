"""Which tests the flake ledger holds, read by the run stage (``run/arrival.ledger_seen``)
from a ledger the verdict stage wrote (``verdict/ledger.append_run``): one set of table
names, read-only, and a ledger with no run sets no "new" rule."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.run.arrival import ledger_seen
from pytest_pyramid.verdict.ledger import append_run

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.verdict.records import ResultRecord


def _record(nodeid: str, outcome: str = "passed") -> ResultRecord:
    return {"nodeid": nodeid, "tier": "unit", "outcome": outcome, "setup_s": 0.0,
            "call_s": 0.1, "teardown_s": 0.0}


def _verdict(run_id: str) -> dict[str, object]:
    return {"run_id": run_id, "tree": {"digest": "d1"}, "branch": "main",
            "created_at": "2026-01-01T00:00:00Z"}


def test_the_ledger_holds_every_test_of_every_run_it_was_fed(tmp_path: Path) -> None:
    ledger = tmp_path / "history.db"
    append_run(ledger, _verdict("r1"), [_record("t.py::a"), _record("t.py::b", "failed")])
    append_run(ledger, _verdict("r2"), [_record("t.py::a"), _record("t.py::c")])
    before = ledger.read_bytes()
    assert ledger_seen(ledger) == frozenset({"t.py::a", "t.py::b", "t.py::c"})
    assert ledger.read_bytes() == before  # read-only: the run changes nothing in it


def test_a_ledger_that_holds_no_run_sets_no_rule(tmp_path: Path) -> None:
    assert ledger_seen(tmp_path / "absent.db") is None
    history = tmp_path / "old-history.db"  # a history file from before the ledger
    with closing(sqlite3.connect(history)) as db, db:
        db.execute("CREATE TABLE pyramid_runs (run_id TEXT)")
    assert ledger_seen(history) is None
    empty = tmp_path / "empty.db"
    append_run(empty, _verdict("r1"), [_record("t.py::a")])
    with closing(sqlite3.connect(empty)) as db, db:
        db.execute("DELETE FROM pyramid_ledger_runs")
    assert ledger_seen(empty) is None
    assert not (tmp_path / "absent.db").exists()  # reading an absent ledger creates none


def test_a_file_that_is_no_ledger_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "history.db"
    bad.write_text("not a database, " * 200)
    with pytest.raises(ValueError, match=r"history\.db: cannot read the flake ledger: "):
        ledger_seen(bad)


def test_a_ledger_from_before_the_tests_table_is_read_from_its_attempts_and_filled_once(
    tmp_path: Path,
) -> None:
    ledger = tmp_path / "history.db"
    append_run(ledger, _verdict("r1"), [_record("t.py::a"), _record("t.py::b")])
    with closing(sqlite3.connect(ledger)) as db, db:
        db.execute("DROP TABLE pyramid_ledger_tests")  # as an older version wrote it
    assert ledger_seen(ledger) == frozenset({"t.py::a", "t.py::b"})
    append_run(ledger, _verdict("r2"), [_record("t.py::c")])
    with closing(sqlite3.connect(ledger)) as db:
        listed = {row[0] for row in db.execute("SELECT nodeid FROM pyramid_ledger_tests")}
    assert listed == {"t.py::a", "t.py::b", "t.py::c"}
    assert ledger_seen(ledger) == frozenset(listed)
