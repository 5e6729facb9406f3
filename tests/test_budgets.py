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
from pytest_pyramid.summary import RunSummary, TierStats

TIERS = parse_settings(
    {"tiers": {"unit": {"budget": "10s"}, "e2e": {"budget": 0}}}, "p", Path("."), {}
).tiers


def run_with(**tiers: TierStats) -> RunSummary:
    return RunSummary(tiers=dict(tiers), selected_tiers=tuple(tiers))


@pytest.mark.parametrize(
    ("used", "status", "warned"),
    [(1.0, "pass", False), (9.5, "pass", True), (10.0, "pass", True), (10.5, "fail", False)],
)
def test_budget_gate(used: float, status: str, warned: bool) -> None:
    run = run_with(unit=TierStats("unit", selected=True, passed=3, test_time_s=used))
    (gate,) = budget_gates(run, TIERS)
    assert (gate.id, gate.status, gate.actual, gate.threshold) == (
        "budget.unit",
        status,
        used,
        10.0,
    )
    assert bool(near_budget(run, TIERS)) is warned


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
                    when,  # type: ignore[arg-type]
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
