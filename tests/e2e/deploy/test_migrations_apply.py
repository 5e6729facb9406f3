"""Applying a release's migrations against a real PostgreSQL, after the gate judged them.

The gate's schema check holds only for the schema and the serving release it saw: when
another deploy migrates the database (and takes over serving) between the gate and the apply,
the apply checks again under the advisory lock, against what is true then. A contract step is
backed up first, and `pyramid rollback --restore-backup` restores that backup.

Two real migrators against one real PostgreSQL. They are ordered by the lock itself: the first
holds it and starts the second, then waits until PostgreSQL shows the second waiting for it
(``pg_locks``); no sleep orders them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.backups import taken_by
from pytest_pyramid.deploy.config import build_config
from pytest_pyramid.deploy.migrate import (
    Examined,
    after_rollback,
    applied,
    apply,
    apply_release,
    for_rollback,
    record_gate,
)
from pytest_pyramid.deploy.migrations import MigrationError, Plan, parse_migration, read_folder
from pytest_pyramid.deploy.processes import Version
from pytest_pyramid.deploy.state import DeployState, save_state

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.toolkits.services.servers import PostgresServer

pytestmark = pytest.mark.skipif(
    not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
    reason="PostgreSQL from apt (./dev setup installs it)",
)

CREATE = parse_migration("0001_orders.sql", "CREATE TABLE orders (id serial PRIMARY KEY, "
                                            "qty int NOT NULL);")
NOTE = parse_migration("0002_note.sql", "ALTER TABLE orders ADD COLUMN note text NOT NULL "
                                        "DEFAULT '';")
# not declared a contract step: the check is what catches it
DROP_NOTE = parse_migration("0003_drop_note.sql", "ALTER TABLE orders DROP COLUMN note;")
CONTRACT = parse_migration("0003_drop_note.sql", "-- pyramid: contract\n" + DROP_NOTE.sql)
OLD, NEW, CHECKING = "0" * 40, "b" * 40, "a" * 40

#: release B reads the column 0002 adds: its tier breaks once 0003 drops it
B_TESTS = """
    def test_orders_keep_a_note(pyramid_postgres):
        with pyramid_postgres.connect() as conn:
            conn.execute("INSERT INTO orders (qty, note) VALUES (1, 'gift')")
            assert conn.execute("SELECT note FROM orders").fetchall() == [("gift",)]
"""
B_PYPROJECT = """
    [tool.pyramid.tiers.integration]
    paths = ["tests"]
    [tool.pyramid.services]
    tiers = ["integration"]
    postgres_schema = "migrations"
"""
#: migrator A in its own process, as the supervisor runs it: its release, its commit
MIGRATOR = """
import json, sys
from pathlib import Path
from pytest_pyramid.deploy.backups import taken_by
from pytest_pyramid.deploy.config import build_config
from pytest_pyramid.deploy.migrate import apply_release
from pytest_pyramid.deploy.migrations import MigrationError
table, root, release, commit = json.loads(sys.argv[1])
config = build_config(table, source="test", root=Path(root))
try:
    apply_release(config, Path(release), print, commit=commit)
except MigrationError as exc:
    print(f"REFUSED: {exc}")
"""


def release(root: Path, *migrations: Any, files: Mapping[str, str] | None = None) -> Path:
    for migration in migrations:
        (root / "migrations").mkdir(parents=True, exist_ok=True)
        (root / "migrations" / migration.name).write_text(migration.sql)
    for name, body in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(body))
    return root


def settings(tmp_path: Path) -> dict[str, object]:
    return {"migrations": "migrations", "database_url_env": "SHOP_DATABASE_URL",
            "work_dir": str(tmp_path / "work")}


def serving(config: DeployConfig, commit: str, folder: Path) -> None:
    """The deploy state says ``commit`` (its release in ``folder``) serves."""
    config.work_dir.mkdir(parents=True, exist_ok=True)
    save_state(config.state_path, DeployState(stable=Version(
        commit, 1, 1, str(folder), "", None)))


def gate_checked(config: DeployConfig, pg_url: str, folder: Path, serving_commit: str,
                 contract: tuple[str, ...] = ()) -> None:
    """What the gate records once the serving release's tier passed on ``folder``."""
    now = applied(pg_url)
    steps = Plan(tuple(m for m in read_folder(folder) if m.name not in now), ())
    record_gate(config, Examined(CHECKING, (), pg_url, folder, now, steps),
                (serving_commit, "/old") if serving_commit else None)
    # the contract steps whose approvals the gate counted (it records those pending then)
    path = config.work_dir / "migrations" / f"gate-{CHECKING}.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "contract": list(contract)}))


def waiting_for_the_lock(pg_url: str, migrator: subprocess.Popen[str]) -> None:
    """Until PostgreSQL shows a session waiting for an advisory lock (the migrator's)."""
    import psycopg

    deadline = time.monotonic() + 180
    with psycopg.connect(pg_url, autocommit=True) as conn:
        while conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                           "NOT granted").fetchone() != (1,):
            assert migrator.poll() is None, migrator.communicate()
            assert time.monotonic() < deadline, "the migrator never waited for the lock"
            time.sleep(0.05)


