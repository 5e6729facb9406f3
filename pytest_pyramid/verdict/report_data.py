"""What the reports show, derived from a verdict and its per-test records (pure, no I/O).

Every renderer (HTML, step summary, terminal) takes its figures from here, so a tier's
failures, the slowest tests and the shape targets mean the same thing in each of them.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any

from pytest_pyramid.durations import format_duration
from pytest_pyramid.results import record

if TYPE_CHECKING:
    from pytest_pyramid.verdict.records import ResultRecord

#: outcomes that are a failure of the test (``unfinished``: started, never ended)
FAILING = frozenset({"failed", "error", "unfinished"})
_TARGET = re.compile(r"([^\s,()]+) (\d+(?:\.\d+)?)%")


def duration(entry: Mapping[str, Any]) -> float:
    """A test's time: its setup, call and teardown together (what pytest reports)."""
    return (
        float(entry.get("setup_s", 0.0))
        + float(entry.get("call_s", 0.0))
        + float(entry.get("teardown_s", 0.0))
    )


def module_of(nodeid: str) -> str:
    """The file part of a node id: ``tests/unit/test_a.py::T::t[x]`` -> ``tests/unit/test_a.py``."""
    return nodeid.partition("::")[0]


def tier_order(verdict: Mapping[str, Any], records: Iterable[ResultRecord] = ()) -> list[str]:
    """The verdict's tiers in pyramid order (config order), then any tier only records name."""
    order = list(verdict.get("tiers", {}))
    seen = set(order)
    for entry in records:
        tier = entry["tier"]
        if tier not in seen:
            seen.add(tier)
            order.append(tier)
    return order


def failures(records: Iterable[ResultRecord], order: Sequence[str]) -> list[ResultRecord]:
    """Failed, errored and unfinished tests, by tier (pyramid order) then node id."""
    rank = {name: index for index, name in enumerate(order)}
    found = [entry for entry in records if entry["outcome"] in FAILING]
    found.sort(key=lambda e: (rank.get(e["tier"], len(rank)), e["nodeid"]))
    return found


def flaky(records: Iterable[ResultRecord]) -> list[ResultRecord]:
    """Tests that passed after reruns."""
    return [e for e in records if e.get("reruns") and e["outcome"] == "passed"]


def slowest_per_tier(
    records: Iterable[ResultRecord], count: int = 10
) -> dict[str, list[tuple[str, float]]]:
    """Each tier's ``count`` slowest tests (total of the phases), slowest first."""
    heaps: dict[str, list[tuple[float, str]]] = {}
    for entry in records:
        heap = heaps.setdefault(entry["tier"], [])
        item = (duration(entry), entry["nodeid"])
        if len(heap) < count:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)
    return {
        tier: [(nodeid, seconds) for seconds, nodeid in sorted(heap, reverse=True)]
        for tier, heap in heaps.items()
    }


@record
class ModuleRow:
    """One test module's row in a report: its tier, counts by outcome and time."""

    module: str
    tier: str
    counts: dict[str, int] = field(default_factory=dict)
    time_s: float = 0.0

    @property
    def tests(self) -> int:
        return sum(self.counts.values())

    @property
    def failing(self) -> int:
        return sum(n for outcome, n in self.counts.items() if outcome in FAILING)


def module_summary(
    records: Iterable[ResultRecord], order: Sequence[str], limit: int = 300
) -> tuple[list[ModuleRow], int, int]:
    """Tests summarised per (tier, module): at most ``limit`` rows, modules with failures
    first, then the largest. Returns the rows, and how many modules and tests were left out."""
    rows: dict[tuple[str, str], ModuleRow] = {}
    for entry in records:
        key = (entry["tier"], module_of(entry["nodeid"]))
        row = rows.get(key)
        if row is None:
            row = rows[key] = ModuleRow(key[1], key[0])
        row.counts[entry["outcome"]] = row.counts.get(entry["outcome"], 0) + 1
        row.time_s += duration(entry)
    ranked = sorted(rows.values(), key=lambda r: (-r.failing, -r.tests, r.module))
    kept, left = ranked[:limit], ranked[limit:]
    rank = {name: index for index, name in enumerate(order)}
    kept.sort(key=lambda r: (rank.get(r.tier, len(rank)), r.module))
    return kept, len(left), sum(r.tests for r in left)


