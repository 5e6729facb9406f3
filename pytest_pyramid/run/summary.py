"""What a run measured, aggregated from test reports; the input of every gate."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pytest_pyramid.results import TypedDict, record

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pytest_pyramid.run.arrival import Arrival

Outcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
SLOWEST_KEPT = 5
#: a failure text kept per test is cut here: reports stay bounded on large broken runs
MESSAGE_CAP = 4000


@record
class TierStats:
    """Counters of one tier. Updated once per report, so every update is O(1)."""

    name: str
    selected: bool = False
    collected: int = 0
    deselected: int = 0
    paths_not_collected: int = 0
    #: test files of this tier (by path) on disk under the scanned roots
    files_on_disk: int = 0
    #: tests that were to run in this run and never reported a final outcome
    never_ran: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    #: test modules skipped at import (``pytest.importorskip``, a module-level ``skip``):
    #: pytest counts each as one skipped test, and so does the tier
    skipped_modules: int = 0
    test_time_s: float = 0.0
    first_start: float | None = None
    last_stop: float | None = None
    budget_s: float | None = None
    #: the widest limit a test of this tier set with its own ``timeout`` mark (0: lifted,
    #: no limit); None: every test ran under the tier's limit
    own_timeout_s: float | None = None
    _slowest: list[tuple[float, str]] = field(default_factory=list, repr=False)

    @property
    def executed(self) -> int:
        return self.passed + self.failed + self.errors + self.xfailed + self.xpassed

    @property
    def wall_time_s(self) -> float:
        if self.first_start is None or self.last_stop is None:
            return 0.0
        return max(0.0, self.last_stop - self.first_start)

    @property
    def has_tests(self) -> bool:
        """Whether the project has tests in this tier: on disk, or collected in this run."""
        return self.collected > 0 or self.paths_not_collected > 0 or self.files_on_disk > 0

    @property
    def ran(self) -> bool:
        """A tier ran only if something in it passed (all skipped or xfailed is no run)."""
        return self.passed + self.xpassed > 0

    def offer_slow(self, nodeid: str, duration: float) -> None:
        entry = (duration, nodeid)
        if len(self._slowest) < SLOWEST_KEPT:
            heapq.heappush(self._slowest, entry)
        elif entry > self._slowest[0]:
            heapq.heapreplace(self._slowest, entry)

    @property
    def slowest(self) -> list[tuple[str, float]]:
        return [(nodeid, duration) for duration, nodeid in sorted(self._slowest, reverse=True)]


@record(frozen=True)
class MetricSample:
    """A number a test recorded with the ``pyramid_metric`` fixture."""

    name: str
    value: float
    tier: str
    nodeid: str
    tags: tuple[tuple[str, str], ...] = ()


class Attempt(TypedDict, total=False):
    """One attempt of a test before its last (the record itself describes the last)."""

    #: a record outcome: ``failed``/``error`` for an in-run rerun, any for a shard try's last
    outcome: str
    #: the attempt's own setup + call + teardown; absent when unknown (a version 1 record)
    duration_s: float
    #: ``rerun`` (pytest-rerunfailures ran the test again after it) or ``shard retry`` (the
    #: last attempt of a shard try a CI retry of the shard replaced)
    where: str
    #: the replaced shard try the attempt belongs to, counted from 1 (absent: the try that
    #: counted)
    shard_try: int


RERUN = "rerun"
SHARD_RETRY = "shard retry"
#: record outcomes that are a failed attempt (an unfinished test never passed)
FAILING = frozenset({"failed", "error", "unfinished"})


def rerun_attempt(when: str | None, duration_s: float) -> Attempt:
    """An attempt pytest-rerunfailures ran again: a failed call, else an error of its fixtures."""
    return {"outcome": "failed" if when == "call" else "error",
            "duration_s": round(duration_s, 6), "where": RERUN}


def earlier_attempts(entry: Mapping[str, Any]) -> tuple[Attempt, ...]:
    """A record's attempts before its last, oldest first: its ``earlier_attempts``, or for a
    record that predates them (results version 1, a partial of an older shard) its
    ``reruns``, each a failed attempt of unknown duration (pytest-rerunfailures reruns only
    a failure)."""
    given = entry.get("earlier_attempts")
    if given is not None:
        return tuple(given)
    return tuple({"outcome": "failed", "where": RERUN} for _ in range(entry.get("reruns", 0)))


def retried_attempts(
    replaced: Sequence[Mapping[str, Any] | None], final: Mapping[str, Any]
) -> tuple[Attempt, ...]:
    """The attempts before the last of a test whose CI shard was retried: every replaced
    try's attempts in the order the tries ran (its earlier ones, then its last, each with
    the try's number), then the counted try's own earlier attempts. ``replaced``: the test's
    record in each replaced try, oldest first (None: that try never reported it)."""
    found: list[Attempt] = []
    for number, entry in enumerate(replaced, start=1):
        if entry is None:
            continue
        for attempt in earlier_attempts(entry):
            found.append({**attempt, "shard_try": number})
        found.append({"outcome": entry["outcome"], "duration_s": round(
            entry["setup_s"] + entry["call_s"] + entry["teardown_s"], 6),
            "where": SHARD_RETRY, "shard_try": number})
    return (*found, *earlier_attempts(final))


_ATTEMPT_OUTCOMES = frozenset(
    {"passed", "failed", "error", "skipped", "xfailed", "xpassed", "unfinished"})
_WHERE = frozenset({RERUN, SHARD_RETRY})
_ATTEMPT_KEYS = frozenset(Attempt.__annotations__)


def attempts_problem(value: object, reruns: object) -> str | None:
    """What is wrong with a record's ``earlier_attempts`` (None: nothing): the one check the
    results file and a shard's partial both run. ``reruns`` must count its failures."""
    if type(value) is not list or not value:
        return "earlier_attempts must be a non-empty list"
    for index, attempt in enumerate(value):
        problem = _attempt_problem(attempt)
        if problem:
            return f"earlier_attempts[{index}]: {problem}"
    if reruns != failed_attempts(value):
        return (f"reruns {reruns!r} is not the {failed_attempts(value)} failed attempt(s) "
                "earlier_attempts lists")
    return None


