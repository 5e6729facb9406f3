"""`pyramid deploy | approve | status | abort | promote | stop | history | stats`.

Exit codes: 0 ok, 1 refused / rolled back / aborted, 2 needs approval or paused (inconclusive),
3 usage or invalid input (message on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import ConfigError, VerdictError

if TYPE_CHECKING:
    from types import FrameType

Handler = Callable[[argparse.Namespace], int]

# flag name -> config key, for the settings a flag may override
_OVERRIDES = (
    "verdict", "strategy", "steps", "interval", "measurements", "error_rate_limit", "p95_limit",
    "min_requests", "failure_limit", "inconclusive_limit", "max_age", "work_dir", "history",
    "port", "command", "scale_down_delay", "approval_ttl", "router", "allow_dirty",
)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None, metavar="PYPROJECT",
                        help="pyproject.toml with [tool.pyramid.deploy] (default: nearest one)")
    parser.add_argument("--work-dir", default=None, help="router config, logs and state")
    parser.add_argument("--history", default=None, help="SQLite history file")


def add_commands(subparsers: Any) -> None:
    """Register the deploy commands on the main `pyramid` parser's subparsers."""
    p = subparsers.add_parser("deploy", help="gate a verdict and roll the commit out")
    _common(p)
    p.add_argument("--verdict", default=None, help="verdict JSON (default: verdict.json)")
    p.add_argument("--commit", default=None, help="commit being deployed (default: git HEAD)")
    p.add_argument("--strategy", default=None, choices=("canary", "blue-green"))
    p.add_argument("--steps", default=None, help="canary weights, e.g. 5,25,50,100")
    p.add_argument("--interval", default=None, help="time between measurements, e.g. 10s")
    p.add_argument("--measurements", default=None, help="passing measurements per step")
    p.add_argument("--error-rate-limit", default=None, help="e.g. 0.005 or 0.5%%")
    p.add_argument("--p95-limit", default=None, help="e.g. 500ms")
    p.add_argument("--min-requests", default=None)
    p.add_argument("--failure-limit", default=None)
    p.add_argument("--inconclusive-limit", default=None)
    p.add_argument("--max-age", default=None, help="oldest verdict accepted, e.g. 24h")
    p.add_argument("--port", default=None, help="router listen port on 127.0.0.1")
    p.add_argument("--command", default=None, help="start template with {port} {release} {commit}")
    p.add_argument("--scale-down-delay", default=None,
                   help="blue-green: keep the old version this long, e.g. 30s")
    p.add_argument("--router", default=None, choices=("nginx", "command"))
    p.add_argument("--dry-run", action="store_true", help="plan and judge, change nothing")
    p.add_argument("--allow-dirty", action="store_const", const=True, default=None,
                   help="accept a verdict produced from a dirty tree (allow_dirty = true)")
    p.add_argument("--redeploy", action="store_true",
                   help="roll the commit out as a canary even if it is already the stable "
                        "version (e.g. a new --command)")
    p.set_defaults(func=cmd_deploy)

    p = subparsers.add_parser("approve", help="record an approval of the verdict's commit")
    _common(p)
    p.add_argument("--verdict", default=None)
    p.add_argument("--by", required=True, help="who approves")
    p.add_argument("--role", required=True, help="their role (one of the verdict's approver_roles)")
    p.set_defaults(func=cmd_approve)

    p = subparsers.add_parser("status", help="the rollout in progress and the router's real state")
    _common(p)
    p.add_argument("--port", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    for name, text in (("abort", "send all traffic back to the stable version"),
                       ("promote", "give the new version all traffic now")):
        p = subparsers.add_parser(name, help=text)
        _common(p)
        p.add_argument("--port", default=None)
        p.add_argument("--by", default=os.environ.get("USER", ""), help="who decides")
        p.add_argument("--wait", type=float, default=60.0,
                       help="seconds to wait for a running deploy to act")
        p.set_defaults(func=cmd_abort if name == "abort" else cmd_promote)

    p = subparsers.add_parser("stop", help="stop the router and the versions a deploy left running")
    _common(p)
    p.add_argument("--port", default=None)
    p.add_argument("--force", action="store_true",
                   help="also while a deploy runs: send it SIGTERM (it rolls back), then stop")
    p.add_argument("--wait", type=float, default=30.0,
                   help="with --force: seconds to wait for the running deploy to exit")
    p.set_defaults(func=cmd_stop)

    p = subparsers.add_parser("history", help="list deployment attempts")
    _common(p)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--id", type=int, default=None, help="show one attempt with its steps")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_history)

    p = subparsers.add_parser("stats", help="success rate, change failure rate, DORA figures")
    _common(p)
    p.add_argument("--days", type=float, default=30.0, help="window in days")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)


