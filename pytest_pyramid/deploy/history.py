"""Deployment history and signed approvals in an embedded SQLite store.

Bookkeeping never holds up safety: the database runs in WAL mode with a short busy timeout,
and a write that fails (locked by another process, disk full, unreadable file) is queued and
retried with the next write, then kept in a pending file (``<work_dir>/history.pending.jsonl``
for a deploy) and replayed by the next command that opens the history. The caller gets a
warning, never an exception, so a rollback is never aborted by a failed write. Only
:meth:`History.start` must succeed: a deploy that cannot be recorded is not started (nothing
has changed yet, so refusing is safe).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
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
CREATE TABLE IF NOT EXISTS verdicts (
    commit_sha TEXT NOT NULL,
    created_at TEXT NOT NULL,
    digest TEXT NOT NULL,
    decision TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    UNIQUE (commit_sha, created_at, digest, decision)
);
"""
#: columns added after the first release: (table, column, type), added to older files
_ADDED_COLUMNS = (
    ("deployments", "kind", "TEXT NOT NULL DEFAULT 'deploy'"),
    ("deployments", "exposed_at", "TEXT"),
    ("deployments", "restored_at", "TEXT"),
    ("deployments", "reverted_by", "INTEGER"),
    ("deployments", "reverted_at", "TEXT"),
    ("approvals", "envelope", "TEXT"),
    ("approvals", "verdict_digest", "TEXT"),
    # the environment whose deploy wrote the row ("": none named; NULL: written before rows
    # named it): a requirement counts only its own environment's rows (hostile case 337)
    ("deployments", "environment", "TEXT"),
)

#: the history file's schema version (``PRAGMA user_version``), raised by each migration below
SCHEMA_VERSION = 2
#: what ended a deployment that did not succeed: its ``change`` (an analysis breach, its version
#: exiting, a person aborting it, a later revert), or something else, which DORA's change failure
#: rate does not count: the ``router`` failing, the ``stable`` version dying, the deploy
#: ``interrupted`` (signal, killed, `pyramid stop`), ``no_progress`` (a progress deadline with
#: no failed measurement), the analysis ``blind``, a ``deploy_error`` of the tool itself
CAUSES = ("change", "router", "stable", "interrupted", "no_progress", "blind", "deploy_error")
#: how version 0 files' reasons are read once, by the migration to version 1 (never again:
#: from version 1 on the cause is recorded when the row is finished)
_LEGACY_CAUSES = (
    ("router failed", "router"),
    ("stable is not healthy, so the new version took over", "stable"),
    ("deploy interrupted", "interrupted"),
    ("its deploy process is gone", "interrupted"),
    ("its deploy process ended without recording an outcome", "interrupted"),
    ("stopped by `pyramid stop`", "interrupted"),
    ("deploy failed: ", "deploy_error"),
    ("no progress within the progress deadline", "no_progress"),
)


class SchemaError(sqlite3.DatabaseError):
    """A history file this version cannot read or write safely."""


def legacy_cause(outcome: str, reason: str) -> str | None:
    """The cause of a row finished before causes were recorded (migration 0 -> 1 only)."""
    if outcome not in ("rolled_back", "aborted", "failed"):
        return None
    first = reason.split("; then ")[0]
    return next((cause for marker, cause in _LEGACY_CAUSES if marker in first), "change")


#: in_progress and paused are transient; unchanged = the commit already served (no change)
OUTCOMES = ("in_progress", "paused", "succeeded", "rolled_back", "refused", "aborted", "failed",
            "unchanged")
BUSY_TIMEOUT_S = 0.5
READ_TIMEOUT_S = 5.0


def now_utc() -> datetime:
    """The deploy's clock for every time it records: the kernel's wall clock
    (``durations.wall_utc``; a long-lived supervisor must follow the world's steps)."""
    from pytest_pyramid.durations import wall_utc

    return wall_utc()


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
    kind: str = "deploy"
    #: when the change first received user traffic (None: it never did)
    exposed_at: datetime | None = None
    #: when all traffic was back on a good version after this change failed
    restored_at: datetime | None = None
    #: the `pyramid rollback` that reverted this deployment after it had succeeded
    reverted_by: int | None = None
    reverted_at: datetime | None = None
    #: a success the analysis judged on real traffic (every step conclusive, not "too little
    #: traffic to judge", not promoted past its steps), written by the code path that decided
    #: (deploy/evidence.py reads it); None: a file no deploy of this version migrated yet
    judged: bool | None = None
    #: what ended it, when it did not succeed (:data:`CAUSES`); None while open or succeeded
    cause: str | None = None
    #: the environment whose deploy wrote it ("": none; None: a row from before rows named it)
    environment: str | None = None


