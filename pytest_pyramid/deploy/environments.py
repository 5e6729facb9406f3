"""``[tool.pyramid.deploy.environments.<name>]``: staging before production.

An environment is the deploy table with its own keys on top (port, work folder, approvers,
verify tier ...): every key of ``KEYS`` may be set per environment, nothing else. Each
environment has its own work folder (``<work_dir>/<name>`` unless it sets one), so its own
router, state, trust anchors, history and DORA figures. ``requires = "staging"`` makes a
deploy refuse a commit that has not completed a healthy deploy there (its last attempt of the
commit succeeded, judged on real traffic: every step and the bake passed; never reverted since)
within ``requires_within`` (deploy/evidence.py). The host's deploy
configuration pins requirements the checkout can only add to (deploy/requirements.py).

With environments defined, every deploy command names one (``--env``): a deploy that
guessed would send a commit to production that was meant for staging.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.requirements import Requirement
    from pytest_pyramid.deploy.trust_record import Required, Served


def staged(config: DeployConfig, commit: str, now: datetime,
           roots: Sequence[Path] | None = None,
           recorded: tuple[Required, ...] = (), serves: Served | None = None) -> str | None:
    """Why ``commit`` may not go to ``config``'s environment yet (None: it may): an
    environment it requires (the host's requirements, those ``recorded`` in the anchors record
    and the checkout's, deploy/requirements.py) has no healthy deploy of it within the
    window. ``roots``: the host folders (deploy/host_pins.py; None: the real ones);
    ``serves``: what the anchors record says the work folder serves."""
    from pytest_pyramid.deploy.requirements import in_force

    unknown = unknown_to_host(config, roots, serves)
    if unknown:
        return unknown
    problems = [problem for need in in_force(config, roots, recorded)
                for problem in [_unmet(config, need, commit, now)] if problem]
    return "; ".join(problems) or None


def unknown_to_host(config: DeployConfig, roots: Sequence[Path] | None = None,
                    serves: Served | None = None) -> str | None:
    """Why this deploy target is not one the host names (None: it is, or the host pins no
    environment). The host's requirements are keyed by environment name, and the name is the
    checkout's: renaming `production` to `prod` (or dropping the environments) would leave
    production's port unpinned, so a host that pins environments names every deploy target
    it serves (allow-list: the environments it pins and those they require; hostile case
    230). Which name a port and a folder serve is the host's (a pinned ``port``/``work_dir``)
    or else what the work folder's anchors record kept from its first deploy (``serves``),
    never a later checkout's word (hostile case 281)."""
    from pytest_pyramid.deploy.requirements import host_requirements

    hosts, host_file = host_requirements(roots)
    if not hosts:
        return None
    known = set(hosts) | {str(name) for own in hosts.values()
                          for name in own.get("requires", ()) if name}
    if config.environment not in known:
        here = (f"environment {config.environment!r}" if config.environment
                else "a deploy without environments")
        return (f"the host pins the deploy targets {', '.join(sorted(known))} ({host_file}); "
                f"{here} is none of them, so the host's requirements cannot be told: name it "
                f"in the host file ([environments.{config.environment or '<name>'}])")
    pinned = {"port", "work_dir"} & set(hosts.get(config.environment, {}))
    # the host's pins say what this environment serves: they, not the record, move it
    return _serves_another(config, hosts, host_file) or (
        None if pinned else _moved(config, serves))


def _moved(config: DeployConfig, serves: Served | None) -> str | None:
    """Why this deploy names its work folder's target otherwise than the folder's first
    deploy did (None: the same, or nothing recorded: trust on first use, as the anchors). A
    checkout swapping two environments' ports and folders would otherwise serve production's
    port and folder under staging's requirements; the host's pins move a target."""
    from pytest_pyramid.deploy.trust_record import record_path

    if serves is None:
        return None
    environment, port = serves
    if (config.environment, config.port) == (environment, port):
        return None
    name = f"environment {environment!r}" if environment else "no environment"
    here = f"{config.environment!r}" if config.environment else "no environment"
    return (f"{config.work_dir} serves {name} on port {port} (recorded at its first deploy, "
            f"{record_path(config.work_dir)}); this deploy names {here} on port "
            f"{config.port}: a checkout cannot move what a work folder serves (pin port and "
            "work_dir per environment in the host file to move it)")


def _serves_another(config: DeployConfig, hosts: Mapping[str, Mapping[str, Any]],
                    host_file: str) -> str | None:
    """Why this deploy serves what the host pins as another environment's (None: it does
    not). A name is the checkout's word; the port and the work folder are what an environment
    serves: a commit swapping staging's and production's ports would otherwise deploy to
    production's port under staging's requirements (hostile case 281)."""
    here = config.environment
    served = {"port": config.port, "work_dir": _folder(config.work_dir, config)}
    for name, own in sorted(hosts.items(), key=lambda item: item[0] != here):
        for key, value in served.items():
            if key not in own:
                continue
            pinned = own[key] if key == "port" else _folder(own[key], config)
            if name == here and pinned != value:
                return (f"the host pins environments.{name}.{key} = {own[key]!r} "
                        f"({host_file}); this deploy to {name} has {key} {value}")
            if name != here and pinned == value:
                return (f"{key} {value} is environment {name!r}'s (the host pins "
                        f"environments.{name}.{key}, {host_file}); this deploy names it "
                        f"{here!r}, so {name}'s requirements would not hold")
    return None


def _folder(path: object, config: DeployConfig) -> Path:
    """A work folder as the file system finds it (relative: to the project, as the deploy
    table's own work_dir)."""
    from pathlib import Path

    folder = Path(str(path))
    return (folder if folder.is_absolute() else config.root / folder).resolve()


def _unmet(config: DeployConfig, need: Requirement, commit: str, now: datetime) -> str | None:
    import sqlite3

    from pytest_pyramid.deploy.evidence import judged_healthy
    from pytest_pyramid.deploy.requirements import rows_of

    here = config.environment or "this environment"
    asked = f" (required by {need.origin})"
    if need.history is None:
        return (f"{here} requires a healthy {need.environment} deploy of {commit[:12]} first"
                f"{asked}, but this checkout defines no environment {need.environment!r}")
    if not need.history.exists():
        return (f"{here} requires a healthy {need.environment} deploy of {commit[:12]} first"
                f"{asked}; {need.environment} has no history yet")
    try:  # read-only: checking a requirement never creates, migrates or replays anything there
        rows = rows_of(need.history, need.environment)
    except sqlite3.Error as exc:
        return (f"{here} requires a healthy {need.environment} deploy of {commit[:12]} first"
                f"{asked}; {need.environment}'s history {need.history} cannot be read ({exc})")
    # what counts is deploy/evidence.py's: the last attempt, a success judged on real traffic
    evidence = judged_healthy(rows, commit, now, timedelta(seconds=need.within),
                              need.environment)
    if evidence.healthy:
        return None
    said = evidence.said if evidence.attempted else (
        f"{evidence.said} (its history {need.history}: only rows its own deploys wrote count)")
    return (f"{here} requires a healthy {need.environment} deploy of {commit[:12]} (its last "
            f"attempt succeeded, judged on real traffic, bake passed, not reverted) within "
            f"{_hours(need.within)}{asked}; {said}")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g}h"
