"""``[tool.pyramid.deploy.environments.<name>]``: staging before production.

An environment is the deploy table with its own keys on top (port, work folder, approvers,
verify tier ...): every key of ``KEYS`` may be set per environment, nothing else. Each
environment has its own work folder (``<work_dir>/<name>`` unless it sets one), so its own
router, state, trust anchors, history and DORA figures. ``requires = "staging"`` makes a
deploy refuse a commit that has not completed a healthy deploy there (succeeded: every step
and the bake passed; never reverted since) within ``requires_within``.

With environments defined, every deploy command names one (``--env``): a deploy that
guessed would send a commit to production that was meant for staging.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_pyramid.deploy.config import DeployConfig


def staged(config: DeployConfig, commit: str, now: datetime) -> str | None:
    """Why ``commit`` may not go to ``config``'s environment yet (None: it may): its required
    environment has no healthy deploy of it within ``requires_within``."""
    if not config.requires:
        return None
    import sqlite3

    from pytest_pyramid.deploy.history import deployments_read_only

    where = config.requires_history
    if where is None or not Path(where).exists():
        return (f"{config.environment or 'this environment'} requires a healthy "
                f"{config.requires} deploy of {commit[:12]} first; {config.requires} has no "
                "history yet")
    try:  # read-only: checking a requirement never creates, migrates or replays anything there
        rows = deployments_read_only(Path(where))
    except sqlite3.Error as exc:
        return (f"{config.environment or 'this environment'} requires a healthy "
                f"{config.requires} deploy of {commit[:12]} first; {config.requires}'s "
                f"history {where} cannot be read ({exc})")
    window = timedelta(seconds=config.requires_within)
    healthy = [row for row in rows
               if row.commit == commit and row.kind == "deploy" and not row.dry_run
               and row.outcome == "succeeded" and row.reverted_by is None
               and row.finished_at is not None and now - row.finished_at <= window]
    if healthy:
        return None
    mine = [row for row in rows if row.commit == commit and not row.dry_run]
    last = (f"its last {config.requires} attempt of it: #{mine[0].id} {mine[0].outcome}"
            if mine else f"{config.requires} never deployed it")
    return (f"{config.environment or 'this environment'} requires a healthy "
            f"{config.requires} deploy of {commit[:12]} (succeeded, bake passed, not reverted) "
            f"within {_hours(config.requires_within)}; {last}")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g}h"
