"""``pyramid history`` and ``pyramid stats``: the deploy history read, nothing created where
there is none yet (moved unchanged from deploy/service.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING

from pytest_pyramid.deploy.service import UsageFailure, _existing_history

if TYPE_CHECKING:
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.stats import DeployStats


def history_rows(config: DeployConfig, limit: int) -> list[dict[str, object]] | None:
    """The latest deployments, or None when there is no history yet."""
    history = _existing_history(config, lambda _: None)
    if history is None:
        return None
    return [asdict(d) for d in history.deployments(limit=limit)]


def history_detail(config: DeployConfig, deployment_id: int) -> dict[str, object]:
    history = _existing_history(config, lambda _: None)
    if history is None:
        raise UsageFailure(f"no deployment #{deployment_id}: no history at {config.history_path}")
    found = history.get(deployment_id)
    if found is None:
        raise UsageFailure(f"no deployment #{deployment_id} in {config.history_path}")
    from pytest_pyramid.deploy.verify import records

    return {**asdict(found), "steps": history.steps(deployment_id),
            "verify": records(config.work_dir, deployment_id)}


def stats(config: DeployConfig, days: float) -> DeployStats:
    from pytest_pyramid.deploy.history import now_utc
    from pytest_pyramid.deploy.stats import compute

    history = _existing_history(config, lambda _: None)
    return compute(history.deployments() if history is not None else [], now=now_utc(),
                   window=timedelta(days=days))
