"""``tests.flaky_on_arrival``: no test that arrived with the change contradicted itself.

Each arriving test (its file changed since the merge base, a changed support file reaches
it, or the flake ledger holds no attempt of it; run/arrival.py) was repeated before its
logged run. Its attempts on this one tree are the repeats (passes, then at most
one failure or one skip: the repeater stops at the first) and the logged run (with any
rerun of it). Attempts that ended differently (a pass and a failure, or a skip beside
either) are proof of nondeterminism: the gate fails, and no quarantine entry excuses it
(a test that arrives flaky is fixed before it lands, not quarantined).
A test that passed every attempt has its flake rate bounded: ``upper_bound(passes)``; a
test whose tier's budget share ran out before the bound reached the target is unproven:
the gate is ``not_evaluated`` naming it, and its ``on_missing`` policy decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_pyramid.results import GateResult, Level, OnMissing
from pytest_pyramid.run.arrival import RAN_INTO, reason_file, upper_bound

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pytest_pyramid.run.summary import TestOutcome

GATE_ID = "tests.flaky_on_arrival"
_PASS = frozenset({"passed", "xpassed"})
_FAIL = frozenset({"failed", "error", "unfinished"})


def _kind(outcome: str) -> str:
    return "pass" if outcome in _PASS else "fail" if outcome in _FAIL else "other"


def judge(test: TestOutcome) -> tuple[bool, int]:
    """(whether its attempts on this tree ended differently, its clean attempts). The kinds
    are pass, fail and other (a skip, an xfail): a pass and a failure is nondeterminism, and
    so is a repeat that skipped where the logged run passed or failed (the evasion of a
    test that skips itself when run again), or the reverse."""
    assert test.arrival is not None
    repeats, failed, skipped = test.arrival.repeats, test.arrival.failed, test.arrival.skipped
    kinds = {_kind(test.outcome)}
    if test.reruns:
        kinds.add("fail")  # the logged run failed before its final attempt
    if repeats - failed:
        kinds.add("pass")
    if failed:
        kinds.add("fail")
    if skipped:
        kinds.add("other")
    contradiction = len(kinds) > 1
    clean = repeats - failed + (1 if test.outcome in _PASS and not test.reruns else 0)
    return contradiction, (0 if contradiction or failed else clean)


def _arrived(base: str | None, count: int, why_not: str) -> str:
    """How the gate names the tests that arrived: with a base, changed since it or new to
    the flake ledger; without one, new to the ledger (and why no change was read)."""
    if base is not None:
        return (f"{count} test(s) changed since {base} (or reached by a changed file) or new "
                "to the flake ledger")
    return f"{count} test(s) new to the flake ledger (no change read: {why_not})"


def arrival_gate(
    tests: Iterable[TestOutcome], *, base: str | None, why_not: str, bound: float,
    level: Level = "block", on_missing: OnMissing = "warn",
) -> GateResult:
    """Judges the records' own ``arrival`` rows (the run's, a merge's partials'): with no base
    the tests new to the ledger are still judged; with no base and no row, nothing was."""
    arrived = sorted((t for t in tests if t.arrival is not None), key=lambda t: t.nodeid)
    if base is None and not arrived:
        return GateResult(id=GATE_ID, level=level, status="not_evaluated", threshold=0,
                          message=why_not, on_missing=on_missing)
    rows: list[dict[str, object]] = []
    contradicted: list[str] = []
    short: list[str] = []
    for test in arrived:
        contradiction, clean = judge(test)
        assert test.arrival is not None
        repeats, failed, skipped, why = test.arrival
        high = upper_bound(clean)
        rows.append({"nodeid": test.nodeid, "tier": test.tier, "repeats": repeats,
                     "failed": failed, "skipped": skipped, "outcome": test.outcome,
                     "reruns": test.reruns, "why": list(why),
                     "contradiction": contradiction, "upper_bound": round(high, 4)})
        if contradiction:
            ended = ", then a repeat skipped" if skipped else ""
            contradicted.append(f"{test.nodeid} ({repeats} repeat(s), {failed} failed{ended}, "
                                f"then {test.outcome})")
        elif test.outcome in _PASS and high > bound:
            short.append(test.nodeid)
    details: dict[str, object] = {"base": base, "bound": bound, "tests": rows}
    if contradicted:
        shown = "; ".join(contradicted[:5])
        more = f" and {len(contradicted) - 5} more" if len(contradicted) > 5 else ""
        return GateResult(
            id=GATE_ID, level=level, status="fail", actual=len(contradicted), threshold=0,
            message=(f"{_arrived(base, len(contradicted), why_not)} passed and failed on "
                     f"this tree (flaky on arrival, never quarantinable): {shown}{more}"),
            on_missing=on_missing, details=details)
    if not arrived:
        message = (f"no test changed since {base} (or reached by a changed file) or new to "
                   "the flake ledger")
    else:
        message = (f"{_arrived(base, len(arrived), why_not)}, none contradicted itself; "
                   f"flake rate below {bound:.0%} (95%) for {len(arrived) - len(short)}")
    if short:
        # missing evidence is never a pass: a test the budget share could not repeat to the
        # bound is unproven (hostile case 170); the on_missing policy decides. (A changed
        # support file whose readers the run cannot name made every collected test arrive:
        # run/arrival.py, MAY_READ)
        details["unproven"] = short
        return GateResult(
            id=GATE_ID, level=level, status="not_evaluated", actual=len(short),
            threshold=0, message=f"{message}; {_unproven(short, arrived, bound)}",
            on_missing=on_missing, details=details)
    return GateResult(id=GATE_ID, level=level, status="pass", actual=0, threshold=0,
                      message=message, on_missing=on_missing, details=details)


def _unproven(short: list[str], arrived: list[TestOutcome], bound: float) -> str:
    """The unproven tests, and the changed files that made them arrive (a changed support
    file whose tests could not be repeated is named)."""
    shown = ", ".join(short[:3]) + (f" and {len(short) - 3} more" if len(short) > 3 else "")
    unproven = set(short)
    files = sorted({name for test in arrived if test.nodeid in unproven and test.arrival
                    for reason in test.arrival.why if not reason.startswith(RAN_INTO)
                    for name in (reason_file(reason),) if name})
    through = f"; arrived with {', '.join(files[:5])}" if files else ""
    return (f"{len(short)} not repeated enough within the budget share to bound their flake "
            f"rate below {bound:.0%} (unproven: {shown}{through}; raise [tool.pyramid.flaky] "
            "arrival_share or the tier's budget)")
