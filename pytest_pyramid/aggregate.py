"""Folding test reports into a RunSummary, one O(1) update per report (no pytest import)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_pyramid.metrics import METRIC_PROPERTY
from pytest_pyramid.summary import MetricSample, RunSummary, TestOutcome, TierStats


class Aggregator:
    """Receives every report on the controller (or the only process of a serial run)."""

    def __init__(self, run: RunSummary) -> None:
        self.run = run
        self._metrics: dict[str, list[MetricSample]] = {}
        self.collection_errors = 0

    def tier(self, name: str) -> TierStats:
        stats = self.run.tiers.get(name)
        if stats is None:  # a tier known only to a worker (should not happen, but never crash)
            stats = self.run.tiers[name] = TierStats(name)
        return stats

    def add_report(
        self,
        *,
        nodeid: str,
        tier: str,
        when: str,
        outcome: str,
        duration: float,
        start: float,
        stop: float,
        wasxfail: bool,
        is_subtest: bool,
        user_properties: Sequence[tuple[str, object]],
    ) -> None:
        stats = self.tier(tier)
        test = self.run.outcomes.get(nodeid)
        if test is None:
            test = self.run.outcomes[nodeid] = TestOutcome(nodeid, tier)
        if outcome == "rerun":
            test.reruns += 1
            test.outcome = "passed"
            self._metrics.pop(nodeid, None)
            return
        if not is_subtest:
            stats.add_time(nodeid, duration, start, stop)
            test.duration_s += duration
        if outcome == "failed":
            if when == "call" and not is_subtest:
                test.outcome = "failed"
            elif when == "call":  # a failed subtest fails its test, counted once
                test.outcome = "failed" if test.outcome != "error" else "error"
            elif test.outcome != "failed":
                test.outcome = "error"
        elif outcome == "skipped" and test.outcome == "passed":
            test.outcome = "xfailed" if wasxfail else "skipped"
        elif outcome == "passed" and when == "call" and wasxfail and not is_subtest:
            test.outcome = "xpassed"
        if when == "teardown":
            stats.offer_slow(nodeid, test.duration_s)
            if not user_properties:
                return
            samples = [
                MetricSample(
                    name=str(payload["name"]),
                    value=float(payload["value"]),
                    tier=tier,
                    nodeid=nodeid,
                    tags=tuple(sorted(payload.get("tags", {}).items())),
                )
                for key, payload in _metric_payloads(user_properties)
            ]
            if samples:
                self._metrics[nodeid] = samples

    def finish(self) -> RunSummary:
        """Fold per-test outcomes into tier counters (once, at session end)."""
        for stats in self.run.tiers.values():
            stats.passed = stats.failed = stats.errors = stats.skipped = 0
            stats.xfailed = stats.xpassed = 0
        for test in self.run.outcomes.values():
            stats = self.tier(test.tier)
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
        self.run.metrics = [s for samples in self._metrics.values() for s in samples]
        return self.run


def _metric_payloads(
    user_properties: Iterable[tuple[str, object]],
) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for entry in user_properties:
        if len(entry) == 2 and entry[0] == METRIC_PROPERTY and isinstance(entry[1], Mapping):
            yield entry[0], entry[1]
