"""The last good release as a version to start again (deploy/way_back.py says which): what
`pyramid rollback`, the watch's rollback, a rollout whose stable died (deploy/rollout.py:
Deployer.way_back) and a deploy with no stable running (deploy/service.py:
stable_from_history) start from its release folder; and how any recorded version is started
again (:func:`started_as`: as it ran, hostile case 467).

The way back is the service's, not the folder's (hostile case 461): every place the service
was deployed from (deploy/service_places.py) is read, so a commit that moves the
port into a new ``[environments.<name>]`` table (a new, empty work folder) still has the
release the old folder served to return to."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.history import Deployment, History
    from pytest_pyramid.deploy.processes import Version
    from pytest_pyramid.deploy.service_places import Place
    from pytest_pyramid.deploy.way_back import Pick

def _silent(_line: str) -> None:
    """Where a caller that prints nothing sends a line."""


def before(serving: Version) -> Callable[[Deployment, bool], bool]:
    """A release to return to from ``serving``: another commit, deployed before it (by this
    history's ids; a row of another place's history by time: ids of two histories do not
    compare)."""
    def accept(row: Deployment, here: bool) -> bool:
        if row.commit == serving.commit:
            return False
        if here:
            return serving.deployment_id is None or row.id < serving.deployment_id
        return not serving.started_at or _finished_before(row, serving.started_at)
    return accept


def _finished_before(row: Deployment, started_at: str) -> bool:
    from pytest_pyramid.deploy.service_places import when

    return when(row.finished_at or row.started_at) <= when(started_at)


def last_release(config: DeployConfig, history: History,
                 accept: Callable[[Deployment, bool], bool],
                 out: Callable[[str], None] | None = None) -> Version | None:
    """The service's last good release (deploy/way_back.py: last_good, in every place it was
    deployed from, the newest) that ``accept``s and whose release folder is still there, as a
    version to start again (no process: pid 0) with its own commit's start template. A release
    of another place's history carries no ``deployment_id`` (its id counts in that history,
    not this one). None also when this folder's history cannot be read."""
    from pytest_pyramid.deploy.anchors import committed_command
    from pytest_pyramid.deploy.processes import Version as Started
    from pytest_pyramid.deploy.replays import host_seen
    from pytest_pyramid.deploy.service_places import service_places
    from pytest_pyramid.deploy.way_back import newest_decisions

    try:
        rows = history.deployments()
    except (sqlite3.Error, OSError):
        return None
    places = service_places(config)
    others = [(place, _rows_of(place)) for place in places[1:]]
    newest = newest_decisions([*host_seen(config, history),
                               *(item for place, _ in others for item in _seen_of(place))])
    picks = [(True, _pick(config, places[0], rows, newest, accept, True))]
    picks += [(False, _pick(config, place, found, newest, accept, False))
              for place, found in others]
    for _, pick in picks:
        for line in pick.passed_over:
            (out or _silent)(f"[way back] passed over {line}: the host's newest evidence no "
                             "longer vouches for it")
    chosen = max(((here, pick.row) for here, pick in picks if pick.row is not None),
                 key=lambda found: _finished(found[1]), default=None)
    if chosen is None or chosen[1].commit is None:
        return None
    here, row = chosen
    commit = row.commit
    assert commit is not None
    return Started(commit, 0, 0, str(config.release_path(commit)), "", None,
                   command=committed_command(config, commit) or "",
                   deployment_id=row.id if here else None)


def recorded_in(version: Version) -> str:
    """Which history holds ``version``'s deployment, for the output."""
    return ("another work folder's history of this service" if version.deployment_id is None
            else f"history #{version.deployment_id}")


def _pick(config: DeployConfig, place: Place, rows: Sequence[Deployment],
          newest: Mapping[str, tuple[datetime, str]],
          accept: Callable[[Deployment, bool], bool], here: bool) -> Pick:
    """One place's last good release ``accept`` takes whose release folder (in that place)
    is still there."""
    from dataclasses import replace

    from pytest_pyramid.deploy.way_back import last_good

    at = config if here else replace(config, work_dir=place.work_dir)
    return last_good(rows, newest, accept=lambda row: accept(row, here)
                     and at.release_path(str(row.commit)).is_dir())


def _finished(row: Deployment) -> datetime:
    from pytest_pyramid.deploy.service_places import when

    return when(row.finished_at or row.started_at)


def _rows_of(place: Place) -> list[Deployment]:
    """Another place's deployments, never written to (unreadable: none)."""
    from pytest_pyramid.deploy.history import deployments_read_only

    try:
        return deployments_read_only(place.history) if place.history.exists() else []
    except sqlite3.Error:
        return []


def _seen_of(place: Place) -> list[dict[str, str]]:
    """The verdicts another place's gates saw (its history and its folder's ledger): the
    host's newest evidence about a commit is asked of every place, as the rows are."""
    from pytest_pyramid.deploy.history import seen_read_only
    from pytest_pyramid.deploy.replays import seen_verdicts

    found: list[dict[str, str]] = []
    try:
        if place.history.exists():
            found.extend(seen_read_only(place.history))
    except (sqlite3.Error, OSError):
        pass
    found.extend(seen_verdicts(place.work_dir))
    return found


# -- starting a recorded version again ----------------------------------------------------------
@dataclass(frozen=True)
class StartAs:
    """How a recorded version is started again: its start template, the names of the deploy's
    environment it gets, and the path whose answer says it is healthy."""

    command: str
    pass_env: tuple[str, ...]
    health_path: str


def started_as(config: DeployConfig, version: Version) -> StartAs:
    """``version`` as it ran (hostile case 467: a rollback started v1 with v2's ``pass_env``,
    without the ``API_BASE`` v1 reads): the start template it was started with (its record,
    else its own commit's table), and its own commit's ``pass_env`` and ``health_path``, read
    from git as its table holds them for this environment. The table of the commit being
    deployed now is used only where git cannot give that commit's (then it cannot be checked
    out to start either)."""
    from pytest_pyramid.deploy.anchors import _merged, committed_command, committed_pyramid
    from pytest_pyramid.deploy.config import KEYS

    command = version.command or committed_command(config, version.commit) or config.command
    found = committed_pyramid(config, version.commit)
    if found is None or found[0] is None:  # no configuration file, or git cannot give it
        return StartAs(command, config.pass_env, config.health_path)
    deploy = found[0].get("deploy")
    table = _merged(deploy if isinstance(deploy, dict) else {}, config.environment)

    def own(key: str) -> object:
        try:
            return KEYS[key].parse(table.get(key, KEYS[key].default))
        except (ValueError, TypeError):  # it could not have deployed with it: nothing passed
            return KEYS[key].parse(KEYS[key].default)

    passed, health = own("pass_env"), own("health_path")
    return StartAs(command, tuple(passed) if isinstance(passed, tuple) else (),
                   health if isinstance(health, str) else config.health_path)
