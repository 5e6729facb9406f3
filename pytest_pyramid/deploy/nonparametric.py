"""The canary judge that compares, with statistics (issue 23 section 2): the canary's requests
against a baseline's, per look, with tests whose error rates hold for the whole rollout.

Three one-sided tests per look, each asking "is the canary worse?":

- **latency**: Mann-Whitney U on per-request latency (no assumption about the distribution's
  shape), with the Hodges-Lehmann shift (the median of every canary-minus-baseline difference)
  and its confidence interval, so the reason says *how much* slower, not only *whether*;
- **tail**: the share of requests above the p95 of both sides together, canary against
  baseline, by Fisher's exact test (exact: under "no difference" each of those requests is as
  likely to be the canary's): a slow tail (10% of requests +400 ms) barely moves a median or a p95
  threshold but doubles this share;
- **errors**: the error proportions, by Fisher's exact test (exact for the sparse counts that
  fool normal approximations: 3 errors against none).

The significance level ``alpha`` is for the whole rollout: it is split over the three tests
(latency half, tail and errors a quarter each) and over the planned looks, growing with the
data seen (look k of K spends ``(2k - 1) / K**2`` of it: the quadratic spending function, so
early looks on little data are strict and the last look keeps a third of it), and the shares
add up to ``alpha``, so repeated looks cannot add up to more false rollbacks than ``alpha``
says (Bonferroni over every test of every look). A look past the plan is inconclusive: with no
alpha left it could only ever pass, which is no judgement. A look **fails** when a test is
significant at its share (and, for latency, the estimated shift is at least ``max_shift`` of
the baseline's median: a shift below that never rolls back). It **passes** only when no test
fails and the canary is shown to be no worse within the margins: the shift's upper bound below
``max_shift``, and one-sided 95% upper bounds of the canary's tail share and error rate within
``max_tail_increase`` / ``max_error_increase`` of the baseline's. Anything else, fewer than
``min_samples`` requests on either side included, is **inconclusive**: more data, never a pass.

Pure logic (scipy, imported when a look is judged); the numbers of every look are kept
(:meth:`Look.as_dict`) so a person can see why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

Decision = Literal["successful", "failed", "inconclusive"]

#: each test's share of the rollout's alpha (the latency test carries the most power)
SHARES = {"latency": 0.5, "tail": 0.25, "errors": 0.25}
#: the most pairwise differences the Hodges-Lehmann shift is computed from (an even thinning
#: of both samples beyond it keeps a look within a few milliseconds)
MAX_PAIRS = 1_000_000
#: one-sided confidence of the bounds a pass needs (not the rollback's significance level)
PASS_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Settings:
    alpha: float = 0.01
    looks: int = 5
    min_samples: int = 50
    max_shift: float = 0.10  # of the baseline's median latency
    max_tail_increase: float = 0.05  # share of requests above the baseline's p95
    max_error_increase: float = 0.01  # error rate
    #: a shift no larger than this (seconds) is no shift: the latencies' resolution (nginx
    #: logs milliseconds), so a 1 ms median cannot make a 0.1 ms limit nobody can measure
    resolution: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.alpha < 1:
            problems.append(f"alpha = {self.alpha} (must be between 0 and 1)")
        if self.looks < 1:
            problems.append(f"looks = {self.looks} (must be at least 1)")
        if self.min_samples < 2:
            problems.append(f"min_samples = {self.min_samples} (must be at least 2)")
        if not 0 <= self.resolution < 1:
            problems.append(f"resolution = {self.resolution} (must be in [0, 1) seconds)")
        for name in ("max_shift", "max_tail_increase", "max_error_increase"):
            if not 0 <= getattr(self, name) < 1:
                problems.append(f"{name} = {getattr(self, name)} (must be in [0, 1))")
        if problems:
            raise ValueError("judge settings: " + "; ".join(problems))

    def shift_limit(self, baseline_median: float) -> float:
        """The largest latency shift that is never a rollback (seconds)."""
        return max(self.max_shift * baseline_median, self.resolution)

    def alpha_for(self, test: str, look: int) -> float:
        """The significance level of ``test`` at look ``look`` (1-based; a look past the plan
        spends nothing more: it can only be inconclusive or pass)."""
        if not 1 <= look <= self.looks:
            return 0.0
        return self.alpha * SHARES[test] * (2 * look - 1) / self.looks**2

    def look_alpha(self, look: int) -> float:
        """What look ``look`` spends of the rollout's alpha, over its three tests."""
        return sum(self.alpha_for(test, look) for test in SHARES)


@dataclass(frozen=True)
class Side:
    """One side's requests in a look: every latency (seconds) and how many were errors."""

    latencies: Sequence[float]
    errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)