def outcome_counts(records: Iterable[ResultRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in records:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    return counts


def shape_targets(verdict: Mapping[str, Any]) -> dict[str, float]:
    """``[tool.pyramid.shape]`` targets (tier -> share of all tests), read back from the
    verdict's ``pyramid.shape`` gate: its details when it was judged, else its threshold."""
    gate = next((g for g in verdict.get("gates", []) if g.get("id") == "pyramid.shape"), None)
    if gate is None:
        return {}
    tiers = (gate.get("details") or {}).get("tiers")
    if isinstance(tiers, Mapping):
        found = {
            str(name): float(row["target"])
            for name, row in tiers.items()
            if isinstance(row, Mapping) and isinstance(row.get("target"), (int, float))
        }
        if found:
            return found
    threshold = gate.get("threshold")
    if not isinstance(threshold, str):
        return {}
    head = threshold.split("(±", 1)[0]
    return {name: float(share) / 100 for name, share in _TARGET.findall(head)}


def tier_tests(entry: Mapping[str, Any]) -> int:
    """A tier's size for the pyramid: what it collected (also when ``--tier`` left it out)."""
    return int(entry.get("collected", 0))


#: what each budget basis judges, as the reports name it (``[tool.pyramid] budget_basis``)
BASIS_LABEL = {"wall": "wall time", "sum": "summed test time"}


def budget_basis(verdict: Mapping[str, Any]) -> str:
    """What the budget gates of this verdict judged: ``wall`` (the default) or ``sum``."""
    for tier in (verdict.get("tiers") or {}).values():
        if isinstance(tier, Mapping) and tier.get("budget_basis") in BASIS_LABEL:
            return str(tier["budget_basis"])
    return "wall"


def budget_use(entry: Mapping[str, Any]) -> tuple[float, float | None]:
    """A tier's time as its budget gate judged it (wall time, or with ``budget_basis =
    "sum"`` its summed test time) and its budget (None: no budget). Every report shows this
    figure against the budget, so none of them contradicts the gate."""
    key = "test_time_s" if entry.get("budget_basis") == "sum" else "wall_time_s"
    used = entry.get(key)
    budget = entry.get("budget_s")
    return (
        float(used) if isinstance(used, (int, float)) else 0.0,
        float(budget) if isinstance(budget, (int, float)) and budget > 0 else None,
    )


def coverage_of(entry: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """A tier's coverage percent and its threshold (None: not measured / none set)."""
    cov = entry.get("coverage")
    if not isinstance(cov, Mapping):
        return None, None
    percent, threshold = cov.get("percent"), cov.get("fail_under")
    return (
        float(percent) if isinstance(percent, (int, float)) else None,
        float(threshold) if isinstance(threshold, (int, float)) else None,
    )


def quarantine(verdict: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Quarantine entries (active and expired, from ``tests.quarantine``) and the failures
    quarantine excused (from ``tests.pass_rate``)."""
    entries: list[dict[str, Any]] = []
    excused: list[str] = []
    for gate in verdict.get("gates", []):
        details = gate.get("details") or {}
        if gate.get("id") == "tests.quarantine":
            for state in ("expired", "active"):
                for item in details.get(state, []) or []:
                    if isinstance(item, Mapping):
                        entries.append({**item, "state": state})
        elif gate.get("id") == "tests.pass_rate":
            excused = [str(n) for n in details.get("quarantined_failures", []) or []]
    return entries, excused


def key_metrics(verdict: Mapping[str, Any], limit: int = 12) -> list[str]:
    """Metrics worth a trend: those a threshold judged first, then the others, at most ``limit``."""
    judged = [
        str(g["id"])[len("metric."):]
        for g in verdict.get("gates", [])
        if str(g.get("id", "")).startswith("metric.")
    ]
    others = sorted(set(verdict.get("metrics", {})) - set(judged))
    return [*judged, *others][:limit]


def shown_tiers(verdict: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The tiers every report lists: those with tests (collected, on disk, or a module
    skipped at import) and those a release requires (an empty required tier is a reason the
    verdict gives); the empty built-in tiers a project never used are left out."""
    tiers: Mapping[str, Any] = verdict.get("tiers") or {}
    return {
        name: tier for name, tier in tiers.items()
        if isinstance(tier, Mapping) and (
            tier.get("collected") or tier.get("files_on_disk") or tier.get("skipped")
            or tier.get("required"))
    }


#: the unit of a built-in gate's measured value and threshold, by gate id
_GATE_UNITS = {"tests.pass_rate": "%", "static.duplication": "%", "pyramid.shape": "share"}
#: ... by gate id prefix
_PREFIX_UNITS = (("budget.", "duration"), ("coverage.", "%"))
#: a metric's unit from the end of its name (tags cut off: ``e2e.page_load_ms{page:home}``)
_METRIC_UNITS = (("_ms", "ms"), ("_seconds", "s"), ("_s", "s"), ("_pct", "%"),
                 ("_percent", "%"), ("_bytes", "B"), ("rps", "req/s"))
_ENDS_IN_NUMBER = re.compile(r"\d$")


def gate_unit(gate_id: str) -> str | None:
    """What a gate's figures are measured in: ``duration`` (seconds, shown as ``1m30s``),
    ``%``, ``ms``, ``s``, ``share`` (a fraction shown as a percentage) ...; None for counts,
    scores and unitless metrics."""
    if gate_id in _GATE_UNITS:
        return _GATE_UNITS[gate_id]
    for prefix, unit in _PREFIX_UNITS:
        if gate_id.startswith(prefix):
            return unit
    if gate_id.startswith("metric."):
        name = gate_id.partition("{")[0]
        for suffix, unit in _METRIC_UNITS:
            if name.endswith(suffix):
                return unit
    return None


def gate_value(gate: Mapping[str, Any], key: str) -> str:
    """A gate's ``actual`` or ``threshold`` with its unit, as every report shows it:
    ``263ms`` / ``30.0s`` for a budget, ``76.2%``, ``< 500 ms``; ``-`` when not measured."""
    value = gate.get(key)
    unit = gate_unit(str(gate.get("id", "")))
    if value is None:
        return "-"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if unit == "duration":
            return format_duration(float(value))
        if unit == "share":
            return f"{value * 100:.1f}%"
        text = f"{value:g}"
    else:
        text = str(value)
        if unit in ("duration", "share") or not _ENDS_IN_NUMBER.search(text):
            return text  # a threshold in words, or one that already names its unit
    if unit is None:
        return text
    return text + ("%" if unit == "%" else f" {unit}")


#: a mark per status that is a shape, not a colour alone (read in grey print, by the
#: colour-blind, and by a screen reader): gates, tiers and decisions
STATUS_SYMBOLS = {
    "pass": "✓", "fail": "✗", "not_evaluated": "?",
    "passed": "✓", "failed": "✗", "skipped": "△", "empty": "○", "not_run": "○",
    "not_selected": "○",
    "ready": "✓", "blocked": "✗", "needs_approval": "!", "incomplete": "?",
}


def status_label(status: str) -> str:
    """``✗ fail``, ``? not evaluated``: the symbol, then the status in words."""
    words = status.replace("_", " ")
    symbol = STATUS_SYMBOLS.get(status)
    return f"{symbol} {words}" if symbol else words