@dataclass(frozen=True)
class StoredApproval:
    id: int
    envelope: object | None
    who: str


Warn = Callable[[str], None]


class History:
    def __init__(self, path: Path, *, warn: Warn | None = None,
                 busy_timeout: float = BUSY_TIMEOUT_S, pending: Path | None = None,
                 environment: str = "") -> None:
        """``pending``: where unwritten records wait (default: beside ``path``; the deploy
        keeps them in its work folder, which need not be on the history's disk).
        ``environment``: the environment every row this writes names."""
        self.path = path
        self.environment = environment
        self.pending_path = pending or path.with_name(path.name + ".pending.jsonl")
        self.warn: Warn = warn or (lambda message: None)
        self.busy_timeout = busy_timeout
        self._pending: list[dict[str, object]] = []
        self._error = ""
        #: monotonic start of the rows this process started (their durations ignore clock steps)
        self._started: dict[int, float] = {}
        try:
            self._setup()
        except (sqlite3.Error, OSError) as exc:
            # Never raised here: an abort or a rollback must not wait on its bookkeeping.
            self._error = str(exc)
            self.warn(f"[history] {path} is unavailable ({exc}); records are queued")
        else:
            self._load_pending()

    def _setup(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect(READ_TIMEOUT_S) as db:
            with contextlib.suppress(sqlite3.OperationalError):  # a locked file stays as it is
                db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            for table, column, kind in _ADDED_COLUMNS:
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            _migrate(db, self.path)

    @contextmanager
    def _connect(self, timeout: float | None = None) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=timeout or self.busy_timeout)) as db, db:
            db.row_factory = sqlite3.Row
            yield db

    # -- best-effort writes ---------------------------------------------------------------------
    def _load_pending(self) -> None:
        # Claimed by a rename, so two commands opening the history at once never replay twice.
        claimed = self.pending_path.with_name(f"{self.pending_path.name}.{os.getpid()}")
        try:
            os.rename(self.pending_path, claimed)
        except OSError:
            return
        try:
            lines = claimed.read_text("utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            with contextlib.suppress(ValueError):  # a line cut short by a crash is dropped
                op = json.loads(line)
                if isinstance(op, dict):
                    self._pending.append(op)
        with contextlib.suppress(OSError):
            claimed.unlink()
        if not self.flush():
            self._keep_pending()

    def _keep_pending(self) -> None:
        """Append what is still queued to the pending file (one line per record)."""
        if not self._pending:
            return
        count = len(self._pending)
        try:
            with self.pending_path.open("a", encoding="utf-8") as handle:
                handle.write("".join(json.dumps(op) + "\n" for op in self._pending))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            self.warn(f"[history] {count} record(s) LOST: cannot write {self.pending_path} "
                      f"either ({exc})")
        else:
            self.warn(f"[history] {count} record(s) kept in {self.pending_path}; the next "
                      "pyramid command writes them")
        self._pending.clear()

    def _apply(self, db: sqlite3.Connection, op: Mapping[str, object]) -> None:
        kind, values = str(op["op"]), dict(op["values"])  # type: ignore[call-overload]
        if kind == "insert":
            table = str(op["table"])
            columns = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values()))
        elif kind == "finish":
            deployment_id = int(str(op["id"]))
            row = db.execute("SELECT started_at FROM deployments WHERE id = ?",
                             (deployment_id,)).fetchone()
            finished = str(values["finished_at"])
            if row is not None and values.get("duration_s") is None:
                # another process started the row: only the wall clock spans both (clamped:
                # a clock step back would make it negative)
                values["duration_s"] = max(0.0, (parse_iso(finished)
                                                 - parse_iso(row["started_at"])).total_seconds())
            sets = ", ".join(f"{name} = COALESCE(?, {name})" if name in _KEEP_OLD else
                             f"{name} = ?" for name in values)
            db.execute(f"UPDATE deployments SET {sets} WHERE id = ?",
                       (*values.values(), deployment_id))
        elif kind == "seen":
            db.execute("INSERT OR IGNORE INTO verdicts (commit_sha, created_at, digest, decision,"
                       " seen_at) VALUES (?, ?, ?, ?, ?)",
                       tuple(str(values[k]) for k in _SEEN_KEYS))
        elif kind == "update":
            deployment_id = int(str(op["id"]))
            sets = ", ".join(f"{name} = ?" for name in values)
            db.execute(f"UPDATE deployments SET {sets} WHERE id = ?",
                       (*values.values(), deployment_id))
        else:
            raise ValueError(f"unknown history operation {kind!r}")

    def flush(self) -> bool:
        """Write what is queued, in order; True when nothing is left."""
        while self._pending:
            try:
                with self._connect() as db:
                    self._apply(db, self._pending[0])
            except (sqlite3.Error, OSError, ValueError, KeyError) as exc:
                self._error = str(exc)
                return False
            self._pending.pop(0)
        return True

    def _write(self, op: dict[str, object], what: str) -> None:
        self._pending.append(op)
        if not self.flush():
            self.warn(f"[history] could not record {what} in {self.path} ({self._error}); "
                      "queued, it will be retried")

    def close(self, *, retry_for: float = 2.0) -> None:
        """Retry what is queued for a little while, then keep it in the pending file."""
        deadline = time.monotonic() + retry_for
        while self._pending and not self.flush() and time.monotonic() < deadline:
            time.sleep(0.1)
        self._keep_pending()

    # -- deployments ------------------------------------------------------------------------
    def start(
        self, *, commit: str | None, commit_time: str | None, strategy: str, dry_run: bool,
        verdict_path: str, kind: str = "deploy", outcome: str = "in_progress", reason: str = "",
    ) -> int:
        """The new row's id; raises sqlite3.Error/OSError when it cannot be written."""
        self.flush()
        deadline = time.monotonic() + 5.0
        while True:
            try:
                with self._connect() as db:
                    cursor = db.execute(
                        "INSERT INTO deployments (started_at, commit_sha, commit_time, strategy,"
                        " dry_run, outcome, reason, verdict_path, kind, environment) VALUES"
                        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (iso(now_utc()), commit, commit_time, strategy, int(dry_run), outcome,
                         reason, verdict_path, kind, self.environment),
                    )
                    assert cursor.lastrowid is not None
                    self._started[cursor.lastrowid] = time.monotonic()
                    return cursor.lastrowid
            except sqlite3.OperationalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def finish(
        self, deployment_id: int, *, outcome: str, reason: str,
        rollback_s: float | None = None, client_failed_fraction: float | None = None,
        exposed_at: datetime | None = None, restored_at: datetime | None = None,
        cause: str = "change", judged: bool = False,
    ) -> None:
        """``cause``: what ended a deployment that did not succeed (:data:`CAUSES`), recorded
        for those outcomes only. ``judged``: the analysis judged the success on real traffic
        (rollout.py's Outcome says; never true of another outcome)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        if cause not in CAUSES:
            raise ValueError(f"unknown cause {cause!r}")
        started = self._started.get(deployment_id)
        values: dict[str, object] = {
            # a duration from the monotonic clock when this process started the row
            "duration_s": None if started is None else time.monotonic() - started,
            "finished_at": iso(now_utc()), "outcome": outcome, "reason": reason,
            "rollback_s": rollback_s, "client_failed_fraction": client_failed_fraction,
            "exposed_at": iso(exposed_at) if exposed_at else None,
            "restored_at": iso(restored_at) if restored_at else None,
            "cause": cause if outcome in ("rolled_back", "aborted", "failed") else None,
            "judged": int(judged and outcome == "succeeded"),
        }
        self._write({"op": "finish", "id": deployment_id, "values": values},
                    f"the outcome of #{deployment_id} ({outcome})")

    def mark_reverted(self, deployment_id: int, *, by: int, at: datetime) -> None:
        self._write({"op": "update", "id": deployment_id,
                     "values": {"reverted_by": by, "reverted_at": iso(at)}},
                    f"that #{deployment_id} was reverted")

    def record_refusal(
        self, *, commit: str | None, commit_time: str | None, strategy: str, dry_run: bool,
        verdict_path: str, reason: str, outcome: str = "refused", kind: str = "deploy",
    ) -> None:
        now = iso(now_utc())
        self._write({"op": "insert", "table": "deployments", "values": {
            "started_at": now, "finished_at": now, "duration_s": 0.0, "commit_sha": commit,
            "commit_time": commit_time, "strategy": strategy, "dry_run": int(dry_run),
            "outcome": outcome, "reason": reason, "verdict_path": verdict_path, "kind": kind,
            "environment": self.environment,
        }}, f"a {outcome} attempt")

    def add_step(
        self, deployment_id: int, *, idx: int, weight: int, started_at: datetime, result: str,
        measurements: Sequence[Mapping[str, object]],
    ) -> None:
        self._write({"op": "insert", "table": "steps", "values": {
            "deployment_id": deployment_id, "idx": idx, "weight": weight,
            "started_at": iso(started_at), "finished_at": iso(now_utc()), "result": result,
            "measurements": json.dumps(list(measurements)),
        }}, f"step {idx} of #{deployment_id}")

    def record_seen(self, entry: Mapping[str, str]) -> None:
        """A verdict the gate saw (commit, created_at, digest, decision): history, not a side
        file (deploy/replays.py: a newer one supersedes an older one of the same commit)."""
        self._write({"op": "seen", "values": {**entry, "seen_at": iso(now_utc())}},
                    f"the verdict of {entry.get('commit', '')[:12]} the gate saw")

    # -- reads ------------------------------------------------------------------------------
    def seen_verdicts(self) -> list[dict[str, str]]:
        """The verdicts this history's gate saw (:meth:`record_seen`), oldest first."""
        with self._connect(READ_TIMEOUT_S) as db:
            return _seen_rows(db)

    def deployments(self, *, limit: int | None = None) -> list[Deployment]:
        query = _DEPLOYMENTS
        params: tuple[int, ...] = ()
        if limit is not None:
            query += " LIMIT ?"
            params = (limit,)
        with self._connect(READ_TIMEOUT_S) as db:
            rows = db.execute(query, params).fetchall()
        return [_deployment(row) for row in rows]

    def get(self, deployment_id: int) -> Deployment | None:
        with self._connect(READ_TIMEOUT_S) as db:
            row = db.execute("SELECT * FROM deployments WHERE id = ?", (deployment_id,)).fetchone()
        return _deployment(row) if row else None

    def open_rows(self) -> list[Deployment]:
        with self._connect(READ_TIMEOUT_S) as db:
            rows = db.execute("SELECT * FROM deployments WHERE outcome IN ('in_progress', "
                              "'paused') ORDER BY id").fetchall()
        return [_deployment(row) for row in rows]

    def steps(self, deployment_id: int) -> list[dict[str, object]]:
        with self._connect(READ_TIMEOUT_S) as db:
            rows = db.execute(
                "SELECT * FROM steps WHERE deployment_id = ? ORDER BY rowid", (deployment_id,)
            ).fetchall()
        return [{**dict(row), "measurements": json.loads(row["measurements"])} for row in rows]

    # -- approvals ----------------------------------------------------------------------------
    def add_approval(self, *, envelope: Mapping[str, object], who: str, role: str, commit: str,
                     verdict_digest: str, at: datetime) -> None:
        with self._connect(READ_TIMEOUT_S) as db:
            db.execute(
                "INSERT INTO approvals (who, role, commit_sha, approved_at, envelope,"
                " verdict_digest) VALUES (?, ?, ?, ?, ?, ?)",
                (who, role, commit, iso(at), json.dumps(envelope), verdict_digest),
            )

    def approvals(self, commit: str) -> list[StoredApproval]:
        """Every row for ``commit``; only a valid signature makes one count (approvals.py)."""
        with self._connect(READ_TIMEOUT_S) as db:
            rows = db.execute("SELECT * FROM approvals WHERE commit_sha = ? ORDER BY id",
                              (commit,)).fetchall()
        found: list[StoredApproval] = []
        for row in rows:
            envelope: object | None = None
            if row["envelope"]:
                with contextlib.suppress(ValueError):
                    envelope = json.loads(row["envelope"])
            found.append(StoredApproval(row["id"], envelope, row["who"]))
        return found


