"""Which environments must have deployed a commit healthily first: a host anchor, like the
approvers (deploy/anchors.py).

``requires = "staging"`` in the deploying checkout alone would let a commit drop its own
requirement: remove the line, and production no longer asks for staging. So the host's
deploy configuration (deploy/host_pins.py: ``/etc/pyramid/deploy.toml`` and the deploy account's
own ``~/.config/pyramid/deploy.toml``, every one of them, never a folder the deploying process's
environment names) decides::

    [environments.production]
    requires = "staging"
    requires_within = "72h"

The checkout's ``requires`` may only add to that: the requirements in force are the host's
and the checkout's together, and where both name the same environment, the shorter window
holds. An environment the host requires that the checkout does not define is never skipped:
the deploy is refused, naming it.

Without a host file, what was once required stays required: the environment's anchors record
(deploy/anchors.py, deploy/trust_record.py) keeps the requirements its first deployment and
every succeeded one declared, only ever adding, and the gate holds every commit to them until
the host file sets ``requires`` for that environment (``requires = ""`` lifts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pytest_pyramid.deploy.config import KEYS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pytest_pyramid.deploy.approvals import Asked
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.history import Deployment
    from pytest_pyramid.deploy.trust_record import Required
    from pytest_pyramid.verdict.trust import Trust


@dataclass(frozen=True)
class Requirement:
    """``environment`` must have deployed the commit healthily within ``within`` seconds."""

    environment: str
    within: float
    #: that environment's history, as the deploying checkout places it (None: not defined)
    history: Path | None
    #: who asks for it: "the host (<file>)", "this checkout", or both
    origin: str


def host_requirements(roots: Sequence[Path] | None = None
                      ) -> tuple[Mapping[str, Mapping[str, Any]], str]:
    """The host's ``[environments.<name>]`` requirements, every host folder together
    (deploy/host_pins.py: the strictest holds), and the files that set them."""
    from pytest_pyramid.deploy.host_pins import host_pins

    pins = host_pins(roots)
    return pins.environments, pins.environments_origin


def in_force(config: DeployConfig, roots: Sequence[Path] | None = None,
             recorded: tuple[Required, ...] = ()) -> list[Requirement]:
    """The requirements ``config``'s environment deploys under: the host's, those ``recorded``
    in its anchors record (unless the host file sets ``requires`` for it), plus what the
    checkout adds (never less)."""
    if not config.environment:
        return []
    hosts, host_file = host_requirements(roots)
    host = hosts.get(config.environment, {})
    wanted: dict[str, tuple[float, list[str]]] = {}

    def want(environment: str, within: float, origin: str) -> None:
        narrowest, origins = wanted.get(environment, (within, []))
        wanted[environment] = (min(narrowest, within), [*origins, origin])

    host_within: float | None = host.get("requires_within")
    default = float(cast("float", KEYS["requires_within"].parse(
        KEYS["requires_within"].default)))
    for environment in host.get("requires", ()):
        want(str(environment), host_within if host_within is not None else default,
             f"the host ({host_file})")
    if "requires" not in host:  # the host file's word, "" included, replaces the record's
        from pytest_pyramid.deploy.trust_record import record_path

        for environment, within in recorded:
            want(environment, within, f"this host's anchors record "
                 f"({record_path(config.work_dir)})")
    if config.requires:
        want(config.requires, config.requires_within, "this checkout")
    if host_within is not None:  # the host's window bounds every other one
        wanted = {env: (min(within, host_within), origins)
                  for env, (within, origins) in wanted.items()}
    return [Requirement(env, within, evidence_history(config, env, roots), " and ".join(origins))
            for env, (within, origins) in wanted.items()]


def evidence_history(config: DeployConfig, environment: str,
                     roots: Sequence[Path] | None = None) -> Path | None:
    """Where ``environment``'s evidence lies, located by the host, never by the commit under
    test (hostile case 337: a ``history`` key naming qa's file as staging's): the history its
    deploys write as the host's targets index records it (deploy/targets.py); else
    ``history.sqlite`` in the work folder the host pins for it; else in the work folder this
    checkout gives it (its own or ``<work_dir>/<name>``). None: nothing places it."""
    from pytest_pyramid.deploy.targets import history_of, read_index

    indexed = history_of(read_index(roots), environment)
    if indexed is not None:
        return indexed
    hosts, _ = host_requirements(roots)
    pinned = hosts.get(environment, {}).get("work_dir")
    folder = pinned if pinned is not None else config.environment_work_dirs.get(environment)
    if folder is None:
        return None
    path = Path(str(folder))
    return (path if path.is_absolute() else config.root / path) / "history.sqlite"


def rows_of(history: Path, environment: str) -> list[Deployment]:
    """The rows of ``history`` that ``environment``'s deploys wrote, newest first: a row of
    another environment (or one from before rows named theirs) never counts for it. Read-only;
    raises sqlite3.Error when the file cannot be read as a history."""
    from pytest_pyramid.deploy.history import deployments_read_only

    return [row for row in deployments_read_only(history) if row.environment == environment]


def verdict_asks(trust: Trust, contract: Sequence[str] = ()) -> Asked:
    """What the verdict's risk row asks (never fewer than one), as one requirement; a contract
    migration asks it of a ``ready`` verdict too."""
    from pytest_pyramid.deploy.approvals import Asked

    theirs = trust.approvals
    sentence = theirs.sentence or f"needs {max(1, theirs.required)} approval(s)"
    if contract:
        sentence = (f"contract migration {', '.join(contract)} (-- pyramid: contract, not "
                    f"backward-compatible) {sentence}")
    return Asked(max(1, theirs.required), theirs.roles, sentence, "the verdict")


def approvals_in_force(config: DeployConfig, trust: Trust,
                       roots: Sequence[Path] | None = None,
                       recorded: int = 0, recorded_roles: tuple[str, ...] = (),
                       contract: Sequence[str] = (), *,
                       recorded_target: bool = False) -> tuple[Asked, ...]:
    """Every approval requirement this deploy is held to, each on its own (never merged: a
    merge lets one role's approvals stand in for another's): the verdict's when it is
    ``needs_approval`` (or ``contract`` names a pending contract migration), its target's
    (``required_approvals``: the host's, the checkout's and the count ``recorded`` in the
    anchors record unless the host sets one, the largest; the host's roles when it names any,
    else the checkout's), and, unless the host has a record of the target
    (``recorded_target``: deploy/anchors.py), those of its first use (:func:`first_use_asks`).
    The shipped change's own (deploy/change_risk.py: the change against what the target
    serves, hostile case 462) where it asks more than the verdict.
    Empty: no approval is needed. One function for the gate and ``pyramid approve``;
    deploy/approvals.py: tally_each judges what it returns."""
    from pytest_pyramid.deploy.change_risk import risk_asks

    asked: list[Asked] = []
    if trust.verdict.get("decision") == "needs_approval" or contract:
        asked.append(verdict_asks(trust, contract))
    asked.extend(risk_asks(config, trust))
    hosts, host_file = host_requirements(roots) if config.environment else ({}, "")
    own = _target_asks(config, hosts, host_file, recorded, recorded_roles)
    first = () if recorded_target else first_use_asks(config, hosts, host_file)
    return (*asked, *own, *first)


def _target_asks(config: DeployConfig, hosts: Mapping[str, Mapping[str, Any]], host_file: str,
                 recorded: int, recorded_roles: tuple[str, ...]) -> tuple[Asked, ...]:
    """The approvals the deploy's own environment (or target) asks: none, or one requirement."""
    from pytest_pyramid.deploy.approvals import Asked
    from pytest_pyramid.deploy.trust_record import narrower_roles

    host = hosts.get(config.environment, {})
    # the host file's count, 0 included, replaces the record's
    kept = 0 if "required_approvals" in host else recorded
    count = max(int(host.get("required_approvals", 0)), config.required_approvals, kept)
    if count < 1:
        return ()
    # the host's roles when it names any, else the checkout's only narrowing the recorded ones
    roles = tuple(host.get("approver_roles") or
                  narrower_roles(recorded_roles, config.approver_roles))
    who = " and ".join(origin for origin, n in (
        (f"the host ({host_file})", int(host.get("required_approvals", 0))),
        ("this checkout", config.required_approvals),
        ("this host's anchors record", kept)) if n)
    target = config.environment or "this deploy target"
    mine = f"{target} needs {count} approval(s)" + (
        f" from {', '.join(roles)}" if roles else " (any approver)") + f" (required by {who})"
    return (Asked(count, roles, mine, f"{target}, required by {who}"),)


