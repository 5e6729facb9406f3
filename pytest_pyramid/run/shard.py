"""Which tests a CI shard runs: the shard spec, the durations file and the assignment (pure).

A shard is one of N machines that together run the whole selection once. Every shard
computes the same assignment from the same inputs - the selected node ids with their tiers
and the durations file - so no coordinator is needed, and the result cannot depend on the
collection order (randomisers, ``parametrize(set(...))``): the node ids are sorted first.

Balance: each test costs its recorded setup + call + teardown; a test with no record costs
its tier's median (unknown tiers: the median of all; nothing recorded: 1 s, i.e. an even
split by count). A module or class whose module/class-scoped fixtures are expensive is one
unit, so its shared setup is paid once (see :func:`kept_together`). Units are placed longest
first onto the least-loaded shard (LPT), tier by tier from the *last* tier to the first,
each time onto the shard with the least work from that tier onwards: the slow tiers' big
units go first (what LPT needs), the many small fast-tier tests fill the gaps, and every
shard starts each tier at about the same time.

Nothing here imports pytest; the glue is in ``run/sharding.py``.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: (CI system, index variable, total variable, first index) read by ``--pyramid-shard=auto``,
#: in the order they are tried: Bazel's are set by the test runner itself, CircleCI's are
#: set on every job (1 shard without ``parallelism``).
CI_SYSTEMS: tuple[tuple[str, str, str, int], ...] = (
    ("Bazel", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", 0),
    ("Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0),
    ("CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0),
    ("GitLab", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1),
)
#: Bazel's sharding protocol: the runner touches this file to say it did shard
BAZEL_STATUS_FILE = "TEST_SHARD_STATUS_FILE"
#: a module or class is kept on one shard when its shared setup costs at least this ...
KEEP_TOGETHER_MIN_S = 1.0
#: ... or at least as much as all its tests' own time (the shared setup dominates)
DURATIONS_FORMAT = "pytest-pyramid-durations"
DURATIONS_VERSION = 1
#: the cost of a test when nothing at all is recorded: every test alike (a split by count)
UNKNOWN_COST_S = 1.0
_SPEC = re.compile(r"^\s*([+-]?\d+)\s*/\s*([+-]?\d+)\s*$")


class ShardError(ValueError):
    """A shard option or CI variable that cannot be used; the message names it."""


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` (counted from 1) of ``total``, and what said so."""

    index: int
    total: int
    #: e.g. ``--pyramid-shard=2/4`` or ``--pyramid-shard=auto (GitLab CI_NODE_INDEX=2, ...)``
    source: str
    #: Bazel's ``TEST_SHARD_STATUS_FILE``, to touch once the shard is known
    status_file: str | None = None

    @property
    def label(self) -> str:
        return f"{self.index}/{self.total}"


def _checked(index: int, total: int, origin: str) -> tuple[int, int]:
    if total < 1:
        raise ShardError(f"{origin}: {total} shard(s): the number of shards must be at least 1")
    if index < 1:
        raise ShardError(
            f"{origin}: shard {index}: shards are numbered 1..{total} (GitHub's "
            "strategy.job-index counts from 0: use a matrix of 1..N instead)"
        )
    if index > total:
        raise ShardError(f"{origin}: shard {index} is beyond the {total} shard(s)")
    return index, total


def parse_shard(text: str, origin: str, environ: Mapping[str, str]) -> ShardSpec:
    """``I/N`` (1-based) or ``auto`` (the CI's variables); ShardError names the value."""
    value = text.strip()
    if value.lower() == "auto":
        return from_environment(environ, f"{origin}=auto")
    match = _SPEC.match(value)
    if match is None:
        raise ShardError(
            f"{origin}={text!r}: expected I/N (shard I of N, counted from 1, e.g. 2/4) or auto"
        )
    named = f"{origin}={value}"
    index, total = _checked(int(match.group(1)), int(match.group(2)), named)
    return ShardSpec(index, total, named)


