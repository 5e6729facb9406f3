"""A contract migration (``-- pyramid: contract``) needs an approval before a deploy applies it:
the deploy gate against a real PostgreSQL, with signed approvals through ``pyramid approve``.
No nginx: the gate is judged by ``pyramid deploy --dry-run``, which stops before any start."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.migrate import applied

if TYPE_CHECKING:
    from tests.deploy.helpers import Project

pytestmark = pytest.mark.skipif(
    not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
    reason="PostgreSQL from apt (./dev setup installs it)",
)

CREATE = "CREATE TABLE orders (id serial PRIMARY KEY, qty int NOT NULL, note text);"
DROP = """
    -- pyramid: contract
    -- the release before stopped reading orders.note
    ALTER TABLE orders DROP COLUMN note;
"""


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    """alice approves, carol deploys: key pairs as `pyramid keygen` writes them."""
    from pytest_pyramid.verdict.signing import generate_private_key, private_pem, public_pem

    folder = tmp_path / "keys"
    folder.mkdir()
    for name in ("alice", "carol"):
        key = generate_private_key()
        (folder / f"{name}.key").write_bytes(private_pem(key))
        (folder / f"{name}.pub").write_bytes(public_pem(key.public_key()))
    return folder


def test_a_contract_migration_needs_an_approval_naming_it(
    repo: Project, database: str, keys: Path
) -> None:
    repo.env["SHOP_DATABASE_URL"] = database
    repo.write_config(migrations="migrations", database_url_env="SHOP_DATABASE_URL",
                      approvers={"alice": {"key": str(keys / "alice.pub"), "roles": ["lead"]}},
                      deployers={"carol": {"key": str(keys / "carol.pub")}})
    (repo.root / "migrations").mkdir()
    (repo.root / "migrations/0001_orders.sql").write_text(CREATE)
    (repo.root / "migrations/0002_drop_note.sql").write_text(textwrap.dedent(DROP))
    repo.commit("v1 with a contract step")  # a ready verdict: the migration raises it
    deployer = ("--deployer-key", str(keys / "carol.key"))

    asked = repo.run("deploy", "--dry-run", *deployer)
    assert asked.returncode == 2, asked.stdout
    assert "needs approval:" in asked.stdout
    assert ("contract migration 0002_drop_note.sql (-- pyramid: contract, not "
            "backward-compatible) needs 1 approval(s) (any role)") in asked.stdout
    assert "has 0" in asked.stdout
    assert "[plan]" not in asked.stdout  # refused at the gate: nothing planned or applied
    assert applied(database) == {}

    signed = repo.run("approve", "--key", str(keys / "alice.key"))
    assert signed.returncode == 0, signed.stderr
    allowed = repo.run("deploy", "--dry-run", *deployer)
    assert allowed.returncode == 0, allowed.stdout
    assert "approved by alice (lead)" in allowed.stdout
    assert "contract migration 0002_drop_note.sql" in allowed.stdout

