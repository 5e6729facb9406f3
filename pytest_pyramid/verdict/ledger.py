"""The flake ledger: every test's attempts across runs, in the run history's SQLite file.

Fed from the per-test results file a verdict references (``results_file.py``), when the run
history is appended (``--pyramid-history`` / ``pyramid report --history``): nothing is added
to the per-test hot path. One row per attempt: run id, node id, tier, attempt number, outcome
(``pass``/``fail``) and duration; and one row per node id ever appended (the tests table:
which tests are new to the ledger, read at start-up without a scan of every attempt). A
record's attempts are read by ``flakes.attempts_of``, in the order they ran: a retried CI
shard's replaced tries (the merge keeps them, ``run/summary.py: retried_attempts``), an
arriving test's repeats (run/arrival.py; no durations), the in-run reruns
(pytest-rerunfailures), then the last. A results file of version 1 has no per-attempt
record: its ``reruns`` are failed attempts of unknown duration. A retried CI shard is a run
of the same tree digest, so its tries meet in the contradiction rule.

The table names and the rule for a test new to the ledger are the run stage's
(``run/arrival.py``: the repeater reads which tests the ledger holds, before any test runs).

Appending the same run id again (the report step after the test step, a retried job)
replaces that run's rows: the ledger holds each run once. The rules are ``flakes.py``.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING, Any

from pytest_pyramid.gates.flakes import FAIL, LedgerRun, Policy, attempts_of, section
from pytest_pyramid.run.arrival import LEDGER_ATTEMPTS as _ATTEMPTS
from pytest_pyramid.run.arrival import LEDGER_RUNS as _RUNS
from pytest_pyramid.run.arrival import LEDGER_TESTS as _TESTS
from pytest_pyramid.verdict.history import HistoryError, run_key

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence
    from pathlib import Path

    from pytest_pyramid.verdict.records import ResultRecord

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {_RUNS} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    tree TEXT,
    branch TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {_ATTEMPTS} (
    run_id TEXT NOT NULL,
    nodeid TEXT NOT NULL,
    tier TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    duration_s REAL,
    PRIMARY KEY (run_id, nodeid, attempt)
);
CREATE TABLE IF NOT EXISTS {_TESTS} (
    nodeid TEXT PRIMARY KEY
) WITHOUT ROWID;
"""


def run_of(verdict: Mapping[str, Any], records: Sequence[ResultRecord]) -> LedgerRun:
    """The ledger's view of one run: its identity and every record's attempts."""
    return _run_and_durations(verdict, records)[0]


def _run_and_durations(
    verdict: Mapping[str, Any], records: Sequence[ResultRecord]
) -> tuple[LedgerRun, dict[str, tuple[float | None, ...]]]:
    tree = verdict.get("tree") or {}
    digest = tree.get("digest") if isinstance(tree, dict) else None
    branch = verdict.get("branch")
    tests: dict[str, tuple[str, tuple[str, ...]]] = {}
    durations: dict[str, tuple[float | None, ...]] = {}
    for entry in records:
        attempts = attempts_of(entry)
        tests[entry["nodeid"]] = (entry["tier"], tuple(kind for kind, _ in attempts))
        durations[entry["nodeid"]] = tuple(seconds for _, seconds in attempts)
    run = LedgerRun(
        run_id=run_key(verdict),
        tree=digest if isinstance(digest, str) and digest else None,
        branch=branch if isinstance(branch, str) and branch else None,
        tests=tests,
    )
    return run, durations


def append_run(path: Path, verdict: Mapping[str, Any], records: Sequence[ResultRecord]) -> None:
    """Add the run's attempts, replacing any rows the same run id already has."""
    run, durations = _run_and_durations(verdict, records)
    rows = [
        (run.run_id, nodeid, tier, number, outcome, durations[nodeid][number - 1])
        for nodeid, (tier, attempts) in run.tests.items()
        for number, outcome in enumerate(attempts, start=1)
    ]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path, timeout=10)) as db, db:
            listed = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                "name = ?", (_TESTS,)).fetchone()
            db.executescript(_SCHEMA)
            if not listed:  # a ledger from before the tests table: its attempts fill it once
                db.execute(f"INSERT OR IGNORE INTO {_TESTS} SELECT DISTINCT nodeid "
                           f"FROM {_ATTEMPTS}")
            db.execute(
                f"INSERT INTO {_RUNS} (run_id, tree, branch, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(run_id) DO UPDATE SET tree = excluded.tree, "
                "branch = excluded.branch, created_at = excluded.created_at",
                (run.run_id, run.tree, run.branch, str(verdict.get("created_at", ""))),
            )
            db.execute(f"DELETE FROM {_ATTEMPTS} WHERE run_id = ?", (run.run_id,))
            db.executemany(f"INSERT INTO {_ATTEMPTS} VALUES (?, ?, ?, ?, ?, ?)", rows)
            db.executemany(f"INSERT OR IGNORE INTO {_TESTS} VALUES (?)",
                           ((nodeid,) for nodeid in run.tests))
    except (sqlite3.Error, OSError) as exc:
        raise HistoryError(f"{path}: cannot append to the flake ledger: {exc}") from None


