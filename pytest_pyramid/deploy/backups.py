"""The ``pg_dump`` backups taken before contract migrations, and restoring one when a
``pyramid rollback`` crosses it and the operator asks for it by name.

A backup is ``<work_dir>/backups/<UTC time>-before-<migration>.dump`` with a record beside it
(``.json``): the release whose deploy took it, the contract migrations it precedes, when.

Restoring is destructive, so it is never a default and never a guess:

- rolling traffic back never needs it (the schema check proved the previous release works on
  the migrated schema), so ``pyramid rollback`` alone moves traffic only and names the backup;
- ``pyramid rollback --restore-backup NAME`` restores it, and only when NAME is the file name
  of the backup this rollback crosses (the one the serving release's deploy took), so a
  backup is restored only after someone read which one, and when it was taken;
- every write made to the database after the backup is lost (orders placed, rows changed by
  any version): the restore says so and the history row of the rollback records it;
- traffic moves first (to the previous release, which works on both schemas), then the
  database is restored, in one transaction (``pg_restore --clean --single-transaction``): a
  restore that fails leaves the database as it was, and says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.deploy.migrations import MigrationError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


#: a backup or a restore of a large database may take long on a loaded machine
RESTORE_TIMEOUT_S = 1800.0
BACKUP_TIMEOUT_S = 900.0
#: how long the restore waits for a lock a running transaction holds (PostgreSQL's syntax)
LOCK_TIMEOUT = "60s"


@dataclass(frozen=True)
class Backup:
    dump: Path
    #: the release whose deploy took it, before applying ``migrations``
    commit: str
    migrations: tuple[str, ...]
    taken_at: str

    @property
    def name(self) -> str:
        return self.dump.name


def record(dump: Path, commit: str, migrations: Sequence[str], taken_at: str) -> Backup:
    """Write the record beside ``dump`` (after the dump succeeded)."""
    from pytest_pyramid._files import write_json_atomic

    backup = Backup(dump, commit, tuple(migrations), taken_at)
    write_json_atomic(dump.with_suffix(".json"), {
        "dump": dump.name, "commit": commit, "migrations": list(migrations),
        "taken_at": taken_at})
    return backup


def _read(path: Path) -> Backup | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    dump = path.parent / str(data.get("dump", ""))
    names = data.get("migrations")
    if not dump.is_file() or dump.parent != path.parent or not isinstance(names, list):
        return None
    return Backup(dump, str(data.get("commit", "")), tuple(str(n) for n in names),
                  str(data.get("taken_at", "")))


def taken_by(folder: Path, commit: str, since: str | None = None) -> list[Backup]:
    """The backups the deploy of ``commit`` took, oldest first (names sort by time); with
    ``since`` (when the deploy that made the serving release serve started), only those taken
    from then on: a backup an earlier deploy of the same commit took is of a database as it
    was before that earlier deploy, rolled back since (restored, or replaced: ``./dev canary``
    run twice on a fresh server), and restoring it would bring back the wrong data. A record
    whose time cannot be read is not proven to be this deploy's, so it is left out."""
    found = (_read(p) for p in sorted(folder.glob("*.json")))
    mine = [b for b in found if b is not None and b.commit == commit]
    return mine if since is None else [b for b in mine if _not_before(b.taken_at, since)]


def _not_before(taken_at: str, since: str) -> bool:
    from pytest_pyramid.deploy.history import parse_iso

    try:
        return parse_iso(taken_at) >= parse_iso(since)
    except (ValueError, TypeError):  # unreadable, or a naive time against an aware one
        return False


@dataclass(frozen=True)
class RestorePlan:
    """What ``pyramid rollback`` does about the database: ``backup`` to restore (None: the
    schema stays), ``refusal`` (the rollback must not start), ``note`` (said either way)."""

    backup: Backup | None = None
    refusal: str | None = None
    note: str | None = None