def test_a_schema_moved_by_another_deploy_is_checked_again_under_the_lock(
    pg_server: PostgresServer, pg_url: str, tmp_path: Path
) -> None:
    table = settings(tmp_path)
    config = build_config(table, source="test", root=tmp_path)
    apply(pg_url, [CREATE], lambda line: None)
    a = release(tmp_path / "a", CREATE, NOTE, DROP_NOTE)
    b = release(tmp_path / "b", CREATE, NOTE, files={
        "pyproject.toml": B_PYPROJECT, "tests/test_orders.py": B_TESTS,
        "conftest.py": 'pytest_plugins = ["pytest_pyramid.toolkits.plugin"]\n'})
    # A's gate: the old release (it never read orders.note) passed on 0001-0003
    gate_checked(config, pg_url, a / "migrations", OLD)
    environ = {**os.environ, "SHOP_DATABASE_URL": pg_url,
               # the check's pytest run builds its template on this pg_server: no initdb of its own
               "PYRAMID_POSTGRES_URL": pg_server.conninfo("postgres")}
    started: list[subprocess.Popen[str]] = []

    def then_a_waits(steps: Plan, now: Mapping[str, str]) -> None:
        # B holds the lock: its rollout ends with B serving before A's rollout may begin
        serving(config, NEW, b)
        started.append(subprocess.Popen(
            [sys.executable, "-c", MIGRATOR, json.dumps([table, str(tmp_path), str(a), CHECKING])],
            env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        waiting_for_the_lock(pg_url, started[0])

    assert apply(pg_url, read_folder(b / "migrations"), lambda line: None,
                 before_apply=then_a_waits) == ["0002_note.sql"]
    [migrator] = started
    said, _ = migrator.communicate(timeout=600)
    assert "the schema moved since the gate checked it (applied since the gate: " \
           "0002_note.sql; the serving release is bbbbbbbbbbbb, not 000000000000)" in said, said
    assert "running the serving release bbbbbbbbbbbb's integration tier against them again, " \
           "under the lock" in said
    assert "REFUSED: schema check: the previous release's integration tier on the migrated " \
           "schema: 1 failed, 0 passed" in said, said
    assert "failed: tests/test_orders.py::test_orders_keep_a_note" in said
    # nothing of A's was applied: B keeps its column
    assert set(applied(pg_url)) == {"0001_orders.sql", "0002_note.sql"}


def test_a_schema_as_the_gate_saw_it_is_not_checked_again(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = build_config(settings(tmp_path), source="test", root=tmp_path)
    monkeypatch.setenv("SHOP_DATABASE_URL", pg_url)
    apply(pg_url, [CREATE], lambda line: None)
    a = release(tmp_path / "a", CREATE, NOTE)
    serving(config, OLD, tmp_path / "old")
    gate_checked(config, pg_url, a / "migrations", OLD)
    said: list[str] = []
    apply_release(config, a, said.append, commit=CHECKING)
    assert said == ["[migrate] the schema and the serving release are as the gate checked them",
                    "[migrate] applied 0002_note.sql"]


@pytest.mark.parametrize("approved", [False, True], ids=["not-approved", "approved"])
def test_a_contract_step_the_gate_counted_no_approval_for_is_refused(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, approved: bool
) -> None:
    """E.g. the database was restored from a backup after the gate: the contract step is
    pending again, and nobody approved applying it this time."""
    config = build_config(settings(tmp_path), source="test", root=tmp_path)
    monkeypatch.setenv("SHOP_DATABASE_URL", pg_url)
    apply(pg_url, [CREATE, NOTE], lambda line: None)
    a = release(tmp_path / "a", CREATE, NOTE, CONTRACT)
    serving(config, OLD, tmp_path / "old")
    gate_checked(config, pg_url, a / "migrations", OLD,
                 contract=(CONTRACT.name,) if approved else ())
    if not approved:
        with pytest.raises(MigrationError, match=r"0003_drop_note\.sql \(-- pyramid: contract\) "
                                                 r"is pending, but the deploy gate counted no "
                                                 r"approval for it"):
            apply_release(config, a, lambda line: None, commit=CHECKING)
        assert set(applied(pg_url)) == {"0001_orders.sql", "0002_note.sql"}
        return
    apply_release(config, a, lambda line: None, commit=CHECKING)
    assert set(applied(pg_url)) == {"0001_orders.sql", "0002_note.sql", "0003_drop_note.sql"}
    [backup] = taken_by(config.work_dir / "backups", CHECKING)
    assert backup.migrations == ("0003_drop_note.sql",)


def test_a_rollback_asked_by_name_restores_the_backup_and_loses_later_writes(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    config = build_config(settings(tmp_path), source="test", root=tmp_path)
    monkeypatch.setenv("SHOP_DATABASE_URL", pg_url)
    apply(pg_url, [CREATE, NOTE], lambda line: None)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO orders (qty, note) VALUES (1, 'before')")
    a = release(tmp_path / "a", CREATE, NOTE, CONTRACT)
    serving(config, OLD, tmp_path / "old")
    gate_checked(config, pg_url, a / "migrations", OLD, contract=(CONTRACT.name,))
    apply_release(config, a, lambda line: None, commit=CHECKING)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO orders (qty) VALUES (2)")  # a write after the backup
    [backup] = taken_by(config.work_dir / "backups", CHECKING)

    # `pyramid rollback` from the release that took it, not asked: traffic only, named backup
    plain = for_rollback(config, CHECKING, None)
    assert plain.backup is None
    assert plain.note is not None
    assert f"--restore-backup {backup.name}" in plain.note
    assert for_rollback(config, OLD, None).note is None  # another release's rollback
    said: list[str] = []
    recorded = after_rollback(config, for_rollback(config, CHECKING, backup.name), said.append)
    assert recorded == (f"database restored from {backup.name} (taken {backup.taken_at}, before "
                        "0003_drop_note.sql; writes made after it were discarded)")
    assert "every write made after it is lost" in said[0]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT qty, note FROM orders").fetchall() == [(1, "before")]
    # the contract step is pending again: a later deploy asks for its approval again
    assert set(applied(pg_url)) == {"0001_orders.sql", "0002_note.sql"}
    again = for_rollback(config, CHECKING, backup.name)
    assert again.refusal is not None
    assert "0003_drop_note.sql is not applied to the database now" in again.refusal
