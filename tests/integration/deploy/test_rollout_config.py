"""Hostile row (issue 19; round 7 noticed it, nobody attacked it): the deploy commands that act
on a rollout (``supervise``, ``status``, ``promote``, ``rollback``, ``abort``) or on a verdict
(``approve``) built their configuration from the table on disk, while ``deploy`` builds from
the table its commit ships. An untracked edit (``git update-index --skip-worktree`` and an
edit) or a checkout of another commit steered the limits a resumed supervision, a promotion's
bake or a rollback judge by, and who may approve.

Now one function (deploy/cli.py ``_config``) reads every such command's configuration from the
table the commit it acts on ships (deploy/replays.py ``shipped_table``, the deploy's own
reading): the rollout in progress, else the release serving, else HEAD; approve: the verdict's
commit. A table that cannot be read (an uncommitted edit, a commit the clone lacks) is exit 3
naming why, before anything acts; the foreground supervisor (systemd starts it at any moment)
reads the commit's table from git and ignores an uncommitted edit, at its start as at each
pass. In-process: nothing here starts a router or a process."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import build_parser, main
from pytest_pyramid.deploy import cli as deploy_cli
from pytest_pyramid.deploy.processes import Version
from pytest_pyramid.deploy.state import DeployState, Rollout, save_state
from tests.git_repo import git

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_pyramid.deploy.config import DeployConfig
    from tests.support.deploy.helpers import Project

#: every command that acts on a rollout or a verdict, as a person types it
TYPED = (["status"], ["abort"], ["promote"], ["rollback"], ["approve", "--key", "nobody.key"])
ACTING = (*TYPED, ["supervise"])


def _deployed(repo: Project, commit: str) -> None:
    """The host's state: a rollout of ``commit`` in progress (as the deploy left it)."""
    canary = Version(commit, repo.port + 1, 999_999, str(repo.work_dir / "releases" / commit),
                     "", None)
    repo.work_dir.mkdir(parents=True, exist_ok=True)
    save_state(repo.work_dir / "state.json",
               DeployState(rollout=Rollout(1, commit, "canary", canary, status="running")))


@pytest.fixture
def reviewed(repo: Project, monkeypatch: pytest.MonkeyPatch) -> str:
    """Commit A ships error_rate_limit = 0.001 and is being rolled out (its verdict beside,
    as Project.commit writes it)."""
    repo.write_config(error_rate_limit=0.001)
    sha = repo.commit("reviewed")
    _deployed(repo, sha)
    monkeypatch.chdir(repo.root)
    return sha


@pytest.mark.parametrize("argv", ACTING, ids=lambda argv: argv[0])
def test_a_command_takes_the_table_of_the_commit_it_acts_on(
    repo: Project, reviewed: str, argv: list[str]
) -> None:
    """The checkout moved to an unreviewed local commit B that loosens the limit: the
    rollout of A is still judged by A's table."""
    repo.write_config(error_rate_limit=0.5)
    repo.commit("unreviewed, local")
    repo.write_verdict(reviewed)  # approve acts on A's verdict
    config = deploy_cli._config(build_parser().parse_args(argv))
    assert config.error_rate_limit == 0.001


