"""A release's migrations against the real database: applying them, and the check that the
release still serving keeps working on the migrated schema (a gate of ``pyramid deploy``).

psycopg 3 (the ``services`` extra) is imported only here, and only when a project configures
``[tool.pyramid.deploy] migrations``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.deploy.isolation import RELEASE_PYTEST
from pytest_pyramid.deploy.migrations import Migration, MigrationError, Plan, plan
from pytest_pyramid.toolkits.services.providers import SCHEMA_USED, SCHEMA_VARIABLE

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import psycopg

    from pytest_pyramid.deploy.backups import Backup, RestorePlan
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.host_pins import Account

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
          before_contract: Callable[[Sequence[Migration]], object] | None = None,
          before_apply: Callable[[Plan, Mapping[str, str]], object] | None = None) -> list[str]:
    """Apply what the database lacks, in order, each file and its record in one transaction
    (a failing file leaves nothing of itself); returns the names applied. Under the lock,
    before anything is applied: ``before_apply`` gets the plan and the applied record as they
    are now (it raises to refuse); then, when a pending migration is declared a contract step,
    ``before_contract`` (the backup of the database as it is right before)."""
    import psycopg

    done: list[str] = []
    with connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (name text PRIMARY KEY, "
                         "sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            now = _applied(conn)
            steps = plan(migrations, now)  # again under the lock: what is true now
            if steps.problems:
                raise MigrationError("; ".join(steps.problems))
            if before_apply is not None:
                before_apply(steps, now)
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
    timeout: float = CHECK_TIMEOUT_S, account: Account | None = None,
    pass_env: Sequence[str] = (),
) -> CheckResult:
    """Run the previous release's own ``tier`` (in its release folder, ``previous``) with its
    database template built from the new release's ``migrations``: the schema the previous
    version will meet once they are applied. Any failing test blocks; so does a tier that
    ran nothing, or never built a database from these migrations (it proved nothing).

    ``account``: the host's ``run_as``. The tier is the commit's code, so it runs as the
    versions do (as the account, no supplementary group, the versions' environment with
    ``pass_env``), writing its reports in a scratch folder of the account's that the deploy
    reads them from (deploy/processes.py: ``read_written``)."""
    from pytest_pyramid.deploy.processes import as_account

    with tempfile.TemporaryDirectory(prefix="pyramid-schema-check-") as own:
        out = Path(own) if account is None else _scratch_below(Path(own), account)
        # the caller's PYTHON* variables and user site run nothing in it (deploy/isolation.py)
        argv = [sys.executable, *RELEASE_PYTEST, "-m", "pytest", f"--pyramid-tier={tier}", "-p",
                "no:cacheprovider", f"--junitxml={out / 'junit.xml'}",
                f"--pyramid-verdict={out / 'verdict.json'}", "-q"]
        env = _check_environment(migrations, environ, account, pass_env, out)
        try:
            result = subprocess.run(  # type: ignore[call-overload]
                argv, cwd=previous, env=env, capture_output=True, text=True, timeout=timeout,
                check=False, **as_account(account))
        except subprocess.TimeoutExpired:
            return CheckResult(False, f"the {tier} tier did not finish within {timeout:.0f} s")
        what = f"the previous release's {tier} tier on the migrated schema"
        taken = _taken(out, Path(own), account)
        if taken:
            return CheckResult(False, f"{what}: {taken}")
        return _judged(what, Path(own), result)


def _check_environment(migrations: Path, environ: Mapping[str, str] | None,
                       account: Account | None, pass_env: Sequence[str], out: Path
                       ) -> dict[str, str]:
    """The deploy's environment (or ``environ``); under run_as the versions' one."""
    if account is None:
        return {**(os.environ if environ is None else environ), SCHEMA_VARIABLE: str(migrations)}
    from pytest_pyramid.deploy.processes import version_env

    return version_env(account, pass_env, {SCHEMA_VARIABLE: str(migrations),
                                           "TMPDIR": str(out)})


def _scratch_below(own: Path, account: Account) -> Path:
    """The account's scratch folder inside the deploy's private one (which it may pass
    through, not list)."""
    from pytest_pyramid.deploy.processes import scratch

    own.chmod(0o711)
    return scratch(own / "scratch", account)


#: the most of a report written by a check run as ``run_as`` the deploy reads
REPORT_LIMIT = 64 << 20


def _taken(out: Path, own: Path, account: Account | None) -> str:
    """Under run_as: the reports the run wrote as the account, copied into the deploy's own
    folder (a missing one stays missing); why one cannot be taken ("": taken)."""
    if account is None:
        return ""
    from pytest_pyramid._files import write_bytes_atomic
    from pytest_pyramid.deploy.processes import read_written

    for name in ("junit.xml", "verdict.json"):
        written = out / name
        try:
            if written.exists() or written.is_symlink():
                write_bytes_atomic(own / name, read_written(written, account, REPORT_LIMIT))
        except OSError as exc:
            return (f"its {name}, written as {account.name}, cannot be taken ({exc}): the "
                    "check proved nothing")
    return ""


def _judged(what: str, own: Path, result: subprocess.CompletedProcess[str]) -> CheckResult:
    """The check's outcome from the reports in ``own``."""
    junit, verdict = own / "junit.xml", own / "verdict.json"
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
    _readable_by_versions(folder)
    return releases.project_folder(config.root, folder)


