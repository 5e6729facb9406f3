"""What each deploy command does: the orchestration behind ``pyramid deploy | approve | abort |
promote | rollback`` (``status``: deploy/status.py, ``stop``: deploy/teardown.py, ``history``
and ``stats``: deploy/show.py, each using this module's helpers). The CLI parses and prints;
this module decides. Progress lines go to ``out`` as they happen (a deploy takes minutes).

Exit codes: 0 ok, 1 refused / rolled back / aborted / degraded, 2 needs approval or (status)
a rollout in progress, 3 usage or state error (a :class:`PyramidError` the CLI prints).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path  # noqa: TC003  (a run-time name: helpers editing this module use it)
from typing import TYPE_CHECKING, TextIO

from pytest_pyramid.errors import PyramidError, VerdictError

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Iterator, Sequence
    from datetime import datetime
    from types import FrameType

    from pytest_pyramid.deploy.anchors import Anchors
    from pytest_pyramid.deploy.approvals import Asked, Standing
    from pytest_pyramid.deploy.backups import RestorePlan
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.history import History
    from pytest_pyramid.deploy.processes import Registry, Version
    from pytest_pyramid.deploy.rollout import Deployer, Outcome
    from pytest_pyramid.deploy.routers.base import Router
    from pytest_pyramid.deploy.state import DeployState
    from pytest_pyramid.deploy.supervisor import Job
    from pytest_pyramid.verdict.trust import Trust

class UsageFailure(PyramidError):
    """Bad input to a deploy command (exit 3)."""


def _router(config: DeployConfig) -> Router:
    from pytest_pyramid.deploy.routers import make_router

    return make_router(config)


def _history(config: DeployConfig, out: Callable[[str], None]) -> History:
    from pytest_pyramid.deploy.history import History

    return History(config.history_path, warn=out, pending=_pending_path(config),
                   environment=config.environment)


def _pending_path(config: DeployConfig) -> Path:
    return config.work_dir / "history.pending.jsonl"


def _existing_history(config: DeployConfig, out: Callable[[str], None]) -> History | None:
    """The history for a read-only command (history, status, stats): None where there is
    none yet, so that reading creates nothing (no folder, no database). Records a deploy had
    to keep aside (``history.pending.jsonl``) are still written by the next command."""
    if not config.history_path.is_file() and not _pending_path(config).is_file():
        return None
    return _history(config, out)


def _registry(config: DeployConfig) -> Registry:
    from pytest_pyramid.deploy.processes import Registry

    return Registry(config.work_dir)


# -- state: read, validated, rebuilt when needed ---------------------------------------------------
def load_state(config: DeployConfig, router: Router, out: Callable[[str], None], *,
               repair: bool) -> DeployState:
    """The state file when it is valid; otherwise the state rebuilt from the router's live
    weights and the process registry (saved when ``repair``); StateError when it cannot be."""
    from pytest_pyramid.deploy import processes
    from pytest_pyramid.deploy.last_release import recorded_in
    from pytest_pyramid.deploy.state import StateError, read_state, rebuild, save_state

    loaded = read_state(config.state_path)
    registry = _registry(config)
    if loaded.problem is None and not loaded.missing:
        return loaded.state
    registered, unreadable = registry.entries()
    alive = [v for v in registered if processes.version_alive(v)]
    live = router.actual()
    if loaded.missing and not alive and live is None:
        return loaded.state
    why = loaded.problem or f"{config.state_path} is missing"
    try:
        state, found = rebuild(live.weights if live else None, alive)
    except StateError as exc:
        raise StateError(f"{why}, and it cannot be rebuilt: {exc}. `pyramid stop` stops "
                         "everything this work folder started") from None
    extra = f" ({len(unreadable)} unreadable registry record(s))" if unreadable else ""
    state.previous = previous_from_history(config, state.stable)
    if state.previous is not None:
        extra += (f"; previous {state.previous.commit[:12]} ("
                  f"{recorded_in(state.previous)}, its release folder is there)")
    out(f"[state] {why}: rebuilt from the router and the process registry: {found}{extra}")
    if repair:
        with contextlib.suppress(OSError):
            save_state(config.state_path, state)
    return state


def previous_from_history(config: DeployConfig, serving: Version | None,
                          out: Callable[[str], None] | None = None) -> Version | None:
    """Where `pyramid rollback` (and the watch's rollback, and a rollout whose stable died)
    returns: the host's history, not ``state.json``, remembers it. The last good release
    (deploy/way_back.py: succeeded, not reverted since, still vouched for by the host's
    newest verdicts) before the one ``serving`` came from, of another commit, whose release
    folder is still there; it is started again from that folder (no process: pid 0). None
    when the history shows none (``out`` is told which newer releases were passed over)."""
    from pytest_pyramid.deploy.last_release import before, last_release

    if serving is None:
        return None
    history = _existing_history(config, _silent)
    if history is None:
        return None
    try:
        return last_release(config, history, before(serving), out)
    finally:
        history.close()


def _silent(_line: str) -> None:
    """Where a caller that prints nothing sends a line."""


def stable_from_history(config: DeployConfig, history: History) -> Version | None:
    """What served last when ``state.json`` names no stable version (after `pyramid stop`,
    or lost): "nothing runs" is not "nothing served" (hostile case 376). The last good
    release (deploy/way_back.py) the history records as judged on real traffic, whose folder
    is there; the deploy starts it again as its stable version before any step, so a failing
    release has a way back. None (a first deployment) only when the history holds none; a
    history that cannot be read is said, and the deploy goes on as a first deployment
    (its first step is still judged)."""
    from pytest_pyramid.deploy.last_release import last_release

    return last_release(config, history, lambda row, _here: row.judged is True)


def _close_orphan_rows(history: History, state: DeployState, out: Callable[[str], None]) -> None:
    """Rows left in progress by a deploy process that died; call with the lock held."""
    from pytest_pyramid.deploy.history import OUTCOMES

    assert "aborted" in OUTCOMES
    try:
        rows = history.open_rows()
    except (sqlite3.Error, OSError):  # a broken history never stops a deploy or a stop
        return
    for row in rows:
        if state.rollout is not None and row.id == state.rollout.id:
            continue  # settled with its rollout
        history.finish(row.id, outcome="aborted",
                       reason=(f"{row.reason}; " if row.reason else "")
                       + "its deploy process ended without recording an outcome",
                       cause="interrupted")
        out(f"[reconcile] history #{row.id} was left {row.outcome}: recorded as aborted")


# -- deploy --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeployRequest:
    commit: str | None = None
    dry_run: bool = False
    redeploy: bool = False
    approval_files: tuple[Path, ...] = ()
    #: start the supervisor and return at once (the rollout goes on without the command)
    detach: bool = False
    #: re-anchor on this checkout when the anchors record is missing or broken
    trust_first_checkout: bool = False


def resolve_commit(config: DeployConfig, revision: str | None) -> str:
    from pytest_pyramid.verdict import provenance

    rev = (revision or "HEAD").strip()
    if not rev:
        raise UsageFailure("--commit is empty")
    sha = provenance.resolve_commit(config.root, rev)
    if sha is None:
        raise UsageFailure(f"--commit {rev!r}: not a commit of the git repository at "
                           f"{config.root} (a release is a checkout of the commit)")
    return sha


def _deployer_identity(
    config: DeployConfig, anchors: Anchors
) -> tuple[str | None, str | None]:
    """(deployer name, problem): who runs this deploy, proven by their private key."""
    from pytest_pyramid.deploy.approvals import identify, load_people
    from pytest_pyramid.verdict.signing import SignatureError, key_id, load_private_key

    if config.deployer_key is None:
        return None, ("a deploy that needs approvals (a needs_approval verdict, or "
                      "required_approvals) is deployed only by an identified deployer: pass "
                      "--deployer-key (your private key) so your own approval is not counted")
    try:
        key = load_private_key(config.deployer_key)
    except SignatureError as exc:
        raise UsageFailure(f"--deployer-key: {exc}") from None
    people = [*load_people(anchors.approvers, table="approvers", source=anchors.origin).values(),
              *load_people(anchors.deployers, table="deployers", source=anchors.origin).values()]
    person = identify(key.public_key(), people)
    if person is None:
        return None, (f"the deployer key {key_id(key.public_key())[:16]} is not configured in "
                      "[tool.pyramid.deploy.approvers] or [tool.pyramid.deploy.deployers]")
    return person.name, None


def _approvals(config: DeployConfig, anchors: Anchors, trust: Trust, asked: Sequence[Asked],
               history: History, files: Sequence[Path], deployer: str | None, now: datetime
               ) -> tuple[Standing, ...]:
    from pytest_pyramid.deploy.approvals import load_people, read_envelope_file, tally_each
    from pytest_pyramid.verdict.signing import SignatureError

    verdict = trust.verdict

    people = load_people(anchors.approvers, table="approvers", source=anchors.origin)
    envelopes: list[object | None] = []
    with contextlib.suppress(sqlite3.Error, OSError):  # an unreadable history only loses approvals
        envelopes.extend(a.envelope for a in history.approvals(str(verdict.get("commit"))))
    for path in files:
        try:
            envelopes.append(read_envelope_file(path))
        except SignatureError as exc:
            raise UsageFailure(f"--approval: {exc}") from None
    return tally_each(asked, envelopes, verdict=verdict, people=people, now=now,
                      ttl=timedelta(seconds=config.approval_ttl), deployer=deployer,
                      environment=config.environment)


def deploy(config: DeployConfig, request: DeployRequest, out: Callable[[str], None]) -> int:
    from pytest_pyramid.deploy import gate, notify
    from pytest_pyramid.deploy.admission import assess_for_deploy
    from pytest_pyramid.deploy.history import now_utc
    from pytest_pyramid.verdict.signing import SignatureError
    from pytest_pyramid.verdict.trust import TrustError

    commit = resolve_commit(config, request.commit)
    _separated(config, commit, out)
    history = _history(config, out)
    strategy = config.strategy

    def refuse(reasons: Sequence[str], code: int, commit_time: str | None = None) -> int:
        label = "needs approval" if code == 2 else "refused"
        out(f"[gate] deploy of {commit[:12]} {label}:")
        for reason in reasons:
            out(f"[gate]   - {reason}")
        history.record_refusal(commit=commit, commit_time=commit_time, strategy=strategy,
                               dry_run=request.dry_run, verdict_path=str(config.verdict),
                               reason="; ".join(reasons))
        history.close()
        notify.tell(config, "needs_approval" if code == 2 else "refused",
                    f"{commit[:12]}: {'; '.join(reasons)}",
                    {"commit": commit, "reasons": list(reasons), "dry_run": request.dry_run},
                    wait_s=notify.EXIT_WAIT_S)
        return code

    from pytest_pyramid.deploy.anchors import AnchorsRefused, anchors_for_deploy

    try:
        anchors = anchors_for_deploy(config, history, out=out,
                                     trust_first_checkout=request.trust_first_checkout)
    except AnchorsRefused as exc:
        return refuse([str(exc)], 1)
    for note in anchors.notes:
        out(f"[gate] {note}")
    out(f"[gate] trust anchors: {anchors.origin}")
    now = now_utc()
    try:  # the one trust entry point pyramid check also calls; deploy's additions follow
        trust = assess_for_deploy(config, anchors, commit, now)
    except VerdictError as exc:
        return refuse([f"invalid verdict: {exc}"], 1)
    except TrustError as exc:
        raise UsageFailure(str(exc)) from None
    except SignatureError as exc:
        return refuse([str(exc)], 1)
    verdict = trust.verdict
    from pytest_pyramid.deploy.evidence import lead_from

    commit_time = lead_from(verdict)  # the commit's time, bounded by the verdict's own
    from pytest_pyramid.deploy import replays

    replayed = replays.check(config, verdict, commit, history, redeploy=request.redeploy,
                             out=out, recorded=anchors.requires)
    if replayed:
        return refuse(replayed, 1, commit_time)
    from pytest_pyramid.deploy import migrate
    from pytest_pyramid.deploy.environments import staged

    # an environment not deployed first is a refusal no approval can lift: said before any
    # approval is asked for
    not_staged = staged(config, commit, now, recorded=anchors.requires,
                        serves=anchors.serves) \
        if not gate.refusals(trust) else None
    if not_staged is not None:
        return refuse([not_staged], 1, commit_time)
    # what ships must be what was tested: the whole tree, on the libraries the run imported
    unlike_tested = _unlike_tested(config, trust, commit, out)
    if unlike_tested:
        return refuse(unlike_tested, 1, commit_time)
    # what the release would apply now: a contract step needs approvals (deploy/migrate.py)
    schema = migrate.examine(config, commit) if config.migrations else None
    contract = schema.contract if schema is not None else ()
    deployer, deployer_problem = None, None
    standings: tuple[Standing, ...] = ()
    from pytest_pyramid.deploy.requirements import approvals_in_force

    asked = approvals_in_force(  # the verdict's, the contract's and the environment's
        config, trust, recorded=anchors.required_approvals,
        recorded_roles=anchors.approver_roles, contract=contract,
        recorded_target=anchors.recorded_target)
    if asked:
        deployer, deployer_problem = _deployer_identity(config, anchors)
        standings = _approvals(config, anchors, trust, asked, history, request.approval_files,
                               deployer, now)
    judgement = gate.judge(trust, approvals=standings, deployer_problem=deployer_problem,
                           contract=contract, approval_needed=bool(asked),
                           environment=config.environment or "")
    if not judgement.allowed:
        return refuse(judgement.reasons, judgement.exit_code, commit_time)
    if config.environment:
        from pytest_pyramid.deploy.requirements import in_force

        needs = ", ".join(f"{n.environment} (required by {n.origin})"
                          for n in in_force(config, recorded=anchors.requires))
        out(f"[gate] environment: {config.environment}"
            + (f"; {needs} deployed it healthily first" if needs else ""))
    for reason in judgement.reasons:
        out(f"[gate] {reason}")
    if deployer:
        out(f"[gate] deployer: {deployer} (identified by --deployer-key)")
    # the serving release must survive the new schema: checked before anything is applied
    schema_problems = migrate.gate(config, schema, out) if schema is not None else []
    if schema_problems:
        return refuse(schema_problems, 1, commit_time)
    if request.dry_run:
        code = dry_run(config, commit, history, commit_time, out)
        history.close()
        return code
    from pytest_pyramid.deploy.anchors import record_first_use

    problem = record_first_use(config, anchors, commit)
    if problem is not None:
        history.close()
        return refuse([problem], 1, commit_time)
    history.close()
    return _hand_to_supervisor(config, commit, commit_time, out, redeploy=request.redeploy,
                               detach=request.detach)


def _separated(config: DeployConfig, commit: str, out: Callable[[str], None]) -> None:
    """The host's ``run_as`` holds before anything is judged or started: a deploy that cannot
    drop to the account, or whose work folder (or a folder above it or above the commit's
    release) the account may write, is refused (exit 3)."""
    from pytest_pyramid.deploy.host_pins import versions_account
    from pytest_pyramid.deploy.processes import reach_problem, separation_problem

    account = versions_account()  # ConfigError (exit 3): set, and this process is not root
    if account is None:
        return
    problem = separation_problem(config.work_dir, account, config.release_path(commit))
    if problem is None:
        problem = reach_problem(account, _runs_as_versions(config))
    if problem is not None:
        raise PyramidError(problem)
    out(f"[deploy] versions run as {account} (run_as, {account.origin})")


def _runs_as_versions(config: DeployConfig) -> dict[str, Path]:
    """What the deploy starts from the commit besides its versions, which runs as ``run_as``
    too, and what it needs: the verify tier's tests (the deploy's interpreter, the checkout)
    and the migrations' check (the interpreter; its releases are granted as a version's),
    a router's program the commit names (``runs_commit``: the checkout it runs in)."""
    from pytest_pyramid.deploy.processes import interpreter_parts
    from pytest_pyramid.deploy.router_kinds import BY_NAME

    needs: dict[str, Path] = {}
    if config.verify is not None or config.migrations:
        needs.update(interpreter_parts())
    if config.verify is not None:
        needs[f"the verify tier {config.verify.tier}"] = config.root / config.verify.project
    if BY_NAME[config.router].runs_commit:
        needs[f"the {config.router} router's program"] = config.root
    return needs