def _err(message: str) -> None:
    print(f"pyramid: {message}", file=sys.stderr, flush=True)


def _say(message: str) -> None:
    print(message, flush=True)


def _config(args: argparse.Namespace) -> Any:
    from pytest_pyramid.deploy.config import load_config

    overrides = {key: getattr(args, key) for key in _OVERRIDES if hasattr(args, key)}
    return load_config(args.config, overrides)


def _guard(handler: Handler) -> Handler:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except ConfigError as exc:
            _err(str(exc))
            return 3
        except ValueError as exc:  # unreadable state file and similar bad input
            _err(str(exc))
            return 3

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def git_head(cwd: Path) -> str:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                                text=True, timeout=30)
    except OSError as exc:
        raise ValueError(f"cannot run git to find the commit (pass --commit): {exc}") from exc
    if result.returncode != 0:
        raise ValueError(f"git rev-parse HEAD failed in {cwd} (pass --commit): "
                         f"{result.stderr.strip()}")
    return result.stdout.strip()


def _router(config: Any) -> Any:
    from pytest_pyramid.deploy.routers import make_router

    return make_router(config)


# -- deploy ------------------------------------------------------------------------------------
@_guard
def cmd_deploy(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy import gate
    from pytest_pyramid.deploy.history import History, now_utc
    from pytest_pyramid.verdict.document import load_verdict
    from pytest_pyramid.verdict.signing import SignatureError, envelope_path, read_envelope
    from pytest_pyramid.verdict.trust import TrustError, TrustPolicy, resolve_target

    config = _config(args)
    commit = args.commit or git_head(Path.cwd())
    history = History(config.history_path)
    strategy = config.strategy

    def refuse(reasons: Sequence[str], code: int, commit_time: str | None = None) -> int:
        label = "needs approval" if code == 2 else "refused"
        _say(f"[gate] deploy of {commit[:12]} {label}:")
        for reason in reasons:
            _say(f"[gate]   - {reason}")
        history.record_refusal(commit=commit, commit_time=commit_time, strategy=strategy,
                               dry_run=args.dry_run, verdict_path=str(config.verdict),
                               reason="; ".join(reasons))
        return code

    try:
        verdict = load_verdict(config.verdict)
    except VerdictError as exc:
        return refuse([f"invalid verdict: {exc}"], 1)
    commit_time = verdict.get("commit_time")
    try:
        target = resolve_target(Path.cwd(), commit, verdict)
        envelope = read_envelope(envelope_path(Path(config.verdict)))
    except (TrustError, SignatureError) as exc:
        return refuse([str(exc)], 1, commit_time)
    judgement = gate.judge(
        verdict, commit=commit, now=now_utc(), max_age=timedelta(seconds=config.max_age),
        target=target, envelope=envelope,
        policy=TrustPolicy(allow_dirty=config.allow_dirty, max_age_s=config.max_age),
        approvals=history.approvals(str(verdict.get("commit") or commit)),
        approval_ttl=timedelta(seconds=config.approval_ttl),
    )
    if not judgement.allowed:
        return refuse(judgement.reasons, judgement.exit_code, commit_time)
    for reason in judgement.reasons:
        _say(f"[gate] {reason}")
    if args.dry_run:
        return _dry_run(config, commit, history, commit_time)
    return _deploy(config, commit, commit_time, history, redeploy=args.redeploy)


def _dry_run(config: Any, commit: str, history: Any, commit_time: str | None) -> int:
    from pytest_pyramid.deploy.state import load_state
    from pytest_pyramid.deploy.strategies import describe, plan, split

    state = load_state(config.state_path)
    router = _router(config)
    stable = state.stable.addr if state.stable else None
    _say(f"[plan] dry run: {config.strategy} of {commit[:12]} behind {config.router} at "
         f"{router.url}; nothing is started and no weight changes")
    actual = router.actual()
    _say(f"[plan] router now serves: {describe(actual.weights) if actual else 'nothing'}")
    if stable is None:
        _say("[plan] no stable version: the first deployment goes straight to 100%")
    new = "127.0.0.1:<new port>"
    problems = 0
    stages = plan(config.strategy, config.steps) if stable else plan("blue-green", ())
    for stage in stages:
        weights = split(stable, new, stage.weight)
        line = f"[plan] {stage.label}: {describe(weights)}"
        if config.router == "nginx":
            checked = {a if a != new else "127.0.0.1:9": w for a, w in weights.items()}
            problem = router.test_config(router.render(checked, 0))
            line += " - nginx -t: " + ("ok" if problem is None else f"FAILED: {problem}")
            problems += problem is not None
        _say(line)
    _say(f"[plan] each step: a measurement every {config.interval:g}s, "
         f"{config.measurements} passing measurement(s) to advance; limits: error rate "
         f"{config.error_rate_limit:.2%}, p95 {config.p95_limit * 1000:.0f}ms, at least "
         f"{config.min_requests} requests; rollback after {config.failure_limit + 1} failed "
         f"measurement(s)")
    reason = "dry run" + (f": {problems} stage config(s) rejected by nginx -t" if problems else "")
    deployment_id = history.start(commit=commit, commit_time=commit_time,
                                  strategy=config.strategy, dry_run=True,
                                  verdict_path=str(config.verdict))
    history.finish(deployment_id, outcome="refused" if problems else "succeeded", reason=reason)
    return 1 if problems else 0


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _deploy(
    config: Any, commit: str, commit_time: str | None, history: Any, *, redeploy: bool = False
) -> int:
    from pytest_pyramid.deploy.rollout import Deployer
    from pytest_pyramid.deploy.state import LockHeld, deploy_lock, load_state

    deployer = Deployer(config, _router(config), history)
    try:
        with deploy_lock(config.work_dir):
            state = load_state(config.state_path)
            if state.rollout is not None:
                previous = state.rollout
                why = (f"rollout {previous.id} of {previous.commit[:12]} was left {previous.status}"
                       f" at {previous.weight}% (its deploy process is gone)")
                settled = deployer.settle(state, action="abort", why=why)
                history.finish(previous.id, outcome=settled.outcome, reason=settled.reason,
                               rollback_s=settled.rollback_s)
                if load_state(config.state_path).rollout is not None:
                    _say(f"[reconcile] could not settle rollout {previous.id}: {settled.reason}")
                    return 1
            deployment_id = history.start(commit=commit, commit_time=commit_time,
                                          strategy=config.strategy, dry_run=False,
                                          verdict_path=str(config.verdict))
            steps = config.steps if config.strategy == "canary" else (100,)
            _say(f"[deploy] #{deployment_id}: {config.strategy} of {commit[:12]} "
                 f"(steps {', '.join(map(str, steps))})")
            previous_handler = signal.signal(signal.SIGTERM, _on_sigterm)
            started = time.monotonic()
            try:
                outcome = deployer.run(deployment_id=deployment_id, commit=commit,
                                       strategy=config.strategy, redeploy=redeploy)
            except KeyboardInterrupt:
                state = load_state(config.state_path)
                if state.rollout is None:
                    raise
                outcome = deployer.settle(state, action="abort", why="deploy interrupted")
            finally:
                signal.signal(signal.SIGTERM, previous_handler)
            history.finish(deployment_id, outcome=outcome.outcome, reason=outcome.reason,
                           rollback_s=outcome.rollback_s,
                           client_failed_fraction=outcome.client_failed_fraction)
    except LockHeld as exc:
        history.record_refusal(commit=commit, commit_time=commit_time, strategy=config.strategy,
                               dry_run=False, verdict_path=str(config.verdict), reason=str(exc))
        _say(f"[deploy] refused: {exc}")
        return 1
    elapsed = time.monotonic() - started
    extra = f", rollback {outcome.rollback_s:.3f}s" if outcome.rollback_s is not None else ""
    _say(f"[deploy] #{deployment_id} {outcome.outcome} after {elapsed:.1f}s{extra}: "
         f"{outcome.reason}")
    return int(outcome.exit_code)


# -- approvals ---------------------------------------------------------------------------------
@_guard
def cmd_approve(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy.approvals import Approval, person_key, tally
    from pytest_pyramid.deploy.history import History, now_utc
    from pytest_pyramid.verdict import load_verdict

    config = _config(args)
    try:
        verdict = load_verdict(config.verdict)
    except VerdictError as exc:
        _err(str(exc))
        return 3
    commit = verdict.get("commit")
    if not commit:
        _err(f"{config.verdict}: the verdict records no commit; nothing to approve")
        return 3
    risk = verdict.get("risk") or {}
    roles = [str(r) for r in risk.get("approver_roles", [])]
    if roles and args.role.casefold() not in {r.casefold() for r in roles}:
        _err(f"role {args.role!r} may not approve this verdict (approver_roles: "
             f"{', '.join(roles)})")
        return 3
    if not args.by.strip():
        _err("--by must name who approves")
        return 3
    history = History(config.history_path)
    now = now_utc()
    ttl = timedelta(seconds=config.approval_ttl)
    before = tally(history.approvals(commit), commit=commit, roles=roles, now=now, ttl=ttl)
    if any(person_key(args.by) == person_key(label.rsplit(" (", 1)[0]) for label in
           before.counted):
        _say(f"{args.by} already approved {commit[:12]}; a person counts once")
    else:
        history.add_approval(Approval(args.by, args.role, commit, now))
        _say(f"approval recorded: {args.by} ({args.role}) for {commit[:12]}, valid for "
             f"{ttl.total_seconds() / 3600:g}h")
    after = tally(history.approvals(commit), commit=commit, roles=roles, now=now, ttl=ttl)
    required = int(risk.get("required_approvals", 1)) if risk else 1
    _say(f"approvals: {after.count}/{required} ({', '.join(after.counted)})")
    return 0


# -- rollout control -------------------------------------------------------------------------------
@_guard
def cmd_status(args: argparse.Namespace) -> int:
    from pytest_pyramid.deploy import processes
    from pytest_pyramid.deploy.state import LockHeld, deploy_lock, load_state
    from pytest_pyramid.deploy.strategies import describe

    config = _config(args)
    state = load_state(config.state_path)
    router = _router(config)
    actual = router.actual()
    try:
        with deploy_lock(config.work_dir):
            deployer_running = False
    except LockHeld:
        deployer_running = True
    report: dict[str, Any] = {
        "router": {"kind": config.router, "url": router.url,
                   "generation": actual.generation if actual else None,
                   "weights": actual.weights if actual else None},
        "stable": None, "rollout": None, "deploy_process_running": deployer_running,
    }
    if state.stable:
        report["stable"] = {**state.stable.as_dict(),
                            "alive": processes.version_alive(state.stable)}
    if state.rollout:
        report["rollout"] = {**state.rollout.as_dict(),
                             "canary_alive": processes.version_alive(state.rollout.canary)}
    if args.json:
        _say(json.dumps(report, indent=2))
        return 0
    _say(f"router: {config.router} at {router.url}: " + (
        f"generation {actual.generation}, {describe(actual.weights)}" if actual else "not running"))
    if state.stable:
        alive = "running" if report["stable"]["alive"] else "NOT RUNNING"
        _say(f"stable: {state.stable.commit[:12]} at {state.stable.addr} (pid {state.stable.pid}, "
             f"{alive})")
    else:
        _say("stable: none")
    if state.rollout:
        r = state.rollout
        _say(f"rollout #{r.id}: {r.strategy} of {r.commit[:12]} at {r.canary.addr}, step "
             f"{r.stage + 1}, weight {r.weight}%, {r.status}"
             + (f" ({r.reason})" if r.reason else "")
             + ("; deploy process running" if deployer_running else "; no deploy process"))
        return 2 if r.status == "paused" else 0
    _say("rollout: none in progress")
    return 0


def _control(args: argparse.Namespace, action: str) -> int:
    from pytest_pyramid.deploy.history import History
    from pytest_pyramid.deploy.rollout import Deployer
    from pytest_pyramid.deploy.state import LockHeld, deploy_lock, load_state, request_action

    config = _config(args)
    state = load_state(config.state_path)
    if state.rollout is None:
        _err(f"no rollout in progress in {config.work_dir}")
        return 3
    history = History(config.history_path)
    who = f" by {args.by}" if args.by else ""
    try:
        with deploy_lock(config.work_dir):
            rollout = state.rollout
            deployer = Deployer(config, _router(config), history)
            outcome = deployer.settle(state, action=action, why=f"{action}{who}")
            history.finish(rollout.id, outcome=outcome.outcome, reason=outcome.reason,
                           rollback_s=outcome.rollback_s)
            _say(f"[{action}] rollout #{rollout.id} {outcome.outcome}: {outcome.reason}")
            return 0 if outcome.outcome in ("succeeded", "aborted", "rolled_back") and \
                load_state(config.state_path).rollout is None else 1
    except LockHeld:
        # A deploy is running: ask it, and wait until it has acted.
        request_action(config.work_dir, action, args.by)
        _say(f"[{action}] asked the running deploy to {action}; waiting")
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline:
            if load_state(config.state_path).rollout is None:
                _say(f"[{action}] done")
                return 0
            time.sleep(0.1)
        _err(f"the running deploy did not {action} within {args.wait:g}s")
        return 1


@_guard
def cmd_abort(args: argparse.Namespace) -> int:
    return _control(args, "abort")


@_guard
def cmd_promote(args: argparse.Namespace) -> int:
    return _control(args, "promote")


# -- teardown ------------------------------------------------------------------------------------
@_guard
def cmd_stop(args: argparse.Namespace) -> int:
    """Stop nginx and the recorded versions; refused while a deploy holds the lock (--force)."""
    from pytest_pyramid.deploy.state import LockHeld, deploy_lock, lock_holder

    config = _config(args)
    if not config.work_dir.exists():
        _say(f"[stop] nothing is running: no work folder {config.work_dir}")
        return 0
    try:
        with deploy_lock(config.work_dir):
            return _teardown(config)
    except LockHeld as exc:
        if not args.force:
            _say(f"[stop] refused: {exc}; stopping would pull its versions from under it. "
                 "Wait for it, `pyramid abort` it, or pass --force")
            return 1
        why = str(exc)
    holder = lock_holder(config.work_dir)
    if holder is not None:
        _say(f"[stop] --force: {why}; sending it SIGTERM so it rolls back and exits")
        with contextlib.suppress(ProcessLookupError):
            os.kill(holder, signal.SIGTERM)
    else:
        _say(f"[stop] --force: {why}, but its pid cannot be confirmed; it is not signalled")
    deadline = time.monotonic() + args.wait
    while True:
        try:
            with deploy_lock(config.work_dir):
                return _teardown(config)
        except LockHeld:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
    _say(f"[stop] --force: the deploy still holds the lock after {args.wait:g}s; stopping "
         "without it")
    return _teardown(config)


def _teardown(config: Any) -> int:
    from pytest_pyramid.deploy import processes
    from pytest_pyramid.deploy.history import History
    from pytest_pyramid.deploy.state import DeployState, load_state, save_state

    state = load_state(config.state_path)
    router = _router(config)
    acted = False
    # The router first: clients then get refused connections, not 502s from dying versions.
    stopped = router.stop(config.stop_timeout)
    if stopped is not None:
        acted = True
        _say(f"[stop] router at {router.url}: {stopped}")
    elif config.router == "command":
        _say(f"[stop] router: command router at {router.url} is yours to stop; left as it is")
    versions: list[tuple[str, Any]] = []
    if state.rollout is not None:
        versions.append(("canary", state.rollout.canary))
    if state.stable is not None:
        versions.append(("stable", state.stable))
    failed: list[str] = []
    for role, version in versions:
        label = f"{role} {version.commit[:12]} at {version.addr} (pid {version.pid})"
        if version.start_ticks is None and processes.is_alive(version.pid):
            # Without a recorded start time a live pid may be a stranger's: never signal it.
            _say(f"[stop] {label}: no recorded start time to confirm the pid; not signalled")
            failed.append(label)
            continue
        if not processes.version_alive(version):
            _say(f"[stop] {label} had already exited; forgotten")
            continue
        acted = True
        processes.stop(version, config.stop_timeout)
        if processes.version_alive(version):
            _say(f"[stop] {label} is STILL RUNNING after SIGKILL")
            failed.append(label)
        else:
            _say(f"[stop] {label} stopped")
    if state.rollout is not None:
        rollout = state.rollout
        history = History(config.history_path)
        row = history.get(rollout.id)
        # A rollout still open in the history would stay in progress (or paused) for ever;
        # stopping ends it like an abort. The stop itself is not a deployment: no row of its own.
        if row is not None and row.outcome in ("in_progress", "paused"):
            history.finish(rollout.id, outcome="aborted",
                           reason=f"stopped by `pyramid stop` at {rollout.weight}% "
                                  f"({rollout.status})")
            _say(f"[stop] rollout #{rollout.id} of {rollout.commit[:12]} ({rollout.status} at "
                 f"{rollout.weight}%) recorded as aborted")
    if failed:
        # Keep what could not be stopped in the state, so status still shows it.
        return 1
    if state.stable is not None or state.rollout is not None:
        save_state(config.state_path, DeployState(extra=state.extra))
    if not acted:
        _say(f"[stop] nothing is running in {config.work_dir}")
    else:
        _say(f"[stop] done: nothing of {config.work_dir} is running")
    return 0


# -- history and stats ---------------------------------------------------------------------------
@_guard
def cmd_history(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from pytest_pyramid.deploy.history import History

    config = _config(args)
    history = History(config.history_path)
    if args.id is not None:
        found = history.get(args.id)
        if found is None:
            _err(f"no deployment #{args.id} in {config.history_path}")
            return 3
        data = {**asdict(found), "steps": history.steps(args.id)}
        _say(json.dumps(data, indent=2, default=str))
        return 0
    rows = history.deployments(limit=args.limit)
    if args.json:
        _say(json.dumps([asdict(d) for d in rows], indent=2, default=str))
        return 0
    _say(f"{'#':>4}  {'started (UTC)':19}  {'commit':12}  {'strategy':10}  {'outcome':11}  "
         f"{'duration':>8}  {'rollback':>8}  reason")
    for d in rows:
        duration = f"{d.duration_s:.1f}s" if d.duration_s is not None else "-"
        rollback = f"{d.rollback_s:.3f}s" if d.rollback_s is not None else "-"
        strategy = d.strategy + (" (dry)" if d.dry_run else "")
        _say(f"{d.id:>4}  {d.started_at:%Y-%m-%d %H:%M:%S}  {(d.commit or '-')[:12]:12}  "
             f"{strategy:10}  {d.outcome:11}  {duration:>8}  {rollback:>8}  {d.reason}")
    return 0


@_guard
def cmd_stats(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from pytest_pyramid.deploy.history import History, now_utc
    from pytest_pyramid.deploy.stats import compute
    from pytest_pyramid.durations import format_duration

    config = _config(args)
    figures = compute(History(config.history_path).deployments(), now=now_utc(),
                      window=timedelta(days=args.days))
    if args.json:
        _say(json.dumps(asdict(figures), indent=2))
        return 0

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1%}"

    def dur(value: float | None) -> str:
        return "n/a" if value is None else format_duration(value)

    _say(f"window: last {figures.window_days:g} days; {figures.attempts} attempt(s): "
         f"{figures.succeeded} succeeded, {figures.rolled_back} rolled back, {figures.aborted} "
         f"aborted, {figures.refused} refused")
    _say(f"deployment success rate: {pct(figures.success_rate)}")
    _say(f"change failure rate:     {pct(figures.change_failure_rate)}")
    _say(f"median rollback time:    {dur(figures.median_rollback_s)}")
    freq = figures.deployments_per_day
    _say(f"deployment frequency:    {'n/a' if freq is None else f'{freq:.2f}/day'}")
    _say(f"median lead time:        {dur(figures.median_lead_time_s)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyramid", description="pytest-pyramid deploy commands")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.func
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