def _readable_by_versions(release: Path) -> None:
    """Under run_as, the schema check runs as the account: the release folders it reads
    (the serving one, the new one's migrations) are granted to it as a version's is."""
    from pytest_pyramid.deploy.host_pins import versions_account
    from pytest_pyramid.deploy.processes import grant_release

    account = versions_account()
    if account is not None:
        grant_release(release, account)


@dataclass(frozen=True)
class Examined:
    """A release's migrations against the database as it is now: what the deploy gate judges
    (the contract steps that need an approval, then the schema check)."""

    commit: str
    problems: tuple[str, ...] = ()
    url: str = ""
    #: the release's migrations folder (in its clean checkout)
    folder: Path | None = None
    applied: Mapping[str, str] = field(default_factory=dict)
    steps: Plan | None = None

    @property
    def contract(self) -> tuple[str, ...]:
        """The pending migrations declared ``-- pyramid: contract``: each needs an approval."""
        return tuple(m.name for m in self.steps.contract) if self.steps else ()


def examine(config: DeployConfig, commit: str) -> Examined:
    """What the release of ``commit`` would apply to the database now (nothing is applied)."""
    from pytest_pyramid.deploy.migrations import read_folder
    from pytest_pyramid.deploy.releases import ReleaseError

    try:
        url = database_url(config)
        folder = _release_project(config, commit) / config.migrations
        now = applied(url)
        steps = plan(read_folder(folder), now)
    except (MigrationError, ReleaseError) as exc:
        return Examined(commit, (f"migrations: {exc}",))
    return Examined(commit, tuple(f"migrations: {p}" for p in steps.problems), url, folder,
                    now, steps)


def _serving(config: DeployConfig) -> tuple[str, str] | None:
    """(commit, release folder) of the release serving now, as the deploy state records it."""
    from pytest_pyramid.deploy.state import read_state

    stable = read_state(config.state_path).state.stable
    return None if stable is None else (stable.commit, stable.release)


def _serving_project(config: DeployConfig, serving: tuple[str, str]) -> Path:
    commit, release = serving
    if not Path(release).is_dir():
        return _release_project(config, commit)
    _readable_by_versions(Path(release))
    return Path(release)


def gate(config: DeployConfig, examined: Examined, out: Callable[[str], None]) -> list[str]:
    """Why the deploy of ``examined.commit`` must be refused for its migrations (empty: it may
    go on). Nothing pending: the schema does not change, nothing to check. Pending, and a
    release serving: that release's own ``migrations_check_tier`` must pass on the migrated
    schema. What was judged is recorded (:func:`record_gate`) for the apply to compare."""
    from pytest_pyramid.deploy.releases import ReleaseError

    if examined.problems or examined.steps is None or examined.folder is None:
        return list(examined.problems)
    serving = _serving(config)
    if not examined.steps.pending:
        out("[migrations] none pending: the schema stays as it is")
    elif serving is None:
        names = ", ".join(m.name for m in examined.steps.pending)
        out(f"[migrations] pending: {names}; no release serves yet, so none to keep working")
    else:
        try:
            problems = _check_serving(config, serving, examined.folder, examined.steps, out,
                                      when="first")
        except ReleaseError as exc:
            return [f"schema check: the serving release {serving[0][:12]} cannot be checked "
                    f"out to run its tests: {exc}"]
        if problems:
            return problems
    record_gate(config, examined, serving)
    return []