def _hand_to_supervisor(config: DeployConfig, commit: str, commit_time: str | None,
                        out: Callable[[str], None], *, redeploy: bool, detach: bool) -> int:
    """The gate passed: the rollout is a job that a detached supervisor owns; this command
    only follows its log (killing it, or Ctrl-C, leaves the rollout to the supervisor)."""
    from pytest_pyramid.deploy import supervisor

    job = supervisor.new_job(config, "deploy", commit=commit, commit_time=commit_time,
                             redeploy=redeploy)
    child = supervisor.spawn(job)
    out(f"[deploy] supervisor pid {child.pid} owns the rollout (log {job.log}); this command "
        "follows it and may be stopped or detached (Ctrl-C) without effect on the rollout")
    if detach:
        out("[deploy] detached: `pyramid status` follows the rollout")
        return 0
    return supervisor.follow(job, child, out)


def run_job(job: Job, out: Callable[[str], None]) -> int:
    """What a supervisor process does for one job (``pyramid supervise --job``)."""
    config = job.config
    if job.kind == "resume":
        return resume(config, out)
    if job.kind == "watch":
        return 0  # run_job_file keeps watching, as after every job
    return _deploy(config, job.commit, job.commit_time, _history(config, out), out,
                   redeploy=job.redeploy)