@pytest.fixture
def inert(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that got past its configuration fails here instead of acting (no supervisor
    is started, no foreground loop runs)."""
    from pytest_pyramid.deploy import service, status

    def acted(*args: object, **kwargs: object) -> int:
        raise AssertionError("acted on a configuration its commit does not ship")

    for module, name in ((service, "serve"), (service, "control"), (service, "approve"),
                         (status, "status")):
        monkeypatch.setattr(module, name, acted)


@pytest.mark.parametrize("argv", TYPED, ids=lambda argv: argv[0])
@pytest.mark.usefixtures("inert")
def test_an_untracked_edit_of_the_table_is_refused(
    repo: Project, reviewed: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo.root, "update-index", "--skip-worktree", "pyproject.toml")
    repo.write_config(error_rate_limit=0.5)
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "differs from the checkout's commit (HEAD), an uncommitted edit" in err
    assert len(err.strip().splitlines()) == 1


def test_the_foreground_supervisor_ignores_an_uncommitted_edit(
    repo: Project, reviewed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit of the table neither ends ``pyramid supervise`` at its start (it used to exit
    3) nor steers it: its start and its passes judge the rollout of A by the table A ships,
    found where HEAD's (B's) table says, not where the edit moved the work folder to; a pass
    does not read the file on disk at all."""
    from pytest_pyramid.deploy import service

    seen: list[float] = []

    def serve(config: DeployConfig, out: object, configure: Callable[[], DeployConfig]) -> int:
        # a pass runs while an editor has written half the file: not even read
        (repo.root / "pyproject.toml").write_text("[tool.pyramid.deploy]\nerror_rate_limit =")
        seen.extend((config.error_rate_limit, configure().error_rate_limit))
        return 0

    monkeypatch.setattr(service, "serve", serve)
    repo.write_config(error_rate_limit=0.2)
    repo.commit("B, not deployed")
    repo.write_config(error_rate_limit=0.5, work_dir="elsewhere")  # uncommitted
    assert main(["supervise"]) == 0
    assert seen == [0.001, 0.001]


def test_who_decides_is_the_host_s_account_not_user(
    repo: Project, reviewed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--by`` names who decides; without it the history names the account the command runs
    as, from the user database, not the caller's ``$USER``."""
    import os
    import pwd

    from pytest_pyramid.deploy import service

    named: list[str] = []

    def control(config: object, action: str, *, by: str, **rest: object) -> int:
        named.append(by)
        return 0

    monkeypatch.setattr(service, "control", control)
    monkeypatch.setenv("USER", "mallory")
    assert main(["abort"]) == 0
    assert main(["rollback", "--by", "alice"]) == 0
    assert named == [pwd.getpwuid(os.geteuid()).pw_name, "alice"]


@pytest.mark.usefixtures("inert")
def test_a_rollout_whose_commit_the_clone_lacks_is_refused(
    repo: Project, reviewed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _deployed(repo, "f" * 40)
    assert main(["abort"]) == 3
    err = capsys.readouterr().err
    assert f"rollout #1 deploys commit {'f' * 12}" in err
    assert "its configuration cannot be read" in err


def test_a_foreground_supervisor_resumes_each_rollout_by_its_own_table(
    repo: Project, reviewed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pyramid supervise`` (systemd) outlives rollouts: the one it resumes is judged by the
    table of the rollout then in progress, not the one the loop started with."""
    from types import SimpleNamespace

    from pytest_pyramid.deploy import service, supervisor

    args = build_parser().parse_args(["supervise"])
    started = deploy_cli._config(args)  # A's table: the rollout in progress at start
    repo.write_config(error_rate_limit=0.002)
    _deployed(repo, repo.commit("deployed later"))  # its supervisor is gone
    jobs: list[supervisor.Job] = []

    def spawn(job: supervisor.Job) -> SimpleNamespace:
        jobs.append(job)
        return SimpleNamespace(pid=0)

    monkeypatch.setattr(supervisor, "spawn", spawn)
    service.resume_if_orphaned(started, lambda line: None, lambda: deploy_cli._config(args))
    assert [job.config.error_rate_limit for job in jobs] == [0.002]


@pytest.mark.usefixtures("inert")
def test_approve_refuses_a_commit_s_table_that_names_another_verdict(
    repo: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The verdict on disk names A; A's table sends approve to a verdict of B: the table was
    read for A, so approving B by it is refused, not judged under another commit's table."""
    from pytest_pyramid.config import DEFAULT_VERDICT
    from tests.support.deploy.helpers import make_verdict

    repo.write_config(verdict="a.json")
    first = repo.commit("A")
    repo.write_config(verdict=None)
    second = repo.commit("B")
    repo.write_verdict(first)
    (repo.root / "a.json").write_text(json.dumps(make_verdict(second)))
    assert (repo.root / DEFAULT_VERDICT).exists()
    monkeypatch.chdir(repo.root)
    assert main(["approve", "--key", "nobody.key"]) == 3
    err = capsys.readouterr().err
    assert f"names commit {second[:12]}, but the configuration was read for commit " \
           f"{first[:12]}" in err
