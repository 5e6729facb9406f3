"""How per-tier limits reach pytest-timeout: a shared default plus markers where they differ."""

from __future__ import annotations

import pytest

from pytest_pyramid.run.limits import NO_LIMIT, plan_limits

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
