"""The statistical canary judge (deploy/nonparametric.py): small tables of decisions, the
alpha split, and the bounds. Its error rates over many seeded rollouts are a benchmark
(benchmarks/bench_canary_judge.py), not a test."""

from __future__ import annotations

import math
import random

import pytest

from pytest_pyramid.deploy.nonparametric import (
    SHARES,
    Settings,
    Side,
    hodges_lehmann,
    judge,
    upper_bound,
)


def lognormal(seed: int, n: int, median: float = 0.050, sigma: float = 0.5) -> list[float]:
    rng = random.Random(seed)
    return [rng.lognormvariate(math.log(median), sigma) for _ in range(n)]


@pytest.mark.parametrize(("looks", "alpha"), [(1, 0.01), (5, 0.01), (12, 0.05)])
def test_the_split_spends_exactly_alpha_over_every_test_and_look(looks: int, alpha: float) -> None:
    settings = Settings(alpha=alpha, looks=looks)
    spent = sum(settings.alpha_for(t, k) for t in SHARES for k in range(1, looks + 1))
    assert spent == pytest.approx(alpha)
    assert settings.alpha_for("latency", looks + 1) == 0.0  # past the plan: nothing more
    firsts = [settings.alpha_for("latency", k) for k in range(1, looks + 1)]
    assert firsts == sorted(firsts)  # strict early, on little data


@pytest.mark.parametrize(("field", "value", "named"), [
    ("alpha", 0.0, "alpha = 0.0"),
    ("alpha", 1.5, "alpha = 1.5"),
    ("looks", 0, "looks = 0"),
    ("min_samples", 1, "min_samples = 1"),
    ("max_shift", -0.1, "max_shift = -0.1"),
    ("max_error_increase", 1.0, "max_error_increase = 1.0"),
    ("resolution", -0.001, "resolution = -0.001"),
])
def test_bad_settings_name_the_key_and_value(field: str, value: float, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        Settings(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(("n_canary", "n_baseline"), [(7, 100), (100, 7), (49, 49), (0, 0)])
def test_below_min_samples_is_inconclusive_never_a_pass(n_canary: int, n_baseline: int) -> None:
    look = judge(Side(lognormal(1, n_canary)), Side(lognormal(2, n_baseline)))
    assert look.decision == "inconclusive"
    assert "min_samples 50" in look.reasons[0]
    assert (look.n_canary, look.n_baseline) == (n_canary, n_baseline)


def test_the_same_release_on_both_sides_passes_with_its_numbers() -> None:
    look = judge(Side(lognormal(3, 500)), Side(lognormal(4, 500)))
    assert look.decision == "successful", look.reasons
    data = look.as_dict()
    for key in ("n_canary", "shift", "shift_low", "shift_high", "tail_canary",
                "p_latency", "p_tail", "p_errors", "alpha_latency", "reasons"):
        assert data[key] is not None, key
    assert "no worse" in look.reasons[0]


@pytest.mark.parametrize(("name", "canary", "baseline", "needle"), [
    ("50% slower", Side(lognormal(5, 400, 0.075)), Side(lognormal(6, 400)), "slower: shift +"),
    ("slow tail", Side([v + (0.4 if i % 10 == 0 else 0) for i, v in enumerate(lognormal(7, 400))]),
     Side(lognormal(8, 400)), "slow tail:"),
    ("errors", Side(lognormal(9, 400), errors=40), Side(lognormal(10, 400), errors=2), "errors:"),
    ("spread, same median", Side(lognormal(11, 300, sigma=1.0)), Side(lognormal(12, 300)),
     "slow tail:"),
])
def test_a_worse_canary_fails_and_says_why_with_numbers(
    name: str, canary: Side, baseline: Side, needle: str
) -> None:
    look = judge(canary, baseline)
    assert look.decision == "failed", (name, look.reasons)
    assert any(needle in reason and "p=" in reason for reason in look.reasons), look.reasons


def test_sparse_errors_against_none_cannot_pass() -> None:
    """Kayenta's report: 3 errors against 0 is not significant, and not a pass either."""
    look = judge(Side(lognormal(13, 200), errors=3), Side(lognormal(14, 200)))
    assert look.decision == "inconclusive"
    assert any("error rate could be" in reason for reason in look.reasons)


def test_a_shift_below_max_shift_never_rolls_back() -> None:
    """+2% on a great many requests is significant, and still below max_shift (10%)."""
    baseline = lognormal(15, 4000)
    canary = [v * 1.02 for v in lognormal(16, 4000)]
    look = judge(Side(canary), Side(baseline), Settings(max_shift=0.10))
    assert look.p_latency is not None
    assert look.p_latency < 0.05
    assert look.decision != "failed", look.reasons
    strict = judge(Side(canary), Side(baseline), Settings(max_shift=0.0, alpha=0.2))
    assert strict.decision == "failed"  # the same data fails once no shift is tolerated


def test_hodges_lehmann_finds_a_pure_shift() -> None:
    baseline = lognormal(17, 300)
    canary = [v + 0.010 for v in lognormal(18, 300)]
    shift, [(low, high)] = hodges_lehmann(canary, baseline, (0.95,))
    assert low < shift < high
    assert low < 0.010 < high
    same, [(lo, hi)] = hodges_lehmann([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], (0.5,))
    assert (same, lo <= 0 <= hi) == (0.0, True)


def test_hodges_lehmann_thins_large_samples_evenly() -> None:
    baseline = lognormal(19, 3000)
    canary = [v + 0.005 for v in lognormal(20, 3000)]  # 9M pairs: thinned to 1M
    shift, [(low, high)] = hodges_lehmann(canary, baseline, (0.95,))
    assert low < 0.005 < high
    assert abs(shift - 0.005) < 0.003


@pytest.mark.parametrize(("successes", "trials", "expected"), [
    (0, 500, 1 - 0.05 ** (1 / 500)),  # the closed form of a zero count
    (500, 500, 1.0),
    (3, 200, 0.0387),
])
def test_clopper_pearson_upper_bound(successes: int, trials: int, expected: float) -> None:
    assert upper_bound(successes, trials) == pytest.approx(expected, abs=5e-4)
