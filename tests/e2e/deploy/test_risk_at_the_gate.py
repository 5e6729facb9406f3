"""Hostile cases 462 and 463: the deploy judges the risk of what it ships against what the
target serves (deploy/change_risk.py), by risk rules a commit may only tighten
(deploy/arguments.py: anchored_risk). Real git, the CLI as a process, real nginx for the
release that serves; the later deploys are dry runs (the gate is the same)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.deploy.helpers import Project

#: the risk gate as the hostile cases configure it: CI judges against main
RISK = {"base": "main", "approval_from": "medium"}
MIGRATION = "migrations/0002_drop_users.sql"
#: how a verdict says "low" for a change it never saw (CI on main: base main = HEAD)
LOW = {"level": "low", "score": 0.0, "base": "main", "factors": [], "required_approvals": 1,
       "approver_roles": ["tech_lead"], "assessed": True, "files_changed": 0,
       "lines_changed": 0}


@pytest.fixture
def people(tmp_path: Path) -> Path:
    """alice (tech_lead) and bob (product_owner) approve, carol deploys."""
    from pytest_pyramid.verdict.signing import generate_private_key, private_pem, public_pem

    folder = tmp_path / "people"
    folder.mkdir()
    for name in ("alice", "bob", "carol"):
        key = generate_private_key()
        (folder / f"{name}.key").write_bytes(private_pem(key))
        (folder / f"{name}.pub").write_bytes(public_pem(key.public_key()))
    return folder


def _configure(project: Project, people: Path, **risk: Any) -> None:
    project.write_config(pyramid={"risk": {**RISK, **risk}}, approvers={
        "alice": {"key": str(people / "alice.pub"), "roles": ["tech_lead"]},
        "bob": {"key": str(people / "bob.pub"), "roles": ["product_owner"]},
    }, deployers={"carol": {"key": str(people / "carol.pub")}})


def _add(project: Project, name: str, text: str) -> None:
    path = project.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _ready_on_main(project: Project, message: str) -> str:
    """A commit whose `ready` verdict assessed its risk against itself (base main = HEAD)."""
    sha = project.commit(message)
    project.write_verdict(sha, risk={**LOW, "merge_base": sha})
    return sha


def _dry_run(project: Project, people: Path) -> Any:
    return project.run("deploy", "--dry-run", "--deployer-key", str(people / "carol.key"))


@pytest.fixture
def serving(project: Project, people: Path) -> tuple[Project, str]:
    """v1 (risk against main, no migration) deployed: its whole tree is a low-risk change."""
    _configure(project, people)
    first = project.commit("v1")
    result = project.run("deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    return project, first


def test_a_migration_judged_low_on_main_still_needs_the_approvals_it_asks(
        serving: tuple[Project, str], people: Path) -> None:
    """462: after the merge, CI on main judged the change against itself (low, `ready`); the
    gate judges v1 -> v3 (the migration: medium) and asks its two approvals, which `pyramid
    approve` signs. A change without a risk factor (v2, control) asks none."""
    project, first = serving
    _add(project, "README.md", "the service\n")
    _ready_on_main(project, "v2 docs")
    quiet = _dry_run(project, people)
    assert quiet.returncode == 0, quiet.stdout
    assert "the change against what the target serves" not in quiet.stdout
    _add(project, MIGRATION, "ALTER TABLE users DROP COLUMN email;\n")
    _ready_on_main(project, "v3 drops users.email")
    held = _dry_run(project, people)
    assert held.returncode == 2, held.stdout
    assert "needs 2 approval(s) from tech_lead, product_owner: the change against what the " \
           f"target serves, risk medium (score 3 against {first[:12]}, which the target " \
           "serves)" in held.stdout
    assert MIGRATION in held.stdout
    for name in ("alice", "bob"):
        signed = project.run("approve", "--key", str(people / f"{name}.key"))
        assert signed.returncode == 0, signed.stdout + signed.stderr
    approved = _dry_run(project, people)
    assert approved.returncode == 0, approved.stdout
    assert "approved by alice (tech_lead), bob (product_owner)" in approved.stdout


def test_a_commit_switching_its_own_risk_rule_off_is_judged_by_the_serving_rules(
        serving: tuple[Project, str], people: Path) -> None:
    """463: the commit adding a migration also sets the migrations factor's weight to 0 and
    `approval_from = "never"`: judged by v1's rules, said so, and held for approval (a
    loosening counts once deployed: the route of every anchored limit, deploy/cli.py:
    _anchored_limits, tests/integration/deploy/test_anchored_limits.py)."""
    project, first = serving
    _configure(project, people, approval_from="never", factors={"migrations": {"weight": 0}})
    _add(project, MIGRATION, "ALTER TABLE users DROP COLUMN email;\n")
    loose = project.commit("v2 drops users.email, and weighs migrations at nothing")
    project.write_verdict(loose, risk={**LOW, "merge_base": first, "files_changed": 2})
    held = _dry_run(project, people)
    assert held.returncode == 2, held.stdout
    assert "[limits] risk.approval_from: kept 'medium', not this commit's 'never'" \
        in held.stdout
    assert "[limits] risk.factors.migrations: kept weight 3" in held.stdout
    assert "risk medium (score 5 against" in held.stdout  # the migration and pyproject.toml


def test_a_first_deploy_ships_its_whole_tree(repo: Project, people: Path) -> None:
    """Nothing serves yet: the change is every file of the commit, so a first release that
    carries a schema migration asks the approvals a migration asks."""
    _configure(repo, people)
    _add(repo, MIGRATION, "CREATE TABLE users (email text);\n")
    _ready_on_main(repo, "v1 with its schema")
    held = _dry_run(repo, people)
    assert held.returncode == 2, held.stdout
    assert "risk medium (score 5 against nothing served yet (a first deploy: the whole tree))" \
        in held.stdout
