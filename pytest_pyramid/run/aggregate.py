"""Folding test reports into a RunSummary, one O(1) update per report (no pytest import)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pytest_pyramid.run.arrival import arrival_of
from pytest_pyramid.run.metrics import LEGACY_PROPERTY, MetricError, parse_entry
from pytest_pyramid.run.summary import (
    MESSAGE_CAP,
    MetricSample,
    RunSummary,
    TestOutcome,
    TierStats,
    rerun_attempt,
)

if TYPE_CHECKING:
    from collections.abc import Sequence


class ReportLike(Protocol):
    """The parts of a ``pytest.TestReport`` the aggregator reads (kept duck-typed: no pytest)."""

    @property
    def nodeid(self) -> str: ...
    @property
    def when(self) -> str | None: ...
    @property
    def outcome(self) -> str: ...
    @property
    def duration(self) -> float: ...
    @property
    def start(self) -> float: ...
    @property
    def stop(self) -> float: ...
    @property
    def user_properties(self) -> Sequence[tuple[str, object]]: ...


#: the report attribute holding a phase's (start, stop) on the plugin's own clock, set where
#: the test ran (``run/report_path.py``)
SPAN = "pyramid_span"
#: the report attribute naming the fixture of wider scope whose setup or teardown failed on
#: it (``run/fixture_owner.py``; set where the test ran, travels with xdist like the span)
FIXTURE_FAILURE = "pyramid_fixture_failure"


def timed(report: ReportLike) -> tuple[float, float, float]:
    """A phase's (duration, start, stop): the plugin's own measure where it has one (a
    test's clock moved by freezegun does not move it), else pytest's (a report the plugin did
    not time: xdist's for a crashed worker's test). Every reader of a phase's time reads it
    here."""
    span = getattr(report, SPAN, None)
    if span is None:
        return report.duration, report.start, report.stop
    start, stop = float(span[0]), float(span[1])
    return max(0.0, stop - start), start, stop


def _message(report: ReportLike) -> str:
    """The text a report gives for a failure, error, skip or xfail, capped."""
    reason = getattr(report, "wasxfail", None)
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        text = str(longrepr[2])
    elif reason:
        text = f"xfail: {reason}"
    else:
        text = str(getattr(report, "longreprtext", "") or longrepr or "")
    return text if len(text) <= MESSAGE_CAP else text[: MESSAGE_CAP - 15] + "\n... (cut)"


class Aggregator:
    """Receives every report on the controller (or the only process of a serial run)."""

    def __init__(self, run: RunSummary) -> None:
        self.run = run
        self._metrics: dict[str, list[MetricSample]] = {}
        #: node id -> user_properties entries recorded by attempts that were rerun
        self._rerun_offset: dict[str, int] = {}
        #: tests whose current attempt was rerun (its teardown is not the test's end)
        self._superseded: set[str] = set()
        #: node ids several collected items share (set when the collection is known)
        self.duplicated: frozenset[str] = frozenset()
        #: (node id, worker) -> the item of a shared node id that worker runs now
        self._items: dict[tuple[str, str], TestOutcome] = {}
        #: the test of each failed report pytest counts (one entry per report): only those of
        #: tests judged failed or in error account for pytest's count (``finish``)
        self._failed_of: list[TestOutcome] = []

    def tier(self, name: str) -> TierStats:
        stats = self.run.tiers.get(name)
        if stats is None:  # a tier known only to a worker (should not happen, but never crash)
            stats = self.run.tiers[name] = TierStats(name)
        return stats

    def add_report(self, report: ReportLike, tier: str, nodeid: str | None = None) -> None:
        """Fold one phase report (setup, call, teardown, rerun or subtest) of a test.

        The hot path: a plain pass of a known test is one dict lookup and :meth:`_time`; each
        other quantity has its own helper (the item, a rerun, an outcome that is not a pass,
        the test's end)."""
        if nodeid is None:
            nodeid = report.nodeid
        stats = self.run.tiers.get(tier) or self.tier(tier)
        test = self.run.outcomes.get(nodeid)
        if test is None or nodeid in self.duplicated:  # duplicated: empty unless ids are shared
            test = self._new_item(report, tier, nodeid)
        outcome = report.outcome
        if outcome == "rerun":
            self._rerun(report, test, nodeid)
            return
        when = report.when
        if when == "setup":
            self._superseded.discard(nodeid)  # a new attempt starts
        # a subtest report is part of its test's call: its time is already in the call's
        is_subtest = type(report).__name__ != "TestReport" and hasattr(report, "context")
        if not is_subtest:
            self._time(report, stats, test, when)
        if outcome != "passed":  # failures only: the hot path is passes
            self._not_passed(report, test, outcome, when, is_subtest)
        elif (when == "call" and not is_subtest and hasattr(report, "wasxfail")
              and test.outcome == "passed"):
            # a non-strict xfail whose call passed; a subtest that failed before this report
            # (pytest logs them during the call) already failed the test, and pytest fails
            # the report too ("contains 1 failed subtest"): hostile case 210 d
            test.outcome = "xpassed"
        if when == "teardown":
            self._test_end(report, stats, test, tier, nodeid)

    def _new_item(self, report: ReportLike, tier: str, nodeid: str) -> TestOutcome:
        """A test's first report, or any report of a node id several items share."""
        if nodeid in self.duplicated:
            return self._item_of(report, tier, nodeid)
        test = self.run.outcomes[nodeid] = TestOutcome(nodeid, tier)
        return test

    def _rerun(self, report: ReportLike, test: TestOutcome, nodeid: str) -> None:
        if nodeid in self._superseded and test.earlier:
            # a second failed phase of an attempt already rerun (its teardown): same attempt
            self._extend_attempt(test, timed(report)[0])
            return
        # the attempt ends here: its phases so far and this one are its own time, and the
        # next attempt's phases count from zero (the record's times are the last attempt's)
        spent = test.setup_s + test.call_s + test.teardown_s + timed(report)[0]
        test.earlier = (*test.earlier, rerun_attempt(report.when, spent))
        test.setup_s = test.call_s = test.teardown_s = test.duration_s = 0.0
        test.reruns += 1
        # a rerun supersedes its own attempt; a failure already reported (the same node id
        # run elsewhere, e.g. --dist each) stays a failure
        if test.outcome not in ("failed", "error"):
            test.outcome = "passed"
        self._metrics.pop(nodeid, None)
        self._superseded.add(nodeid)  # its teardown belongs to the attempt that was rerun
        self._rerun_offset[nodeid] = len(report.user_properties)

    @staticmethod
    def _extend_attempt(test: TestOutcome, duration: float) -> None:
        last = test.earlier[-1]
        spent = last.get("duration_s", 0.0) + duration
        test.earlier = (*test.earlier[:-1], {**last, "duration_s": round(spent, 6)})

    @staticmethod
    def _time(report: ReportLike, stats: TierStats, test: TestOutcome, when: str | None) -> None:
        """The phase's time: the tier's test time and span, the test's phases and span."""
        duration, start, stop = timed(report)
        stats.test_time_s += duration
        test.duration_s += duration
        if when == "call":
            test.call_s += duration
        elif when == "setup":
            test.setup_s += duration
        else:
            test.teardown_s += duration
        if start and (stats.first_start is None or start < stats.first_start):
            stats.first_start = start
        if stop and (stats.last_stop is None or stop > stats.last_stop):
            stats.last_stop = stop
        if start and not test.start:
            test.start = start
        if stop:
            test.stop = stop

    def _not_passed(self, report: ReportLike, test: TestOutcome, outcome: str,
                    when: str | None, is_subtest: bool) -> None:
        """A failed or skipped phase: its message (the first one) and the test's outcome."""
        if not test.message:
            test.message = _message(report)
        if outcome == "failed":
            fixture = getattr(report, FIXTURE_FAILURE, None)  # set where the test ran
            if fixture:
                test.fixture_failure = str(fixture)
            if not hasattr(report, "wasxfail"):
                self._failed_of.append(test)
            if when == "call":
                # a failed subtest fails its test, which still counts once
                test.outcome = "error" if is_subtest and test.outcome == "error" else "failed"
            elif test.outcome != "failed":
                test.outcome = "error"
        elif outcome == "skipped" and test.outcome == "passed":
            test.outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"

    def _test_end(self, report: ReportLike, stats: TierStats, test: TestOutcome, tier: str,
                  nodeid: str) -> None:
        """The teardown ends the test (unless its attempt was rerun): finished, offered to
        the slowest list, its metric properties and arrival read."""
        properties = report.user_properties
        if nodeid in self._superseded:
            # entries of an attempt that was rerun stay in the item's list: not evidence
            self._superseded.discard(nodeid)
            self._rerun_offset[nodeid] = len(properties)
            if test.earlier:  # its teardown is the rerun attempt's time, not the next one's
                duration = timed(report)[0]
                test.teardown_s = max(0.0, test.teardown_s - duration)
                test.duration_s = max(0.0, test.duration_s - duration)
                self._extend_attempt(test, duration)
            return
        test.finished = True
        stats.offer_slow(nodeid, test.duration_s)
        if properties:
            start = self._rerun_offset.pop(nodeid, 0)
            self._collect_metrics(nodeid, tier, properties[start:])
            test.arrival = arrival_of(properties) or test.arrival

    def _item_of(self, report: ReportLike, tier: str, nodeid: str) -> TestOutcome:
        """The item a report of a shared node id belongs to: a setup starts a new item
        (unless it retries a rerun one), later phases go to the item their worker runs; the
        earlier items are kept in ``run.repeated``, so each counts once."""
        key = (nodeid, str(getattr(report, "worker_id", "") or ""))
        test = self._items.get(key)
        if test is None or (report.when == "setup" and nodeid not in self._superseded):
            test = self._items[key] = TestOutcome(nodeid, tier)
            earlier = self.run.outcomes.get(nodeid)
            if earlier is not None:
                self.run.repeated.append(earlier)
            self.run.outcomes[nodeid] = test
        return test

    def _collect_metrics(
        self, nodeid: str, tier: str, user_properties: Sequence[tuple[str, object]]
    ) -> None:
        samples = []
        for entry in user_properties:
            if len(entry) != 2 or not str(entry[0]).startswith(LEGACY_PROPERTY):
                continue
            try:
                parsed = parse_entry(str(entry[0]), entry[1])
            except MetricError:
                # checked where the test ran (the test failed for it); never judged
                continue
            if parsed is not None:
                name, value, tags = parsed
                samples.append(MetricSample(name, value, tier, nodeid, tags))
        if samples:
            self._metrics[nodeid] = samples

    def finish(self) -> RunSummary:
        """Fold per-test outcomes into tier counters (once, at session end)."""
        # pytest's failures are accounted for by the tests the verdict judged failed, not by
        # the reports it saw: a failed report of a test judged anything else (hostile case
        # 210 d: "xpassed") is a failure the verdict hid, which tests.pytest_status fails on
        self.run.failed_reports = sum(
            1 for test in self._failed_of if test.outcome in ("failed", "error"))
        for stats in self.run.tiers.values():
            stats.passed = stats.failed = stats.errors = stats.skipped = 0
            stats.xfailed = stats.xpassed = 0
        for test in self.run.every_item():
            stats = self.tier(test.tier)
            if test.outcome == "passed" and not test.finished:
                continue  # started, never ended: not a pass (RunSummary.unfinished_tests)
            if test.outcome == "passed":
                stats.passed += 1
            elif test.outcome == "failed":
                stats.failed += 1
            elif test.outcome == "error":
                stats.errors += 1
            elif test.outcome == "skipped":
                stats.skipped += 1
            elif test.outcome == "xfailed":
                stats.xfailed += 1
            else:
                stats.xpassed += 1
        # Only a passing test's numbers describe the code: a failed, skipped or xfailed test
        # (or one that never finished) may have stopped half-way through its measurement.
        kept: list[MetricSample] = []
        discarded = self.run.metrics_discarded
        outcomes = self.run.outcomes
        for nodeid, samples in self._metrics.items():
            final = outcomes.get(nodeid)
            if final is not None and final.outcome == "passed" and final.finished:
                kept.extend(samples)
            else:
                outcome = "unfinished" if final is None or not final.finished else final.outcome
                discarded.extend((nodeid, s.name, outcome) for s in samples)
        self.run.metrics = kept
        return self.run
