from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.run.aggregate import Aggregator
from pytest_pyramid.run.metrics import LEGACY_PROPERTY, METRIC_PREFIX
from pytest_pyramid.run.summary import RunSummary, TierStats

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_pyramid.run.summary import Outcome

Phase = tuple[str, str]  # (when, outcome)


class SubtestReport(pytest.TestReport):
    """Stands for pytest's own SubtestReport (a TestReport subclass carrying a context)."""

    context = "subtest"


def report(
    when: str,
    outcome: str,
    *,
    duration: float = 0.0,
    start: float = 0.0,
    wasxfail: bool = False,
    subtest: bool = False,
    props: Sequence[tuple[str, object]] | None = None,
) -> pytest.TestReport:
    cls = SubtestReport if subtest else pytest.TestReport
    extra: dict[str, Any] = {"wasxfail": "reason"} if wasxfail else {}
    return cls(
        "t.py::x",
        ("t.py", 1, "x"),
        {},
        outcome,  # type: ignore[arg-type]
        None,
        when,  # type: ignore[arg-type]
        duration=duration,
        start=start,
        stop=start + duration,
        user_properties=list(props or []),
        **extra,
    )


def fold(phases: Sequence[Phase], *, wasxfail: bool = False, subtests: int = 0) -> RunSummary:
    run = RunSummary(tiers={"unit": TierStats("unit", selected=True)}, selected_tiers=("unit",))
    agg = Aggregator(run)
    for index, (when, outcome) in enumerate(phases):
        agg.add_report(
            report(when, outcome, duration=1.0, start=10.0 + index, wasxfail=wasxfail), "unit"
        )
        if when == "call":
            for _ in range(subtests):
                agg.add_report(
                    report("call", "failed", duration=0.5, start=10.0, subtest=True), "unit"
                )
    return agg.finish()


OK = ("setup", "passed")
END = ("teardown", "passed")


@pytest.mark.parametrize(
    ("phases", "wasxfail", "field"),
    [
        ([OK, ("call", "passed"), END], False, "passed"),
        ([OK, ("call", "failed"), END], False, "failed"),
        ([("setup", "failed"), END], False, "errors"),
        ([OK, ("call", "passed"), ("teardown", "failed")], False, "errors"),
        ([OK, ("call", "failed"), ("teardown", "failed")], False, "failed"),
        ([("setup", "skipped"), END], False, "skipped"),
        ([OK, ("call", "skipped"), END], True, "xfailed"),
        ([OK, ("call", "passed"), END], True, "xpassed"),
        ([OK, ("call", "rerun"), OK, ("call", "passed"), END], False, "passed"),
    ],
)
def test_one_test_counts_once(phases: list[Phase], wasxfail: bool, field: str) -> None:
    stats = fold(phases, wasxfail=wasxfail).tiers["unit"]
    counts = {
        name: getattr(stats, name)
        for name in ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")
    }
    assert counts == {name: int(name == field) for name in counts}


def test_failed_subtests_fail_their_test_once_and_do_not_add_time() -> None:
    run = fold([OK, ("call", "passed"), END], subtests=3)
    stats = run.tiers["unit"]
    assert (stats.failed, stats.passed) == (1, 0)
    assert stats.test_time_s == 3.0
    assert stats.wall_time_s == 3.0


@pytest.mark.parametrize("wasxfail", [False, True])
def test_a_failed_subtest_fails_its_test_whatever_the_call_report_after_it_says(
    wasxfail: bool,
) -> None:
    # pytest logs a test's subtest reports during its call, before the call's own report; in
    # a non-strict xfail that report passes marked wasxfail, and pytest fails it ("contains 1
    # failed subtest"): counted as xpassed, the failure vanished (hostile case 210 d)
    run = RunSummary(tiers={"unit": TierStats("unit", selected=True)}, selected_tiers=("unit",))
    agg = Aggregator(run)
    agg.add_report(report("setup", "passed"), "unit")
    agg.add_report(report("call", "failed", subtest=True), "unit")
    agg.add_report(report("call", "passed", wasxfail=wasxfail), "unit")
    agg.add_report(report("teardown", "passed"), "unit")
    stats = agg.finish().tiers["unit"]
    assert (stats.failed, stats.xpassed, stats.passed) == (1, 0, 0)


