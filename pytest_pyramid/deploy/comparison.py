"""``judge = "nonparametric"``: the fresh baseline and the comparison of each look (issue 23 §2).

A long-running stable process is warm (caches, JIT, connection pools) and a new one is not, so
comparing a fresh canary with it blames the canary for being new. The rollout therefore starts
a **fresh baseline**: a new process of the stable release, started like the canary, which gets
the same weight as the canary while the stable process serves the rest (at a step above 50% the
baseline gets what the canary leaves). Each look reads the router's access log for the window,
gives :func:`pytest_pyramid.deploy.nonparametric.judge` the per-request latencies and errors of
canary and baseline, and records every number of the look.

The threshold limits still hold beside it: a canary that breaks them fails the look whatever the
comparison says. A look passes only when the comparison shows the canary no worse; below
``judge_min_samples`` on a side it is inconclusive, never a pass. At 100% (the last step, the
bake) nothing is left to compare with: the threshold limits judge alone.

The baseline is in the rollout's durable record, so whoever ends the rollout (promotion,
rollback, abort, a resumed supervisor, ``pyramid abort``, ``pyramid stop``) stops it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from pytest_pyramid.deploy import nonparametric, processes
from pytest_pyramid.deploy.analysis import Limits, LogWindow, Measurement, UpstreamStats, judge
from pytest_pyramid.deploy.history import iso, now_utc
from pytest_pyramid.deploy.processes import StartError, Version
from pytest_pyramid.deploy.strategies import split
from pytest_pyramid.durations import format_duration

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pytest_pyramid.deploy.analysis import AnalysisRun
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.processes import Registry
    from pytest_pyramid.deploy.state import Rollout

class Deployer(Protocol):
    """What of the rollout's Deployer the baseline's start and stop use (rollout.py imports
    this module, not the other way round)."""

    config: DeployConfig
    registry: Registry

    def out(self, line: str) -> None: ...

    def release_for(self, commit: str) -> Path: ...

    def stop_after_drain(self, version: Version, role: str) -> None: ...


#: the access log's latencies are in milliseconds ($upstream_response_time)
LOG_RESOLUTION_S = 0.001


def settings(config: DeployConfig) -> nonparametric.Settings:
    return nonparametric.Settings(
        alpha=config.judge_alpha, looks=config.judge_looks,
        min_samples=config.judge_min_samples, max_shift=config.judge_max_shift,
        resolution=LOG_RESOLUTION_S)


def weights(stable: str, baseline: str | None, canary: str, weight: int) -> dict[str, int]:
    """The canary's ``weight``, the baseline as much (at most what is left), stable the rest;
    without a baseline, the plain split."""
    if baseline is None:
        return split(stable, canary, weight)
    share = min(weight, 100 - weight)
    parts = {stable: 100 - weight - share, baseline: share, canary: weight}
    return {addr: w for addr, w in parts.items() if w > 0}


def compares(rollout: Rollout, weight: int, mode: str) -> bool:
    """Whether the baseline has traffic in this phase (a step below 100%)."""
    return rollout.baseline is not None and mode == "step" and 0 < weight < 100


def start_baseline(deployer: Deployer, rollout: Rollout, stable: Version) -> Version:
    """A new process of the stable release, healthy, in the rollout's record before its health
    check (so nothing leaks if the deploy dies meanwhile). Raises StartError / ReleaseError."""
    config = deployer.config
    release = deployer.release_for(stable.commit)
    baseline = processes.start(
        stable.command or config.command, commit=stable.commit, release=release,
        log_dir=config.work_dir / "logs", registry=deployer.registry,
        started_at=iso(now_utc()), deployment_id=rollout.id)
    rollout.baseline = baseline
    deployer.out(f"[baseline] fresh {stable.commit[:12]} (the stable release) on {baseline.addr} "
                 f"(pid {baseline.pid}): the canary is compared with it, not with the warm "
                 f"stable {stable.addr}")
    try:
        seconds = processes.wait_healthy(baseline, config.health_path, config.health_timeout)
    except StartError:
        stop_baseline(deployer, rollout, drain=False)
        raise
    deployer.out(f"[baseline] {baseline.addr} healthy after {format_duration(seconds)}")
    return baseline


def stop_baseline(deployer: Deployer, rollout: Rollout, *, drain: bool = True) -> None:
    """Stop the rollout's baseline, if it has one (after the router drained, when it had
    traffic) and forget it."""
    baseline = rollout.baseline
    if baseline is None:
        return
    if drain:
        deployer.stop_after_drain(baseline, "the baseline")
    elif not processes.stop(baseline, deployer.config.stop_timeout, deployer.registry):
        deployer.out(f"[stop] the baseline {baseline.addr} (pid {baseline.pid}) is STILL RUNNING")
    rollout.baseline = None
    deployer.out(f"[baseline] {baseline.addr} stopped")


def look(
    window: LogWindow, rollout: Rollout, stable: Version, limits: Limits,
    config: DeployConfig, run: AnalysisRun,
) -> Measurement:
    """One look of the rollout: its baseline must still run to be compared with."""
    assert rollout.baseline is not None
    if not processes.version_alive(rollout.baseline):
        seen = judge(window.upstreams.get(rollout.canary.addr),
                     window.upstreams.get(stable.addr), limits)
        if seen.result == "failed":
            return seen
        why = f"the baseline {rollout.baseline.addr} exited: nothing to compare with"
        return replace(seen, result="inconclusive", reasons=(why,))
    return judged(window, rollout.canary.addr, rollout.baseline.addr, stable.addr, limits,
                  settings(config), run)


def judged(
    window: LogWindow, canary_addr: str, baseline_addr: str, stable_addr: str, limits: Limits,
    chosen: nonparametric.Settings, run: AnalysisRun,
) -> Measurement:
    """The threshold limits on the canary, then the comparison with the baseline: the
    threshold's failure wins; otherwise the comparison decides (a pass comes only from it).
    A look with ``min_samples`` on both sides spends its share of alpha (``run.looks``)."""
    canary = window.upstreams.get(canary_addr) or UpstreamStats()
    baseline = window.upstreams.get(baseline_addr) or UpstreamStats()
    limited = judge(canary, window.upstreams.get(stable_addr), limits)
    tested = min(canary.requests, baseline.requests) >= chosen.min_samples
    number = run.looks + 1
    result = nonparametric.judge(
        nonparametric.Side(canary.latencies, canary.errors),
        nonparametric.Side(baseline.latencies, baseline.errors), chosen, look=number)
    if tested:
        run.looks = number
    if limited.result == "failed":
        return replace(limited, comparison=result.as_dict())
    return replace(limited, result=result.decision, reasons=result.reasons,
                   comparison=result.as_dict())


def describe(numbers: Mapping[str, object]) -> str:
    """The look's numbers on one line: n per side, shift with interval, tail, p-values."""

    def ms(key: str) -> str:
        value = numbers.get(key)
        return "n/a" if not isinstance(value, float) else f"{value * 1000:+.1f}ms"

    def share(key: str, digits: int = 1) -> str:
        value = numbers.get(key)
        return "n/a" if not isinstance(value, float) else f"{value:.{digits}%}"

    def p(key: str) -> str:
        value = numbers.get(key)
        return "n/a" if not isinstance(value, float) else f"{value:.2g}"

    alpha = numbers.get("alpha_latency")
    return (f"look {numbers.get('look')}: canary n={numbers.get('n_canary')}, baseline "
            f"n={numbers.get('n_baseline')}; shift {ms('shift')} [{ms('shift_low')}, "
            f"{ms('shift_high')}] p={p('p_latency')}; tail {share('tail_canary')} vs "
            f"{share('tail_baseline')} p={p('p_tail')}; errors {share('errors_canary', 2)} vs "
            f"{share('errors_baseline', 2)} p={p('p_errors')}; alpha latency "
            f"{alpha if not isinstance(alpha, float) else f'{alpha:.2g}'}")

