"""Environments (deploy/environments.py): each its own keys, work folder and history; a
command names one; production refuses a commit staging has not deployed healthily (read
from staging's real history file)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.config import load_config
from pytest_pyramid.deploy.environments import staged
from pytest_pyramid.deploy.history import History, now_utc
from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

PROJECT = """
[tool.pyramid]
[tool.pyramid.deploy]
command = "serve --port {port}"
port = 9000

[tool.pyramid.deploy.environments.staging]
port = 9001

[tool.pyramid.deploy.environments.production]
requires = "staging"
requires_within = "2h"
"""
COMMIT = "a" * 40


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    return tmp_path


def test_each_environment_is_the_table_with_its_own_keys_on_top(project: Path) -> None:
    staging = load_config(project, env="staging", cwd=project)
    production = load_config(project, env="production", cwd=project)
    assert (staging.port, production.port) == (9001, 9000)
    assert staging.command == production.command == "serve --port {port}"
    assert staging.work_dir == project / ".pyramid/deploy/staging"
    assert production.work_dir == project / ".pyramid/deploy/production"
    assert (production.environment, production.requires) == ("production", "staging")
    assert production.requires_within == 7200.0
    assert production.requires_history == staging.history_path
    assert staging.requires_history is None


def test_a_command_must_name_an_environment_once_there_are_any(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"--env.*environments \(staging, production\)"):
        load_config(project, cwd=project, require_env=True)
    with pytest.raises(ConfigError, match=r"--env = 'prod'.*known: staging, production"):
        load_config(project, env="prod", cwd=project)
    # `pyramid check` reads the base table's trust settings: no environment needed there
    assert load_config(project, cwd=project).port == 9000


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ('[tool.pyramid.deploy.environments.qa]\nport = 9001\n',
         r"environments\.(qa|staging)\.port = 9001.*the same as environment"),
        ('[tool.pyramid.deploy.environments.qa]\nrequires = "qa"\nport = 9005\n',
         r"environments\.qa\.requires = 'qa'.*another environment"),
        ("[tool.pyramid.deploy.environments.qa]\nportt = 1\n",
         r"deploy\.environments\.qa\.portt.*unknown key"),
    ],
)
def test_environments_that_would_collide_or_loop_are_refused(
    project: Path, extra: str, match: str
) -> None:
    (project / "pyproject.toml").write_text(PROJECT + extra)
    with pytest.raises(ConfigError, match=match):
        load_config(project, env="qa", cwd=project)


def _succeeded(history: History, commit: str) -> int:
    row = history.start(commit=commit, commit_time=None, strategy="canary", dry_run=False,
                        verdict_path="v.json")
    history.finish(row, outcome="succeeded", reason="every step passed its analysis")
    return row


def test_production_refuses_until_staging_deployed_the_commit_healthily(project: Path) -> None:
    production = load_config(project, env="production", cwd=project)
    now = now_utc()
    assert "staging has no history yet" in str(staged(production, COMMIT, now))
    assert production.requires_history is not None
    production.requires_history.parent.mkdir(parents=True)
    history = History(production.requires_history)
    try:
        failed = history.start(commit=COMMIT, commit_time=None, strategy="canary",
                               dry_run=False, verdict_path="v.json")
        history.finish(failed, outcome="rolled_back", reason="error rate")
        refused = str(staged(production, COMMIT, now_utc()))
        assert f"its last staging attempt of it: #{failed} rolled_back" in refused
        good = _succeeded(history, COMMIT)
        assert staged(production, COMMIT, now_utc()) is None
        # too long ago for requires_within, or another commit: refused
        assert staged(production, COMMIT, now_utc() + timedelta(hours=3)) is not None
        assert "staging never deployed it" in str(staged(production, "b" * 40, now_utc()))
        history.mark_reverted(good, by=good + 1, at=now_utc())
        assert staged(production, COMMIT, now_utc()) is not None  # reverted: not healthy
    finally:
        history.close()


def test_pyramid_deploy_without_env_is_one_line_and_exit_3(project: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest_pyramid", "deploy", "--dry-run"],
                          cwd=project, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "name one with --env" in done.stderr
    assert "Traceback" not in done.stderr


def test_config_check_checks_every_environment(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        PROJECT + '[tool.pyramid.deploy.environments.qa]\nport = 9001\n')
    done = subprocess.run([sys.executable, "-m", "pytest_pyramid", "config", "check"],
                          cwd=project, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "the same as environment" in done.stderr
