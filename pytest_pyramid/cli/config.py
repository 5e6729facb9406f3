"""``pyramid config check``: everything a run would check at start-up, without running."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.cli._common import _print, _project

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

    from pytest_pyramid.cli._common import Commands
    from pytest_pyramid.deploy.config import DeployConfig


def add(commands: Commands) -> None:
    config = commands.add_parser("config", help="work with the [tool.pyramid] configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION",
                                            required=True)
    config_check = config_commands.add_parser(
        "check",
        help="validate [tool.pyramid] (pyproject.toml or pyramid.toml) without running tests; "
        "exit 0 valid, 3 invalid",
    )
    config_check.add_argument(
        "path", nargs="?", default=None,
        help="pyproject.toml, pyramid.toml or a project directory (default: the nearest "
        "project at or above the current directory)",
    )
    config_check.set_defaults(func=cmd_config_check)


def cmd_config_check(args: argparse.Namespace) -> int:
    """Everything a pytest run (and ``pyramid deploy``) would check at start-up, run none."""
    from pytest_pyramid.deploy.config import project_config
    from pytest_pyramid.errors import ConfigError
    from pytest_pyramid.gates.cov.config import parse_coverage_settings
    from pytest_pyramid.gates.engine import GateEngine
    from pytest_pyramid.run.tiers import MarkerRuleError, MarkerRules

    project = _project(args.path)
    path, table, settings = project.path, project.table, project.settings
    rules = {name: spec.markers for name, spec in settings.tiers.items() if spec.markers}
    try:
        MarkerRules(rules, {name: spec.order for name, spec in settings.tiers.items()})
    except MarkerRuleError as exc:
        raise ConfigError("tiers.*.markers", rules, str(path), str(exc)) from None
    engine = GateEngine.from_settings(settings, environ={})
    parse_coverage_settings(table, str(path), settings.tier_names,
                            source_paths=settings.source_paths)
    base = project_config(project.source, table)
    deploy = table.get("deploy")
    envs = deploy.get("environments") if isinstance(deploy, dict) else None
    names = [str(env) for env in envs] if isinstance(envs, dict) else []
    # each as its deploy reads it
    targets = {env: project_config(project.source, table, env=env) for env in names}
    host = _check_host(names, project.source)
    first = _first_use(targets)  # reads the host's targets index: exit 3 before "valid"
    gates = sorted({item.spec.id for item in engine.prepared})
    _print(
        f"{path}: valid: tiers {', '.join(settings.tiers)}; gates {', '.join(gates)}"
    )
    if host:
        _print(host)
    for line in _recorded(targets or ({"": base} if isinstance(deploy, dict) else {})):
        _print(line)
    for line in first:
        _print(line)
    return 0


def _first_use(targets: Mapping[str, DeployConfig]) -> list[str]:
    """The approvals the first deploy of each environment the host has no record of would
    need (deploy/requirements.py: first_use_asks, the gate's own function), for a person to
    gather before deploying rather than meet at the gate. A target is known, and asks nothing
    here, when its anchors record is usable or the host's targets index names its port or work
    folder (an index another account could write is exit 3, as at the gate)."""
    from pytest_pyramid.deploy import targets as index
    from pytest_pyramid.deploy.requirements import first_use_asks, host_requirements
    from pytest_pyramid.deploy.trust_record import read_record

    if not targets:
        return []
    hosts, host_file = host_requirements()
    held = index.read_index()
    lines = []
    for config in targets.values():
        record = read_record(config.work_dir)
        if (record.problem is None and not record.missing) or index.names_place(held, config):
            continue
        lines += [f"a first deploy: {asked.sentence}"
                  for asked in first_use_asks(config, hosts, host_file)]
    return lines


def _recorded(targets: Mapping[str, DeployConfig]) -> list[str]:
    """What each deploy target's anchors record holds it to beyond its files (a commit cannot
    drop it: deploy/anchors.py), for a person reading ``config check``."""
    from pytest_pyramid.deploy.trust_record import read_record, record_path
    from pytest_pyramid.durations import format_duration

    lines = []
    for env, config in targets.items():
        record = read_record(config.work_dir)
        where = f"{env or 'this deploy target'}: the anchors record {record_path(config.work_dir)}"
        if record.problem is not None:
            lines.append(f"{where} cannot be used ({record.problem}): a deploy there is refused "
                         "unless the host pins the anchors")
            continue
        held = record.latest.anchors if record.latest is not None else None
        if held is None:
            continue
        needs = [f"a healthy {name} deploy within {format_duration(within)}"
                 for name, within in held.requires]
        if held.required_approvals:
            needs.append(f"{held.required_approvals} approval(s)" + (
                f" from {', '.join(held.approver_roles)}" if held.approver_roles else ""))
        elif held.approver_roles:
            needs.append(f"approvals from {', '.join(held.approver_roles)}")
        if needs:
            lines.append(f"{where} requires {'; '.join(needs)} (until the host's deploy.toml "
                         "says otherwise)")
    return lines


def _check_host(environments: list[str], source: str) -> str:
    """The host's pins as every deploy of this project reads them (deploy/host_pins.py): a bad
    key is refused naming the host file and the key, and so is a requirement of the host that
    this project's environments cannot meet (the deploy would be refused). What was checked,
    for a person ("" without a host file)."""
    from pytest_pyramid.deploy.host_pins import host_pins
    from pytest_pyramid.errors import ConfigError

    pins = host_pins()
    hosts = pins.environments
    for env in environments:
        for needed in hosts.get(env, {}).get("requires", ()):
            if needed not in environments:
                raise ConfigError(f"environments.{env}.requires", needed,
                                  pins.environments_origin,
                                  f"{source} defines no environment {needed!r} (known: "
                                  f"{', '.join(environments)}): its deploy to {env} would "
                                  "be refused")
    if not pins.files:
        return ""
    pinned = [env for env in environments if env in hosts]
    return (f"{pins.origin}: valid: host deploy settings" + (
        f"; requirements pinned for {', '.join(pinned)}" if pinned else ""))