def _whole(name: str, raw: str, origin: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ShardError(f"{origin}: {name}={raw!r} is not a whole number") from None


def from_environment(environ: Mapping[str, str], origin: str = "--pyramid-shard=auto") -> ShardSpec:
    """The shard the CI says this job is. No variables is an error, never "run everything"."""
    for system, index_var, total_var, base in CI_SYSTEMS:
        raw_index, raw_total = environ.get(index_var), environ.get(total_var)
        if raw_index is None and raw_total is None:
            continue
        if raw_index is None and system == "GitLab" and raw_total is not None \
                and raw_total.strip() == "1":
            # GitLab sets CI_NODE_TOTAL=1 on every job without `parallel:`
            return ShardSpec(1, 1, f"{origin} (GitLab {total_var}=1, no parallel:)")
        if raw_index is None or raw_total is None:
            present, absent = (total_var, index_var) if raw_index is None else (index_var,
                                                                               total_var)
            raise ShardError(
                f"{origin}: {system}'s {present}={environ[present]!r} is set but {absent} is "
                "not: cannot tell which shard this job is"
            )
        where = f"{origin} ({system} {index_var}={raw_index}, {total_var}={raw_total})"
        index = _whole(index_var, raw_index, where) + (1 - base)
        total = _whole(total_var, raw_total, where)
        index, total = _checked(index, total, where)
        status = environ.get(BAZEL_STATUS_FILE) if system == "Bazel" else None
        return ShardSpec(index, total, where, status_file=status or None)
    names = ", ".join(f"{index}/{total} ({system})" for system, index, total, _ in CI_SYSTEMS)
    raise ShardError(
        f"{origin}: none of the CI shard variables is set ({names}); pass "
        "--pyramid-shard=I/N explicitly (GitHub Actions: a matrix of 1..N)"
    )


def selection_digest(nodeids: Iterable[str]) -> str:
    """SHA-256 of the sorted node ids: equal on every shard that selected the same tests."""
    digest = hashlib.sha256()
    for nodeid in sorted(nodeids):
        digest.update(nodeid.encode("utf-8", "surrogateescape"))
        digest.update(b"\n")
    return "sha256:" + digest.hexdigest()


# -- the durations file ----------------------------------------------------------------------


@dataclass(frozen=True)
class Durations:
    """Recorded phase times per test, and shared setup per module or class."""

    #: node id -> (tier, setup_s, call_s, teardown_s)
    tests: Mapping[str, tuple[str, float, float, float]] = field(default_factory=dict)
    #: module or class node id -> seconds its module/class-scoped fixtures took to set up
    scopes: Mapping[str, float] = field(default_factory=dict)

    def cost(self, nodeid: str) -> float | None:
        entry = self.tests.get(nodeid)
        return None if entry is None else entry[1] + entry[2] + entry[3]


def _seconds(value: object, where: str) -> float:
    if type(value) not in (int, float):  # exact types: a bool is not a number of seconds
        raise ValueError(f"{where}: {value!r} is not a number of seconds")
    number = float(value)  # type: ignore[arg-type]
    if not 0 <= number < math.inf:
        raise ValueError(f"{where}: {value!r} is not a number of seconds >= 0")
    return number


def parse_durations(data: object, keep: Callable[[str, object], bool] | None = None) -> Durations:
    """A durations document (see :func:`durations_document`); ValueError says what is wrong.

    ``keep(nodeid, tier)``: only these entries are read (and checked)."""
    if not isinstance(data, Mapping):
        raise ValueError("expected a JSON object")
    if data.get("format") != DURATIONS_FORMAT:
        raise ValueError(f"'format' is {data.get('format')!r}, expected {DURATIONS_FORMAT!r}")
    if data.get("version") != DURATIONS_VERSION:
        raise ValueError(f"'version' is {data.get('version')!r}; this plugin reads "
                         f"{DURATIONS_VERSION}")
    raw_tests = data.get("tests", {})
    raw_scopes = data.get("scopes", {})
    if not isinstance(raw_tests, Mapping) or not isinstance(raw_scopes, Mapping):
        raise ValueError("'tests' and 'scopes' must be objects")
    tests: dict[str, tuple[str, float, float, float]] = {}
    numbers = (int, float)
    for nodeid, entry in raw_tests.items():
        if keep is not None and not keep(nodeid, entry[0] if type(entry) is list and entry
                                         else None):
            continue
        if type(entry) is not list or len(entry) != 4 or type(entry[0]) is not str:
            raise ValueError(f"tests[{nodeid!r}]: expected [tier, setup_s, call_s, teardown_s]")
        tier, setup, call, teardown = entry
        # the common case in one test (50,000 entries): exact number types, in range
        if not (type(setup) in numbers and type(call) in numbers and type(teardown) in numbers
                and 0 <= setup < math.inf and 0 <= call < math.inf and 0 <= teardown < math.inf):
            where = f"tests[{nodeid!r}]"
            setup, call, teardown = (_seconds(setup, where), _seconds(call, where),
                                     _seconds(teardown, where))
        tests[nodeid] = (tier, float(setup), float(call), float(teardown))
    scopes = {str(k): _seconds(v, f"scopes[{k!r}]") for k, v in raw_scopes.items()}
    return Durations(tests, scopes)


def durations_document(durations: Durations) -> dict[str, object]:
    """The JSON form, sorted by node id (stable diffs, identical bytes for identical data)."""
    tests = durations.tests
    return {
        "format": DURATIONS_FORMAT,
        "version": DURATIONS_VERSION,
        "tests": {  # the times come from per-test records, already rounded
            nodeid: [*tests[nodeid]] for nodeid in sorted(tests)
        },
        "scopes": {key: round(value, 6) for key, value in sorted(durations.scopes.items())},
    }


def durations_digest(raw: bytes | None) -> str | None:
    return None if raw is None else "sha256:" + hashlib.sha256(raw).hexdigest()


def load_durations_bytes(
    raw: bytes | None, keep: Callable[[str, object], bool] | None = None
) -> Durations:
    """Parse a durations file's bytes (None: no file yet, nothing recorded)."""
    if raw is None:
        return Durations()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    return parse_durations(data, keep)


# -- units and the assignment ----------------------------------------------------------------


def scope_keys(nodeid: str) -> list[str]:
    """The module and class node ids a test lives in, outermost first.

    ``tests/a.py::TestX::test_y[p::q]`` -> ``["tests/a.py", "tests/a.py::TestX"]``: the
    parameter part is cut first, since an id may contain ``::``.
    """
    bracket = nodeid.find("[")
    head = nodeid if bracket < 0 else nodeid[:bracket]
    parts = head.split("::")
    return ["::".join(parts[: n + 1]) for n in range(len(parts) - 1)]


def kept_together(shared_s: float, own_s: float) -> bool:
    """Whether a module/class is one unit: its shared setup costs at least
    :data:`KEEP_TOGETHER_MIN_S`, or at least as much as its tests' own time."""
    return shared_s > 0 and (shared_s >= KEEP_TOGETHER_MIN_S or shared_s >= own_s)


@dataclass(frozen=True)
class Unit:
    """Tests that go to one shard together (one test, or a module/class kept together)."""

    key: str
    tier: str
    nodeids: tuple[str, ...]
    cost: float


@dataclass
class Assignment:
    """Node ids per shard (index 0 is shard 1) and the predicted cost of each."""

    shards: list[list[str]]
    loads: list[float]
    tier_loads: list[dict[str, float]]
    units: int
    #: tests with no recorded duration (costed at their tier's median)
    estimated: int

    def ratio(self) -> float:
        """Longest predicted shard over the mean (1.0 is a perfect split)."""
        mean = sum(self.loads) / len(self.loads) if self.loads else 0.0
        return max(self.loads) / mean if mean > 0 else 1.0


def _medians(tests: Mapping[str, str], durations: Durations) -> tuple[dict[str, float], float]:
    per_tier: dict[str, list[float]] = {}
    every: list[float] = []
    for nodeid, tier in tests.items():
        cost = durations.cost(nodeid)
        if cost is not None:
            per_tier.setdefault(tier, []).append(cost)
            every.append(cost)
    fallback = statistics.median(sorted(every)) if every else UNKNOWN_COST_S
    return {t: statistics.median(sorted(v)) for t, v in per_tier.items()}, fallback


#: xdist's ``--dist`` modes whose groups a shard keeps whole, as it keeps them on one worker
GROUPING_DIST = ("loadfile", "loadscope", "loadgroup")


def dist_group(nodeid: str, dist: str) -> str | None:
    """The group xdist's ``--dist`` mode keeps on one worker (None: any test alone;
    ``loadgroup``'s groups come from the tests' ``xdist_group`` marks, see ``run/sharding.py``).

    A project that runs ``--dist=loadfile`` says its files' tests belong together (tests that
    write files others read, in order); a shard keeps them together for the same reason.
    """
    if dist == "loadfile":
        return nodeid.split("::", 1)[0]
    if dist == "loadscope":
        keys = scope_keys(nodeid)
        return keys[-1] if keys else nodeid
    return None


def build_units(
    tests: Mapping[str, str], durations: Durations, groups: Mapping[str, str] | None = None
) -> tuple[list[Unit], int]:
    """Units of the selection (node id -> tier), and how many tests had no record.

    ``groups`` (node id -> group key) are kept whole whatever they cost (``dist_group``)."""
    medians, fallback = _medians(tests, durations)
    ordered = sorted(tests)
    costs: dict[str, float] = {}
    estimated = 0
    for nodeid in ordered:
        cost = durations.cost(nodeid)
        if cost is None:
            estimated += 1
            cost = medians.get(tests[nodeid], fallback)
        costs[nodeid] = cost
    scopes = durations.scopes
    # own time of every module/class that has recorded shared setup, per tier: a test whose
    # recorded setup holds the shared setup (pytest bills it to the first test of the
    # module or class, once per process that ran some of it) is counted without it
    own: dict[tuple[str, str], float] = {}
    if scopes:
        for nodeid in ordered:
            for key in scope_keys(nodeid):
                if key in scopes:
                    group = (tests[nodeid], key)
                    own[group] = own.get(group, 0.0) + _own(durations, nodeid, costs[nodeid],
                                                            scopes[key])
    together = {group for group, own_s in own.items() if kept_together(scopes[group[1]], own_s)}
    members: dict[tuple[str, str], list[str]] = {}
    forced = groups or {}
    for nodeid in ordered:
        tier = tests[nodeid]
        key = forced.get(nodeid, nodeid)
        if together:
            for scope in scope_keys(nodeid):  # outermost first: a whole module beats a class
                if (tier, scope) in together:
                    if key == nodeid or key.startswith(scope):  # the larger group wins
                        key = scope
                    break
        members.setdefault((tier, key), []).append(nodeid)
    units = [
        Unit(key, tier, tuple(ids),
             own[(tier, key)] + scopes[key] if (tier, key) in together
             else math.fsum(costs[n] for n in ids))
        for (tier, key), ids in members.items()
    ]
    return units, estimated


#: a test whose setup took at least this share of the shared setup paid for it
_PAID_SHARE = 0.8


def _own(durations: Durations, nodeid: str, cost: float, shared: float) -> float:
    entry = durations.tests.get(nodeid)
    if entry is not None and shared > 0 and entry[1] >= _PAID_SHARE * shared:
        return max(0.0, cost - shared)
    return cost


def assign(
    tests: Mapping[str, str],
    durations: Durations,
    total: int,
    tier_order: Sequence[str] = (),
    groups: Mapping[str, str] | None = None,
) -> Assignment:
    """Split the selection (node id -> tier) into ``total`` shards; deterministic."""
    if total < 1:
        raise ValueError("at least one shard")
    units, estimated = build_units(tests, durations, groups)
    known = [t for t in tier_order]
    extra = sorted({u.tier for u in units} - set(known))
    order = [*known, *extra]
    rank = {tier: position for position, tier in enumerate(order)}
    by_tier: dict[str, list[Unit]] = {}
    for unit in units:
        by_tier.setdefault(unit.tier, []).append(unit)
    shards: list[list[str]] = [[] for _ in range(total)]
    loads = [0.0] * total
    tier_loads: list[dict[str, float]] = [{} for _ in range(total)]
    # from the last tier to the first: a heap of (work from this tier onwards, shard)
    heap = [(0.0, index) for index in range(total)]
    for tier in sorted(by_tier, key=rank.__getitem__, reverse=True):
        for unit in sorted(by_tier[tier], key=lambda u: (-u.cost, u.key)):
            load, index = heapq.heappop(heap)
            shards[index].extend(unit.nodeids)
            loads[index] += unit.cost
            tier_loads[index][tier] = tier_loads[index].get(tier, 0.0) + unit.cost
            heapq.heappush(heap, (load + unit.cost, index))
    for ids in shards:
        ids.sort()
    return Assignment(shards, loads, tier_loads, len(units), estimated)


#: outcomes whose phase times describe the test (a skipped test did not run its body)
TIMED_OUTCOMES = frozenset({"passed", "failed", "error", "xfailed", "xpassed"})


def updated_durations(
    previous: Durations,
    results: Iterable[tuple[str, str, str, float, float, float]],
    scopes: Mapping[str, float],
    selected_tiers: Iterable[str],
) -> Durations:
    """The durations file for the next run: this run's times for every test that ran
    (node id, tier, outcome, setup, call, teardown), and the previous record of a test that
    did not run this time because it was skipped or its tier was not selected (a test whose
    tier ran and that is gone from the selection is gone for good)."""
    tests: dict[str, tuple[str, float, float, float]] = {}
    seen: set[str] = set()
    for nodeid, tier, outcome, setup, call, teardown in results:
        seen.add(nodeid)
        if outcome in TIMED_OUTCOMES:
            tests[nodeid] = (tier, setup, call, teardown)
    ran_tiers = frozenset(selected_tiers)
    for nodeid, entry in previous.tests.items():
        if nodeid not in tests and (nodeid in seen or entry[0] not in ran_tiers):
            tests[nodeid] = entry
    merged_scopes = dict(scopes)
    if previous.scopes:
        # a module that ran this time says itself what its setup costs (perhaps nothing now)
        ran = {_module(nodeid) for nodeid, entry in tests.items() if nodeid in seen}
        kept = {_module(nodeid) for nodeid in tests}
        for key, value in previous.scopes.items():
            module = _module(key)
            if key not in merged_scopes and module in kept and module not in ran:
                merged_scopes[key] = value
    return Durations(tests, merged_scopes)


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]
