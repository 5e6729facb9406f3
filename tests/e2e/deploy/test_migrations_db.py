"""Migrations against a real PostgreSQL: applied in order, once, each whole or not at all; and
the schema check, a real run of the previous release's tier on the new migrations."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.backups import backup_database
from pytest_pyramid.deploy.migrate import (
    TABLE,
    applied,
    apply,
    compatibility_check,
)
from pytest_pyramid.deploy.migrations import Migration, MigrationError, parse_migration

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_pyramid.toolkits.services.servers import PostgresServer

pytestmark = pytest.mark.skipif(
    not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
    reason="PostgreSQL from apt (./dev setup installs it)",
)

CREATE = parse_migration("0001_orders.sql", "CREATE TABLE orders (id serial PRIMARY KEY, "
                                            "qty int NOT NULL CHECK (qty > 0));")
EXPAND = parse_migration("0002_note.sql", "ALTER TABLE orders ADD COLUMN note text NOT NULL "
                                          "DEFAULT '';")
RENAME = parse_migration("0002_rename.sql", "ALTER TABLE orders RENAME COLUMN qty TO quantity;")
# the second statement fails: the first must not stay behind
HALF = parse_migration("0003_half.sql", "ALTER TABLE orders ADD COLUMN half int;\n"
                                        "ALTER TABLE nowhere ADD COLUMN x int;")


def columns(pg_server: PostgresServer, pg_url: str) -> list[str]:
    import psycopg

    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE "
                            "table_name = 'orders' ORDER BY ordinal_position").fetchall()
    return [row[0] for row in rows]


def test_applied_in_order_once_and_recorded(pg_server: PostgresServer, pg_url: str) -> None:
    said: list[str] = []
    assert applied(pg_url) == {}
    assert apply(pg_url, [CREATE, EXPAND], said.append) == ["0001_orders.sql", "0002_note.sql"]
    assert said == ["[migrate] applied 0001_orders.sql", "[migrate] applied 0002_note.sql"]
    assert applied(pg_url) == {CREATE.name: CREATE.sha256, EXPAND.name: EXPAND.sha256}
    assert columns(pg_server, pg_url) == ["id", "qty", "note"]
    assert apply(pg_url, [CREATE, EXPAND], said.append) == []


def test_a_failing_migration_leaves_nothing_of_itself(
    pg_server: PostgresServer, pg_url: str
) -> None:
    with pytest.raises(MigrationError, match=r'0003_half\.sql failed and was rolled back: '
                                             r'relation "nowhere" does not exist'):
        apply(pg_url, [CREATE, EXPAND, HALF], lambda line: None)
    # the two before it stay applied; its first statement is gone with it
    assert set(applied(pg_url)) == {CREATE.name, EXPAND.name}
    assert columns(pg_server, pg_url) == ["id", "qty", "note"]


def test_an_applied_migration_edited_later_is_refused(pg_url: str) -> None:
    apply(pg_url, [CREATE], lambda line: None)
    edited = parse_migration(CREATE.name, CREATE.sql + "\n-- tidied up\n")
    with pytest.raises(MigrationError, match=r"0001_orders\.sql was edited after it was applied"):
        apply(pg_url, [edited, EXPAND], lambda line: None)
    assert applied(pg_url) == {CREATE.name: CREATE.sha256}


def test_the_record_is_a_table_of_the_database(pg_server: PostgresServer, pg_url: str) -> None:
    import psycopg

    apply(pg_url, [CREATE], lambda line: None)
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(f"SELECT name, applied_at <= now() FROM {TABLE}").fetchone()
    assert row == ("0001_orders.sql", True)


# --- the schema check: the previous release's own tier, on the new migrations ---------------

PREVIOUS_PYPROJECT = """
    [tool.pyramid]
    [tool.pyramid.tiers.unit]
    paths = ["tests/unit"]
    [tool.pyramid.tiers.integration]
    paths = ["tests/integration"]
    [tool.pyramid.services]
    tiers = ["integration"]
    postgres_schema = "migrations"
"""
PREVIOUS_TESTS = """
    def test_orders_read_back(pyramid_postgres):
        with pyramid_postgres.connect() as conn:
            conn.execute("INSERT INTO orders (qty) VALUES (3)")
            assert conn.execute("SELECT qty FROM orders").fetchall() == [(3,)]

    def test_orders_need_a_quantity(pyramid_postgres):
        with pyramid_postgres.connect() as conn:
            assert conn.execute("SELECT count(*) FROM orders").fetchone() == (0,)
