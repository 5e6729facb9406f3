"""Which environments must have deployed a commit healthily first: a host anchor, like the
approvers (deploy/anchors.py).

``requires = "staging"`` in the deploying checkout alone would let a commit drop its own
requirement: remove the line, and production no longer asks for staging. So the host's
deploy configuration (the file deploy/anchors.py reads: ``$XDG_CONFIG_HOME/pyramid/deploy.toml``
or ``/etc/pyramid/deploy.toml``) decides::

    [environments.production]
    requires = "staging"
    requires_within = "72h"

The checkout's ``requires`` may only add to that: the requirements in force are the host's
and the checkout's together, and where both name the same environment, the shorter window
holds. An environment the host requires that the checkout does not define is never skipped:
the deploy is refused, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pytest_pyramid.deploy.config import ENVIRONMENT_NAME, KEYS
from pytest_pyramid.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_pyramid.deploy.config import DeployConfig

#: the host file's table of per-environment requirements
TABLE = "environments"
HOST_ENVIRONMENT_KEYS = ("requires", "requires_within")


@dataclass(frozen=True)
class Requirement:
    """``environment`` must have deployed the commit healthily within ``within`` seconds."""

    environment: str
    within: float
    #: that environment's history, as the deploying checkout places it (None: not defined)
    history: Path | None
    #: who asks for it: "the host (<file>)", "this checkout", or both
    origin: str


def host_requirements(environ: Mapping[str, str] | None = None
                      ) -> tuple[dict[str, dict[str, Any]], str]:
    """The host file's ``[environments.<name>]`` tables (parsed), and the file's path."""
    from pytest_pyramid.deploy.anchors import host_config_files
    from pytest_pyramid.project import read_document

    for path in host_config_files(environ):
        table = read_document(path)
        if table is None:
            continue
        return _parse_host(table.get(TABLE, {}), str(path)), str(path)
    return {}, ""


def _parse_host(raw: object, source: str) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise ConfigError(TABLE, raw, source, "expected tables, e.g. [environments.production]")
    found: dict[str, dict[str, Any]] = {}
    for name, own in raw.items():
        where = f"{TABLE}.{name}"
        if not ENVIRONMENT_NAME.match(str(name)) or not isinstance(own, dict):
            raise ConfigError(where, own, source, "expected a table named by an environment "
                              "(letters, digits, '-' and '_')")
        parsed: dict[str, Any] = {}
        for key, value in own.items():
            if key not in HOST_ENVIRONMENT_KEYS:
                raise ConfigError(f"{where}.{key}", value, source, "unknown key (known keys: "
                                  f"{', '.join(HOST_ENVIRONMENT_KEYS)})")
            try:
                parsed[key] = KEYS[key].parse(value)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{where}.{key}", value, source, str(exc)) from None
        if parsed.get("requires") == name:
            raise ConfigError(f"{where}.requires", name, source,
                              "an environment cannot require itself")
        found[str(name)] = parsed
    return found


def in_force(config: DeployConfig, environ: Mapping[str, str] | None = None
             ) -> list[Requirement]:
    """The requirements ``config``'s environment deploys under: the host's, plus what the
    checkout adds (never less)."""
    if not config.environment:
        return []
    hosts, host_file = host_requirements(environ)
    host = hosts.get(config.environment, {})
    wanted: dict[str, tuple[float, list[str]]] = {}
    host_within: float | None = host.get("requires_within")
    if host.get("requires"):
        default = float(cast("float", KEYS["requires_within"].parse(
            KEYS["requires_within"].default)))
        wanted[str(host["requires"])] = (host_within if host_within is not None else default,
                                         [f"the host ({host_file})"])
    if config.requires:
        within, origins = wanted.get(config.requires, (config.requires_within, []))
        within = min(within, config.requires_within)
        if host_within is not None:  # the host's window bounds the checkout's too
            within = min(within, host_within)
        wanted[config.requires] = (within, [*origins, "this checkout"])
    histories = config.environment_histories
    return [Requirement(env, within, Path(histories[env]) if env in histories else None,
                        " and ".join(origins))
            for env, (within, origins) in wanted.items()]
