"""The run history: one SQLite row per verdict, read back for the report's trends.

``--pyramid-history PATH`` (or ``pyramid report --history PATH``) appends the verdict's
figures: commit, branch, run id and number, decision, per-tier counts, times and coverage,
metric values and gate statuses. A row is keyed by the run id, so appending the same run
again (a retried CI job, the report step after the test step) replaces it in place: the
history holds each run once. The table is ``pyramid_runs``; it can live in the same file as
the deploy history (its tables are others).

Continuity is shown, not repaired: rows are kept in the order they were appended, a row
whose verdict is older than the row before it is flagged as reordered, and a jump in the
CI's run numbers is a gap. The report draws both; it never sorts or interpolates.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pytest_pyramid.durations import utc_now
from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

#: the report's trend window
TREND_RUNS = 30

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pyramid_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    run_number INTEGER,
    created_at TEXT NOT NULL,
    commit_sha TEXT,
    branch TEXT,
    decision TEXT NOT NULL,
    tests INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    duration_s REAL,
    tiers TEXT NOT NULL,
    metrics TEXT NOT NULL,
    gates TEXT NOT NULL,
    appended_at TEXT NOT NULL
);
"""
_COLUMNS = (
    "run_id", "run_number", "created_at", "commit_sha", "branch", "decision", "tests", "failed",
    "duration_s", "tiers", "metrics", "gates", "appended_at",
)


class HistoryError(PyramidError):
    """A history file that cannot be opened, read or written."""


@dataclass
class HistoryRow:
    seq: int
    run_id: str
    run_number: int | None
    created_at: str
    commit: str | None
    branch: str | None
    decision: str
    tests: int
    failed: int
    duration_s: float | None
    #: tier -> {tests, passed, failed, skipped, time_s, budget_s, coverage, status}
    tiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: metric -> aggregated value
    metrics: dict[str, float | None] = field(default_factory=dict)
    #: gate id -> status
    gates: dict[str, str] = field(default_factory=dict)
    #: flags set by :func:`continuity`: older than the row before it / runs missing before it
    reordered: bool = False
    missing_before: int = 0


def run_key(verdict: Mapping[str, Any]) -> str:
    """The row's key: the verdict's ``run_id``, else a digest of what makes it one run."""
    run_id = verdict.get("run_id")
    if isinstance(run_id, str) and run_id:
        return run_id
    tree = verdict.get("tree") or {}
    text = "|".join(
        str(part)
        for part in (verdict.get("created_at"), verdict.get("commit"), tree.get("digest"),
                     verdict.get("decision"), (verdict.get("run") or {}).get("duration_s"))
    )
    return "verdict:" + hashlib.sha256(text.encode()).hexdigest()[:24]