@contextlib.contextmanager
def _lease(config: DeployConfig, role: str, out: Callable[[str], None]) -> Iterator[None]:
    """The deploy lock with a heartbeat: whoever acts on traffic holds both. A holder that
    stopped beating (frozen, hung) is taken over first."""
    from pytest_pyramid.deploy.state import LockHeld, deploy_lock
    from pytest_pyramid.deploy.supervisor import Heartbeat, take_over, watcher

    try:
        lock = deploy_lock(config.work_dir)
        lock.__enter__()
    except LockHeld:
        seen = watcher(config.work_dir, config.lease_timeout)
        if seen.fresh or not take_over(config.work_dir, config.lease_timeout, out):
            raise
        lock = deploy_lock(config.work_dir)
        lock.__enter__()
    try:
        with Heartbeat(config.work_dir, role):
            _end_unowned_verify_runs(config, out)
            yield
    finally:
        lock.__exit__(None, None, None)


def _end_unowned_verify_runs(config: DeployConfig, out: Callable[[str], None]) -> None:
    """The lease holder owns the work folder: a verify run still going now was started by an
    owner that died (deploy/verify_owner.py), and is ended before anything acts."""
    from pytest_pyramid.deploy.verify_owner import reaped_line

    line = reaped_line(config.work_dir)
    if line is not None:
        out(f"[verify] {line}")


def dry_run(config: DeployConfig, commit: str, history: History, commit_time: str | None,
            out: Callable[[str], None]) -> int:
    from pytest_pyramid.deploy.last_release import recorded_in
    from pytest_pyramid.deploy.strategies import describe, plan, split

    router = _router(config)
    state = load_state(config, router, out, repair=False)
    stable = state.stable.addr if state.stable else None
    out(f"[plan] dry run: {config.strategy} of {commit[:12]} behind {config.router} at "
        f"{router.url}; nothing is started and no weight changes")
    out(f"[plan] release: a clean checkout of {commit[:12]} in {config.release_path(commit)}")
    actual = router.actual()
    out(f"[plan] router now serves: {describe(actual.weights) if actual else 'nothing'}")
    if stable is None and state.rollout is None:
        last = stable_from_history(config, history)
        if last is not None:
            stable = "127.0.0.1:<its port>"
            out(f"[plan] nothing runs: {last.commit[:12]} ({recorded_in(last)}, the "
                "last good release) is started again first, as the stable version")
    if stable is None:
        out("[plan] no stable version: the first deployment goes straight to 100%")
    new = "127.0.0.1:<new port>"
    problems = 0
    stages = plan(config.strategy, config.steps) if stable else plan("blue-green", ())
    for stage in stages:
        weights = split(stable, new, stage.weight)
        checked = {a if a != new else "127.0.0.1:9": w for a, w in weights.items()}
        problem = router.validate(checked)
        line = f"[plan] {stage.label}: {describe(weights)} - config check: " + (
            "ok" if problem is None else f"FAILED: {problem}")
        problems += problem is not None
        out(line)
    out(f"[plan] each step: a measurement every {config.interval:g}s, "
        f"{config.measurements} passing measurement(s) to advance; limits: error rate "
        f"{config.error_rate_limit:.2%}, p95 {config.p95_limit * 1000:.0f}ms, at least "
        f"{config.min_requests} requests; rollback after {config.failure_limit + 1} failed "
        f"measurement(s) or {config.progress_deadline:g}s without progress; then a bake of "
        f"{config.bake:g}s with the previous version warm")
    reason = "dry run" + (f": {problems} stage config(s) rejected" if problems else "")
    history.record_refusal(commit=commit, commit_time=commit_time, strategy=config.strategy,
                           dry_run=True, verdict_path=str(config.verdict), reason=reason,
                           outcome="refused" if problems else "succeeded")
    return 1 if problems else 0


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # The first signal starts the rollback; one arriving before it is under way must not
    # interrupt it (the handlers of the rollback itself replace this one at once).
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def _guarded(deployer: Deployer, state: DeployState, out: Callable[[str], None],
             body: Callable[[], Outcome],
             then: Callable[[Outcome], None] = lambda outcome: None) -> Outcome:
    """Run a rollout so that SIGTERM, SIGHUP, Ctrl-C or an unexpected error roll it back
    before the process exits. Once that rollback has begun, further signals are noted and
    ignored: a second SIGTERM during the drain must not leave the history row open. ``then``
    (closing the history row) runs before the earlier handlers are back: a second SIGTERM
    right after the rollback would otherwise end the process with the row still open."""
    handlers = {sig: signal.signal(sig, _on_sigterm) for sig in _STOP_SIGNALS}

    def settle(why: str, cause: str) -> Outcome:
        def noted(signum: int, frame: FrameType | None) -> None:
            out(f"[deploy] signal {signum} ignored: the rollback under way finishes first")

        for sig in handlers:
            signal.signal(sig, noted)
        return deployer.settle(state, action="abort", why=why, cause=cause)

    try:
        try:
            outcome = body()
        except KeyboardInterrupt:
            if state.rollout is None:
                raise
            outcome = settle("deploy interrupted", "interrupted")
        except Exception as exc:
            # Whatever went wrong, a new version with traffic is not left unwatched.
            if state.rollout is None:
                raise
            out(f"[deploy] unexpected {type(exc).__name__}: {exc}; rolling back")
            outcome = settle(f"deploy failed: {type(exc).__name__}: {exc}", "deploy_error")
        then(outcome)
        return outcome
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def resume(config: DeployConfig, out: Callable[[str], None]) -> int:
    """A supervisor taking over a rollout whose supervisor died: it goes on watching it from
    where its durable progress says (rollout.progress: the watched time, the step's successes,
    where the analysis window began; the unwatched stretch is judged too) when both
    versions are healthy, else it is settled (stable back to 100%)."""
    from pytest_pyramid.deploy.rollout import Deployer
    from pytest_pyramid.deploy.state import LockHeld

    router = _router(config)
    history = _history(config, out)
    try:
        with _lease(config, "resume", out):
            state = load_state(config, router, out, repair=True)
            _close_orphan_rows(history, state, out)
            rollout = state.rollout
            if rollout is None:
                out("[resume] no rollout left to watch")
                return 0
            deployer = Deployer(config, router, history, out)
            live = router.actual()
            serving = live is not None and rollout.canary.addr in live.weights
            if rollout.status in ("running", "paused", "baking") and serving and \
                    deployer.healthy(rollout.canary) and deployer.healthy(state.stable):
                out(f"[resume] rollout #{rollout.id} of {rollout.commit[:12]} at "
                    f"{rollout.weight}% ({rollout.status}) lost its supervisor: watching it "
                    "again from this step")
                outcome = _guarded(deployer, state, out,
                                   lambda: deployer.resume(state, rollout),
                                   lambda done: _finish(history, rollout.id, rollout.reason,
                                                        done))
            else:
                why = (f"rollout #{rollout.id} was left {rollout.status} at {rollout.weight}% "
                       "(its supervisor is gone)")
                outcome = deployer.settle(state, action="abort", why=why, cause="interrupted")
                _finish(history, rollout.id, rollout.reason, outcome)
            history.close()
    except LockHeld as exc:
        out(f"[resume] not needed: {exc}")
        return 0
    out(f"[deploy] #{rollout.id} {outcome.outcome}: {outcome.reason}")
    from pytest_pyramid.deploy import notify

    notify.tell_outcome(config, rollout.id, rollout.commit, outcome.outcome, outcome.reason)
    return outcome.exit_code


