"""The flake ledger's rules (``gates/flakes.py``): attempts, outage, contradiction, streak,
the Wilson interval, standings over a window. Pure tables, no pytest run."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pytest_pyramid.gates.flakes import (
    FAIL,
    PASS,
    LedgerRun,
    Policy,
    attempts_of,
    clean_streak,
    contradiction,
    judge_test,
    outage_tiers,
    policy_from,
    release_chance,
    section,
    standings,
    streak,
    wilson,
)

F, P = FAIL, PASS


def _record(outcome: str, **extra: Any) -> dict[str, Any]:
    return {"nodeid": "t.py::t", "tier": "unit", "outcome": outcome, "setup_s": 0.25,
            "call_s": 0.5, "teardown_s": 0.25, **extra}


RERUN_F = {"outcome": "failed", "duration_s": 2.0, "where": "rerun"}


@pytest.mark.parametrize(
    ("outcome", "extra", "expected"),
    [
        ("passed", {}, ((P, 1.0),)),
        # a version 1 record: its reruns are failed attempts of unknown duration
        ("passed", {"reruns": 2}, ((F, None), (F, None), (P, 1.0))),
        ("failed", {"reruns": 1}, ((F, None), (F, 1.0))),
        ("error", {}, ((F, 1.0),)),
        ("unfinished", {}, ((F, 1.0),)),
        ("xpassed", {}, ((P, 1.0),)),
        ("skipped", {}, ()),
        ("xfailed", {}, ()),
        # version 2: each earlier attempt with its own duration
        ("passed", {"reruns": 1, "earlier_attempts": [RERUN_F]}, ((F, 2.0), (P, 1.0))),
        # a retried shard: try 1 passed, the try that counted failed (a contradiction)
        ("failed", {"earlier_attempts": [
            {"outcome": "passed", "duration_s": 0.5, "where": "shard retry", "shard_try": 1}]},
         ((P, 0.5), (F, 1.0))),
        # a retry that ended the same way is an attempt too; a skipped try is none
        ("passed", {"earlier_attempts": [
            {"outcome": "skipped", "duration_s": 0.0, "where": "shard retry", "shard_try": 1},
            {"outcome": "passed", "duration_s": 0.5, "where": "shard retry", "shard_try": 2}]},
         ((P, 0.5), (P, 1.0))),
    ],
)
def test_a_record_s_attempts(
    outcome: str, extra: dict[str, Any], expected: tuple[tuple[str, float | None], ...]
) -> None:
    assert attempts_of(_record(outcome, **extra)) == expected


@pytest.mark.parametrize(
    ("outcome", "extra", "repeats", "failed", "expected"),
    [
        ("passed", {}, 3, 0, (P, P, P, P)),   # three clean repeats before the logged pass
        ("passed", {}, 3, 1, (P, P, F, P)),   # the third repeat failed: a contradiction on one run
        ("failed", {"reruns": 1}, 1, 1, (F, F, F)),
        ("skipped", {}, 2, 0, (P, P)),        # the logged run's skip is no attempt; repeats are
        ("passed", {}, 0, 0, (P,)),           # no repeat fitted the budget share
        # a replaced shard try ran before this try's repeats; this try's reruns after them
        ("passed", {"reruns": 2, "earlier_attempts": [
            {"outcome": "failed", "duration_s": 1.0, "where": "shard retry", "shard_try": 1},
            RERUN_F]}, 1, 0, (F, P, F, P)),
    ],
)
def test_an_arriving_test_s_repeats_are_attempts_before_its_logged_run(
    outcome: str, extra: dict[str, Any], repeats: int, failed: int, expected: tuple[str, ...],
) -> None:
    entry = _record(outcome, arrival={"repeats": repeats, "failed": failed, "skipped": 0},
                    **extra)
    assert tuple(kind for kind, _ in attempts_of(entry)) == expected


def _by_bisection(failures: int, runs: int, upper: bool) -> float:
    """The Wilson bound found independently: the p where |p_hat - p| = z*sqrt(p(1-p)/n)."""
    z, p_hat = 1.959963984540054, failures / runs
    low, high = (p_hat, 1.0) if upper else (0.0, p_hat)
    for _ in range(200):
        mid = (low + high) / 2
        outside = abs(p_hat - mid) > z * math.sqrt(mid * (1 - mid) / runs)
        if upper:
            low, high = (low, mid) if outside else (mid, high)
        else:
            low, high = (mid, high) if outside else (low, mid)
    return (low + high) / 2


@pytest.mark.parametrize(("failures", "runs"), [(0, 10), (1, 10), (5, 10), (3, 12), (10, 10),
                                                (2, 60), (30, 60)])
def test_the_wilson_interval_matches_its_definition(failures: int, runs: int) -> None:
    low, high = wilson(failures, runs)
    assert low <= failures / runs <= high
    assert high == pytest.approx(_by_bisection(failures, runs, upper=True), abs=1e-9)
    assert low == pytest.approx(_by_bisection(failures, runs, upper=False), abs=1e-9)


@pytest.mark.parametrize(
    ("failures", "runs", "low", "high"),
    [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (0, 0, 0.0, 1.0)],
)
def test_wilson_known_values(failures: int, runs: int, low: float, high: float) -> None:
    assert wilson(failures, runs) == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(("rate", "runs", "chance"),
                         [(0.05, 5, 0.7738), (0.05, 59, 0.0485), (0.10, 30, 0.0424), (0.0, 9, 1.0)])
def test_release_chance_is_one_minus_p_to_the_n(rate: float, runs: int, chance: float) -> None:
    assert release_chance(rate, runs) == pytest.approx(chance, abs=1e-4)


def _run(run_id: str, tests: dict[str, tuple[str, tuple[str, ...]]], *, tree: str | None = "t",
         branch: str | None = "main") -> LedgerRun:
    return LedgerRun(run_id=run_id, tree=tree, branch=branch, tests=tests)


def _tier(tier: str, failed: int, passed: int) -> dict[str, tuple[str, tuple[str, ...]]]:
    tests: dict[str, tuple[str, tuple[str, ...]]] = {
        f"{tier}_f{i}": (tier, (F, P)) for i in range(failed)}
    tests.update({f"{tier}_p{i}": (tier, (P,)) for i in range(passed)})
    return tests


@pytest.mark.parametrize(
    ("tests", "expected"),
    [
        (_tier("unit", 3, 2), ["unit"]),  # 3 of 5 failed first: more than half
        (_tier("unit", 2, 2), []),  # exactly half is not more than half
        (_tier("unit", 3, 0), []),  # a 3-test tier is too small to be an outage
        ({**_tier("unit", 1, 9), **_tier("e2e", 4, 0)}, ["e2e"]),
        ({**_tier("unit", 9, 1), **_tier("e2e", 4, 0)}, ["e2e", "unit"]),
        ({"s": ("unit", ())} | _tier("unit", 2, 2), []),  # a skip is not counted
    ],
)
def test_outage_tiers(tests: dict[str, tuple[str, tuple[str, ...]]], expected: list[str]) -> None:
    assert outage_tiers(_run("r", tests)) == expected


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([("r1", "t", (F, P))], ["r1"]),  # a rerun that passed
        ([("r1", "t", (F,)), ("r2", "t", (P,))], ["r1", "r2"]),  # two runs of one tree
        ([("r1", "a", (F,)), ("r2", "b", (P,))], []),  # different trees: code changed
        ([("r1", "a", (P,)), ("r2", "b", (F, F))], []),  # broken by a change: no proof
        ([("r1", None, (F,)), ("r2", None, (P,))], []),  # no digest: each run its own tree
        ([("r1", None, (F, P))], ["r1"]),
        ([("r1", "t", (P,)), ("r2", "t", ())], []),  # a skip is no attempt
    ],
)
def test_contradiction_needs_a_pass_and_a_fail_on_one_tree(
    history: list[tuple[str, str | None, tuple[str, ...]]], expected: list[str]
) -> None:
    assert contradiction(history) == expected


@pytest.mark.parametrize(
    ("history", "length", "expected"),
    [
        ([("r1", "t", (F, F, F))], 3, ["r1"]),  # three failed attempts on one tree
        ([("r1", "t", (F, F))], 3, []),  # two are not a streak of three
        ([("r1", "a", (F, F)), ("r2", "b", (F, F))], 3, ["r1", "r2"]),  # across runs
        ([("r1", "a", (F, F)), ("r2", "b", (F, P))], 3, []),  # a pass since
        ([("r1", "a", (F,)), ("r2", "b", (P,)), ("r3", "c", (F, F))], 3, []),
        ([("r1", "a", (F, F)), ("r2", "b", ()), ("r3", "c", (F,))], 3, ["r1", "r3"]),
    ],
)
def test_streak_of_failures_with_no_pass_since(
    history: list[tuple[str, str | None, tuple[str, ...]]], length: int, expected: list[str]
) -> None:
    assert streak(history, length) == expected


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([("r1", "t", (P,)), ("r2", "t", (P,))], 2),
        ([("r1", "t", (P,)), ("r2", "t", (F, P)), ("r3", "t", (P,))], 1),  # a rerun: not clean
        ([("r1", "t", (P,)), ("r2", "t", ()), ("r3", "t", (P,))], 2),  # a skip: no run
        ([("r1", "t", (F,))], 0),
    ],
)
def test_clean_streak(history: list[tuple[str, str | None, tuple[str, ...]]],
                      expected: int) -> None:
    assert clean_streak(history) == expected


@pytest.mark.parametrize(
    ("history", "status", "failures"),
    [
        ([("r1", "t", (P,)), ("r2", "t", (P,))], "stable", 0),
        ([("r1", "t", (P,)), ("r2", "t", (F, P))], "flaky", 1),
        ([("r1", "a", (P,)), ("r2", "b", (F,))], "failing", 1),  # no proof either way
        # a contradiction earlier, failing every attempt now: broken wins, never quarantined
        ([("r1", "t", (F, P)), ("r2", "u", (F, F)), ("r3", "v", (F, F))], "broken", 3),
    ],
)
def test_a_test_s_status(history: list[tuple[str, str | None, tuple[str, ...]]], status: str,
                         failures: int) -> None:
    standing = judge_test("x", "unit", history, Policy())
    assert (standing.status, standing.first_failures, standing.runs) == (
        status, failures, len(history))


def test_outage_runs_are_left_out_of_every_statistic() -> None:
    healthy: dict[str, tuple[str, tuple[str, ...]]] = {f"t{i}": ("unit", (P,)) for i in range(9)}
    outage: dict[str, tuple[str, tuple[str, ...]]] = {
        f"t{i}": ("unit", (F, P)) for i in range(9)}  # 9 of 9 failed their first attempt
    runs = [_run("r1", healthy), _run("r2", outage), _run("r3", healthy)]
    found, outages = standings(runs, Policy())
    assert outages == ["r2"]
    assert {s.status for s in found.values()} == {"stable"}
    assert {s.runs for s in found.values()} == {2}
    # the same ledger without the guard would call every test flaky: the rule is what saves it
    assert contradiction([("r2", "t", (F, P))]) == ["r2"]


def test_the_window_and_the_protected_branch() -> None:
    flaky_on_feature: dict[str, tuple[str, tuple[str, ...]]] = {"x": ("unit", (F, P))}
    runs = [_run(f"m{i}", {"x": ("unit", (P,))}, tree=f"t{i}") for i in range(5)]
    runs.insert(2, _run("f1", flaky_on_feature, branch="feature"))
    found, _ = standings(runs, Policy(branch="main", window=3))
    assert (found["x"].status, found["x"].runs) == ("stable", 3)
    found, _ = standings(runs, Policy(window=30))  # every branch
    assert (found["x"].status, found["x"].evidence) == ("flaky", ["f1"])


def test_the_clean_streak_reaches_beyond_the_window() -> None:
    runs = [_run("r0", {"x": ("unit", (F, P))})]
    runs += [_run(f"r{i}", {"x": ("unit", (P,))}, tree=f"t{i}") for i in range(1, 41)]
    found, _ = standings(runs, Policy(window=10))
    assert found["x"].runs == 10
    assert found["x"].clean_streak == 40


def test_the_section_lists_what_is_not_stable_with_its_interval() -> None:
    runs = [_run("r1", {"a": ("unit", (F, P)), "b": ("unit", (P,))}),
            _run("r2", {"a": ("unit", (P,)), "b": ("unit", (P,))})]
    listed = section(runs, Policy())
    assert listed["runs"] == 2
    assert listed["outages"] == []
    assert listed["tests"] == [{
        "nodeid": "a", "tier": "unit", "status": "flaky", "runs": 2, "first_failures": 1,
        "rate": 0.5, "ci95": [0.0945, 0.9055], "evidence": ["r1"], "clean_streak": 1}]


@pytest.mark.parametrize(
    ("table", "expected"),
    [(None, Policy()), ({"window": 10, "max_share": 0.05}, Policy(window=10, max_share=0.05)),
     ({"branch": "main", "release_after": 20}, Policy(branch="main", release_after=20))],
)
def test_policy_from_the_table(table: dict[str, object] | None, expected: Policy) -> None:
    assert policy_from(table) == expected