#: columns a later finish must not blank out when it does not know them
_KEEP_OLD = frozenset({"rollback_s", "client_failed_fraction", "exposed_at", "restored_at"})


def _when(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the file to :data:`SCHEMA_VERSION`, one numbered step at a time, in the caller's
    transaction (a step half done is never committed). A newer file is refused, not written."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaError(f"{path} has history schema version {version}; this pytest-pyramid "
                          f"knows versions up to {SCHEMA_VERSION} (upgrade it)")
    if version < 1:  # 1: the recorded cause of every deployment that did not succeed
        _fill_column(db, "cause", "TEXT", legacy_cause)
    if version < 2:  # 2: whether a success was judged on real traffic (hostile case 324)
        _fill_column(db, "judged", "INTEGER",
                     lambda outcome, reason: int(legacy_judged(outcome, reason)))
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


#: the reasons a success was recorded with, before ``judged`` was, when its analysis judged it:
#: every step passed (not promoted past them, not a rescue), or a first deployment's first
#: step passed its measurements (not "too little traffic to judge"); any other is unjudged
_LEGACY_JUDGED = re.compile(r"(every step passed its analysis( and the bake)?|first deployment: "
                            r"[^;]*; first step 100%: \d+ measurement\(s\) within the limits)")


def legacy_judged(outcome: str, reason: str) -> bool:
    """Whether a row finished before ``judged`` was recorded was a judged success (migration
    1 -> 2 only: an allow-list of the reasons only a judged success was written with)."""
    return outcome == "succeeded" and _LEGACY_JUDGED.fullmatch(reason) is not None