def row_values(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of one verdict, as the columns of its row."""
    tiers: dict[str, dict[str, Any]] = {}
    tests = failed = 0
    for name, entry in (verdict.get("tiers") or {}).items():
        cov = entry.get("coverage")
        percent = cov.get("percent") if isinstance(cov, dict) else None
        bad = int(entry.get("failed", 0)) + int(entry.get("errors", 0))
        tiers[name] = {
            "tests": int(entry.get("collected", 0)),
            "passed": int(entry.get("passed", 0)),
            "failed": bad,
            "skipped": int(entry.get("skipped", 0)),
            "time_s": entry.get("test_time_s"),
            "budget_s": entry.get("budget_s"),
            "coverage": percent if isinstance(percent, (int, float)) else None,
            "status": entry.get("status") if entry.get("selected") else "not_selected",
        }
        tests += int(entry.get("collected", 0))
        failed += bad
    metrics = {
        str(name): (m.get("value") if isinstance(m.get("value"), (int, float)) else None)
        for name, m in (verdict.get("metrics") or {}).items()
        if isinstance(m, dict)
    }
    gates = {str(g["id"]): str(g["status"]) for g in verdict.get("gates", []) if "id" in g}
    number = verdict.get("run_number")
    return {
        "run_id": run_key(verdict),
        "run_number": number if isinstance(number, int) else None,
        "created_at": str(verdict.get("created_at", "")),
        "commit_sha": verdict.get("commit"),
        "branch": verdict.get("branch"),
        "decision": str(verdict.get("decision", "incomplete")),
        "tests": tests,
        "failed": failed,
        "duration_s": (verdict.get("run") or {}).get("duration_s"),
        "tiers": json.dumps(tiers, sort_keys=True, allow_nan=False),
        "metrics": json.dumps(metrics, sort_keys=True, allow_nan=False),
        "gates": json.dumps(gates, sort_keys=True),
        # the judgement's one clock: this row is written after the tests, in their process
        "appended_at": utc_now().isoformat(timespec="seconds"),
    }


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    try:
        if readonly:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                         timeout=10)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=10)
            connection.executescript(_SCHEMA)
    except (sqlite3.Error, OSError) as exc:
        raise HistoryError(f"{path}: cannot open the run history: {exc}") from None
    return connection


def append(path: Path, verdict: Mapping[str, Any]) -> bool:
    """Add the verdict's row, or replace the row of the same run id in place; True if new."""
    values = row_values(verdict)
    placeholders = ", ".join("?" for _ in _COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "run_id")
    try:
        with closing(_connect(path, readonly=False)) as db, db:
            known = db.execute(
                "SELECT 1 FROM pyramid_runs WHERE run_id = ?", (values["run_id"],)
            ).fetchone()
            db.execute(
                f"INSERT INTO pyramid_runs ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
                f"ON CONFLICT(run_id) DO UPDATE SET {updates}",
                [values[c] for c in _COLUMNS],
            )
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: cannot append to the run history: {exc}") from None
    return known is None


def recent(path: Path, limit: int = TREND_RUNS) -> list[HistoryRow]:
    """The last ``limit`` rows in the order they were appended, continuity flags set.

    A history file that does not exist yet is an empty history."""
    if not path.exists():
        return []
    if path.is_dir():
        raise HistoryError(f"{path}: is a directory, not a run history")
    try:
        with closing(_connect(path, readonly=True)) as db:
            has_table = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pyramid_runs'"
            ).fetchone()
            if not has_table:
                return []
            found = db.execute(
                f"SELECT seq, {', '.join(_COLUMNS)} FROM pyramid_runs "
                "ORDER BY seq DESC LIMIT ?",
                (max(0, limit),),
            ).fetchall()
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: cannot read the run history: {exc}") from None
    rows = [_row(values) for values in reversed(found)]
    return continuity(rows)


def _loads(text: object) -> dict[str, Any]:
    try:
        value = json.loads(str(text))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _row(values: Sequence[Any]) -> HistoryRow:
    (seq, run_id, run_number, created_at, commit, branch, decision, tests, failed, duration_s,
     tiers, metrics, gates, _appended) = values
    return HistoryRow(
        seq=int(seq),
        run_id=str(run_id),
        run_number=run_number if isinstance(run_number, int) else None,
        created_at=str(created_at),
        commit=commit,
        branch=branch,
        decision=str(decision),
        tests=int(tests),
        failed=int(failed),
        duration_s=float(duration_s) if isinstance(duration_s, (int, float)) else None,
        tiers=_loads(tiers),
        metrics=_loads(metrics),
        gates={str(k): str(v) for k, v in _loads(gates).items()},
    )


def _when(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def continuity(rows: list[HistoryRow]) -> list[HistoryRow]:
    """Flag each row that is older than its predecessor (appended out of order) and count the
    CI runs missing before it (its run number minus the last one seen, minus one)."""
    latest: datetime | None = None
    last_number: int | None = None
    for row in rows:
        moment = _when(row.created_at)
        row.reordered = moment is not None and latest is not None and moment < latest
        if moment is not None and (latest is None or moment > latest):
            latest = moment
        number = row.run_number
        if number is not None and last_number is not None:
            if number < last_number:
                row.reordered = True
            row.missing_before = max(0, number - last_number - 1)
        if number is not None:
            last_number = number if last_number is None else max(last_number, number)
    return rows
