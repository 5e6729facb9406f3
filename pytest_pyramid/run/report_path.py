"""The per-report path: what happens to each test report, in the process that ran the test
and on the xdist controller (the hottest code of the plugin: O(1) per report, a dict lookup
and a fold into the tier's counters; metric and limit checks only when a test has properties
or a limit is enforced).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.durations import format_duration, now
from pytest_pyramid.run.aggregate import FIXTURE_FAILURE, SPAN, timed
from pytest_pyramid.run.metrics import LEGACY_PROPERTY, check_properties

if TYPE_CHECKING:
    from collections.abc import Generator

    from pytest_pyramid.run.aggregate import Aggregator
    from pytest_pyramid.run.limits import LimitPlan

TIMEOUT_PREFIX = "Timeout (>"

#: the time spent by a test already failed: no later phase of it is failed again
_JUDGED = float("-inf")


def _killed_after(message: str) -> float | None:
    """The limit in pytest-timeout's ``Timeout (>0.5s) from pytest-timeout.``"""
    start = message.find(TIMEOUT_PREFIX) + len(TIMEOUT_PREFIX)
    end = message.find("s)", start)
    try:
        return float(message[start:end])
    except ValueError:
        return None


class ReportPath:
    """Part of :class:`~pytest_pyramid.run.session.PyramidSession`: each test report, from
    pytest's report hook to the tier's counters (the state is the session's)."""

    limits: LimitPlan
    tier_of: dict[str, str]
    learned_tiers: dict[str, str]
    workers: set[str]
    is_worker: bool
    failed_tiers: set[str]
    aggregator: Aggregator
    timer_fired: set[str]
    _hard_limits: dict[str, float | None]
    _own_limits: dict[str, float | None]
    _spent: dict[str, float]
    _func_only: bool
    _metrics_checked: dict[str, int]
    _junit_strict: bool
    #: the last phase's (start, stop) on the plugin's own clock, until its report takes it
    _span: tuple[float, float] | None = None

    # Each phase is timed here, on the judgement's clock (``durations.now``: held in a
    # closure), not by pytest's report times: ``_pytest.timing`` reads ``time.time`` and
    # ``perf_counter`` through module attributes that freezegun's ``start()`` rebinds (a test
    # module that left it started made a 1.5 s test take "0 ms" of its tier's budget, hostile
    # case 259 d). Outermost wrappers: the span holds every implementation of the phase.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self._timed())

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self._timed())

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, None, None]:
        return (yield from self._timed())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """A failed setup or teardown names the fixture of wider scope it belongs to, on the
        report (it travels with xdist and into every record): the quarantine of the test it
        landed on does not excuse it (``gates/flaky.py: quarantine_excuses``). Failures only."""
        report = yield
        if report.outcome == "failed" and call.when != "call" and call.excinfo is not None:
            from pytest_pyramid.run.fixture_owner import wider_fixture

            info = getattr(item, "_fixtureinfo", None)
            owner = wider_fixture(call.excinfo.value,
                                  info.name2fixturedefs if info is not None else {})
            if owner is not None:
                setattr(report, FIXTURE_FAILURE, owner)
        return report

    def _timed(self) -> Generator[None, None, None]:
        start = now()
        try:
            return (yield)
        finally:
            self._span = (start, now())

    def _note_timeout(self, report: pytest.TestReport, tier: str) -> None:
        """Name the tier and its limit in a pytest-timeout failure (failures only: cheap)."""
        crash = getattr(report.longrepr, "reprcrash", None)
        message = getattr(crash, "message", "")
        if crash is None or TIMEOUT_PREFIX not in message or "pytest-timeout" not in message:
            return
        limit = self.limits.effective.get(tier)
        if limit is None or _killed_after(message) != limit:
            return  # the test's own timeout mark killed it, and pytest-timeout said so
        if self.limits.user_override:
            note = f"--timeout limit {format_duration(limit)}"
        else:
            note = f"tier {tier!r} per-test limit {format_duration(limit)}"
        crash.message = f"{message} [pyramid: {note} exceeded]"
        report.sections.append(("pyramid", f"killed by the {note} (pytest-timeout)"))

    def _check_limit(self, report: pytest.TestReport, nodeid: str, tier: str) -> None:
        """Fail a test whose limit timer went off, or whose measured time exceeds the limit
        it ran under, whatever it did with pytest-timeout's exception (``except
        BaseException``, a bare ``except:``, a retry loop)."""
        spent = self._spent.pop(nodeid, 0.0) + (
            timed(report)[0] if report.when == "call" or not self._func_only else 0.0)
        went_off = nodeid in self.timer_fired
        if report.when == "teardown" or report.outcome == "failed":
            self.timer_fired.discard(nodeid)
        if report.outcome == "failed":  # killed (named by _note_timeout) or failed on its own
            if report.when != "teardown":
                self._spent[nodeid] = _JUDGED  # one failure per test, not one per phase
            return
        if report.when != "teardown":
            self._spent[nodeid] = spent
        own = self._own_limits
        limit = own[nodeid] if own and nodeid in own else self._hard_limits.get(tier)
        if limit is None or not (went_off or spent > limit):
            return
        if report.when != "teardown":
            self._spent[nodeid] = _JUDGED
        self.timer_fired.discard(nodeid)
        what = self._limit_named(nodeid, tier, limit)
        report.outcome = "failed"
        if hasattr(report, "wasxfail"):
            del report.wasxfail  # an expected failure does not excuse a broken hard limit
        report.longrepr = (
            f"pyramid: {what} exceeded: the test ran {format_duration(spent)} up to its "
            f"{report.when}; the timeout was caught and the test went on"
        )

    def _limit_named(self, nodeid: str, tier: str, limit: float) -> str:
        """Which limit a test broke, as its failure names it."""
        if nodeid in self._own_limits:
            return f"its own timeout mark {format_duration(limit)}"
        if self.limits.user_override:
            return f"the --timeout limit {format_duration(limit)}"
        if not self.limits.effective.get(tier):
            return f"pytest-timeout's timeout {format_duration(limit)}"
        return f"tier {tier!r} per-test limit {format_duration(limit)}"

    def _check_metrics(self, report: pytest.TestReport, nodeid: str) -> None:
        """Fail the test whose metric samples cannot be judged (where the test ran)."""
        properties = report.user_properties
        start = self._metrics_checked.get(nodeid, 0)
        if len(properties) > start:
            problem = check_properties(properties, start)
            if problem is not None and report.outcome != "failed":
                report.outcome = "failed"
                report.longrepr = f"pyramid: {problem} (the sample was not recorded)"
            if any(str(e[0]).startswith(LEGACY_PROPERTY) for e in properties[start:]
                   if isinstance(e, tuple) and e):
                self._metrics_checked[nodeid] = len(properties)
        if report.when == "teardown":
            self._metrics_checked.pop(nodeid, None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Runs before xdist ships the report and before junitxml/terminal read it.
        nodeid = report.nodeid  # a property on pytest 9: read it once
        tier = self.tier_of.get(nodeid)
        if tier is None:  # on an xdist controller the worker named the tier
            tier = getattr(report, "pyramid_tier", None)
            if tier is None:
                # xdist reports a crashed worker's test itself, without the worker's tier
                tier = self.learned_tiers.get(nodeid)
                if tier is None:
                    return
            else:
                self.learned_tiers[nodeid] = tier
            node = getattr(report, "node", None)
            if node is not None:
                self.workers.add(str(node.gateway.id))
        else:
            if self._span is not None:  # the phase's own report (a subtest's comes before)
                setattr(report, SPAN, self._span)  # travels with xdist, as the tier does
                self._span = None
            if report.user_properties:
                self._check_metrics(report, nodeid)
            if self._hard_limits:
                self._check_limit(report, nodeid, tier)
            if report.outcome == "failed":
                self._note_timeout(report, tier)
            if self.is_worker:
                report.pyramid_tier = tier  # type: ignore[attr-defined]  # travels with xdist
                return
        if report.outcome == "failed":
            self.failed_tiers.add(tier)
        self.aggregator.add_report(report, tier, nodeid)
        if self._junit_strict and report.user_properties:
            report.user_properties = [
                entry for entry in report.user_properties
                if not str(entry[0] if entry else "").startswith(LEGACY_PROPERTY)
            ]
