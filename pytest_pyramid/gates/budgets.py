"""Built-in gates on time budgets and pass rate, and the release-completeness rule (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.config import BUDGET_WARN_RATIO, TierSpec
from pytest_pyramid.durations import format_duration
from pytest_pyramid.gates.wording import count
from pytest_pyramid.results import GateResult, Status

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from pytest_pyramid.run.summary import RunSummary, TierStats


def used_time(stats: TierStats, basis: str) -> float:
    """What a budget judges: the tier's wall time (its first test's start to its last
    test's end, merged over xdist workers: the critical path, the same figure serial and
    parallel), or with ``budget_basis = "sum"`` the sum of its tests' durations (which grows
    with the number of workers)."""
    return stats.test_time_s if basis == "sum" else stats.wall_time_s


def budget_gates(
    run: RunSummary, tiers: Mapping[str, TierSpec], basis: str = "wall"
) -> list[GateResult]:
    """One gate per tier that ran and has a budget: its time (``basis``) <= budget."""
    gates = []
    what = "summed test time" if basis == "sum" else "wall time"
    for name, spec in tiers.items():
        stats = run.tiers.get(name)
        if spec.budget is None or stats is None or not stats.selected or not stats.executed:
            continue
        used = used_time(stats, basis)
        share = used / spec.budget
        status: Status = "pass" if used <= spec.budget else "fail"
        message = (
            f"tier {name} took {format_duration(used)} of {what} against its "
            f"{format_duration(spec.budget)} budget ({share:.0%})"
        )
        if status == "pass" and share > BUDGET_WARN_RATIO:
            message += f"; above {BUDGET_WARN_RATIO:.0%} of the budget"
        gates.append(
            GateResult(
                id=f"budget.{name}",
                level=spec.budget_level,
                status=status,
                actual=round(used, 3),
                threshold=spec.budget,
                message=message,
                details={
                    "basis": basis,
                    "wall_time_s": round(stats.wall_time_s, 3),
                    "test_time_s": round(stats.test_time_s, 3),
                    "share": round(share, 4),
                },
            )
        )
    return gates


def near_budget(
    run: RunSummary, tiers: Mapping[str, TierSpec], basis: str = "wall"
) -> list[str]:
    """Tiers within their budget but above the warning share, as terminal warnings."""
    warnings = []
    for name, spec in tiers.items():
        stats = run.tiers.get(name)
        if spec.budget is None or stats is None or not stats.executed:
            continue
        share = used_time(stats, basis) / spec.budget
        if BUDGET_WARN_RATIO < share <= 1.0:
            warnings.append(
                f"tier {name} used {share:.0%} of its {format_duration(spec.budget)} budget"
            )
    return warnings


def pass_rate_gate(run: RunSummary, quarantined: Collection[str] = ()) -> GateResult:
    """100% of executed, non-skipped tests must pass; quarantined failures are listed apart."""
    executed = sum(stats.executed for stats in run.tiers.values())
    failed = run.failed_tests
    flags = [False] * len(failed)
    if failed and quarantined:  # most runs: no failure, or no entry (the matcher unimported)
        from pytest_pyramid.gates.flaky import quarantine_excuses

        flags = [quarantine_excuses(t, quarantined) for t in failed]
    failing = [t for t, excused_one in zip(failed, flags, strict=True) if not excused_one]
    excused = sorted(t.nodeid for t, excused_one in zip(failed, flags, strict=True) if excused_one)
    details: dict[str, object] = {"failed": [t.nodeid for t in failing[:50]]}
    if excused:
        details["quarantined_failures"] = excused
    counted = executed - len(excused)
    if counted <= 0:
        why = "no test was executed" if executed == 0 else "every executed test is quarantined"
        return GateResult(
            id="tests.pass_rate",
            level="block",
            status="not_evaluated",
            threshold=100.0,
            message=why,
            details=details,
        )
    rate = 100.0 * (counted - len(failing)) / counted
    status: Status = "pass" if not failing else "fail"
    which = count(counted, "counted test" if excused else "executed test")
    message = (
        f"{counted} of {which} passed" if not failing else f"{len(failing)} of {which} failed"
    )
    if excused:
        message += f"; {len(excused)} quarantined failure(s) not counted"
    return GateResult(
        id="tests.pass_rate",
        level="block",
        status=status,
        actual=round(rate, 2),
        threshold=100.0,
        message=message,
        details=details,
    )