def _fill_column(db: sqlite3.Connection, column: str, kind: str,
                 legacy: Callable[[str, str], object]) -> None:
    """Add ``column`` to the deployments (when missing) and fill it where it is NULL with
    ``legacy(outcome, reason)``: a migration step reads the reason text once, never again."""
    have = {row[1] for row in db.execute("PRAGMA table_info(deployments)")}
    if column not in have:
        db.execute(f"ALTER TABLE deployments ADD COLUMN {column} {kind}")
    rows = db.execute(f"SELECT id, outcome, reason FROM deployments WHERE {column} IS NULL")
    for ident, outcome, reason in rows.fetchall():
        db.execute(f"UPDATE deployments SET {column} = ? WHERE id = ?",
                   (legacy(outcome, reason or ""), ident))


#: every deployment, newest first
_DEPLOYMENTS = "SELECT * FROM deployments ORDER BY id DESC"


def deployments_read_only(path: Path) -> list[Deployment]:
    """Another environment's deployments (``requires``), read without writing a byte of its
    database: opened ``mode=ro``, so no table is created or migrated, no queued record is
    replayed and the journal mode stays (what opening a :class:`History` may all do).
    Raises sqlite3.Error when the file cannot be read as a history."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=READ_TIMEOUT_S)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(_DEPLOYMENTS).fetchall()
    return [_deployment(row) for row in rows]


def seen_read_only(path: Path) -> list[dict[str, str]]:
    """Another folder's :meth:`History.seen_verdicts`, read as :func:`deployments_read_only`
    reads (a file from before the table holds none). Raises sqlite3.Error when unreadable."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=READ_TIMEOUT_S)) as db:
        db.row_factory = sqlite3.Row
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'verdicts'"
                      ).fetchone() is None:
            return []
        return _seen_rows(db)


