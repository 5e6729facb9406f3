"""A rollout: start the new version, shift traffic step by step, judge, bake, finish or roll back.

The rules this module keeps (docs/deploy.md lists them beside Argo Rollouts'):

* every traffic increase is analysed; a step passes only on successful measurements;
* while a new version has traffic, a deploy process watches it: paused (inconclusive) rollouts
  keep being measured, and one that makes no progress for ``progress_deadline`` rolls back;
* after 100% the previous version stays warm for ``bake`` while analysis continues; a breach
  switches back at once;
* the router is checked at every measurement; a dead router is a failure (rollback onto a
  router started again), never an inconclusive measurement;
* safety never waits on bookkeeping: traffic moves first; state and history writes after it
  are best effort and a failed write never stops a rollback;
* a version is stopped only after the router's old workers have drained.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from pytest_pyramid.deploy import (
    analysis,
    comparison,
    first_step,
    processes,
    releases,
    rollout_metrics,
    step_verify,
)
from pytest_pyramid.deploy.analysis import AnalysisRun, Limits, Measurement, parse_lines
from pytest_pyramid.deploy.history import iso, now_utc, parse_iso
from pytest_pyramid.deploy.processes import Registry, StartError, Version
from pytest_pyramid.deploy.routers.base import ApplyResult
from pytest_pyramid.deploy.sight import LogCursor, load_carried, log_size, read_log, save_carried
from pytest_pyramid.deploy.state import (
    DeployState,
    Progress,
    Rollout,
    answer,
    save_state,
    take_requests,
)
from pytest_pyramid.deploy.strategies import Stage, describe, plan, split
from pytest_pyramid.durations import format_duration

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.history import History
    from pytest_pyramid.deploy.routers.base import Router
    from pytest_pyramid.deploy.sight import Reading as LogReading
    from pytest_pyramid.deploy.state import ControlRequest
    from pytest_pyramid.deploy.step_verify import StepVerify
    from pytest_pyramid.deploy.verify import VerifyRun

POLL_S = 0.05
#: how often the router is checked while a rollout is watched (the analysis waits an interval)
ROUTER_CHECK_S = 0.5


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    outcome: str
    reason: str
    rollback_s: float | None = None
    client_failed_fraction: float | None = None
    exposed_at: datetime | None = None
    restored_at: datetime | None = None
    #: what ended it when it did not succeed (history.CAUSES): recorded, read by the stats
    cause: str = "change"
    #: a success the analysis judged on real traffic: set only where it was (a first step
    #: that passed its measurements, every step of a rollout passed); a promotion, a rescue,
    #: "too little traffic to judge" stay False (what ``requires`` counts, deploy/evidence.py)
    judged: bool = False


def fmt_rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def fmt_ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.0f}ms"


class Ended(Exception):  # control flow, not an error
    """Raised inside the watch loop when the rollout is over (rolled back or promoted)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


@dataclass
class Watch:
    """What the watch loop needs to know about the phase it watches."""

    stage: Stage
    mode: str  # "step" | "bake"
    until: float | None = None  # bake: monotonic end
    #: each-step verify: the step's run, beside its analysis (deploy/step_verify.py)
    verify: StepVerify | None = None


@dataclass
class Blindness:
    """A blind stretch of the analysis: since when (monotonic), and the rollout's status and
    reason before it, restored when the analysis sees again."""

    since: float | None = None
    status: str = "running"
    reason: str = ""


@dataclass
class Watching:
    """One watched phase's running quantities, shared by the parts of :meth:`Deployer.watch`."""

    state: DeployState
    rollout: Rollout
    phase: Watch
    run: AnalysisRun
    label: str
    started_at: datetime
    started_mono: float
    #: what a resumed phase brings from the durable record (:meth:`Deployer.carried`)
    carried: Progress
    cursor: LogCursor
    measurements: list[dict[str, object]] = field(default_factory=list)
    n: int = 0
    blind: Blindness = field(default_factory=Blindness)
    #: when the router is next checked between two looks (monotonic)
    router_due: float = 0.0
    #: the stable release's answers per path in the last look's window (None: no stable
    #: share measured in it), carried once the window is committed (hostile case 464)
    stable_rows: analysis.PathTable | None = None

    @property
    def progress_from(self) -> float:
        """Where the step's progress deadline counts from: a resumed step's watched time too."""
        return self.started_mono - self.carried.watched_s

    def ended(self) -> bool:
        """A bake's end: never on a blind stretch, or unmeasured."""
        return self.phase.until is not None and time.monotonic() >= self.phase.until and \
            self.blind.since is None and self.n > 0


