"""The flake ledger's rules: evidence, not guesses (pure; the storage is ``ledger.py``).

Every test's attempts across runs are judged by three rules, each a plain function tested
with parametrised tables:

- *outage*: a run where more than half of a tier's tests (a tier of at least
  ``OUTAGE_MIN_TESTS``) failed their first attempt is left out of every statistic: an
  infrastructure failure is not evidence about any one test, and counting it is how a
  pass-on-retry rule quarantines hundreds of healthy tests at once;
- *contradiction*: a pass and a fail of the same test on the same tree digest (a rerun, a
  retried shard, two runs of one tree) is proof of nondeterminism: the code did not change;
- *streak*: the test's last ``broken_streak`` attempts all failed with no pass since: the
  test is **broken**, and a broken test is never quarantined (a quarantine would hide a real
  failure behind the word "flaky").

The rate is the first-attempt failure rate over the last ``window`` runs of the protected
branch (outages left out), with a 95% Wilson score interval: with ``k`` failures in ``n``
runs it is exact enough at the small ``n`` a ledger has, never leaves [0, 1], and is not
degenerate at k = 0 (where the normal approximation claims certainty).

Nothing here decides a release: a quarantine only takes effect as an entry in the project's
tracked configuration (``gates/flaky.py``); this module proposes entries and says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_pyramid.run.summary import earlier_attempts

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

#: a tier smaller than this never makes a run an outage: one failing test of a three-test
#: tier is that test's evidence, not the infrastructure's
OUTAGE_MIN_TESTS = 4
#: the most run ids a test's evidence lists
EVIDENCE_RUNS = 10
#: z for a two-sided 95% interval
Z95 = 1.959963984540054

PASS = "pass"
FAIL = "fail"
#: record outcomes as attempts: a skip or an expected failure says nothing about flakiness
_KIND = {"passed": PASS, "xpassed": PASS, "failed": FAIL, "error": FAIL, "unfinished": FAIL}


@dataclass(frozen=True)
class Policy:
    """``[tool.pyramid.flaky]``: the ledger's knobs, with the defaults the benchmark checks."""

    #: runs of the protected branch the rate is computed over
    window: int = 30
    #: the protected branch (None: every branch the ledger holds)
    branch: str | None = None
    #: consecutive failed attempts, no pass since, that make a test broken
    broken_streak: int = 3
    #: consecutive clean first attempts before an entry is proposed for release: 59 is the
    #: smallest n with 0.95**n <= 0.05 (a test still 5% flaky passes 59 in a row < 5% of the time)
    release_after: int = 59
    #: days a proposed quarantine entry is honoured
    expires_days: int = 30
    #: the largest share of a tier that may be quarantined (the tests.quarantine gate blocks)
    max_share: float = 0.02


def policy_from(table: Mapping[str, Any] | None) -> Policy:
    """``[tool.pyramid.flaky]`` as the schema checked it (types and ranges); unset keys keep
    their defaults."""
    given = {key: value for key, value in (table or {}).items()
             if key in Policy.__dataclass_fields__}
    return Policy(**given)


@dataclass(frozen=True)
class LedgerRun:
    """One run as the ledger holds it: node id -> (tier, its attempts' outcomes in order)."""

    run_id: str
    tree: str | None
    branch: str | None
    tests: Mapping[str, tuple[str, tuple[str, ...]]]
    #: tier -> (tests with an attempt, tests whose first attempt failed), when ``tests`` holds
    #: only some of the run's tests (the ledger read for a verdict: only tests that failed)
    first_attempts: Mapping[str, tuple[int, int]] | None = None


@dataclass
class Standing:
    """What the ledger says about one test."""

    nodeid: str
    tier: str
    #: ``flaky`` (contradiction), ``broken`` (streak), ``failing`` (failures, no proof either
    #: way), ``stable``
    status: str = "stable"
    runs: int = 0
    first_failures: int = 0
    #: run ids proving the status: the runs of a contradicting tree, or the streak's runs
    evidence: list[str] = field(default_factory=list)
    #: clean first attempts since the last failure of any attempt, newest runs
    clean_streak: int = 0

    @property
    def rate(self) -> float | None:
        return self.first_failures / self.runs if self.runs else None

    def interval(self) -> tuple[float, float] | None:
        return wilson(self.first_failures, self.runs) if self.runs else None

    def to_json(self) -> dict[str, object]:
        low_high = self.interval()
        return {
            "nodeid": self.nodeid,
            "tier": self.tier,
            "status": self.status,
            "runs": self.runs,
            "first_failures": self.first_failures,
            "rate": None if self.rate is None else round(self.rate, 4),
            "ci95": None if low_high is None else [round(low_high[0], 4), round(low_high[1], 4)],
            "evidence": list(self.evidence),
            "clean_streak": self.clean_streak,
        }


