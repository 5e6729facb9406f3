"""``judge = "nonparametric"``: the fresh baseline and the comparison of each look (issue 23 §2).

A long-running stable process is warm (caches, JIT, connection pools) and a new one is not, so
comparing a fresh canary with it blames the canary for being new. The rollout therefore starts
a **fresh baseline**: a new process of the stable release, started like the canary, which gets
the same weight as the canary while the stable process serves the rest. Only a step of at most
50% can give both the same weight: the comparison ends there, the baseline is stopped, and the
steps above 50% are judged by the threshold limits (``past_equal_weights`` says why). Each look
reads the router's access log for the window, gives
:func:`pytest_pyramid.deploy.nonparametric.judge` the per-request latencies and errors of canary
and baseline, and records every number of the look, with the weights it compared.

The threshold limits still hold beside it: a canary that breaks them fails the look whatever the
comparison says. A look passes only when the comparison shows the canary no worse; below
``judge_min_samples`` on a side it is inconclusive, never a pass. At 100% (the last step, the
bake), and at the steps above 50%, the threshold limits judge alone.

The baseline is in the rollout's durable record, so whoever ends the rollout (promotion,
rollback, abort, a resumed supervisor, ``pyramid abort``, ``pyramid stop``) stops it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from pytest_pyramid.deploy import nonparametric, processes, rollout_metrics
from pytest_pyramid.deploy.analysis import (
    Limits,
    LogWindow,
    Measurement,
    UpstreamStats,
    judge,
    unknown_rejected,
)
from pytest_pyramid.deploy.processes import StartError, Version
from pytest_pyramid.deploy.strategies import EQUAL_MAX, compared_phase, planned_looks, split
from pytest_pyramid.durations import format_duration

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from pytest_pyramid.deploy.analysis import AnalysisRun
    from pytest_pyramid.deploy.config import DeployConfig
    from pytest_pyramid.deploy.processes import Registry
    from pytest_pyramid.deploy.state import DeployState, Rollout

class Deployer(Protocol):
    """What of the rollout's Deployer the baseline's start and stop use (rollout.py imports
    this module, not the other way round)."""

    config: DeployConfig
    registry: Registry

    def out(self, line: str) -> None: ...

    def release_for(self, commit: str) -> Path: ...

    def start_again(self, version: Version, *, deployment_id: int | None,
                    started: Callable[[Version], None] | None = None) -> Version: ...

    def stop_after_drain(self, version: Version, role: str) -> None: ...

    def save(self, state: DeployState) -> None: ...


#: the access log's latencies are in milliseconds ($upstream_response_time)
LOG_RESOLUTION_S = 0.001


def settings(config: DeployConfig) -> nonparametric.Settings:
    return nonparametric.Settings(
        alpha=config.judge_alpha, looks=config.judge_looks,
        min_samples=config.judge_min_samples, max_shift=config.judge_max_shift,
        resolution=LOG_RESOLUTION_S)




def weights(stable: str, baseline: str | None, canary: str, weight: int) -> dict[str, int]:
    """The canary's ``weight``, the baseline as much, stable the rest; without a baseline, or
    above 50% where the baseline cannot get as much, the plain split (the baseline gets
    nothing: it is not compared with there)."""
    if baseline is None or weight > EQUAL_MAX:
        return split(stable, canary, weight)
    parts = {stable: 100 - 2 * weight, baseline: weight, canary: weight}
    return {addr: w for addr, w in parts.items() if w > 0}


def compares(rollout: Rollout, weight: int, mode: str) -> bool:
    """Whether this phase is compared: a step of at most 50%, the baseline at its weight."""
    return rollout.baseline is not None and compared_phase(weight, mode)


def spent(rollout: Rollout, config: DeployConfig) -> dict[str, object] | None:
    """What the judge spent of the rollout's plan so far (``pyramid status``): the looks in
    its durable record against ``judge_looks``, the alpha against ``judge_alpha`` (None: no
    comparison judges this deploy)."""
    if config.judge != "nonparametric":
        return None
    return {"looks": rollout.looks, "judge_looks": config.judge_looks,
            "alpha_spent": rollout.alpha_spent, "judge_alpha": config.judge_alpha}


def describe_spent(numbers: Mapping[str, object]) -> str:
    """``spent`` on one line: looks k of K, alpha spent x of y."""
    alpha, of = numbers.get("alpha_spent"), numbers.get("judge_alpha")
    shares = (f"{alpha:.2g} of {of:g}" if isinstance(alpha, float) and isinstance(of, float)
              else f"{alpha} of {of}")
    return f"looks: {numbers.get('looks')} of {numbers.get('judge_looks')}, alpha spent {shares}"


def past_equal_weights(deployer: Deployer, state: DeployState, rollout: Rollout,
                       weight: int, label: str) -> None:
    """A step above 50% (its weights already routed, the baseline's share gone): the
    comparison is over, so the baseline is stopped once the router drained it.

    Why not compare on: a process given three times the traffic of another is slower for the
    load alone, so a 75% canary against a 25% baseline would be blamed for its weight (false
    rollbacks beyond alpha); and the baseline's requests of the 50% step were served at another
    time and another load, so reusing them compares two moments, not two releases. The steps
    above 50% and the bake are judged by the threshold limits (and compare_with_stable, and
    the rollout metrics), as the judge's 100% always was."""
    if rollout.baseline is None or weight <= EQUAL_MAX:
        return
    deployer.out(f"[judge] {label} {weight}%: above {EQUAL_MAX}% the baseline cannot get the "
                 f"canary's weight, so the comparison ends here ({rollout.looks} look(s), alpha "
                 f"spent {rollout.alpha_spent:.2g}); this step and the rest are judged by the "
                 "threshold limits")
    stop_baseline(deployer, rollout)
    deployer.save(state)


def subject(rollout: Rollout, stable: Version) -> rollout_metrics.Subject | None:
    """The fresh baseline as a metric reads it: the stable release's commit, its own address."""
    if rollout.baseline is None:
        return None
    return rollout_metrics.Subject(stable.commit, rollout.baseline.addr, str(stable.release))


def carry_looks(deployer: Deployer, state: DeployState, rollout: Rollout,
                run: AnalysisRun) -> None:
    """The looks the rollout already spent (its durable record) come into ``run``, and each new
    look is written to the state before its tests run: a supervisor killed and resumed goes on
    at the next look with the alpha that is left, so the rollout never spends more than
    ``judge_alpha``."""
    run.looks, run.alpha_spent = rollout.looks, rollout.alpha_spent

    def spent() -> None:
        rollout.looks, rollout.alpha_spent = run.looks, run.alpha_spent
        deployer.save(state)

    run.on_look = spent
    config = deployer.config
    if rollout.looks and config.judge == "nonparametric":
        chosen = settings(config)
        planned = sum(chosen.look_alpha(k) for k in range(1, rollout.looks + 1))
        if rollout.alpha_spent > planned * (1 + 1e-9):
            # judge_alpha or judge_looks changed since those looks: going on under the new
            # plan could overspend, so its looks are all taken as spent
            run.looks = max(rollout.looks, config.judge_looks)
            deployer.out(f"[resume] judge: {rollout.looks} look(s) already spent alpha "
                         f"{rollout.alpha_spent:.2g}, more than this configuration plans for "
                         f"them ({planned:.2g}: judge_alpha or judge_looks changed); none is "
                         "left: the comparison can only be inconclusive")
            return
        left = max(config.judge_looks - rollout.looks, 0)
        deployer.out(f"[resume] judge: {rollout.looks} of {config.judge_looks} planned look(s) "
                     f"already spent alpha {rollout.alpha_spent:.2g} of {config.judge_alpha:g}; "
                     + (f"the comparison goes on at look {rollout.looks + 1} ({left} left)"
                        if left else "none is left: the comparison can only be inconclusive"))


def start_baseline(deployer: Deployer, rollout: Rollout, stable: Version) -> Version:
    """A new process of the stable release, healthy, in the rollout's record before its health
    check (so nothing leaks if the deploy dies meanwhile). Raises StartError / ReleaseError."""
    config = deployer.config

    def started(baseline: Version) -> None:
        rollout.baseline = baseline
        deployer.out(f"[baseline] fresh {stable.commit[:12]} (the stable release) on "
                     f"{baseline.addr} (pid {baseline.pid}): the canary is compared with it, "
                     f"not with the warm stable {stable.addr}")

    begun = time.monotonic()
    try:  # started as the stable release ran (Deployer.start_again: one route, case 467)
        baseline = deployer.start_again(stable, deployment_id=rollout.id, started=started)
    except StartError:
        stop_baseline(deployer, rollout, drain=False)
        raise
    deployer.out(f"[baseline] {baseline.addr} healthy after "
                 f"{format_duration(time.monotonic() - begun)}")
    deployer.out(plan_line(config))
    return baseline


def plan_line(config: DeployConfig) -> str:
    """The looks the plan takes against ``judge_looks``: the count the configuration was
    checked with (strategies.planned_looks), said where the comparison starts."""
    compared = [f"{w}%" for w in config.steps if compared_phase(w, "step")]
    needed = planned_looks(config.strategy, config.steps, config.measurements)
    return (f"[judge] the plan compares at {', '.join(compared)}: at least {needed} look(s) "
            f"({config.measurements} per step) of the {config.judge_looks} judge_looks shares "
            f"alpha {config.judge_alpha:g} over")


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
    measured = judged(window, rollout.canary.addr, rollout.baseline.addr, stable.addr, limits,
                      settings(config), run)
    # the weights this look compared, from the one function the router was given them by
    routed = weights(stable.addr, rollout.baseline.addr, rollout.canary.addr, rollout.weight)
    shares = {"canary": routed.get(rollout.canary.addr, 0),
              "baseline": routed.get(rollout.baseline.addr, 0),
              "stable": routed.get(stable.addr, 0)}
    assert measured.comparison is not None
    return replace(measured, comparison={**measured.comparison, "weights": shares})


def judged(
    window: LogWindow, canary_addr: str, baseline_addr: str, stable_addr: str, limits: Limits,
    chosen: nonparametric.Settings, run: AnalysisRun,
) -> Measurement:
    """The threshold limits on the canary, then the comparison with the baseline: the
    threshold's failure wins; otherwise the comparison decides (a pass comes only from it).
    A look with ``min_samples`` on both sides spends its share of alpha (``run.spend_look``:
    the count is durable before the look's tests run)."""
    canary = window.upstreams.get(canary_addr) or UpstreamStats()
    baseline = window.upstreams.get(baseline_addr) or UpstreamStats()
    # the baseline is the stable release too: its rows judge the canary's paths where the
    # warm stable serves too little (a 50% step gives it nothing: hostile case 464)
    limited = judge(canary, window.upstreams.get(stable_addr), limits, carried=baseline.paths)
    tested = min(canary.requests, baseline.requests) >= chosen.min_samples
    # counted (and written down by the rollout) before the tests run: a look is never spent twice
    number = run.spend_look(chosen.look_alpha(run.looks + 1)) if tested else run.looks + 1
    # A 4xx or 3xx is no known success (deploy/analysis.py): the canary's beyond the baseline's
    # share (the clients' own) are compared as failures, so a jump shows and a like share not.
    beyond = unknown_rejected(canary, baseline if baseline.requests else None, limits)
    result = nonparametric.judge(
        nonparametric.Side(canary.latencies, canary.errors + beyond),
        nonparametric.Side(baseline.latencies, baseline.errors), chosen, look=number)
    numbers = result.as_dict() | {"alpha_spent": run.alpha_spent}
    if limited.result == "failed":
        return replace(limited, comparison=numbers)
    return replace(limited, result=result.decision, reasons=result.reasons, comparison=numbers)


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
    spent = numbers.get("alpha_spent")
    weights = numbers.get("weights")
    return (f"look {numbers.get('look')}: canary n={numbers.get('n_canary')}, baseline "
            f"n={numbers.get('n_baseline')}; shift {ms('shift')} [{ms('shift_low')}, "
            f"{ms('shift_high')}] p={p('p_latency')}; tail {share('tail_canary')} vs "
            f"{share('tail_baseline')} p={p('p_tail')}; errors {share('errors_canary', 2)} vs "
            f"{share('errors_baseline', 2)} p={p('p_errors')}; alpha latency "
            f"{alpha if not isinstance(alpha, float) else f'{alpha:.2g}'}"
            + (f" (rollout spent {spent:.2g})" if isinstance(spent, float) else "")
            + ("" if not isinstance(weights, dict) else
               f"; weights canary {weights.get('canary')}% baseline {weights.get('baseline')}% "
               f"stable {weights.get('stable')}%"))