#: what :func:`watch_serving` returns after its own rollback: watch the restored release next
REVERTED = -1


def watch_serving(config: DeployConfig, out: Callable[[str], None]) -> int:
    """After the bake: keep judging the serving release's real traffic (the router's access
    log, the analysis limits), restart a dead or frozen router at once, and on a breach act by
    the ``watch`` policy: ``rollback`` returns to the previous release (`pyramid rollback`),
    ``alert`` marks the release degraded for `status`. Ends when anyone else takes the deploy
    lock (a deploy, a rollback, a stop) or the serving release changes."""
    from pytest_pyramid.deploy import analysis, supervisor
    from pytest_pyramid.deploy.rollout import POLL_S, ROUTER_CHECK_S, Deployer
    from pytest_pyramid.deploy.sight import LogCursor, load_carried
    from pytest_pyramid.deploy.state import read_state
    from pytest_pyramid.durations import format_duration

    state = read_state(config.state_path).state
    stable = state.stable
    if stable is None or state.rollout is not None:
        return 0
    router = _router(config)
    watch_lock = _claim_watch_lock(config, out)
    if watch_lock is None:
        out("[watch] another watch holds watch.lock and answers: this one ends")
        return 0
    limits = Deployer(config, router, _history(config, out), out).limits
    run = analysis.AnalysisRun(failure_limit=config.failure_limit, inconclusive_limit=1 << 30)
    cursor = LogCursor.of(router, config)
    blind = _ServingBlind()
    # stable's answers per path from the rollout that promoted this release: its paths stay
    # judged against them, not by the absolute rule alone (hostile case 464)
    carried = load_carried(config.work_dir, stable.commit)

    def status(kind: str, reason: str = "", cause: str = "change") -> None:
        supervisor.write_watch_status(config.work_dir, state=kind, reason=reason, cause=cause,
                                      commit=stable.commit, pid=stable.pid, policy=config.watch)

    def act(found: str, reason: str, cause: str, previous: object) -> int | None:
        """The watch policy on a breach or a blindness longer than ``blind_timeout``: the
        exit code after a rollback; None when it only alerts (the watch goes on)."""
        status("degraded", reason, cause)
        out(f"[watch] {stable.commit[:12]} {found}: {reason}")
        if config.watch == "rollback" and previous is not None:
            code = revert(config, by="the watch", out=out, watch_after=False)
            status("rolled_back" if code == 0 else "degraded", reason, cause)
            return REVERTED if code == 0 else code
        out("[watch] policy alert (or no previous release): `pyramid status` reports it "
            "degraded; `pyramid rollback` returns to the previous release")
        return None

    with watch_lock, supervisor.Heartbeat(config.work_dir, "watch", supervisor.WATCH_LEASE):
        out(f"[watch] {stable.commit[:12]} at {stable.addr}: its traffic is judged every "
            f"{config.interval:g}s after the bake (policy: {config.watch})")
        status("healthy")
        measure_at = time.monotonic() + config.interval
        router_due = time.monotonic() + ROUTER_CHECK_S
        while True:
            time.sleep(POLL_S)
            current = _still_serving(config, stable)
            if current is None:
                out("[watch] ended: the serving release changed hands")
                return 0
            now = time.monotonic()
            if now >= router_due:
                router_due = now + ROUTER_CHECK_S
                _router_serving(config, router, stable, out)
            if now < measure_at:
                continue
            measure_at = now + config.interval
            reading = cursor.read()
            m = analysis.judge(reading.window().upstreams.get(stable.addr), None, limits,
                               carried=carried)
            if reading.blind is not None and m.result != "failed":
                # Never taken for healthy: unjudged, and blind longer than blind_timeout it is
                # acted on by the policy, as a rollout's blind pause is (the release the watch
                # cannot see may be failing every request).
                if _blind_due(config, blind, reading.blind, now, out, status):
                    code = act("is unjudged after the bake",
                               f"the analysis stayed blind for "
                               f"{format_duration(now - (blind.since or now))} "
                               f"(blind_timeout {format_duration(config.blind_timeout)}): "
                               f"{reading.blind}", "blind", current.previous)
                    if code is not None:
                        return code
                continue
            if blind.since is not None:
                blind.since, blind.acted = None, False
                out("[watch] the analysis sees again: measurements start afresh")
                status("healthy")
                if m.result != "failed":
                    cursor.to_end()
                    continue
            if m.result != "inconclusive":
                cursor.commit()
            if m.result != "failed" or run.record(m.result) != "rollback":
                continue
            code = act("breached its limits after the bake", "; ".join(m.reasons), "change",
                       current.previous)
            if code is not None:
                return code
            run = analysis.AnalysisRun(failure_limit=config.failure_limit,
                                       inconclusive_limit=1 << 30)


@dataclass
class _ServingBlind:
    """The serving watch's blind stretch: since when (monotonic), and whether the policy
    acted on it already (it does once; the release stays degraded until it sees again)."""

    since: float | None = None
    acted: bool = False


