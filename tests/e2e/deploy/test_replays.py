"""Replays: a verdict superseded by a newer one for the same commit, or for a commit rolled back
since, needs --redeploy; a verdict judged under another project's configuration is refused."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid._files import write_json_atomic
from pytest_pyramid.deploy.processes import free_port
from pytest_pyramid.project import read_table as read_pyproject_table
from pytest_pyramid.verdict.document import config_digest
from tests.e2e.deploy.test_faults import rows
from tests.support.deploy.helpers import app_command
from tests.support.deploy.load import Clients

if TYPE_CHECKING:
    from tests.support.deploy.helpers import Project


def test_a_verdict_superseded_for_the_same_commit_needs_redeploy(repo: Project) -> None:
    sha = repo.commit("v1", age=timedelta(minutes=10))
    older = repo.verdict_path.read_text()
    assert repo.run("deploy", "--dry-run").returncode == 0
    # a later test run of the same commit says blocked; the gate sees it
    repo.write_verdict(sha, decision="blocked", age=timedelta(minutes=1))
    assert repo.run("deploy", "--dry-run").returncode == 1
    repo.verdict_path.write_text(older)  # the older ready verdict, replayed
    replay = repo.run("deploy", "--dry-run")
    assert replay.returncode == 1, replay.stdout
    assert f"superseded: a newer verdict for {sha[:12]}" in replay.stdout
    assert "blocked" in replay.stdout
    # hostile case 166: a fresh --work-dir does not forget what this target's gate saw
    elsewhere = repo.run("deploy", "--dry-run", "--work-dir", str(repo.root / "fresh"))
    assert elsewhere.returncode == 1, elsewhere.stdout
    assert f"superseded: a newer verdict for {sha[:12]}" in elsewhere.stdout
    meant = repo.run("deploy", "--dry-run", "--redeploy")
    assert meant.returncode == 0, meant.stdout
    assert "--redeploy: superseded" in meant.stdout


@pytest.mark.parametrize("ledger", ["deleted", "cut-short"])
def test_the_verdicts_a_gate_saw_are_history_not_the_ledger_file(
    repo: Project, ledger: str
) -> None:
    """Hostile case 375: the ledger file deleted, or its newer line cut short, forgot the
    ``blocked`` verdict and the superseded ``ready`` one passed again. The history keeps what
    the gate saw."""
    sha = repo.commit("v1", age=timedelta(minutes=10))
    older = repo.verdict_path.read_text()
    assert repo.run("deploy", "--dry-run").returncode == 0
    repo.write_verdict(sha, decision="blocked", age=timedelta(minutes=1))
    assert repo.run("deploy", "--dry-run").returncode == 1
    path = repo.work_dir / "verdicts.jsonl"
    if ledger == "deleted":
        path.unlink()
    else:
        lines = path.read_text().splitlines()
        path.write_text("\n".join(line if '"blocked"' not in line else line[:-9]
                                  for line in lines) + "\n")
    repo.verdict_path.write_text(older)
    replay = repo.run("deploy", "--dry-run")
    assert replay.returncode == 1, replay.stdout
    assert f"superseded: a newer verdict for {sha[:12]}" in replay.stdout
    assert "blocked" in replay.stdout


def test_a_verdict_for_a_commit_rolled_back_since_needs_redeploy(
    deployed: tuple[Project, str],
) -> None:
    project, _ = deployed
    bad = project.commit("v2", command=app_command("error", "--error-rate", "1.0"))
    with Clients(project.url, rate=60) as clients:
        clients.wait_for(10)
        assert project.run("deploy").returncode == 1  # rolled back
    assert rows(project)[-1]["outcome"] == "rolled_back"
    replay = project.run("deploy", "--dry-run")
    assert replay.returncode == 1, replay.stdout
    assert f"{bad[:12]} was rolled back since this verdict was made" in replay.stdout
    # hostile case 277: neither a history file nor a fresh work folder the caller names
    # forgets the rollback (the target's own history is read too)
    fresh = project.run("deploy", "--dry-run", "--history", str(project.root / "fresh.sqlite"))
    assert fresh.returncode == 3, fresh.stdout
    assert "is not this target's history" in fresh.stderr
    elsewhere = project.run("deploy", "--dry-run", "--work-dir", str(project.root / "fresh"),
                            "--port", str(free_port()))
    assert elsewhere.returncode == 1, elsewhere.stdout
    assert f"{bad[:12]} was rolled back since this verdict was made" in elsewhere.stdout
    meant = project.run("deploy", "--dry-run", "--redeploy")
    assert meant.returncode == 0, meant.stdout
    project.commit("v2 again, tested again")  # a new verdict made after the rollback
    assert project.run("deploy", "--dry-run").returncode == 0


def test_a_verdict_judged_under_another_projects_configuration_is_refused(
    repo: Project,
) -> None:
    sha = repo.commit("v1")
    data = json.loads(repo.verdict_path.read_text())
    data["config"]["digest"] = "sha256:0"  # another configuration's
    write_json_atomic(repo.verdict_path, data)
    refused = repo.run("deploy", "--dry-run")
    assert refused.returncode == 1, refused.stdout
    assert "judged under another configuration" in refused.stdout
    data = json.loads(repo.verdict_path.read_text())
    data["config"]["digest"] = config_digest(read_pyproject_table(repo.root / "pyproject.toml")
                                             or {})
    write_json_atomic(repo.verdict_path, data)
    allowed = repo.run("deploy", "--dry-run", "--commit", sha)
    assert allowed.returncode == 0, allowed.stdout
    # hostile case 163: an uncommitted edit of the tracked table (a step, a limit, `requires`
    # dropped) would decide the deploy; only the commit's own table may
    with (repo.root / "pyproject.toml").open("a") as toml:
        toml.write("# an uncommitted edit\n[tool.pyramid.flaky]\nmax_share = 0.5\n")
    edited = repo.run("deploy", "--dry-run", "--commit", sha)
    assert edited.returncode == 3, edited.stdout
    assert edited.stderr.startswith("pyramid deploy: [tool.pyramid] in ")
    assert "differs from the checkout's commit (HEAD), an uncommitted edit" in edited.stderr
    assert edited.stderr.count("\n") == 1


def test_the_deploy_is_built_from_the_table_its_commit_ships(repo: Project) -> None:
    """Hostile cases 163 (a) and 167: a configuration file the commit does not ship, or one
    it ships but the working tree lost, is refused; the command line may tighten the tracked
    limits, never loosen them. Each refusal is one line, exit 3, before the gate."""
    repo.write_config(max_age="24h")
    repo.commit("v1")
    (repo.root / "pyramid.toml").write_text('[deploy]\nport = 18943\nmax_age = "9999h"\n')
    untracked = repo.run("deploy", "--dry-run", "--config", "pyramid.toml")
    assert untracked.returncode == 3, untracked.stdout
    assert untracked.stderr.startswith("pyramid deploy: pyramid.toml is not in commit ")
    assert "judged by the configuration the commit ships" in untracked.stderr
    assert untracked.stderr.count("\n") == 1
    (repo.root / "pyramid.toml").unlink()
    loosened = repo.run("deploy", "--dry-run", "--max-age", "48h")
    assert loosened.returncode == 3, loosened.stdout
    assert loosened.stderr.startswith("pyramid deploy: --max-age 48h loosens max_age = '24h' "
                                      f"in {repo.root / 'pyproject.toml'} [tool.pyramid.deploy]")
    assert loosened.stderr.count("\n") == 1
    assert repo.run("deploy", "--dry-run", "--max-age", "1h").returncode == 0  # tighter
    (repo.root / "pyproject.toml").unlink()  # the tracked file, deleted in the working tree
    lost = repo.run("deploy", "--dry-run")
    assert lost.returncode == 3, lost.stdout
    assert "configures this project in pyproject.toml, which the working tree lacks" in \
        lost.stderr