def _check_serving(config: DeployConfig, serving: tuple[str, str], folder: Path,
                   steps: Plan, out: Callable[[str], None], *, when: str) -> list[str]:
    """The serving release's tier on the migrations in ``folder`` (``steps`` pending): the
    refusal's lines, if any."""
    names = ", ".join(m.name for m in steps.pending)
    tier = config.migrations_check_tier
    previous = _serving_project(config, serving)
    out(f"[migrations] pending: {names}; running the serving release {serving[0][:12]}'s "
        f"{tier} tier against them {when}")
    from pytest_pyramid.deploy.host_pins import versions_account

    result = compatibility_check(previous, folder, tier, account=versions_account(),
                                 pass_env=config.pass_env)
    out(f"[migrations] {result.summary}")
    if result.ok:
        return []
    named = [f"failed: {name}" for name in result.failed[:NAMED_FAILURES]]
    if len(result.failed) > NAMED_FAILURES:
        named.append(f"and {len(result.failed) - NAMED_FAILURES} more failed test(s)")
    return [f"schema check: {result.summary} (the serving release would break once the "
            "migrations are applied: expand first, contract in a later release)", *named]


# --- what the gate judged, compared under the lock when the migrations are applied ---------


def _gate_record_path(config: DeployConfig, commit: str) -> Path:
    return config.work_dir / "migrations" / f"gate-{commit}.json"


def record_gate(config: DeployConfig, examined: Examined,
                serving: tuple[str, str] | None) -> None:
    """What the gate judged for this commit: the migrations the database had, the serving
    release whose tier passed on them, and the contract steps whose approval it counted."""
    from pytest_pyramid._files import write_json_atomic

    path = _gate_record_path(config, examined.commit)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"commit": examined.commit, "applied": dict(examined.applied),
                             "serving": serving[0] if serving else None,
                             "contract": list(examined.contract)})


