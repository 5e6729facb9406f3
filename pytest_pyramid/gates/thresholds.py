"""Metric thresholds: a strict, k6-like grammar judged against the samples tests recorded.

Config (``[tool.pyramid.thresholds]``), one entry per metric key::

    "api.p95_ms" = "< 500"                       # short form: [aggregate] operator number
    "api.rps" = "mean >= 1000"
    "page.load_ms{page:home}" = "p(95) < 2000"   # k6 tag filter and k6 percentile spelling
    "api.error_rate" = { threshold = "<= 0.005", level = "approve", on_missing = "skip",
                         aggregate = "max", tier = "performance" }

The default aggregate is ``worst``: the threshold must hold for *every* sample (for ``<``/``<=``
the largest sample is judged, for ``>``/``>=`` the smallest, for ``==`` the sample furthest
from the limit, for ``!=`` the one closest to it). That is the safe reading of "api.p95_ms < 500"
when a metric was recorded several times; choose ``mean``, ``p95`` ... to relax it.

Percentiles use the nearest-rank method, so the judged value is always a real sample.
Everything malformed is a :class:`~pytest_pyramid.errors.ConfigError` at start-up: k6's silently
never-failing thresholds (k6 #961) and its pass-on-no-samples (k6 #4283) are what this avoids.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_pyramid.config_schema import key_text
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.results import (
    GateResult,
    Level,
    OnMissing,
)
from pytest_pyramid.run.metrics import canonical_key, parse_key

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from pytest_pyramid.run.summary import MetricSample

OPERATORS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=")
NAMED_AGGREGATES: tuple[str, ...] = (
    "worst", "max", "min", "mean", "p50", "p90", "p95", "p99", "last", "sum", "count",
)
DEFAULT_AGGREGATE = "worst"
DEFAULT_LEVEL: Level = "block"
DEFAULT_ON_MISSING: OnMissing = "fail"

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_EXPRESSION = re.compile(
    rf"^\s*(?:(?P<agg>[A-Za-z][A-Za-z0-9_]*(?:\(\s*{_NUMBER}\s*\))?|p\d+(?:\.\d+)?)\s*)?"
    rf"(?P<op><=|>=|==|!=|<|>)\s*(?P<num>{_NUMBER})\s*$"
)
_K6_PERCENTILE = re.compile(r"^p\(\s*(?P<p>\d+(?:\.\d+)?)\s*\)$")
_PERCENTILE = re.compile(r"^p(?P<p>\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class Expression:
    """``[aggregate] operator limit``; ``aggregate`` is None when the text named none."""

    op: str
    limit: float
    aggregate: str | None = None

    @property
    def text(self) -> str:
        prefix = f"{self.aggregate} " if self.aggregate else ""
        return f"{prefix}{self.op} {_fmt(self.limit)}"

    def holds(self, value: float) -> bool:
        return compare(value, self.op, self.limit)


@dataclass(frozen=True)
class Threshold:
    """One parsed threshold; its gate id is ``metric.<key>``."""

    key: str
    metric: str
    tags: tuple[tuple[str, str], ...]
    expression: Expression
    aggregate: str
    level: Level = DEFAULT_LEVEL
    on_missing: OnMissing = DEFAULT_ON_MISSING
    tier: str | None = None

    @property
    def gate_id(self) -> str:
        return f"metric.{self.key}"

    def matches(self, sample: MetricSample) -> bool:
        if sample.name != self.metric:
            return False
        if self.tier is not None and sample.tier != self.tier:
            return False  # a threshold of a tier judges that tier's measurements only
        tags = dict(sample.tags)
        return all(tags.get(name) == value for name, value in self.tags)


def compare(value: float, op: str, limit: float) -> bool:
    if op == "<":
        return value < limit
    if op == "<=":
        return value <= limit
    if op == ">":
        return value > limit
    if op == ">=":
        return value >= limit
    if op == "==":
        return value == limit
    if op == "!=":
        return value != limit
    raise ValueError(f"unknown operator {op!r}")


def normalize_aggregate(name: str) -> str | None:
    """The canonical aggregate name (``p(95)`` -> ``p95``), or None when unknown."""
    name = name.strip()
    match = _K6_PERCENTILE.match(name) or _PERCENTILE.match(name)
    if match:
        p = float(match["p"])
        if not 0 < p <= 100:
            return None
        return f"p{_fmt(p)}"
    return name if name in NAMED_AGGREGATES else None


def parse_expression(text: str) -> Expression:
    """Parse ``"[aggregate] op number"``; raises ValueError saying what is wrong."""
    match = _EXPRESSION.match(text)
    if not match:
        raise ValueError(
            "expected '[aggregate] <operator> <number>' with an operator among "
            + " ".join(OPERATORS)
            + ", e.g. '< 500' or 'p95 <= 0.5'"
        )
    aggregate = None
    if match["agg"]:
        aggregate = normalize_aggregate(match["agg"])
        if aggregate is None:
            raise ValueError(f"unknown aggregate {match['agg']!r}; {_aggregates_help()}")
    limit = float(match["num"])
    if not math.isfinite(limit):
        raise ValueError("the limit must be a finite number")
    return Expression(op=match["op"], limit=limit, aggregate=aggregate)


def parse_thresholds(
    table: Mapping[str, str | Mapping[str, Any]] | None,
    source: str,
    *,
    tier_names: Sequence[str] | None = None,
) -> tuple[Threshold, ...]:
    """``[tool.pyramid.thresholds]`` as the schema checked it (a string or a long-form table
    per key); what is left is the grammar: keys, expressions, aggregates and tiers."""
    if table is None:
        return ()
    parsed: list[Threshold] = []
    seen: dict[str, str] = {}
    for raw_key, value in table.items():
        key_path = key_text(("thresholds", str(raw_key)))
        try:
            metric, tags = parse_key(str(raw_key))
        except ValueError as exc:
            raise ConfigError(key_path, raw_key, source, str(exc)) from None
        key = canonical_key(metric, tags)
        if key in seen:
            raise ConfigError(
                key_path, raw_key, source,
                f"duplicate threshold: same metric and tag filter as {seen[key]!r}",
            )
        seen[key] = str(raw_key)
        parsed.append(_parse_one(key_path, key, metric, tags, value, source, tier_names))
    return tuple(parsed)


def _parse_one(
    key_path: str,
    key: str,
    metric: str,
    tags: tuple[tuple[str, str], ...],
    value: str | Mapping[str, Any],
    source: str,
    tier_names: Sequence[str] | None,
) -> Threshold:
    options: Mapping[str, Any] = {"threshold": value} if isinstance(value, str) else value
    text = str(options["threshold"])
    try:
        expression = parse_expression(text)
    except ValueError as exc:
        raise ConfigError(key_path if isinstance(value, str) else f"{key_path}.threshold",
                          text, source, str(exc)) from None

    aggregate = expression.aggregate or DEFAULT_AGGREGATE
    if "aggregate" in options:
        raw_agg = options["aggregate"]
        named = normalize_aggregate(str(raw_agg))
        if named is None:
            raise ConfigError(f"{key_path}.aggregate", raw_agg, source, _aggregates_help())
        if expression.aggregate and expression.aggregate != named:
            raise ConfigError(
                f"{key_path}.aggregate", raw_agg, source,
                f"conflicts with the aggregate {expression.aggregate!r} in the threshold "
                "expression; name it in one place",
            )
        aggregate = named

    level: Level = options.get("level", DEFAULT_LEVEL)
    on_missing: OnMissing = options.get("on_missing", DEFAULT_ON_MISSING)
    tier = options.get("tier")
    if tier is not None and tier_names is not None and tier not in tier_names:
        known = ", ".join(tier_names or ())
        raise ConfigError(f"{key_path}.tier", tier, source, f"must be a tier name ({known})")
    return Threshold(
        key=key,
        metric=metric,
        tags=tags,
        expression=expression,
        aggregate=aggregate,
        level=level,
        on_missing=on_missing,
        tier=tier,
    )


def aggregate_values(aggregate: str, values: Sequence[float], expression: Expression) -> float:
    """Reduce samples (in recording order) to the one number the expression judges."""
    if not values:
        raise ValueError("no samples to aggregate")
    if aggregate == "worst":
        op, limit = expression.op, expression.limit
        if op in ("<", "<="):
            return max(values)
        if op in (">", ">="):
            return min(values)
        if op == "==":
            return max(values, key=lambda v: abs(v - limit))
        return min(values, key=lambda v: abs(v - limit))
    if aggregate == "max":
        return max(values)
    if aggregate == "min":
        return min(values)
    if aggregate == "mean":
        return math.fsum(values) / len(values)
    if aggregate == "sum":
        return math.fsum(values)
    if aggregate == "count":
        return float(len(values))
    if aggregate == "last":
        return values[-1]
    match = _PERCENTILE.match(aggregate)
    if match:
        return percentile(values, float(match["p"]))
    raise ValueError(f"unknown aggregate {aggregate!r}")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least p% of samples at or below."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def evaluate_threshold(
    threshold: Threshold,
    samples: Iterable[MetricSample],
    *,
    tiers_not_selected: frozenset[str] = frozenset(),
    discarded: Sequence[tuple[str, str, str]] = (),
) -> GateResult:
    """Judge one threshold. ``tiers_not_selected``: tiers with tests that this run left out;
    ``discarded``: (node id, metric, outcome) of samples recorded by tests that did not pass."""
    values = [s.value for s in samples if threshold.matches(s)]
    expr_text = threshold.expression.text
    if not values:
        on_missing = threshold.on_missing
        where = f" with tags {dict(threshold.tags)}" if threshold.tags else ""
        message = _missing_message(threshold.metric, where, discarded)
        if threshold.tier is not None and threshold.tier in tiers_not_selected:
            # The core already reports the run as incomplete for the left-out tier; failing
            # here as well would turn "incomplete" into a misleading "blocked".
            message += f" (tier {threshold.tier!r} was not selected in this run)"
            if on_missing == "fail":
                on_missing = "warn"
        elif threshold.tier is not None:
            message += f" although tier {threshold.tier!r} was selected"
        elif tiers_not_selected:
            # Unknown producer and a partial run (incomplete anyway): the metric may belong to
            # a left-out tier. A full run, or a threshold naming its tier, stays strict.
            message += (
                f" (tiers {', '.join(sorted(tiers_not_selected))} were not selected; set"
                " `tier` on the threshold to keep it strict in partial runs)"
            )
            if on_missing == "fail":
                on_missing = "warn"
        return GateResult(
            id=threshold.gate_id,
            level=threshold.level,
            status="not_evaluated",
            actual=None,
            threshold=expr_text,
            message=message,
            on_missing=on_missing,
            details={"aggregate": threshold.aggregate, "samples": 0},
        )
    value = aggregate_values(threshold.aggregate, values, threshold.expression)
    ok = threshold.expression.holds(value)
    n = len(values)
    what = f"{threshold.aggregate} of {n} sample{'s' if n != 1 else ''} = {_fmt(value)}"
    if ok:
        message = f"{what}, within limit {expr_text}"
    else:
        message = f"{what} {_negation(threshold.expression.op)} {_fmt(threshold.expression.limit)}"
        message += f" (limit {expr_text})"
    return GateResult(
        id=threshold.gate_id,
        level=threshold.level,
        status="pass" if ok else "fail",
        actual=value,
        threshold=expr_text,
        message=message,
        on_missing=threshold.on_missing,
        details={"aggregate": threshold.aggregate, "samples": n},
    )


def _missing_message(
    metric: str, where: str, discarded: Sequence[tuple[str, str, str]]
) -> str:
    """Why a threshold has no sample: none was recorded, or every one was discarded because
    the test that recorded it did not pass (its numbers may stop half-way)."""
    dropped = [(nodeid, outcome) for nodeid, name, outcome in discarded if name == metric]
    if not dropped:
        return f"metric {metric!r}{where} was never recorded"
    n = len(dropped)
    nodeid, outcome = dropped[0]
    return (
        f"metric {metric!r}{where} has no sample from a passing test: {n} "
        f"sample{'s' if n != 1 else ''} discarded: recorded by tests that did not pass "
        f"(e.g. {nodeid}: {outcome})"
    )


def evaluate_thresholds(
    thresholds: Iterable[Threshold],
    samples: Sequence[MetricSample],
    *,
    tiers_not_selected: frozenset[str] = frozenset(),
    discarded: Sequence[tuple[str, str, str]] = (),
) -> list[GateResult]:
    return [
        evaluate_threshold(
            t, samples, tiers_not_selected=tiers_not_selected, discarded=discarded
        )
        for t in thresholds
        if t.level != "off"
    ]


def metrics_section(
    samples: Sequence[MetricSample], thresholds: Sequence[Threshold]
) -> dict[str, dict[str, object]]:
    """The verdict's ``metrics`` section: every recorded metric, aggregated as judged.

    A metric's aggregate is that of its tag-less threshold (or its first threshold); metrics no
    threshold names are shown with their ``max``.
    """
    by_name: dict[str, list[MetricSample]] = {}
    for sample in samples:
        by_name.setdefault(sample.name, []).append(sample)
    section: dict[str, dict[str, object]] = {}
    for name, group in by_name.items():
        judged = [t for t in thresholds if t.metric == name]
        judged.sort(key=lambda t: len(t.tags))
        values = [s.value for s in group]
        if judged:
            aggregate = judged[0].aggregate
            value = aggregate_values(aggregate, values, judged[0].expression)
        else:
            aggregate, value = "max", max(values)
        section[name] = {
            "aggregate": aggregate,
            "value": value,
            "samples": [
                {"value": s.value, "tier": s.tier, "nodeid": s.nodeid, "tags": dict(s.tags)}
                for s in group
            ],
        }
    return section


def _negation(op: str) -> str:
    return {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}[op]


def _fmt(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _aggregates_help() -> str:
    return "aggregates: " + ", ".join(NAMED_AGGREGATES) + " or any percentile pN / p(N)"