def _attempt_problem(attempt: object) -> str | None:
    if type(attempt) is not dict:
        return "not an object"
    unknown = sorted(set(attempt) - _ATTEMPT_KEYS)
    if unknown:
        return f"unknown key {unknown[0]!r}"
    if attempt.get("outcome") not in _ATTEMPT_OUTCOMES:
        return f"outcome {attempt.get('outcome')!r} is not one of {sorted(_ATTEMPT_OUTCOMES)}"
    if attempt.get("where") not in _WHERE:
        return f"where {attempt.get('where')!r} is not one of {sorted(_WHERE)}"
    duration = attempt.get("duration_s", 0.0)
    if type(duration) not in (int, float) or not 0 <= duration < float("inf"):
        return "duration_s must be a finite number >= 0"
    shard_try = attempt.get("shard_try", 1)
    if type(shard_try) is not int or shard_try < 1:
        return "shard_try must be a whole number >= 1"
    if attempt["where"] == SHARD_RETRY and "shard_try" not in attempt:
        return "a shard retry's attempt names its shard_try"
    return None


def failed_attempts(attempts: Sequence[Attempt]) -> int:
    """How many of ``attempts`` failed: a record's ``reruns`` (a pass after one is flaky)."""
    return sum(1 for attempt in attempts if attempt["outcome"] in FAILING)


@dataclass
class TestOutcome:
    """The final outcome of one test (all phases folded), with its rerun count."""

    __test__ = False  # not a test class, despite the name

    nodeid: str
    tier: str
    outcome: Outcome = "passed"
    duration_s: float = 0.0
    #: failed attempts before the last: in-run reruns, and after a merge a retried shard's
    #: failed attempts too (a pass after one is flaky)
    reruns: int = 0
    #: the teardown report arrived (an interrupted or crashed test never gets one)
    finished: bool = False
    setup_s: float = 0.0
    call_s: float = 0.0
    teardown_s: float = 0.0
    #: epoch seconds of the first phase's start and the last phase's end (0: unknown)
    start: float = 0.0
    stop: float = 0.0
    #: why it failed, errored, was skipped or xfailed (capped at MESSAGE_CAP characters)
    message: str = ""
    #: a test that arrived with the change (run/arrival.py): its repeats
    arrival: Arrival | None = None
    #: its attempts before the last, oldest first (the phase times above are the last's);
    #: a tuple, replaced when one is added: most tests have none, and allocate nothing
    earlier: tuple[Attempt, ...] = ()
    #: the fixture of wider scope than the test whose setup or teardown failed on this test's
    #: report ("server (module)"): its failure, never excused by the test's quarantine entry
    fixture_failure: str = ""


