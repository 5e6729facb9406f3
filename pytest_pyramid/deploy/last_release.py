"""The last good release as a version to start again (deploy/way_back.py says which): what
`pyramid rollback`, the watch's rollback, a rollout whose stable died (deploy/rollout.py:
Deployer.way_back) and a deploy with no stable running (deploy/service.py:
stable_from_history) start from its release folder."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.history import Deployment, History
    from pytest_pyramid.deploy.processes import Version


def _silent(_line: str) -> None:
    """Where a caller that prints nothing sends a line."""


def before(serving: Version) -> Callable[[Deployment], bool]:
    """A release to return to from ``serving``: another commit, deployed before it."""
    return lambda row: row.commit != serving.commit and (
        serving.deployment_id is None or row.id < serving.deployment_id)


def last_release(config: DeployConfig, history: History,
                 accept: Callable[[Deployment], bool],
                 out: Callable[[str], None] | None = None) -> Version | None:
    """The last good release (deploy/way_back.py: last_good) that ``accept``s and whose
    release folder is still there, as a version to start again (no process: pid 0) with its
    own commit's start template. None also when the history cannot be read."""
    from pytest_pyramid.deploy.anchors import committed_command
    from pytest_pyramid.deploy.processes import Version as Started
    from pytest_pyramid.deploy.replays import host_seen
    from pytest_pyramid.deploy.way_back import last_good, newest_decisions

    try:
        rows = history.deployments()
    except (sqlite3.Error, OSError):
        return None
    newest = newest_decisions(host_seen(config, history))
    pick = last_good(rows, newest, accept=lambda row: accept(row)
                     and config.release_path(str(row.commit)).is_dir())
    for line in pick.passed_over:
        (out or _silent)(f"[way back] passed over {line}: the host's newest evidence no "
                         "longer vouches for it")
    row = pick.row
    if row is None or row.commit is None:
        return None
    return Started(row.commit, 0, 0, str(config.release_path(row.commit)), "", None,
                   command=committed_command(config, row.commit) or "", deployment_id=row.id)
