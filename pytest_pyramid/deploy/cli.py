"""The deploy commands of ``pyramid``: parse the arguments, call :mod:`.service` (and
:mod:`.status`, :mod:`.teardown`, :mod:`.show`), print.

Exit codes: 0 ok, 1 refused / rolled back / aborted / degraded, 2 needs approval or (status) a
rollout in progress, 3 usage or state error (one line on stderr, from ``pytest_pyramid.cli``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.deploy.config import KEYS

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.status import StatusReport

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

#: the keys every command accepts as flags (where the work folder and router are)
_COMMON = ("work_dir", "history", "port", "router", "nginx")


def _say(message: str) -> None:
    print(message, flush=True)


def _checked(key: str) -> Callable[[str], str]:
    """An argparse type that validates with the key's own parser (the value is parsed again,
    with the same rules, when the configuration is built)."""
    parse = KEYS[key].parse_flag

    def convert(text: str) -> str:
        try:
            parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
        return text

    convert.__name__ = key  # argparse names the type in its message
    return convert


def _duration_flag(text: str) -> float:
    from pytest_pyramid.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _backup_name(text: str) -> str:
    """A backup is named by its file name in the work folder's backups/: a name with a
    folder part, or ``.``/``..``, would leave it (refused here, exit 3)."""
    if not text.strip() or text in (".", "..") or any(c in text for c in "/\\\0"):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a backup's file name as the rollback names it (e.g. "
            "20260101T000000Z-before-0003_drop.dump), without a folder")
    return text


def _argparse_text(text: str) -> str:
    """argparse %-formats every help string: a key's help is plain text (written once, also
    for docs and messages), so its ``%`` is escaped here, where argparse needs it."""
    return text.replace("%", "%%")


def _key_flag(parser: argparse.ArgumentParser, key: str) -> None:
    spec = KEYS[key]
    name = "--" + key.replace("_", "-")
    if spec.kind.name == "bool":
        parser.add_argument(name, dest=key, action="store_const", const="true", default=None,
                            help=_argparse_text(f"{spec.help} ({key} = true)"))
        return
    parser.add_argument(name, dest=key, type=_checked(key), default=None, metavar=spec.metavar,
                        help=_flag_help(key, spec.help, spec.default))


def _flag_help(key: str, text: str, default: object) -> str:
    """One default per option, in words: the key, else the built-in default (which a key's
    own help may already spell out, "(default: <work_dir>/history.sqlite)")."""
    own = f"(default: [tool.pyramid.deploy] {key}, else "
    text = _argparse_text(text)
    if "(default: " in text:
        return text.replace("(default: ", own, 1)
    if default is None or default in ("", [], {}):
        return f"{text} (default: [tool.pyramid.deploy] {key}, else none)"
    if isinstance(default, bool):
        shown = str(default).lower()
    elif isinstance(default, list):
        shown = ",".join(str(item) for item in default)
    else:
        shown = str(default)
    return f"{text} {own}{shown})"


def _common(parser: argparse.ArgumentParser, *keys: str) -> None:
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="pyproject.toml, pyramid.toml or project folder (default: the "
                             "project at or above this folder)")
    parser.add_argument("--env", default=None, metavar="NAME",
                        help="the environment of [tool.pyramid.deploy.environments] (required "
                             "when the project declares any)")
    for key in (*_COMMON, *keys):
        _key_flag(parser, key)


#: the file-mode bits a deploy command never grants to its group or others, whatever the
#: caller's umask (hostile case 276)
HOST_UMASK = 0o022


def host_umask(command: Callable[[argparse.Namespace], int]
               ) -> Callable[[argparse.Namespace], int]:
    """``command`` under the caller's umask with :data:`HOST_UMASK` added. The process's
    attributes are the caller's to choose, and its supervisor, nginx and release checkouts
    inherit them: under ``umask 000`` the state, the job and the release came out writable
    by ``run_as``, the account the deploy keeps versions away from (hostile case 276)."""
    import functools

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        os.umask(os.umask(0) | HOST_UMASK)
        return command(args)

    run.host_umask = True  # type: ignore[attr-defined]
    return run


def add_commands(subparsers: Subparsers) -> None:
    """Register the deploy commands on the main ``pyramid`` parser's subparsers; each runs
    under the host's umask (:func:`host_umask`)."""
    before = set(subparsers.choices)
    _add_commands(subparsers)
    for name, parser in subparsers.choices.items():
        if name not in before:
            parser.set_defaults(func=host_umask(parser.get_default("func")))