#: the keys of a seen verdict's record, in the table's column order
_SEEN_KEYS = ("commit", "created_at", "digest", "decision", "seen_at")


def _seen_rows(db: sqlite3.Connection) -> list[dict[str, str]]:
    rows = db.execute("SELECT commit_sha, created_at, digest, decision FROM verdicts "
                      "ORDER BY rowid").fetchall()
    return [{"commit": r[0], "created_at": r[1], "digest": r[2], "decision": r[3]}
            for r in rows]


def _deployment(row: sqlite3.Row) -> Deployment:
    return Deployment(
        id=row["id"],
        started_at=parse_iso(row["started_at"]),
        finished_at=_when(row["finished_at"]),
        commit=row["commit_sha"],
        commit_time=_when(row["commit_time"]),
        strategy=row["strategy"],
        dry_run=bool(row["dry_run"]),
        outcome=row["outcome"],
        reason=row["reason"],
        duration_s=row["duration_s"],
        rollback_s=row["rollback_s"],
        kind=row["kind"] or "deploy",
        exposed_at=_when(row["exposed_at"]),
        judged=_judged(row),
        restored_at=_when(row["restored_at"]),
        reverted_by=row["reverted_by"],
        reverted_at=_when(row["reverted_at"]),
        cause=row["cause"],
        # a file no deploy of this version opened yet has no such column (read-only readers);
        # `in` on a sqlite3.Row looks at its values, so the column names are asked for
        environment=row["environment"] if "environment" in row.keys() else None,  # noqa: SIM118
    )


def _judged(row: sqlite3.Row) -> bool | None:
    """None: a file read without migrating (``deployments_read_only``) that no deploy of this
    version opened yet has no such column (``in`` on a sqlite3.Row looks at its values)."""
    if "judged" not in row.keys():  # noqa: SIM118
        return None
    value = row["judged"]
    return None if value is None else bool(value)