@record
class RunSummary:
    """Everything the controller knows at session end; gates read it, nothing writes back."""

    tiers: dict[str, TierStats]
    selected_tiers: tuple[str, ...]
    rootdir: str = ""
    workers: int = 0
    duration_s: float = 0.0
    exitstatus: int = 0
    metrics: list[MetricSample] = field(default_factory=list)
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    #: earlier items of a node id more than one collected item shares (``outcomes`` holds
    #: the last): each item counts once in its tier
    repeated: list[TestOutcome] = field(default_factory=list)
    incomplete_reasons: list[str] = field(default_factory=list)
    filter_reasons: list[str] = field(default_factory=list)
    #: samples recorded by tests whose final outcome was not "passed": (nodeid, name, outcome)
    metrics_discarded: list[tuple[str, str, str]] = field(default_factory=list)
    #: failed reports seen (as pytest counts them: each failing phase, subtests included)
    #: of tests the run judged failed or in error (``run/aggregate.py: finish``)
    failed_reports: int = 0
    #: what pytest itself counted as failed (session.testsfailed), and collection errors
    pytest_failures: int = 0
    collection_errors: int = 0

    @property
    def unfinished_tests(self) -> int:
        """Tests that started but never reported an end (Ctrl-C, a killed worker)."""
        return sum(
            1 for o in self.every_item() if not o.finished and o.outcome == "passed"
        )

    @property
    def failed_tests(self) -> list[TestOutcome]:
        return [o for o in self.every_item() if o.outcome in ("failed", "error")]

    @property
    def flaky_tests(self) -> list[TestOutcome]:
        return [o for o in self.every_item() if o.reruns and o.outcome == "passed"]

    def every_item(self) -> list[TestOutcome]:
        """Every test item's outcome: those of node ids several items share included
        (``repeated``, the earlier items, first)."""
        return [*self.repeated, *self.outcomes.values()] if self.repeated else [
            *self.outcomes.values()]

    def tier_ran(self, name: str) -> bool:
        """A tier ran only if something in it passed (all skipped or xfailed is no run)."""
        stats = self.tiers.get(name)
        return stats is not None and stats.ran


class Problem(TypedDict):
    """One reason the run cannot vouch for a release, whatever its gates say."""

    kind: str
    message: str


@record
class ShardEnd:
    """A CI shard's own part of the selection, and what it knows of the whole."""

    index: int
    total: int
    #: what said which shard this is (``--pyramid-shard=2/4``, the CI's variables)
    source: str
    #: the selection before splitting: ``digest``, ``count``, ``tiers`` (count per tier),
    #: the durations file it was split by (``durations``, ``durations_digest``) ...;
    #: empty when no process reported its collection
    selection: dict[str, Any] = field(default_factory=dict)
    #: this shard's tests (node id -> tier), whether they reported or not
    assigned: dict[str, str] = field(default_factory=dict)
    #: module/class node id -> seconds its module/class-scoped fixtures took to set up
    scope_setup: dict[str, float] = field(default_factory=dict)


@record
class RunEnd:
    """How the run ended, as the run stage saw it: the verdict stage's only view of it."""

    exitstatus: int
    #: pytest's own stop or fail text (``session.shouldstop`` / ``shouldfail``)
    stop_text: str | None = None
    #: session.testsfailed: failures pytest counted (tests and other sources, e.g. fail-under)
    tests_failed: int = 0
    crashes: list[str] = field(default_factory=list)
    collection_errors: int = 0
    workers: int = 0
    started: float = 0.0
    #: reasons the run cannot vouch for the whole suite, found while it ran
    problems: list[Problem] = field(default_factory=list)
    #: tiers a release needs (configured, or those with tests on disk or collected)
    required: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    #: tests that were to run and never reported an outcome
    never_ran: int = 0
    #: what the run stage has to say in the terminal summary (limits not enforced ...)
    notes: list[str] = field(default_factory=list)
    #: set in a CI shard (``--pyramid-shard``): the run writes a partial, not a verdict
    shard: ShardEnd | None = None
    #: what reached the run and where from (``run/invocation.py``), for the verdict's ``run``
    invocation: dict[str, Any] | None = None
    #: the modules of the project's packages the processes loaded (``run/loaded.py``): raw
    #: facts a shard's partial carries for ``pyramid merge`` to judge again
    loaded_code: dict[str, str | None] | None = None
    #: the installed distributions the processes imported (``run/distributions.py``)
    distributions: dict[str, dict[str, Any]] | None = None

    def close(self, run: RunSummary) -> None:
        """Put how the run ended into its summary, before anything is judged on it."""
        import time

        run.workers = self.workers
        run.duration_s = time.time() - self.started
        run.exitstatus = self.exitstatus
        run.pytest_failures = self.tests_failed
        run.collection_errors = self.collection_errors


def wider_limit(a: float | None, b: float | None) -> float | None:
    """The wider of two own ``timeout`` marks (0 lifts the limit: the widest of all)."""
    if a is None or b is None:
        return b if a is None else a
    return 0.0 if a <= 0 or b <= 0 else max(a, b)


def recorded_limit(limit: float | None, own: float | None) -> float | None:
    """The per-test limit a tier's tests ran under at most: the tier's, unless a test's own
    ``timeout`` mark lifted it (None: unbounded) or raised it."""
    if limit is None or own is None:
        return limit
    return None if own <= 0 else max(limit, own)