class Deployer:
    def __init__(
        self, config: DeployConfig, router: Router, history: History,
        out: Callable[[str], None] = lambda line: print(line, flush=True),
    ) -> None:
        self.config = config
        self.router = router
        self.history = history
        self.out = out
        self.registry = Registry(config.work_dir)
        self.limits = Limits(
            error_rate=config.error_rate_limit, p95=config.p95_limit,
            min_requests=config.min_requests, compare_with_stable=config.compare_with_stable,
            max_p95_ratio=config.max_p95_ratio, max_error_rate_delta=config.max_error_rate_delta,
        )
        self._client_log_start = 0
        #: [tool.pyramid.metrics] tables marked rollout = true, judged at every look
        self.metrics = rollout_metrics.load(config)
        #: monotonic time of the new version's first traffic, when this process gave it
        self._exposed_mono: float | None = None
        #: (canary commit, stable's answers per path over the committed compared windows)
        self._carried: tuple[str, analysis.PathTable] | None = None

    # -- small helpers ---------------------------------------------------------------------
    def _since_exposure(self, exposed: datetime | None) -> datetime:
        """Now, as the exposure time plus the monotonic time since (a wall-clock step in
        between does not stretch or shrink the time to restore)."""
        if exposed is None or self._exposed_mono is None:
            return now_utc()
        return exposed + timedelta(seconds=time.monotonic() - self._exposed_mono)

    def save(self, state: DeployState) -> None:
        """Best effort: the router, not this file, is what serves users. A version the
        history named that was never started again (pid 0: the last good release awaiting
        its start) is not written: no state file can hold it (processes.Version.from_dict),
        and an unreadable state is rebuilt from the live processes alone, which made the
        failing canary of a stuck rollout "the stable version" (hostile case 461 (b)->(c));
        the next command derives it from the history again."""
        def started(version: Version | None) -> Version | None:
            return version if version is None or version.pid > 0 else None

        if started(state.stable) is not state.stable or \
                started(state.previous) is not state.previous:
            state = replace(state, stable=started(state.stable),
                            previous=started(state.previous))
        try:
            save_state(self.config.state_path, state)
        except OSError as exc:
            self.out(f"[state] WARNING: cannot write {self.config.state_path} ({exc}); the next "
                     "pyramid command rebuilds it from the router and the process registry")

    def healthy(self, version: Version | None) -> bool:
        if version is None or not processes.version_alive(version):
            return False
        return processes.http_ok(f"http://{version.addr}{self.config.health_path}", 2.0)[0]

    def _probes(self) -> frozenset[str]:
        """The health path: a success there is no user served (analysis.probe_paths)."""
        return analysis.probe_paths(self.config.health_path)

    def _client_failures(self) -> float | None:
        try:
            lines, _ = read_log(self.router.client_log_path, self._client_log_start)
        except OSError:
            return None
        window = analysis.parse_lines(lines, self._probes())
        if not window.client_requests:
            return None
        return window.client_errors / window.client_requests

    def describe_measurement(self, label: str, n: int, m: Measurement) -> str:
        limits = self.limits
        # a threshold pass says "within limits" first, then how it was judged where that is
        # not the usual (the absolute 4xx/3xx rule with no stable share: analysis.judge)
        said = m.reasons if m.result != "successful" else (
            m.reasons[1:] if m.comparison is None else ())
        return (
            f"[{label}] measurement {n}: {m.requests} req, "
            f"errors {fmt_rate(m.error_rate)} (limit {fmt_rate(limits.error_rate)}), "
            f"p95 {fmt_ms(m.p95)} (limit {fmt_ms(limits.p95)}) -> {m.result.upper()}"
            + (f": {'; '.join(said)}" if said else "")
            + ("" if m.comparison is None else f"\n  [judge] {comparison.describe(m.comparison)}")
            + ("" if not m.metrics else f"\n  [metrics] {rollout_metrics.describe(m.metrics)}")
        )

    def release_for(self, commit: str) -> Path:
        """The project folder inside a clean checkout of ``commit`` (made or verified now)."""
        folder = self.config.release_path(commit)
        reused = releases.checkout(self.config.root, commit, folder)
        self.out(f"[release] {commit[:12]}: {'verified' if reused else 'checked out'} in "
                 f"{folder}")
        pruned = releases.prune_stale(folder.parent)
        if pruned:
            self.out(f"[release] deleted {len(pruned)} release folder(s) set aside earlier, "
                     f"which no process ran from: {', '.join(p.name for p in pruned)}")
        return releases.project_folder(self.config.root, folder)

    # -- traffic moves -----------------------------------------------------------------------
    def route(self, weights: Mapping[str, int], pinned: str | None = None) -> ApplyResult:
        """``weights`` live on a working router: a dead or orphaned router is started again
        (its orphans stopped) first. ``pinned``: the version a verify run's pinned requests
        reach (each-step); every other route ends any pin."""
        started = time.monotonic()
        notes: list[str] = []
        health = self.router.check()
        if not health.ok:
            boot = self.router.ensure_running(weights, pinned)
            if not boot.ok:
                return boot
            if boot.message != "already running":
                notes.append(boot.message)
                self.out(f"[router] {boot.message}")
        live = self.router.actual()
        if live is not None and live.weights == dict(weights) and live.pinned == pinned:
            return ApplyResult(True, live.generation, time.monotonic() - started,
                               "; ".join(notes) or "already serving these weights")
        result = self.router.apply(weights, pinned)
        return ApplyResult(result.ok, result.generation, time.monotonic() - started,
                           "; ".join([*notes, result.message]))

    def noted(self, notes: tuple[str, ...]) -> None:
        """What a router check put right on its own (a rotated log reopened), said."""
        for note in notes:
            self.out(f"[router] {note}")

    def verified(self) -> tuple[bool, str]:
        return processes.http_ok(f"{self.router.url}{self.config.health_path}", 5.0)

    def stop_after_drain(self, version: Version, role: str) -> None:
        if not self.router.drain(self.config.drain_timeout):
            self.out(f"[drain] the router's old workers still run after "
                     f"{format_duration(self.config.drain_timeout)}; stopping {role} anyway")
        if not processes.stop(version, self.config.stop_timeout, self.registry):
            self.out(f"[stop] {role} {version.addr} (pid {version.pid}) is STILL RUNNING")

    def answer_all(self, rollout: Rollout | int, message: str) -> None:
        """No request may outlive its rollout: answer every one still waiting."""
        for request in take_requests(self.config.work_dir):
            answer(self.config.work_dir, request, done=False,
                   message=self._mismatch(request, rollout) or message)

    @staticmethod
    def _mismatch(request: ControlRequest, rollout: Rollout | int) -> str | None:
        ident = rollout if isinstance(rollout, int) else rollout.id
        if request.rollout != ident:
            return (f"rollout #{request.rollout} is not running (the running deploy is "
                    f"rollout #{ident}); nothing done")
        return None

    def rollback(self, state: DeployState, rollout: Rollout, reason: str, detected: float,
                 *, outcome: str = "rolled_back", cause: str = "change") -> Outcome:
        """Breach detected at monotonic ``detected``: stable back to 100% first, then the
        rest (drain, stop the new version, bookkeeping)."""
        stable = state.stable
        exposed = parse_iso(rollout.exposed_at) if rollout.exposed_at else None
        rollout.status = "rolling_back"
        # the decision is written before it is acted on: a supervisor killed during the drain
        # leaves a rollout its resumer ends as this outcome and cause (hostile case 326 a)
        rollout.ending, rollout.ending_cause, rollout.ending_reason = outcome, cause, reason
        self.save(state)
        self.out(f"[rollback] {reason}")
        if stable is None or not processes.version_alive(stable):
            stable = self.way_back(state, rollout)
        if stable is None:
            return self.stuck(state, rollout, f"{reason}; no running version to return to, "
                              "and no good release to start again", exposed, cause)
        result = self.route({stable.addr: 100})
        ok, why = self.verified() if result.ok else (False, result.message)
        rollback_s = time.monotonic() - detected
        restored = self._since_exposure(exposed)
        if not ok:
            return self.stuck(state, rollout, f"{reason}; rollback failed: {why}", exposed,
                              cause)
        self.out(f"[rollback] all traffic on stable {stable.addr} ({stable.commit[:12]}), "
                 f"verified in {format_duration(rollback_s)}")
        self.stop_after_drain(rollout.canary, "the new version")
        comparison.stop_baseline(self, rollout)
        state.rollout = None
        self.save(state)
        self.out(f"[rollback] new version {rollout.canary.addr} stopped after the router drained")
        self.answer_all(rollout, f"rollout #{rollout.id} ended ({outcome}) before acting")
        exit_code = 1
        return Outcome(exit_code, outcome, reason, rollback_s, exposed_at=exposed,
                       restored_at=restored if exposed else None, cause=cause)

    def way_back(self, state: DeployState, rollout: Rollout) -> Version | None:
        """The stable version died (hostile case 424: the new version's start stopped it):
        the last good release before this rollout (deploy/way_back.py, the rule `pyramid
        rollback` follows) started again from its folder and given all traffic; the way back
        never depends on a process staying alive. None: there is none, or it cannot start."""
        from pytest_pyramid.deploy.last_release import before, last_release

        found = last_release(self.config, self.history, before(rollout.canary), self.out)
        if found is None:
            return None
        return self.revive(state, found, "the stable version is not running")

    def stuck(self, state: DeployState, rollout: Rollout, reason: str,
              exposed: datetime | None, cause: str = "change") -> Outcome:
        rollout.status = "stuck"
        rollout.reason = reason
        self.save(state)
        self.out(f"[stuck] {reason}. Both versions are left running; `pyramid status` shows "
                 "what the router serves; fix the cause, then `pyramid abort`")
        self.answer_all(rollout, f"rollout #{rollout.id} is stuck: {reason}")
        return Outcome(1, "failed", reason, exposed_at=exposed, cause=cause)

    def finish(self, state: DeployState, rollout: Rollout, reason: str, *,
               judged: bool = False) -> Outcome:
        """The new version becomes stable: 100% (if not yet), drain, stop the old one.
        ``judged``: every step passed its analysis (the caller that saw it says so)."""
        old = state.stable
        exposed = parse_iso(rollout.exposed_at) if rollout.exposed_at else None
        rollout.status = "promoting"
        self.save(state)
        result = self.route({rollout.canary.addr: 100})
        if not result.ok:
            return self.stuck(state, rollout, f"promotion failed: {result.message}", exposed)
        if old is not None and old.pid != rollout.canary.pid:
            self.stop_after_drain(old, "the previous version")
        comparison.stop_baseline(self, rollout)
        state.stable = rollout.canary
        state.previous = old if old is not None and old.commit else state.previous
        state.rollout = None
        self.save(state)
        self.out(f"[done] {rollout.canary.commit[:12]} serves 100% at {self.router.url} "
                 f"({reason})")
        self.answer_all(rollout, f"rollout #{rollout.id} ended (succeeded) before acting")
        return Outcome(0, "succeeded", reason, exposed_at=exposed, judged=judged)

    # -- starting versions -------------------------------------------------------------------
    def start_version(self, state: DeployState, commit: str, deployment_id: int,
                      strategy: str) -> Version:
        """Start the new version from its release; it is in the state (status starting) and
        the registry before its health check, so nothing can leak if we die meanwhile."""
        if not self.config.command:
            raise StartError("no command to start a version: set [tool.pyramid.deploy] command")
        release = self.release_for(commit)
        if self.config.migrations:  # before the version starts (deploy/migrate.py)
            from pytest_pyramid.deploy.migrate import apply_release
            from pytest_pyramid.deploy.migrations import MigrationError

            try:
                apply_release(self.config, release, self.out, commit=commit)
            except MigrationError as exc:
                raise StartError(f"its migrations were not applied, so it was not started: "
                                 f"{exc}") from None
        version = processes.start(
            self.config.command, commit=commit, release=release,
            log_dir=self.config.work_dir / "logs", registry=self.registry,
            started_at=iso(now_utc()), deployment_id=deployment_id,
            pass_env=self.config.pass_env,
        )
        state.rollout = Rollout(deployment_id, commit, strategy, version,
                                started_at=iso(now_utc()), config=self.config.source)
        self.save(state)
        self.out(f"[start] {commit[:12]} on {version.addr} (pid {version.pid}), waiting for "
                 f"{self.config.health_path}")
        try:
            seconds = processes.wait_healthy(version, self.config.health_path,
                                             self.config.health_timeout)
        except StartError:
            processes.stop(version, self.config.stop_timeout, self.registry)
            state.rollout = None
            self.save(state)
            raise
        self.out(f"[start] {version.addr} healthy after {format_duration(seconds)}")
        return version

    def start_again(self, version: Version, *, deployment_id: int | None,
                    started: Callable[[Version], None] | None = None) -> Version:
        """The one route by which a recorded version is started again (a rollback, the
        watch's rollback, a revived stable, a fresh baseline): from a clean checkout of its
        commit, as it ran (deploy/last_release.py: started_as, its own start template,
        ``pass_env`` and ``health_path``, hostile case 467), healthy by its own health path.
        ``started`` hears of the process before its health check (so a caller's record holds
        it if the deploy dies meanwhile). Raises StartError / ReleaseError; a process that
        does not become healthy is stopped first."""
        from pytest_pyramid.deploy.last_release import started_as

        start = started_as(self.config, version)
        release = self.release_for(version.commit)
        fresh = processes.start(
            start.command, commit=version.commit, release=release,
            log_dir=self.config.work_dir / "logs", registry=self.registry,
            started_at=iso(now_utc()), deployment_id=deployment_id, pass_env=start.pass_env)
        if started is not None:
            started(fresh)
        try:
            processes.wait_healthy(fresh, start.health_path, self.config.health_timeout)
        except StartError:
            processes.stop(fresh, self.config.stop_timeout, self.registry)
            raise
        return fresh

    def revive(self, state: DeployState, version: Version, why: str) -> Version | None:
        """Start ``version``'s release again and give it all traffic (a restore: it is the
        version that last completed a deploy). None when it cannot be made healthy."""
        self.out(f"[revive] {why}: starting {version.commit[:12]} again from its release")
        try:
            fresh = self.start_again(version, deployment_id=version.deployment_id)
        except (StartError, releases.ReleaseError) as exc:
            self.out(f"[revive] failed: {exc}")
            return None
        result = self.route({fresh.addr: 100})
        if not result.ok:
            processes.stop(fresh, self.config.stop_timeout, self.registry)
            self.out(f"[revive] router: {result.message}")
            return None
        if processes.version_alive(version):
            self.stop_after_drain(version, "the unhealthy old process")
        state.stable = fresh
        self.save(state)
        self.out(f"[revive] {fresh.commit[:12]} serves 100% on {fresh.addr}")
        return fresh

    # -- the rollout -------------------------------------------------------------------------
    def first(self, state: DeployState, commit: str, deployment_id: int, why: str) -> Outcome:
        """Nothing ran before: nothing to compare with or to return to, so 100% at once
        (as Argo Rollouts does for a first deployment)."""
        try:
            version = self.start_version(state, commit, deployment_id, "initial")
        except (StartError, releases.ReleaseError) as exc:
            return Outcome(1, "aborted", f"new version failed to start: {exc}")
        refused = self.verify_before_traffic(state, version, deployment_id)
        if refused is not None:
            return refused
        result = self.route({version.addr: 100})
        if not result.ok:
            processes.stop(version, self.config.stop_timeout, self.registry)
            state.rollout = None
            self.save(state)
            return Outcome(1, "aborted", f"router: {result.message}")
        exposed = now_utc()
        judged = self._first_step(state, version, exposed, deployment_id)
        if judged.result == "failed":
            processes.stop(version, self.config.stop_timeout, self.registry)
            state.rollout = None
            self.save(state)
            return Outcome(1, "failed", f"{judged.reason}; stopped: there is no earlier "
                                        "version to return to", exposed_at=exposed)
        why = f"{why}; {judged.reason}"
        state.stable = version
        state.rollout = None
        self.save(state)
        self.out(f"[done] {commit[:12]} serves 100% at {self.router.url} ({why})")
        return Outcome(0, "succeeded", why, exposed_at=exposed,
                       judged=judged.result == "passed")

    def _first_step(self, state: DeployState, version: Version, exposed: datetime,
                    deployment_id: int) -> first_step.Judged:
        """The first step's analysis (baseline-free) before a first deployment is a success."""
        if state.rollout is not None:
            state.rollout.status, state.rollout.weight = "running", 100
            state.rollout.exposed_at = iso(exposed)
            self.save(state)
        started = now_utc()
        judged = first_step.judge_alone(self, version, "first step 100%")
        self.history.add_step(deployment_id, idx=1, weight=100, started_at=started,
                              result="failed" if judged.result == "failed" else "passed",
                              measurements=list(judged.measurements))
        return judged

    def run(self, state: DeployState, *, deployment_id: int, commit: str, strategy: str,
            redeploy: bool = False) -> Outcome:
        """``redeploy``: roll the commit out again even when it is already stable (a new start
        command or environment is a new release of the same code)."""
        self._client_log_start = log_size(self.router.client_log_path)
        if not redeploy and state.stable is not None and state.stable.commit == commit and \
                self.healthy(state.stable):
            return Outcome(0, "unchanged", f"{commit[:12]} is already the stable version; "
                                           "nothing deployed (--redeploy to roll it out again)")
        if state.stable is None:
            why = "first deployment: no stable version to compare with"
            self.out(f"[deploy] {why}")
            return self.first(state, commit, deployment_id, why)
        degraded = False
        if not self.healthy(state.stable):
            old = state.stable
            if self.revive(state, old, f"stable {old.addr} ({old.commit[:12]}) is not "
                                       "healthy") is None:
                degraded = True
                self.out(f"[deploy] WARNING: stable {old.addr} is not healthy and could not be "
                         "started again: the new version still goes through every step with "
                         "analysis, but there is no healthy version to return to")
        assert state.stable is not None
        if not degraded:
            boot = self.route({state.stable.addr: 100}) if self.router.actual() is None or \
                not self.router.check().ok else None
            if boot is not None and not boot.ok:
                return Outcome(1, "aborted", f"router: {boot.message}")
            live = self.router.actual() if boot is None else None
            if live is not None:  # outside a rollout: the edge takes changed settings now
                settings = self.router.ensure_running(live.weights)
                if not settings.ok:
                    return Outcome(1, "aborted", f"router: {settings.message}")
                if settings.message not in ("already running", "already configured"):
                    self.out(f"[router] {settings.message}")
        try:
            canary = self.start_version(state, commit, deployment_id, strategy)
        except (StartError, releases.ReleaseError) as exc:
            return Outcome(1, "aborted", f"new version failed its health check: {exc}; stable "
                                         f"{state.stable.addr} kept all traffic")
        rollout = state.rollout
        assert rollout is not None
        if strategy == "blue-green":
            for path in self.config.smoke_paths or (self.config.health_path,):
                ok, why = processes.http_ok(f"http://{canary.addr}{path}", 5.0)
                self.out(f"[smoke] {canary.addr}{path}: {why}")
                if not ok:
                    processes.stop(canary, self.config.stop_timeout, self.registry)
                    state.rollout = None
                    self.save(state)
                    return Outcome(1, "aborted", f"smoke check {path} failed ({why}); stable "
                                                 "kept all traffic")
        refused = self.verify_before_traffic(state, canary, deployment_id)
        if refused is not None:
            return refused
        if self.config.judge == "nonparametric":
            try:
                comparison.start_baseline(self, rollout, state.stable)
            except (StartError, releases.ReleaseError) as exc:
                processes.stop(canary, self.config.stop_timeout, self.registry)
                state.rollout = None
                self.save(state)
                return Outcome(1, "aborted", f"the fresh baseline failed to start: {exc}; "
                                             f"stable {state.stable.addr} kept all traffic")
        rollout.status = "running"
        self.save(state)
        try:
            return self.stages(state, rollout)
        finally:
            fraction = self._client_failures()
            if fraction is not None:
                self.out(f"[rollout] client requests answered with an error during the rollout "
                         f"(router log): {fraction:.2%}")

    def resume(self, state: DeployState, rollout: Rollout) -> Outcome:
        """Watch a rollout whose supervisor died, from the step it was at."""
        self._client_log_start = log_size(self.router.client_log_path)
        return self.stages(state, rollout)

    def stages(self, state: DeployState, rollout: Rollout) -> Outcome:
        assert state.stable is not None
        run = AnalysisRun(
            failure_limit=self.config.failure_limit,
            inconclusive_limit=self.config.inconclusive_limit,
            measurements_per_step=self.config.measurements,
        )
        comparison.carry_looks(self, state, rollout, run)
        stages = plan(rollout.strategy, self.config.steps)
        reason = "every step passed its analysis" + (" and the bake" if self.config.bake > 0
                                                     else "")
        judged = True  # until a person promotes past the steps the analysis had to judge
        try:
            # resumed in its bake: the steps are behind it (rollout.progress says how far)
            in_bake = rollout.progress is not None and rollout.progress.phase == "bake"
            try:
                for stage in [] if in_bake else stages[rollout.stage:]:
                    self.step(state, rollout, stage, run)
            except _Promoted as promoted:
                rollout.stage, rollout.weight = len(stages) - 1, 100
                self.save(state)
                reason, judged = str(promoted), False
            if not in_bake:
                self.verify_promoted(state, rollout)
            bake = self.config.bake
            if rollout.strategy == "blue-green":
                bake = max(bake, self.config.scale_down_delay)
            if bake > 0:
                rollout.status = "baking"
                self.save(state)
                self.out(f"[bake] 100% on {rollout.canary.addr}; previous version "
                         f"{state.stable.addr} kept warm for {format_duration(bake)} while "
                         "analysis continues" + (" (resumed: the rest of it)" if in_bake
                                                  else ""))
                self.watch(state, rollout, Watch(stages[-1], "bake", time.monotonic() + bake),
                           run)
        except Ended as ended:
            return ended.outcome
        return self.finish(state, rollout, reason, judged=judged)

    # -- verify tiers (deploy/verify.py) ------------------------------------------------------
    def verify(self, phase: str, url: str, deployment_id: int, commit: str
               ) -> VerifyRun | None:
        """The verify tier of ``phase`` against ``url`` (None: none is configured for it)."""
        settings = self.config.verify
        if settings is None or phase not in settings.when:
            return None
        from pytest_pyramid.deploy.verify import folder, run_tier

        self.out(f"[verify] {phase}: tier {settings.tier} against {url} (at most "
                 f"{format_duration(settings.timeout)})")
        run = run_tier(settings, phase=phase, url=url, root=self.config.root / settings.project,
                       out_dir=folder(self.config.work_dir, deployment_id), commit=commit,
                       pass_env=self.config.pass_env)
        self.out(f"[verify] {run.summary()}")
        return run

    def verify_before_traffic(self, state: DeployState, version: Version,
                              deployment_id: int) -> Outcome | None:
        """Pre-traffic: the tier against the new version's own address, before any weight.
        A failure stops it; the router's log says how many user requests reached it."""
        offset = log_size(self.router.log_path)
        run = self.verify("pre-traffic", f"http://{version.addr}", deployment_id,
                          version.commit)
        if run is None or run.passed:
            return None
        reached = self._requests_to(version.addr, offset)
        processes.stop(version, self.config.stop_timeout, self.registry)
        state.rollout = None
        self.save(state)
        reason = f"{run.summary()}; stopped before any traffic: {reached}"
        self.out(f"[verify] stopped before any traffic: {reached}")
        # aborted, not rolled back: no user ever had it (DORA counts only exposed attempts)
        return Outcome(1, "aborted", reason)

    def _requests_to(self, addr: str, offset: int) -> str:
        """User requests the router sent to ``addr`` since ``offset``, from its own log."""
        path = self.router.log_path
        if path is not None and offset == 0 and not path.exists():
            # nginx creates its log when it starts: none means no router ever ran here
            return "0 user request(s) reached the new version (no router has served yet)"
        try:
            lines, _ = read_log(path, offset)
        except OSError as exc:
            return f"how many user requests reached it is unknown (router log: {exc})"
        stats = parse_lines(lines, self._probes()).upstreams.get(addr)
        return (f"{stats.requests if stats else 0} user request(s) reached the new version "
                "(router log)")

    def verify_promoted(self, state: DeployState, rollout: Rollout) -> None:
        """Post-promotion: the tier through the router at 100%, the stable still warm."""
        run = self.verify("post-promotion", self.router.url, rollout.id,
                          rollout.canary.commit)
        if run is not None and not run.passed:
            raise Ended(self.rollback(state, rollout, f"{run.summary()}; after promotion",
                                      time.monotonic()))

    def step(self, state: DeployState, rollout: Rollout, stage: Stage, run: AnalysisRun) -> None:
        assert state.stable is not None
        baseline = rollout.baseline.addr if rollout.baseline is not None else None
        weights = comparison.weights(state.stable.addr, baseline, rollout.canary.addr,
                                     stage.weight)
        checks = step_verify.wanted(self.config) and stage.weight < 100
        result = self.route(weights, rollout.canary.addr if checks else None)
        if not result.ok:
            self.out(f"[{stage.label} {stage.weight}%] router: {result.message}")
            raise Ended(self.rollback(state, rollout, f"router failed at {stage.label}: "
                                      f"{result.message}", time.monotonic(), outcome="aborted",
                                      cause="router"))
        if not rollout.exposed_at:
            rollout.exposed_at = iso(now_utc())
            self._exposed_mono = time.monotonic()
        rollout.stage, rollout.weight = stage.number - 1, stage.weight
        rollout.status = "running"
        self.save(state)
        self.out(f"[{stage.label}] {describe(weights)} (generation {result.generation}, "
                 f"applied in {format_duration(result.seconds)})")
        comparison.past_equal_weights(self, state, rollout, stage.weight, stage.label)
        checker = self.verify_step(rollout, stage) if checks else None
        try:
            self.watch(state, rollout, Watch(stage, "step", verify=checker), run)
        finally:
            if checker is not None:
                checker.cancel()

    def verify_step(self, rollout: Rollout, stage: Stage) -> StepVerify:
        """Each-step: the tier through the router's pinned route, beside the analysis."""
        checker = step_verify.StepVerify(self.config, self.router, canary=rollout.canary.addr,
                             label=f"{stage.label} {stage.weight}%", deployment_id=rollout.id,
                             step=stage.number, commit=rollout.canary.commit)
        assert self.config.verify is not None
        self.out(f"[verify] each-step: tier {self.config.verify.tier} through the router, "
                 f"pinned to {rollout.canary.addr} ({checker.running.url}), beside the "
                 "analysis")
        return checker

    def watch(self, state: DeployState, rollout: Rollout, phase: Watch, run: AnalysisRun) -> None:
        """Measure until the step passes / the bake ends (return), or raise :class:`Ended`.

        Split by what each part computes: the time between two looks (:meth:`_between_looks`:
        control requests, the versions' and the router's health, the step's verify run), one
        look's measurement (:meth:`_measure`), what a blind look does (:meth:`_blind_look`)
        and what a judged one decides (:meth:`_decide`)."""
        assert state.stable is not None
        w = self._watching(state, rollout, phase, run)
        self._keep(w, done=False)
        while True:
            self._between_looks(w)
            if w.ended():
                self._record(w, "passed")
                return
            w.n += 1
            self._router_ok(w)
            reading = w.cursor.read()
            m = self._measure(w, reading)
            detected = time.monotonic()
            w.measurements.append({"n": w.n, "at": iso(now_utc()), **m.as_dict()})
            self.out(self.describe_measurement(w.label, w.n, m))
            self._keep(w, done=False)
            if self._blind_look(w, m, reading, detected):
                continue
            if self._decide(w, m, detected):
                return

    def _watching(self, state: DeployState, rollout: Rollout, phase: Watch,
                  run: AnalysisRun) -> Watching:
        """A phase's watch starts: a new step of the analysis, and what a resume carries."""
        stage = phase.stage
        label = f"{stage.label} {stage.weight}%" if phase.mode == "step" else "bake"
        run.new_step()
        started_at = now_utc()
        carried = self.carried(rollout, phase, run)
        started_mono = time.monotonic()
        cursor = LogCursor.of(self.router, self.config, at=(carried.log_offset, carried.log_inode)
                              if carried.watched_s else None)
        return Watching(state, rollout, phase, run, label, started_at, started_mono, carried,
                        cursor, router_due=time.monotonic() + ROUTER_CHECK_S)

    def _keep(self, w: Watching, done: bool) -> None:
        """Durable progress of this phase (each measurement): a resume continues it."""
        offset, inode = w.cursor.position()
        w.rollout.progress = Progress(
            w.phase.mode, w.phase.stage.number,
            w.carried.watched_s + time.monotonic() - w.started_mono,
            w.run.step_successes, offset, inode)
        if not done:  # quietly: a full disk is said where it matters (the blind pause)
            with contextlib.suppress(OSError):
                save_state(self.config.state_path, w.state)

    def _record(self, w: Watching, result: str) -> None:
        stage = w.phase.stage
        self.history.add_step(w.rollout.id, idx=stage.number if w.phase.mode == "step" else 0,
                              weight=stage.weight, started_at=w.started_at, result=result,
                              measurements=w.measurements)

    def _end(self, w: Watching, reason: str, detected: float, outcome: str = "rolled_back",
             cause: str = "change") -> Ended:
        ended = Ended(self.rollback(w.state, w.rollout, reason, detected, outcome=outcome,
                                    cause=cause))
        self._record(w, "failed" if outcome == "rolled_back" else outcome)
        return ended

    def _between_looks(self, w: Watching) -> None:
        """Wait an interval (a bake's end cuts it short), acting at once on what cannot wait:
        control requests, a new version that exited, the step's verify run, the router."""
        deadline = time.monotonic() + self.config.interval
        while time.monotonic() < deadline:
            if w.ended():
                return
            for request in take_requests(self.config.work_dir):
                self.on_request(w.state, w.rollout, w.phase, request,
                                lambda result: self._record(w, result))
            if not processes.version_alive(w.rollout.canary):
                raise self._end(w, f"new version {w.rollout.canary.addr} exited during "
                                   f"{w.label}", time.monotonic())
            if w.phase.verify is not None:
                self.step_verified(w.phase.verify, w.label, w.measurements,
                                   lambda reason, detected: self._end(w, reason, detected))
            if time.monotonic() >= w.router_due:
                # a dead or frozen router is found within a second, not once an interval
                w.router_due = time.monotonic() + ROUTER_CHECK_S
                self._router_ok(w)
            time.sleep(POLL_S)

    def _router_ok(self, w: Watching) -> None:
        """The router checked (its notes said); a failed one rolls back."""
        health = self.router.check()
        self.noted(health.notes)
        if not health.ok:
            raise self._end(w, f"router failed during {w.label}: "
                               f"{'; '.join(health.problems)}", time.monotonic(),
                            cause="router")

    def _measure(self, w: Watching, reading: LogReading) -> Measurement:
        """One look: the window judged (against the baseline where the step compares, else by
        the limits), the rollout metrics on top; a blind window's failures count, nothing
        else does."""
        rollout, stable = w.rollout, w.state.stable
        assert stable is not None
        window = reading.window()
        w.stable_rows = self._stable_rows(window, rollout, stable)
        compared = comparison.compares(rollout, w.phase.stage.weight, w.phase.mode)
        if compared:
            m = comparison.look(window, rollout, stable, self.limits, self.config, w.run)
        else:
            m = analysis.judge(window.upstreams.get(rollout.canary.addr),
                               window.upstreams.get(stable.addr), self.limits,
                               carried=self.carried_rows(rollout.canary.commit))
        m = rollout_metrics.judge(
            m, self.metrics, rollout_metrics.Subject(rollout.canary.commit, rollout.canary.addr,
                                                  str(rollout.canary.release)),
            read=rollout_metrics.reader(self.config.pass_env),
            baseline=comparison.subject(rollout, stable) if compared else None)
        if reading.blind is not None and m.result != "failed":
            m = analysis.blind(reading.blind, m)
        return m

    def _stable_rows(self, window: analysis.LogWindow, rollout: Rollout,
                     stable: Version) -> analysis.PathTable | None:
        """The stable release's answers per path in ``window`` (its warm process and the fresh
        baseline alike), when it served enough to be a stable share (Limits.min_requests)."""
        rows: analysis.PathTable = {}
        served = 0
        for addr in (stable.addr, rollout.baseline.addr if rollout.baseline else None):
            seen = window.upstreams.get(addr) if addr else None
            if seen is not None:
                served += seen.requests
                analysis.fold_rows(rows, seen.paths)
        return rows if served >= max(1, self.limits.min_requests) else None

    def carried_rows(self, canary: str) -> analysis.PathTable | None:
        """Stable's answers per path carried for ``canary`` (this process's compared windows,
        else what a supervisor before it saved): the 100% step and the bake judge the canary's
        paths against them, so the absolute rule never loosens the comparison (case 464)."""
        if self._carried is None or self._carried[0] != canary:
            saved = load_carried(self.config.work_dir, canary)
            self._carried = None if saved is None else (canary, saved)
        return None if self._carried is None else self._carried[1]

    def _carry(self, w: Watching) -> None:
        """A committed window's stable rows join the carried ones, saved for the watch."""
        if w.stable_rows is None:
            return
        canary = w.rollout.canary.commit
        rows = self.carried_rows(canary)
        if rows is None:
            rows = {}
            self._carried = (canary, rows)
        analysis.fold_rows(rows, w.stable_rows)
        w.stable_rows = None
        save_carried(self.config.work_dir, canary, rows)

    def _blind_look(self, w: Watching, m: Measurement, reading: LogReading,
                    detected: float) -> bool:
        """Whether this look goes unjudged: blind (a pause, rolled back after
        ``blind_timeout``), or the first look after a blind stretch that found no failure (what
        the stretch hid is not judged)."""
        if reading.blind is not None and m.result != "failed":
            self.blind_window(w.state, w.rollout, w.label, w.blind, reading.blind, detected)
            blind_s = detected - (w.blind.since or detected)
            if blind_s >= self.config.blind_timeout:
                raise self._end(w, f"{w.label}: the analysis stayed blind for "
                                   f"{format_duration(blind_s)} (blind_timeout "
                                   f"{format_duration(self.config.blind_timeout)}): "
                                   f"{reading.blind}", detected, cause="blind")
            return True
        if w.blind.since is not None:
            self.sight_again(w.state, w.rollout, w.label, w.blind)
            if m.result != "failed":
                w.cursor.to_end()
                return True
        return False

    def _decide(self, w: Watching, m: Measurement, detected: float) -> bool:
        """What a judged look decides: True when the step passed; a rollback or a missed
        progress deadline raises :class:`Ended`; an inconclusive run pauses."""
        rollout, phase, label = w.rollout, w.phase, w.label
        if m.result != "inconclusive":
            w.cursor.commit()  # an inconclusive window grows until it has enough data
            self._carry(w)
        if phase.mode == "bake" or rollout.status == "paused":
            # Passed already, or waiting for a human: only failures still count.
            step = w.run.record(m.result) if m.result == "failed" else "measure"
        else:
            step = w.run.record(m.result)
        if step == "rollback":
            raise self._end(w, f"{label}: {'; '.join(m.reasons)}", detected)
        # the analysis passed: with each-step verify the step also waits for its run
        if phase.mode == "step" and step == "advance" and (
                phase.verify is None or phase.verify.passed):
            self._keep(w, done=True)
            self._record(w, "passed")
            return True
        if step == "pause" and rollout.status != "paused":
            self._pause(w, m)
        if phase.mode == "step" and \
                time.monotonic() - w.progress_from >= self.config.progress_deadline:
            raise self._end(w, f"{label}: no progress within the progress deadline "
                               f"({format_duration(self.config.progress_deadline)}; last: "
                               f"{'; '.join(m.reasons)})", detected,
                            cause="change" if w.run.failures else "no_progress")
        return False

    def _pause(self, w: Watching, m: Measurement) -> None:
        """Inconclusive too often: the rollout waits for a human, still watched."""
        rollout = w.rollout
        rollout.status = "paused"
        rollout.reason = (f"{w.label}: inconclusive {w.run.consecutive_inconclusive} times "
                          f"({'; '.join(m.reasons)})")
        self.save(w.state)
        self.out(f"[paused] {rollout.reason}; traffic stays at {w.phase.stage.weight}%, still "
                 f"watched: failures roll back, and without progress it rolls back "
                 f"{format_duration(self.config.progress_deadline)} after the step "
                 "began. `pyramid promote` or `pyramid abort` decide now.")

    def step_verified(self, checker: StepVerify, label: str,
                      measurements: list[dict[str, object]],
                      end: Callable[[str, float], Ended]) -> None:
        """Each-step: said once the step's run ended; a failed one rolls back at once, the
        run recorded with the step in the history (``pyramid history --id``). The one place
        the run is polled: what it finds is acted on here, in the same call."""
        if checker.outcome is not None:
            return  # acted on when it was found
        run = checker.poll()
        if run is None:
            return
        self.out(f"[verify] {run.summary()}")
        # recorded with the step either way: the history shows what each step's run found
        measurements.append({"verify": {"outcome": run.outcome, "verdict": run.verdict,
                                        "reasons": list(run.reasons)}})
        if not run.passed:
            raise end(f"{label}: {run.summary()}", time.monotonic())

    def carried(self, rollout: Rollout, phase: Watch, run: AnalysisRun) -> Progress:
        """What a resumed phase brings from the durable record: the seconds already watched
        (a bake's end moves that much closer, a step's progress deadline too), the step's
        successful measurements, and where the analysis window began (the stretch nobody
        watched is judged by the first measurement). A fresh phase brings nothing."""
        fresh = Progress(phase.mode, phase.stage.number)
        done = rollout.progress
        if done is None or (done.phase, done.stage) != (fresh.phase, fresh.stage):
            return fresh
        run.step_successes = done.successes
        if phase.until is not None:
            phase.until -= done.watched_s
        label = phase.stage.label if phase.mode == "step" else "bake"
        self.out(f"[resume] {label}: {format_duration(done.watched_s)} of it was already "
                 f"watched, {done.successes} successful measurement(s); the analysis goes on "
                 "from where its window began, the traffic nobody watched included")
        return done

    def blind_window(self, state: DeployState, rollout: Rollout, label: str,
                     blind: Blindness, why: str, detected: float) -> None:
        """The analysis cannot see: the rollout pauses at its weight (nothing advances, the
        bake does not end) until it sees again or ``blind_timeout`` rolls it back."""
        if blind.since is not None:
            return
        blind.since, blind.status, blind.reason = detected, rollout.status, rollout.reason
        rollout.status, rollout.reason = "paused", f"{label}: blind: {why}"
        self.save(state)
        self.out(f"[paused] {label}: the analysis is blind ({why}): traffic stays at "
                 f"{rollout.weight}% and nothing advances; still blind "
                 f"{format_duration(self.config.blind_timeout)} from now, it rolls back")

    def sight_again(self, state: DeployState, rollout: Rollout, label: str,
                    blind: Blindness) -> None:
        self.out(f"[resume] {label}: the analysis sees again after "
                 f"{format_duration(time.monotonic() - (blind.since or 0.0))} blind; "
                 "measurements start afresh from here")
        rollout.status, rollout.reason = blind.status, blind.reason
        blind.since = None
        self.save(state)

    def on_request(self, state: DeployState, rollout: Rollout, phase: Watch,
                   request: ControlRequest, record: Callable[[str], None]) -> None:
        work_dir = self.config.work_dir
        mismatch = self._mismatch(request, rollout)
        if mismatch:
            answer(work_dir, request, done=False, message=mismatch)
            return
        who = f" by {request.by}" if request.by else ""
        where = phase.stage.label if phase.mode == "step" else "bake"
        if request.action == "promote":
            if phase.mode == "bake":
                outcome = self.finish(state, rollout, f"bake ended early: promoted{who}")
                record("promote")
                answer(work_dir, request, done=True, message=outcome.reason)
                raise Ended(outcome)
            result = self.route({rollout.canary.addr: 100})
            record("promote")
            if not result.ok:
                answer(work_dir, request, done=False, message=f"router: {result.message}")
                raise Ended(self.stuck(state, rollout, f"promotion failed: {result.message}",
                                       None))
            self.out(f"[promote] promoted{who} at {where}: 100% on {rollout.canary.addr}")
            answer(work_dir, request, done=True,
                   message=f"promoted{who}: 100% on the new version"
                           + (f", baking for {format_duration(self.config.bake)}"
                              if self.config.bake > 0 else ""))
            # The remaining steps are skipped; the bake (the safety net) still follows.
            raise _Promoted(f"promoted{who} at {where}"
                            + ("; the bake passed" if self.config.bake > 0 else ""))
        verb = "aborted" if request.action == "abort" else "rolled back"
        ended = Ended(self.rollback(state, rollout, f"{verb}{who} at {where}", time.monotonic(),
                                    outcome="aborted"))
        record(request.action)
        answer(work_dir, request, done=state.rollout is None, message=ended.outcome.reason)
        raise ended

    # -- after a crash, or by hand ------------------------------------------------------------
    def settle(self, state: DeployState, *, action: str, why: str,
               cause: str = "change") -> Outcome:
        """End a rollout no deploy process watches any more, from the router's real state.

        ``action`` is "abort"/"rollback" (stable back to 100%) or "promote" (the new version
        takes over). A rollout caught while promoting is finished; a dead stable is never
        routed to; a version that never had traffic is simply stopped."""
        rollout = state.rollout
        assert rollout is not None
        actual = self.router.actual()
        seen = describe(actual.weights) if actual else "nothing (router not running)"
        self.out(f"[reconcile] rollout #{rollout.id} of {rollout.commit[:12]} was "
                 f"{rollout.status} at {rollout.weight}%; the router actually serves {seen}")
        exposed = parse_iso(rollout.exposed_at) if rollout.exposed_at else None
        served = actual is not None and rollout.canary.addr in actual.weights
        if rollout.status == "rolling_back" and rollout.ending:
            return self._finish_decided(state, rollout, why)
        if exposed is None and not served:
            processes.stop(rollout.canary, self.config.stop_timeout, self.registry)
            comparison.stop_baseline(self, rollout, drain=False)
            state.rollout = None
            self.save(state)
            self.answer_all(rollout, f"rollout #{rollout.id} ended (aborted) before acting")
            return Outcome(1, "aborted", f"{why}; the new version never received traffic and "
                                         "was stopped")
        stable_ok = self.healthy(state.stable)
        canary_ok = self.healthy(rollout.canary)
        if (action == "promote" or rollout.status == "promoting") and canary_ok:
            return self.finish(state, rollout, f"{why}; the new version took over")
        if stable_ok:
            return self.rollback(state, rollout, why, time.monotonic(), outcome="aborted",
                                 cause=cause)
        if rollout.ending:
            # its rollback was decided (hostile case 424: stuck since, the stable dead): a
            # canary its analysis failed never takes over; the decision is finished, through
            # the last good release started again, with its own outcome and cause
            return self._finish_decided(state, rollout, why)
        if canary_ok:
            # The stable version died: the new one serving everything is a rescue, not a success.
            outcome = self.finish(state, rollout, f"{why}; stable is not healthy, so the new "
                                                  "version took over")
            return Outcome(1, "aborted", outcome.reason, exposed_at=exposed, cause="stable") \
                if outcome.outcome == "succeeded" else outcome
        return self.stuck(state, rollout, f"{why}; neither version is healthy", exposed, cause)

    def _finish_decided(self, state: DeployState, rollout: Rollout, why: str) -> Outcome:
        """A rollout found rolling back whose decision was recorded: the rollback it began
        is finished with that decision's outcome and cause (a change failure stays one
        whoever finishes its drain); stuck as any rollback when stable cannot serve."""
        self.out(f"[reconcile] rollout #{rollout.id} was rolling back ({rollout.ending}, "
                 f"cause {rollout.ending_cause}): {rollout.ending_reason}; finishing it")
        reason = f"{rollout.ending_reason} (the rollback was finished after: {why})"
        return self.rollback(state, rollout, reason, time.monotonic(),
                             outcome=rollout.ending, cause=rollout.ending_cause)

    def revert(self, state: DeployState, *, who: str) -> Outcome:
        """`pyramid rollback` with no rollout under way: the version that completed a deploy
        before the current one gets all traffic again, started from its release folder."""
        current, previous = state.stable, state.previous
        if previous is None:
            return Outcome(1, "refused", "no earlier version is recorded to roll back to (the "
                                         "first deployment, a rollback, or `pyramid stop` "
                                         "clears it)")
        detected = time.monotonic()
        self.out(f"[rollback] back to {previous.commit[:12]}{who}, from its release folder")
        target = previous if self.healthy(previous) else None
        if target is None:
            try:
                target = self.start_again(previous, deployment_id=previous.deployment_id)
            except (StartError, releases.ReleaseError) as exc:
                return Outcome(1, "aborted", f"the previous version failed to start: {exc}; "
                                             "the current version keeps serving")
        refused = self._check_target(current, target)
        if refused is not None:
            if target is not previous:
                self.stop_after_drain(target, "the rollback target")
            return Outcome(1, "aborted", f"{refused}; the current version keeps serving")
        result = self.route({target.addr: 100})
        ok, why = self.verified() if result.ok else (False, result.message)
        if not ok:
            processes.stop(target, self.config.stop_timeout, self.registry)
            return Outcome(1, "aborted", f"router: {why}; the current version keeps serving")
        restored = now_utc()
        rollback_s = time.monotonic() - detected
        if current is not None and current.pid != target.pid:
            self.stop_after_drain(current, "the reverted version")
        state.stable = target
        state.previous = None
        self.save(state)
        reverted = f" from {current.commit[:12]}" if current else ""
        self.out(f"[rollback] {target.commit[:12]} serves 100% at {self.router.url}, verified "
                 f"in {format_duration(rollback_s)}")
        return Outcome(0, "succeeded", f"rolled back{who}{reverted} to {target.commit[:12]}",
                       rollback_s, restored_at=restored)

    def _check_target(self, current: Version | None, target: Version) -> str | None:
        """A rollback target is smoke-probed, then (while the current version is healthy)
        judged on the first step's share of real traffic before it gets all of it."""
        problem = first_step.smoke(self, target)
        if problem is not None or current is None or current.pid == target.pid or \
                not self.healthy(current):
            return problem
        weight = self.config.steps[0] if self.config.steps[0] < 100 else 50
        result = self.route(split(current.addr, target.addr, weight))
        if not result.ok:
            return f"router: {result.message}"
        self.out(f"[rollback] {describe(split(current.addr, target.addr, weight))}: the "
                 "target is judged on real traffic before it gets all of it")
        judged = first_step.judge_alone(self, target, f"rollback target {weight}%")
        if judged.result != "failed":
            return None
        back = self.route({current.addr: 100})
        return f"the rollback target failed its analysis: {judged.reason}" + (
            "" if back.ok else f"; router: {back.message}")


class _Promoted(Exception):  # control flow
    """A human promoted during a step: skip to the bake."""