@pytest.mark.parametrize(("judged", "accounted"), [
    ("failed", 2), ("error", 2),
    # a failure the verdict's judgement hid (hostile case 210 d before its fix: "xpassed")
    # accounts for none of pytest's count: tests.pytest_status fails on the difference
    ("xpassed", 0), ("passed", 0), ("skipped", 0),
])
def test_pytests_failures_are_accounted_for_by_the_tests_judged_failed(
    judged: Outcome, accounted: int,
) -> None:
    run = RunSummary(tiers={"unit": TierStats("unit", selected=True)}, selected_tiers=("unit",))
    agg = Aggregator(run)
    agg.add_report(report("setup", "passed"), "unit")
    agg.add_report(report("call", "failed", subtest=True), "unit")  # pytest counts each
    agg.add_report(report("call", "failed"), "unit")
    agg.add_report(report("teardown", "passed"), "unit")
    run.outcomes["t.py::x"].outcome = judged  # what a judging rule made of the test
    assert agg.finish().failed_reports == accounted


def test_reruns_are_counted_and_flaky() -> None:
    run = fold([OK, ("call", "rerun"), OK, ("call", "passed"), END])
    assert [(t.nodeid, t.reruns) for t in run.flaky_tests] == [("t.py::x", 1)]


def test_metrics_come_from_the_final_teardown_only() -> None:
    run = RunSummary(tiers={}, selected_tiers=())
    agg = Aggregator(run)
    first = [(METRIC_PREFIX + "a", 1.0)]
    both = [*first, (LEGACY_PROPERTY, {"name": "a", "value": 2.0, "tags": {"page": "home"}})]
    both.append((METRIC_PREFIX + "b{route:/x}", 3))
    for when, props in (("call", first), ("teardown", both)):
        agg.add_report(report(when, "passed", props=[("other", 1), *props]), "perf")
    result = agg.finish()
    assert [(m.name, m.value, m.tier, m.tags) for m in result.metrics] == [
        ("a", 1.0, "perf", ()),
        ("a", 2.0, "perf", (("page", "home"),)),
        ("b", 3.0, "perf", (("route", "/x"),)),
    ]


@pytest.mark.parametrize(
    ("phases", "kept"),
    [
        ([("setup", "passed"), ("call", "passed"), ("teardown", "passed")], True),
        ([("setup", "passed"), ("call", "failed"), ("teardown", "passed")], False),
        ([("setup", "passed"), ("call", "skipped"), ("teardown", "passed")], False),
        ([("setup", "passed"), ("call", "passed"), ("teardown", "failed")], False),
    ],
)
def test_metrics_of_a_test_that_did_not_pass_are_discarded(
    phases: list[tuple[str, str]], kept: bool
) -> None:
    run = RunSummary(tiers={}, selected_tiers=())
    agg = Aggregator(run)
    props = [(METRIC_PREFIX + "load.rps", 100.0)]
    for when, outcome in phases:
        agg.add_report(report(when, outcome, props=props if when == "teardown" else []), "perf")
    result = agg.finish()
    assert bool(result.metrics) is kept
    if not kept:
        assert [(n, name) for n, name, _ in result.metrics_discarded] == [("t.py::x", "load.rps")]


def test_a_metric_that_cannot_be_judged_never_reaches_the_run() -> None:
    run = RunSummary(tiers={}, selected_tiers=())
    agg = Aggregator(run)
    bad = [(METRIC_PREFIX + "a", "fast"), (LEGACY_PROPERTY, {"name": "b", "value": float("nan")})]
    for when in ("setup", "call"):
        agg.add_report(report(when, "passed"), "perf")
    agg.add_report(report("teardown", "passed", props=bad), "perf")
    assert agg.finish().metrics == []


def test_slowest_keeps_the_top_five() -> None:
    stats = TierStats("unit")
    for index in range(20):
        stats.offer_slow(f"t{index}", float(index))
    assert [nodeid for nodeid, _ in stats.slowest] == ["t19", "t18", "t17", "t16", "t15"]