def _add_commands(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("deploy", help="gate a verdict and roll its commit out")
    _common(p, *(k for k, spec in KEYS.items() if spec.flag and k not in _COMMON))
    p.add_argument("--commit", default=None,
                   help="the commit to deploy (default: HEAD); the verdict must be for it, and "
                        "a clean checkout of it is what runs")
    p.add_argument("--approval", action="append", default=[], type=Path, metavar="FILE",
                   help="a signed approval written by `pyramid approve --output` (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="plan and judge, change nothing")
    p.add_argument("--redeploy", action="store_true",
                   help="roll the commit out as a canary even if it is already the stable "
                        "version (a fresh release of the same commit, started by its tracked "
                        "command)")
    p.add_argument("--detach", action="store_true",
                   help="hand the rollout to its supervisor and return at once (Ctrl-C while "
                        "following detaches the same way)")
    p.add_argument("--trust-first-checkout", action="store_true",
                   help="trust this checkout's trusted_keys, approvers and deployers when the "
                        "anchors record is missing or broken in a work folder that served "
                        "before, or the host's targets index gives its port or environment "
                        "to another work folder (they are recorded as the anchors from then "
                        "on, and the targets claimed for this folder)")
    p.set_defaults(func=cmd_deploy)

    p = subparsers.add_parser(
        "supervise", help="run the rollout supervisor in the foreground (systemd): it resumes "
                          "any rollout whose supervisor died, at once")
    _common(p, *(k for k, spec in KEYS.items() if spec.flag and k not in _COMMON))
    p.add_argument("--job", type=Path, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_supervise)

    p = subparsers.add_parser("approve", help="sign an approval of the verdict with your key")
    _common(p, "verdict")
    p.add_argument("--key", required=True, type=Path, metavar="FILE",
                   help="your Ed25519 private key (pyramid keygen); its public key must be in "
                        "[tool.pyramid.deploy.approvers]")
    p.add_argument("--role", default=None,
                   help="the role you approve in (default: your only configured role)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="write the signed approval to FILE instead of the history (for "
                        "`pyramid deploy --approval FILE` on another host)")
    p.set_defaults(func=cmd_approve, acts_on="verdict")

    p = subparsers.add_parser(
        "status", help="the router's real state, the versions and any rollout; exit 0 healthy "
                       "and idle, 1 degraded, 2 rollout in progress, 3 state error")
    _common(p, "health_path")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(func=cmd_status)

    for name, text in (("abort", "send all traffic back to the stable version"),
                       ("promote", "give the new version all traffic now (the bake follows)"),
                       ("rollback", "abort a rollout in progress; with none, return to the "
                                    "version that completed a deploy before the current one")):
        p = subparsers.add_parser(name, help=text)
        _common(p, "health_path", "command")
        p.add_argument("--by", default=None, metavar="NAME",
                       help="who decides (default: the account the command runs as, from the "
                            "host's user database, never $USER)")
        p.add_argument("--rollout", type=int, default=None, metavar="ID",
                       help="the rollout this is for (refused when another one is in progress)")
        p.add_argument("--wait", type=_duration_flag, default=60.0, metavar="DURATION",
                       help="how long to wait for a running deploy to act (default 60s)")
        if name == "rollback":
            p.add_argument("--restore-backup", default=None, metavar="NAME",
                           type=_backup_name,
                           help="also restore the database from the pg_dump backup NAME that "
                                "the serving release's deploy took before a contract "
                                "migration (the rollback names it; writes made after it are "
                                "lost)")
        p.set_defaults(func=cmd_control, action=name)

    p = subparsers.add_parser("stop", help="stop the router and every version a deploy started")
    _common(p)
    p.add_argument("--force", action="store_true",
                   help="also while a deploy runs: send it SIGTERM (it rolls back), then stop")
    p.add_argument("--wait", type=_duration_flag, default=30.0, metavar="DURATION",
                   help="with --force: how long to wait for the running deploy to exit")
    p.set_defaults(func=cmd_stop)

    p = subparsers.add_parser("history", help="list deployment attempts")
    _common(p)
    p.add_argument("--limit", type=int, default=20, help="rows to show (default 20)")
    p.add_argument("--id", type=int, default=None, help="show one attempt with its steps")
    p.add_argument("--json", action="store_true", help="the rows as JSON")
    p.set_defaults(func=cmd_history)

    p = subparsers.add_parser("stats", help="DORA figures: deployment frequency, change failure "
                                            "rate, time to restore, lead time")
    _common(p)
    p.add_argument("--days", type=float, default=30.0, help="window in days (default 30)")
    p.add_argument("--json", action="store_true", help="the figures as JSON")
    p.set_defaults(func=cmd_stats)


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    values = vars(args)
    return {key: values[key] for key in KEYS if values.get(key) is not None}


def _on_disk(args: argparse.Namespace) -> DeployConfig:
    """The configuration on disk with the command line's values (which may only tighten it:
    deploy/arguments.py): for the commands that only read or stop (history, stats, stop)."""
    from pytest_pyramid.deploy.arguments import tightened

    source, table = _located(args)
    return tightened(source, table, _overrides(args), env=args.env)


def _config(args: argparse.Namespace) -> DeployConfig:
    """The one configuration of a command acting on a rollout (supervise, status, promote,
    rollback, abort) or a verdict (approve): the table the commit it acts on ships, as the
    deploy reads it (a configuration on disk that another commit or an uncommitted edit
    holds steers nothing), which the command line may only tighten."""
    from pytest_pyramid.deploy.replays import NotShipped, acted_on

    verdict = getattr(args, "acts_on", "") == "verdict"
    config, commit = _built(args, lambda on_disk: acted_on(on_disk, verdict=verdict))
    again = acted_on(config, verdict=True) if verdict and commit is not None else None
    if again is not None and again[0] != commit:  # the commit's table names another verdict
        raise NotShipped(f"{again[1]} names commit {again[0][:12]}, but the configuration was "
                         f"read for commit {str(commit)[:12]} (the verdict found first): name the "
                         "verdict with --verdict")
    return config


def _built(args: argparse.Namespace,
           commit_of: Callable[[DeployConfig], tuple[str, str] | None],
           *, edits_refused: bool = True,
           located: tuple[str, Mapping[str, Any]] | None = None,
           say: Callable[[str], None] | None = None,
           ) -> tuple[DeployConfig, str | None]:
    """The configuration a deploy command works with, and its commit: the table the commit
    ``commit_of`` names ships (replays.started_table, every command's one reading), tightened
    by the command line. The table on disk, with the host's own options, only says where
    (work folder, router) to look for that commit; it is used itself only when there is no
    commit at all (nothing deployed, no git: nothing was started with any table).
    ``edits_refused=False`` (the foreground supervisor): an uncommitted edit of the table is
    neither refused nor read; HEAD's table says where to look instead of the disk's.
    ``located``: the configuration file already found (else :func:`_located` finds it).
    The limits the rollout is judged by are the last deployed release's where the commit's
    loosen them (:func:`_anchored_limits`); ``say`` hears which were kept."""
    from pytest_pyramid.deploy.arguments import host_only, judged_history, tightened
    from pytest_pyramid.deploy.replays import NotShipped, other_table, started_table

    source, table = located or _located(args)
    overrides = _overrides(args)
    if not edits_refused:
        table = _head_table(source, table)
    on_disk = tightened(source, table, host_only(overrides), env=args.env)
    found = commit_of(on_disk)
    commit, what = found if found is not None else (None, "")
    if what.startswith("rollout #") and (other := other_table(on_disk, source)) is not None:
        raise NotShipped(other)
    judged = table if commit is None else started_table(on_disk, commit, what,
                                                        edits_refused=edits_refused)
    config = tightened(source, judged, overrides, env=args.env)
    judged_history(source, judged, overrides, env=args.env, given=config)
    if commit is not None:
        # the commit's own include first (refusing an uncommitted edit), then the anchor
        config = _shipped_include(config, commit, edits_refused=edits_refused)
        config = _anchored_limits(config, commit, host_only(overrides), say or (lambda _: None))
    return config, commit


def _shipped_include(config: DeployConfig, commit: str, *, edits_refused: bool) -> DeployConfig:
    """``config`` with its ``nginx_include`` replaced by the router's copy of the file as
    ``commit`` holds it (hostile case 378: an uncommitted "maintenance page" in the checkout's
    file answered every user). The router's configuration is the commit's, as the table is:
    :class:`NotShipped` (exit 3) when the file is outside the repository, not in the commit,
    or (``edits_refused``) differs from it on disk."""
    from dataclasses import replace

    from pytest_pyramid.deploy.replays import NotShipped
    from pytest_pyramid.deploy.routers.nginx import include_copy

    if config.nginx_include is None:
        return config
    path = Path(config.nginx_include)
    found = _committed_file(config, path, commit)
    if found is None:
        raise NotShipped(f"nginx_include {path} is not a file of commit {commit[:12]}: the "
                         "router's configuration is the commit's; commit it")
    rel, data = found
    if edits_refused:
        try:
            on_disk: bytes | None = path.read_bytes()
        except OSError:
            on_disk = None
        if on_disk != data:
            raise NotShipped(f"nginx_include {path} differs from commit {commit[:12]}'s "
                             f"{rel} (an uncommitted edit): the router's configuration is the "
                             "commit's; commit the edit or undo it")
    return replace(config, nginx_include=include_copy(config.work_dir, data))


def _committed_file(config: DeployConfig, path: Path, commit: str) -> tuple[str, bytes] | None:
    """``path`` (a file of the checkout at ``config.root``) as ``commit`` holds it: its path in
    the repository and its bytes; None when it is outside the repository or not in the
    commit."""
    import subprocess

    git = ["git", "-C", str(config.root)]
    try:
        top = subprocess.run([*git, "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, check=True).stdout.strip()
        rel = path.resolve().relative_to(Path(top).resolve()).as_posix()
        data = subprocess.run([*git, "show", f"{commit}:{rel}"], capture_output=True,
                              check=True).stdout
    except (OSError, ValueError, subprocess.CalledProcessError):
        return None
    return rel, data


def _anchored_include(config: DeployConfig, base: DeployConfig, by: str
                      ) -> tuple[dict[str, Any], list[str]]:
    """The router's include of ``by`` (the last good release) kept where the commit's
    differs in content (``config.nginx_include``: the router's copy of the commit's file,
    deploy/cli.py ``_shipped_include``): it configures the router the rollout is judged
    through. One ``by``'s git cannot give is none, never the commit's."""
    from pytest_pyramid.deploy.routers.nginx import include_copy

    found = (None if base.nginx_include is None
             else _committed_file(config, Path(base.nginx_include), by))
    old = None if found is None else found[1]
    new = None if config.nginx_include is None else Path(config.nginx_include).read_bytes()
    if old == new:
        return {}, []
    kept = None if old is None else include_copy(config.work_dir, old)
    return {"nginx_include": kept}, [
        f"nginx_include: kept {by[:12]}'s {'file' if old is not None else 'none'}, not this "
        "commit's change to it (configuration of the router the rollout is judged through: "
        "it could answer users itself or rewrite what the log says): the last release "
        "deployed here was judged so; a change counts from the next rollout, once it has "
        "deployed"]


def _anchored_limits(config: DeployConfig, commit: str, host: Mapping[str, object],
                     say: Callable[[str], None]) -> DeployConfig:
    """``config`` with every limit its commit loosens against the table of the last release
    deployed here kept at that table's value (hostile case 371: the release under judgement
    chose ``error_rate_limit = "100%"``), and every setting it is judged through or by that
    the commit changes (arguments.ANCHORED_SETTINGS: its router and log, the router's include,
    the verify tiers, the migrations' check tier). That table is read from git at its commit;
    one git cannot give is judged as the built-in defaults, never as the new commit's word."""
    from dataclasses import replace

    from pytest_pyramid.deploy.anchors import committed_pyramid
    from pytest_pyramid.deploy.arguments import (
        anchored,
        anchored_metrics,
        anchored_risk,
        anchored_settings,
    )
    from pytest_pyramid.deploy.config import project_config
    from pytest_pyramid.deploy.service_places import limits_commit
    from pytest_pyramid.errors import PyramidError

    by = limits_commit(config)
    if by is None or by == commit:
        return config
    found = committed_pyramid(config, by)
    table = found[0] if found is not None and found[0] is not None else {}
    try:
        base = project_config(config.source, table, host, env=config.environment or None)
    except PyramidError:  # that commit's table has no such environment (hostile case 461:
        try:  # the service served from its top level before a commit moved it), or is bad
            base = project_config(config.source, table, host)
        except PyramidError:
            base = project_config(config.source, {}, host)
    kept, said = anchored(base, config, by)
    settings, said_settings = anchored_settings(base, config, by)
    include, said_include = _anchored_include(config, base, by)
    kept.update(settings, **include)
    metrics, said_metrics = anchored_metrics(base, config, by)
    risk, said_risk = anchored_risk(base, config, by)
    kept.update(risk)
    for line in [*said, *said_settings, *said_include, *said_metrics, *said_risk]:
        say(f"[limits] {line}")
    if metrics is not None:
        kept["metrics"] = metrics
    return replace(config, **kept) if kept else config


def _head_table(source: str, table: Mapping[str, Any]) -> Mapping[str, Any]:
    """The table of ``source`` as HEAD holds it; ``table`` (the disk's) when HEAD has none to
    give (no configuration file, no git, the file not committed: then no commit was started
    with a table either)."""
    from pytest_pyramid.deploy.anchors import committed_pyramid
    from pytest_pyramid.deploy.config import project_config

    if source.startswith("<"):
        return table
    found = committed_pyramid(project_config(source, {}), "HEAD")
    return table if found is None or found[0] is None else found[0]


def _located(args: argparse.Namespace) -> tuple[str, Mapping[str, Any]]:
    """The configuration file (``--config``, else the project at or above this folder) and
    its ``[tool.pyramid]``; ``<defaults>`` and {} without one."""
    from pytest_pyramid.errors import ConfigError
    from pytest_pyramid.project import load_optional

    project = load_optional(Path.cwd(), config=args.config)
    if project is not None:
        return project.source, project.table
    if args.env is not None:
        raise ConfigError("--env", args.env, "<defaults>", "no project configuration declares "
                          "environments")
    return "<defaults>", {}


def cmd_deploy(args: argparse.Namespace) -> int:
    """The deploy is built from the table the deployed commit ships (refused when the file on
    disk is not that: deploy/replays.py), then the command line may only tighten it."""
    from pytest_pyramid.deploy import service

    config, commit = _built(args, lambda on_disk: (service.resolve_commit(on_disk, args.commit),
                                                   "the deploy"), say=_say)
    assert commit is not None
    request = service.DeployRequest(commit=commit, dry_run=args.dry_run,
                                    redeploy=args.redeploy, approval_files=tuple(args.approval),
                                    detach=args.detach,
                                    trust_first_checkout=args.trust_first_checkout)
    return service.deploy(config, request, _say)


def cmd_supervise(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy import service, supervisor

    if args.job is not None:  # a supervisor started by `pyramid deploy` (or a command resuming)
        with supervisor.ignoring_sighup():
            return service.run_job_file(args.job)
    located = _located(args)  # once: a pass never reads the file on disk again
    return service.serve(_supervised(args, located), _say,
                         configure=lambda: _supervised(args, located))


def _supervised(args: argparse.Namespace,
                located: tuple[str, Mapping[str, Any]]) -> DeployConfig:
    """The foreground supervisor's configuration, at its start and at each pass that resumes
    a rollout: the table of the rollout's commit, else the serving release's, else HEAD's,
    read from git. It outlives edits of its checkout (systemd starts it at any moment), so
    an uncommitted edit, or one half written as a pass runs, steers nothing and ends nothing
    (the commands a person types refuse one instead, naming it)."""
    from pytest_pyramid.deploy.replays import acted_on

    return _built(args, lambda where: acted_on(where, verdict=False), edits_refused=False,
                  located=located)[0]


def cmd_approve(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy import service

    try:
        result = service.approve(_config(args), key_path=args.key, role=args.role,
                                 output=args.output, out=_say)
    except service.ApprovalRefused as refused:
        _say(f"[approve] refused to approve the verdict for {refused.commit[:12]}:")
        for reason in refused.reasons:
            _say(f"[approve]   - {reason}")
        return 1
    if result.written_to is not None:
        _say(f"signed approval by {result.approver} ({result.role}) for {result.commit[:12]} "
             f"written to {result.written_to}")
        return 0
    _say(f"approval signed: {result.approver} ({result.role}) for {result.commit[:12]}")
    for one in result.standings:  # each requirement on its own
        asker = f" for {one.asked.by}" if len(result.standings) > 1 else ""
        _say(f"approvals: {one.tally.count}/{one.asked.required}{asker} "
             f"({', '.join(one.tally.counted)})")
    return 0


def _print_status(report: StatusReport) -> None:
    from pytest_pyramid.deploy.strategies import describe

    router = report.router
    weights = router.get("weights")
    served = (f"generation {router['generation']}, {describe(dict(weights))}"
              if isinstance(weights, dict) else "not running")
    _say(f"router: {router['kind']} at {router['url']}: {served}")
    stable = report.stable
    if stable:
        alive = "running" if stable["healthy"] else "NOT HEALTHY" if stable["alive"] \
            else "NOT RUNNING"
        _say(f"stable: {str(stable['commit'])[:12]} at 127.0.0.1:{stable['port']} "
             f"(pid {stable['pid']}, {alive})")
    else:
        _say("stable: none")
    if report.previous:
        _say(f"previous: {str(report.previous['commit'])[:12]} (`pyramid rollback` returns "
             "to it)")
    rollout = report.rollout
    if rollout:
        canary = rollout["canary"]
        assert isinstance(canary, dict)
        _say(f"rollout #{rollout['id']}: {rollout['strategy']} of {str(rollout['commit'])[:12]} "
             f"at 127.0.0.1:{canary['port']}, step {int(str(rollout['stage'])) + 1}, weight "
             f"{rollout['weight']}%, {rollout['status']}"
             + (f" ({rollout['reason']})" if rollout["reason"] else "")
             + ("; watched by its supervisor" if report.deploy_process_running
                else "; unwatched"))
        judge = rollout.get("judge")
        if isinstance(judge, dict):  # what the statistical judge spent of its plan
            from pytest_pyramid.deploy.comparison import describe_spent

            _say(f"{describe_spent(judge)} (judge = nonparametric)")
    else:
        _say("rollout: none in progress")
    for note in report.notes:
        _say(note)
    for problem in report.problems:
        _say(f"PROBLEM: {problem}")


def _environment(config: DeployConfig) -> None:
    """Which environment a text report is of (each has its own router, history, figures)."""
    if config.environment:
        _say(f"environment: {config.environment} ({config.work_dir})")


def cmd_status(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy.status import status

    config = _config(args)
    report = status(config)
    if args.json:
        _say(json.dumps({**report.as_dict(), "environment": config.environment}, indent=2,
                        default=str))
    else:
        _environment(config)
        _print_status(report)
    return report.exit_code


def cmd_control(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy import service

    by = _account() if args.by is None else args.by
    return service.control(_config(args), args.action, by=by, rollout_id=args.rollout,
                           wait=args.wait, out=_say,
                           restore_backup=getattr(args, "restore_backup", None))


def _account() -> str:
    """The account this process acts as, from the host's user database: the history names it
    when ``--by`` does not (``$USER`` is whatever the caller's environment says)."""
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # an id without an entry (a container's arbitrary user)
        return f"uid {os.geteuid()}"


def cmd_stop(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy.teardown import stop

    return stop(_on_disk(args), force=args.force, wait=args.wait, out=_say)


def cmd_history(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy.show import history_detail, history_rows

    config = _on_disk(args)
    if args.id is not None:
        _say(json.dumps(history_detail(config, args.id), indent=2, default=str))
        return 0
    rows = history_rows(config, args.limit)
    if rows is None:  # say where it was looked for and what writes it; create nothing
        if args.json:
            _say("[]")
            return 0
        _say(f"no deployment history at {config.history_path} ([tool.pyramid.deploy] history, "
             "else <work_dir>/history.sqlite): `pyramid deploy` records every attempt there; "
             "`pyramid history --runs` lists the test runs")
        return 0
    if args.json:
        _say(json.dumps(rows, indent=2, default=str))
        return 0
    _environment(config)
    _say(f"{'#':>4}  {'started (UTC)':19}  {'commit':12}  {'strategy':10}  {'outcome':11}  "
         f"{'duration':>8}  {'rollback':>8}  reason")
    for d in rows:
        duration = f"{d['duration_s']:.1f}s" if d["duration_s"] is not None else "-"
        rollback = f"{d['rollback_s']:.3f}s" if d["rollback_s"] is not None else "-"
        strategy = str(d["strategy"]) + (" (dry)" if d["dry_run"] else "")
        reverted = f" [reverted by #{d['reverted_by']}]" if d["reverted_by"] else ""
        started = d["started_at"]
        _say(f"{d['id']:>4}  {started:%Y-%m-%d %H:%M:%S}  {str(d['commit'] or '-')[:12]:12}  "
             f"{strategy:10}  {d['outcome']:11}  {duration:>8}  {rollback:>8}  "
             f"{d['reason']}{reverted}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from pytest_pyramid.deploy.show import stats
    from pytest_pyramid.durations import format_duration

    config = _on_disk(args)
    figures = stats(config, args.days)
    if args.json:
        _say(json.dumps({**asdict(figures), "environment": config.environment}, indent=2))
        return 0
    _environment(config)

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1%}"

    def dur(value: float | None) -> str:
        return "n/a" if value is None else format_duration(value)

    covered = "n/a" if figures.covered_days is None else f"{figures.covered_days:.2f} days"
    _say(f"window: last {figures.window_days:g} days (history covers {covered}); "
         f"{figures.attempts} deploy attempt(s): {figures.deployments} deployment(s) reached "
         f"users, {figures.refused} refused, {figures.unchanged} no-op")
    _say(f"deployments: {figures.succeeded} succeeded, {figures.rolled_back} rolled back, "
         f"{figures.aborted} aborted or failed, {figures.reverted} reverted later "
         f"({figures.rollbacks} `pyramid rollback`)")
    freq = figures.deployment_frequency_per_day
    _say(f"deployment frequency:    {'n/a' if freq is None else f'{freq:.2f}/day'}")
    _say(f"change failure rate:     {pct(figures.change_failure_rate)} "
         f"({figures.change_failures} of {figures.deployments}; {figures.interrupted} ended "
         "by something other than the change not counted)")
    _say(f"time to restore:         {dur(figures.median_time_to_restore_s)} (median, from first "
         "traffic to restored)")
    _say(f"lead time for changes:   {dur(figures.median_lead_time_s)} (median)")
    _say(f"rollback time:           {dur(figures.median_rollback_s)} (median, from detection)")
    return 0
