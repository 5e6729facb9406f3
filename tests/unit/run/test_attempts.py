"""A test's attempts before its last (``run/summary.py``): read from a record of either
results version, concatenated across a retried shard's tries, and checked. Pure tables."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_pyramid.run.summary import (
    attempts_problem,
    earlier_attempts,
    failed_attempts,
    retried_attempts,
)


def rec(outcome: str, seconds: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {"nodeid": "t.py::t", "tier": "unit", "outcome": outcome, "setup_s": 0.0,
            "call_s": seconds, "teardown_s": 0.0, **extra}


RERUN = {"outcome": "failed", "duration_s": 0.5, "where": "rerun"}


def retry(outcome: str, number: int, seconds: float = 1.0) -> dict[str, Any]:
    return {"outcome": outcome, "duration_s": seconds, "where": "shard retry",
            "shard_try": number}


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (rec("passed"), ()),
        (rec("passed", reruns=2), ({"outcome": "failed", "where": "rerun"},) * 2),  # version 1
        (rec("passed", reruns=1, earlier_attempts=[RERUN]), (RERUN,)),
    ],
)
def test_a_record_s_earlier_attempts(entry: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert earlier_attempts(entry) == expected


@pytest.mark.parametrize(
    ("replaced", "final", "expected"),
    [
        # pass then fail: both kept, in the order they ran (the contradiction survives)
        ([rec("passed", 2.0)], rec("failed"), [retry("passed", 1, 2.0)]),
        # the same outcome twice is still two attempts
        ([rec("passed")], rec("passed"), [retry("passed", 1)]),
        # a replaced try's own rerun comes before its last attempt, then the counted try's
        ([rec("passed", reruns=1, earlier_attempts=[RERUN])],
         rec("passed", reruns=1, earlier_attempts=[RERUN]),
         [{**RERUN, "shard_try": 1}, retry("passed", 1), RERUN]),
        # two retries; a try that never reported the test adds nothing but keeps its number
        ([rec("failed"), None, rec("error", 0.25)], rec("passed"),
         [retry("failed", 1), retry("error", 3, 0.25)]),
    ],
    ids=["pass-then-fail", "same-outcome", "reruns-inside-tries", "two-retries-one-silent"],
)
def test_a_retried_shard_s_attempts_are_concatenated_in_order(
    replaced: list[dict[str, Any] | None], final: dict[str, Any], expected: list[Any],
) -> None:
    found = retried_attempts(replaced, final)
    assert list(found) == expected
    # what the merge writes is what the results file accepts
    assert attempts_problem(list(found), failed_attempts(found)) is None


@pytest.mark.parametrize(
    ("value", "reruns", "problem"),
    [
        ([RERUN], 1, None),
        ([retry("passed", 2)], 0, None),
        ([{"outcome": "failed", "where": "rerun"}], 1, None),  # duration unknown
        ([], 0, "non-empty list"),
        ({"outcome": "failed"}, 1, "non-empty list"),
        ([RERUN], 0, "reruns 0 is not the 1 failed attempt"),
        ([retry("passed", 1)], 1, "reruns 1 is not the 0 failed attempt"),
        (["failed"], 1, "earlier_attempts[0]: not an object"),
        ([{**RERUN, "outcome": "rerun"}], 1, "outcome 'rerun' is not one of"),
        ([{**RERUN, "where": "elsewhere"}], 1, "where 'elsewhere' is not one of"),
        ([{**RERUN, "duration_s": -1}], 1, "duration_s must be a finite number >= 0"),
        ([{**RERUN, "duration_s": True}], 1, "duration_s must be a finite number >= 0"),
        ([{**RERUN, "shard_try": 0}], 1, "shard_try must be a whole number >= 1"),
        ([{"outcome": "passed", "where": "shard retry"}], 0, "names its shard_try"),
        ([{**RERUN, "worker": "gw0"}], 1, "unknown key 'worker'"),
    ],
)
def test_earlier_attempts_are_checked(value: object, reruns: int, problem: str | None) -> None:
    found = attempts_problem(value, reruns)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found