def attempts_of(entry: Mapping[str, Any]) -> tuple[tuple[str, float | None], ...]:
    """A results record's attempts in the order they ran, each (pass or fail, seconds or
    None when unknown): a retried shard's replaced tries, then an arriving test's repeats
    (run/arrival.py: passes, then at most one failure; no durations), then the in-run
    reruns, then its last attempt. The one reading of a record's attempts: the ledger's
    every route (a run, a merge of shards) writes them through it. A skip or an xfail is no
    attempt at all."""
    earlier = earlier_attempts(entry)
    found: list[tuple[str, float | None]] = [
        (_KIND[a["outcome"]], a.get("duration_s")) for a in earlier
        if "shard_try" in a and a["outcome"] in _KIND]
    arrival = entry.get("arrival")
    if arrival is not None:
        failed = arrival["failed"]
        found += [(PASS, None)] * (arrival["repeats"] - failed) + [(FAIL, None)] * failed
    found += [(_KIND[a["outcome"]], a.get("duration_s")) for a in earlier
              if "shard_try" not in a and a["outcome"] in _KIND]
    final = _KIND.get(entry["outcome"])
    if final is not None:
        found.append((final, round(entry.get("setup_s", 0.0) + entry.get("call_s", 0.0)
                                   + entry.get("teardown_s", 0.0), 6)))
    return tuple(found)