"""


def previous_release(root: Path, *, tests: str = PREVIOUS_TESTS) -> Path:
    """A project as the serving release's folder holds it: its tiers, its own migrations."""
    files = {
        "pyproject.toml": PREVIOUS_PYPROJECT,
        "conftest.py": 'pytest_plugins = ["pytest_pyramid.toolkits.plugin"]\n',
        "migrations/0001_orders.sql": CREATE.sql,
        "tests/integration/test_orders.py": tests,
        "tests/unit/test_nothing.py": "def test_unit():\n    assert 'no database' \n",
    }
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(body))
    return root


def new_migrations(root: Path, *extra: Migration) -> Path:
    root.mkdir()
    for migration in (CREATE, *extra):
        (root / migration.name).write_text(migration.sql)
    return root


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    if shutil.which("redis-server") is None:
        pytest.skip("the toolkit needs the services' binaries")
    return previous_release(tmp_path / "previous")


def test_an_expand_step_passes_the_previous_releases_tier(previous: Path, tmp_path: Path) -> None:
    result = compatibility_check(previous, new_migrations(tmp_path / "new", EXPAND),
                                 "integration")
    assert result.ok, result
    assert result.summary == ("the previous release's integration tier on the migrated schema: "
                              "2 passed")


def test_a_breaking_step_fails_it_naming_the_tests(previous: Path, tmp_path: Path) -> None:
    result = compatibility_check(previous, new_migrations(tmp_path / "new", RENAME),
                                 "integration")
    assert not result.ok
    assert result.summary.endswith("1 failed, 1 passed")
    assert result.failed == ("tests/integration/test_orders.py::test_orders_read_back",)


def test_a_tier_that_never_used_the_database_proves_nothing(
    previous: Path, tmp_path: Path
) -> None:
    previous_release(previous, tests="def test_no_database():\n    pass\n")
    result = compatibility_check(previous, new_migrations(tmp_path / "new", RENAME),
                                 "integration")
    assert not result.ok
    assert "none of them built a database from the new migrations" in result.summary


def test_a_project_schema_fixture_that_would_ignore_the_migrations_fails(
    previous: Path, tmp_path: Path
) -> None:
    (previous / "conftest.py").write_text(textwrap.dedent("""
        import pytest
        pytest_plugins = ["pytest_pyramid.toolkits.plugin"]

        @pytest.fixture(scope="session")
        def pyramid_postgres_schema():
            return lambda url: None
    """))
    result = compatibility_check(previous, new_migrations(tmp_path / "new", RENAME),
                                 "integration")
    assert not result.ok
    assert len(result.failed) == 2


def test_a_contract_step_is_applied_only_after_a_backup_that_restores(
    pg_server: PostgresServer, pg_url: str, tmp_path: Path
) -> None:
    import psycopg

    apply(pg_url, [CREATE], lambda line: None)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO orders (qty) VALUES (7)")
    drop = parse_migration("0002_drop.sql", "-- pyramid: contract\n"
                                            "ALTER TABLE orders DROP COLUMN qty;")
    backups: list[Path] = []

    def backup(contract: Sequence[Migration]) -> None:
        assert [m.name for m in contract] == ["0002_drop.sql"]
        assert columns(pg_server, pg_url) == ["id", "qty"]  # taken before the drop
        backups.append(backup_database(pg_url, tmp_path / "backups", contract[0].name))

    assert apply(pg_url, [CREATE, drop], lambda line: None, before_contract=backup) == [
        "0002_drop.sql"]
    assert columns(pg_server, pg_url) == ["id"]
    [dump] = backups
    assert dump.parent == tmp_path / "backups"
    assert dump.name.endswith("-before-0002_drop.dump")
    # the backup brings the dropped column and its row back
    restored = pg_server.clone()
    pg_restore = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1], "pg_restore")
    subprocess.run([str(pg_restore), "--no-owner", f"--dbname={pg_server.conninfo(restored)}",
                    str(dump)], check=True, capture_output=True, timeout=120)
    with psycopg.connect(pg_server.conninfo(restored)) as conn:
        assert conn.execute("SELECT qty FROM orders").fetchall() == [(7,)]
    pg_server.drop(restored)


def test_a_failing_backup_applies_nothing(pg_url: str, tmp_path: Path) -> None:
    drop = parse_migration("0002_drop.sql", "-- pyramid: contract\n"
                                            "ALTER TABLE orders DROP COLUMN qty;")
    apply(pg_url, [CREATE], lambda line: None)
    broken = pg_url.replace("dbname=", "dbname=missing_")  # pg_dump cannot connect to it
    with pytest.raises(MigrationError, match=r"pg_dump failed with status 1, nothing was applied"):
        apply(pg_url, [CREATE, drop], lambda line: None,
              before_contract=lambda contract: backup_database(broken, tmp_path, "0002_drop"))
    assert set(applied(pg_url)) == {CREATE.name}
