"""How the per-tier hard limits are handed to pytest-timeout, decided once per process.

There are none by default: a limit exists only where ``tiers.<tier>.test_timeout`` sets
one, and then no test of a tier without one is limited either.

pytest-timeout parses a test's ``timeout`` marker twice per test (protocol and call), which
on trivial tests costs more than the rest of the plugin together. So when the first
selected tier in pyramid order (unit before integration ...: where most tests live) has a
limit, that limit becomes pytest-timeout's own default, and only tests of tiers with
another limit (or none: ``timeout(0)`` lifts the default) carry a marker. When that first
tier has no limit, pytest-timeout's default is left alone and only the limited tiers'
tests carry a marker.
"""

from __future__ import annotations

import textwrap
from dataclasses import field
from typing import TYPE_CHECKING

from pytest_pyramid.durations import format_duration
from pytest_pyramid.results import record

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: pytest-timeout's way of saying "no limit" in a marker
NO_LIMIT = 0.0


@record(frozen=True)
class LimitPlan:
    """Per-test time limits by tier, and how they reach pytest-timeout."""

    #: what pytest-timeout's default becomes (``None``: leave it alone)
    default: float | None
    #: tier -> limit for the marker its tests carry (``NO_LIMIT`` lifts the default)
    marks: dict[str, float] = field(default_factory=dict)
    #: tier -> the limit its tests run under (``None``: none)
    effective: dict[str, float | None] = field(default_factory=dict)
    #: a ``--timeout`` given by the user overrides every tier
    user_override: bool = False
    #: ``False`` when pytest-timeout is not active: the limits are configured, not enforced
    enforced: bool = True


def plan_limits(
    limits: Mapping[str, float | None],
    selected: Sequence[str],
    *,
    user_timeout: float | None = None,
) -> LimitPlan:
    """``limits``: tier -> configured limit, in pyramid order; ``selected``: the tiers run.

    ``user_timeout``: a ``--timeout`` from the command line or addopts, which wins.
    """
    if user_timeout is not None:
        applied = user_timeout if user_timeout > 0 else None
        return LimitPlan(None, {}, {tier: applied for tier in limits}, user_override=True)
    effective = {tier: (limit if limit else None) for tier, limit in limits.items()}
    first = next((tier for tier in limits if tier in selected), None)
    default = effective[first] if first is not None else None
    if default is None:  # nothing to share: every limited tier carries its own marker
        marks = {tier: limit for tier, limit in effective.items() if limit is not None}
    else:
        marks = {
            tier: (limit if limit is not None else NO_LIMIT)
            for tier, limit in effective.items()
            if limit != default
        }
    return LimitPlan(default, marks, effective)


def measured_limits(plan: LimitPlan, default_timeout: float | None) -> dict[str, float]:
    """tier -> the limit the plugin checks each test's measured phases against, on every
    attempt (hostile case 312: pytest-timeout times only the first attempt under
    pytest-rerunfailures, so a rerun that breaks the limit would pass untimed). The tiers' own
    limits, and, where the plan leaves pytest-timeout's default alone (no ``--timeout``, the
    first tier unlimited), that default (its ``timeout`` setting, ``PYTEST_TIMEOUT``) for
    every tier without a limit of its own: what its tests run under."""
    limits = {tier: limit for tier, limit in plan.effective.items() if limit}
    if plan.enforced and not plan.user_override and plan.default is None and default_timeout:
        limits.update({tier: default_timeout for tier, limit in plan.effective.items()
                       if not limit})
    return limits


def header_lines(
    selected: Sequence[str], limits: LimitPlan, *, width: int = 100
) -> list[str]:
    """What the run selected and the per-test limits it enforces (pytest-timeout's own
    header shows only its default, which is one tier's limit)."""
    if not limits.enforced:
        enforced = "not enforced (pytest-timeout is not active)"
    elif limits.user_override:
        limit = next(iter(limits.effective.values()), None)
        enforced = f"--timeout {format_duration(limit)} for every tier" if limit else "off"
    elif not any(limits.effective.get(tier) for tier in selected):
        enforced = "none (tiers.<tier>.test_timeout sets one)"
    else:
        enforced = ", ".join(
            f"{tier} {format_duration(limit) if limit else 'none'}"
            for tier in selected
            for limit in (limits.effective.get(tier),)
        )
    return [
        *_wrapped(f"pyramid: tiers {', '.join(selected) or 'none'}", "", width),
        *_wrapped(f"pyramid: per-test limits: {enforced}", "", width),
    ]


def _wrapped(text: str, indent: str, width: int) -> list[str]:
    return textwrap.wrap(
        text, width=width, initial_indent=indent, subsequent_indent=indent + "  ",
        break_on_hyphens=False,
    ) or [indent]
