"""A rollout: start the new version, shift traffic stage by stage, judge, promote or roll back."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_pyramid.deploy import analysis, processes
from pytest_pyramid.deploy.analysis import AnalysisRun, Limits, Measurement
from pytest_pyramid.deploy.history import History, iso, now_utc
from pytest_pyramid.deploy.processes import StartError, Version
from pytest_pyramid.deploy.state import DeployState, Rollout, load_state, save_state, take_action
from pytest_pyramid.deploy.strategies import Stage, describe, plan, split
from pytest_pyramid.durations import format_duration

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.routers import Router


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    outcome: str
    reason: str
    rollback_s: float | None = None
    client_failed_fraction: float | None = None


def read_log(path: Path | None, offset: int) -> tuple[list[str], int]:
    """Complete lines appended since ``offset``; raises OSError when the log cannot be read."""
    if path is None:
        raise OSError("the router has no access log to analyse")
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n") + 1
    return data[:end].decode("utf-8", "replace").splitlines(), offset + end


def log_size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path is not None else 0
    except OSError:
        return 0


def fmt_rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def fmt_ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.0f}ms"


class Deployer:
    def __init__(
        self, config: DeployConfig, router: Router, history: History,
        out: Callable[[str], None] = lambda line: print(line, flush=True),
    ) -> None:
        self.config = config
        self.router = router
        self.history = history
        self.out = out
        self.limits = Limits(
            error_rate=config.error_rate_limit, p95=config.p95_limit,
            min_requests=config.min_requests, compare_with_stable=config.compare_with_stable,
            max_p95_ratio=config.max_p95_ratio, max_error_rate_delta=config.max_error_rate_delta,
        )

    # -- small helpers ---------------------------------------------------------------------
    def state(self) -> DeployState:
        return load_state(self.config.state_path)

    def save(self, state: DeployState) -> None:
        save_state(self.config.state_path, state)

    def healthy(self, version: Version | None) -> bool:
        if version is None or not processes.version_alive(version):
            return False
        return processes.http_ok(f"http://{version.addr}{self.config.health_path}", 2.0)[0]

    def _client_failures(self, start_offset: int) -> float | None:
        try:
            lines, _ = read_log(self.router.log_path, start_offset)
        except OSError:
            return None
        window = analysis.parse_lines(lines)
        if not window.client_requests:
            return None
        return window.client_errors / window.client_requests

    def describe_measurement(self, stage: Stage, n: int, m: Measurement) -> str:
        limits = self.limits
        return (
            f"[{stage.label} {stage.weight}%] measurement {n}: {m.requests} req, "
            f"errors {fmt_rate(m.error_rate)} (limit {fmt_rate(limits.error_rate)}), "
            f"p95 {fmt_ms(m.p95)} (limit {fmt_ms(limits.p95)}) -> {m.result.upper()}"
            + ("" if m.result == "successful" else f": {'; '.join(m.reasons)}")
        )

    # -- traffic moves -----------------------------------------------------------------------
    def restore(self, stable: Version, health_path: str) -> tuple[bool, str, float]:
        """All traffic to ``stable`` in one reload, verified by a request through the router."""
        started = time.monotonic()
        result = self.router.apply({stable.addr: 100})
        if not result.ok:
            return False, result.message, time.monotonic() - started
        ok, why = processes.http_ok(f"{self.router.url}{health_path}", 2.0)
        message = "traffic restored" if ok else f"router answers {why}"
        return ok, message, time.monotonic() - started

    def rollback(
        self, state: DeployState, rollout: Rollout, reason: str, detected: float
    ) -> Outcome:
        """Breach detected at monotonic ``detected``: stable back to 100%, canary stopped."""
        assert state.stable is not None
        self.out(f"[rollback] {reason}")
        ok, message, _ = self.restore(state.stable, self.config.health_path)
        rollback_s = time.monotonic() - detected
        if not ok:
            rollout.status = "stuck"
            rollout.reason = f"rollback failed: {message}"
            self.save(state)
            self.out(f"[rollback] FAILED after {format_duration(rollback_s)}: {message}; both "
                     "versions left running; fix the router, then run `pyramid abort`")
            return Outcome(1, "aborted", f"{reason}; rollback failed: {message}")
        processes.stop(rollout.canary, self.config.stop_timeout)
        self.out(f"[rollback] all traffic on stable {state.stable.addr} "
                 f"({state.stable.commit[:12]}), verified in {format_duration(rollback_s)}; "
                 f"canary {rollout.canary.addr} stopped")
        state.rollout = None
        self.save(state)
        return Outcome(1, "rolled_back", reason, rollback_s)

    def promote(self, state: DeployState, rollout: Rollout, reason: str) -> Outcome:
        old = state.stable
        rollout.status = "promoting"
        self.save(state)
        actual = self.router.actual()
        if actual is None or actual.weights != {rollout.canary.addr: 100}:
            result = self.router.apply({rollout.canary.addr: 100})
            if not result.ok:
                rollout.status = "stuck"
                rollout.reason = f"promotion failed: {result.message}"
                self.save(state)
                return Outcome(1, "aborted", rollout.reason)
        state.stable = rollout.canary
        state.rollout = None
        self.save(state)
        if old is not None and old.pid != rollout.canary.pid:
            processes.stop(old, self.config.stop_timeout)
        self.out(f"[done] {rollout.canary.commit[:12]} serves 100% at {self.router.url} "
                 f"({reason})")
        return Outcome(0, "succeeded", reason)

    # -- the rollout -------------------------------------------------------------------------
    def start_version(self, commit: str) -> Version:
        if not self.config.command:
            raise StartError("no command to start a version: set [tool.pyramid.deploy] command")
        release = Path(self.config.release_dir.format(work_dir=self.config.work_dir,
                                                      commit=commit))
        if not release.is_absolute():
            release = self.config.root / release
        version = processes.start(
            self.config.command, commit=commit, release=release,
            log_dir=self.config.work_dir / "logs", cwd=self.config.root,
        )
        self.out(f"[start] {commit[:12]} on {version.addr} (pid {version.pid}), waiting for "
                 f"{self.config.health_path}")
        try:
            seconds = processes.wait_healthy(version, self.config.health_path,
                                             self.config.health_timeout)
        except StartError:
            processes.stop(version, self.config.stop_timeout)
            raise
        self.out(f"[start] {version.addr} healthy after {format_duration(seconds)}")
        return version

    def initial(self, state: DeployState, commit: str, why: str) -> Outcome:
        """No healthy stable version: nothing to compare with, so start and route 100%."""
        try:
            version = self.start_version(commit)
        except StartError as exc:
            return Outcome(1, "aborted", f"new version failed to start: {exc}")
        running = self.router.actual() is not None
        result = (self.router.apply if running else self.router.ensure_running)(
            {version.addr: 100})
        if not result.ok:
            processes.stop(version, self.config.stop_timeout)
            return Outcome(1, "aborted", f"router: {result.message}")
        old = state.stable
        state.stable = version
        self.save(state)
        if old is not None:
            processes.stop(old, self.config.stop_timeout)
        self.out(f"[done] {commit[:12]} serves 100% at {self.router.url} ({why})")
        return Outcome(0, "succeeded", why)

    def run(
        self, *, deployment_id: int, commit: str, strategy: str, redeploy: bool = False
    ) -> Outcome:
        """``redeploy``: roll the commit out again as a canary even when it is already stable
        (a new start command or environment is a new release of the same code)."""
        state = self.state()
        if not redeploy and state.stable is not None and state.stable.commit == commit and \
                self.healthy(state.stable):
            return Outcome(0, "succeeded", f"{commit[:12]} is already the stable version")
        if not self.healthy(state.stable):
            why = ("first deployment: no stable version to compare with" if state.stable is None
                   else f"stable {state.stable.addr} is not healthy: replaced without a canary")
            self.out(f"[deploy] {why}")
            return self.initial(state, commit, why)
        assert state.stable is not None
        boot = self.router.ensure_running({state.stable.addr: 100})
        if not boot.ok:
            return Outcome(1, "aborted", f"router: {boot.message}")
        try:
            canary = self.start_version(commit)
        except StartError as exc:
            return Outcome(1, "aborted", f"new version failed its health check: {exc}; stable "
                                         f"{state.stable.addr} kept all traffic")
        if strategy == "blue-green":
            for path in self.config.smoke_paths or (self.config.health_path,):
                ok, why = processes.http_ok(f"http://{canary.addr}{path}", 5.0)
                self.out(f"[smoke] {canary.addr}{path}: {why}")
                if not ok:
                    processes.stop(canary, self.config.stop_timeout)
                    return Outcome(1, "aborted", f"smoke check {path} failed ({why}); stable "
                                                 "kept all traffic")
        rollout = Rollout(deployment_id, commit, strategy, canary, started_at=iso(now_utc()))
        state.rollout = rollout
        self.save(state)
        return self.stages(state, rollout, start_stage=0)

    def stages(self, state: DeployState, rollout: Rollout, *, start_stage: int) -> Outcome:
        assert state.stable is not None
        stable = state.stable
        stages = plan(rollout.strategy, self.config.steps)
        run = AnalysisRun(
            failure_limit=self.config.failure_limit,
            consecutive_error_limit=self.config.consecutive_error_limit,
            inconclusive_limit=self.config.inconclusive_limit,
            measurements_per_step=self.config.measurements,
        )
        rollout_log_start = log_size(self.router.log_path)
        for stage in stages[start_stage:]:
            weights = split(stable.addr, rollout.canary.addr, stage.weight)
            result = self.router.apply(weights)
            if not result.ok:
                self.out(f"[{stage.label} {stage.weight}%] router: {result.message}")
                detected = time.monotonic()
                outcome = self.rollback(state, rollout, f"router failed at {stage.label}: "
                                                        f"{result.message}", detected)
                return Outcome(1, "aborted", outcome.reason, outcome.rollback_s,
                               self._client_failures(rollout_log_start))
            rollout.stage, rollout.weight = stage.number - 1, stage.weight
            self.save(state)
            self.out(f"[{stage.label}] {describe(weights)} (generation {result.generation}, "
                     f"applied in {format_duration(result.seconds)})")
            verdict = self.analyse(state, rollout, stage, run, switched=time.monotonic())
            if verdict is not None:
                fraction = self._client_failures(rollout_log_start)
                if fraction is not None:
                    self.out(f"[rollout] failed client requests during the rollout: "
                             f"{fraction:.2%}")
                return Outcome(verdict.exit_code, verdict.outcome, verdict.reason,
                               verdict.rollback_s, fraction)
        outcome = self.promote(state, rollout, "every stage passed its analysis")
        return Outcome(outcome.exit_code, outcome.outcome, outcome.reason,
                       client_failed_fraction=self._client_failures(rollout_log_start))

    def analyse(
        self, state: DeployState, rollout: Rollout, stage: Stage, run: AnalysisRun,
        switched: float,
    ) -> Outcome | None:
        """Measure until the stage passes (None) or the rollout ends (an Outcome)."""
        assert state.stable is not None
        run.new_step()
        started_at = now_utc()
        offset = log_size(self.router.log_path)
        measurements: list[dict[str, object]] = []
        n = 0
        # Blue-green keeps the old stack until the delay is over, so a late breach is instant.
        hold_until = switched + (self.config.scale_down_delay
                                 if rollout.strategy == "blue-green" else 0.0)
        passed = False
        while True:
            deadline = time.monotonic() + self.config.interval
            while time.monotonic() < deadline:
                action = take_action(self.config.work_dir)
                if action is not None:
                    return self.manual(state, rollout, stage, action, measurements, started_at)
                if not processes.version_alive(rollout.canary):
                    detected = time.monotonic()
                    reason = f"canary {rollout.canary.addr} exited during {stage.label}"
                    self.history.add_step(rollout.id, idx=stage.number, weight=stage.weight,
                                          started_at=started_at, result="failed",
                                          measurements=measurements)
                    return self.rollback(state, rollout, reason, detected)
                time.sleep(0.05)
            n += 1
            try:
                lines, new_offset = read_log(self.router.log_path, offset)
                window = analysis.parse_lines(lines)
                m = analysis.judge(window.upstreams.get(rollout.canary.addr),
                                   window.upstreams.get(state.stable.addr), self.limits)
            except OSError as exc:
                m = analysis.measurement_error(f"cannot read the access log: {exc}")
                new_offset = offset
            detected = time.monotonic()
            measurements.append({"n": n, "at": iso(now_utc()), **m.as_dict()})
            self.out(self.describe_measurement(stage, n, m))
            if m.result != "inconclusive":
                offset = new_offset  # an inconclusive window grows until it has enough data
            if not passed:
                step = run.record(m.result)
            else:  # stage already passed: only a failure during the hold still counts
                step = run.record("failed") if m.result == "failed" else "measure"
            if step == "rollback":
                self.history.add_step(rollout.id, idx=stage.number, weight=stage.weight,
                                      started_at=started_at, result="failed",
                                      measurements=measurements)
                why = "; ".join(m.reasons)
                return self.rollback(state, rollout, f"{stage.label} at {stage.weight}%: {why}",
                                     detected)
            if step == "pause":
                self.history.add_step(rollout.id, idx=stage.number, weight=stage.weight,
                                      started_at=started_at, result="inconclusive",
                                      measurements=measurements)
                rollout.status = "paused"
                rollout.reason = (f"{stage.label} at {stage.weight}%: inconclusive "
                                  f"{run.consecutive_inconclusive} times ({'; '.join(m.reasons)})")
                self.save(state)
                self.out(f"[paused] {rollout.reason}; traffic stays at {stage.weight}%. "
                         "Run `pyramid promote` or `pyramid abort`.")
                return Outcome(2, "paused", rollout.reason)
            if step == "advance":
                passed = True
            if passed and time.monotonic() >= hold_until:
                self.history.add_step(rollout.id, idx=stage.number, weight=stage.weight,
                                      started_at=started_at, result="passed",
                                      measurements=measurements)
                return None

    def manual(
        self, state: DeployState, rollout: Rollout, stage: Stage, action: tuple[str, str],
        measurements: list[dict[str, object]], started_at: datetime,
    ) -> Outcome:
        verb, by = action
        self.history.add_step(rollout.id, idx=stage.number, weight=stage.weight,
                              started_at=started_at, result=verb, measurements=measurements)
        who = f" by {by}" if by else ""
        if verb == "promote":
            return self.promote(state, rollout, f"promoted{who} at {stage.label}")
        outcome = self.rollback(state, rollout, f"aborted{who} at {stage.label}",
                                time.monotonic())
        return Outcome(1, "aborted", outcome.reason, outcome.rollback_s)

    # -- after a crash, or by hand --------------------------------------------------------------
    def settle(self, state: DeployState, *, action: str, why: str) -> Outcome:
        """End an unfinished rollout whose deploy process is gone, from the router's real state.

        ``action`` is "abort" (stable back to 100%) or "promote" (the canary takes over). A
        rollout caught mid-promotion is finished, and a dead stable is never routed to."""
        rollout = state.rollout
        assert rollout is not None
        actual = self.router.actual()
        seen = describe(actual.weights) if actual else "nothing (router not running)"
        self.out(f"[reconcile] rollout {rollout.id} of {rollout.commit[:12]} was {rollout.status} "
                 f"at {rollout.weight}%; the router actually serves {seen}")
        stable_ok = self.healthy(state.stable)
        canary_ok = self.healthy(rollout.canary)
        if actual is None:
            target = state.stable if stable_ok else rollout.canary if canary_ok else None
            if target is not None:
                boot = self.router.ensure_running({target.addr: 100})
                if not boot.ok:
                    return Outcome(1, "aborted", f"{why}; router: {boot.message}")
        wants_canary = action == "promote" or rollout.status == "promoting" or not stable_ok
        if wants_canary and canary_ok:
            finishing = action == "promote" or rollout.status == "promoting"
            outcome = self.promote(state, rollout, f"{why}; the new version took over")
            if outcome.outcome != "succeeded" or finishing:
                return outcome
            # The stable version died: the canary serving everything is a rescue, not a success.
            return Outcome(1, "aborted", outcome.reason)
        if stable_ok:
            outcome = self.rollback(state, rollout, why, time.monotonic())
            return Outcome(1, "aborted", outcome.reason, outcome.rollback_s)
        rollout.status = "stuck"
        rollout.reason = f"{why}; neither version is healthy"
        self.save(state)
        return Outcome(1, "aborted", rollout.reason)