def wilson(failures: int, runs: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``failures / runs`` (95% by default)."""
    if runs <= 0:
        return (0.0, 1.0)
    p = failures / runs
    denominator = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    # at k = 0 and k = n the bounds are exactly 0 and 1; the float arithmetic misses by 1e-16
    low = 0.0 if failures <= 0 else max(0.0, centre - half)
    high = 1.0 if failures >= runs else min(1.0, centre + half)
    return (low, high)


def release_chance(rate: float, clean_runs: int) -> float:
    """The chance that a test still flaky at ``rate`` passes ``clean_runs`` first attempts in a
    row, (1 - p)^n: how likely a release on that proof is wrong."""
    return (1.0 - rate) ** clean_runs


def outage_tiers(run: LedgerRun, min_tests: int = OUTAGE_MIN_TESTS) -> list[str]:
    """The tiers of ``run`` where more than half of the tests failed their first attempt."""
    if run.first_attempts is not None:
        return sorted(t for t, (n, failed) in run.first_attempts.items()
                      if n >= min_tests and 2 * failed > n)
    counted: dict[str, list[int]] = {}
    for tier, attempts in run.tests.values():
        if attempts:
            seen = counted.setdefault(tier, [0, 0])
            seen[0] += 1
            seen[1] += attempts[0] == FAIL
    return sorted(t for t, (n, failed) in counted.items() if n >= min_tests and 2 * failed > n)


def in_window(runs: Sequence[LedgerRun], policy: Policy) -> tuple[list[LedgerRun], list[str]]:
    """The last ``window`` runs of the protected branch with outages left out, and the ids of
    the outages left out."""
    kept, outages, _ = _split(runs, policy)
    return kept, outages


def _split(
    runs: Sequence[LedgerRun], policy: Policy
) -> tuple[list[LedgerRun], list[str], list[LedgerRun]]:
    """The window's counted runs, its outages, and every counted run of the branch (each
    run judged for an outage once: it is a pass over all its tests)."""
    mine = [r for r in runs if policy.branch is None or r.branch == policy.branch]
    outage = {r.run_id for r in mine if outage_tiers(r)}
    recent = mine[-policy.window:] if policy.window > 0 else []
    return ([r for r in recent if r.run_id not in outage],
            [r.run_id for r in recent if r.run_id in outage],
            [r for r in mine if r.run_id not in outage])


def contradiction(history: Sequence[tuple[str, str | None, tuple[str, ...]]]) -> list[str]:
    """Run ids proving a pass and a fail of the test on one tree digest ([] when none do).

    ``history``: (run id, tree digest, attempts) per run, oldest first. A run without a tree
    digest is its own tree (its reruns can still contradict each other)."""
    by_tree: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for run_id, tree, attempts in history:
        by_tree.setdefault(tree or f"run:{run_id}", []).append((run_id, attempts))
    for group in by_tree.values():
        both = [run_id for run_id, attempts in group if {PASS, FAIL} <= set(attempts)]
        if both:  # a fail and a pass within one run (a rerun): each such run is the proof
            return list(dict.fromkeys(both))[:EVIDENCE_RUNS]
        failed = [run_id for run_id, attempts in group if FAIL in attempts]
        passed = [run_id for run_id, attempts in group if PASS in attempts]
        if failed and passed:  # two runs of one tree: the failing ones and one that passed
            return list(dict.fromkeys(failed[:EVIDENCE_RUNS - 1] + passed[-1:]))
    return []


def streak(history: Sequence[tuple[str, str | None, tuple[str, ...]]], length: int) -> list[str]:
    """Run ids of the last ``length`` attempts when they all failed (no pass since), else []."""
    tail: list[str] = []
    for run_id, _tree, attempts in reversed(history):
        for attempt in reversed(attempts):
            if attempt == PASS:
                return []
            tail.append(run_id)
            if len(tail) >= length:
                return list(dict.fromkeys(reversed(tail)))
    return []


def clean_streak(history: Sequence[tuple[str, str | None, tuple[str, ...]]]) -> int:
    """Newest runs in a row whose every attempt passed (a rerun is not clean)."""
    count = 0
    for _run_id, _tree, attempts in reversed(history):
        if not attempts:
            continue
        if any(a == FAIL for a in attempts):
            break
        count += 1
    return count


def judge_test(
    nodeid: str, tier: str, history: Sequence[tuple[str, str | None, tuple[str, ...]]],
    policy: Policy,
) -> Standing:
    """One test's standing from its attempts in the window's runs (oldest first)."""
    ran = [attempts for _, _, attempts in history if attempts]
    standing = Standing(nodeid=nodeid, tier=tier, runs=len(ran),
                        first_failures=sum(a[0] == FAIL for a in ran),
                        clean_streak=clean_streak(history))
    broken = streak(history, policy.broken_streak)
    proof = contradiction(history)
    if broken:  # broken wins: a test failing every time now is never excused as flaky
        standing.status, standing.evidence = "broken", broken
    elif proof:
        standing.status, standing.evidence = "flaky", proof
    elif standing.first_failures:
        standing.status = "failing"
    return standing


History = list[tuple[str, "str | None", tuple[str, ...]]]


def _histories(runs: Iterable[LedgerRun]) -> tuple[dict[str, History], dict[str, str]]:
    histories: dict[str, History] = {}
    tiers: dict[str, str] = {}
    for run in runs:
        for nodeid, (tier, attempts) in run.tests.items():
            histories.setdefault(nodeid, []).append((run.run_id, run.tree, attempts))
            tiers[nodeid] = tier
    return histories, tiers


def standings(runs: Sequence[LedgerRun], policy: Policy) -> tuple[dict[str, Standing], list[str]]:
    """Every test's standing over the window, and the outage runs left out. The clean
    streak (for a release) reaches back over every run given, beyond the window: a release
    after 59 clean runs needs them all."""
    found, outages, _ = _standings(runs, policy)
    return found, outages


def _standings(
    runs: Sequence[LedgerRun], policy: Policy
) -> tuple[dict[str, Standing], list[str], int]:
    kept, outages, longer = _split(runs, policy)
    histories, tiers = _histories(kept)
    found = {nodeid: judge_test(nodeid, tiers[nodeid], history, policy)
             for nodeid, history in histories.items()}
    if len(longer) > len(kept):  # else the window's streaks are the whole story
        everything, _ = _histories(longer)
        for nodeid, standing in found.items():
            standing.clean_streak = clean_streak(everything.get(nodeid, []))
    return found, outages, len(kept)


def section(runs: Sequence[LedgerRun], policy: Policy) -> dict[str, object]:
    """The verdict's ``flaky_ledger``: every test that is not stable, with its evidence."""
    found, outages, counted = _standings(runs, policy)
    order = {"flaky": 0, "broken": 1, "failing": 2}
    listed = sorted((s for s in found.values() if s.status != "stable"),
                    key=lambda s: (order[s.status], -(s.rate or 0.0), s.nodeid))
    return {
        "window": policy.window,
        "branch": policy.branch,
        "runs": counted,
        "outages": outages,
        "tests": [s.to_json() for s in listed],
    }


def describe(standing: Mapping[str, object]) -> str:
    """``2/30 first attempts failed (6.7%, 95% CI 1.8-21.3%)`` for a section entry."""
    runs = standing.get("runs") or 0
    failures = standing.get("first_failures") or 0
    interval = standing.get("ci95")
    if not isinstance(runs, int) or not runs or not isinstance(interval, list):
        return "no counted runs"
    rate = float(standing.get("rate") or 0.0)  # type: ignore[arg-type]
    return (f"{failures}/{runs} first attempts failed ({rate:.1%}, 95% CI "
            f"{float(interval[0]):.1%}-{float(interval[1]):.1%})")


def by_status(entries: Iterable[Mapping[str, object]], status: str) -> list[Mapping[str, object]]:
    return [e for e in entries if e.get("status") == status]
