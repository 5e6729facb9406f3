"""The canary judge's error rates, with fixed seeds (issue 23 section 2).

    python benchmarks/bench_canary_judge.py [--trials 1000] [--seed 23]
    python benchmarks/bench_canary_judge.py --fixtures

Each trial is one stepped rollout: latencies lognormal (median 50 ms, sigma 0.5), 500
requests per side in all, judged at 5 looks of growing data (100, 200, ... 500 per side). A
rollout is *rolled back* when a look fails, *promoted* when the last look passes, else left
*inconclusive* (which pauses: never a pass). Printed, against the goals:

- A/A (the canary is the baseline): false rollbacks <= 10 / 1000;
- +20% latency: rolled back >= 990 / 1000;
- slow tail (10% of requests +400 ms): rolled back >= 990 / 1000; and, for contrast, how often
  the threshold judge (p95 < 500 ms, the seed's limit) passes that same canary.

``--fixtures`` feeds the inputs of Kayenta's and Spinnaker's own bug reports (sparse errors
against a baseline without errors; more spread with the same median; 7 samples against 100):
none may pass. Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable

from pytest_pyramid.deploy.analysis import Limits, UpstreamStats, percentile
from pytest_pyramid.deploy.analysis import judge as threshold_judge
from pytest_pyramid.deploy.nonparametric import Settings, Side, judge

MEDIAN = 0.050
SIGMA = 0.5
PER_SIDE = 500
LOOKS = 5

Draw = Callable[[random.Random, int], list[float]]


def lognormal(rng: random.Random, n: int, factor: float = 1.0) -> list[float]:
    mu = __import__("math").log(MEDIAN * factor)
    return [rng.lognormvariate(mu, SIGMA) for _ in range(n)]


def slow_tail(rng: random.Random, n: int) -> list[float]:
    return [v + (0.400 if rng.random() < 0.10 else 0.0) for v in lognormal(rng, n)]


SCENARIOS: dict[str, tuple[Draw, str, int]] = {
    # name: (canary's draw, what should happen, goal count out of 1000)
    "A/A": (lambda rng, n: lognormal(rng, n), "false rollbacks <=", 10),
    "+20% latency": (lambda rng, n: lognormal(rng, n, 1.2), "rolled back >=", 990),
    "slow tail": (slow_tail, "rolled back >=", 990),
}


def rollout(rng: random.Random, draw: Draw, settings: Settings) -> str:
    baseline = lognormal(rng, PER_SIDE)
    canary = draw(rng, PER_SIDE)
    step = PER_SIDE // LOOKS
    for look in range(1, LOOKS + 1):
        n = step * look
        result = judge(Side(canary[:n]), Side(baseline[:n]), settings, look).decision
        if result == "failed":
            return "rolled back"
        if look == LOOKS:
            return "promoted" if result == "successful" else "inconclusive"
    raise AssertionError("unreachable")


def threshold_passes(rng: random.Random, draw: Draw) -> bool:
    canary = draw(rng, PER_SIDE)
    stats = UpstreamStats(requests=len(canary), latencies=canary)
    return threshold_judge(stats, None, Limits(p95=0.5)).result == "successful"


def simulate(trials: int, seed: int) -> bool:
    settings = Settings(looks=LOOKS)
    ok = True
    print(f"canary judge: {trials} rollouts per scenario, {PER_SIDE} requests per side, "
          f"{LOOKS} looks, alpha {settings.alpha} for the whole rollout (latency test "
          f"{settings.alpha_for('latency', 1):.2g} at the first look to "
          f"{settings.alpha_for('latency', LOOKS):.2g} at the last), seed {seed}")
    for name, (draw, goal, target) in SCENARIOS.items():
        rng = random.Random(f"{seed}-{name}")
        started = time.perf_counter()
        outcomes = Counter(rollout(rng, draw, settings) for _ in range(trials))
        spent = time.perf_counter() - started
        rolled = outcomes["rolled back"] * 1000 / trials
        met = rolled <= target if goal.startswith("false") else rolled >= target
        ok &= met
        print(f"  {name:<13} rolled back {outcomes['rolled back']:>4}, promoted "
              f"{outcomes['promoted']:>4}, inconclusive {outcomes['inconclusive']:>4} "
              f"| goal: {goal} {target}/1000: {'met' if met else 'MISSED'} "
              f"({spent / trials * 1000:.1f} ms per rollout)")
    rng = random.Random(f"{seed}-threshold")
    passed = sum(threshold_passes(rng, slow_tail) for _ in range(trials))
    print(f"  for contrast, the threshold judge (p95 < 500 ms) passes the slow tail in "
          f"{passed}/{trials} rollouts (canary p95 ~"
          f"{percentile(slow_tail(rng, 10_000), 95) or 0:.3f}s)")
    return ok


def fixtures() -> bool:
    """Inputs from the anchors' bug reports (rollout-anchors.md): none may pass."""
    rng = random.Random(7)
    cases = {
        # Kayenta: a canary with a few errors against a baseline with none was scored a pass
        "sparse errors vs none": (Side(lognormal(rng, 200), errors=3), Side(lognormal(rng, 200))),
        # Kayenta: Mann-Whitney alone passes a wider spread with the same median
        "more spread, same median": (
            Side([rng.lognormvariate(__import__("math").log(MEDIAN), 1.0) for _ in range(300)]),
            Side(lognormal(rng, 300)),
        ),
        # Spinnaker: a canary judged on 7 requests against 100
        "7 samples against 100": (Side(lognormal(rng, 7)), Side(lognormal(rng, 100))),
    }
    ok = True
    for name, (canary, baseline) in cases.items():
        look = judge(canary, baseline, Settings(looks=LOOKS))  # as a last look
        fine = look.decision != "successful"
        ok &= fine
        print(f"  {name:<26} {look.decision:<12} {'ok' if fine else 'PASSED (must not)'}: "
              f"{'; '.join(look.reasons)}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--fixtures", action="store_true", help="only the bug-report inputs")
    args = parser.parse_args(argv)
    print("fixtures from the anchors' bug reports:")
    ok = fixtures()
    if not args.fixtures:
        ok &= simulate(args.trials, args.seed)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
