"""One compact record per test, for every file written after a run: the per-test results
next to the verdict, CI shard partials, and the reports built from them.

A record holds what a person or a merge needs about one test and no more: the node id as
pytest names it, the tier, the final outcome, the last attempt's phase durations, the
attempts before the last (in-run reruns, a retried shard's tries: each with its outcome,
duration and where it ran) with the count of those that failed (``reruns``), and a capped
message for anything but a pass. The same function turns a ``RunSummary`` into records
everywhere, so a shard's partial and an unsharded run describe a test identically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from pytest_pyramid.run.arrival import arrival_from as _arrival_from

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pytest_pyramid.run.arrival import Arrival
    from pytest_pyramid.run.summary import Attempt, RunSummary, TestOutcome


class _ArrivalCounts(TypedDict):
    repeats: int
    failed: int
    skipped: int


class ArrivalRecord(_ArrivalCounts, total=False):
    #: why it arrived (run/arrival.py's reasons); absent in a record from before them
    why: list[str]


class ResultRecord(TypedDict, total=False):
    nodeid: str
    tier: str
    outcome: str
    setup_s: float
    call_s: float
    teardown_s: float
    #: its failed attempts before the last (``earlier_attempts``' failures)
    reruns: int
    #: its attempts before the last, oldest first: in-run reruns, a retried shard's tries
    #: (results version 2; absent: none)
    earlier_attempts: list[Attempt]
    #: a test that arrived with the change (run/arrival.py): its repeats before the logged run
    arrival: ArrivalRecord
    #: an unfinished test (started, never ended) is listed with outcome "unfinished"
    message: str
    #: the fixture of wider scope whose setup or teardown failed on this test's report
    fixture_failure: str


def record(test: TestOutcome) -> ResultRecord:
    entry: ResultRecord = {
        "nodeid": test.nodeid,
        "tier": test.tier,
        "outcome": test.outcome if test.finished or test.outcome != "passed" else "unfinished",
        "setup_s": round(test.setup_s, 6),
        "call_s": round(test.call_s, 6),
        "teardown_s": round(test.teardown_s, 6),
    }
    if test.reruns:
        entry["reruns"] = test.reruns
    if test.earlier:
        entry["earlier_attempts"] = list(test.earlier)
    if test.arrival is not None:
        entry["arrival"] = {"repeats": test.arrival.repeats, "failed": test.arrival.failed,
                            "skipped": test.arrival.skipped}
        if test.arrival.why:
            entry["arrival"]["why"] = list(test.arrival.why)
    if test.message:
        entry["message"] = test.message
    if test.fixture_failure:
        entry["fixture_failure"] = test.fixture_failure
    return entry


def records(run: RunSummary) -> list[ResultRecord]:
    """Every test of the run, sorted by node id (collection order is not stable across runs
    or shards; node ids are); every item of a node id several items share."""
    # the earlier items of a shared node id first (a stable sort keeps them so): a merge
    # that reads the records back keeps the last one in ``outcomes``, as the run did
    tests = run.every_item()
    return [record(test) for test in sorted(tests, key=lambda test: test.nodeid)]


def arrival_from(entry: dict[str, object]) -> Arrival | None:
    """A checked record's arrival as the run summary holds it."""
    value = entry.get("arrival")
    if not isinstance(value, dict):
        return None
    return _arrival_from(value)


def nodeids(entries: Iterable[ResultRecord]) -> list[str]:
    return [entry["nodeid"] for entry in entries]
