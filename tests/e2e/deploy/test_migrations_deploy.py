"""``pyramid deploy`` with migrations, end to end: real nginx, real PostgreSQL, real runs of the
serving release's integration tier. A breaking migration is refused before anything is applied
or any traffic moves, naming the failing test; an expand step with a contract step passes the
check, needs an approval for the contract step, is applied (after a backup) before the new
version starts, and the rollout goes on; `pyramid rollback --restore-backup` restores it."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.deploy.migrate import applied
from pytest_pyramid.project import read_table
from pytest_pyramid.verdict.document import config_digest
from tests.conftest import LEAN_ADDOPTS
from tests.support.deploy.helpers import Load, Project

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None
    or not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
    reason="PostgreSQL and Redis from apt (./dev setup installs them)",
)

FILES = {
    "conftest.py": 'pytest_plugins = ["pytest_pyramid.toolkits.plugin"]\n',
    # legacy: a column this release no longer reads, dropped by a later contract step
    "migrations/0001_orders.sql": "CREATE TABLE orders (id serial PRIMARY KEY, qty int NOT NULL, "
                                  "legacy text);",
    "tests/integration/test_orders.py": """
        def test_orders_read_back(pyramid_postgres):
            with pyramid_postgres.connect() as conn:
                conn.execute("INSERT INTO orders (qty) VALUES (3)")
                assert conn.execute("SELECT qty FROM orders").fetchall() == [(3,)]
    """,
}
PYRAMID = {"tiers": {"integration": {"paths": ["tests/integration"]}},
           "services": {"tiers": ["integration"], "postgres_schema": "migrations"}}


def write(root: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(body))


def columns(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE "
                            "table_name = 'orders'").fetchall()
    return [row[0] for row in rows]


def commit(project: Project, message: str) -> str:
    """A commit and its ready verdict, judged under the tracked configuration it carries."""
    sha = project.commit(message)
    data = json.loads(project.verdict_path.read_text())
    data["config"]["digest"] = config_digest(read_table(project.root / "pyproject.toml") or {})
    write_json_atomic(project.verdict_path, data)
    return sha


def test_a_breaking_migration_is_refused_and_an_expand_contract_step_goes_out(
    project: Project, database: str, approver_keys: Path
) -> None:
    # the configuration is tracked here: the serving release's tier reads its own tiers
    (project.root / ".gitignore").write_text("pyramid-verdict*\n.pyramid/\n")
    project.env["SHOP_DATABASE_URL"] = database
    project.write_config(pyramid=PYRAMID, migrations="migrations",
                         database_url_env="SHOP_DATABASE_URL", progress_deadline="2m",
                         steps=[50, 100],
                         approvers={"alice": {"key": str(approver_keys / "alice.pub"),
                                              "roles": ["lead"]}},
                         deployers={"carol": {"key": str(approver_keys / "carol.pub")}})
    with (project.root / "pyproject.toml").open("a") as pyproject:
        # plugins that cost seconds of start-up per schema-check run and play no part in it
        pyproject.write(f'[tool.pytest.ini_options]\naddopts = "{LEAN_ADDOPTS}"\n')
    write(project.root, FILES)
    first = commit(project, "v1")
    result = project.run("deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[migrate] applied 0001_orders.sql" in result.stdout
    assert set(applied(database)) == {"0001_orders.sql"}

    write(project.root, {"migrations/0002_rename.sql":
                         "ALTER TABLE orders RENAME COLUMN qty TO quantity;"})
    commit(project, "v2: a rename in one step")
    result = project.run("deploy", timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "schema check: the previous release's integration tier on the migrated schema: " \
           "1 failed, 0 passed" in result.stdout
    assert "failed: tests/integration/test_orders.py::test_orders_read_back" in result.stdout
    # nothing applied, nothing started: the first release serves as before
    assert set(applied(database)) == {"0001_orders.sql"}
    assert project.state()["stable"]["commit"] == first
    assert "[start]" not in result.stdout

    (project.root / "migrations/0002_rename.sql").unlink()
    write(project.root, {"migrations/0002_note.sql":
                         "ALTER TABLE orders ADD COLUMN note text NOT NULL DEFAULT '';",
                         "migrations/0003_drop_legacy.sql":
                         "-- pyramid: contract\nALTER TABLE orders DROP COLUMN legacy;"})
    third = commit(project, "v3: expand, and contract what v1 no longer reads")
    deployer = ("--deployer-key", str(approver_keys / "carol.key"))
    result = project.run("deploy", *deployer)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "contract migration 0003_drop_legacy.sql (-- pyramid: contract, not " \
           "backward-compatible) needs 1 approval(s)" in result.stdout
    assert set(applied(database)) == {"0001_orders.sql"}
    assert project.run("approve", "--key", str(approver_keys / "alice.key")).returncode == 0
    with Load(project.url) as load:  # a canary step needs traffic to judge
        load.wait_for(20)
        result = project.run("deploy", *deployer, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "approved by alice (lead)" in result.stdout
    assert "the previous release's integration tier on the migrated schema: 1 passed" \
           in result.stdout
    assert "[migrate] the schema and the serving release are as the gate checked them" \
        in result.stdout
    # backed up, then applied, before the new version started
    out = result.stdout
    assert out.index("the database was backed up first") < \
        out.index("[migrate] applied 0002_note.sql") < out.index(f"[start] {third[:12]}")
    assert set(applied(database)) == {"0001_orders.sql", "0002_note.sql", "0003_drop_legacy.sql"}
    assert project.state()["stable"]["commit"] == third
    [dump] = (project.work_dir / "backups").glob("*.dump")

    # a restore asked of another backup is refused, nothing moved
    result = project.run("rollback", "--restore-backup", "20261206T120000Z-before-x.dump")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"this rollback crosses the backup {dump.name}" in result.stdout
    assert project.state()["stable"]["commit"] == third
    # asked by its name: traffic back to v1, then the database as it was before the backup
    result = project.run("rollback", "--restore-backup", dump.name, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert project.state()["stable"]["commit"] == first
    assert set(applied(database)) == {"0001_orders.sql"}
    assert "legacy" in columns(database)
    rows = json.loads(project.run("history", "--json").stdout)
    assert f"database restored from {dump.name}" in rows[0]["reason"]
