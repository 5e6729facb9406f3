"""A release's migrations against the real database: applying them, and the check that the
release still serving keeps working on the migrated schema (a gate of ``pyramid deploy``).

psycopg 3 (the ``services`` extra) is imported only here, and only when a project configures
``[tool.pyramid.deploy] migrations``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.deploy.migrations import Migration, MigrationError, plan
from pytest_pyramid.toolkits.services.providers import SCHEMA_USED, SCHEMA_VARIABLE

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import psycopg

    from pytest_pyramid.deploy.config import DeployConfig

#: the table that records what was applied (name, content hash, when)
TABLE = "pyramid_schema_migrations"
#: a session advisory lock: two deploys never apply migrations to one database at once
LOCK_KEY = 0x7079_7261  # "pyra"
#: failing tests named one by one in a refusal (the history row keeps the reasons)
NAMED_FAILURES = 10
#: the previous release's tier may take this long on a loaded machine
CHECK_TIMEOUT_S = 900.0


def connect(url: str) -> psycopg.Connection[Any]:
    try:
        import psycopg
    except ImportError:
        raise MigrationError("applying migrations needs psycopg 3: pip install "
                             "'pytest-pyramid-verdict[services]'") from None
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise MigrationError(f"cannot connect to the database: {exc}") from None


def _applied(conn: psycopg.Connection[Any]) -> dict[str, str]:
    if conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone() == (None,):
        return {}
    return {str(name): str(sha) for name, sha in
            conn.execute(f"SELECT name, sha256 FROM {TABLE}").fetchall()}


def applied(url: str) -> dict[str, str]:
    """The migrations recorded as applied in the database at ``url`` (name: sha256)."""
    with connect(url) as conn:
        return _applied(conn)


def apply(url: str, migrations: Sequence[Migration], out: Callable[[str], None], *,
          before_contract: Callable[[Sequence[Migration]], object] | None = None) -> list[str]:
    """Apply what the database lacks, in order, each file and its record in one transaction
    (a failing file leaves nothing of itself); returns the names applied. When a pending
    migration is declared a contract step, ``before_contract`` runs first, under the lock
    (the backup of the database as it is right before)."""
    import psycopg

    done: list[str] = []
    with connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (name text PRIMARY KEY, "
                         "sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            steps = plan(migrations, _applied(conn))  # again under the lock: what is true now
            if steps.problems:
                raise MigrationError("; ".join(steps.problems))
            if steps.contract and before_contract is not None:
                before_contract(steps.contract)
            for migration in steps.pending:
                try:
                    with conn.transaction():
                        conn.execute(migration.sql.encode())
                        conn.execute(f"INSERT INTO {TABLE} (name, sha256) VALUES (%s, %s)",
                                     (migration.name, migration.sha256))
                except psycopg.Error as exc:
                    raise MigrationError(f"{migration.name} failed and was rolled back: "
                                         f"{exc}") from None
                out(f"[migrate] applied {migration.name}")
                done.append(migration.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return done


# --- the compatibility check ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    #: one line: what ran and how it ended
    summary: str
    #: the failing tests' node ids
    failed: tuple[str, ...] = ()


def _junit_outcomes(path: Path) -> tuple[int, list[str]]:
    """(passed, failed node ids) from pytest's JUnit XML; a test that failed and then errored
    in its teardown is two entries there, one failed test here."""
    ran: dict[str, None] = {}
    failed: dict[str, None] = {}  # dicts: ordered, each name once
    for case in ET.parse(path).getroot().iter("testcase"):
        module = str(case.get("classname", "")).replace(".", "/")
        name = f"{module}.py::{case.get('name')}" if module else str(case.get("name"))
        if case.find("failure") is not None or case.find("error") is not None:
            failed[name] = None
        elif case.find("skipped") is None:
            ran[name] = None
    return len(ran.keys() - failed.keys()), list(failed)


def _schema_was_used(verdict: Path) -> bool:
    try:
        sections = json.loads(verdict.read_text())
    except (OSError, ValueError):
        return False
    used = sections.get("services", {}).get("used", []) if isinstance(sections, dict) else []
    return any(str(line).startswith(SCHEMA_USED) for line in used)


def compatibility_check(
    previous: Path, migrations: Path, tier: str, *, environ: Mapping[str, str] | None = None,
    timeout: float = CHECK_TIMEOUT_S,
) -> CheckResult:
    """Run the previous release's own ``tier`` (in its release folder, ``previous``) with its
    database template built from the new release's ``migrations``: the schema the previous
    version will meet once they are applied. Any failing test blocks; so does a tier that
    ran nothing, or never built a database from these migrations (it proved nothing)."""
    with tempfile.TemporaryDirectory(prefix="pyramid-schema-check-") as scratch:
        junit = Path(scratch, "junit.xml")
        verdict = Path(scratch, "verdict.json")
        argv = [sys.executable, "-m", "pytest", f"--pyramid-tier={tier}", "-p",
                "no:cacheprovider", f"--junitxml={junit}", f"--pyramid-verdict={verdict}", "-q"]
        env = {**(os.environ if environ is None else environ), SCHEMA_VARIABLE: str(migrations)}
        try:
            result = subprocess.run(argv, cwd=previous, env=env, capture_output=True, text=True,
                                    timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return CheckResult(False, f"the {tier} tier did not finish within {timeout:.0f} s")
        what = f"the previous release's {tier} tier on the migrated schema"
        if not junit.is_file():
            tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
            return CheckResult(False, f"{what} did not run (pytest exit {result.returncode}): "
                                      + " | ".join(tail))
        passed, failed = _junit_outcomes(junit)
        if failed:
            return CheckResult(False, f"{what}: {len(failed)} failed, {passed} passed",
                               tuple(failed))
        if passed == 0:
            return CheckResult(False, f"{what}: no test ran (pytest exit {result.returncode})")
        if not _schema_was_used(verdict):
            return CheckResult(False, f"{what}: {passed} passed, but none of them built a "
                                      "database from the new migrations (pyramid_postgres "
                                      "unused), so the check proved nothing")
        return CheckResult(True, f"{what}: {passed} passed")


# --- what pyramid deploy does with them ----------------------------------------------------


def database_url(config: DeployConfig, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    url = env.get(config.database_url_env, "").strip()
    if not url:
        raise MigrationError(f"deploy.migrations is {config.migrations!r} but "
                             f"${config.database_url_env} (deploy.database_url_env) is not set: "
                             "the deploy cannot know which database to migrate")
    return url


def _release_project(config: DeployConfig, commit: str) -> Path:
    from pytest_pyramid.deploy import releases

    folder = config.release_path(commit)
    releases.checkout(config.root, commit, folder)
    return releases.project_folder(config.root, folder)


def gate(config: DeployConfig, commit: str, out: Callable[[str], None]) -> list[str]:
    """Why the deploy of ``commit`` must be refused for its migrations (empty: it may go on).

    Nothing pending: the schema does not change, nothing to check. Pending, and a release
    serving: that release's own ``migrations_check_tier`` must pass on the migrated schema."""
    from pytest_pyramid.deploy.migrations import read_folder
    from pytest_pyramid.deploy.releases import ReleaseError
    from pytest_pyramid.deploy.state import read_state

    if not config.migrations:
        return []
    try:
        url = database_url(config)
        folder = _release_project(config, commit) / config.migrations
        steps = plan(read_folder(folder), applied(url))
    except (MigrationError, ReleaseError) as exc:
        return [f"migrations: {exc}"]
    if steps.problems:
        return [f"migrations: {problem}" for problem in steps.problems]
    if not steps.pending:
        out("[migrations] none pending: the schema stays as it is")
        return []
    names = ", ".join(m.name for m in steps.pending)
    stable = read_state(config.state_path).state.stable
    if stable is None:
        out(f"[migrations] pending: {names}; no release serves yet, so none to keep working")
        return []
    try:
        previous = Path(stable.release) if Path(stable.release).is_dir() else \
            _release_project(config, stable.commit)
    except ReleaseError as exc:
        return [f"schema check: the serving release {stable.commit[:12]} cannot be checked "
                f"out to run its tests: {exc}"]
    tier = config.migrations_check_tier
    out(f"[migrations] pending: {names}; running the serving release {stable.commit[:12]}'s "
        f"{tier} tier against them first")
    result = compatibility_check(previous, folder, tier)
    out(f"[migrations] {result.summary}")
    if result.ok:
        return []
    named = [f"failed: {name}" for name in result.failed[:NAMED_FAILURES]]
    if len(result.failed) > NAMED_FAILURES:
        named.append(f"and {len(result.failed) - NAMED_FAILURES} more failed test(s)")
    return [f"schema check: {result.summary} (the serving release would break once the "
            "migrations are applied: expand first, contract in a later release)", *named]


