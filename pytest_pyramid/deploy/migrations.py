"""The schema migrations a release carries, and which of them a database still needs: pure.

A release's migrations are a folder of SQL files (``[tool.pyramid.deploy] migrations``),
applied in name order, each once, each in its own transaction. SQL files rather than Alembic:
they need no tool of their own to apply (PostgreSQL runs them), the test fixtures build their
template from the very same files (``[tool.pyramid.services] postgres_schema``), and a team on
Alembic or another tool can still ship what it generates as SQL (``alembic upgrade --sql``).

A migration that the previous release cannot live with (a column dropped or renamed: the
contract step of expand/contract) says so in its first lines with ``-- pyramid: contract``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_pyramid.errors import PyramidError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

#: the comment that declares a migration not backward-compatible, within its first lines
CONTRACT_MARK = re.compile(r"^\s*--\s*pyramid:\s*contract\b", re.IGNORECASE | re.MULTILINE)
#: how many leading lines may hold the mark (a header, not something buried in the body)
HEADER_LINES = 10


class MigrationError(PyramidError):
    """Migrations that cannot be applied as they are: named with the file and the reason."""


@dataclass(frozen=True)
class Migration:
    name: str
    sha256: str
    sql: str
    #: declared not backward-compatible (``-- pyramid: contract``)
    contract: bool


def parse_migration(name: str, text: str) -> Migration:
    header = "\n".join(text.splitlines()[:HEADER_LINES])
    return Migration(name, hashlib.sha256(text.encode()).hexdigest(), text,
                     bool(CONTRACT_MARK.search(header)))


def read_folder(folder: Path) -> list[Migration]:
    """The folder's ``*.sql`` files in name order (symbolic links followed)."""
    if not folder.is_dir():
        raise MigrationError(f"the migrations folder {folder} does not exist")
    migrations = []
    for path in sorted(folder.glob("*.sql"), key=lambda p: p.name):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MigrationError(f"cannot read the migration {path}: {exc}") from None
        migrations.append(parse_migration(path.name, text))
    return migrations


@dataclass(frozen=True)
class Plan:
    """What a database at ``applied`` needs from a release's ``available`` migrations."""

    pending: tuple[Migration, ...]
    problems: tuple[str, ...]

    @property
    def contract(self) -> tuple[Migration, ...]:
        return tuple(m for m in self.pending if m.contract)


def plan(available: Sequence[Migration], applied: Mapping[str, str]) -> Plan:
    """The pending migrations (in order), and why the release cannot be applied if it cannot:
    an applied migration missing from the release or edited since, or a new one that sorts
    before one already applied (its order would differ on a fresh database)."""
    problems: list[str] = []
    carried = {m.name: m for m in available}
    for name in sorted(applied):
        if name not in carried:
            problems.append(f"{name} was applied to the database but the release does not "
                            "carry it (a release never takes a migration back: write a new "
                            "one that undoes it)")
        elif carried[name].sha256 != applied[name]:
            problems.append(f"{name} was edited after it was applied (sha256 "
                            f"{applied[name][:12]} in the database, {carried[name].sha256[:12]} "
                            "in the release): write a new migration instead")
    pending = tuple(m for m in available if m.name not in applied)
    last = max(applied, default="")
    for migration in pending:
        if migration.name < last:
            problems.append(f"{migration.name} is new but sorts before {last}, already "
                            "applied: a fresh database would apply them in another order "
                            "(rename it to sort last)")
    return Plan(pending, tuple(problems))
