"""The service's places: every work folder (and history) a deploy target was served from.

A work folder is the checkout's word (``work_dir``, ``history``, an ``[environments.<name>]``
table); the service is the host's (deploy/targets.py: the targets index). Hostile case 461: a
commit moving its port into ``[environments.production]`` got a new folder with an empty
history, and the limits and the way back, read only there, were a first deployment's. What
is anchored to "the last good release here" reads every place of the service:
:func:`limits_commit` (the limits) and deploy/last_release.py (the way back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_pyramid.deploy.trust_record import FIRST_USE, configured_target, read_record

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig


@dataclass(frozen=True)
class Place:
    """A work folder a service was deployed from, and the history its deploys wrote there."""

    work_dir: Path
    history: Path


def service_places(config: DeployConfig) -> list[Place]:
    """Every work folder this deploy's service was served from, this deploy's own first: the
    folder and history the command names, the ones its configuration names
    (deploy/trust_record.py: record_folders), and every folder and history the host's
    targets index names for this deploy's port, environment or work folder, in any line, not
    only the latest claimant (deploy/targets.py). Hostile case 461: a commit moving its port into
    ``[environments.production]`` (or setting ``work_dir``) makes a folder with an empty
    history; the limits and the way back are the service's, not the folder's, so they read
    them all. An index that cannot be used adds nothing here (the deploy's gate refuses it)."""
    from pathlib import Path

    from pytest_pyramid.deploy import targets

    places = [Place(config.work_dir, config.history_path)]
    configured = configured_target(config)
    if configured is not None:
        places.append(Place(configured.work_dir, configured.history_path))
    try:
        index = targets.read_index()
    except targets.IndexNotHost:
        index = targets.Index(None, problem="not a host fact")
    if index.problem is None:
        wanted = set(targets.targets_of(config))
        places += [Place(Path(c.work_dir), Path(c.history)) for c in index.claims
                   if wanted.intersection(c.targets)]
    seen: set[tuple[str, str]] = set()
    found: list[Place] = []
    for place in places:
        key = (targets.folder_of(place.work_dir), targets.folder_of(place.history))
        if key not in seen:
            seen.add(key)
            found.append(place)
    return found


@dataclass(frozen=True)
class LastServed:
    """What one place says last served: a commit, when, and whether only a first use's line
    says so (the commit a deploy was about to start, not one that succeeded)."""

    commit: str
    at: datetime
    first_use: bool = False


def when(value: str | datetime) -> datetime:
    """A time to order evidence of several places by (unreadable: before everything)."""
    from datetime import datetime, timezone

    from pytest_pyramid.deploy.history import parse_iso

    try:
        found = value if isinstance(value, datetime) else parse_iso(value)
    except (ValueError, TypeError):
        return datetime.min.replace(tzinfo=timezone.utc)
    return found if found.tzinfo is not None else found.replace(tzinfo=timezone.utc)


def served_last(place: Place) -> list[LastServed]:
    """What ``place`` says last served, newest evidence of success first (its history's last
    good release, deploy/way_back.py: last_good, or its anchors record's latest line of a
    deployment that history does not show undone: a lost or unreadable history does not free
    the limits), then its latest first-use line (a record without a success line yet)."""
    import sqlite3

    from pytest_pyramid.deploy.history import deployments_read_only
    from pytest_pyramid.deploy.way_back import good, last_good

    try:
        rows = deployments_read_only(place.history) if place.history.exists() else []
    except sqlite3.Error:
        rows = []
    best = last_good(rows, {}).row
    undone = {d.id for d in rows if d.kind == "deploy" and not d.dry_run and not good(d)}
    recorded = [e for e in read_record(place.work_dir).entries
                if e.deployment_id is not None and e.commit and e.deployment_id not in undone]
    # a first use's line names the commit being deployed when it was written: evidence that
    # it was started, never that it served (hostile case 461: the line of a deploy refused
    # since named the very commit under judgement)
    succeeded = [e for e in recorded if not e.event.startswith(FIRST_USE)]
    first_uses = [e for e in recorded if e.event.startswith(FIRST_USE)]
    latest = max(succeeded, key=lambda e: e.deployment_id or 0, default=None)
    found: list[LastServed] = []
    if latest is not None and latest.commit and (best is None or
                                                 (latest.deployment_id or 0) > best.id):
        found.append(LastServed(latest.commit, when(latest.at)))
    elif best is not None and best.commit:
        found.append(LastServed(best.commit, when(best.finished_at or best.started_at)))
    first = max(first_uses, key=lambda e: e.seq, default=None)
    if first is not None and first.commit:
        found.append(LastServed(first.commit, when(first.at), first_use=True))
    return found


def limits_commit(config: DeployConfig) -> str | None:
    """The commit whose ``[tool.pyramid.deploy]`` the next rollout's limits are anchored to
    (hostile case 371: a commit's ``error_rate_limit = "100%"`` judged its own rollout): the
    service's last good release (deploy/way_back.py: last_good, succeeded and not reverted
    since, hostile case 425; the host's newest verdicts are not asked here: a table that
    judged a release that served is the project's own whatever its tests say now, and a
    withdrawn verdict must never free the limits) in any of the service's places
    (:func:`service_places`, hostile case 461), the newest of them; a first use's line only
    where no place shows a success. None: nothing of this service succeeded yet (a first
    deployment is judged by its own table)."""
    found = [s for place in service_places(config) for s in served_last(place)]
    succeeded = [s for s in found if not s.first_use]
    newest = max(succeeded or found, key=lambda s: s.at, default=None)
    return None if newest is None else newest.commit
