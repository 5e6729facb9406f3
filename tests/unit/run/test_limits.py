"""How per-tier limits reach pytest-timeout: a shared default plus markers where they differ."""

from __future__ import annotations

import pytest

from pytest_pyramid.run.limits import NO_LIMIT, LimitPlan, measured_limits, plan_limits

LIMITS = {"unit": 10.0, "integration": 60.0, "contract": 60.0, "e2e": None}


@pytest.mark.parametrize(
    ("selected", "default", "marks"),
    [
        # the widest selected tier's limit is the default; the others carry a marker
        (["unit", "integration", "contract", "e2e"], 10.0,
         {"integration": 60.0, "contract": 60.0, "e2e": NO_LIMIT}),
        (["unit"], 10.0, {"integration": 60.0, "contract": 60.0, "e2e": NO_LIMIT}),
        (["integration", "e2e"], 60.0, {"unit": 10.0, "e2e": NO_LIMIT}),
        # the widest selected tier has no limit: no default, markers only where limited
        (["e2e"], None, {"unit": 10.0, "integration": 60.0, "contract": 60.0}),
        ([], None, {"unit": 10.0, "integration": 60.0, "contract": 60.0}),
    ],
)
def test_plan_shares_the_widest_selected_tiers_limit(
    selected: list[str], default: float | None, marks: dict[str, float]
) -> None:
    plan = plan_limits(LIMITS, selected)
    assert (plan.default, plan.marks) == (default, marks)
    assert plan.effective == LIMITS
    assert not plan.user_override


def test_zero_means_no_limit() -> None:
    plan = plan_limits({"unit": 0.0, "e2e": 5.0}, ["unit", "e2e"])
    assert (plan.default, plan.marks) == (None, {"e2e": 5.0})
    assert plan.effective == {"unit": None, "e2e": 5.0}


@pytest.mark.parametrize(("user", "applied"), [(5.0, 5.0), (0.0, None)])
def test_users_timeout_wins_everywhere(user: float, applied: float | None) -> None:
    plan = plan_limits(LIMITS, ["unit", "e2e"], user_timeout=user)
    assert (plan.default, plan.marks, plan.user_override) == (None, {}, True)
    assert plan.effective == dict.fromkeys(LIMITS, applied)


@pytest.mark.parametrize(
    ("limits", "selected", "user", "default_timeout", "measured"),
    [
        # pytest-timeout's own default (its `timeout` setting) times every tier's tests on
        # every attempt, as a tier's limit does (hostile case 312)
        ({"unit": None, "e2e": None}, ["unit"], None, 2.0, {"unit": 2.0, "e2e": 2.0}),
        # a tier's own limit wins for its tests; the others run under the default
        ({"unit": None, "e2e": 5.0}, ["unit", "e2e"], None, 2.0, {"unit": 2.0, "e2e": 5.0}),
        # the first tier's limit replaced the default: unlimited tiers were lifted (marks)
        ({"unit": 10.0, "e2e": None}, ["unit", "e2e"], None, 2.0, {"unit": 10.0}),
        # --timeout decides for every tier
        ({"unit": None, "e2e": None}, ["unit"], 3.0, 2.0, {"unit": 3.0, "e2e": 3.0}),
        # no default, no limits: nothing measured
        ({"unit": None}, ["unit"], None, None, {}),
        ({"unit": None}, ["unit"], None, 0.0, {}),
    ],
)
def test_measured_limits_include_pytest_timeouts_default(
    limits: dict[str, float | None], selected: list[str], user: float | None,
    default_timeout: float | None, measured: dict[str, float],
) -> None:
    plan = plan_limits(limits, selected, user_timeout=user)
    assert measured_limits(plan, default_timeout) == measured


def test_measured_limits_none_when_pytest_timeout_is_not_active() -> None:
    plan = LimitPlan(None, {}, {"unit": None}, enforced=False)
    assert measured_limits(plan, 2.0) == {}