def plan_restore(crossed: Sequence[Backup], wanted: str | None,
                 applied: Mapping[str, str] | None) -> RestorePlan:
    """Decide from the backups the serving release's deploy took (``crossed``, oldest first),
    the name asked for (``--restore-backup``) and the migrations applied now (None: not read,
    because nothing is to be restored)."""
    first = crossed[0] if crossed else None
    if wanted is None:
        if first is None:
            return RestorePlan()
        return RestorePlan(note=(
            f"the database keeps the schema of {', '.join(first.migrations)} (-- pyramid: "
            f"contract, applied by the deploy of {first.commit[:12]}): the previous release "
            "passed the schema check on it, so only traffic moves. To also restore the "
            f"database as it was before, roll back with --restore-backup {first.name} "
            f"(taken {first.taken_at}; every write made after it is lost)"))
    if first is None:
        return RestorePlan(refusal=(
            f"--restore-backup {wanted}: this rollback crosses no contract migration backup "
            "(the serving release's deploy took none); nothing was moved"))
    if wanted != first.name:
        return RestorePlan(refusal=(
            f"--restore-backup {wanted}: this rollback crosses the backup {first.name} (taken "
            f"{first.taken_at} before {', '.join(first.migrations)}), not that one; nothing "
            "was moved"))
    missing = [name for name in first.migrations if name not in (applied or {})]
    if missing:
        return RestorePlan(refusal=(
            f"--restore-backup {wanted}: {', '.join(missing)} is not applied to the database "
            "now (restored already?), so the backup taken before it would undo other "
            "changes; nothing was moved"))
    return RestorePlan(backup=first)


def restore(url: str, backup: Backup) -> None:
    """Restore ``backup`` into the database at ``url`` in one transaction: the objects the
    dump holds are dropped and created again with their rows as they were (the migrations'
    record too, so the contract step is pending again); anything the dump does not hold is
    left as it is."""
    pg_restore = postgres_tool("pg_restore")
    if pg_restore is None:
        raise MigrationError("no pg_restore was found (PATH, the server's binaries, "
                             "/usr/lib/postgresql/*/bin)")
    argv = [pg_restore, "--clean", "--if-exists", "--single-transaction", "--no-owner",
            "--exit-on-error", f"--dbname={url}", str(backup.dump)]
    # a session of the serving version left in an open transaction holds locks the restore's
    # DROPs wait for: give up after LOCK_TIMEOUT (one transaction: nothing changed) and say so
    options = f"{os.environ.get('PGOPTIONS', '')} -c lock_timeout={LOCK_TIMEOUT}".strip()
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=RESTORE_TIMEOUT_S,
                                check=False, env={**os.environ, "PGOPTIONS": options})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MigrationError(f"pg_restore of {backup.name} failed: {exc}") from None
    if result.returncode != 0:
        raise MigrationError(f"pg_restore of {backup.name} failed with status "
                             f"{result.returncode}, the database is as it was: "
                             f"{result.stderr.strip()[-400:]}")


def postgres_tool(name: str) -> str | None:
    """``name`` (pg_dump, pg_restore) beside the server binaries the fixtures would use, else
    on PATH, else in the distribution's versioned folders, newest first (a pg_dump older than
    the server refuses)."""
    from pytest_pyramid.toolkits.services.providers import POSTGRES, POSTGRES_ROOTS, find

    found = find(POSTGRES, ("binaries",), os.environ,
                 which=lambda tool, path: shutil.which(tool, path=path))
    folders = [found.where] if found.where else []
    folders += sorted((str(p) for root in POSTGRES_ROOTS for p in root.glob("*/bin")),
                      key=lambda f: int(Path(f).parent.name) if Path(f).parent.name.isdigit()
                      else 0, reverse=True)
    for folder in folders:
        if shutil.which(name, path=folder):
            return shutil.which(name, path=folder)
    return shutil.which(name)


def backup_database(url: str, folder: Path, before: str) -> Path:
    """``pg_dump`` of the database at ``url`` (custom format, for ``pg_restore``) into
    ``folder``, named by the time and the migration it precedes; the distribution's pg_dump,
    found as the fixtures find the server's binaries."""
    from pytest_pyramid.deploy.history import now_utc

    pg_dump = postgres_tool("pg_dump")
    if pg_dump is None:
        raise MigrationError("a contract migration needs a backup first, and no pg_dump was "
                             "found (PATH, the server's binaries, /usr/lib/postgresql/*/bin)")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-before-{Path(before).stem}.dump"
    try:
        result = subprocess.run([pg_dump, "--format=custom", f"--file={path}", f"--dbname={url}"],
                                capture_output=True, text=True, timeout=BACKUP_TIMEOUT_S,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MigrationError(f"pg_dump failed, nothing was applied: {exc}") from None
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        raise MigrationError(f"pg_dump failed with status {result.returncode}, nothing was "
                             f"applied: {result.stderr.strip()[-400:]}")
    return path