def _blind_due(config: DeployConfig, blind: _ServingBlind, why: str, now: float,
               out: Callable[[str], None], status: Callable[[str, str, str], None]) -> bool:
    """A blind look of the serving watch: whether the policy acts now (blind for
    ``blind_timeout`` and not acted on yet); said once when the stretch begins."""
    from pytest_pyramid.durations import format_duration

    if blind.since is None:
        blind.since = now
        out(f"[watch] blind: {why}; the release is unjudged, and still blind "
            f"{format_duration(config.blind_timeout)} from now the watch acts by its policy "
            f"({config.watch})")
    if now - blind.since < config.blind_timeout:
        status("blind", why, "blind")
        return False
    if blind.acted:  # alerted already: it stays degraded until it sees again
        return False
    blind.acted = True
    return True


def _still_serving(config: DeployConfig, stable: Version) -> DeployState | None:
    """The deploy state while ``stable`` still serves with no one else at work: None once
    anyone holds the deploy lease, a rollout starts or another release serves."""
    from pytest_pyramid.deploy import supervisor
    from pytest_pyramid.deploy.state import read_state

    current = read_state(config.state_path).state
    # (the lease, not the lock: trying the lock would hold it for a moment, and a deploy
    # starting just then would be refused)
    holder = supervisor.read_lease(config.work_dir)
    busy = holder is not None and not holder.released and holder.holder_alive()
    if busy or current.rollout is not None or current.stable is None or \
            current.stable.pid != stable.pid:
        return None
    return current


def _router_serving(config: DeployConfig, router: Router, stable: Version,
                    out: Callable[[str], None]) -> None:
    """The router checked while the watch runs: a dead or frozen one started again at once,
    all traffic to ``stable`` (under the deploy lease; skipped while anyone else holds it)."""
    from pytest_pyramid.deploy.state import LockHeld

    health = router.check()
    for note in health.notes:
        out(f"[watch] router: {note}")
    if not health.ok:
        out(f"[watch] router: {'; '.join(health.problems)}")
        with contextlib.suppress(LockHeld), _lease(config, "watch", out):
            result = router.ensure_running({stable.addr: 100})
            out(f"[watch] router: {result.message}")


def _claim_watch_lock(config: DeployConfig, out: Callable[[str], None]) -> TextIO | None:
    """``watch.lock``, taken from a watch that holds it but no longer beats (frozen, hung:
    supervisor.take_watch); None while a watch that answers holds it."""
    from pytest_pyramid.deploy import supervisor

    path = config.work_dir / supervisor.WATCH_LOCK
    handle = _flock(path)
    if handle is None and supervisor.take_watch(config.work_dir, config.lease_timeout, out):
        deadline = time.monotonic() + 10.0  # the kernel releases a killed holder's lock
        while handle is None and time.monotonic() < deadline:
            time.sleep(0.02)
            handle = _flock(path)
    return handle


def _flock(path: Path) -> TextIO | None:
    """The open file holding an exclusive lock on ``path`` (closing it releases the lock);
    None when another process holds it."""
    import fcntl

    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def run_job_file(path: Path) -> int:
    """``pyramid supervise --job FILE``: run one job, write its result; then watch the serving
    release (the command following us is done by then), whatever the job's outcome."""
    from pytest_pyramid.deploy.supervisor import Job, job_output, write_result

    job = Job.from_dict(json.loads(path.read_text("utf-8")))
    out = job_output(job)
    try:
        code = run_job(job, out)
    except Exception as exc:  # the command following us must hear why
        out(f"[supervisor] {type(exc).__name__}: {exc}")
        code = 3
    write_result(job, code)
    with contextlib.suppress(OSError):
        path.unlink()
    keep_watching(job.config, out)
    return code


def keep_watching(config: DeployConfig, out: Callable[[str], None]) -> None:
    """The serving release stays watched while the service runs: after a rollout whatever its
    outcome (a rolled-back one leaves the stable release serving), and after the watch's own
    rollback (the release it returned to is watched in turn)."""
    if config.watch == "off":
        return
    while watch_serving(config, out) == REVERTED:
        pass


#: how long a command waits for the watch it started to hold its lease (a Python start under
#: load takes seconds; a watch that never holds it is said, never reported as judging)
WATCH_START_S = 30.0


def start_watch(config: DeployConfig, out: Callable[[str], None]) -> str | None:
    """A detached watch for the serving release, unless one answers or there is nothing to
    watch (called by ``status``, each ``supervise`` pass, and a command that moved traffic
    itself, e.g. ``pyramid rollback``, once it let go of the deploy lock: the watch ends
    whenever someone holds it). A watch that does not answer (heartbeat older than
    ``lease_timeout``) has its lease taken first. Said only once the new watch holds the
    lease; the problem, when it does not, is returned."""
    from pytest_pyramid.deploy import supervisor
    from pytest_pyramid.deploy.state import read_state

    if config.watch == "off" or _live_watch(config) is not None:
        return None
    state = read_state(config.state_path).state
    stable = state.stable
    if stable is None or state.rollout is not None:
        return None
    supervisor.take_watch(config.work_dir, config.lease_timeout, out)
    try:
        job = supervisor.new_job(config, "watch")
        child = supervisor.spawn(job)
    except OSError as exc:  # a full disk: said, and the next command tries again
        out(f"[watch] WARNING: no watch could be started ({exc}); `pyramid status` tries again")
        return f"watch: none runs for {stable.commit[:12]}: none could be started ({exc})"
    holder = _watch_taken(config, child)
    if holder is None:
        return (f"watch: none judges {stable.commit[:12]} at {stable.addr}: the watch started "
                f"(pid {child.pid}) does not hold {supervisor.WATCH_LEASE} "
                f"{'(it ended)' if child.poll() is not None else f'after {WATCH_START_S:g}s'}; "
                f"its log is {job.log}")
    out(f"[watch] pid {holder} judges {stable.commit[:12]} at {stable.addr}: its real "
        f"traffic, every {config.interval:g}s (policy: {config.watch})")
    return None


def watched_after(config: DeployConfig, out: Callable[[str], None]) -> None:
    """A command that moved traffic itself: the release serving now is watched, or it says
    why none judges it."""
    problem = start_watch(config, out)
    if problem is not None:
        out(f"[watch] WARNING: {problem}")


def _watch_taken(config: DeployConfig, child: subprocess.Popen[bytes]) -> int | None:
    """The pid holding a fresh watch lease once the watch ``child`` started (or another one
    that won the lock from it) holds it; None if the child ended, or the wait ran out, first."""
    deadline = time.monotonic() + WATCH_START_S
    while True:
        pid = _live_watch(config)
        if pid is not None:
            return pid
        if child.poll() is not None or time.monotonic() >= deadline:
            return _live_watch(config)
        time.sleep(0.05)


def _live_watch(config: DeployConfig) -> int | None:
    """The pid of the watch whose heartbeat is fresh, if any."""
    from pytest_pyramid.deploy import supervisor

    lease = supervisor.live_watch(config.work_dir, config.lease_timeout)
    return lease.pid if lease is not None else None