def apply_release(config: DeployConfig, release: Path, out: Callable[[str], None]) -> None:
    """Apply the release's pending migrations before its version starts (under the lock; the
    plan is made again, so a concurrent deploy's migrations are seen)."""
    from pytest_pyramid.deploy.migrations import read_folder

    url = database_url(config)

    def backup(contract: Sequence[Migration]) -> None:
        names = ", ".join(m.name for m in contract)
        path = backup_database(url, config.work_dir / "backups", contract[0].name)
        out(f"[migrate] {names} declared not backward-compatible (-- pyramid: contract): the "
            f"database was backed up first to {path}")

    names = apply(url, read_folder(release / config.migrations), out, before_contract=backup)
    if not names:
        out("[migrate] the database already has every migration of this release")


def _pg_dump() -> str | None:
    """pg_dump beside the server binaries the fixtures would use, else on PATH, else in the
    distribution's versioned folders, newest first (a pg_dump older than the server refuses)."""
    from pytest_pyramid.toolkits.services.providers import POSTGRES, POSTGRES_ROOTS, find

    found = find(POSTGRES, ("binaries",), os.environ,
                 which=lambda name, path: shutil.which(name, path=path))
    folders = [found.where] if found.where else []
    folders += sorted((str(p) for root in POSTGRES_ROOTS for p in root.glob("*/bin")),
                      key=lambda f: int(Path(f).parent.name) if Path(f).parent.name.isdigit()
                      else 0, reverse=True)
    for folder in folders:
        if shutil.which("pg_dump", path=folder):
            return shutil.which("pg_dump", path=folder)
    return shutil.which("pg_dump")


def backup_database(url: str, folder: Path, before: str) -> Path:
    """``pg_dump`` of the database at ``url`` (custom format, for ``pg_restore``) into
    ``folder``, named by the time and the migration it precedes; the distribution's pg_dump,
    found as the fixtures find the server's binaries."""
    from datetime import datetime, timezone

    pg_dump = _pg_dump()
    if pg_dump is None:
        raise MigrationError("a contract migration needs a backup first, and no pg_dump was "
                             "found (PATH, the server's binaries, /usr/lib/postgresql/*/bin)")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-before-{Path(before).stem}.dump"
    try:
        result = subprocess.run([pg_dump, "--format=custom", f"--file={path}", f"--dbname={url}"],
                                capture_output=True, text=True, timeout=CHECK_TIMEOUT_S,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MigrationError(f"pg_dump failed, nothing was applied: {exc}") from None
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        raise MigrationError(f"pg_dump failed with status {result.returncode}, nothing was "
                             f"applied: {result.stderr.strip()[-400:]}")
    return path