def first_use_asks(config: DeployConfig, hosts: Mapping[str, Mapping[str, Any]],
                   host_file: str) -> tuple[Asked, ...]:
    """The approvals the first use of a target the host has no record of is held to (the
    caller knows it has none): which environment a port and a work folder serve is the
    checkout's word until a real deploy records it (the anchors record's ``serves``, the
    host's targets index), so a reviewed commit swapping staging's and production's ports
    before anything was deployed would plan production's port as staging, without
    production's requirements (hostile case 281). Such a target may be any environment whose
    requirements the host pins but whose port it does not: it takes each one's approvals
    (``required_approvals``, at least one, from its ``approver_roles``), each on its own. Its
    ``requires`` cannot hold on a first use (the chain of environments starts with a first
    use: staging's own first deploy would need staging first), so a person stands for it. A
    target the host pins (``port``/``work_dir`` of this environment) is known; a host that
    pins the port of every environment it holds requirements for asks nothing here."""
    from pytest_pyramid.deploy.approvals import Asked

    here = config.environment
    if not here or {"port", "work_dir"} & set(hosts.get(here, {})):
        return ()
    asked: list[Asked] = []
    for name, own in sorted(hosts.items()):
        if name == here or "port" in own or not (
                own.get("requires") or int(own.get("required_approvals", 0))):
            continue
        count = max(1, int(own.get("required_approvals", 0)))
        roles = tuple(own.get("approver_roles") or ())
        sentence = (f"{here} on port {config.port} ({config.work_dir}) needs {count} "
                    f"approval(s)" + (f" from {', '.join(roles)}" if roles else
                                      " (any approver)") +
                    f": the first use of a target the host has no record of, which may be "
                    f"{name}'s (the host pins {name}'s requirements but not its port, "
                    f"{host_file}; pin environments.{name}.port there to not be asked)")
        asked.append(Asked(count, roles, sentence,
                           f"the host ({host_file}) for a first use that may be {name}'s"))
    return tuple(asked)
