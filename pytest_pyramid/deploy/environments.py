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

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from pytest_pyramid.deploy.config import DeployConfig

ENVIRONMENTS = "environments"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def declared(table: Mapping[str, Any], source: str) -> dict[str, Mapping[str, Any]]:
    """The environments the deploy table declares, each a table (ConfigError otherwise)."""
    envs = table.get(ENVIRONMENTS, {})
    if not isinstance(envs, Mapping):
        raise ConfigError("deploy.environments", envs, source,
                          "expected tables, e.g. [tool.pyramid.deploy.environments.staging]")
    for name, own in envs.items():
        if not NAME.match(str(name)):
            raise ConfigError(f"deploy.environments.{name}", name, source,
                              "an environment's name is letters, digits, '-' and '_'")
        if not isinstance(own, Mapping):
            raise ConfigError(f"deploy.environments.{name}", own, source, "expected a table")
        from pytest_pyramid.deploy.config import KEYS

        for key, value in own.items():
            if key not in KEYS:
                raise ConfigError(f"deploy.environments.{name}.{key}", value, source,
                                  "unknown key (an environment sets keys of "
                                  "[tool.pyramid.deploy])")
    return dict(envs)


def table_for(table: Mapping[str, Any], env: str | None, source: str, *,
              require_env: bool = False) -> dict[str, Any]:
    """The deploy table ``env`` deploys with: the base keys, the environment's own on top,
    its work folder (and history) its own unless it names them."""
    envs = declared(table, source)
    base = {k: v for k, v in table.items() if k != ENVIRONMENTS}
    if env is None:
        if envs and require_env:
            raise ConfigError("--env", None, source,
                              f"this project deploys to environments ({', '.join(envs)}): "
                              "name one with --env")
        return base
    if env not in envs:
        known = ", ".join(envs) or "none; [tool.pyramid.deploy.environments.<name>] defines one"
        raise ConfigError("--env", env, source, f"no such environment (known: {known})")
    own = envs[env]
    merged = {**base, **own}
    if "work_dir" not in own:
        from pytest_pyramid.deploy.config import KEYS

        merged["work_dir"] = str(PurePosixPath(str(base.get("work_dir",
                                                            KEYS["work_dir"].default))) / env)
    if "history" not in own and base.get("history"):
        history = PurePosixPath(str(base["history"]))
        merged["history"] = str(history.with_name(f"{history.stem}-{env}{history.suffix}"))
    return merged


def check_apart(configs: Mapping[str, DeployConfig], source: str) -> None:
    """Two environments never share a port or a work folder (one would take the other's
    traffic, state and history)."""
    seen: dict[tuple[str, object], str] = {}
    for name, config in configs.items():
        for what, value in (("port", config.port), ("work_dir", config.work_dir)):
            other = seen.setdefault((what, value), name)
            if other != name:
                raise ConfigError(f"deploy.environments.{name}.{what}", value, source,
                                  f"the same as environment {other!r}: each needs its own")


def staged(config: DeployConfig, commit: str, now: datetime) -> str | None:
    """Why ``commit`` may not go to ``config``'s environment yet (None: it may): its required
    environment has no healthy deploy of it within ``requires_within``."""
    if not config.requires:
        return None
    from pytest_pyramid.deploy.history import History

    where = config.requires_history
    if where is None or not Path(where).exists():
        return (f"{config.environment or 'this environment'} requires a healthy "
                f"{config.requires} deploy of {commit[:12]} first; {config.requires} has no "
                "history yet")
    history = History(Path(where))
    try:
        rows = history.deployments()
    finally:
        history.close()
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