def test_phases_times_and_the_failure_text_are_kept_per_test() -> None:
    run = RunSummary(tiers={}, selected_tiers=())
    agg = Aggregator(run)
    agg.add_report(report("setup", "passed", duration=0.25, start=10.0), "unit")
    failed = report("call", "failed", duration=1.0, start=10.25)
    failed.longrepr = "E   assert 1 == 2\n" * 1000
    agg.add_report(failed, "unit")
    agg.add_report(report("teardown", "passed", duration=0.5, start=11.25), "unit")
    test = agg.finish().outcomes["t.py::x"]
    assert (test.setup_s, test.call_s, test.teardown_s) == (0.25, 1.0, 0.5)
    assert test.start == 10.0
    assert test.message.startswith("E   assert 1 == 2")
    assert len(test.message) <= 4000
    assert test.message.endswith("(cut)")


def test_records_are_sorted_by_node_id_and_name_unfinished_tests() -> None:
    from pytest_pyramid.verdict.records import records

    run = RunSummary(tiers={}, selected_tiers=())
    agg = Aggregator(run)
    for nodeid, phases in (("b.py::t", ("setup", "call", "teardown")), ("a.py::t", ("setup",))):
        for when in phases:
            r = report(when, "passed", duration=0.5)
            r.nodeid = nodeid
            agg.add_report(r, "unit")
    entries = records(agg.finish())
    assert [(e["nodeid"], e["outcome"]) for e in entries] == [
        ("a.py::t", "unfinished"), ("b.py::t", "passed")
    ]
    assert entries[1]["call_s"] == 0.5


def test_metrics_of_an_attempt_that_was_rerun_are_not_evidence() -> None:
    """pytest-rerunfailures keeps every attempt's user_properties on the item: only the
    last attempt's samples describe the code that passed."""
    run = RunSummary(tiers={}, selected_tiers=())
    agg = Aggregator(run)
    first = [(METRIC_PREFIX + "api.rps", 1_000_000.0)]
    last = [*first, (METRIC_PREFIX + "api.rps", 5.0)]
    for when, outcome, props in (
        ("setup", "passed", []), ("call", "rerun", first), ("teardown", "passed", first),
        ("setup", "passed", first), ("call", "passed", last), ("teardown", "passed", last),
    ):
        agg.add_report(report(when, outcome, props=props), "perf")
    result = agg.finish()
    assert [m.value for m in result.metrics] == [5.0]
    assert result.outcomes["t.py::x"].reruns == 1


def test_a_failure_reported_for_a_node_id_is_not_undone_by_another_runs_rerun() -> None:
    """--dist each runs a test on every worker: one worker's failure stays a failure."""
    run = fold([OK, ("call", "failed"), END, OK, ("call", "rerun"), END, OK, ("call", "passed"),
                END])
    assert run.outcomes["t.py::x"].outcome == "failed"
    assert run.failed_reports == 1


RERUN = ("call", "rerun")


@pytest.mark.parametrize(
    ("phases", "earlier", "final"),
    [
        ([OK, ("call", "passed"), END], (), ("passed", 1.0, 1.0, 1.0)),
        # each attempt's setup, call and teardown are its own; the record's are the last's
        ([OK, RERUN, END, OK, ("call", "passed"), END], (("failed", 3.0),),
         ("passed", 1.0, 1.0, 1.0)),
        ([OK, RERUN, END, OK, RERUN, END, OK, ("call", "failed"), END],
         (("failed", 3.0), ("failed", 3.0)), ("failed", 1.0, 1.0, 1.0)),
        # a fixture failed: the attempt is an error, and its teardown is still its own
        ([("setup", "rerun"), END, OK, ("call", "passed"), END], (("error", 2.0),),
         ("passed", 1.0, 1.0, 1.0)),
        # the call and the teardown of one attempt both failed: one attempt, not two
        ([OK, RERUN, ("teardown", "rerun"), OK, ("call", "passed"), END], (("failed", 3.0),),
         ("passed", 1.0, 1.0, 1.0)),
    ],
    ids=["no-rerun", "rerun-then-pass", "two-reruns-then-fail", "setup-rerun",
         "call-and-teardown-rerun"],
)
def test_each_attempt_is_recorded_with_its_own_outcome_and_time(
    phases: list[Phase], earlier: tuple[tuple[str, float], ...],
    final: tuple[str, float, float, float],
) -> None:
    test = fold(phases).outcomes["t.py::x"]
    assert tuple((a["outcome"], a["duration_s"]) for a in test.earlier) == earlier
    assert all(a["where"] == "rerun" for a in test.earlier)
    assert test.reruns == len(earlier)
    assert (test.outcome, test.setup_s, test.call_s, test.teardown_s) == final