def serve(config: DeployConfig, out: Callable[[str], None],
          configure: Callable[[], DeployConfig] | None = None) -> int:
    """``pyramid supervise``: the foreground supervisor (systemd). Resumes an orphaned rollout
    at once and keeps doing so; jobs written by ``pyramid deploy`` are spawned as usual (each is
    its own process), and so is each resume: a restart of this loop interrupts no rollout.
    ``configure`` reads the configuration of a rollout to resume when it is resumed: the table
    of the rollout then in progress (deploy/cli.py ``_config``), not the one this loop started
    with; one it cannot read resumes nothing that pass (said). SIGTERM ends it."""
    import threading

    from pytest_pyramid.deploy.supervisor import BEAT_S, take_over, watcher

    stopping = threading.Event()

    def on_term(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_term)
    out(f"[supervise] watching {config.work_dir} (pid {os.getpid()})")
    child: subprocess.Popen[bytes] | None = None
    tables: dict[tuple[str, int], DeployConfig] = {}  # the serving release's, read once
    while not stopping.is_set():
        try:
            if child is None or child.poll() is not None:  # one resumer at a time
                seen = watcher(config.work_dir, config.lease_timeout)
                if seen.lock_held and not seen.fresh:
                    take_over(config.work_dir, config.lease_timeout, out)
                child = resume_if_orphaned(config, out, configure)
                if child is not None:
                    out(f"[supervise] supervisor pid {child.pid} resumes the orphaned rollout")
                elif not seen.lock_held:
                    _keep_serving_watched(config, out, configure, tables)
        except Exception as exc:  # one bad pass must not end the watch
            out(f"[supervise] {type(exc).__name__}: {exc}")
        stopping.wait(max(BEAT_S, config.lease_timeout / 4))
    out("[supervise] stopped")
    return 0


def _keep_serving_watched(config: DeployConfig, out: Callable[[str], None],
                          configure: Callable[[], DeployConfig] | None,
                          tables: dict[tuple[str, int], DeployConfig]) -> None:
    """A ``supervise`` pass keeps the serving release watched, as it resumes an orphaned
    rollout: a watch killed (OOM) or frozen is replaced, with no command typed. The serving
    release's own table decides its policy (``configure``), read once per serving process
    (``tables``) and only when a watch is due."""
    from pytest_pyramid.deploy.state import read_state

    if _live_watch(config) is not None:
        return
    state = read_state(config.state_path).state
    if state.stable is None or state.rollout is not None:
        return
    key = (state.stable.commit, state.stable.pid)
    if key not in tables:
        tables.clear()
        tables[key] = configure() if configure else config
    problem = start_watch(tables[key], lambda line: out(f"[supervise] {line}"))
    if problem is not None:
        out(f"[supervise] {problem}")


def resume_if_orphaned(config: DeployConfig, out: Callable[[str], None],
                       configure: Callable[[], DeployConfig] | None = None,
                       ) -> subprocess.Popen[bytes] | None:
    """The next command after a supervisor died resumes its rollout at once: a new detached
    supervisor takes it. A frozen supervisor still holds the lock: only abort/rollback (which
    take the lease) or ``pyramid supervise`` act on it. Returns the new supervisor, if any."""
    from pytest_pyramid.deploy import supervisor
    from pytest_pyramid.deploy.state import read_state

    rollout = read_state(config.state_path).state.rollout
    if rollout is None or rollout.status == "stuck":  # stuck waits for a human's abort
        return None
    if supervisor.watcher(config.work_dir, config.lease_timeout).lock_held:
        return None
    job = supervisor.new_job(configure() if configure else config, "resume")
    child = supervisor.spawn(job)
    out(f"supervisor pid {child.pid} started to resume it (log {job.log})")
    return child


def _deploy(config: DeployConfig, commit: str, commit_time: str | None, history: History,
            out: Callable[[str], None], *, redeploy: bool) -> int:
    from pytest_pyramid.deploy import notify
    from pytest_pyramid.deploy.rollout import Deployer
    from pytest_pyramid.deploy.state import LockHeld

    router = _router(config)
    deployer = Deployer(config, router, history, out)
    started = time.monotonic()
    try:
        with _lease(config, "deploy", out):
            state = load_state(config, router, out, repair=True)
            _close_orphan_rows(history, state, out)
            if state.rollout is not None:
                previous = state.rollout
                why = (f"rollout #{previous.id} of {previous.commit[:12]} was left "
                       f"{previous.status} at {previous.weight}% (its deploy process is gone)")
                settled = deployer.settle(state, action="abort", why=why, cause="interrupted")
                _finish(history, previous.id, previous.reason, settled)
                if state.rollout is not None:
                    out(f"[reconcile] could not settle rollout #{previous.id}: {settled.reason}")
                    history.close()
                    return 1
            _stable_from_history(config, state, history, out)
            try:
                deployment_id = history.start(commit=commit, commit_time=commit_time,
                                              strategy=config.strategy, dry_run=False,
                                              verdict_path=str(config.verdict))
            except (sqlite3.Error, OSError) as exc:  # not started: nothing changed yet
                out(f"[deploy] refused: the history {config.history_path} cannot record the "
                    f"deployment ({exc}); nothing was changed")
                return 1
            steps = config.steps if config.strategy == "canary" else (100,)
            out(f"[deploy] #{deployment_id}: {config.strategy} of {commit[:12]} "
                f"(steps {', '.join(map(str, steps))})")
            notify.tell(config, "started", f"#{deployment_id}: {config.strategy} of "
                        f"{commit[:12]} (steps {', '.join(map(str, steps))})",
                        {"deployment": deployment_id, "commit": commit,
                         "strategy": config.strategy, "judge": config.judge})

            def close(done: Outcome) -> None:
                # e.g. a promote sent while the new version was failing its health check
                deployer.answer_all(deployment_id, f"rollout #{deployment_id} ended "
                                                   f"({done.outcome}) before acting")
                _finish(history, deployment_id, "", done)

            outcome = _guarded(deployer, state, out, lambda: deployer.run(
                state, deployment_id=deployment_id, commit=commit, strategy=config.strategy,
                redeploy=redeploy), close)
            history.close()
    except LockHeld as exc:
        history.record_refusal(commit=commit, commit_time=commit_time, strategy=config.strategy,
                               dry_run=False, verdict_path=str(config.verdict), reason=str(exc))
        history.close()
        out(f"[deploy] refused: {exc}")
        notify.tell(config, "refused", f"{commit[:12]}: {exc}",
                    {"commit": commit, "reasons": [str(exc)]}, wait_s=notify.EXIT_WAIT_S)
        return 1
    extra = f", rollback {outcome.rollback_s:.3f}s" if outcome.rollback_s is not None else ""
    out(f"[deploy] #{deployment_id} {outcome.outcome} after {time.monotonic() - started:.1f}s"
        f"{extra}: {outcome.reason}")
    notify.tell_outcome(config, deployment_id, commit, outcome.outcome, outcome.reason)
    return outcome.exit_code


def _stable_from_history(config: DeployConfig, state: DeployState, history: History,
                         out: Callable[[str], None]) -> None:
    """No stable version in the state: the history's last good release becomes the stable
    one (not running: the rollout starts it again from its release before any step)."""
    from pytest_pyramid.deploy.last_release import recorded_in

    if state.stable is not None or state.rollout is not None:
        return
    state.stable = stable_from_history(config, history)
    if state.stable is not None:
        out(f"[deploy] nothing runs, but the history's last good release is "
            f"{state.stable.commit[:12]} ({recorded_in(state.stable)}, judged, succeeded, "
            "its release folder is there): it is the stable version to judge against and to "
            "return to")


def _finish(history: History, deployment_id: int, earlier_reason: str, outcome: Outcome) -> None:
    # A reason recorded earlier (why a rollout got stuck) is kept, not overwritten.
    reason = outcome.reason if not earlier_reason or earlier_reason in outcome.reason else \
        f"{earlier_reason}; then {outcome.reason}"
    history.finish(deployment_id, outcome=outcome.outcome, reason=reason,
                   rollback_s=outcome.rollback_s,
                   client_failed_fraction=outcome.client_failed_fraction,
                   exposed_at=outcome.exposed_at, restored_at=outcome.restored_at,
                   cause=outcome.cause, judged=outcome.judged)


# -- approvals -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApprovalResult:
    approver: str
    role: str
    commit: str
    #: every requirement in force and what counts for it now (empty: written to a file)
    standings: tuple[Standing, ...]
    written_to: Path | None


