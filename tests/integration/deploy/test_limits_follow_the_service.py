"""Hostile cases 461 and 467: the limits and the way back are the service's, not the folder's;
a recorded version is started again as it ran.

A commit moving its port into ``[environments.production]`` gets a new, empty work folder.
The host's targets index names the folder that served the port (deploy/targets.py), so the
limits anchor (deploy/service_places.py: limits_commit) and the way back
(deploy/last_release.py: last_release) read it too (service_places.py). A
recorded version's start takes its own commit's ``pass_env`` and ``health_path``
(last_release.started_as). In-process, real git, real histories; nothing starts a router."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.cli import build_parser
from pytest_pyramid.deploy import cli as deploy_cli
from pytest_pyramid.deploy import targets, trust_record
from pytest_pyramid.deploy.history import History
from pytest_pyramid.deploy.last_release import before, last_release, started_as
from pytest_pyramid.deploy.processes import Version
from pytest_pyramid.deploy.trust_record import AnchorSet

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig
    from tests.support.deploy.helpers import Project


def _deploying(commit: str, *argv: str) -> tuple[DeployConfig, list[str]]:
    said: list[str] = []
    config, _ = deploy_cli._built(build_parser().parse_args(["deploy", *argv]),
                                  lambda _: (commit, "the deploy"), say=said.append)
    return config, said


def _served(config: DeployConfig, commit: str, outcome: str = "succeeded") -> int:
    """A deployment of ``commit`` in ``config``'s history, judged on real traffic, its release
    folder there."""
    history = History(config.history_path, environment=config.environment)
    try:
        ident = history.start(commit=commit, commit_time=None, strategy="canary",
                              dry_run=False, verdict_path="")
        history.finish(ident, outcome=outcome, reason="", judged=outcome == "succeeded")
    finally:
        history.close()
    config.release_path(commit).mkdir(parents=True, exist_ok=True)
    return ident


def _claim(config: DeployConfig, commit: str) -> None:
    """The host's targets index: ``config``'s folder serves its port (as a real deploy
    writes it when it passes the gate)."""
    path = targets.index_path()
    assert path is not None
    targets.claim(path, config, at="2026-12-07T10:00:00Z", event=f"deploying {commit[:12]}",
                  taking=None)


@pytest.fixture
def old_service(repo: Project, monkeypatch: pytest.MonkeyPatch) -> tuple[str, DeployConfig]:
    """v1 (error rate at most 0.5%) served the port from the default work folder."""
    monkeypatch.chdir(repo.root)
    repo.write_config(error_rate_limit="0.5%")
    v1 = repo.commit("v1")
    config, _ = _deploying(v1)
    _served(config, v1)
    _claim(config, v1)
    return v1, config


def _move_to_production(repo: Project, error_rate_limit: str | None = None) -> str:
    """v2 moves the port into [environments.production] (a new work folder), with
    ``error_rate_limit`` in its top-level table."""
    repo.write_config(port=None, error_rate_limit=error_rate_limit or "0.5%")
    with (repo.root / "pyproject.toml").open("a") as handle:
        handle.write(f"[tool.pyramid.deploy.environments.production]\nport = {repo.port}\n")
    return repo.commit("v2: a production environment")


def test_the_limits_follow_the_port_into_a_new_work_folder(
        repo: Project, old_service: tuple[str, DeployConfig]) -> None:
    v1, old = old_service
    v2 = _move_to_production(repo, error_rate_limit="100%")
    config, said = _deploying(v2, "--env", "production")
    assert config.work_dir != old.work_dir
    assert config.error_rate_limit == 0.005
    assert [line[:50] for line in said] == ["[limits] error_rate_limit: kept 0.005, not this co"]
    assert v1[:12] in said[0]
    # the first use's line the gate writes names the commit under judgement: no evidence
    trust_record.append(config.work_dir, at="2026-12-07T12:00:00Z", commit=v2,
                        deployment_id=0, anchors=AnchorSet(),
                        event=f"first use here, deploying {v2[:12]}: the anchors record ...")
    assert _deploying(v2, "--env", "production")[0].error_rate_limit == 0.005


def test_without_the_host_s_word_the_new_folder_is_a_first_deployment(
        repo: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: no index line names the old folder for this port (the anchors gate
    decides whether such a deploy may go on at all)."""
    monkeypatch.chdir(repo.root)
    repo.write_config(error_rate_limit="0.5%")
    v1 = repo.commit("v1")
    _served(_deploying(v1)[0], v1)
    v2 = _move_to_production(repo, error_rate_limit="100%")
    assert _deploying(v2, "--env", "production")[0].error_rate_limit == 1.0


def test_the_way_back_is_the_service_s_last_good_release(
        repo: Project, old_service: tuple[str, DeployConfig]) -> None:
    v1, old = old_service
    bad = repo.commit("v1.5, rolled back in the old folder")
    _served(old, bad, outcome="rolled_back")
    v2 = _move_to_production(repo)
    config, _ = _deploying(v2, "--env", "production")
    history = History(config.history_path, environment="production")
    try:
        stable = last_release(config, history, lambda row, _here: row.judged is True)
        assert stable is not None
        assert (stable.commit, stable.deployment_id, stable.pid) == (v1, None, 0)
        assert stable.release == str(config.release_path(v1))  # started here again
        serving = Version(v2, 1, 1, "", "", None, started_at="2999-01-01T00:00:00Z",
                          deployment_id=_served(config, v2))
        previous = last_release(config, history, before(serving))
        assert previous is not None
        assert previous.commit == v1
        # a release of the old folder after the serving one started is not "before" it
        early = replace(serving, started_at="2000-01-01T00:00:00Z")
        assert last_release(config, history, before(early)) is None
    finally:
        history.close()


def test_a_recorded_version_starts_with_its_own_commit_s_environment_and_health(
        repo: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(repo.root)
    repo.write_config(pass_env=["SAMPLE_APP_PID_DIR", "API_BASE"], health_path="/ready")
    v1 = repo.commit("v1 reads API_BASE")
    repo.write_config(pass_env=["SAMPLE_APP_PID_DIR", "SHOP_API_BASE"], health_path=None)
    v2 = repo.commit("v2 reads SHOP_API_BASE")
    config, _ = _deploying(v2)
    assert config.pass_env == ("SAMPLE_APP_PID_DIR", "SHOP_API_BASE")
    old = started_as(config, Version(v1, 0, 0, "", "", None, command="recorded {port}"))
    assert old.pass_env == ("SAMPLE_APP_PID_DIR", "API_BASE")
    assert old.health_path == "/ready"
    assert old.command == "recorded {port}"  # what it was started with, when recorded
    now = started_as(config, Version(v2, 0, 0, "", "", None))
    assert (now.pass_env, now.health_path) == (config.pass_env, "/healthz")
    assert now.command == config.command
    # a commit git cannot give: the table in force (it cannot be checked out to start either)
    gone = started_as(config, Version("0" * 40, 0, 0, "", "", None))
    assert (gone.pass_env, gone.health_path) == (config.pass_env, config.health_path)
