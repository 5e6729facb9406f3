"""Which migrations a database still needs, and why a release's cannot be applied: pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.migrations import (
    Migration,
    MigrationError,
    parse_migration,
    plan,
    read_folder,
)

if TYPE_CHECKING:
    from pathlib import Path

A = parse_migration("0001_a.sql", "CREATE TABLE a (id int);")
B = parse_migration("0002_b.sql", "ALTER TABLE a ADD COLUMN b int DEFAULT 0;")
C = parse_migration("0003_c.sql", "-- pyramid: contract\nALTER TABLE a DROP COLUMN b;")
B_EDITED = parse_migration("0002_b.sql", "ALTER TABLE a ADD COLUMN b int DEFAULT 1;")


@pytest.mark.parametrize(
    ("available", "applied", "pending", "problem"),
    [
        ([A, B], {}, ["0001_a.sql", "0002_b.sql"], None),
        ([A, B], {A.name: A.sha256}, ["0002_b.sql"], None),
        ([A, B], {A.name: A.sha256, B.name: B.sha256}, [], None),
        ([A, B_EDITED], {A.name: A.sha256, B.name: B.sha256}, [], "0002_b.sql was edited"),
        ([A], {A.name: A.sha256, B.name: B.sha256}, [], "0002_b.sql was applied to the "
                                                        "database but the release does not"),
        ([A, B, C], {A.name: A.sha256, C.name: C.sha256}, ["0002_b.sql"],
         "0002_b.sql is new but sorts before 0003_c.sql"),
    ],
    ids=["fresh", "one-pending", "up-to-date", "edited", "taken-back", "out-of-order"],
)
def test_plan(available: list[Migration], applied: dict[str, str], pending: list[str],
              problem: str | None) -> None:
    steps = plan(available, applied)
    assert [m.name for m in steps.pending] == pending
    if problem is None:
        assert steps.problems == ()
    else:
        assert len(steps.problems) == 1
        assert problem in steps.problems[0]


@pytest.mark.parametrize(
    ("text", "contract"),
    [
        ("-- pyramid: contract\nALTER TABLE a DROP COLUMN b;", True),
        ("-- Drop b: nothing reads it since 0002.\n--   Pyramid:  CONTRACT\nDROP ...;", True),
        ("ALTER TABLE a ADD COLUMN c int;", False),
        ("-- pyramid: contractual obligations table\nCREATE TABLE o (id int);", False),
        ("\n" * 12 + "-- pyramid: contract\n", False),  # a header, not buried in the body
    ],
)
def test_a_contract_step_is_declared_in_its_header(text: str, contract: bool) -> None:
    assert parse_migration("0001_x.sql", text).contract is contract


def test_the_folder_is_read_in_name_order_and_sql_files_only(tmp_path: Path) -> None:
    for name in ("0010_later.sql", "0002_first.sql", "notes.txt"):
        (tmp_path / name).write_text(f"-- {name}\n")
    assert [m.name for m in read_folder(tmp_path)] == ["0002_first.sql", "0010_later.sql"]
    assert plan(read_folder(tmp_path), {}).contract == ()


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match=r"migrations folder .*nowhere does not exist"):
        read_folder(tmp_path / "nowhere")


def test_a_file_that_is_not_text_is_named(tmp_path: Path) -> None:
    (tmp_path / "0001_bad.sql").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(MigrationError, match=r"cannot read the migration .*0001_bad\.sql"):
        read_folder(tmp_path)
