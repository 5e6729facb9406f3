"""Flaky tests, the quarantine list and the pyramid shape gate (pure functions)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest

from pytest_pyramid.config_schema import check_part
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.gates.flaky import (
    active_quarantine,
    flaky_gate,
    flaky_section,
    is_quarantined,
    parse_quarantine,
    quarantine_gate,
)
from pytest_pyramid.gates.shape import parse_shape, shape_gate
from pytest_pyramid.results import effect_of
from pytest_pyramid.run.summary import Outcome, TestOutcome, TierStats

SRC = "pyproject.toml"

def checked(parse: Any, part: str, value: Any, *args: Any) -> Any:
    """The structure through the schema (as the plugin checks it first), then the parser."""
    check_part(part, value, SRC)
    return parse(value, SRC, *args)

TODAY = dt.date(2026, 11, 26)


def outcomes(*rows: tuple[str, str, int]) -> dict[str, TestOutcome]:
    return {n: TestOutcome(nodeid=n, tier="unit", outcome=cast(Outcome, o), reruns=r)
            for n, o, r in rows}


def entry(test: str = "t.py::a", expires: object = dt.date(2026, 12, 31), **extra: object) -> dict[
    str, object
]:
    return {"test": test, "owner": "alice", "expires": expires, "reason": "JIRA-1", **extra}


# --- flaky ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "threshold", "status", "actual"),
    [
        ([("a", "passed", 0), ("b", "failed", 2)], 0, "pass", 0),  # failed after reruns: not flaky
        ([("a", "passed", 1)], 0, "fail", 1),
        ([("a", "passed", 1), ("b", "passed", 3)], 2, "pass", 2),
        ([("a", "passed", 1), ("b", "passed", 3), ("c", "passed", 1)], 2, "fail", 3),
    ],
)
def test_flaky_gate(rows: list[tuple[str, str, int]], threshold: int, status: str,
                    actual: int) -> None:
    gate = flaky_gate(outcomes(*rows), threshold=threshold)
    assert (gate.id, gate.level, gate.status, gate.actual, gate.threshold) == (
        "tests.flaky", "warn", status, actual, threshold
    )
    if actual:
        assert "a (1 rerun)" in gate.message


def test_quarantined_flaky_tests_are_listed_not_counted() -> None:
    data = outcomes(("t.py::a[1]", "passed", 1), ("t.py::b", "passed", 2))
    gate = flaky_gate(data, quarantined={"t.py::a"})
    assert (gate.status, gate.actual) == ("fail", 1)
    assert gate.details["quarantined"] == ["t.py::a[1]"]
    assert flaky_section(data, {"t.py::a"}) == [
        {"nodeid": "t.py::a[1]", "tier": "unit", "reruns": 1, "quarantined": True},
        {"nodeid": "t.py::b", "tier": "unit", "reruns": 2, "quarantined": False},
    ]


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        ("t.py::a", True),
        ("t.py::a[x-1]", True),
        ("t.py::C::a", True),  # covered by the class-level entry "t.py::C"
        ("t.py::ab", False),
        ("u.py::a", False),
    ],
)
def test_quarantine_matching(nodeid: str, expected: bool) -> None:
    assert is_quarantined(nodeid, {"t.py::a", "t.py::C"}) is expected


def test_active_quarantine_and_expiry_day_is_inclusive() -> None:
    raw = {"quarantine": [entry("t.py::a", dt.date(2026, 11, 26)),
                          entry("t.py::b", "2026-11-25")]}
    assert active_quarantine(raw, SRC, TODAY) == frozenset({"t.py::a"})
    assert active_quarantine({}, SRC, TODAY) == frozenset()


def test_expired_entries_fail_loudly_naming_each() -> None:
    entries = parse_quarantine(
        [entry("t.py::a", dt.date(2026, 1, 1)), entry("t.py::b"), entry("t.py::c", "2025-05-05")],
        SRC,
    )
    gate = quarantine_gate(entries, TODAY)
    assert (gate.id, gate.level, gate.status, gate.actual) == ("tests.quarantine", "block",
                                                               "fail", 2)
    assert "t.py::a (owner alice, expired 2026-01-01: JIRA-1)" in gate.message
    assert "t.py::c" in gate.message
    assert effect_of(gate) == "block"
    ok = quarantine_gate(entries[1:2], TODAY)
    assert (ok.status, ok.message) == ("pass", "1 quarantine entry, none expired")


@pytest.mark.parametrize(
    ("raw", "key", "why"),
    [
        ({"test": "x"}, "quarantine", "array of tables"),
        (["x"], "quarantine[0]", "must be a table"),
        ([entry(owner="")], "quarantine[0].owner", "non-empty string"),
        ([entry(owner="  ")], "quarantine[0].owner", "non-empty string"),
        ([{"test": "a", "owner": "o", "expires": dt.date(2026, 1, 1)}], "quarantine[0].reason",
         "required"),
        ([entry(expires=None)], "quarantine[0].expires", "date"),
        ([entry(expires="31/12/2026")], "quarantine[0].expires", "date"),
        ([entry(expires=dt.datetime(2026, 1, 1, 5))], "quarantine[0].expires", "without a time"),
        ([entry(ticket="J-1")], "quarantine[0].ticket", "unknown key"),
        ([entry("a"), entry(" a ")], "quarantine[1].test", "quarantined twice"),
    ],
)
def test_quarantine_config_errors(raw: object, key: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        checked(parse_quarantine, "quarantine", raw)
    assert str(info.value).startswith(f"{SRC}: [tool.pyramid] {key} = ")
    assert why in str(info.value)


# --- shape ----------------------------------------------------------------------------------

TIERS = ("unit", "integration", "e2e")


def tiers(**counts: int | tuple[int, int]) -> dict[str, TierStats]:
    out = {}
    for name in TIERS:
        value = counts.get(name, 0)
        collected, missing = value if isinstance(value, tuple) else (value, 0)
        out[name] = TierStats(name, collected=collected, paths_not_collected=missing)
    return out


TARGETS = {"targets": {"unit": 0.7, "integration": 0.2, "e2e": 0.1}, "min_tests": 10}


@pytest.mark.parametrize(
    ("counts", "status", "actual", "text"),
    [
        ({"unit": 70, "integration": 20, "e2e": 10}, "pass", 0.0, "within 10%"),
        ({"unit": 60, "integration": 30, "e2e": 10}, "pass", 0.1, "within 10%"),  # exact limit
        ({"unit": 40, "integration": 20, "e2e": 40}, "fail", 0.3, "unit 40% (target 70%)"),
        ({"unit": 100}, "fail", 0.3, "unit 100% (target 70%)"),
        ({"unit": 5}, "not_evaluated", None, "only 5 test(s)"),
        ({"unit": 70, "integration": 20, "e2e": (0, 2)}, "not_evaluated", None,
         "e2e (2 path(s) not collected)"),
    ],
)
def test_shape_gate(counts: dict[str, int], status: str, actual: float | None, text: str) -> None:
    spec = parse_shape(TARGETS, SRC, TIERS)
    assert spec is not None
    gate = shape_gate(spec, tiers(**counts))
    assert (gate.id, gate.level, gate.status, gate.actual) == ("pyramid.shape", "warn", status,
                                                               actual)
    assert text in gate.message


def test_shape_counts_tiers_deselected_by_tier_option() -> None:
    spec = parse_shape(TARGETS, SRC, TIERS)
    assert spec is not None
    stats = tiers(unit=70, integration=20, e2e=10)
    stats["e2e"].deselected = 10  # --tier unit left e2e out: still part of the suite's shape
    stats["e2e"].selected = False
    assert shape_gate(spec, stats).status == "pass"


def test_shape_untargeted_tiers_count_in_total() -> None:
    spec = parse_shape({"targets": {"unit": 0.7}, "min_tests": 0, "level": "block"}, SRC, TIERS)
    assert spec is not None
    gate = shape_gate(spec, tiers(unit=50, e2e=50))
    assert (gate.status, gate.level) == ("fail", "block")
    assert cast("dict[str, Any]", gate.details["tiers"])["e2e"] == {"tests": 50, "share": 0.5}


def test_no_shape_table_means_no_gate() -> None:
    assert parse_shape(None, SRC, TIERS) is None


@pytest.mark.parametrize(
    ("table", "key", "why"),
    [
        ({"targets": {"unit": 0.7}, "tolerence": 0.1}, "shape.tolerence", "unknown key"),
        ({}, "shape.targets", "required"),
        ({"targets": {"smoke": 0.5}}, "shape.targets.smoke", "unknown tier"),
        ({"targets": {"unit": 1.5}}, "shape.targets.unit", "share"),
        ({"targets": {"unit": 0.8, "e2e": 0.3}}, "shape.targets", "more than 1"),
        ({"targets": {"unit": 0.8}, "tolerance": -1}, "shape.tolerance", "between 0 and 1"),
        ({"targets": {"unit": 0.8}, "min_tests": 2.5}, "shape.min_tests", "whole number"),
        ({"targets": {"unit": 0.8}, "level": "error"}, "shape.level", "one of"),
    ],
)
def test_shape_config_errors(table: dict[str, object], key: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        checked(parse_shape, "shape", table, TIERS)
    assert str(info.value).startswith(f"{SRC}: [tool.pyramid] {key} = ")
    assert why in str(info.value)
