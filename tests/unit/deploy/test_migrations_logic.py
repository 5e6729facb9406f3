"""Which migrations a database still needs, and why a release's cannot be applied: pure."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from pytest_pyramid.deploy import gate
from pytest_pyramid.deploy.approvals import Standing, Tally
from pytest_pyramid.deploy.backups import Backup, plan_restore, record, taken_by
from pytest_pyramid.deploy.migrate import schema_moves
from pytest_pyramid.deploy.migrations import (
    Migration,
    MigrationError,
    parse_migration,
    plan,
    read_folder,
)
from pytest_pyramid.deploy.requirements import verdict_asks
from pytest_pyramid.verdict.trust import TrustPolicy
from pytest_pyramid.verdict.trust import judge as judge_trust

if TYPE_CHECKING:
    from pytest_pyramid.verdict.document import Verdict

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



SUITES = Path(__file__).resolve().parents[3] / "suites"


@pytest.mark.parametrize(
    ("folder", "pending", "contract"),
    [
        ("demo_releases/next", ["0003_drop_orders_placed_on.sql"],
         ("0003_drop_orders_placed_on.sql",)),
        ("demo_faults/breaking-migration", ["0003_rename_shipping.sql"], ()),
    ],
)
def test_the_demo_releases_follow_the_shop_s_migrations(
    folder: str, pending: list[str], contract: tuple[str, ...]
) -> None:
    # ./dev canary deploys these on a database the shop's own migrations built: they must
    # carry those unedited, and only the contract step declares itself not backward-compatible
    shop = {m.name: m.sha256 for m in read_folder(SUITES / "demo_service/migrations")}
    found = plan(read_folder(SUITES / folder), shop)
    assert found.problems == ()
    assert [m.name for m in found.pending] == pending
    assert tuple(m.name for m in found.contract) == contract

# --- the deploy gate: a contract step raises the approvals a verdict needs ------------------
def _gate(decision: str, contract: tuple[str, ...], *, counted: tuple[str, ...] = (),
          deployer_problem: str | None = None) -> gate.GateJudgement:
    from tests.unit.deploy.test_deploy_logic import RISK, target, verdict_at

    verdict = verdict_at(decision=decision, risk={**RISK, "required_approvals": 1})
    trust = judge_trust(cast("Verdict", verdict), target=target(), policy=TrustPolicy(),
                        now=datetime.now(timezone.utc))
    asked = Standing(verdict_asks(trust, contract), Tally(counted))
    return gate.judge(trust, approvals=(asked,), deployer_problem=deployer_problem,
                      contract=contract)


@pytest.mark.parametrize(
    ("decision", "contract", "counted", "deployer_problem", "outcome", "reason"),
    [
        ("ready", (), (), None, "allowed", "verdict is ready"),
        ("ready", ("0003_c.sql",), (), None, "needs_approval",
         "contract migration 0003_c.sql (-- pyramid: contract, not backward-compatible) needs "
         "1 approval(s) from lead, sre (risk high, score 7.0); has 0"),
        ("ready", ("0003_c.sql", "0004_d.sql"), ("alice (lead)",), None, "allowed",
         "contract migration 0003_c.sql, 0004_d.sql (-- pyramid: contract, not "
         "backward-compatible) needs 1 approval(s) from lead, sre (risk high, score 7.0); has "
         "1: approved by alice (lead)"),
        # whoever deploys a contract step is identified, so their own approval never counts
        ("ready", ("0003_c.sql",), ("alice (lead)",), "who deploys?", "refused",
         "contract migration 0003_c.sql (-- pyramid: contract) needs approval, so the deployer "
         "must be identified: who deploys?"),
        ("ready", (), (), "who deploys?", "allowed", "verdict is ready"),
        ("needs_approval", ("0003_c.sql",), (), None, "needs_approval",
         "contract migration 0003_c.sql"),
    ],
    ids=["no-contract", "contract-unapproved", "contract-approved", "contract-anonymous",
         "ready-anonymous", "needs-approval-and-contract"],
)
def test_a_contract_step_needs_an_approval(
    decision: str, contract: tuple[str, ...], counted: tuple[str, ...],
    deployer_problem: str | None, outcome: str, reason: str,
) -> None:
    judgement = _gate(decision, contract, counted=counted, deployer_problem=deployer_problem)
    assert judgement.outcome == outcome, judgement.reasons
    assert reason in "\n".join(judgement.reasons)


# --- what moved between the gate and the apply ----------------------------------------------
GATED = {"commit": "c" * 40, "applied": {A.name: A.sha256}, "serving": "s" * 40,
         "contract": []}


@pytest.mark.parametrize(
    ("record", "applied", "serving", "moved"),
    [
        (GATED, {A.name: A.sha256}, "s" * 40, []),
        (GATED, {A.name: A.sha256, B.name: B.sha256}, "s" * 40,
         ["applied since the gate: 0002_b.sql"]),
        (GATED, {}, "s" * 40, ["no longer applied (a restore?): 0001_a.sql"]),
        (GATED, {A.name: "0" * 64}, "s" * 40,
         ["recorded with another content since the gate: 0001_a.sql"]),
        (GATED, {A.name: A.sha256}, "t" * 40,
         ["the serving release is tttttttttttt, not ssssssssssss"]),
        (GATED, {A.name: A.sha256}, None, ["the serving release is none, not ssssssssssss"]),
        (None, {A.name: A.sha256}, "s" * 40,
         ["no record of what the gate checked for this commit"]),
        ({**GATED, "applied": "garbage"}, {A.name: A.sha256}, "s" * 40,
         ["applied since the gate: 0001_a.sql"]),
    ],
    ids=["as-checked", "applied-meanwhile", "restored", "rewritten", "serving-changed",
         "serving-stopped", "no-record", "bad-record"],
)
def test_what_moved_since_the_gate(
    record: dict[str, Any] | None, applied: dict[str, str], serving: str | None,
    moved: list[str],
) -> None:
    assert schema_moves(record, applied, serving) == moved


# --- pyramid rollback and the backup before a contract step ---------------------------------
def _backup(name: str = "20261206T120000Z-before-0003_c.dump", commit: str = "c" * 40,
            migrations: tuple[str, ...] = ("0003_c.sql",)) -> Backup:
    return Backup(Path("/work/backups", name), commit, migrations, "2026-12-06T12:00:00Z")


@pytest.mark.parametrize(
    ("crossed", "wanted", "applied", "restores", "refusal", "note"),
    [
        ([], None, None, False, None, None),
        ([_backup()], None, None, False, None,
         "the database keeps the schema of 0003_c.sql (-- pyramid: contract, applied by the "
         "deploy of cccccccccccc): the previous release passed the schema check on it, so only "
         "traffic moves. To also restore the database as it was before, roll back with "
         "--restore-backup 20261206T120000Z-before-0003_c.dump (taken 2026-12-06T12:00:00Z; "
         "every write made after it is lost)"),
        ([_backup()], "20261206T120000Z-before-0003_c.dump", {"0003_c.sql": "x"}, True, None,
         None),
        # the oldest backup of the deploy is the one crossed: it precedes every contract step
        ([_backup(), _backup("20261206T130000Z-before-0004_d.dump")],
         "20261206T130000Z-before-0004_d.dump", {"0003_c.sql": "x"}, False,
         "this rollback crosses the backup 20261206T120000Z-before-0003_c.dump (taken "
         "2026-12-06T12:00:00Z before 0003_c.sql), not that one; nothing was moved", None),
        ([], "20261206T120000Z-before-0003_c.dump", None, False,
         "this rollback crosses no contract migration backup", None),
        ([_backup()], "20261206T120000Z-before-0003_c.dump", {}, False,
         "0003_c.sql is not applied to the database now (restored already?)", None),
    ],
    ids=["nothing-crossed", "crossed-not-asked", "crossed-asked", "asked-another",
         "asked-nothing-crossed", "already-restored"],
)
def test_a_rollback_restores_only_the_backup_it_crosses_when_asked_by_name(
    crossed: list[Backup], wanted: str | None, applied: dict[str, str] | None, restores: bool,
    refusal: str | None, note: str | None,
) -> None:
    planned = plan_restore(crossed, wanted, applied)
    assert (planned.backup is not None) is restores
    assert planned.backup is None or planned.backup == crossed[0]
    assert planned.note == note
    if refusal is None:
        assert planned.refusal is None
    else:
        assert planned.refusal is not None
        assert refusal in planned.refusal


def test_backups_are_found_by_the_release_that_took_them(tmp_path: Path) -> None:
    for name, commit in (("20261206T130000Z-before-0004_d.dump", "c" * 40),
                         ("20261206T120000Z-before-0003_c.dump", "c" * 40),
                         ("20261206T110000Z-before-0002_b.dump", "b" * 40)):
        (tmp_path / name).write_bytes(b"dump")
        record(tmp_path / name, commit, ["x.sql"], "t")
    (tmp_path / "20261206T140000Z-before-0005_e.json").write_text('{"dump": "gone.dump"}')
    (tmp_path / "broken.json").write_text("{")
    assert [b.name for b in taken_by(tmp_path, "c" * 40)] == [
        "20261206T120000Z-before-0003_c.dump", "20261206T130000Z-before-0004_d.dump"]
    assert taken_by(tmp_path, "d" * 40) == []


def test_a_rollback_crosses_only_the_backups_its_serving_deploy_took(tmp_path: Path) -> None:
    """The same commit deployed twice, each deploy taking a backup before its contract step
    (``./dev canary`` run twice, the first run's deploy rolled back and restored): the
    rollback from the second deploy crosses the second backup only. Taking the commit's oldest
    refused the right name, and would have restored the first deploy's database."""
    commit = "c" * 40
    for name, taken_at in (("20261206T120000Z-before-0003_c.dump", "2026-12-06T12:00:00.000Z"),
                           ("20261206T130000Z-before-0003_c.dump", "2026-12-06T13:00:00.000Z"),
                           ("20261206T140000Z-before-0003_c.dump", "at two")):
        (tmp_path / name).write_bytes(b"dump")
        record(tmp_path / name, commit, ["0003_c.sql"], taken_at)
    second = "20261206T130000Z-before-0003_c.dump"
    assert len(taken_by(tmp_path, commit)) == 3  # no deploy named: every one of the commit
    crossed = taken_by(tmp_path, commit, since="2026-12-06T12:59:59.999Z")
    assert [b.name for b in crossed] == [second]  # an unreadable time is not proven this deploy's
    assert taken_by(tmp_path, commit, since="2026-12-06T13:00:00.001Z") == []
    planned = plan_restore(crossed, second, {"0003_c.sql": "applied"})
    assert planned.refusal is None
    assert planned.backup is not None
    assert planned.backup.name == second


def test_the_rollback_dates_its_serving_deploy_by_its_history_row(tmp_path: Path) -> None:
    """``pyramid rollback`` (deploy/service.py) passes the start of the serving version's
    deployment row: the backup an earlier deploy of the same commit took is not crossed."""
    from dataclasses import replace
    from datetime import timedelta

    from pytest_pyramid.deploy.config import project_config
    from pytest_pyramid.deploy.history import History, iso, now_utc
    from pytest_pyramid.deploy.migrate import for_rollback
    from pytest_pyramid.deploy.processes import Version
    from pytest_pyramid.deploy.service import _deployed_at

    config = project_config(str(tmp_path / "pyproject.toml"),
                            {"deploy": {"migrations": "migrations", "work_dir": "work"}})
    commit, backups = "c" * 40, config.work_dir / "backups"
    backups.mkdir(parents=True)

    def backup(name: str, taken: timedelta) -> None:
        (backups / name).write_bytes(b"dump")
        record(backups / name, commit, ["0003_c.sql"], iso(now_utc() + taken))

    backup("20261206T120000Z-before-0003_c.dump", timedelta(hours=-1))  # the first deploy's
    history = History(config.history_path)
    row = history.start(commit=commit, commit_time=None, strategy="canary", dry_run=False,
                        verdict_path="")
    backup("20261206T130000Z-before-0003_c.dump", timedelta(minutes=1))  # the serving one's
    serving = Version(commit, 1, 2, "", "", None, deployment_id=row)
    plan = for_rollback(config, commit, None, _deployed_at(history, serving))
    assert plan.note is not None
    assert "20261206T130000Z-before" in plan.note
    assert "20261206T120000Z" not in plan.note
    unknown = _deployed_at(history, replace(serving, deployment_id=None))
    assert unknown is None  # a version from before rows were linked: every backup of its commit
    history.close()
