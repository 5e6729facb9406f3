"""Metric thresholds: the grammar, its errors, aggregation and the gate's three outcomes."""

from __future__ import annotations

from typing import Any, cast

import pytest

from pytest_pyramid.config_schema import check_part
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.thresholds import (
    Expression,
    aggregate_values,
    evaluate_threshold,
    metrics_section,
    parse_expression,
    parse_thresholds,
    percentile,
)
from pytest_pyramid.results import effect_of
from pytest_pyramid.run.metrics import parse_key
from pytest_pyramid.run.summary import MetricSample

SRC = "pyproject.toml"

def checked(table: dict[str, Any]) -> object:
    """The structure through the schema (as the plugin checks it first), then the parser."""
    check_part("thresholds", table, SRC)
    return parse_thresholds(table, SRC, tier_names=("unit", "performance"))



def sample(name: str, value: float, tier: str = "performance", **tags: str) -> MetricSample:
    return MetricSample(name, value, tier, f"tests/t.py::test_{name}", tuple(sorted(tags.items())))


@pytest.mark.parametrize(
    ("text", "op", "limit", "aggregate"),
    [
        ("< 500", "<", 500.0, None),
        ("<=0.005", "<=", 0.005, None),
        (">= 1000", ">=", 1000.0, None),
        ("== 0", "==", 0.0, None),
        ("!= -1.5", "!=", -1.5, None),
        ("> 1e3", ">", 1000.0, None),
        ("p95 < 500", "<", 500.0, "p95"),
        ("p(95)<500", "<", 500.0, "p95"),
        ("p(99.9) < 2", "<", 2.0, "p99.9"),
        ("mean >= 10", ">=", 10.0, "mean"),
        ("  count == 3  ", "==", 3.0, "count"),
    ],
)
def test_expression_grammar(text: str, op: str, limit: float, aggregate: str | None) -> None:
    assert parse_expression(text) == Expression(op, limit, aggregate)