@dataclass(frozen=True)
class Look:
    decision: Decision
    reasons: tuple[str, ...]
    look: int
    n_canary: int
    n_baseline: int
    alpha_latency: float
    alpha_tail: float
    alpha_errors: float
    baseline_median: float | None = None
    shift: float | None = None
    shift_low: float | None = None
    shift_high: float | None = None
    tail_threshold: float | None = None
    tail_canary: float | None = None
    tail_baseline: float | None = None
    errors_canary: float | None = None
    errors_baseline: float | None = None
    p_latency: float | None = None
    p_tail: float | None = None
    p_errors: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__} | {
            "reasons": list(self.reasons)
        }


def nearest_rank(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values (a value that was observed)."""
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _thin(values: Sequence[float], keep: int) -> list[float]:
    """Every k-th of the sorted values: the same spread, fewer of them."""
    ordered = sorted(values)
    if len(ordered) <= keep:
        return ordered
    step = len(ordered) / keep
    return [ordered[int(i * step)] for i in range(keep)]


def hodges_lehmann(
    canary: Sequence[float], baseline: Sequence[float], confidences: Sequence[float]
) -> tuple[float, list[tuple[float, float]]]:
    """The shift canary minus baseline (the median of every pairwise difference) and its
    two-sided interval at each confidence (Moses' order statistics of the differences, with
    the normal approximation of U's distribution)."""
    import numpy as np
    from scipy.stats import norm

    n, m = len(canary), len(baseline)
    if n * m > MAX_PAIRS:
        scale = math.sqrt(MAX_PAIRS / (n * m))
        canary = _thin(canary, max(2, int(n * scale)))
        baseline = _thin(baseline, max(2, int(m * scale)))
        n, m = len(canary), len(baseline)
    flat = np.subtract.outer(
        np.asarray(canary, dtype=float), np.asarray(baseline, dtype=float)
    ).ravel()
    total = flat.size
    bounds = []
    for confidence in confidences:
        z = float(norm.ppf(0.5 + confidence / 2))
        k = math.floor(total / 2 - z * math.sqrt(n * m * (n + m + 1) / 12))
        k = min(max(k, 0), (total - 1) // 2)
        bounds.append((k, total - 1 - k))
    wanted = sorted({(total - 1) // 2, total // 2, *(i for pair in bounds for i in pair)})
    picked = np.partition(flat, wanted)
    shift = float((picked[(total - 1) // 2] + picked[total // 2]) / 2)
    return shift, [(float(picked[lo]), float(picked[hi])) for lo, hi in bounds]


def upper_bound(successes: int, trials: int, confidence: float = PASS_CONFIDENCE) -> float:
    """One-sided Clopper-Pearson upper bound of a proportion."""
    from scipy.stats import beta

    if successes >= trials:
        return 1.0
    return float(beta.ppf(confidence, successes + 1, trials - successes))


def judge(
    canary: Side, baseline: Side, settings: Settings | None = None, look: int | None = None
) -> Look:
    """Look number ``look`` (1-based; the last planned one when not given) at the canary
    against its baseline."""
    settings = settings or Settings()
    number = settings.looks if look is None else look
    alphas = {f"alpha_{test}": settings.alpha_for(test, number) for test in SHARES}
    n, m = canary.requests, baseline.requests
    if min(n, m) < settings.min_samples:
        why = (f"{n} canary and {m} baseline request(s): below min_samples "
               f"{settings.min_samples} on a side, no judgement yet")
        return Look("inconclusive", (why,), number, n, m, **alphas)
    if number > settings.looks:
        # the plan's alpha is spent: nothing can be rejected any more, so nothing can pass
        # either (a judge that can only say yes is no judge); the rollout waits for a human
        why = (f"look {number}: the {settings.looks} planned look(s) have spent alpha "
               f"{settings.alpha:g} (judge_looks): the comparison can no longer roll back, so "
               "it does not pass either")
        return Look("inconclusive", (why,), number, n, m, **alphas)
    from scipy.stats import fisher_exact, mannwhitneyu

    a = alphas["alpha_latency"]
    median = nearest_rank(sorted(baseline.latencies), 50)
    # the tail is what lies above the p95 of both sides together: under "no difference" every
    # request is as likely to be among them, so the canary's count is hypergeometric and
    # Fisher's test exact (a threshold from the baseline's own sample is not: its noise adds
    # false rollbacks, 1 in 100 A/A rollouts here)
    # (plus the resolution: a request slower by no more than what can be measured is not in
    # the tail; a function of the pooled sample still, so the test stays exact)
    threshold = nearest_rank(sorted([*baseline.latencies, *canary.latencies]), 95) + \
        settings.resolution
    p_latency = float(mannwhitneyu(canary.latencies, baseline.latencies,
                                   alternative="greater", method="asymptotic").pvalue)
    # the rollback's interval at its own level; the pass needs the one-sided 95% upper bound
    shift, ((low, high), (_, pass_high)) = hodges_lehmann(
        canary.latencies, baseline.latencies, (1 - 2 * a, 2 * PASS_CONFIDENCE - 1)
    )
    tail_c = sum(1 for v in canary.latencies if v > threshold)
    tail_b = sum(1 for v in baseline.latencies if v > threshold)
    p_tail = float(fisher_exact([[tail_c, n - tail_c], [tail_b, m - tail_b]],
                                alternative="greater").pvalue)
    err_c, err_b = min(canary.errors, n), min(baseline.errors, m)
    p_errors = float(fisher_exact([[err_c, n - err_c], [err_b, m - err_b]],
                                  alternative="greater").pvalue)
    result = Look(
        "inconclusive", (), number, n, m, **alphas, baseline_median=median, shift=shift,
        shift_low=low, shift_high=high, tail_threshold=threshold, tail_canary=tail_c / n,
        tail_baseline=tail_b / m, errors_canary=err_c / n, errors_baseline=err_b / m,
        p_latency=p_latency, p_tail=p_tail, p_errors=p_errors,
    )
    failed = _failures(result, settings)
    if failed:
        return _with(result, "failed", failed)
    missing = _not_shown(result, settings, pass_high, tail_c, err_c)
    if missing:
        return _with(result, "inconclusive", missing)
    return _with(result, "successful", (
        f"no worse: shift {_ms(shift)} [{_ms(low)}, {_ms(high)}], tail "
        f"{tail_c / n:.1%} vs {tail_b / m:.1%}, errors {err_c / n:.2%} vs {err_b / m:.2%}",
    ))


def _with(look: Look, decision: Decision, reasons: tuple[str, ...]) -> Look:
    from dataclasses import replace

    return replace(look, decision=decision, reasons=reasons)


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:+.1f}ms"


def _failures(look: Look, settings: Settings) -> tuple[str, ...]:
    assert look.baseline_median is not None
    assert look.shift is not None
    reasons = []
    limit = settings.shift_limit(look.baseline_median)
    if look.p_latency is not None and look.p_latency < look.alpha_latency and \
            look.shift >= limit and look.shift > settings.resolution:
        reasons.append(
            f"slower: shift {_ms(look.shift)} [{_ms(look.shift_low)}, {_ms(look.shift_high)}] "
            f"over the baseline's median {look.baseline_median * 1000:.1f}ms "
            f"(max_shift {settings.max_shift:.0%}, limit {_ms(limit)}), "
            f"Mann-Whitney p={look.p_latency:.2g} < {look.alpha_latency:.2g}"
        )
    if look.p_tail is not None and look.p_tail < look.alpha_tail:
        reasons.append(
            f"slow tail: {look.tail_canary:.1%} of canary requests above "
            f"{(look.tail_threshold or 0) * 1000:.0f}ms (the common p95"
            f"{' + the resolution' if settings.resolution else ''}) vs {look.tail_baseline:.1%}, "
            f"Fisher p={look.p_tail:.2g} < {look.alpha_tail:.2g}"
        )
    if look.p_errors is not None and look.p_errors < look.alpha_errors:
        reasons.append(
            f"errors: {look.errors_canary:.2%} vs baseline {look.errors_baseline:.2%}, "
            f"Fisher p={look.p_errors:.2g} < {look.alpha_errors:.2g}"
        )
    return tuple(reasons)


def _not_shown(
    look: Look, settings: Settings, shift_high: float, tail_c: int, err_c: int
) -> tuple[str, ...]:
    """What a pass still lacks: each margin shown at the pass confidence."""
    assert look.baseline_median is not None
    assert look.tail_baseline is not None
    assert look.errors_baseline is not None
    reasons = []
    limit = settings.shift_limit(look.baseline_median)
    if shift_high > limit:
        reasons.append(f"shift's upper bound {_ms(shift_high)} is above max_shift {_ms(limit)}")
    tail_high = upper_bound(tail_c, look.n_canary)
    if tail_high > look.tail_baseline + settings.max_tail_increase:
        reasons.append(f"tail share could be {tail_high:.1%} (baseline "
                       f"{look.tail_baseline:.1%} + {settings.max_tail_increase:.0%} allowed)")
    err_high = upper_bound(err_c, look.n_canary)
    if err_high > look.errors_baseline + settings.max_error_increase:
        reasons.append(f"error rate could be {err_high:.2%} (baseline "
                       f"{look.errors_baseline:.2%} + {settings.max_error_increase:.0%} allowed)")
    return tuple(reasons)
