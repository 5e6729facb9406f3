"""Delivery figures (DORA-style) from the deployment history; no data -> None, never 0."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_pyramid.deploy.history import Deployment

ROLLOUT_OUTCOMES = ("succeeded", "rolled_back", "aborted")


@dataclass(frozen=True)
class DeployStats:
    attempts: int
    refused: int
    succeeded: int
    rolled_back: int
    aborted: int
    success_rate: float | None
    change_failure_rate: float | None
    median_rollback_s: float | None
    deployments_per_day: float | None
    median_lead_time_s: float | None
    window_days: float


def compute(
    deployments: Sequence[Deployment], *, now: datetime, window: timedelta = timedelta(days=30)
) -> DeployStats:
    """Figures over real (not dry-run) attempts that started within ``window`` before ``now``.

    success rate = succeeded / rollouts (succeeded + rolled back + aborted; refusals never
    reached production). change failure rate = rolled back / (succeeded + rolled back): the
    share of changes that reached users and had to be reverted. Lead time = verdict
    commit_time -> finished, for succeeded deployments.
    """
    since = now - window
    real = [d for d in deployments if not d.dry_run and d.started_at >= since]
    count = {o: sum(1 for d in real if d.outcome == o) for o in (*ROLLOUT_OUTCOMES, "refused")}
    rollouts = sum(count[o] for o in ROLLOUT_OUTCOMES)
    changes = count["succeeded"] + count["rolled_back"]
    rollback_times = [
        d.rollback_s for d in real if d.outcome == "rolled_back" and d.rollback_s is not None
    ]
    lead_times = [
        (d.finished_at - d.commit_time).total_seconds()
        for d in real
        if d.outcome == "succeeded" and d.finished_at is not None and d.commit_time is not None
    ]
    days = window.total_seconds() / 86400
    return DeployStats(
        attempts=len(real),
        refused=count["refused"],
        succeeded=count["succeeded"],
        rolled_back=count["rolled_back"],
        aborted=count["aborted"],
        success_rate=count["succeeded"] / rollouts if rollouts else None,
        change_failure_rate=count["rolled_back"] / changes if changes else None,
        median_rollback_s=statistics.median(rollback_times) if rollback_times else None,
        deployments_per_day=count["succeeded"] / days if real else None,
        median_lead_time_s=statistics.median(lead_times) if lead_times else None,
        window_days=days,
    )