class ApprovalRefused(PyramidError):
    """The verdict cannot be approved: every reason the deploy gate would refuse it whatever
    the approvals (exit 1, each reason on its own line)."""

    def __init__(self, commit: str, reasons: Sequence[str]) -> None:
        super().__init__(f"refused to approve the verdict for {commit[:12]}: "
                         + "; ".join(reasons))
        self.commit = commit
        self.reasons = tuple(reasons)


def approve(config: DeployConfig, *, key_path: Path, role: str | None, output: Path | None,
            out: Callable[[str], None]) -> ApprovalResult:
    """Sign an approval of the verdict, after the trust check the deploy gate makes (the same
    anchors, the same entry point): a forged or untrusted verdict is never approved."""
    from pytest_pyramid._files import write_text_atomic
    from pytest_pyramid.deploy.approvals import (
        identify,
        load_people,
        sign_approval,
        tally_each,
        verdict_digest,
    )
    from pytest_pyramid.deploy.history import now_utc
    from pytest_pyramid.verdict.signing import SignatureError, key_id, load_private_key

    try:
        key = load_private_key(key_path)
    except SignatureError as exc:
        raise UsageFailure(str(exc)) from None
    # --output signs on a host that may never deploy: reading its history creates nothing
    history = _history(config, out) if output is None else _existing_history(config, out)
    now = now_utc()
    trust, anchors = _trusted_for_approval(config, history, now, out)
    from pytest_pyramid.deploy.requirements import approvals_in_force, verdict_asks

    # the requirements the deploy will judge (a ready verdict nothing asks of: the verdict's)
    asked = approvals_in_force(config, trust, recorded=anchors.required_approvals,
                               recorded_roles=anchors.approver_roles,
                               recorded_target=anchors.recorded_target) or (verdict_asks(trust),)
    verdict = trust.verdict
    commit = str(verdict.get("commit"))
    people = load_people(anchors.approvers, table="approvers", source=anchors.origin)
    me = identify(key.public_key(), people.values())
    if me is None:
        raise UsageFailure(f"the key {key_path} (key id {key_id(key.public_key())[:16]}) is not "
                           f"an approver in [tool.pyramid.deploy.approvers] ({anchors.origin})")
    if role is None:
        if len(me.roles) != 1:
            raise UsageFailure(f"--role is needed: {me.name} may approve as "
                               f"{', '.join(me.roles)}")
        role = me.roles[0]
    if role.casefold() not in {r.casefold() for r in me.roles}:
        raise UsageFailure(f"{me.name} is not configured for role {role!r} (roles: "
                           f"{', '.join(me.roles)})")
    if not any(one.allows(role) for one in asked):
        roles = dict.fromkeys(r for one in asked for r in one.roles)
        raise UsageFailure(f"role {role!r} may not approve this verdict (approver_roles: "
                           f"{', '.join(roles)})")
    envelope = sign_approval(verdict, role=role, approver=me.name, key=key, now=now,
                             environment=config.environment)
    if output is not None:
        write_text_atomic(output, json.dumps(envelope, separators=(",", ":")) + "\n")
        return ApprovalResult(me.name, role, commit, (), output)
    assert history is not None
    try:
        history.add_approval(envelope=envelope, who=me.name, role=role, commit=commit,
                             verdict_digest=verdict_digest(verdict), at=now)
        stored = [a.envelope for a in history.approvals(commit)]
    except (sqlite3.Error, OSError) as exc:
        raise UsageFailure(f"cannot record the approval in {config.history_path}: {exc} "
                           "(use --output FILE and pass it to deploy with --approval)") from None
    standings = tally_each(asked, stored, verdict=verdict, people=people, now=now,
                           ttl=timedelta(seconds=config.approval_ttl), deployer=None,
                           environment=config.environment)
    return ApprovalResult(me.name, role, commit, standings, None)


def _unlike_tested(config: DeployConfig, trust: Trust, commit: str,
                   out: Callable[[str], None]) -> list[str]:
    """Why the release would not be what the verdict tested, which no approval lifts: a
    tree it cannot ship whole (submodules: deploy/releases.py), or an interpreter whose
    installed distributions are not those the run imported (deploy/libraries.py). Asked
    only of a verdict the gate trusts (its refusals are said first)."""
    from pytest_pyramid.deploy import gate, libraries, releases

    if gate.refusals(trust):
        return []
    try:
        whole = releases.whole_tree_problem(config.root, commit)
    except releases.ReleaseError as exc:
        return [str(exc)]
    if whole is not None:
        return [whole]
    found, checked = libraries.problems(config, trust.verdict, commit)
    if checked and not found:
        out(f"[gate] {checked}")
    return found


def _trusted_for_approval(config: DeployConfig, history: History | None, now: datetime,
                          out: Callable[[str], None]) -> tuple[Trust, Anchors]:
    """The verdict as the deploy gate would trust it, for the commit it names; ApprovalRefused
    with every reason when no approval could make it deployable."""
    from pytest_pyramid.deploy import gate
    from pytest_pyramid.deploy.admission import assess_for_deploy
    from pytest_pyramid.deploy.anchors import AnchorsRefused, anchors_for_deploy
    from pytest_pyramid.verdict import provenance
    from pytest_pyramid.verdict.document import load_verdict
    from pytest_pyramid.verdict.signing import SignatureError
    from pytest_pyramid.verdict.trust import TrustError

    try:
        named = load_verdict(config.verdict).get("commit")
    except VerdictError as exc:
        raise UsageFailure(str(exc)) from None
    if not named:
        raise UsageFailure(f"{config.verdict}: the verdict records no commit; nothing to approve")
    commit = provenance.resolve_commit(config.root, str(named))
    if commit is None:
        raise ApprovalRefused(str(named), [
            f"the verdict names commit {str(named)[:12]}, which the repository at "
            f"{config.root} does not hold: the code it tested cannot be checked"])
    try:
        anchors = anchors_for_deploy(config, history, out=out)
        trust = assess_for_deploy(config, anchors, commit, now)
    except AnchorsRefused as exc:
        raise ApprovalRefused(commit, [str(exc)]) from None
    except (VerdictError, SignatureError) as exc:  # the file changed, or its envelope is bad
        raise ApprovalRefused(commit, [str(exc)]) from None
    except TrustError as exc:
        raise UsageFailure(str(exc)) from None
    for note in anchors.notes:
        out(f"[approve] {note}")
    refused = gate.refusals(trust)
    if refused:
        raise ApprovalRefused(commit, refused)
    return trust, anchors


