from __future__ import annotations

from pathlib import Path

import pytest

from pytest_pyramid.config import parse_settings
from pytest_pyramid.gates.budgets import (
    budget_gates,
    near_budget,
    pass_rate_gate,
)
from pytest_pyramid.run.aggregate import Aggregator
from pytest_pyramid.run.summary import RunSummary, TierStats

TIERS = parse_settings(
    {"tiers": {"unit": {"budget": "10s"}, "e2e": {"budget": 0}}}, "p", Path("."), {}
).tiers


def run_with(**tiers: TierStats) -> RunSummary:
    return RunSummary(tiers=dict(tiers), selected_tiers=tuple(tiers))


@pytest.mark.parametrize("basis", ["wall", "sum"])
@pytest.mark.parametrize(
    ("used", "status", "warned"),
    [(1.0, "pass", False), (9.5, "pass", True), (10.0, "pass", True), (10.5, "fail", False)],
)
def test_budget_gate(basis: str, used: float, status: str, warned: bool) -> None:
    # the other figure is far off either way: only the chosen basis is judged
    other = used * 7 if basis == "wall" else used / 7
    wall, summed = (used, other) if basis == "wall" else (other, used)
    stats = TierStats("unit", selected=True, passed=3, test_time_s=summed,
                      first_start=1000.0, last_stop=1000.0 + wall)
    run = run_with(unit=stats)
    (gate,) = budget_gates(run, TIERS, basis)
    assert (gate.id, gate.status, gate.actual, gate.threshold) == (
        "budget.unit",
        status,
        round(used, 3),
        10.0,
    )
    assert gate.details["basis"] == basis
    assert (gate.details["wall_time_s"], gate.details["test_time_s"]) == (
        round(wall, 3), round(summed, 3)
    )
    assert bool(near_budget(run, TIERS, basis)) is warned


def test_budgets_judge_wall_time_by_default() -> None:
    """Two workers: 12 s of tests in 6 s of wall time. The 10 s budget means the same as
    in a serial run of 6 s, not 12 (the summed figure stays in the details)."""
    stats = TierStats("unit", selected=True, passed=4, test_time_s=12.0,
                      first_start=50.0, last_stop=56.0)
    (gate,) = budget_gates(run_with(unit=stats), TIERS)
    assert (gate.status, gate.actual, gate.details["test_time_s"]) == ("pass", 6.0, 12.0)
    assert "6.0s of wall time" in gate.message


def test_no_budget_gate_for_tiers_that_did_not_run_or_have_no_budget() -> None:
    run = run_with(
        unit=TierStats("unit", selected=False),
        e2e=TierStats("e2e", selected=True, passed=1, test_time_s=99.0),
    )
    assert budget_gates(run, TIERS) == []


def make_run(outcomes: dict[str, str]) -> RunSummary:
    run = run_with(unit=TierStats("unit", selected=True))
    agg = Aggregator(run)
    for nodeid, outcome in outcomes.items():
        for when in ("setup", "call", "teardown"):
            agg.add_report(
                pytest.TestReport(
                    nodeid,
                    (nodeid, 1, nodeid),
                    {},
                    outcome if when == "call" else "passed",  # type: ignore[arg-type]
                    None,
                    when,
                    duration=0.1,
                    start=1.0,
                    stop=2.0,
                ),
                "unit",
            )
    return agg.finish()


@pytest.mark.parametrize(
    ("outcomes", "quarantined", "status", "actual"),
    [
        ({"a": "passed", "b": "passed"}, (), "pass", 100.0),
        ({"a": "passed", "b": "failed"}, (), "fail", 50.0),
        ({"a": "passed", "b": "failed"}, ("b",), "pass", 100.0),
        ({"a": "skipped"}, (), "not_evaluated", None),
    ],
)
def test_pass_rate_gate(
    outcomes: dict[str, str], quarantined: tuple[str, ...], status: str, actual: float | None
) -> None:
    gate = pass_rate_gate(make_run(outcomes), quarantined)
    assert (gate.status, gate.actual) == (status, actual)
