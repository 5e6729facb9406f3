"""Deployment history and approvals in an embedded SQLite store."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pytest_pyramid.deploy.approvals import Approval

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deployments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    commit_sha TEXT,
    commit_time TEXT,
    strategy TEXT NOT NULL,
    dry_run INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    duration_s REAL,
    rollback_s REAL,
    verdict_path TEXT,
    client_failed_fraction REAL
);
CREATE TABLE IF NOT EXISTS steps (
    deployment_id INTEGER NOT NULL REFERENCES deployments(id),
    idx INTEGER NOT NULL,
    weight INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    result TEXT NOT NULL,
    measurements TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    who TEXT NOT NULL,
    role TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    approved_at TEXT NOT NULL
);
"""

OUTCOMES = ("in_progress", "succeeded", "rolled_back", "refused", "aborted", "paused")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Deployment:
    id: int
    started_at: datetime
    finished_at: datetime | None
    commit: str | None
    commit_time: datetime | None
    strategy: str
    dry_run: bool
    outcome: str
    reason: str
    duration_s: float | None
    rollback_s: float | None


class History:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # Several processes (deploy, approve, status) may touch the file: wait for locks.
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            db.row_factory = sqlite3.Row
            yield db

    def start(
        self,
        *,
        commit: str | None,
        commit_time: str | None,
        strategy: str,
        dry_run: bool,
        verdict_path: str,
        outcome: str = "in_progress",
        reason: str = "",
    ) -> int:
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO deployments (started_at, commit_sha, commit_time, strategy, dry_run,"
                " outcome, reason, verdict_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (iso(now_utc()), commit, commit_time, strategy, int(dry_run), outcome, reason,
                 verdict_path),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def finish(
        self,
        deployment_id: int,
        *,
        outcome: str,
        reason: str,
        rollback_s: float | None = None,
        client_failed_fraction: float | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        with self._connect() as db:
            row = db.execute(
                "SELECT started_at FROM deployments WHERE id = ?", (deployment_id,)
            ).fetchone()
            finished = now_utc()
            duration = (finished - parse_iso(row["started_at"])).total_seconds() if row else None
            db.execute(
                "UPDATE deployments SET finished_at = ?, outcome = ?, reason = ?, duration_s = ?,"
                " rollback_s = COALESCE(?, rollback_s),"
                " client_failed_fraction = COALESCE(?, client_failed_fraction) WHERE id = ?",
                (iso(finished), outcome, reason, duration, rollback_s, client_failed_fraction,
                 deployment_id),
            )

    def record_refusal(
        self, *, commit: str | None, commit_time: str | None, strategy: str, dry_run: bool,
        verdict_path: str, reason: str,
    ) -> int:
        deployment_id = self.start(
            commit=commit, commit_time=commit_time, strategy=strategy, dry_run=dry_run,
            verdict_path=verdict_path, outcome="refused", reason=reason,
        )
        self.finish(deployment_id, outcome="refused", reason=reason)
        return deployment_id

    def add_step(
        self, deployment_id: int, *, idx: int, weight: int, started_at: datetime, result: str,
        measurements: list[dict[str, Any]],
    ) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO steps (deployment_id, idx, weight, started_at, finished_at, result,"
                " measurements) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (deployment_id, idx, weight, iso(started_at), iso(now_utc()), result,
                 json.dumps(measurements)),
            )

    def deployments(self, *, limit: int | None = None) -> list[Deployment]:
        query = "SELECT * FROM deployments ORDER BY id DESC"
        params: tuple[int, ...] = ()
        if limit is not None:
            query += " LIMIT ?"
            params = (limit,)
        with self._connect() as db:
            rows = db.execute(query, params).fetchall()
        return [_deployment(row) for row in rows]

    def get(self, deployment_id: int) -> Deployment | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM deployments WHERE id = ?", (deployment_id,)).fetchone()
        return _deployment(row) if row else None

    def steps(self, deployment_id: int) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM steps WHERE deployment_id = ? ORDER BY rowid", (deployment_id,)
            ).fetchall()
        return [
            {**dict(row), "measurements": json.loads(row["measurements"])} for row in rows
        ]

    def add_approval(self, approval: Approval) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO approvals (who, role, commit_sha, approved_at) VALUES (?, ?, ?, ?)",
                (approval.who, approval.role, approval.commit, iso(approval.at)),
            )

    def approvals(self, commit: str) -> list[Approval]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM approvals WHERE commit_sha = ? ORDER BY id", (commit,)
            ).fetchall()
        return [
            Approval(row["who"], row["role"], row["commit_sha"], parse_iso(row["approved_at"]))
            for row in rows
        ]


def _deployment(row: sqlite3.Row) -> Deployment:
    return Deployment(
        id=row["id"],
        started_at=parse_iso(row["started_at"]),
        finished_at=parse_iso(row["finished_at"]) if row["finished_at"] else None,
        commit=row["commit_sha"],
        commit_time=parse_iso(row["commit_time"]) if row["commit_time"] else None,
        strategy=row["strategy"],
        dry_run=bool(row["dry_run"]),
        outcome=row["outcome"],
        reason=row["reason"],
        duration_s=row["duration_s"],
        rollback_s=row["rollback_s"],
    )
