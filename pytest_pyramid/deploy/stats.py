"""Delivery figures from the deployment history, by the DORA definitions (docs/deploy.md).

* A **deployment** is a real (not dry-run) deploy whose new version received user traffic.
  Refusals, failed health checks (never exposed) and no-op deploys (the commit already
  served) are not deployments.
* **Deployment frequency**: successful deployments (completed, bake included) per day over
  the time the history actually covers inside the window (at least one day: a rate over a
  few minutes would be meaningless), not over the whole window.
* **Change failure rate** (DORA: the share of deployments that caused a failure in production
  needing remediation): deployments whose change failed - rolled back on its own analysis or
  because its version exited, aborted or rolled back by a person, stuck or failed, or reverted
  later by `pyramid rollback` - / deployments. A rollout ended by something other than its
  change (the router failing, the stable version dying so the new one took over, the deploy
  process interrupted, killed or stopped, a progress deadline with no failed measurement, an
  analysis that stayed blind) is not a change failure: counted apart as ``interrupted``. What
  ended a rollout is the ``cause`` recorded in its history row (never its reason text).
* **Failed deployment recovery time** (time to restore): from the failing change first
  receiving traffic to all traffic verified back on a good version. Median.
* **Lead time for changes**: commit time to the deployment completing. Median. The commit
  time is its author's word (a laptop's clock may run days ahead): the gate records it bounded
  by the verdict's own time (deploy/evidence.py: lead_from), and a lead time is never
  negative.

No data gives None (shown as n/a), never 0.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_pyramid.deploy.history import Deployment

FAILED = ("rolled_back", "aborted", "failed")


@dataclass(frozen=True)
class DeployStats:
    window_days: float
    covered_days: float | None
    attempts: int
    refused: int
    unchanged: int
    deployments: int
    succeeded: int
    change_failures: int
    #: ended by something other than its change (router, dead stable, interrupted deploy)
    interrupted: int
    rolled_back: int
    aborted: int
    reverted: int
    rollbacks: int
    deployment_frequency_per_day: float | None
    change_failure_rate: float | None
    median_time_to_restore_s: float | None
    median_lead_time_s: float | None
    median_rollback_s: float | None


def interrupted(d: Deployment) -> bool:
    """Ended early by something other than its change: the cause recorded when its row was
    finished (history.py ``CAUSES``; rows of older files got theirs by the schema migration),
    never a revert."""
    if d.outcome not in FAILED or d.reverted_by is not None:
        return False
    return d.cause is not None and d.cause != "change"


def change_failed(d: Deployment) -> bool:
    return (d.outcome in FAILED or d.reverted_by is not None) and not interrupted(d)


def restore_time(d: Deployment) -> float | None:
    restored = d.reverted_at if d.reverted_by is not None else d.restored_at
    if restored is None or d.exposed_at is None:
        return None
    return max(0.0, (restored - d.exposed_at).total_seconds())


def compute(
    history: Sequence[Deployment], *, now: datetime, window: timedelta = timedelta(days=30)
) -> DeployStats:
    since = now - window
    real = [d for d in history if not d.dry_run and d.started_at >= since]
    attempts = [d for d in real if d.kind == "deploy"]
    deployments = [d for d in attempts if d.outcome != "unchanged" and exposed(d)]
    succeeded = [d for d in deployments if d.outcome == "succeeded"]
    failures = [d for d in deployments if change_failed(d)]
    covered = None
    if real:
        first = min(d.started_at for d in real)
        covered = (now - max(first, since)).total_seconds() / 86400
    restores = [t for t in (restore_time(d) for d in failures) if t is not None]
    lead_times = [  # never negative: a commit's date is its author's word (hostile case 332 d)
        max(0.0, (d.finished_at - d.commit_time).total_seconds())
        for d in succeeded if d.finished_at is not None and d.commit_time is not None
    ]
    rollback_times = [d.rollback_s for d in failures if d.rollback_s is not None]
    return DeployStats(
        window_days=window.total_seconds() / 86400,
        covered_days=covered,
        attempts=len(attempts),
        refused=sum(1 for d in attempts if d.outcome == "refused"),
        unchanged=sum(1 for d in attempts if d.outcome == "unchanged"),
        deployments=len(deployments),
        succeeded=len(succeeded),
        change_failures=len(failures),
        interrupted=sum(1 for d in deployments if interrupted(d)),
        rolled_back=sum(1 for d in deployments if d.outcome == "rolled_back"),
        aborted=sum(1 for d in deployments if d.outcome in ("aborted", "failed")),
        reverted=sum(1 for d in deployments if d.reverted_by is not None),
        rollbacks=sum(1 for d in real if d.kind == "rollback" and d.outcome == "succeeded"),
        deployment_frequency_per_day=(len(succeeded) / max(covered, 1.0))
        if covered is not None else None,
        change_failure_rate=len(failures) / len(deployments) if deployments else None,
        median_time_to_restore_s=statistics.median(restores) if restores else None,
        median_lead_time_s=statistics.median(lead_times) if lead_times else None,
        median_rollback_s=statistics.median(rollback_times) if rollback_times else None,
    )


def exposed(d: Deployment) -> bool:
    """Did this attempt's new version receive user traffic?"""
    if d.exposed_at is not None:
        return True
    # Rows written before exposure was recorded: a success or a rollback implies traffic.
    return d.outcome in ("succeeded", "rolled_back")