def load_runs(
    path: Path, limit: int, *, failing_only: bool = False, also: Collection[str] = ()
) -> list[LedgerRun]:
    """The last ``limit`` runs of the ledger, oldest first ([] for a file without one).

    ``failing_only``: each run holds only the tests with a failed attempt in those runs
    (with every attempt of theirs), and its tiers' first-attempt counts for the outage rule,
    summed by SQLite: what the verdict's section lists, without reading every passing row.
    ``also``: node ids to read whole as well (the tests the run being judged failed)."""
    if not path.is_file():
        return []
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                     timeout=10)) as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                              "name = ?", (_RUNS,)).fetchone():
                return []
            heads = db.execute(
                f"SELECT run_id, tree, branch FROM {_RUNS} ORDER BY seq DESC "
                "LIMIT ?", (max(0, limit),)).fetchall()[::-1]
            ids = [h[0] for h in heads]
            tests = _attempts(db, ids, failing_only)
            if failing_only and also:
                _add_tests(db, ids, also, tests)
            counts = _first_attempts(db, ids) if failing_only else None
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: cannot read the flake ledger: {exc}") from None
    return [LedgerRun(run_id=h[0], tree=h[1], branch=h[2],
                      tests={n: (t, _ordered(a)) for n, (t, a) in tests[h[0]].items()},
                      first_attempts=None if counts is None else counts.get(h[0], {}))
            for h in heads]


def _attempts(
    db: sqlite3.Connection, ids: list[str], failing_only: bool
) -> dict[str, dict[str, tuple[str, list[tuple[int, str]]]]]:
    marks = ", ".join("?" for _ in ids)
    query = (f"SELECT run_id, nodeid, tier, attempt, outcome FROM {_ATTEMPTS} "
             f"WHERE run_id IN ({marks})")
    params = list(ids)
    if failing_only:
        query += (f" AND nodeid IN (SELECT nodeid FROM {_ATTEMPTS} WHERE "
                  f"run_id IN ({marks}) AND outcome = 'fail')")
        params += ids
    tests: dict[str, dict[str, tuple[str, list[tuple[int, str]]]]] = {i: {} for i in ids}
    # no ORDER BY: sorting 10^5 rows in SQLite costs more than ordering the few tests with
    # reruns here
    for run_id, nodeid, tier, attempt, outcome in db.execute(query, params):
        tests[run_id].setdefault(nodeid, (tier, []))[1].append((attempt, outcome))
    return tests


def _add_tests(db: sqlite3.Connection, ids: list[str], nodeids: Collection[str],
               tests: dict[str, dict[str, tuple[str, list[tuple[int, str]]]]]) -> None:
    """Every attempt of ``nodeids`` not read yet, in chunks (SQLite's parameter limit)."""
    have = {n for found in tests.values() for n in found}
    wanted = sorted(set(nodeids) - have)
    marks = ", ".join("?" for _ in ids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        names = ", ".join("?" for _ in chunk)
        for run_id, nodeid, tier, attempt, outcome in db.execute(
            f"SELECT run_id, nodeid, tier, attempt, outcome FROM {_ATTEMPTS} "
            f"WHERE run_id IN ({marks}) AND nodeid IN ({names})", [*ids, *chunk],
        ):
            tests[run_id].setdefault(nodeid, (tier, []))[1].append((attempt, outcome))


def _first_attempts(
    db: sqlite3.Connection, ids: list[str]
) -> dict[str, dict[str, tuple[int, int]]]:
    marks = ", ".join("?" for _ in ids)
    found: dict[str, dict[str, tuple[int, int]]] = {}
    for run_id, tier, tests, failed in db.execute(
        f"SELECT run_id, tier, COUNT(*), SUM(outcome = 'fail') FROM {_ATTEMPTS} "
        f"WHERE run_id IN ({marks}) AND attempt = 1 GROUP BY run_id, tier", ids,
    ):
        found.setdefault(run_id, {})[tier] = (int(tests), int(failed or 0))
    return found


def _ordered(attempts: list[tuple[int, str]]) -> tuple[str, ...]:
    if len(attempts) == 1:
        return (attempts[0][1],)
    return tuple(outcome for _, outcome in sorted(attempts))


def span(policy: Policy) -> int:
    """How many runs ``pyramid flaky`` reads: the window and a release's clean streak, with
    room for outages and other branches' runs."""
    return 3 * max(policy.window, policy.release_after)


def section_span(policy: Policy) -> int:
    """How many runs the verdict's section reads at the end of a run: the window, with room
    for outages and other branches' runs (its clean streaks reach no further back). Reading
    the release span too cost 15 s for 2,000 tests on a loaded machine."""
    return 2 * policy.window


def ledger_section(
    path: Path, policy: Policy, current: LedgerRun | None = None
) -> dict[str, object]:
    """The ``flaky_ledger`` section over the ledger's runs, with ``current`` (a run not
    appended yet) as the newest, in place of a stored run of the same id."""
    failed = [] if current is None else [
        n for n, (_tier, attempts) in current.tests.items() if FAIL in attempts]
    runs = load_runs(path, section_span(policy), failing_only=True, also=failed)
    if current is not None:
        runs = [r for r in runs if r.run_id != current.run_id] + [current]
    return section(runs, policy)