# -- abort / promote / rollback --------------------------------------------------------------------
def control(config: DeployConfig, action: str, *, by: str, rollout_id: int | None, wait: float,
            out: Callable[[str], None], restore_backup: str | None = None) -> int:
    """Ask the running deploy to act on its rollout, or act directly when none runs.
    ``restore_backup``: `pyramid rollback --restore-backup NAME` (deploy/backups.py)."""
    from pytest_pyramid.deploy.state import LockHeld, read_answer, send_request, withdraw
    from pytest_pyramid.deploy.supervisor import watcher

    router = _router(config)
    state = load_state(config, router, out, repair=False)
    rollout = state.rollout
    if rollout is None:
        if action == "rollback":
            return revert(config, by=by, out=out, restore_backup=restore_backup)
        out(f"[{action}] refused: no rollout in progress in {config.work_dir}")
        return 1
    if restore_backup is not None:  # a canary's rollback returns to the checked release
        out(f"[{action}] refused: --restore-backup is for a rollback with no rollout in "
            f"progress (rollout #{rollout.id} is); nothing was moved")
        return 1
    if rollout_id is not None and rollout_id != rollout.id:
        out(f"[{action}] refused: rollout #{rollout_id} is not in progress (rollout "
            f"#{rollout.id} is)")
        return 1
    if action == "promote" and rollout.status in ("rolling_back", "stuck"):
        out(f"[{action}] refused: rollout #{rollout.id} is {rollout.status.replace('_', ' ')}")
        return 1
    who = f" by {by}" if by else ""
    try:
        with _lease(config, action, out):  # takes the lease from a supervisor that is frozen
            code = _settle_directly(config, router, action, who, rollout.id, out)
        watched_after(config, out)  # nobody else watches what serves now
        return code
    except LockHeld:
        pass
    request = send_request(config.work_dir, rollout.id, action, by)
    out(f"[{action}] asked the running deploy to {action} rollout #{rollout.id}; waiting up to "
        f"{wait:g}s")
    deadline = time.monotonic() + wait
    while True:
        reply = read_answer(config.work_dir, request.nonce)
        if reply is not None:
            done, message = reply
            out(f"[{action}] {'done' if done else 'refused'}: {message}")
            return 0 if done else 1
        gone = not watcher(config.work_dir, config.lease_timeout).fresh
        if (gone or time.monotonic() >= deadline) and withdraw(config.work_dir, request):
            if gone:
                out(f"[{action}] the supervisor stopped answering before acting; acting "
                    "directly")
                return control(config, action, by=by, rollout_id=rollout.id, wait=wait, out=out)
            out(f"[{action}] refused: the running deploy did not act within {wait:g}s; the "
                "request was withdrawn")
            return 1
        if time.monotonic() >= deadline + 10.0:
            out(f"[{action}] the running deploy took the request but did not answer")
            return 1
        time.sleep(0.05)


def _settle_directly(config: DeployConfig, router: Router, action: str, who: str,
                     rollout_id: int, out: Callable[[str], None]) -> int:
    from pytest_pyramid.deploy.rollout import Deployer

    state = load_state(config, router, out, repair=True)
    rollout = state.rollout
    if rollout is None or rollout.id != rollout_id:
        out(f"[{action}] refused: rollout #{rollout_id} ended meanwhile")
        return 1
    history = _history(config, out)
    deployer = Deployer(config, router, history, out)
    outcome = deployer.settle(state, action=action, why=f"{action}{who}")
    _finish(history, rollout.id, rollout.reason, outcome)
    history.close()
    out(f"[{action}] rollout #{rollout.id} {outcome.outcome}: {outcome.reason}")
    return 0 if state.rollout is None else 1


def revert(config: DeployConfig, *, by: str, out: Callable[[str], None],
           watch_after: bool = True, restore_backup: str | None = None) -> int:
    """`pyramid rollback` with no rollout: back to the version before the current one. The
    release serving afterwards is watched (``watch_after``; the watch itself goes on in its
    own process instead)."""
    code = _revert(config, by=by, out=out, restore_backup=restore_backup)
    if watch_after:
        watched_after(config, out)
    return code


def _revert(config: DeployConfig, *, by: str, out: Callable[[str], None],
            restore_backup: str | None = None) -> int:
    from pytest_pyramid.deploy import migrate
    from pytest_pyramid.deploy.rollout import Deployer
    from pytest_pyramid.deploy.state import LockHeld

    who = f" by {by}" if by else ""
    router = _router(config)
    try:
        with _lease(config, "rollback", out):
            state = load_state(config, router, out, repair=True)
            if state.rollout is not None:
                return _settle_directly(config, router, "rollback", who, state.rollout.id, out)
            if state.previous is None:
                out("[rollback] refused: no earlier version is recorded to roll back to")
                return 1
            current = state.stable
            history = _history(config, out)
            refusal = _rollback_target(config, history, state, out)
            if refusal is not None:
                history.close()
                out(f"[rollback] refused: {refusal}; nothing was moved")
                return 1
            # a contract migration's backup: restored only when asked by name, and only one
            # the deploy that made the serving release serve took (backups.py)
            database = migrate.for_rollback(config, current.commit if current else None,
                                            restore_backup, _deployed_at(history, current))
            if database.refusal is not None:
                history.close()
                out(f"[rollback] refused: {database.refusal}")
                return 1
            try:
                row = history.start(commit=state.previous.commit, commit_time=None,
                                    strategy="rollback", dry_run=False, verdict_path="",
                                    kind="rollback")
            except (sqlite3.Error, OSError):  # the rollback matters more than its row
                row = None
                out("[rollback] WARNING: the history cannot record this rollback")
            outcome = Deployer(config, router, history, out).revert(state, who=who)
            if outcome.outcome == "succeeded":  # traffic first: the previous release works on both
                outcome = _restore_after_revert(config, database, outcome, out)
            if row is not None:
                _finish(history, row, "", outcome)
            if outcome.outcome == "succeeded" and current is not None and \
                    current.deployment_id is not None and outcome.restored_at is not None:
                history.mark_reverted(current.deployment_id, by=row or 0, at=outcome.restored_at)
            history.close()
            out(f"[rollback] {outcome.outcome}: {outcome.reason}")
            return outcome.exit_code
    except LockHeld as exc:
        out(f"[rollback] refused: {exc}, and it has no rollout to roll back yet; try again")
        return 1


def _rollback_target(config: DeployConfig, history: History, state: DeployState,
                     out: Callable[[str], None]) -> str | None:
    """Set ``state.previous`` to the last good release before the serving one (deploy/
    way_back.py: the history's and the host's word, not ``state.json``'s: hostile cases 422,
    425); a live process of it is kept. Why there is none to return to (None: there is).
    A history that knows nothing of the recorded previous release leaves it (case 277's
    fresh work folder), unless the host's newest evidence withdrew its commit."""
    from pytest_pyramid.deploy.last_release import recorded_in
    from pytest_pyramid.deploy.replays import host_seen
    from pytest_pyramid.deploy.way_back import newest_decisions, withdrawn

    recorded = state.previous
    found = previous_from_history(config, state.stable, out)
    if found is not None:
        if recorded is None or recorded.commit != found.commit:
            out(f"[rollback] the last good release is {found.commit[:12]} ("
                f"{recorded_in(found)}), started again from its release folder")
            state.previous = found
        return None
    why = None if recorded is None else withdrawn(
        recorded.commit, newest_decisions(host_seen(config, history)))
    if why is not None:
        return f"no good release to return to: {why}"
    return None


def _deployed_at(history: History, serving: Version | None) -> str | None:
    """When the deploy that started ``serving`` started (its history row), as recorded; None
    when unknown (no row: every backup of its commit counts, as before rows were linked)."""
    from pytest_pyramid.deploy.history import iso

    if serving is None or serving.deployment_id is None:
        return None
    try:
        row = history.get(serving.deployment_id)
    except (sqlite3.Error, OSError):
        return None
    return None if row is None else iso(row.started_at)


def _restore_after_revert(config: DeployConfig, database: RestorePlan, outcome: Outcome,
                          out: Callable[[str], None]) -> Outcome:
    """The rollback's outcome once the database is restored as asked (its reason says so, for
    the history row); a failed restore leaves traffic where it is and exits 1."""
    from dataclasses import replace

    from pytest_pyramid.deploy.migrate import after_rollback
    from pytest_pyramid.deploy.migrations import MigrationError

    try:
        said = after_rollback(config, database, out)
    except MigrationError as exc:
        out(f"[rollback] the database was NOT restored: {exc}")
        return replace(outcome, exit_code=1,
                       reason=f"{outcome.reason}; the database was not restored: {exc}")
    return replace(outcome, reason=f"{outcome.reason}; {said}") if said else outcome