@pytest.mark.parametrize(
    "text",
    ["500", "< ", "<< 5", "=< 5", "< 5 ms", "less than 5", "avg < 5", "p(0) < 1", "p101 < 1",
     "< nan", "< inf", "", "p95", "=5"],
)
def test_malformed_expressions_are_errors(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected|aggregate|finite"):
        parse_expression(text)


@pytest.mark.parametrize(
    ("key", "name", "tags"),
    [
        ("api.p95_ms", "api.p95_ms", ()),
        (" api.p95_ms ", "api.p95_ms", ()),
        ("page.load_ms{page:home}", "page.load_ms", (("page", "home"),)),
        ("x{ b : 2 , a:1 }", "x", (("a", "1"), ("b", "2"))),
    ],
)
def test_keys_and_tag_filters(key: str, name: str, tags: tuple[tuple[str, str], ...]) -> None:
    assert parse_key(key) == (name, tags)


@pytest.mark.parametrize("key", ["", "a b", "x{page}", "x{page:}", "x{a:1,a:2}", "x{a:1", "x}"])
def test_bad_keys(key: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by mistake
        parse_key(key)


def test_short_and_long_forms_with_defaults() -> None:
    parsed = parse_thresholds(
        {
            "api.p95_ms": "< 500",
            "api.rps{method:GET}": {"threshold": ">= 1000", "level": "approve",
                                    "on_missing": "skip", "aggregate": "mean",
                                    "tier": "performance"},
        },
        SRC,
        tier_names=("unit", "performance"),
    )
    short, long = parsed
    assert (short.gate_id, short.aggregate, short.level, short.on_missing) == (
        "metric.api.p95_ms", "worst", "block", "fail"
    )
    assert long.gate_id == "metric.api.rps{method:GET}"
    assert (long.aggregate, long.level, long.on_missing, long.tier) == (
        "mean", "approve", "skip", "performance"
    )


@pytest.mark.parametrize(
    ("table", "key_part", "why"),
    [
        ({"a": "500"}, 'thresholds.a', "expected"),
        ({"a": 500}, "thresholds.a", "expression string"),
        ({"a": {"level": "warn"}}, "thresholds.a.threshold", "required"),
        ({"a": {"threshold": "< 1", "levle": "warn"}}, "thresholds.a.levle", "unknown key"),
        ({"a": {"threshold": "< 1", "level": "error"}}, "thresholds.a.level", "one of"),
        ({"a": {"threshold": "< 1", "on_missing": "pass"}}, "thresholds.a.on_missing", "one of"),
        ({"a": {"threshold": "< 1", "aggregate": "avg"}}, "thresholds.a.aggregate", "aggregates"),
        ({"a": {"threshold": "p95 < 1", "aggregate": "max"}}, "thresholds.a.aggregate",
         "conflicts"),
        ({"a": {"threshold": "< 1", "tier": "nope"}}, "thresholds.a.tier", "tier name"),
        ({"a": "< 1", " a ": "< 2"}, 'thresholds." a "', "duplicate"),
        ({"x{b:1,a:2}": "< 1", "x{a:2, b:1}": "< 2"}, "thresholds.", "duplicate"),
        ({"bad name": "< 1"}, 'thresholds."bad name"', "metric name"),
    ],
)
def test_config_errors_name_key_value_and_source(table: dict[str, object], key_part: str,
                                                 why: str) -> None:
    with pytest.raises(ConfigError) as info:
        checked(table)
    assert str(info.value).startswith(f"{SRC}: [tool.pyramid] {key_part}")
    assert why in str(info.value)


def test_thresholds_table_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match="thresholds = \\['< 1'\\]: must be a table"):
        check_part("thresholds", ["< 1"], SRC)


@pytest.mark.parametrize(
    ("aggregate", "values", "expr", "expected"),
    [
        ("worst", [1, 7, 3], "< 5", 7),
        ("worst", [1, 7, 3], ">= 5", 1),
        ("worst", [4, 9, 5], "== 5", 9),
        ("worst", [4, 9, 5], "!= 5", 5),
        ("max", [1, 7, 3], "< 5", 7),
        ("min", [1, 7, 3], "< 5", 1),
        ("mean", [1, 2, 6], "< 5", 3),
        ("sum", [1, 2, 6], "< 5", 9),
        ("count", [1, 2, 6], "< 5", 3),
        ("last", [1, 2, 6, 0], "< 5", 0),
        ("p50", [5, 1, 3, 2, 4], "< 5", 3),
        ("p95", list(range(1, 101)), "< 5", 95),
        ("p99", [1, 2, 3], "< 5", 3),
    ],
)
def test_aggregates(aggregate: str, values: list[float], expr: str, expected: float) -> None:
    assert aggregate_values(aggregate, values, parse_expression(expr)) == expected


def test_percentile_is_nearest_rank() -> None:
    assert percentile([10.0], 95) == 10.0
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile([1, 2, 3, 4], 51) == 3


@pytest.mark.parametrize(
    ("expr", "values", "status", "actual", "message"),
    [
        ("< 500", [100, 200], "pass", 200, "worst of 2 samples = 200, within limit < 500"),
        ("< 500", [100, 612], "fail", 612, "worst of 2 samples = 612 >= 500 (limit < 500)"),
        ("p95 < 500", [612, 300, 100], "fail", 612,
         "p95 of 3 samples = 612 >= 500 (limit p95 < 500)"),
        ("mean < 500", [612, 300, 100], "pass", pytest.approx(337.333, abs=1e-3), "mean of 3"),
        (">= 1000", [1200, 900], "fail", 900, "worst of 2 samples = 900 < 1000"),
        ("<= 0.005", [0.005], "pass", 0.005, "worst of 1 sample = 0.005"),
    ],
)
def test_evaluation(expr: str, values: list[float], status: str, actual: object,
                    message: str) -> None:
    (threshold,) = parse_thresholds({"api.x": expr}, SRC)
    gate = evaluate_threshold(threshold, [sample("api.x", v) for v in values] +
                              [sample("other", 1e9)])
    assert gate.status == status
    assert gate.actual == actual
    assert gate.threshold == threshold.expression.text
    assert message in gate.message
    assert gate.details["samples"] == len(values)


def test_tag_filter_only_judges_matching_samples() -> None:
    (threshold,) = parse_thresholds({"load_ms{page:home}": "< 100"}, SRC)
    samples = [sample("load_ms", 50, page="home", browser="x"), sample("load_ms", 900, page="cart")]
    gate = evaluate_threshold(threshold, samples)
    assert (gate.status, gate.actual) == ("pass", 50)


@pytest.mark.parametrize(
    ("options", "not_selected", "on_missing", "effect", "text"),
    [
        ({}, frozenset(), "fail", "block", "was never recorded"),
        ({"on_missing": "skip"}, frozenset(), "skip", "none", "was never recorded"),
        ({"on_missing": "approve"}, frozenset(), "approve", "approve", "never recorded"),
        ({"tier": "performance"}, frozenset(), "fail", "block", "although tier 'performance'"),
        # The tier was left out by --tier: the core reports the run incomplete; not blocked here.
        ({"tier": "performance"}, frozenset({"performance"}), "warn", "warn", "not selected"),
        # The tier was named and selected: missing data stays a failure in a partial run too.
        ({"tier": "unit"}, frozenset({"performance"}), "fail", "block", "although tier 'unit'"),
        # Producer unknown in a partial run (incomplete anyway): reported, not blocking.
        ({}, frozenset({"performance"}), "warn", "warn", "set `tier` on the threshold"),
    ],
)
def test_missing_metric_is_never_a_pass(options: dict[str, str], not_selected: frozenset[str],
                                        on_missing: str, effect: str, text: str) -> None:
    (threshold,) = parse_thresholds({"api.x": {"threshold": "< 1", **options}}, SRC,
                                    tier_names=("unit", "performance"))
    gate = evaluate_threshold(threshold, [sample("api.y", 0)], tiers_not_selected=not_selected)
    assert gate.status == "not_evaluated"
    assert gate.on_missing == on_missing
    assert effect_of(gate) == effect
    assert text in gate.message


def test_metrics_section_shape() -> None:
    thresholds = parse_thresholds({"api.x{a:1}": "max < 5", "api.x": "p50 < 9"}, SRC)
    section = metrics_section(
        [sample("api.x", 3, a="1"), sample("api.x", 8), sample("free", 2), sample("free", 4)],
        thresholds,
    )
    assert section["api.x"]["aggregate"] == "p50"
    assert section["api.x"]["value"] == 3
    assert cast("list[object]", section["api.x"]["samples"])[0] == {
        "value": 3, "tier": "performance", "nodeid": "tests/t.py::test_api.x", "tags": {"a": "1"}
    }
    assert section["free"] == {
        "aggregate": "max", "value": 4,
        "samples": [
            {"value": 2, "tier": "performance", "nodeid": "tests/t.py::test_free", "tags": {}},
            {"value": 4, "tier": "performance", "nodeid": "tests/t.py::test_free", "tags": {}},
        ],
    }


@pytest.mark.parametrize(
    ("discarded", "text"),
    [
        ((), "metric 'api.x' was never recorded"),
        ((("t.py::test_b", "api.y", "failed"),), "metric 'api.x' was never recorded"),
        ((("t.py::test_a", "api.x", "failed"),),
         "1 sample discarded: recorded by tests that did not pass (e.g. t.py::test_a: failed)"),
        ((("t.py::test_a", "api.x", "failed"), ("t.py::test_a", "api.x", "failed"),
          ("t.py::test_c", "api.x", "unfinished"), ("t.py::test_d", "api.y", "skipped")),
         "3 samples discarded: recorded by tests that did not pass"),
    ],
)
def test_a_metric_whose_samples_were_discarded_says_so(
    discarded: tuple[tuple[str, str, str], ...], text: str
) -> None:
    (threshold,) = parse_thresholds({"api.x": "< 1"}, SRC)
    gate = evaluate_threshold(threshold, [sample("api.y", 0)], discarded=discarded)
    assert gate.status == "not_evaluated"  # missing data is never a pass, whatever the reason
    assert gate.on_missing == "fail"
    assert text in gate.message
    if discarded and "never" not in text:
        assert "never recorded" not in gate.message