def _gate_record(config: DeployConfig, commit: str) -> dict[str, Any] | None:
    try:
        data = json.loads(_gate_record_path(config, commit).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("commit") == commit else None


def schema_moves(record: Mapping[str, Any] | None, applied_now: Mapping[str, str],
                 serving: str | None) -> list[str]:
    """How the database and the serving release differ from what the gate checked (empty:
    as checked). No record (another process's gate, an unreadable file) is a difference."""
    if record is None:
        return ["no record of what the gate checked for this commit"]
    moved: list[str] = []
    before = record.get("applied")
    before = before if isinstance(before, dict) else {}
    added = sorted(set(applied_now) - set(before))
    gone = sorted(set(before) - set(applied_now))
    if added:
        moved.append(f"applied since the gate: {', '.join(added)}")
    if gone:
        moved.append(f"no longer applied (a restore?): {', '.join(gone)}")
    changed = sorted(n for n in set(before) & set(applied_now) if before[n] != applied_now[n])
    if changed:
        moved.append(f"recorded with another content since the gate: {', '.join(changed)}")
    if record.get("serving") != serving:
        was = str(record.get("serving") or "none")[:12]
        moved.append(f"the serving release is {str(serving or 'none')[:12]}, not {was}")
    return moved


def _under_the_lock(config: DeployConfig, commit: str, folder: Path,
                    out: Callable[[str], None]) -> Callable[[Plan, Mapping[str, str]], None]:
    """What :func:`apply` runs under the lock before anything is applied: the gate's judgement
    holds only for the schema and serving release it saw. When either moved (another deploy
    migrated, or took over serving, between the gate and now), the check runs again, here,
    under the lock, against what is true now; a contract step the gate did not count an
    approval for is refused."""
    from pytest_pyramid.deploy.releases import ReleaseError

    def judge(steps: Plan, applied_now: Mapping[str, str]) -> None:
        if not steps.pending:
            return
        record = _gate_record(config, commit)
        approved = set(record.get("contract", [])) if record else set()
        unapproved = [m.name for m in steps.contract if m.name not in approved]
        if unapproved:
            raise MigrationError(f"{', '.join(unapproved)} (-- pyramid: contract) is pending, "
                                 "but the deploy gate counted no approval for it (the schema "
                                 "moved since the gate): deploy again to have it approved")
        serving = _serving(config)
        moved = schema_moves(record, applied_now, serving[0] if serving else None)
        if not moved:
            out("[migrate] the schema and the serving release are as the gate checked them")
            return
        out(f"[migrate] the schema moved since the gate checked it ({'; '.join(moved)}): "
            "checking again under the lock")
        if serving is None:
            out("[migrate] no release serves, so none to keep working")
            return
        try:
            problems = _check_serving(config, serving, folder, steps, out,
                                      when="again, under the lock")
        except ReleaseError as exc:
            problems = [f"the serving release {serving[0][:12]} cannot be checked out: {exc}"]
        if problems:
            raise MigrationError("; ".join(problems))

    return judge


def apply_release(config: DeployConfig, release: Path, out: Callable[[str], None], *,
                  commit: str | None = None) -> None:
    """Apply the release's pending migrations before its version starts (under the lock; the
    plan is made again, so a concurrent deploy's migrations are seen, and with ``commit`` the
    gate's judgement is checked against them first: :func:`_under_the_lock`)."""
    from pytest_pyramid.deploy.migrations import read_folder

    url = database_url(config)

    def backup(contract: Sequence[Migration]) -> None:
        from pytest_pyramid.deploy import backups
        from pytest_pyramid.deploy.history import iso, now_utc

        names = ", ".join(m.name for m in contract)
        taken_at = iso(now_utc())
        path = backups.backup_database(url, config.work_dir / "backups", contract[0].name)
        # which release's deploy took it: `pyramid rollback` from that release crosses it
        backups.record(path, commit or "", [m.name for m in contract], taken_at)
        out(f"[migrate] {names} declared not backward-compatible (-- pyramid: contract): the "
            f"database was backed up first to {path}")

    folder = release / config.migrations
    check = None if commit is None else _under_the_lock(config, commit, folder, out)
    names = apply(url, read_folder(folder), out, before_contract=backup, before_apply=check)
    if not names:
        out("[migrate] the database already has every migration of this release")


# --- pyramid rollback and a contract step's backup (deploy/backups.py) -------------------


def for_rollback(config: DeployConfig, serving: str | None, wanted: str | None,
                 since: str | None = None) -> RestorePlan:
    """What ``pyramid rollback`` from the release ``serving`` does about the database;
    ``since``: when the deploy that made it serve started (backups.taken_by)."""
    from pytest_pyramid.deploy.backups import RestorePlan, plan_restore, taken_by

    if not config.migrations or serving is None:
        crossed: list[Backup] = []
    else:
        crossed = taken_by(config.work_dir / "backups", serving, since)
    now: Mapping[str, str] | None = None
    if wanted is not None and crossed:
        try:
            now = applied(database_url(config))
        except MigrationError as exc:
            return RestorePlan(refusal=f"--restore-backup {wanted}: {exc}; nothing was moved")
    return plan_restore(crossed, wanted, now)


def after_rollback(config: DeployConfig, plan: RestorePlan, out: Callable[[str], None]) -> str:
    """Once traffic is back on the previous release: restore the backup the plan names. Returns
    the sentence the rollback's history row records ("" when there is nothing to record);
    raises MigrationError when the restore failed (the database is then as it was)."""
    from pytest_pyramid.deploy.backups import restore

    if plan.note:
        out(f"[rollback] {plan.note}")
    backup = plan.backup
    if backup is None:
        return ""
    out(f"[rollback] restoring the database from {backup.dump} (taken {backup.taken_at}, "
        f"before {', '.join(backup.migrations)}): every write made after it is lost")
    restore(database_url(config), backup)
    said = (f"database restored from {backup.name} (taken {backup.taken_at}, before "
            f"{', '.join(backup.migrations)}; writes made after it were discarded)")
    out(f"[rollback] {said}")
    return said
