"""A test's phases are timed on the plugin's own clock (hostile case 259 d): the tier budget
and the per-test limits do not rest on pytest's report times, which a test's freezegun
freezes."""

from __future__ import annotations

import sys
import time

import pytest

from pytest_pyramid.run.aggregate import SPAN, Aggregator, timed
from pytest_pyramid.run.report_path import ReportPath
from pytest_pyramid.run.summary import RunSummary, TierStats

#: how long the phase below really takes (a lower bound any clock that moves must show)
SLEPT_S = 0.2


def _freeze_every_clock(frozen: pytest.MonkeyPatch) -> None:
    """freezegun's ``start()``: every module attribute that *is* the real clock is rebound,
    pytest's own (``_pytest.timing``, its report times) and this plugin's included."""
    real = {id(time.time), id(time.monotonic), id(time.perf_counter)}
    for name_of, module in list(sys.modules.items()):
        if module is None or not (name_of in ("time", "_pytest.timing")
                                  or name_of.startswith("pytest_pyramid")):
            continue
        for name, value in list(vars(module).items()):
            if id(value) in real:
                frozen.setattr(module, name, lambda: 1.0)


def test_a_phase_is_timed_on_the_plugins_clock_while_the_tests_clock_is_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from _pytest import timing

    path = ReportPath()
    with monkeypatch.context() as frozen:  # undone before pytest times this test's teardown
        _freeze_every_clock(frozen)
        phase = path._timed()
        next(phase)
        started = timing.perf_counter()
        time.sleep(SLEPT_S)  # the phase's body: a test that takes real time
        assert timing.perf_counter() - started == 0.0  # pytest's measure says "0 ms"
        with pytest.raises(StopIteration):
            next(phase)
    assert path._span is not None
    start, stop = path._span
    assert stop - start >= SLEPT_S * 0.95


@pytest.mark.parametrize(("span", "expected"), [
    (None, (0.0, 5.0, 5.0)),  # not timed by the plugin (xdist's report of a crashed worker)
    ((100.0, 101.5), (1.5, 100.0, 101.5)),
    ([100.0, 101.5], (1.5, 100.0, 101.5)),  # as it travels from an xdist worker
])
def test_timed_reads_the_plugins_span(
    span: tuple[float, float] | None, expected: tuple[float, float, float]
) -> None:
    report = pytest.TestReport("t.py::x", ("t.py", 1, "x"), {}, "passed", None, "call",
                               duration=0.0, start=5.0, stop=5.0)
    if span is not None:
        setattr(report, SPAN, span)
    assert timed(report) == expected


def test_the_tiers_wall_and_test_time_come_from_the_plugins_span() -> None:
    run = RunSummary(tiers={"unit": TierStats("unit", selected=True)}, selected_tiers=("unit",))
    aggregator = Aggregator(run)
    for when, span in (("setup", (100.0, 100.5)), ("call", (100.5, 102.0)),
                       ("teardown", (102.0, 102.5))):
        # what a frozen clock makes pytest report: no time at all, at the frozen instant
        report = pytest.TestReport("t.py::x", ("t.py", 1, "x"), {}, "passed", None, when,  # type: ignore[arg-type]
                                   duration=0.0, start=1.0, stop=1.0)
        setattr(report, SPAN, span)
        aggregator.add_report(report, "unit")
    stats = run.tiers["unit"]
    assert (stats.wall_time_s, stats.test_time_s) == (2.5, 2.5)
    test = run.outcomes["t.py::x"]
    assert (test.setup_s, test.call_s, test.teardown_s) == (0.5, 1.5, 0.5)
